"""``circle site``: propose sites for new centres."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from .common import Progress, finished, handle_errors, label, layers_job
from .options import (
    _h,
    candidate_options,
    csv_header_option,
    hours_from,
    hours_options,
    input_options,
    lang_option,
    layer_options,
    pass_columns,
    pass_config,
    report_output_options,
    run_options,
)

if TYPE_CHECKING:
    from ..config import CircleConfig
    from ..io.columns import LayerColumns


_SITE_HELP = (
    _h("Where should new employment service centres go?")
    + "\n\n"
    + _h(
        "Candidate sites come from a file, from the network's OSM tags, or from a grid over the "
        "street network (several sources combine); the existing centres stay. --add K picks the K "
        "sites that newly bring the most people within the circle (the largest --minutes); "
        "--cover-all picks the fewest sites that bring in every community a candidate can reach. "
        'The "after" figures equal a `circle coverage` run with the proposals added to the '
        "centres."
    )
    + """

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
  $ circle site --model pmedian --add 3 --out pmedian/
  $ circle site --model curve --candidates-grid-m 200 --out curve/
  $ circle site --model capacitated --add 2 --capacity-column staff \\
      --capacity-scale 500 --new-capacity 3000
"""
)


@click.command(
    help=_SITE_HELP,
    short_help=_h("Propose sites for new centres: the best K, or the fewest for everyone."),
)
@click.option(
    "--add",
    type=click.IntRange(min=1),
    metavar="K",
    help=_h("Propose K new sites that newly cover the most people (maximal covering)."),
)
@click.option(
    "--cover-all",
    is_flag=True,
    help=_h("Propose the fewest new sites that cover every community a candidate can reach "
    "(set covering); the rest are listed with the reason."),
)
@input_options
@candidate_options
@click.option(
    "--solver",
    type=click.Choice(["milp", "greedy"]),
    default="milp",
    show_default=True,
    help=_h("milp: exact (HiGHS), reports the gap; greedy: fast for very large problems, "
    "with a bound and gap."),
)
@click.option(
    "--time-limit-s",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    default=60.0,
    show_default=True,
    help=_h("Time limit of the whole solve (greedy, bounds and MILP), wall clock; when reached, "
    "the best answer so far, its bound and its gap are reported."),
)
@click.option(
    "--mip-gap",
    type=click.FloatRange(min=0),
    metavar="GAP",
    default=0.0,
    show_default=True,
    help=_h("Stop the MILP once the answer is proven within this relative gap of the best "
    "possible (0.01 = 1 %); 0 asks for the optimum."),
)
@click.option(
    "--lp-bound",
    is_flag=True,
    help=_h("Also solve the LP relaxation for a tighter bound (costs time on large problems; "
    "the greedy's own bounds are always given)."),
)
@click.option(
    "--memory-budget-gb",
    type=click.FloatRange(min=0, min_open=True),
    metavar="GB",
    help=_h("Memory the reach sets (which community each candidate site reaches) may take: "
    "the candidates are searched in blocks sized to it, and the run stops with a message "
    "before it would take more. Default: no limit. The answer does not depend on it."),
)
@click.option(
    "--demand",
    metavar="COLUMN",
    help=_h("Count the people of this key group (a count column of the communities, e.g. "
    "graduates) instead of the population: --add K then brings the most of them within the "
    "circle. Empty cells count 0 (the summary says how many)."),
)
@click.option(
    "--model",
    type=click.Choice(["pmedian", "pcenter", "capacitated", "curve"]),
    help=_h(
        "Another siting model: pmedian (least total walk), pcenter (shortest longest walk), "
        "capacitated (--add K sites serving at most --new-capacity people each) or curve "
        "(people covered as K grows, until everyone coverable is covered)."
    ),
)
@click.option(
    "--capacity-column",
    metavar="COLUMN",
    help=_h("--model capacitated: capacity column of the centres layer."),
)
@click.option(
    "--capacity-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help=_h("--model capacitated: people one unit of the capacity column serves."),
)
@click.option(
    "--new-capacity",
    type=click.FloatRange(min=0),
    metavar="PEOPLE",
    help=_h("--model capacitated: people each new site can serve."),
)
@click.option(
    "--max-add",
    type=click.IntRange(min=1),
    metavar="K",
    help=_h("--model curve: stop at K new sites."),
)
@run_options
@layer_options
@report_output_options(
    _h(
        "Folder for proposals.csv, proposals.geojson, summary.md and summary.json. Or a PostGIS "
        "database, postgresql://USER@HOST/DB?schema=circle, for the tables proposals and "
        "siting_summary (written in one transaction)."
    ),
    db=True,
)
@click.option(
    "--map",
    "with_map",
    is_flag=True,
    help=_h("Also write map.html into --out: a what-if map that opens with no internet, where "
    "clicking candidate sites shows who they bring within the circle (proposals start on)."),
)
@hours_options
@lang_option
@csv_header_option
@pass_config()
@pass_columns
@handle_errors
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
    solver: Literal["milp", "greedy"],
    time_limit_s: float,
    mip_gap: float,
    lp_bound: bool,
    memory_budget_gb: float | None,
    demand: str | None,
    model: str | None,
    capacity_column: str | None,
    capacity_scale: float,
    new_capacity: float | None,
    max_add: int | None,
    config: CircleConfig,
    columns: LayerColumns,
    layer_crs: str | None,
    datum: str,
    out: Path | str | None,
    overwrite: bool,
    if_exists: str | None,
    fmt: str,
    with_map: bool,
    lang: str,
    csv_header: str,
    **hours: Any,
) -> None:
    """Where should new employment service centres go? (the help is `_SITE_HELP`)"""
    from ..io.db import is_db_url
    from ..runs.candidates import CandidateSources
    from ..runs.site import run_siting

    if model is not None:
        if cover_all or with_map or (out is not None and is_db_url(out)):
            msg = "--model writes files into an --out folder: drop --cover-all, --map and --db"
            raise click.UsageError(msg, ctx=ctx)
    elif (add is None) == (not cover_all):
        msg = "give either --add K or --cover-all"
        raise click.UsageError(msg, ctx=ctx)
    to_db = out is not None and is_db_url(out)
    check_out_options(ctx, out, overwrite, if_exists, with_map=with_map)
    sources = CandidateSources(
        file=candidates_file, from_osm=from_osm, tags=candidate_tags, grid_m=candidates_grid_m,
        columns=columns, layer_crs=layer_crs, datum=datum,
    )
    sources.check(network)
    started = time.perf_counter()
    progress = Progress.of(ctx)
    job = layers_job(
        network, centres, communities, columns=columns, layer_crs=layer_crs, datum=datum,
        config=config, hours=hours_from(ctx, hours),
    )
    if model is not None:
        _run_model(job, sources, model, add, out, progress, fmt, lang, csv_header, overwrite,
                   capacity_column=capacity_column, capacity_scale=capacity_scale,
                   new_capacity=new_capacity, max_add=max_add, time_limit_s=time_limit_s,
                   demand=demand)
        finished(ctx, started)
        return
    outcome = run_siting(
        job, sources, add=add, cover_all=cover_all, solver=solver, time_limit_s=time_limit_s,
        mip_gap=mip_gap, lp_bound=lp_bound, demand=demand, memory_budget_gb=memory_budget_gb,
        stage=progress.stage,
    )
    _write_siting(outcome, out, to_db, progress, overwrite=overwrite, if_exists=if_exists,
                  with_map=with_map, lang=lang, csv_header=csv_header)
    _print_siting(outcome.result, fmt, lang)
    finished(ctx, started)


def _run_model(job, sources, model, add, out, progress, fmt, lang, csv_header, overwrite,
               **options) -> None:
    """``--model``: solve, write the folder, print the summary."""
    from ..report.coverage import summary_json
    from ..report.models import model_markdown, model_summary
    from ..runs.models import run_model, write_model_folder

    result = run_model(job, sources, model=model, add=add, stage=progress.stage, **options)
    if out is not None:
        with progress.stage(f"writing {out}"):
            write_model_folder(result, out, overwrite=overwrite, lang=lang, csv_header=csv_header)
    summary = model_summary(result)
    text = summary_json(summary) if fmt == "json" else model_markdown(summary, lang=lang)
    click.echo(text, nl=False)


def check_out_options(
    ctx: click.Context, out: Path | str | None, overwrite: bool, if_exists: str | None, *,
    with_map: bool,
) -> None:
    """--out as a folder or a database: --overwrite, --if-exists and --map must fit it."""
    from ..io.db import is_db_url

    to_db = out is not None and is_db_url(out)
    msg = None
    if to_db and overwrite:
        msg = "--overwrite is for an --out folder; use --if-exists"
    elif if_exists is not None and not to_db:
        msg = "--if-exists is for an --out database; use --overwrite"
    elif with_map and (out is None or to_db):
        msg = "--map writes map.html into the --out folder: give --out DIR"
    if msg:
        raise click.UsageError(msg, ctx=ctx)


def _write_siting(outcome, out, to_db: bool, progress: Progress, **options) -> None:
    """The what-if map, then the result folder or database tables."""
    from ..maps.coverage_map import map_html
    from ..runs.maps import draw_whatif_map
    from ..runs.site import write_siting_folder

    extra = {}
    if options["with_map"]:
        with progress.stage("drawing the what-if map"):
            m = draw_whatif_map(
                outcome.result, outcome.network, outcome.centres, outcome.result.config,
                lang=options["lang"],
            )
            extra["map.html"] = map_html(m)
    if to_db:
        from ..io.db import write_db_tables
        from ..report.siting import siting_tables

        with progress.stage(f"writing {label(out)}"):
            tables = siting_tables(outcome.result)
            write_db_tables(out, tables, if_exists=options["if_exists"] or "fail")
    elif out is not None:
        with progress.stage(f"writing {out}"):
            write_siting_folder(
                outcome.result, out, overwrite=options["overwrite"], extra_files=extra,
                lang=options["lang"], csv_header=options["csv_header"],
                network=outcome.network, centres=outcome.centres,
            )


def _print_siting(result, fmt: str, lang: str) -> None:
    from ..report.coverage import summary_json
    from ..report.siting import siting_markdown, siting_text
    from ..siting.summary import siting_summary

    summary = siting_summary(result)
    if fmt == "json":
        click.echo(summary_json(summary), nl=False)
    else:
        text = siting_text if fmt == "table" else siting_markdown
        click.echo(text(summary, lang=lang), nl=False)
