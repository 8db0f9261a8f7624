"""The `circle` command line: parses options, calls the library, prints. No analysis lives here."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import click

from .. import __version__
from .._validate import CENTRE_TYPES
from ..bundled import DEFAULT_NETWORK, default_layers
from ..config import PROFILES, CircleConfig, get_profile, parse_profiles
from ..coverage.core import coverage_report, summarise
from ..coverage.isochrones import ALL_CENTRES, walk_isochrones
from ..errors import CircleError, CircleWarning, ConfigError
from ..i18n import LANGUAGES, default_lang, translator
from ..io.columns import LayerColumns
from ..io.datums import DATUMS
from ..io.db import IF_EXISTS, db_source, is_db_url, mask_url, write_db_tables
from ..io.extract import extract_osm_layers, presets_from_file
from ..io.files import read_layer
from ..io.osm import OSM_SUFFIXES
from ..io.outputs import (
    OUTPUT_SUFFIXES,
    atomic_output_dir,
    write_layer_file,
    write_layers_geopackage,
)
from ..maps.coverage_map import TILE_PROVIDERS, coverage_map, map_html, tile_provider, write_map
from ..maps.whatif import explore_candidates, whatif_map
from ..network.load import cache_dir, load_network
from ..network.online import parse_bbox
from ..report.compare import (
    COMPARE_FILES,
    compare_markdown,
    compare_runs,
    profiles_json,
    profiles_markdown,
    read_run,
    write_compare_files,
)
from ..report.coverage import coverage_tables, summary_json, summary_markdown, summary_text
from ..report.siting import siting_markdown, siting_tables, siting_text, write_siting_outputs
from ..runs.job import CoverageJob, load_layers, rerun, run_job, write_job_outputs
from ..siting.core import (
    CANDIDATE_TAGS,
    DEFAULT_GRID_SPACING_M,
    check_candidate_sources,
    gather_candidates,
    site_new_centres,
    siting_summary,
)

logger = logging.getLogger("circle")

#: help texts in the environment's language (CIRCLE_LANG, LC_ALL, LANG): click builds the help
#: when this module is imported, so `--lang` cannot change it, but `CIRCLE_LANG=zh` can
_h = translator(default_lang())


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
            "Tencent exports), bd09 (Baidu); converted to WGS84 on reading. Per file (coverage): "
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


class _PathOrDb(click.Path):
    """A file or folder path, or a ``postgresql://`` URL (kept as text: Path would mangle it)."""

    def convert(self, value, param, ctx):
        if is_db_url(value):
            return value
        return super().convert(value, param, ctx)


def _label(source: str | Path) -> str:
    """How messages name a file or a database source (password masked)."""
    return mask_url(source) if is_db_url(source) else Path(source).name


_DB_LAYERS = ("network", "centres", "communities")


def _db_options(f):
    """--db URL with --LAYER-table / --LAYER-query for the network, centres and communities."""
    options = []
    for layer in _DB_LAYERS[::-1]:
        options += [
            click.option(
                f"--{layer}-query",
                metavar="SQL",
                help=f"Read the {layer} from this SELECT on the --db database.",
            ),
            click.option(
                f"--{layer}-table",
                metavar="NAME",
                help=f"Read the {layer} from this table or view ([schema.]name) of --db.",
            ),
        ]
    options.append(
        click.option(
            "--db",
            metavar="URL",
            help="PostGIS database for the --*-table/--*-query options: postgresql://USER@HOST/DB "
            "(password, port, ?service=NAME or the PG* environment variables as libpq reads them).",
        )
    )
    for option in options:
        f = option(f)
    return f


def _db_layer_sources(ctx: click.Context, given: dict, db: str | None, tables: dict) -> dict:
    """Replace the network/centres/communities sources by --db tables or queries where asked."""
    asked = [k for k, v in tables.items() if v is not None]
    msg = None
    if db is None and asked:
        msg = f"--{asked[0].replace('_', '-')} needs --db URL"
    elif db is not None and not is_db_url(db):
        msg = "--db: give a postgresql://USER@HOST/DB URL"
    elif db is not None and not asked:
        msg = "--db needs a --centres-table, --communities-table, --network-table or --*-query"
    if msg:
        raise click.UsageError(msg, ctx=ctx)
    out = dict(given)
    for layer in _DB_LAYERS:
        table, query = tables.get(f"{layer}_table"), tables.get(f"{layer}_query")
        if table is None and query is None:
            continue
        if table is not None and query is not None:
            msg = f"give --{layer}-table or --{layer}-query, not both"
        elif ctx.get_parameter_source(layer) is click.core.ParameterSource.COMMANDLINE:
            msg = f"give --{layer} or a --db table/query for it, not both"
        if msg:
            raise click.UsageError(msg, ctx=ctx)
        out[layer] = db_source(db, table=table, query=query)
    return out


def _input_options(f, *, with_communities: bool = True):
    options = [
        click.option(
            "--communities",
            metavar="FILE|URL",
            help="Communities (polygons or points) with an optional population column; same "
            "formats. Default: the network's residential areas (landuse=residential), population "
            "estimated from OSM buildings.",
        )
        if with_communities
        else None,
        click.option(
            "--centres",
            metavar="FILE|URL",
            help="Employment service centres: GeoJSON, GeoPackage, GeoParquet, Shapefile, CSV "
            "with lon/lat, or a PostGIS table (postgresql://USER@HOST/DB?table=centres). Default: derived from the network's OSM tags (community centres, town "
            "halls, job centres).",
        ),
        click.option(
            "--network",
            type=_PathOrDb(dir_okay=False, path_type=Path),
            metavar="FILE|URL",
            default=DEFAULT_NETWORK,
            show_default="bundled central Helsinki OSM extract",
            help="Street network: .osm, .osm.bz2, .osm.pbf (e.g. a district cut from a Geofabrik "
            "extract with osmium), an osmnx .graphml file, or a PostGIS table of street "
            "centre-lines (postgresql://USER@HOST/DB?table=roads).",
        ),
    ]
    for option in options:
        if option is not None:
            f = option(f)
    return f


