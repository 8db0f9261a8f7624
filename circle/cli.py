"""The `circle` command line: parses options, calls the library, prints. No analysis lives here."""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from ._validate import CENTRE_TYPES
from .bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from .config import CircleConfig
from .coverage import coverage_report, summarise
from .errors import CircleError, CircleWarning, ConfigError
from .extract import layers_from_osm
from .io import LayerColumns, read_layer
from .network import load_network
from .osm import OSM_SUFFIXES
from .report import summary_json, summary_markdown, summary_text, write_coverage_outputs
from .siting import (
    CANDIDATE_TAGS,
    DEFAULT_GRID_SPACING_M,
    candidates_from_osm,
    candidates_on_grid,
    combine_candidates,
    site_new_centres,
    siting_summary,
)
from .siting_report import siting_markdown, siting_text, write_siting_outputs

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


def _input_options(f):
    """--network, --centres and --communities, shared by the commands that read the layers."""
    options = [
        click.option(
            "--communities",
            metavar="FILE",
            help="Communities (polygons or points) with an optional population column; same "
            "formats. Default: the network's residential areas (landuse=residential), population "
            "estimated from OSM buildings.",
        ),
        click.option(
            "--centres",
            metavar="FILE",
            help="Employment service centres: GeoJSON, GeoPackage, GeoParquet, Shapefile or CSV "
            "with lon/lat. Default: derived from the network's OSM tags (community centres, town "
            "halls, job centres).",
        ),
        click.option(
            "--network",
            type=click.Path(dir_okay=False, path_type=Path),
            default=DEFAULT_NETWORK,
            show_default="bundled central Helsinki OSM extract",
            help="Street network: .osm, .osm.bz2, .osm.pbf (e.g. a district cut from a Geofabrik "
            "extract with osmium) or an osmnx .graphml file.",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _output_options(files: str):
    """--out, --overwrite and --format; `files` names what --out receives."""

    def decorate(f):
        options = [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["table", "markdown", "json"]),
                default="table",
                show_default=True,
                help="What to print on stdout: a short table, the Markdown report, or the JSON "
                "summary.",
            ),
            click.option(
                "--overwrite/--no-overwrite",
                default=False,
                show_default=True,
                help="Replace output files that already exist in --out.",
            ),
            click.option(
                "--out",
                type=click.Path(file_okay=False, path_type=Path),
                help=f"Folder for {files}.",
            ),
        ]
        for option in options:
            f = option(f)
        return f

    return decorate


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
    # --population-column names the communities' column; centres (and candidates) have none
    point_columns = dataclasses.replace(columns, population="population")
    for given, kind, i in ((centres, "centres", 0), (communities, "communities", 1)):
        if given is not None:
            out.append(read_layer(given, columns=columns if i else point_columns, crs=crs))
        else:
            layer = derived[i]
            layer.attrs["source"] = f"{kind} derived from {network_path.name} (OSM tags)"
            layer.attrs["row_label"] = "feature"
            out.append(layer)
    return out


@cli.command(short_help="Report which communities reach a centre within the walk-time bands.")
@_input_options
@_run_options
@_layer_options
@_output_options("coverage.csv, coverage.geojson, summary.md and summary.json")
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
                write_coverage_outputs(result, out, overwrite=overwrite)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    text = {"table": summary_text, "markdown": summary_markdown, "json": summary_json}[fmt]
    click.echo(text(summary), nl=False)
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def _parse_tags(ctx, param, values):
    """``KEY=VALUE`` or ``KEY=VALUE:TYPE`` options as ``{(key, value): type}``."""
    tags = {}
    for text in values:
        pair, _, ctype = text.partition(":")
        key, eq, value = pair.partition("=")
        if not (eq and key and value):
            msg = f"{text!r} is not KEY=VALUE (e.g. amenity=library)"
            raise click.BadParameter(msg)
        if ctype and ctype not in CENTRE_TYPES:
            msg = f"{text!r}: type must be one of {', '.join(CENTRE_TYPES)}"
            raise click.BadParameter(msg)
        tags[(key, value)] = ctype or CANDIDATE_TAGS.get((key, value), "other")
    return tags or None


_DEFAULT_TAGS_HELP = ", ".join(f"{k}={v}" for k, v in CANDIDATE_TAGS)


