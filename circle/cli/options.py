"""The registry of the options the commands share (rasterio's ``rio/options.py`` is the model).

Each decorator adds a group of options to a command; `pass_config` and `pass_columns` then hand
the command one `CircleConfig` and one `LayerColumns` built from them. The groups and the commands
that take them:

- `input_options` (--network, --centres, --communities): coverage, map, site;
  `centre_input_options` (--network, --centres): isochrones
- `db_options` (--db, --network-table/-query, --centres-table/-query, --communities-table/-query),
  resolved by `db_layer_sources`: coverage
- `layer_file_options` (--centres-layer/-datum, --communities-layer/-datum): coverage
- `run_options` (--speed-kmh, --minutes/-m, --max-snap-m, --mode, --within-km, and
  `walk_options`), made a `CircleConfig` by `pass_config`: coverage, isochrones, map, site
- `walk_options` (--dem, --dem-spacing-m, --access-slack-m): with `run_options`, and sweep
- `layer_options` (--id/--name/--type/--population-column, --lon/--lat-column, --layer-crs,
  --datum), the columns made a `LayerColumns` by `pass_columns`: coverage, isochrones, map,
  site, sweep
- `data_options` (--presets, --population-raster, --population-from-osm, --by, --areas,
  --areas-name-column, --areas-layer, --place, --bbox): coverage
- `partition_options` (--partition, --tile-km, --partition-by, --scheduler, --workers,
  --work-dir): coverage, sweep; `partition_areas_option` (--areas): sweep
- `candidate_options` (--candidates, --candidates-from-osm, --candidate-tag,
  --candidates-grid-m): coverage (--whatif), site
- `report_output_options` (--out DIR|URL, --overwrite, --format, --if-exists): site;
  `output_options` (--out DIR, --overwrite): compare, rerun
- `lang_option` (--lang): compare, coverage, map, site; `csv_header_option` (--csv-header):
  coverage, site
- `hours_options` (--at, --hours-column, --hours-unparsed, --hours-day, --hours-range,
  --holidays-country), made a `HoursOptions` by `hours_from`: coverage, map, site
- `buffer_option` (--buffer-m): isochrones, map; `overwrite_file_option` (--overwrite): isochrones,
  map

Only click and light circle modules are imported here: ``circle --help`` reads no data library.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..bundled import DEFAULT_NETWORK
from ..config import CircleConfig, default_search_limit_min, get_mode, get_profile
from ..i18n import LANGUAGES, default_lang, translator
from ..io.choices import IF_EXISTS
from ..io.datums import DATUMS
from ..siting.tags import CANDIDATE_TAGS, DEFAULT_GRID_SPACING_M
from .column_options import COLUMN_FIELDS as COLUMN_FIELDS
from .column_options import columns_from as columns_from
from .column_options import layer_options as layer_options
from .column_options import pass_columns as pass_columns
from .walk_options import walk_config as walk_config
from .walk_options import walk_options as walk_options
from .rural_options import MODE_OPTIONS
from .rural_options import hours_from as hours_from
from .rural_options import hours_options as hours_options

#: help texts in the environment's language (CIRCLE_LANG, LC_ALL, LANG): click builds the help
#: when the command modules are imported, so `--lang` cannot change it, but `CIRCLE_LANG=zh` can
_h = translator(default_lang())



class PathOrDb(click.Path):
    """A path, or a ``postgresql://`` URL kept as text; as an output (`out_path`), ``-``."""

    def __init__(self, *args: Any, outputs: bool = False, stdout: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.outputs, self.stdout = outputs, stdout

    def convert(self, value, param, ctx):
        from ..io.db import is_db_url

        if is_db_url(value):
            return value
        if self.outputs and str(value) == "-" and not self.stdout:
            self.fail("'-' (standard output) is not an output of this command: give a file or "
                      "folder name (`circle coverage --out -` writes CSV to stdout)", param, ctx)
        return STDOUT if self.outputs and str(value) == "-" else super().convert(value, param, ctx)


STDOUT = "-"  #: `--out -`: the main table as CSV on standard output


def out_path(*, db: bool = False, stdout: bool = False, **kw: bool) -> click.Path:
    """The type of an --out option: a path, a database URL with `db`, ``-`` with `stdout`."""
    return (PathOrDb if db else _OutPath)(path_type=Path, outputs=True, stdout=stdout, **kw)


class _OutPath(PathOrDb):
    def convert(self, value, param, ctx):  # a path (a database URL is a path here), or -
        fn = super().convert if str(value) == "-" else functools.partial(click.Path.convert, self)
        return fn(value, param, ctx)


DB_LAYERS = ("network", "centres", "communities")
#: the help of --LAYER-query and --LAYER-table, one literal text each (the catalogue's keys)
_DB_HELP = {
    "network": (
        _h("Read the network from this SELECT on the --db database."),
        _h("Read the network from this table or view ([schema.]name) of --db."),
    ),
    "centres": (
        _h("Read the centres from this SELECT on the --db database."),
        _h("Read the centres from this table or view ([schema.]name) of --db."),
    ),
    "communities": (
        _h("Read the communities from this SELECT on the --db database."),
        _h("Read the communities from this table or view ([schema.]name) of --db."),
    ),
}


def db_options(f):
    """--db URL with --LAYER-table / --LAYER-query for the network, centres and communities."""
    options = []
    for layer in DB_LAYERS[::-1]:
        options += [
            click.option(
                f"--{layer}-query",
                metavar="SQL",
                help=_DB_HELP[layer][0],
            ),
            click.option(
                f"--{layer}-table",
                metavar="NAME",
                help=_DB_HELP[layer][1],
            ),
        ]
    options.append(
        click.option(
            "--db",
            metavar="URL",
            help=_h(
                "PostGIS database for the --*-table/--*-query options: postgresql://USER@HOST/DB "
                "(password, port, ?service=NAME or the PG* environment variables as libpq reads "
                "them)."
            ),
        )
    )
    for option in options:
        f = option(f)
    return f


def db_layer_sources(ctx: click.Context, given: dict, db: str | None, tables: dict) -> dict:
    """Replace the network/centres/communities sources by --db tables or queries where asked."""
    from ..io.db import db_source, is_db_url

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
    for layer in DB_LAYERS:
        table, query = tables.get(f"{layer}_table"), tables.get(f"{layer}_query")
        if table is None and query is None:
            continue
        if table is not None and query is not None:
            msg = f"give --{layer}-table or --{layer}-query, not both"
        elif ctx.get_parameter_source(layer) is click.core.ParameterSource.COMMANDLINE:
            msg = f"give --{layer} or a --db table/query for it, not both"
        if msg:
            raise click.UsageError(msg, ctx=ctx)
        assert db is not None  # a table or query without --db was refused above
        out[layer] = db_source(db, table=table, query=query)
    return out


def input_options(f, *, with_communities: bool = True):
    options = [
        click.option(
            "--communities",
            metavar="FILE|URL",
            help=_h("Communities (polygons or points) with an optional population column; same "
            "formats. Default: the network's residential areas (landuse=residential), population "
            "estimated from OSM buildings."),
        )
        if with_communities
        else None,
        click.option(
            "--centres",
            metavar="FILE|URL",
            help=_h("Employment service centres: GeoJSON, GeoPackage, GeoParquet, Shapefile, CSV "
            "with lon/lat, or a PostGIS table (postgresql://USER@HOST/DB?table=centres). Default: "
            "derived from the network's OSM tags (community centres, town "
            "halls, job centres)."),
        ),
        click.option(
            "--network",
            type=PathOrDb(dir_okay=False, path_type=Path),
            metavar="FILE|URL",
            default=DEFAULT_NETWORK,
            show_default="bundled central Helsinki OSM extract",
            help=_h(
                "Street network: .osm, .osm.bz2, .osm.pbf (e.g. a district cut from a Geofabrik "
                "extract with osmium), an osmnx .graphml file, or a PostGIS table of street "
                "centrelines (postgresql://USER@HOST/DB?table=roads)."
            ),
        ),
    ]
    for option in options:
        if option is not None:
            f = option(f)
    return f


def centre_input_options(f):
    return input_options(f, with_communities=False)


#: the help of --KIND-datum and --KIND-layer
_FILE_HELP = {
    "centres": (
        _h("Map datum of the centres file (default: --datum)."),
        _h(
            "Layer of a GeoPackage or sheet of an Excel file holding the centres (default: the "
            "one named 'centres', else the only one)."
        ),
    ),
    "communities": (
        _h("Map datum of the communities file (default: --datum)."),
        _h(
            "Layer of a GeoPackage or sheet of an Excel file holding the communities (default: "
            "the one named 'communities', else the only one)."
        ),
    ),
}


def layer_file_options(*kinds: str):
    """Per input file: ``--KIND-layer`` (GeoPackage layer / Excel sheet) and ``--KIND-datum``."""

    def decorate(f):
        for kind in reversed(kinds):
            f = click.option(
                f"--{kind}-datum",
                type=click.Choice(DATUMS),
                help=_FILE_HELP[kind][0],
            )(f)
            f = click.option(
                f"--{kind}-layer",
                metavar="NAME",
                help=_FILE_HELP[kind][1],
            )(f)
        return f

    return decorate


def data_options(f):
    """Tag presets, population sources, roll-up areas and downloads (issue 7)."""
    options = [
        click.option(
            "--bbox",
            metavar="W,S,E,N",
            help=_h("Instead of --network: download a bounding box (WGS84 degrees "
            "west,south,east,north) with osmnx; needs internet once, then cached."),
        ),
        click.option(
            "--place",
            metavar="TEXT",
            help=_h("Instead of --network: download the walking network and OSM tags of a place "
            '(e.g. "和平区, 沈阳市") with osmnx; needs internet once, then cached.'),
        ),
        click.option(
            "--areas-layer",
            metavar="NAME",
            help=_h(
                "Layer of a GeoPackage holding the areas (default: 'areas', else the only one)."
            ),
        ),
        click.option(
            "--areas-name-column",
            default="name",
            show_default=True,
            metavar="NAME",
            help=_h("Column of --areas holding the area names."),
        ),
        click.option(
            "--areas",
            "areas_file",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help=_h("Area polygons (street offices 街道, districts) to roll the report up by: a "
            "community belongs to the area holding its representative point."),
        ),
        click.option(
            "--by",
            metavar="COLUMN",
            help=_h("Roll the report up by this column of the communities (e.g. street, 街道)."),
        ),
        click.option(
            "--population-from-osm",
            is_flag=True,
            help=_h(
                "Estimate the population of communities without a figure from the floor space "
                "of the OSM buildings in the network's OSM file (footprint × levels ÷ 40 m² per "
                "person)."
            ),
        ),
        click.option(
            "--population-raster",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help=_h("Population raster (people per pixel, e.g. WorldPop GeoTIFF), summed over "
            "each community without a population figure."),
        ),
        click.option(
            "--presets",
            type=click.Path(dir_okay=False, path_type=Path),
            help=_h("TOML or JSON file overriding the OSM tag presets (which tags make centres, "
            "communities, gates; population assumptions). See the README."),
        ),
    ]
    for option in options:
        f = option(f)
    return f


def lang_option(f):
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


def csv_header_option(f):
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


def run_options(f):
    f = walk_options(f)
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
    for option in [*options, *MODE_OPTIONS]:
        f = option(f)
    return f


def partition_options(f):
    options = [
        click.option(
            "--work-dir",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help=_h("Folder for the parts' networks and outputs (default: a 'parts' folder in the "
            "cache). Every worker must see it at this path; a rerun skips the parts already "
            "complete there."),
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            metavar="N",
            help=_h("Worker processes of the local Dask cluster (default: one per core)."),
        ),
        click.option(
            "--scheduler",
            metavar="tcp://HOST:PORT",
            help=_h("Run the parts on this existing Dask cluster instead of a local one."),
        ),
        click.option(
            "--partition-by",
            metavar="COLUMN",
            help=_h("Run one part per value of this column of --areas (e.g. city)."),
        ),
        click.option(
            "--tile-km",
            type=float,
            default=10.0,
            show_default=True,
            help=_h("Tile side for --partition tiles."),
        ),
        click.option(
            "--partition",
            type=click.Choice(["tiles"]),
            help=_h("Cut the study area into square tiles (each with a halo that keeps its walks "
            "exact) and run them on a Dask cluster."),
        ),
    ]
    for option in options:
        f = option(f)
    return f


def report_output_options(out_help: str, *, db: bool = False):
    """--out, --overwrite and --format; `out_help` says what --out receives. With `db` (the
    help names the tables written), --out also takes a PostGIS URL and --if-exists is added."""

    def decorate(f):
        db_options = [
            click.option(
                "--if-exists",
                type=click.Choice(IF_EXISTS),
                show_default="fail",
                help=_h("When --out is a database and a result table exists: fail (name it), "
                "replace it, or append the rows."),
            )
        ]
        options = [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["table", "markdown", "json"]),
                default="table",
                show_default=True,
                help=_h("What to print on stdout: a short table, the Markdown report, or the JSON "
                "summary."),
            ),
            click.option(
                "--overwrite/--no-overwrite",
                default=False,
                show_default=True,
                help=_h("Replace output files that already exist in --out."),
            ),
            click.option(
                "--out",
                type=out_path(file_okay=False, db=db),
                metavar="DIR|URL" if db else "DIR",
                help=out_help,
            ),
        ]
        for option in options + (db_options if db else []):
            f = option(f)
        return f

    return decorate


