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
from .io import OUTPUT_SUFFIXES, LayerColumns, read_layer, write_layer_file
from .isochrones import ALL_CENTRES, walk_isochrones
from .maps import TILE_PROVIDERS, coverage_map, map_html, tile_provider, write_map
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


def _input_options(f, *, with_communities: bool = True):
    options = [
        click.option(
            "--communities",
            metavar="FILE",
            help="Communities (polygons or points) with an optional population column; same "
            "formats. Default: the network's residential areas (landuse=residential), population "
            "estimated from OSM buildings.",
        )
        if with_communities
        else None,
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
        if option is not None:
            f = option(f)
    return f


def _centre_input_options(f):
    return _input_options(f, with_communities=False)


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


def _config(
    ctx: click.Context,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    **fields,
):
    try:
        return CircleConfig(
            walk_speed_kmh=speed_kmh,
            thresholds_min=tuple(minutes),
            max_snap_m=max_snap_m,
            search_limit_min=max(60.0, *minutes) if minutes else 60.0,
            **fields,
        )
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err


def _load_layers(
    network_path: Path,
    centres: str | None,
    communities: str | None,
    columns,
    crs,
    *,
    need_communities: bool = True,
):
    """Centres and communities from files, or derived from the network's OSM file.

    Without `need_communities`, communities are only read when at hand (given, bundled or
    derived with the centres); otherwise the second layer is None.
    """
    derived = None
    if centres is None or (communities is None and need_communities):
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
        elif derived is None:
            out.append(None)
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
    "--map",
    "with_map",
    is_flag=True,
    help="Also write map.html into --out: an interactive map that opens with no internet "
    "(see `circle map` for base maps and other options).",
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
    with_map: bool,
    fmt: str,
) -> None:
    """Walk from every community to its nearest employment service centre.

    A community is covered when its walk (to the street, along it, and from the street to the
    centre) takes at most the largest --minutes. With no options it runs on the bundled demo:
    real OpenStreetMap data of central Helsinki (no Liaoning extract can be bundled offline).

    \b
    Examples:
      $ circle coverage
      $ circle coverage --network district.osm.pbf --out report/ --map
      $ circle coverage --centres centres.csv --communities communities.gpkg \\
          --network shenhe.osm.pbf --speed-kmh 4.8 -m 5 -m 10 -m 15 --out report/
    """
    config = _config(ctx, speed_kmh, minutes, max_snap_m)
    if with_map and out is None:
        msg = "--map writes map.html into the --out folder: give --out"
        raise click.UsageError(msg, ctx=ctx)
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
        net, centre_layer, community_layer = _read_inputs(
            progress, network, centres, communities, columns, layer_crs, config
        )
        with progress.stage("walking to the nearest centre"):
            result = coverage_report(community_layer, centre_layer, net, config=config)
        summary = summarise(result)
        extra = {}
        if with_map:
            with progress.stage("drawing the map"):
                extra["map.html"] = map_html(_draw_map(result, net, centre_layer, config))
        if out is not None:
            with progress.stage(f"writing {out}"):
                write_coverage_outputs(result, out, overwrite=overwrite, extra_files=extra)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    text = {"table": summary_text, "markdown": summary_markdown, "json": summary_json}[fmt]
    click.echo(text(summary), nl=False)
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def _read_inputs(
    progress: _Progress,
    network: Path,
    centres: str | None,
    communities: str | None,
    columns: LayerColumns,
    layer_crs: str | None,
    config: CircleConfig,
    *,
    need_communities: bool = True,
):
    """The walking network, centres and communities, with progress messages."""
    with progress.stage(f"reading the walking network {network.name}"):
        net = load_network(network, min_component_m=config.min_component_m)
    with progress.stage("reading centres and communities"):
        centre_layer, community_layer = _load_layers(
            network, centres, communities, columns, layer_crs, need_communities=need_communities
        )
    return net, centre_layer, community_layer


def _layer_columns(options: dict) -> tuple[LayerColumns, str | None]:
    """The `_layer_options` values as LayerColumns and the layer CRS."""
    columns = LayerColumns(
        id=options["id_column"],
        name=options["name_column"],
        type=options["type_column"],
        population=options["population_column"],
        lon=options["lon_column"],
        lat=options["lat_column"],
    )
    return columns, options["layer_crs"]


def _draw_map(result, net, centre_layer, config, **map_options):
    """Isochrones of the centres, then the map of a coverage result."""
    bands = walk_isochrones(net, centre_layer, config=config, per_centre=False)
    return coverage_map(result, isochrones=bands, network=net, **map_options)


def _buffer_option(f):
    return click.option(
        "--buffer-m",
        type=float,
        default=25.0,
        show_default=True,
        help="Isochrones are the reached parts of streets widened by this margin on each side "
        "(the walk from the street to a door).",
    )(f)


def _overwrite_file_option(f):
    return click.option(
        "--overwrite/--no-overwrite",
        default=False,
        show_default=True,
        help="Replace the output file if it exists.",
    )(f)


def _check_suffix(ctx, param, value: Path) -> Path:
    if value.suffix.lower() not in OUTPUT_SUFFIXES:
        msg = f"{value}: use a .geojson or .gpkg file name"
        raise click.BadParameter(msg, ctx=ctx, param=param)
    return value


