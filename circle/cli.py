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
from .areas import assign_areas
from .bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from .config import CircleConfig
from .coverage import coverage_report, summarise
from .errors import CircleError, CircleWarning, ConfigError
from .extract import OsmPresets, extract_layers, extract_osm_layers, presets_from_file
from .io import DATUMS, LayerColumns, read_layer, write_layers_geopackage
from .network import load_network
from .online import fetch_osm, parse_bbox
from .osm import OSM_SUFFIXES, read_tagged_features
from .population import fill_population
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
            "--datum",
            type=click.Choice(DATUMS),
            default="wgs84",
            show_default=True,
            help="Map datum of lon/lat input files: wgs84 (GPS, OSM), gcj02 (AMap/Gaode, "
            "Tencent exports), bd09 (Baidu); converted to WGS84 on reading. Per file: "
            "--centres-datum, --communities-datum.",
        ),
        click.option(
            "--layer-crs",
            metavar="CRS",
            help="CRS of layers that declare none (CSV default EPSG:4326), e.g. EPSG:32651.",
        ),
        click.option(
            "--lat-column",
            metavar="NAME",
            help="CSV/Excel latitude column (default: lat/latitude/y/纬度).",
        ),
        click.option(
            "--lon-column",
            metavar="NAME",
            help="CSV/Excel longitude column (default: lon/lng/longitude/x/经度).",
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


def _input_options(*kinds: str):
    """Per input layer: ``--KIND-layer`` (GeoPackage layer / Excel sheet) and ``--KIND-datum``."""

    def decorate(f):
        for kind in reversed(kinds):
            f = click.option(
                f"--{kind}-datum",
                type=click.Choice(DATUMS),
                help=f"Map datum of the {kind} file (default: --datum).",
            )(f)
            f = click.option(
                f"--{kind}-layer",
                metavar="NAME",
                help=f"Layer of a GeoPackage or sheet of an Excel file holding the {kind} "
                f"(default: the one named '{kind}', else the only one).",
            )(f)
        return f

    return decorate


def _osm_options(f):
    options = [
        click.option(
            "--presets",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML or JSON file overriding the OSM tag presets (which tags make centres, "
            "communities, candidate sites, gates; population assumptions). See the README.",
        ),
        click.option(
            "--population-from-osm",
            is_flag=True,
            help="Estimate the population of communities without a figure from OSM building "
            "floor area in the network's OSM file (footprint × levels ÷ 40 m² per person).",
        ),
        click.option(
            "--population-raster",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Population raster (people per pixel, e.g. WorldPop GeoTIFF), summed over "
            "each community without a population figure.",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _area_options(f):
    options = [
        click.option(
            "--areas-layer",
            metavar="NAME",
            help="Layer of a GeoPackage holding the areas (default: 'areas', else the only one).",
        ),
        click.option(
            "--areas-name-column",
            default="name",
            show_default=True,
            metavar="NAME",
            help="Column of --areas holding the area names.",
        ),
        click.option(
            "--areas",
            "areas_file",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Area polygons (street offices 街道, districts) to roll the report up by: a "
            "community belongs to the area holding its representative point.",
        ),
        click.option(
            "--by",
            metavar="COLUMN",
            help="Roll the report up by this column of the communities (e.g. street, 街道).",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _presets(path: Path | None) -> OsmPresets:
    return presets_from_file(path) if path is not None else OsmPresets()


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


def _load_layers(
    network_path: Path,
    centres: str | None,
    communities: str | None,
    columns,
    crs,
    *,
    datum: str = "wgs84",
    per_input: dict | None = None,
    derived: dict | None = None,
    derived_from: str | None = None,
):
    """Centres and communities from files, or derived from OSM tags (the network's file, or
    `derived` layers already made from downloaded tags)."""
    per_input = per_input or {}
    derived_from = derived_from or network_path.name
    if (centres is None or communities is None) and derived is None:
        if network_path == DEFAULT_NETWORK:
            centres = centres or str(DEFAULT_CENTRES)
            communities = communities or str(DEFAULT_COMMUNITIES)
        elif network_path.name.lower().endswith(OSM_SUFFIXES):
            derived = extract_osm_layers(network_path)
        else:
            msg = (
                f"{network_path}: a .graphml network has no tags to derive layers from; give "
                "--centres and --communities"
            )
            raise click.UsageError(msg)
    out = []
    for given, kind in ((centres, "centres"), (communities, "communities")):
        if given is not None:
            opts = per_input.get(kind, {})
            out.append(
                read_layer(
                    given,
                    columns=columns,
                    crs=crs,
                    kind=kind,
                    layer=opts.get("layer"),
                    datum=opts.get("datum") or datum,
                )
            )
        else:
            layer = derived[kind]
            layer.attrs["source"] = f"{kind} derived from {derived_from} (OSM tags)"
            layer.attrs["row_label"] = "feature"
            out.append(layer)
    return out


def _fill_population(
    communities, *, derived: bool, raster, from_osm: bool, features, osm_source: str, presets
):
    """Population in the documented order: column, raster, OSM building estimate, count."""
    if raster is None and not from_osm:
        return communities
    if derived and raster is not None:
        # the raster ranks above the OSM estimate the derived layer carries
        attrs = dict(communities.attrs)
        communities = communities.drop(columns=["population", "population_source"])
        communities.attrs.update(attrs)
    if (from_osm or derived) and features is None:
        msg = (
            f"{osm_source}: --population-from-osm needs the network as an OSM file "
            "(.osm, .osm.pbf) or downloaded with --place/--bbox"
        )
        raise click.UsageError(msg)
    return fill_population(
        communities,
        raster=raster,
        osm_features=features if (from_osm or derived) else None,
        osm_source=osm_source,
        presets=presets,
    )


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
    "--place",
    metavar="TEXT",
    help="Instead of --network: download the walking network and OSM tags of a place "
    "(e.g. \"和平区, 沈阳市\") with osmnx; needs internet once, then cached.",
)
@click.option(
    "--bbox",
    metavar="W,S,E,N",
    help="Instead of --network: download a bounding box (WGS84 degrees west,south,east,north).",
)
@click.option(
    "--centres",
    metavar="FILE",
    help="Employment service centres: GeoJSON, GeoPackage, GeoParquet, Shapefile, or CSV or "
    "Excel with lon/lat. Default: derived from the network's OSM tags (community centres, "
    "town halls, job centres).",
)
@click.option(
    "--communities",
    metavar="FILE",
    help="Communities (polygons or points) with an optional population column; same formats. "
    "Default: the network's residential areas (landuse=residential), population estimated "
    "from OSM buildings.",
)
@_input_options("centres", "communities")
@_run_options
@_layer_options
@_osm_options
@_area_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for coverage.csv, coverage.geojson, summary.md and summary.json (and "
    "areas.csv with --by/--areas).",
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
    place: str | None,
    bbox: str | None,
    centres: str | None,
    communities: str | None,
    centres_layer: str | None,
    centres_datum: str | None,
    communities_layer: str | None,
    communities_datum: str | None,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    datum: str,
    id_column: str,
    name_column: str,
    type_column: str,
    population_column: str,
    lon_column: str | None,
    lat_column: str | None,
    layer_crs: str | None,
    presets: Path | None,
    population_from_osm: bool,
    population_raster: Path | None,
    by: str | None,
    areas_file: Path | None,
    areas_name_column: str,
    areas_layer: str | None,
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
      $ circle coverage --network shenhe.osm.pbf --centres amap_export.xlsx \\
          --centres-datum gcj02 --communities layers.gpkg --areas streets.gpkg --out report/
    """
    config = _config(ctx, speed_kmh, minutes, max_snap_m)
    online = place is not None or bbox is not None
    network_given = ctx.get_parameter_source("network") != click.core.ParameterSource.DEFAULT
    if online and (network_given or (place is not None and bbox is not None)):
        msg = "give one of --network, --place and --bbox"
        raise click.UsageError(msg, ctx=ctx)
    if by is not None and areas_file is not None:
        msg = "give --by or --areas, not both"
        raise click.UsageError(msg, ctx=ctx)
    try:
        bbox_tuple = parse_bbox(bbox) if bbox is not None else None
    except ConfigError as err:
        raise click.BadParameter(str(err), param_hint="--bbox") from err
    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    columns = LayerColumns(
        id=id_column,
        name=name_column,
        type=type_column,
        population=population_column,
        lon=lon_column,
        lat=lat_column,
    )
    per_input = {
        "centres": {"layer": centres_layer, "datum": centres_datum},
        "communities": {"layer": communities_layer, "datum": communities_datum},
    }
    started = time.perf_counter()
    try:
        tag_presets = _presets(presets)
        # the committed demo layers stand for the bundled network's tags (same presets)
        bundled_layers = not online and network == DEFAULT_NETWORK and presets is None
        need_derived = (centres is None or communities is None) and not bundled_layers
        features = None
        with progress.stage(f"reading the walking network {place or bbox or network.name}"):
            if online:
                net, features = fetch_osm(
                    place=place,
                    bbox=bbox_tuple,
                    presets=tag_presets,
                    min_component_m=config.min_component_m,
                )
                osm_source = net.source["file"]
            else:
                net = load_network(network, min_component_m=config.min_component_m)
                osm_source = network.name
                is_osm = network.name.lower().endswith(OSM_SUFFIXES)
                if is_osm and (need_derived or population_from_osm):
                    features = read_tagged_features(network, tag_presets.keys())
        with progress.stage("reading centres and communities"):
            derived = None
            if need_derived and features is not None:
                derived = extract_layers(features, presets=tag_presets, source=osm_source)
            centre_layer, community_layer = _load_layers(
                network, centres, communities, columns, layer_crs,
                datum=datum, per_input=per_input, derived=derived, derived_from=osm_source,
            )
            community_layer = _fill_population(
                community_layer,
                derived=communities is None and derived is not None,
                raster=population_raster,
                from_osm=population_from_osm,
                features=features,
                osm_source=osm_source,
                presets=tag_presets,
            )
            if by is not None or areas_file is not None:
                area_polygons = None
                if areas_file is not None:
                    area_polygons = read_layer(
                        areas_file, crs=layer_crs, kind="areas", layer=areas_layer, datum=datum
                    )
                community_layer = assign_areas(
                    community_layer, by=by, areas=area_polygons, name_column=areas_name_column
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


@cli.command(short_help="Write editable layers (centres, communities, candidates, gates) from OSM.")
@click.argument("osm_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GeoPackage to write (layers centres, communities, candidates, gates).",
)
@click.option(
    "--presets",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML or JSON file overriding the tag presets (see the README).",
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help="Replace the GeoPackage if it exists.",
)
@click.pass_context
def extract(ctx: click.Context, osm_file: Path, out: Path, presets: Path | None, overwrite: bool):
    """Derive editable layers from an OpenStreetMap file, by documented tag presets.

    Writes one GeoPackage with four layers: centres (community centres, town halls, job
    centres), communities (residential areas, population estimated from OSM buildings, with
    its source), candidates (possible sites for new stations: government offices, libraries,
    social facilities, post offices) and gates (entrance=* and barrier=gate nodes on a
    community's outline). Correct them in QGIS, then feed them back:
    `circle coverage --centres layers.gpkg --communities layers.gpkg` (each command picks the
    layer named after what it reads).

    \b
    Examples:
      $ circle extract shenhe.osm.pbf --out layers.gpkg
      $ circle extract shenhe.osm.pbf --out layers.gpkg --presets my_tags.toml --overwrite
    """
    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    try:
        with progress.stage(f"reading the tags of {osm_file.name}"):
            layers = extract_osm_layers(osm_file, presets=_presets(presets))
        with progress.stage(f"writing {out}"):
            write_layers_geopackage(layers, out, overwrite=overwrite)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    for name, layer in layers.items():
        click.echo(f"{name:<12} {len(layer):>6} features")
    click.echo(f"written: {out}")


def main() -> None:
    """Entry point of the `circle` command."""
    cli(prog_name="circle")