def partition_areas_option(f):
    """--areas for `circle sweep` (`circle coverage` shares its roll-up --areas)."""
    return click.option(
        "--areas",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help=_h("Polygons of the parts (e.g. the cities of a province), for --partition-by."),
    )(f)


def _parse_tags(ctx, param, values):
    """``KEY=VALUE`` or ``KEY=VALUE:TYPE`` options as ``{(key, value): type}``."""
    from .._validate import CENTRE_TYPES

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


def candidate_options(f):
    """The candidate-site options shared by `circle site` and `circle coverage --whatif`."""
    for option in reversed(_CANDIDATE_OPTIONS):
        f = option(f)
    return f


_CANDIDATE_OPTIONS = [
    click.option(
        "--candidates",
        "candidates_file",
        metavar="FILE",
        help=_h("Candidate sites (points or polygons; id, name, type columns), e.g. vacant public "
        "buildings, enterprises, industrial parks, colleges; same formats as --centres."),
    ),
    click.option(
        "--candidates-from-osm",
        "from_osm",
        is_flag=True,
        help=_h(
            "Candidate sites from the network's OSM tags (the default when no candidate source "
            "is given): {tags}."
        ).format(tags=_DEFAULT_TAGS_HELP),
    ),
    click.option(
        "--candidate-tag",
        "candidate_tags",
        multiple=True,
        metavar="KEY=VALUE[:TYPE]",
        callback=_parse_tags,
        help=_h(
            "Use these OSM tags instead of the defaults (implies --candidates-from-osm); repeat "
            "for several, e.g. --candidate-tag amenity=school:college."
        ),
    ),
    click.option(
        "--candidates-grid-m",
        type=click.FloatRange(min=0, min_open=True),
        is_flag=False,
        flag_value=DEFAULT_GRID_SPACING_M,
        metavar="[SPACING]",
        help=_h(
            "Candidate sites on the street network: one street node per SPACING x SPACING "
            "metres square; SPACING is {spacing} when not given."
        ).format(spacing=f"{DEFAULT_GRID_SPACING_M:g}"),
    ),
]