@cli.command("isochrones", short_help="Write walk-time polygons around the centres.")
@_centre_input_options
@_run_options
@_buffer_option
@_layer_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("isochrones.geojson"),
    show_default=True,
    callback=_check_suffix,
    help="Output file: .geojson (WGS84) or .gpkg (in the network's metric CRS).",
)
@click.option(
    "--per-centre/--merged-only",
    default=True,
    show_default=True,
    help="Also write one polygon per centre and band: the streets it serves first (the nearest "
    "centre) within the band.",
)
@_overwrite_file_option
@click.pass_context
def isochrones_command(
    ctx: click.Context,
    network: Path,
    centres: str | None,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    buffer_m: float,
    out: Path,
    per_centre: bool,
    overwrite: bool,
    **layer_options,
) -> None:
    """Polygons of the area within each walk time of the centres, from one network search.

    Each polygon is made of the streets reached within the time (the last street cut exactly
    where the time runs out), widened by --buffer-m: no convex hulls across rivers or rail
    yards. The bands nest: the 10-minute polygon lies inside the 15-minute one. Rows: centre_id
    ("all" for every centre together, else one centre's catchment), centre_name, minutes,
    walk_m, area_m2.

    \b
    Examples:
      $ circle isochrones
      $ circle isochrones --network district.osm.pbf --centres centres.csv -m 10 -m 15 \\
          --out isochrones.gpkg --merged-only
    """
    config = _config(ctx, speed_kmh, minutes, max_snap_m, isochrone_buffer_m=buffer_m)
    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    columns, layer_crs = _layer_columns(layer_options)
    try:
        net, centre_layer, _ = _read_inputs(
            progress, network, centres, None, columns, layer_crs, config, need_communities=False
        )
        with progress.stage("walking out from the centres"):
            table = walk_isochrones(net, centre_layer, config=config, per_centre=per_centre)
        with progress.stage(f"writing {out}"):
            write_layer_file(table, out, overwrite=overwrite)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    merged = table[table["centre_id"] == ALL_CENTRES]
    click.echo(f"isochrones of {table['centre_id'].nunique() - 1 if per_centre else 'all'} "
               f"centres, {len(table)} polygons, buffer {buffer_m:g} m -> {out}")
    for r in merged.itertuples():
        click.echo(f"  {r.minutes:>5g} min  {r.walk_m:>7.0f} m  {r.area_m2 / 1e6:8.3f} km²")


@cli.command("map", short_help="Draw the coverage map: one HTML file that works offline.")
@_input_options
@_run_options
@_buffer_option
@_layer_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("map.html"),
    show_default=True,
    help="The HTML file to write.",
)
@click.option(
    "--offline/--online",
    default=None,
    help="--offline (the default, unless --tiles names an internet base map): Leaflet and jQuery "
    "are inlined, so the file loads nothing from the network and opens on a computer with no "
    "internet. --online links them from public CDNs (a smaller file).",
)
@click.option(
    "--tiles",
    default="none",
    show_default=True,
    metavar="{none,osm,amap,tencent,URL}",
    help="Base map: none (the streets are drawn from the network), OpenStreetMap, AMap (Gaode) "
    "or Tencent (both GCJ-02: every geometry is shifted to line up), or a tile URL template "
    "with {z}/{x}/{y}, e.g. of a tile server on your own network.",
)
@click.option(
    "--tiles-datum",
    type=click.Choice(["wgs84", "gcj02"]),
    help="Datum of the base map tiles (default: gcj02 for amap and tencent, else wgs84); "
    "give gcj02 for a local copy of Chinese tiles.",
)
@click.option("--title", metavar="TEXT", help="Title shown on the map.")
@_overwrite_file_option
@click.pass_context
def map_command(
    ctx: click.Context,
    network: Path,
    centres: str | None,
    communities: str | None,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    buffer_m: float,
    out: Path,
    offline: bool | None,
    tiles: str,
    tiles_datum: str | None,
    title: str | None,
    overwrite: bool,
    **layer_options,
) -> None:
    """Draw communities by walk time, the centres by type and the walk-time bands on one map.

    Layers can be switched on and off; hovering a community shows its name, population, walk
    time and nearest centre; communities left outside the circle are outlined in red. The file
    is self-contained: send it by e-mail, open it in any browser, also with no internet.

    \b
    Examples:
      $ circle map
      $ circle map --network district.osm.pbf --centres centres.csv --out district.html
      $ circle map --tiles amap --title "Shenhe district, 15-minute circle"
      $ circle map --tiles "http://tiles.local/{z}/{x}/{y}.png" --tiles-datum gcj02
    """
    config = _config(ctx, speed_kmh, minutes, max_snap_m, isochrone_buffer_m=buffer_m)
    if offline is None:
        offline = tiles not in TILE_PROVIDERS
    try:
        tile_provider(tiles, tiles_datum, offline)
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err
    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    columns, layer_crs = _layer_columns(layer_options)
    try:
        net, centre_layer, community_layer = _read_inputs(
            progress, network, centres, communities, columns, layer_crs, config
        )
        with progress.stage("walking to the nearest centre"):
            result = coverage_report(community_layer, centre_layer, net, config=config)
        with progress.stage("drawing the map"):
            m = _draw_map(
                result, net, centre_layer, config,
                offline=offline, tiles=tiles, tiles_datum=tiles_datum, title=title,
            )
        write_map(m, out, overwrite=overwrite)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    size_kb = out.stat().st_size / 1024
    mode = "offline: loads nothing from the network" if offline else "online"
    click.echo(
        f"map of {len(result.table)} communities and {len(result.centres)} centres -> {out} "
        f"({size_kb:,.0f} KB, {mode})"
    )


def main() -> None:
    """Entry point of the `circle` command."""
    cli(prog_name="circle")
