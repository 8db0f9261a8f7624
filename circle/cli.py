"""The `circle` command line: parses options, calls the library, prints. No analysis lives here."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from .bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from .config import CircleConfig
from .coverage import coverage_report, summarise
from .errors import CircleError, CircleWarning, ConfigError
from .extract import layers_from_osm
from .io import LayerColumns, read_layer
from .network import load_network
from .osm import OSM_SUFFIXES
from .report import summary_json, summary_markdown, summary_text, write_coverage_outputs

logger = logging.getLogger("circle")


class _Progress:
    """Stage messages on stderr: what is running, and how long it took when over a second."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    @contextmanager
    def stage(self, text: str):
        start = time.perf_counter()
        if not self.quiet:
            click.echo(f"circle: {text}…", err=True)
        yield
        took = time.perf_counter() - start
        if not self.quiet and took >= 1.0:
            click.echo(f"circle: {text}: done in {took:.1f} s", err=True)


def _setup_logging(verbose: int, quiet: int) -> None:
    level = max(logging.DEBUG, logging.WARNING - 10 * (verbose - quiet))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("circle: %(message)s"))
    root = logging.getLogger("circle")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # circle's own warnings (repaired geometry, assumed CRS) as one line each on stderr
    warnings.simplefilter("always", CircleWarning)
    default_show = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, CircleWarning):
            click.echo(f"circle: warning: {message}", err=True)
        else:
            default_show(message, category, filename, lineno, file, line)

    warnings.showwarning = show


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="circle")
@click.option("-v", "--verbose", count=True, help="More messages on stderr (-vv for debugging).")
@click.option("-q", "--quiet", count=True, help="Fewer messages on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """circle: which communities reach an employment service centre within a 15-minute walk?

    Run `circle coverage` for a report on the bundled demo data (real OpenStreetMap data of
    central Helsinki), or give your own street network, centres and communities.
    """
    _setup_logging(verbose, quiet)
    ctx.obj = {"verbose": verbose, "quiet": quiet}


def _layer_options(f):
    options = [
        click.option(
            "--layer-crs",
            metavar="CRS",
            help="CRS of layers that declare none (CSV default EPSG:4326), e.g. EPSG:32651.",
        ),
        click.option(
            "--lat-column", metavar="NAME", help="CSV latitude column (default: lat/latitude/y)."
        ),
        click.option(
            "--lon-column",
            metavar="NAME",
            help="CSV longitude column (default: lon/lng/longitude/x).",
        ),
        click.option(
            "--population-column",
            default="population",
            show_default=True,
            metavar="NAME",
            help="Communities' population column (leave absent to count communities only).",
        ),
        click.option(
            "--type-column",
            default="type",
            show_default=True,
            metavar="NAME",
            help="Centres' type column (community, village, enterprise, industrial_park, "
            "college, business_district, other).",
        ),
        click.option(
            "--name-column", default="name", show_default=True, metavar="NAME",
            help="Name column of both layers.",
        ),
        click.option(
            "--id-column", default="id", show_default=True, metavar="NAME",
            help="Id column of both layers (ids must be unique).",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _run_options(f):
    options = [
        click.option(
            "--max-snap-m",
            type=float,
            default=500.0,
            show_default=True,
            help="A community or centre farther than this (metres) from every walkable street "
            "is off the network.",
        ),
        click.option(
            "--minutes",
            "-m",
            type=float,
            multiple=True,
            default=(5.0, 10.0, 15.0),
            show_default=True,
            help="Walk-time band in minutes; repeat for several. The largest is the circle "
            "(the 'covered' column).",
        ),
        click.option(
            "--speed-kmh",
            type=float,
            default=4.0,
            show_default=True,
            help="Walking speed. 4 km/h walks 1,000 m in 15 minutes (GB 50180-2018's 800-1,000 m "
            "for the 15-minute life circle); many studies use 4.8-5.",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _config(ctx: click.Context, speed_kmh: float, minutes: tuple[float, ...], max_snap_m: float):
    try:
        return CircleConfig(
            walk_speed_kmh=speed_kmh,
            thresholds_min=tuple(minutes),
            max_snap_m=max_snap_m,
            search_limit_min=max(60.0, *minutes) if minutes else 60.0,
        )
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err


def _load_layers(network_path: Path, centres: str | None, communities: str | None, columns, crs):
    """Centres and communities from files, or derived from the network's OSM file."""
    derived = None
    if centres is None or communities is None:
        if network_path == DEFAULT_NETWORK:
            centres = centres or str(DEFAULT_CENTRES)
            communities = communities or str(DEFAULT_COMMUNITIES)
        elif network_path.name.lower().endswith(OSM_SUFFIXES):
            derived = layers_from_osm(network_path)
        else:
            msg = (
                f"{network_path}: a .graphml network has no tags to derive layers from; give "
                "--centres and --communities"
            )
            raise click.UsageError(msg)
    out = []
    for given, kind, i in ((centres, "centres", 0), (communities, "communities", 1)):
        if given is not None:
            out.append(read_layer(given, columns=columns, crs=crs))
        else:
            layer = derived[i]
            layer.attrs["source"] = f"{kind} derived from {network_path.name} (OSM tags)"
            layer.attrs["row_label"] = "feature"
            out.append(layer)
    return out


@cli.command(short_help="Report which communities reach a centre within the walk-time bands.")
@click.option(
    "--network",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_NETWORK,
    show_default="bundled central Helsinki OSM extract",
    help="Street network: .osm, .osm.bz2, .osm.pbf (e.g. a district cut from a Geofabrik "
    "extract with osmium) or an osmnx .graphml file.",
)
@click.option(
    "--centres",
    metavar="FILE",
    help="Employment service centres: GeoJSON, GeoPackage, GeoParquet, Shapefile or CSV with "
    "lon/lat. Default: derived from the network's OSM tags (community centres, town halls, "
    "job centres).",
)
@click.option(
    "--communities",
    metavar="FILE",
    help="Communities (polygons or points) with an optional population column; same formats. "
    "Default: the network's residential areas (landuse=residential), population estimated "
    "from OSM buildings.",
)
@_run_options
@_layer_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for coverage.csv, coverage.geojson, summary.md and summary.json.",
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help="Replace output files that already exist in --out.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help="What to print on stdout: a short table, the Markdown report, or the JSON summary.",
)
@click.pass_context
def coverage(
    ctx: click.Context,
    network: Path,
    centres: str | None,
    communities: str | None,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    id_column: str,
    name_column: str,
    type_column: str,
    population_column: str,
    lon_column: str | None,
    lat_column: str | None,
    layer_crs: str | None,
    out: Path | None,
    overwrite: bool,
    fmt: str,
) -> None:
    """Walk from every community to its nearest employment service centre.

    A community is covered when its walk (to the street, along it, and from the street to the
    centre) takes at most the largest --minutes. With no options it runs on the bundled demo:
    real OpenStreetMap data of central Helsinki (no Liaoning extract can be bundled offline).

    \b
    Examples:
      $ circle coverage
      $ circle coverage --network district.osm.pbf --out report/
      $ circle coverage --centres centres.csv --communities communities.gpkg \\
          --network shenhe.osm.pbf --speed-kmh 4.8 -m 5 -m 10 -m 15 --out report/
    """
    config = _config(ctx, speed_kmh, minutes, max_snap_m)
    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    columns = LayerColumns(
        id=id_column,
        name=name_column,
        type=type_column,
        population=population_column,
        lon=lon_column,
        lat=lat_column,
    )
    started = time.perf_counter()
    try:
        with progress.stage(f"reading the walking network {network.name}"):
            net = load_network(network, min_component_m=config.min_component_m)
        with progress.stage("reading centres and communities"):
            centre_layer, community_layer = _load_layers(
                network, centres, communities, columns, layer_crs
            )
        with progress.stage("walking to the nearest centre"):
            result = coverage_report(community_layer, centre_layer, net, config=config)
        summary = summarise(result)
        if out is not None:
            with progress.stage(f"writing {out}"):
                write_coverage_outputs(result, out, overwrite=overwrite, summary=summary)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    text = {"table": summary_text, "markdown": summary_markdown, "json": summary_json}[fmt]
    click.echo(text(summary), nl=False)
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def main() -> None:
    """Entry point of the `circle` command."""
    cli(prog_name="circle")
