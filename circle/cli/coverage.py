"""``circle coverage``: which communities reach a centre within the walk-time bands."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import PROFILES
from ..io.choices import IF_EXISTS
from .common import Progress, absolute, finished, handle_errors, label
from .options import (
    STDOUT,
    _h,
    candidate_options,
    csv_header_option,
    data_options,
    db_options,
    hours_from,
    hours_options,
    input_options,
    lang_option,
    layer_file_options,
    layer_options,
    out_path,
    partition_options,
    pass_columns,
    pass_config,
    run_options,
)
from .partition import partitioning, run_parts

if TYPE_CHECKING:
    from ..config import CircleConfig
    from ..io.columns import LayerColumns
    from ..runs.candidates import CandidateSources
    from ..runs.job import CoverageJob, JobOutcome

#: the options of the partitioned runs (`partition_options`)
_PARTITION_KEYS = ("partition", "tile_km", "partition_by", "scheduler", "workers", "work_dir")


_COVERAGE_EXAMPLES = """\
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
  $ circle coverage --centres centres.gpkg --capacity-column staff \\
      --capacity-unit staff --decay step --crowded-below 2 --out report/
"""
#: the command's help, its two paragraphs through the catalogue (CIRCLE_LANG=zh), then the examples
_COVERAGE_HELP = (
    _h("Walk from every community to its nearest employment service centre.")
    + "\n\n"
    + _h(
        "A community is covered when its walk (to the street, along it, and from the street to "
        "the centre) takes at most the largest --minutes. With no options it runs on the bundled "
        "demo: real OpenStreetMap data of central Helsinki (no Liaoning extract can be bundled "
        "offline)."
    )
    + "\n\n"
    + _COVERAGE_EXAMPLES
)


@click.command(
    short_help=_h("Report which communities reach a centre within the walk-time bands."),
    help=_COVERAGE_HELP,
)
@input_options
@db_options
@layer_file_options("centres", "communities")
@run_options
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    help=_h("Walking profile instead of --speed-kmh: default 4 km/h (GB 50180-2018), winter "
    "3.5 km/h (snow and ice), elderly 3 km/h (people aged 65+); sources in the README."),
)
@click.option(
    "--profiles",
    "profiles",
    metavar="all|NAMES",
    help=_h("Also run every profile (all) or the named ones (e.g. default,elderly) and show "
    "their coverage side by side; with --out, writes profiles.csv, profiles.md, profiles.json."),
)
@click.option(
    "--gates",
    default="auto",
    show_default=True,
    metavar="FILE|osm|none|auto",
    help=_h("Gates of gated compounds: a point layer (community_id column, or points within "
    "--gate-tolerance-m of a community boundary), osm (the network's entrance=*/barrier=gate "
    "nodes), none. auto = osm when communities are derived from the OSM file, else none."),
)
@click.option(
    "--gate-tolerance-m",
    type=float,
    default=5.0,
    show_default=True,
    help=_h("A gate without community_id belongs to a community whose boundary is this close."),
)
@click.option(
    "--group-columns",
    metavar="A,B,...",
    help=_h("Key-group count columns of the communities layer (default: those present of "
    "graduates, migrant_workers, veterans, unemployed, low_income, new_employment_forms)."),
)
@click.option(
    "--search-limit-min",
    type=float,
    metavar="MIN",
    help=_h("Stop each walk search at this many minutes (default 60, or the largest --minutes); "
    "farther communities are beyond_limit. A partitioned run's halo is this walk plus "
    "--max-snap-m, so --search-limit-min 15 makes the parts much smaller."),
)
@layer_options
@partition_options
@data_options
@click.option(
    "--out",
    type=out_path(file_okay=False, db=True, stdout=True),
    metavar="DIR|URL|-",
    help=_h("Folder for coverage.csv, coverage.geojson, summary.md, summary.json (areas.csv with "
    "--by/--areas) and manifest.json (inputs with sha256, parameters, versions: `circle rerun` "
    "reproduces it); "
    "or a PostGIS database, postgresql://USER@HOST/DB?schema=circle, for the tables coverage, "
    "coverage_bands and coverage_summary (written in one transaction)."),
)
@click.option(
    "--add-centres",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help=_h(
        "More centres to run with --centres, e.g. the proposals.csv of `circle site` or the "
        "what-if map's exported selection: today's centres plus the proposed sites, their ids "
        "kept apart."
    ),
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help=_h("Replace output files that already exist in the --out folder."),
)
@click.option(
    "--if-exists",
    type=click.Choice(IF_EXISTS),
    show_default="fail",
    help=_h("When --out is a database and a result table exists: fail (name it), replace it, or "
    "append the rows."),
)
@click.option(
    "--map",
    "with_map",
    is_flag=True,
    help=_h("Also write map.html into --out: an interactive map that opens with no internet "
    "(see `circle map` for base maps and other options)."),
)
@click.option(
    "--whatif",
    is_flag=True,
    help=_h("Also write whatif.html into --out: a map where clicking candidate sites (see "
    "--candidates and the options below) shows who each would bring within the circle; "
    "it starts with none chosen, and Reset switches on the fewest sites covering everyone."),
)
@candidate_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help=_h("What to print on stdout: a short table, the Markdown report, or the JSON summary."),
)
@click.option(
    "--capacity-column",
    metavar="COLUMN",
    help=_h(
        "Capacity column of the centres layer (staff, desks or daily service slots): adds "
        "capacity per 10,000 people served, 2SFCA scores, crowded centres and equity."
    ),
)
@click.option(
    "--capacity-unit",
    default="",
    metavar="TEXT",
    help=_h("Unit of the capacity column as the report should state it (e.g. staff)."),
)
@click.option(
    "--decay",
    type=click.Choice(["none", "step", "gaussian"]),
    default="none",
    show_default=True,
    help=_h(
        "Distance decay of the 2SFCA score: none (classic), step (enhanced 2SFCA) or gaussian."
    ),
)
@click.option(
    "--gaussian-sigma-m",
    type=click.FloatRange(min=0, min_open=True),
    metavar="METRES",
    help=_h("Width of the gaussian decay, metres (default: half the circle's walk)."),
)
@click.option(
    "--crowded-below",
    type=click.FloatRange(min=0),
    metavar="N",
    help=_h("A centre with less than N capacity per 10,000 people served is crowded."),
)
@click.option(
    "--equity",
    is_flag=True,
    help=_h(
        "Measure equity (Gini, Palma ratio, Lorenz curve of walk time; key-group gaps); "
        "on with --capacity-column."
    ),
)
@hours_options
@click.option(
    "--mode-column",
    metavar="COLUMN",
    help=_h(
        "Communities column naming each community's travel mode (walk, bike, ebike; blank: "
        "--mode), e.g. villages by e-bike and urban communities on foot; the report splits "
        "coverage by it."
    ),
)
@lang_option
@csv_header_option
@pass_config(gate_tolerance_m="gate_tolerance_m")
@pass_columns
@handle_errors
@click.pass_context
def coverage(
    ctx: click.Context, config: CircleConfig, columns: LayerColumns, **opts: Any
) -> None:
    """Walk from every community to its nearest centre (the help text: `_COVERAGE_HELP`)."""
    from ..coverage.core import summarise

    _check_sources(ctx, opts)
    _check_outputs(ctx, opts)
    sources = _whatif_sources(ctx, columns, opts) if opts["whatif"] else None
    job = _coverage_job(ctx, config, columns, opts)
    started = time.perf_counter()
    progress = Progress.of(ctx)
    outcome = _run(ctx, job, opts, progress)
    _write(job, outcome, sources, opts, progress)
    if opts["out"] != STDOUT:  # with --out -, stdout holds the CSV table only
        _print(outcome, summarise(outcome.result), opts["fmt"], opts["lang"])
    finished(ctx, started)


def _check_sources(ctx: click.Context, opts: dict[str, Any]) -> None:
    """One network source; --by or --areas; --bbox; the --db tables (usage errors, exit 2)."""
    from ..errors import ConfigError
    from ..network.online import parse_bbox
    from .options import DB_LAYERS, db_layer_sources

    online = opts["place"] is not None or opts["bbox"] is not None
    network_given = ctx.get_parameter_source("network") is not click.core.ParameterSource.DEFAULT
    if online and (network_given or (opts["place"] is not None and opts["bbox"] is not None)):
        msg = "give one of --network, --place and --bbox"
        raise click.UsageError(msg, ctx=ctx)
    if opts["by"] is not None and opts["areas_file"] is not None:
        msg = "give --by or --areas, not both"
        raise click.UsageError(msg, ctx=ctx)
    try:
        opts["bbox"] = parse_bbox(opts["bbox"]) if opts["bbox"] is not None else None
    except ConfigError as err:
        raise click.BadParameter(str(err), ctx=ctx, param_hint="--bbox") from err
    tables = {k: opts.pop(k) for k in list(opts) if k.endswith(("_table", "_query"))}
    given = {k: opts[k] for k in DB_LAYERS}
    opts.update(db_layer_sources(ctx, given, opts["db"], tables))
    opts["online"] = online


def _check_outputs(ctx: click.Context, opts: dict[str, Any]) -> None:
    """--out as a folder or a database; --profiles; --map and --whatif need a folder."""
    from ..config import parse_profiles
    from ..errors import ConfigError
    from ..io.db import is_db_url

    out = opts["out"]
    msg = None
    if out == STDOUT and (opts["overwrite"] or opts["partition"] or opts["partition_by"]
                          or opts["profiles"] or opts["group_columns"]):
        msg = (
            "--out - writes one coverage table as CSV to stdout: drop --overwrite, --partition, "
            "--profiles and --group-columns, or give --out DIR"
        )
    elif out is not None and is_db_url(out) and opts["overwrite"]:
        msg = "--overwrite is for an --out folder; use --if-exists"
    elif opts["if_exists"] is not None and (out is None or not is_db_url(out)):
        msg = "--if-exists is for an --out database; use --overwrite"
    if msg:
        raise click.UsageError(msg, ctx=ctx)
    try:
        names = parse_profiles(opts["profiles"]) if opts["profiles"] else ()
    except ConfigError as err:
        raise click.BadParameter(str(err), ctx=ctx, param_hint="--profiles") from err
    opts["profiles"] = tuple(p.name for p in names)
    if opts["with_map"] and (out is None or out == STDOUT or is_db_url(out)):
        msg = "--map writes map.html into the --out folder: give --out DIR"
        raise click.UsageError(msg, ctx=ctx)


def _whatif_sources(
    ctx: click.Context, columns: LayerColumns, opts: dict[str, Any]
) -> CandidateSources:
    """The candidate sources of --whatif, checked with what --whatif needs."""
    from ..io.db import is_db_url
    from ..runs.candidates import CandidateSources

    out = opts["out"]
    msg = None
    if out is None or out == STDOUT or is_db_url(out):
        msg = "--whatif writes whatif.html into the --out folder: give --out DIR"
    elif (
        opts["online"] or opts["db"] is not None or opts["population_raster"]
        or opts["population_from_osm"]
    ):
        msg = (
            "--whatif reads the network and layers from files: drop --place, --bbox, "
            "--db and the --population-* options"
        )
    elif opts["partition"] or opts["partition_by"]:
        msg = "--whatif is for one (not partitioned) run: drop --partition"
    if msg:
        raise click.UsageError(msg, ctx=ctx)
    sources = CandidateSources(
        file=opts["candidates_file"], from_osm=opts["from_osm"], tags=opts["candidate_tags"],
        grid_m=opts["candidates_grid_m"], columns=columns, layer_crs=opts["layer_crs"],
        datum=opts["datum"],
    )
    sources.check(opts["network"])
    return sources


def _coverage_job(
    ctx: click.Context, config: CircleConfig, columns: LayerColumns, opts: dict[str, Any]
) -> CoverageJob:
    """The run as a `CoverageJob` (what the manifest records): paths absolute, the bundled
    layers in place of missing ones on the bundled network."""
    from ..bundled import default_layers
    from ..runs.job import CoverageJob

    network, centres, communities = opts["network"], opts["centres"], opts["communities"]
    if not opts["online"]:
        centres, communities = default_layers(network, centres, communities)
    areas_name_column = opts["areas_name_column"]
    if opts["partition_by"] and (
        ctx.get_parameter_source("areas_name_column") is click.core.ParameterSource.DEFAULT
    ):
        areas_name_column = opts["partition_by"]  # the parts are also the roll-up's areas
    gates, groups = opts["gates"], opts["group_columns"]
    return CoverageJob(
        network="" if opts["online"] else absolute(network),
        centres=absolute(centres),
        add_centres=absolute(opts["add_centres"]),
        communities=absolute(communities),
        gates=gates if gates in ("auto", "none", "osm") else absolute(gates),
        columns=columns,
        layer_crs=opts["layer_crs"],
        config=config,
        group_columns=None
        if groups is None
        else tuple(g.strip() for g in groups.split(",") if g.strip()),
        profiles=opts["profiles"],
        datum=opts["datum"],
        centres_datum=opts["centres_datum"],
        communities_datum=opts["communities_datum"],
        centres_layer=opts["centres_layer"],
        communities_layer=opts["communities_layer"],
        presets=absolute(opts["presets"]),
        population_raster=absolute(opts["population_raster"]),
        population_from_osm=opts["population_from_osm"],
        by=opts["by"],
        areas=absolute(opts["areas_file"]),
        areas_name_column=areas_name_column,
        areas_layer=opts["areas_layer"],
        place=opts["place"],
        bbox=opts["bbox"],
        capacity=_capacity(opts),
        mode_column=opts["mode_column"],
        hours=hours_from(ctx, opts),
    )


def _capacity(opts: dict[str, Any]):
    """The capacity and equity options as `CapacityOptions` (``None`` when none is given)."""
    from ..coverage.capacity import CapacityOptions

    if opts["gaussian_sigma_m"] is not None and opts["decay"] != "gaussian":
        msg = "--gaussian-sigma-m is the width of --decay gaussian; give both or neither"
        raise click.UsageError(msg)
    if opts["capacity_column"] is None and not opts["equity"]:
        return None
    return CapacityOptions(
        column=opts["capacity_column"], unit=opts["capacity_unit"], decay=opts["decay"],
        sigma_m=opts["gaussian_sigma_m"], crowded_below=opts["crowded_below"],
        equity=opts["equity"],
    )


def _run(ctx: click.Context, job: CoverageJob, opts: dict[str, Any], progress: Progress):
    """`run_job`, on a Dask cluster when --partition or --partition-by asks for it."""
    from ..runs.job import run_job

    partition_opts = {k: opts[k] for k in _PARTITION_KEYS}
    partition_opts["areas"] = opts["areas_file"] if opts["partition_by"] else None
    parts = partitioning(ctx, partition_opts, opts["layer_crs"], required=False)
    if parts is None:
        return run_job(job, stage=progress.stage)
    if job.profiles or job.group_columns is not None:
        msg = "--partition runs one coverage: drop --profiles and --group-columns"
        raise click.UsageError(msg, ctx=ctx)

    def partitioned(communities, centres, net, *, config, gates=None, groups=None):
        if gates is not None:
            msg = "--partition does not walk through gates yet: add --gates none"
            raise click.UsageError(msg, ctx=ctx)
        return run_parts(
            ctx, partition_opts, communities=communities, centres=centres, network=net,
            configs={"coverage": config}, partitioning=parts,
        )["coverage"]

    return run_job(job, stage=progress.stage, coverage=partitioned)


def _write(
    job: CoverageJob,
    outcome: JobOutcome,
    sources: CandidateSources | None,
    opts: dict[str, Any],
    progress: Progress,
) -> None:
    """map.html and whatif.html, then the result folder or the database tables."""
    from ..io.db import is_db_url

    out, extra = opts["out"], {}
    if opts["with_map"] or sources is not None:
        from ..maps.coverage_map import map_html
        from ..runs.maps import draw_coverage_map, whatif_of_run
    if opts["with_map"]:
        with progress.stage("drawing the map"):
            m = draw_coverage_map(
                outcome.result, outcome.network, outcome.centres, job.config, lang=opts["lang"]
            )
            extra["map.html"] = map_html(m)
    if sources is not None:
        with progress.stage("reach of the candidate sites and the what-if map"):
            extra["whatif.html"] = map_html(
                whatif_of_run(job, outcome, sources, lang=opts["lang"])
            )
    if out == STDOUT:
        _write_stdout(outcome, opts["csv_header"])
    elif out is not None and is_db_url(out):
        from ..io.db import write_db_tables
        from ..report.coverage import coverage_tables

        with progress.stage(f"writing {label(out)}"):
            tables = coverage_tables(outcome.result)
            write_db_tables(out, tables, if_exists=opts["if_exists"] or "fail")
    elif out is not None:
        from ..runs.job import write_job_outputs

        with progress.stage(f"writing {out}"):
            write_job_outputs(
                job, outcome, out, overwrite=opts["overwrite"], extra_files=extra,
                lang=opts["lang"], csv_header=opts["csv_header"],
            )


def _write_stdout(outcome: JobOutcome, csv_header: str) -> None:
    """--out -: the coverage table (coverage.csv's bytes) on standard output."""
    from ..report.coverage import coverage_table_for_output, write_csv

    table = coverage_table_for_output(outcome.result, geometry=False)
    sys.stdout.flush()
    stream = sys.stdout.buffer  # click.get_binary_stream is deprecated from click 8.5
    write_csv(table, stream, header=csv_header)
    stream.flush()


def _print(outcome: JobOutcome, summary: dict, fmt: str, lang: str) -> None:
    """The profiles table, or the summary as a table, Markdown or JSON, on stdout."""
    from ..report.compare import profiles_json, profiles_markdown
    from ..report.coverage import summary_json, summary_markdown, summary_text

    if outcome.profiles is not None:
        if fmt == "json":
            click.echo(profiles_json(outcome.profiles), nl=False)
        else:
            click.echo(profiles_markdown(outcome.profiles, lang=lang), nl=False)
    elif fmt == "json":
        click.echo(summary_json(summary), nl=False)
    else:
        text = summary_text if fmt == "table" else summary_markdown
        click.echo(text(summary, lang=lang), nl=False)
