"""``circle sweep``: coverage for several scenarios, compared."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..bundled import DEFAULT_NETWORK
from .common import Progress, handle_errors, label, layers_job
from .options import (
    _h,
    lang_option,
    layer_options,
    out_path,
    partition_areas_option,
    partition_options,
    pass_columns,
    walk_config,
    walk_options,
)
from .partition import partitioning, run_parts

if TYPE_CHECKING:
    from ..io.columns import LayerColumns


_SWEEP_HELP = (
    _h("Run coverage once per scenario of a TOML file, as Dask tasks, and compare the scenarios.")
    + "\n\n"
    + _h(
        "Each scenario sets speed_kmh, minutes, max_snap_m and search_limit_min (a [defaults] "
        "table applies to all). One task runs per (part, scenario): with --partition tiles or "
        "--partition-by the study area is cut into parts, otherwise it is one part. Writes one "
        "coverage table per scenario (<name>.csv) and comparison.csv (coverage share per band)."
    )
    + "\n\n"
    + _h(
        "A scenario with add = K first proposes K new centres, as `circle site --add K`, among its "
        'candidates ("osm": the network\'s OSM tags, the default; "grid:200": one street node per '
        "200 m square; or a file, relative to the scenarios file), then reports the coverage with "
        "them added (<name>.proposals.csv lists them). Siting runs on the whole study area in this "
        "process, not per part."
    )
    + "\n\n"
    + _h(
        "Scenarios may also set mode (walk, bike, ebike), within_km, profile (default, winter, "
        "elderly) and at (times such as \"Mo 05:00\": only the centres open then count). A "
        "[matrix] table with lists of mode, profile and at runs every scenario for every "
        "combination; comparison.csv is then the whole matrix in one table."
    )
    + """

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
  [matrix]                  # every scenario x mode x season x time
  mode = ["walk", "ebike"]
  profile = ["default", "winter"]
  at = ["Mo 05:00", "Mo 10:00"]

\b
Examples:
  $ circle sweep scenarios.toml --out sweep/
  $ circle sweep scenarios.toml --network liaoning.osm.pbf --centres centres.gpkg \\
      --communities communities.gpkg --partition tiles --tile-km 10 --out sweep/
"""
)


@click.command(
    help=_SWEEP_HELP, short_help=_h("Run coverage for several scenarios and compare them.")
)
@click.argument("scenarios", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--network",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_NETWORK,
    show_default="bundled central Helsinki OSM extract",
    help=_h("Street network, as for `circle coverage`."),
)
@click.option("--centres", metavar="FILE", help=_h("Centres, as for `circle coverage`."))
@click.option("--communities", metavar="FILE", help=_h("Communities, as for `circle coverage`."))
@layer_options
@walk_options
@partition_options
@partition_areas_option
@click.option(
    "--out",
    type=out_path(file_okay=False),
    required=True,
    help=_h("Folder for <scenario>.csv (one coverage table per scenario) and comparison.csv."),
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help=_h("Replace output files that already exist in --out."),
)
@lang_option
@pass_columns
@handle_errors
@click.pass_context
def sweep(
    ctx: click.Context,
    scenarios: Path,
    network: Path,
    centres: str | None,
    communities: str | None,
    columns: LayerColumns,
    layer_crs: str | None,
    datum: str,
    out: Path,
    overwrite: bool,
    lang: str,
    **partition_opts: Any,
) -> None:
    """Run coverage once per scenario and compare (the help is `_SWEEP_HELP`)."""
    from ..coverage.rural import with_rural_columns
    from ..io.osm import OSM_SUFFIXES
    from ..runs.inputs import read_inputs
    from ..runs.sweep import comparison_table, comparison_text, read_scenarios, write_sweep_outputs

    progress = Progress.of(ctx)
    walk = walk_config(partition_opts)  # the network every scenario walks on
    scenario_list = read_scenarios(scenarios)
    configs = {
        s.name: dataclasses.replace(s.config, **walk) for s in scenario_list if s.add is None
    }
    siting = [s for s in scenario_list if s.add is not None]
    osm_needed = any(s.candidates == "osm" for s in siting)
    if osm_needed and not Path(network).name.lower().endswith(OSM_SUFFIXES):
        msg = (
            f"{scenarios}: candidates = \"osm\" (the default for add) needs an OSM network "
            f"file, not {label(network)}; give candidates = \"grid:200\" or a file"
        )
        raise click.UsageError(msg, ctx=ctx)
    parts = partitioning(ctx, partition_opts, layer_crs, required=True)
    job = layers_job(  # min_component_m is not a scenario key: the first scenario's is everyone's
        network, centres, communities, columns=columns, layer_crs=layer_crs, datum=datum,
        config=dataclasses.replace(scenario_list[0].config, **walk),
    )
    inputs = read_inputs(job, stage=progress.stage, layers_stage="reading centres and communities")
    results = {}
    for (mode, at), group in _matrix_groups(scenario_list, configs).items():
        # issue 22: one network per travel mode, the centres open at the scenario's times
        with progress.stage(f"running {len(group)} scenarios"):
            results.update(run_parts(
                ctx, partition_opts, communities=inputs.communities,
                centres=_open_at(inputs.centres, at), network=_network_of(job, inputs, mode),
                configs=group, partitioning=parts,
            ))
    sitings = _siting_scenarios(siting, job, inputs, results, progress)
    # in the file's order, with the columns `circle coverage` adds (mode, station inside)
    results = {s.name: with_rural_columns(results[s.name]) for s in scenario_list}
    with progress.stage(f"writing {out}"):
        write_sweep_outputs(
            results, out, overwrite=overwrite, sitings=sitings, lang=lang, scenarios=scenario_list
        )
    click.echo(comparison_text(comparison_table(results, sitings, scenario_list)), nl=False)


def _matrix_groups(scenario_list, configs: dict) -> dict:
    """The coverage scenarios by (travel mode, --at times): each group shares a network and
    its open centres."""
    groups: dict = {}
    for s in scenario_list:
        if s.name in configs:
            groups.setdefault((s.config.mode, s.at), {})[s.name] = s.config
    return groups


def _open_at(centres, at: tuple[str, ...]):
    """The centres open at every one of `at` (all of them when none is given)."""
    if not at:
        return centres
    from ..coverage.hours import HoursOptions
    from ..coverage.rural import open_centres

    return open_centres(centres, HoursOptions(at=at))[0]


def _network_of(job, inputs, mode: str):
    """The network of a travel mode: the one read, or the mode's own from the same file."""
    if mode == job.config.mode:
        return inputs.network
    from ..network.load import load_network

    return load_network(inputs.files["network"], min_component_m=job.config.min_component_m,
                        mode=mode)


def _siting_scenarios(siting, job, inputs, results: dict, progress: Progress) -> dict:
    """Run the siting scenarios on the whole area; their coverage goes into `results`."""
    from ..runs.sweep import run_siting_scenario, scenario_candidates

    sitings = {}
    for s in siting:
        with progress.stage(f"scenario {s.name}: siting {s.add} new centres (whole area)"):
            candidates = scenario_candidates(
                s.candidates, inputs.network, job.network, inputs.centres, columns=job.columns,
                crs=job.layer_crs,
            )
            results[s.name], sitings[s.name] = run_siting_scenario(
                s, inputs.communities, _open_at(inputs.centres, s.at),
                _network_of(job, inputs, s.config.mode), candidates,
            )
    return sitings