def output_options(out_help: str):
    """--out FOLDER and --overwrite, for commands that write files."""

    def decorate(f):
        f = click.option(
            "--overwrite/--no-overwrite",
            default=False,
            show_default=True,
            help=_h("Replace output files that already exist in --out."),
        )(f)
        return click.option(
            "--out", type=out_path(file_okay=False), help=out_help
        )(f)

    return decorate


def buffer_option(f):
    return click.option(
        "--buffer-m",
        type=float,
        default=25.0,
        show_default=True,
        help=_h("Isochrones are the reached parts of streets widened by this margin on each side "
        "(the walk from the street to a door)."),
    )(f)


def overwrite_file_option(f):
    return click.option(
        "--overwrite/--no-overwrite",
        default=False,
        show_default=True,
        help=_h("Replace the output file if it exists."),
    )(f)


def _check_suffix(ctx, param, value: Path) -> Path:
    from ..io.outputs import OUTPUT_SUFFIXES

    if value.suffix.lower() not in OUTPUT_SUFFIXES:
        msg = f"{value}: use a .geojson or .gpkg file name"
        raise click.BadParameter(msg, ctx=ctx, param=param)
    return value


# ---- option groups -> the objects a command works with -------------------------------------------


def make_config(
    ctx: click.Context,
    speed_kmh: float,
    minutes: tuple[float, ...],
    max_snap_m: float,
    *,
    search_limit_min: float | None = None,
    profile: str | None = None,
    mode: str = "walk",
    within_km: float | None = None,
    **fields: Any,
) -> CircleConfig:
    """The `CircleConfig` of the `run_options` (and a command's own fields); a bad value or
    --profile given with --speed-kmh (or with a mode other than walk) is a usage error (exit
    2). The mode's speed applies unless --speed-kmh or --profile is given."""
    from ..errors import ConfigError

    speed_given = (
        ctx.get_parameter_source("speed_kmh") is not click.core.ParameterSource.DEFAULT
    )
    if profile is not None and mode != "walk":
        msg = f"--profile {profile} is a walking speed; with --mode {mode} give --speed-kmh"
        raise click.UsageError(msg, ctx=ctx)
    if mode != "walk" and not speed_given:
        speed_kmh = get_mode(mode).speed_kmh
    if profile is not None:
        if speed_given:
            msg = (
                f"--profile {profile} sets the walking speed ({get_profile(profile).speed_kmh:g} "
                "km/h); give --profile or --speed-kmh, not both"
            )
            raise click.UsageError(msg, ctx=ctx)
        speed_kmh = get_profile(profile).speed_kmh
        if get_profile(profile).changes_network:
            fields["walk_profile"] = profile
    if search_limit_min is None:
        search_limit_min = default_search_limit_min(minutes)
    try:
        return CircleConfig(
            walk_speed_kmh=speed_kmh,
            thresholds_min=tuple(minutes),
            max_snap_m=max_snap_m,
            search_limit_min=search_limit_min,
            mode=mode,
            within_km=within_km,
            **fields,
        )
    except ConfigError as err:
        raise click.UsageError(str(err), ctx=ctx) from err


def pass_config(**fields: str) -> Callable[[Callable], Callable]:
    """Hand the command one `CircleConfig` as ``config`` instead of the `run_options` values.

    `fields` maps further `CircleConfig` fields to the options holding them, e.g.
    ``pass_config(isochrone_buffer_m="buffer_m")``; --search-limit-min and --profile are used
    when the command has them.
    """

    def decorate(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            extra = {field: kwargs.pop(option) for field, option in fields.items()}
            extra.update(walk_config(kwargs))
            for option in ("search_limit_min", "profile", "mode", "within_km"):
                if option in kwargs:
                    extra[option] = kwargs.pop(option)
            kwargs["config"] = make_config(
                click.get_current_context(),
                kwargs.pop("speed_kmh"),
                kwargs.pop("minutes"),
                kwargs.pop("max_snap_m"),
                **extra,
            )
            return f(*args, **kwargs)

        return wrapper

    return decorate