@cli.command(short_help="Propose sites for new centres: the best K, or the fewest for everyone.")
@click.option(
    "--add",
    type=click.IntRange(min=1),
    metavar="K",
    help="Propose K new sites that newly cover the most people (maximal covering).",
)
@click.option(
    "--cover-all",
    is_flag=True,
    help="Propose the fewest new sites that cover every community a candidate can reach "
    "(set covering); the rest are listed with the reason.",
)
@_input_options
@click.option(
    "--candidates",
    "candidates_file",
    metavar="FILE",
    help="Candidate sites (points or polygons; id, name, type columns), e.g. vacant public "
    "buildings, enterprises, industrial parks, colleges; same formats as --centres.",
)
@click.option(
    "--candidates-from-osm",
    "from_osm",
    is_flag=True,
    help="Candidate sites from the network's OSM tags (the default when no candidate source "
    f"is given): {_DEFAULT_TAGS_HELP}.",
)
@click.option(
    "--candidate-tag",
    "candidate_tags",
    multiple=True,
    metavar="KEY=VALUE[:TYPE]",
    callback=_parse_tags,
    help="Use these OSM tags instead of the defaults (implies --candidates-from-osm); repeat "
    "for several, e.g. --candidate-tag amenity=school:college.",
)
@click.option(
    "--candidates-grid-m",
    type=click.FloatRange(min=0, min_open=True),
    is_flag=False,
    flag_value=DEFAULT_GRID_SPACING_M,
    metavar="[SPACING]",
    help="Candidate sites on the street network: one street node per SPACING x SPACING "
    f"metres square; SPACING is {DEFAULT_GRID_SPACING_M:g} when left out.",
)
@click.option(
    "--solver",
    type=click.Choice(["milp", "greedy"]),
    default="milp",
    show_default=True,
    help="milp: exact (HiGHS), reports the gap; greedy: fast for very large problems, "
    "with a bound and gap.",
)
@click.option(
    "--time-limit-s",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    default=60.0,
    show_default=True,
    help="Time limit of the MILP; when reached, the best answer so far and its gap are reported.",
)
@_run_options
@_layer_options
@_output_options("proposals.csv, proposals.geojson, summary.md and summary.json")
@click.pass_context
def site(
    ctx: click.Context,
    add: int | None,
    cover_all: bool,
    network: Path,
    centres: str | None,
    communities: str | None,
    candidates_file: str | None,
    from_osm: bool,
    candidate_tags: dict | None,
    candidates_grid_m: float | None,
    solver: str,
    time_limit_s: float,
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
    """Where should new employment service centres go?

    Candidate sites come from a file, from the network's OSM tags, or from a grid over the
    street network (several sources combine); the existing centres stay. --add K picks the K
    sites that newly bring the most people within the circle (the largest --minutes);
    --cover-all picks the fewest sites that bring in every community a candidate can reach.
    The "after" figures equal a `circle coverage` run with the proposals added to the centres.

    \b
    Examples:
      $ circle site --add 3
      $ circle site --cover-all --candidates-grid-m 150
      $ circle site --add 5 --network shenhe.osm.pbf --centres centres.csv \\
          --communities communities.gpkg --candidates vacant_buildings.csv --out sites/
    """
    if (add is None) == (not cover_all):
        msg = "give either --add K or --cover-all"
        raise click.UsageError(msg, ctx=ctx)
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
    from_osm = from_osm or candidate_tags is not None
    if not (candidates_file or from_osm or candidates_grid_m):
        from_osm = True  # the default source
    if from_osm and not network.name.lower().endswith(OSM_SUFFIXES):
        msg = (
            f"{network}: a .graphml network has no tags to take candidate sites from; give "
            "--candidates FILE or --candidates-grid-m SPACING"
        )
        raise click.UsageError(msg, ctx=ctx)
    started = time.perf_counter()
    try:
        with progress.stage(f"reading the walking network {network.name}"):
            net = load_network(network, min_component_m=config.min_component_m)
        with progress.stage("reading centres, communities and candidate sites"):
            centre_layer, community_layer = _load_layers(
                network, centres, communities, columns, layer_crs
            )
            point_columns = dataclasses.replace(columns, population="population")
            sources = []
            if candidates_file:
                sources.append(read_layer(candidates_file, columns=point_columns, crs=layer_crs))
            if from_osm:
                centre_ids = {str(i) for i in centre_layer["id"]}
                sources.append(
                    candidates_from_osm(network, tags=candidate_tags, exclude_ids=centre_ids)
                )
            if candidates_grid_m:
                sources.append(candidates_on_grid(net, candidates_grid_m))
            candidate_layer = combine_candidates(*sources)
        with progress.stage("choosing sites"):
            result = site_new_centres(
                community_layer,
                centre_layer,
                candidate_layer,
                net,
                add=add,
                cover_all=cover_all,
                config=config,
                solver=solver,
                time_limit_s=time_limit_s,
            )
        summary = siting_summary(result)
        if out is not None:
            with progress.stage(f"writing {out}"):
                write_siting_outputs(result, out, overwrite=overwrite)
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    text = {"table": siting_text, "markdown": siting_markdown, "json": summary_json}[fmt]
    click.echo(text(summary), nl=False)
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def main() -> None:
    """Entry point of the `circle` command."""
    cli(prog_name="circle")