def _centre_input_options(f):
    return _input_options(f, with_communities=False)


def _layer_file_options(*kinds: str):
    """Per input file: ``--KIND-layer`` (GeoPackage layer / Excel sheet) and ``--KIND-datum``."""

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


def _data_options(f):
    """Tag presets, population sources, roll-up areas and downloads (issue 7)."""
    options = [
        click.option(
            "--bbox",
            metavar="W,S,E,N",
            help="Instead of --network: download a bounding box (WGS84 degrees "
            "west,south,east,north) with osmnx; needs internet once, then cached.",
        ),
        click.option(
            "--place",
            metavar="TEXT",
            help="Instead of --network: download the walking network and OSM tags of a place "
            '(e.g. "和平区, 沈阳市") with osmnx; needs internet once, then cached.',
        ),
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
        click.option(
            "--presets",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML or JSON file overriding the OSM tag presets (which tags make centres, "
            "communities, gates; population assumptions). See the README.",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _lang_option(f):
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        default=default_lang,
        show_default="zh when CIRCLE_LANG, LC_ALL or LANG starts with zh, else en",
        help=_h(
            "Language of what people read: the printed summary, summary.md and the map. "
            "File columns and JSON keys stay English."
        ),
    )(f)


def _csv_header_option(f):
    return click.option(
        "--csv-header",
        type=click.Choice(LANGUAGES),
        default="en",
        show_default=True,
        help=_h(
            "Header of the CSV files: en = the column names (for scripts); zh = Chinese column "
            "names, UTF-8 with BOM so that Excel shows them. The values are the same."
        ),
    )(f)


def _run_options(f):
    options = [
        click.option(
            "--max-snap-m",
            type=float,
            default=500.0,
            show_default=True,
            help=_h(
                "A community or centre farther than this (metres) from every walkable street "
                "is off the network."
            ),
        ),
        click.option(
            "--minutes",
            "-m",
            type=float,
            multiple=True,
            default=(5.0, 10.0, 15.0),
            show_default=True,
            help=_h(
                "Walk-time band in minutes; repeat for several. The largest is the circle "
                "(the 'covered' column)."
            ),
        ),
        click.option(
            "--speed-kmh",
            type=float,
            default=4.0,
            show_default=True,
            help=_h(
                "Walking speed. 4 km/h walks 1,000 m in 15 minutes (GB 50180-2018's 800-1,000 m "
                "for the 15-minute life circle); many studies use 4.8-5."
            ),
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _partition_options(f):
    options = [
        click.option(
            "--work-dir",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help="Folder for the parts' networks and outputs (default: a 'parts' folder in the "
            "cache). Every worker must see it at this path; a rerun skips the parts already "
            "complete there.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            metavar="N",
            help="Worker processes of the local Dask cluster (default: one per core).",
        ),
        click.option(
            "--scheduler",
            metavar="tcp://HOST:PORT",
            help="Run the parts on this existing Dask cluster instead of a local one.",
        ),
        click.option(
            "--partition-by",
            metavar="COLUMN",
            help="Run one part per value of this column of --areas (e.g. city).",
        ),
        click.option(
            "--tile-km",
            type=float,
            default=10.0,
            show_default=True,
            help="Tile side for --partition tiles.",
        ),
        click.option(
            "--partition",
            type=click.Choice(["tiles"]),
            help="Cut the study area into square tiles (each with a halo that keeps its walks "
            "exact) and run them on a Dask cluster.",
        ),
    ]
    for option in options:
        f = option(f)
    return f


def _report_output_options(files: str, db_tables: str | None = None):
    """--out, --overwrite and --format; `files` names what --out receives. With `db_tables`
    (the tables written), --out also takes a PostGIS URL and --if-exists is added."""

    def decorate(f):
        db_options = [
            click.option(
                "--if-exists",
                type=click.Choice(IF_EXISTS),
                show_default="fail",
                help="When --out is a database and a result table exists: fail (name it), "
                "replace it, or append the rows.",
            )
        ]
        out_help = f"Folder for {files}."
        if db_tables:
            out_help += (
                " Or a PostGIS database, postgresql://USER@HOST/DB?schema=circle, for the "
                f"tables {db_tables} (written in one transaction)."
            )
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
                type=_PathOrDb(file_okay=False, path_type=Path) if db_tables else click.Path(
                    file_okay=False, path_type=Path
                ),
                metavar="DIR|URL" if db_tables else "DIR",
                help=out_help,
            ),
        ]
        for option in options + (db_options if db_tables else []):
            f = option(f)
        return f

    return decorate


def _partition_areas_option(f):
    """--areas for `circle sweep` (`circle coverage` shares its roll-up --areas)."""
    return click.option(
        "--areas",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="Polygons of the parts (e.g. the cities of a province), for --partition-by.",
    )(f)


def _partitioning(ctx: click.Context, opts: dict, crs: str | None, *, required: bool):
    """The Partitioning asked for on the command line, or None for a single-process run."""
    from ..runs.distributed import Partitioning

    problem = None
    if opts["partition"] and opts["partition_by"]:
        problem = "give --partition tiles or --partition-by, not both"
    elif opts["partition_by"] and not opts["areas"]:
        problem = "--partition-by needs --areas FILE"
    elif opts["areas"] and not opts["partition_by"]:
        problem = "--areas needs --partition-by COLUMN"
    elif opts["partition"] and not opts["tile_km"] > 0:
        problem = f"--tile-km must be > 0, got {opts['tile_km']!r}"
    if problem:
        raise click.UsageError(problem, ctx=ctx)
    if opts["partition"] == "tiles":
        return Partitioning(tile_m=opts["tile_km"] * 1000.0)
    if opts["partition_by"]:
        areas = read_layer(opts["areas"], columns=LayerColumns(id=opts["partition_by"]), crs=crs)
        return Partitioning(areas=areas, column="id")
    if required:
        return Partitioning()
    if opts["scheduler"] or opts["workers"] or opts["work_dir"]:
        msg = "--scheduler, --workers and --work-dir need --partition tiles or --partition-by"
        raise click.UsageError(msg, ctx=ctx)
    return None


def _run_parts(ctx: click.Context, opts: dict, **kwargs):
    """Run `run_coverage_parts` on the asked-for Dask cluster, with progress on stderr."""
    from ..runs.distributed import dask_client, run_coverage_parts

    quiet = ctx.obj["quiet"] > 0

    def progress(done: int, total: int, label: str) -> None:
        if not quiet:
            click.echo(f"circle: [{done}/{total}] {label}", err=True)

    work_dir = opts["work_dir"] or cache_dir() / "parts"
    try:
        with dask_client(opts["scheduler"], n_workers=opts["workers"]) as client:
            if not quiet:
                where = opts["scheduler"] or "a local Dask cluster"
                n = len(client.scheduler_info().get("workers", {}))
                click.echo(f"circle: running the parts on {where} ({n} workers)", err=True)
            return run_coverage_parts(
                client=client, work_dir=work_dir, progress=progress, **kwargs
            )
    except ImportError as err:
        raise click.ClickException(str(err)) from err


def _config(
    ctx: click.Context,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    search_limit_min: float | None = None,
    **fields,
):
    if search_limit_min is None:
        search_limit_min = max(60.0, *minutes) if minutes else 60.0
    try:
        return CircleConfig(
            walk_speed_kmh=speed_kmh,
            thresholds_min=tuple(minutes),
            max_snap_m=max_snap_m,
            search_limit_min=search_limit_min,
            **fields,
        )
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err


def _bundled_defaults(network_path: Path, centres: str | None, communities: str | None):
    """The bundled demo layers go with the bundled network when no layer is given."""
    return default_layers(network_path, centres, communities)


def _load_layers(
    network_path: Path,
    centres: str | None,
    communities: str | None,
    columns,
    crs,
    *,
    need_communities: bool = True,
    datum: str = "wgs84",
):
    """Centres and communities from files, or derived from the network's OSM file.

    Without `need_communities`, given centres are read alone (communities only when given or
    bundled); otherwise the second layer may be None.
    """
    centres, communities = _bundled_defaults(network_path, centres, communities)
    try:
        if not need_communities and centres is not None:
            options = {"columns": columns, "crs": crs, "datum": datum}
            read = [read_layer(centres, kind="centres", **options)]
            read.append(
                None
                if communities is None
                else read_layer(communities, kind="communities", **options)
            )
            return read
        return list(
            load_layers(
                network_path, centres, communities, columns=columns, crs=crs, datum=datum
            )
        )
    except ConfigError as err:
        raise click.UsageError(str(err)) from err


def _absolute(path: str | Path | None) -> str | None:
    if path is None or is_db_url(path):
        return path
    return str(Path(path).resolve())


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


def _candidate_sources(ctx, network, candidates_file, from_osm, tags, grid_m, columns, crs, datum):
    """The `_candidate_options` values as `gather_candidates` keywords, checked up front."""
    options = {
        "candidates_file": candidates_file,
        "from_osm": from_osm,
        "tags": tags,
        "grid_m": grid_m,
    }
    try:
        check_candidate_sources(network, **options)
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err
    return {**options, "columns": columns, "layer_crs": crs, "datum": datum}


def _candidate_options(f):
    """The candidate-site options shared by `circle site` and `circle coverage --whatif`."""
    for option in reversed(_CANDIDATE_OPTIONS):
        f = option(f)
    return f


_CANDIDATE_OPTIONS = [
    click.option(
        "--candidates",
        "candidates_file",
        metavar="FILE",
        help="Candidate sites (points or polygons; id, name, type columns), e.g. vacant public "
        "buildings, enterprises, industrial parks, colleges; same formats as --centres.",
    ),
    click.option(
        "--candidates-from-osm",
        "from_osm",
        is_flag=True,
        help="Candidate sites from the network's OSM tags (the default when no candidate source "
        f"is given): {_DEFAULT_TAGS_HELP}.",
    ),
    click.option(
        "--candidate-tag",
        "candidate_tags",
        multiple=True,
        metavar="KEY=VALUE[:TYPE]",
        callback=_parse_tags,
        help="Use these OSM tags instead of the defaults (implies --candidates-from-osm); repeat "
        "for several, e.g. --candidate-tag amenity=school:college.",
    ),
    click.option(
        "--candidates-grid-m",
        type=click.FloatRange(min=0, min_open=True),
        is_flag=False,
        flag_value=DEFAULT_GRID_SPACING_M,
        metavar="[SPACING]",
        help="Candidate sites on the street network: one street node per SPACING x SPACING "
        f"metres square; SPACING is {DEFAULT_GRID_SPACING_M:g} when left out.",
    ),
]


@cli.command(
    short_help=_h("Report which communities reach a centre within the walk-time bands.")
)
@_input_options
@_db_options
@_layer_file_options("centres", "communities")
@_run_options
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    help="Walking profile instead of --speed-kmh: default 4 km/h (GB 50180-2018), winter "
    "3.5 km/h (snow and ice), elderly 3 km/h (people aged 65+); sources in the README.",
)
@click.option(
    "--profiles",
    "profiles",
    metavar="all|NAMES",
    help="Also run every profile (all) or the named ones (e.g. default,elderly) and show "
    "their coverage side by side; with --out, writes profiles.csv, profiles.md, profiles.json.",
)
@click.option(
    "--gates",
    default="auto",
    show_default=True,
    metavar="FILE|osm|none|auto",
    help="Gates of gated compounds: a point layer (community_id column, or points within "
    "--gate-tolerance-m of a community boundary), osm (the network's entrance=*/barrier=gate "
    "nodes), none. auto = osm when communities are derived from the OSM file, else none.",
)
@click.option(
    "--gate-tolerance-m",
    type=float,
    default=5.0,
    show_default=True,
    help="A gate without community_id belongs to a community whose boundary is this close.",
)
@click.option(
    "--group-columns",
    metavar="A,B,...",
    help="Key-group count columns of the communities layer (default: those present of "
    "graduates, migrant_workers, veterans, unemployed, low_income, new_employment_forms).",
)
@click.option(
    "--search-limit-min",
    type=float,
    metavar="MIN",
    help="Stop each walk search at this many minutes (default 60, or the largest --minutes); "
    "farther communities are beyond_limit. A partitioned run's halo is this walk plus "
    "--max-snap-m, so --search-limit-min 15 makes the parts much smaller.",
)
@_layer_options
@_partition_options
@_data_options
@click.option(
    "--out",
    type=_PathOrDb(file_okay=False, path_type=Path),
    metavar="DIR|URL",
    help="Folder for coverage.csv, coverage.geojson, summary.md, summary.json (areas.csv with "
    "--by/--areas) and manifest.json (inputs with sha256, parameters, versions: `circle rerun` "
    "reproduces it); "
    "or a PostGIS database, postgresql://USER@HOST/DB?schema=circle, for the tables coverage, "
    "coverage_bands and coverage_summary (written in one transaction).",
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help="Replace output files that already exist in the --out folder.",
)
@click.option(
    "--if-exists",
    type=click.Choice(IF_EXISTS),
    show_default="fail",
    help="When --out is a database and a result table exists: fail (name it), replace it, or "
    "append the rows.",
)
@click.option(
    "--map",
    "with_map",
    is_flag=True,
    help="Also write map.html into --out: an interactive map that opens with no internet "
    "(see `circle map` for base maps and other options).",
)
@click.option(
    "--whatif",
    is_flag=True,
    help="Also write whatif.html into --out: a map where clicking candidate sites (see "
    "--candidates and the options below) shows who each would bring within the circle; "
    "it starts with none chosen, and Reset switches on the fewest sites covering everyone.",
)
@_candidate_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help=_h("What to print on stdout: a short table, the Markdown report, or the JSON summary."),
)
@_lang_option
@_csv_header_option
@click.pass_context
def coverage(
    ctx: click.Context,
    network: Path | str,
    centres: str | None,
    communities: str | None,
    db: str | None,
    centres_layer: str | None,
    centres_datum: str | None,
    communities_layer: str | None,
    communities_datum: str | None,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    profile: str | None,
    profiles: str | None,
    gates: str,
    gate_tolerance_m: float,
    group_columns: str | None,
    id_column: str,
    name_column: str,
    type_column: str,
    population_column: str,
    lon_column: str | None,
    lat_column: str | None,
    layer_crs: str | None,
    datum: str,
    presets: Path | None,
    population_raster: Path | None,
    population_from_osm: bool,
    by: str | None,
    areas_file: Path | None,
    areas_name_column: str,
    areas_layer: str | None,
    place: str | None,
    bbox: str | None,
    out: Path | str | None,
    overwrite: bool,
    if_exists: str | None,
    with_map: bool,
    fmt: str,
    search_limit_min: float | None,
    whatif: bool,
    candidates_file: str | None,
    from_osm: bool,
    candidate_tags: dict | None,
    candidates_grid_m: float | None,
    lang: str,
    csv_header: str,
    **options: str | None,
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
      $ circle coverage --profile elderly --gates gates.geojson --out elderly/
      $ circle coverage --out report/ --whatif --candidates-grid-m 200
      $ circle coverage --profiles all --group-columns graduates,veterans
      $ circle coverage --db postgresql://planner@gis.example/city --network-table roads \\
          --centres-table centres --communities-table communities \\
          --out "postgresql://planner@gis.example/city?schema=circle" --if-exists replace
      $ circle coverage --network liaoning.osm.pbf --centres centres.gpkg \\
          --communities communities.gpkg --partition tiles --tile-km 10 --out report/
      $ circle coverage ... --areas cities.gpkg --partition-by city \\
          --scheduler tcp://head-node:8786 --work-dir /shared/circle-parts
      $ circle coverage --network shenhe.osm.pbf --centres amap_export.xlsx \\
          --centres-datum gcj02 --communities layers.gpkg --areas streets.gpkg --out report/
      $ circle coverage --lang zh --csv-header zh --out 报告/
    """
    db_tables = {k: v for k, v in options.items() if k.endswith(("_table", "_query"))}
    partition_opts = {k: v for k, v in options.items() if k not in db_tables}
    partition_opts["areas"] = areas_file if partition_opts.get("partition_by") else None
    if partition_opts.get("partition_by") and (
        ctx.get_parameter_source("areas_name_column") is click.core.ParameterSource.DEFAULT
    ):
        areas_name_column = partition_opts["partition_by"]  # the parts are also the roll-up's areas
    online = place is not None or bbox is not None
    network_given = ctx.get_parameter_source("network") is not click.core.ParameterSource.DEFAULT
    if online and (network_given or (place is not None and bbox is not None)):
        msg = "give one of --network, --place and --bbox"
        raise click.UsageError(msg, ctx=ctx)
    if by is not None and areas_file is not None:
        msg = "give --by or --areas, not both"
        raise click.UsageError(msg, ctx=ctx)
    try:
        bbox_tuple = parse_bbox(bbox) if bbox is not None else None
    except ConfigError as err:
        raise click.BadParameter(str(err), ctx=ctx, param_hint="--bbox") from err
    sources = _db_layer_sources(
        ctx, {"network": network, "centres": centres, "communities": communities}, db, db_tables
    )
    network, centres, communities = (sources[k] for k in _DB_LAYERS)
    msg = None
    if out is not None and is_db_url(out) and overwrite:
        msg = "--overwrite is for an --out folder; use --if-exists"
    elif if_exists is not None and (out is None or not is_db_url(out)):
        msg = "--if-exists is for an --out database; use --overwrite"
    if msg:
        raise click.UsageError(msg, ctx=ctx)
    if profile is not None:
        if ctx.get_parameter_source("speed_kmh") is not click.core.ParameterSource.DEFAULT:
            msg = (
                f"--profile {profile} sets the walking speed ({get_profile(profile).speed_kmh:g} "
                "km/h); give --profile or --speed-kmh, not both"
            )
            raise click.UsageError(msg, ctx=ctx)
        speed_kmh = get_profile(profile).speed_kmh
    config = _config(
        ctx, speed_kmh, minutes, max_snap_m, search_limit_min, gate_tolerance_m=gate_tolerance_m
    )
    try:
        profile_names = tuple(p.name for p in parse_profiles(profiles)) if profiles else ()
    except ConfigError as err:
        raise click.BadParameter(str(err), ctx=ctx, param_hint="--profiles") from err
    if with_map and (out is None or is_db_url(out)):
        msg = "--map writes map.html into the --out folder: give --out DIR"
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
    if whatif:
        msg = None
        if out is None or is_db_url(out):
            msg = "--whatif writes whatif.html into the --out folder: give --out DIR"
        elif online or db is not None or population_raster or population_from_osm:
            msg = (
                "--whatif reads the network and layers from files: drop --place, --bbox, "
                "--db and the --population-* options"
            )
        elif partition_opts.get("partition") or partition_opts.get("partition_by"):
            msg = "--whatif is for one (not partitioned) run: drop --partition"
        if msg:
            raise click.UsageError(msg, ctx=ctx)
        candidate_options = _candidate_sources(
            ctx, network, candidates_file, from_osm, candidate_tags, candidates_grid_m, columns,
            layer_crs, datum,
        )
    if not online:
        centres, communities = _bundled_defaults(network, centres, communities)
    job = CoverageJob(
        network="" if online else _absolute(network),
        centres=_absolute(centres),
        communities=_absolute(communities),
        gates=gates if gates in ("auto", "none", "osm") else _absolute(gates),
        columns=columns,
        layer_crs=layer_crs,
        config=config,
        group_columns=None
        if group_columns is None
        else tuple(g.strip() for g in group_columns.split(",") if g.strip()),
        profiles=profile_names,
        datum=datum,
        centres_datum=centres_datum,
        communities_datum=communities_datum,
        centres_layer=centres_layer,
        communities_layer=communities_layer,
        presets=_absolute(presets),
        population_raster=_absolute(population_raster),
        population_from_osm=population_from_osm,
        by=by,
        areas=_absolute(areas_file),
        areas_name_column=areas_name_column,
        areas_layer=areas_layer,
        place=place,
        bbox=bbox_tuple,
    )
    started = time.perf_counter()
    try:
        partitioning = _partitioning(ctx, partition_opts, layer_crs, required=False)
        if partitioning is not None and (profile_names or group_columns is not None):
            msg = "--partition runs one coverage: drop --profiles and --group-columns"
            raise click.UsageError(msg, ctx=ctx)

        def partitioned(communities, centres, net, *, config, gates=None, groups=None):
            if gates is not None:
                msg = "--partition does not walk through gates yet: add --gates none"
                raise click.UsageError(msg, ctx=ctx)
            return _run_parts(
                ctx,
                partition_opts,
                communities=communities,
                centres=centres,
                network=net,
                configs={"coverage": config},
                partitioning=partitioning,
            )["coverage"]

        compute = partitioned if partitioning is not None else None
        outcome = run_job(job, stage=progress.stage, coverage=compute)
        summary = summarise(outcome.result)
        extra = {}
        if with_map:
            with progress.stage("drawing the map"):
                m = _draw_map(outcome.result, outcome.network, outcome.centres, config, lang=lang)
                extra["map.html"] = map_html(m)
        if whatif:
            with progress.stage("reach of the candidate sites and the what-if map"):
                m = _coverage_whatif_map(job, outcome, candidate_options, config)
                extra["whatif.html"] = map_html(m)
        if out is not None and is_db_url(out):
            with progress.stage(f"writing {_label(out)}"):
                tables = coverage_tables(outcome.result)
                write_db_tables(out, tables, if_exists=if_exists or "fail")
        elif out is not None:
            with progress.stage(f"writing {out}"):
                write_job_outputs(
                    job,
                    outcome,
                    out,
                    overwrite=overwrite,
                    extra_files=extra,
                    lang=lang,
                    csv_header=csv_header,
                )
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    if outcome.profiles is not None:
        text = profiles_json if fmt == "json" else partial(profiles_markdown, lang=lang)
        click.echo(text(outcome.profiles), nl=False)
    else:
        text = {
            "table": partial(summary_text, lang=lang),
            "markdown": partial(summary_markdown, lang=lang),
            "json": summary_json,
        }[fmt]
        click.echo(text(summary), nl=False)
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def _output_options(out_help: str):
    """--out FOLDER and --overwrite, for commands that write files."""

    def decorate(f):
        f = click.option(
            "--overwrite/--no-overwrite",
            default=False,
            show_default=True,
            help="Replace output files that already exist in --out.",
        )(f)
        return click.option(
            "--out", type=click.Path(file_okay=False, path_type=Path), help=out_help
        )(f)

    return decorate


@cli.command(short_help=_h("Compare two coverage runs: who is gained, who is lost."))
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@_output_options(
    "Folder for compare.md, compare.json, compare.csv (one row per community) and "
    "compare_map.html (a map of the differences that opens with no internet)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="What to print on stdout.",
)
@_lang_option
@click.pass_context
def compare(
    ctx: click.Context,
    base: Path,
    new: Path,
    out: Path | None,
    overwrite: bool,
    fmt: str,
    lang: str,
):
    """Compare two runs of `circle coverage --out`: communities and people gained and lost.

    BASE and NEW are result folders (or the summary.json / manifest.json inside them). A
    community is gained when it is covered in NEW but not in BASE, lost the other way round;
    people and key groups are counted with NEW's figures. With --out, compare_map.html shows
    the communities gained (green) and lost (red); the unchanged ones are muted.

    \b
    Examples:
      $ circle coverage --out today/ && circle coverage --profile elderly --out elderly/
      $ circle compare today/ elderly/
      $ circle compare today/summary.json plan/summary.json --out compare/
    """
    from ..maps.compare_map import COMPARE_MAP_FILE, compare_map

    try:
        base_run, new_run = read_run(base), read_run(new)
        comparison = compare_runs(base_run, new_run)
        if out is not None:
            html = map_html(compare_map(comparison, base_run, new_run))
            files = [*COMPARE_FILES, COMPARE_MAP_FILE]
            with atomic_output_dir(out, files, overwrite=overwrite) as staging:
                write_compare_files(comparison, staging, lang=lang)
                (staging / COMPARE_MAP_FILE).write_text(html, encoding="utf-8")
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    text = summary_json if fmt == "json" else partial(compare_markdown, lang=lang)
    click.echo(text(comparison.summary), nl=False)


@cli.command("rerun", short_help=_h("Re-run a manifest and check the outputs are byte-identical."))
@click.argument("manifest", type=click.Path(path_type=Path))
@_output_options(
    "Keep the rerun's files here (default: a temporary folder, removed after the check)."
)
@click.pass_context
def rerun_command(ctx: click.Context, manifest: Path, out: Path | None, overwrite: bool) -> None:
    """Reproduce a report from its manifest.json and verify every output file.

    Refuses (exit 1) when an input file is missing or its bytes changed since the manifest was
    written; exits 1 naming every output whose sha256 differs.

    \b
    Examples:
      $ circle rerun report/manifest.json
      $ circle rerun report/manifest.json --out check/
    """
    try:
        report = rerun(manifest, out_dir=out, overwrite=overwrite)
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    where = f" (files in {report.out_dir})" if report.out_dir else ""
    click.echo(
        f"reproduced: {len(report.outputs)} outputs byte-identical to {manifest}{where}: "
        + ", ".join(report.outputs)
    )


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
    datum: str = "wgs84",
):
    """The walking network, centres and communities, with progress messages."""
    with progress.stage(f"reading the walking network {network.name}"):
        net = load_network(network, min_component_m=config.min_component_m)
    with progress.stage("reading centres and communities"):
        centre_layer, community_layer = _load_layers(
            network,
            centres,
            communities,
            columns,
            layer_crs,
            need_communities=need_communities,
            datum=datum,
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


def _draw_whatif_map(result, net, centre_layer, config, **map_options):
    """Isochrones of the existing centres, then the what-if map of a siting result."""
    bands = walk_isochrones(net, centre_layer, config=config, per_centre=False)
    return whatif_map(result, isochrones=bands, network=net, **map_options)


def _coverage_whatif_map(job, outcome, candidate_options, config):
    """The what-if map of `circle coverage --whatif`: reach of every candidate, none chosen."""
    centre_layer, community_layer = _load_layers(
        job.network, job.centres, job.communities, job.columns, job.layer_crs, datum=job.datum
    )
    candidates = gather_candidates(job.network, outcome.network, centre_layer, **candidate_options)
    result = explore_candidates(
        community_layer,
        centre_layer,
        candidates,
        outcome.network,
        config=config,
        baseline=outcome.result,
    )
    return _draw_whatif_map(
        result, outcome.network, centre_layer, config, start_with_proposals=False
    )


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


@cli.command("isochrones", short_help=_h("Write walk-time polygons around the centres."))
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
            progress, network, centres, None, columns, layer_crs, config, need_communities=False,
            datum=layer_options["datum"],
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


@cli.command("map", short_help=_h("Draw the coverage map: one HTML file that works offline."))
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
@click.option("--title", metavar="TEXT", help=_h("Title shown on the map."))
@_overwrite_file_option
@_lang_option
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
    lang: str,
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
      $ circle map --lang zh --title "沈河区 15分钟就业服务圈" --out shenhe.html
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
            progress, network, centres, communities, columns, layer_crs, config,
            datum=layer_options["datum"],
        )
        with progress.stage("walking to the nearest centre"):
            result = coverage_report(community_layer, centre_layer, net, config=config)
        with progress.stage("drawing the map"):
            m = _draw_map(
                result, net, centre_layer, config,
                offline=offline, tiles=tiles, tiles_datum=tiles_datum, title=title, lang=lang,
            )
        write_map(m, out, overwrite=overwrite)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    _ = translator(lang)
    size_kb = out.stat().st_size / 1024
    mode = _("offline: loads nothing from the network") if offline else _("online")
    click.echo(
        _("map of {communities} communities and {centres} centres -> {out} ({kb:,.0f} KB, {mode})")
        .format(
            communities=len(result.table), centres=len(result.centres), out=out, kb=size_kb,
            mode=mode,
        )
    )


@cli.command(short_help=_h("Run coverage for several scenarios and compare them."))
@click.argument("scenarios", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--network",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_NETWORK,
    show_default="bundled central Helsinki OSM extract",
    help="Street network, as for `circle coverage`.",
)
@click.option("--centres", metavar="FILE", help="Centres, as for `circle coverage`.")
@click.option("--communities", metavar="FILE", help="Communities, as for `circle coverage`.")
@_layer_options
@_partition_options
@_partition_areas_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for <scenario>.csv (one coverage table per scenario) and comparison.csv.",
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help="Replace output files that already exist in --out.",
)
@click.pass_context
def sweep(
    ctx: click.Context,
    scenarios: Path,
    network: Path,
    centres: str | None,
    communities: str | None,
    layer_crs: str | None,
    out: Path,
    overwrite: bool,
    **opts,
) -> None:
    """Run coverage once per scenario of a TOML file, as Dask tasks, and compare the scenarios.

    Each scenario sets speed_kmh, minutes, max_snap_m and search_limit_min (a [defaults]
    table applies to all). One task runs per (part, scenario): with --partition tiles or
    --partition-by the study area is cut into parts, otherwise it is one part. Writes one
    coverage table per scenario (<name>.csv) and comparison.csv (coverage share per band).

    A scenario with add = K first proposes K new centres, as `circle site --add K`, among its
    candidates ("osm": the network's OSM tags, the default; "grid:200": one street node per
    200 m square; or a file, relative to the scenarios file), then reports the coverage with
    them added (<name>.proposals.csv lists them). Siting runs on the whole study area in this
    process, not per part.

    \b
    scenarios.toml:
      [defaults]
      minutes = [5, 10, 15]
      [[scenario]]
      name = "baseline"
      [[scenario]]
      name = "slow-walkers"
      speed_kmh = 3.0
      [[scenario]]
      name = "two-more"
      add = 2
      candidates = "grid:200"

    \b
    Examples:
      $ circle sweep scenarios.toml --out sweep/
      $ circle sweep scenarios.toml --network liaoning.osm.pbf --centres centres.gpkg \\
          --communities communities.gpkg --partition tiles --tile-km 10 --out sweep/
    """
    from ..runs.sweep import (
        comparison_table,
        comparison_text,
        read_scenarios,
        run_siting_scenario,
        scenario_candidates,
        write_sweep_outputs,
    )

    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    names = ("id", "name", "type", "population", "lon", "lat")
    columns = LayerColumns(**{n: opts.pop(f"{n}_column") for n in names})
    partition_opts = opts
    try:
        scenario_list = read_scenarios(scenarios)
        configs = {s.name: s.config for s in scenario_list if s.add is None}
        siting = [s for s in scenario_list if s.add is not None]
        osm_needed = any(s.candidates == "osm" for s in siting)
        if osm_needed and not Path(network).name.lower().endswith(OSM_SUFFIXES):
            msg = (
                f"{scenarios}: candidates = \"osm\" (the default for add) needs an OSM network "
                f"file, not {_label(network)}; give candidates = \"grid:200\" or a file"
            )
            raise click.UsageError(msg, ctx=ctx)
        min_component_m = scenario_list[0].config.min_component_m  # not a scenario key
        partitioning = _partitioning(ctx, partition_opts, layer_crs, required=True)
        with progress.stage(f"reading the walking network {network.name}"):
            net = load_network(network, min_component_m=min_component_m)
        with progress.stage("reading centres and communities"):
            centre_layer, community_layer = _load_layers(
                network, centres, communities, columns, layer_crs
            )
        results = {}
        if configs:
            with progress.stage(f"running {len(configs)} scenarios"):
                results = _run_parts(
                    ctx,
                    partition_opts,
                    communities=community_layer,
                    centres=centre_layer,
                    network=net,
                    configs=configs,
                    partitioning=partitioning,
                )
        sitings = {}
        for s in siting:
            with progress.stage(f"scenario {s.name}: siting {s.add} new centres (whole area)"):
                candidates = scenario_candidates(
                    s.candidates, net, network, centre_layer, columns=columns, crs=layer_crs
                )
                results[s.name], sitings[s.name] = run_siting_scenario(
                    s, community_layer, centre_layer, net, candidates
                )
        results = {s.name: results[s.name] for s in scenario_list}  # in the file's order
        with progress.stage(f"writing {out}"):
            write_sweep_outputs(results, out, overwrite=overwrite, sitings=sitings)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    click.echo(comparison_text(comparison_table(results, sitings)), nl=False)


@cli.command(
    short_help=_h("Write editable layers (centres, communities, candidates, gates) from OSM.")
)
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
    social facilities, post offices) and gates (entrance and gate nodes on a community's
    outline). Correct them in QGIS, then feed them back:
    `circle coverage --centres layers.gpkg --communities layers.gpkg --gates layers.gpkg`
    (each option picks the layer named after it).

    \b
    Examples:
      $ circle extract shenhe.osm.pbf --out layers.gpkg
      $ circle extract shenhe.osm.pbf --out layers.gpkg --presets my_tags.toml --overwrite
    """
    progress = _Progress(quiet=ctx.obj["quiet"] > 0)
    try:
        with progress.stage(f"reading the tags of {osm_file.name}"):
            tag_presets = presets_from_file(presets) if presets is not None else None
            layers = extract_osm_layers(osm_file, presets=tag_presets)
        with progress.stage(f"writing {out}"):
            write_layers_geopackage(layers, out, overwrite=overwrite)
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    for name, layer in layers.items():
        click.echo(f"{name:<12} {len(layer):>6} features")
    click.echo(f"written: {out}")


@cli.command(
    short_help=_h("Propose sites for new centres: the best K, or the fewest for everyone.")
)
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
@_candidate_options
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
@click.option(
    "--demand",
    metavar="COLUMN",
    help="Count the people of this key group (a count column of the communities, e.g. "
    "graduates) instead of the population: --add K then brings the most of them within the "
    "circle. Empty cells count 0 (the summary says how many).",
)
@_run_options
@_layer_options
@_report_output_options(
    "proposals.csv, proposals.geojson, summary.md and summary.json",
    db_tables="proposals and siting_summary",
)
@click.option(
    "--map",
    "with_map",
    is_flag=True,
    help="Also write map.html into --out: a what-if map that opens with no internet, where "
    "clicking candidate sites shows who they bring within the circle (proposals start on).",
)
@_lang_option
@_csv_header_option
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
    demand: str | None,
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
    datum: str,
    out: Path | str | None,
    overwrite: bool,
    if_exists: str | None,
    fmt: str,
    with_map: bool,
    lang: str,
    csv_header: str,
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
      $ circle site --add 2 --communities communities.gpkg --demand graduates
      $ circle site --add 3 --out "postgresql://planner@gis.example/city?schema=circle" \\
          --if-exists replace
      $ circle site --add 5 --network shenhe.osm.pbf --centres centres.csv \\
          --communities communities.gpkg --candidates vacant_buildings.csv --out sites/
      $ circle site --add 3 --out sites/ --map     # then open sites/map.html and click
    """
    if (add is None) == (not cover_all):
        msg = "give either --add K or --cover-all"
        raise click.UsageError(msg, ctx=ctx)
    to_db = out is not None and is_db_url(out)
    if to_db and overwrite:
        raise click.UsageError("--overwrite is for an --out folder; use --if-exists", ctx=ctx)
    if if_exists is not None and not to_db:
        raise click.UsageError("--if-exists is for an --out database; use --overwrite", ctx=ctx)
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
    if with_map and (out is None or is_db_url(out)):
        msg = "--map writes map.html into the --out folder: give --out DIR"
        raise click.UsageError(msg, ctx=ctx)
    candidate_options = _candidate_sources(
        ctx, network, candidates_file, from_osm, candidate_tags, candidates_grid_m, columns,
        layer_crs, datum,
    )
    started = time.perf_counter()
    try:
        with progress.stage(f"reading the walking network {_label(network)}"):
            net = load_network(network, min_component_m=config.min_component_m)
        with progress.stage("reading centres, communities and candidate sites"):
            centre_layer, community_layer = _load_layers(
                network, centres, communities, columns, layer_crs, datum=datum
            )
            candidate_layer = gather_candidates(network, net, centre_layer, **candidate_options)
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
                demand=demand,
            )
        summary = siting_summary(result)
        extra = {}
        if with_map:
            with progress.stage("drawing the what-if map"):
                extra["map.html"] = map_html(_draw_whatif_map(result, net, centre_layer, config))
        if to_db:
            with progress.stage(f"writing {_label(out)}"):
                write_db_tables(out, siting_tables(result), if_exists=if_exists or "fail")
        elif out is not None:
            with progress.stage(f"writing {out}"):
                write_siting_outputs(
                    result, out, overwrite=overwrite, extra_files=extra, lang=lang,
                    csv_header=csv_header,
                )
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err
    except CircleError as err:
        raise click.ClickException(str(err)) from err
    text = {
        "table": partial(siting_text, lang=lang),
        "markdown": partial(siting_markdown, lang=lang),
        "json": summary_json,
    }[fmt]
    click.echo(text(summary), nl=False)
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def main() -> None:
    """Entry point of the `circle` command."""
    cli(prog_name="circle")
