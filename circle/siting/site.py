"""Siting new centres: candidate sites, the communities each reaches, and the best choice.

Two questions, both over the communities the existing centres leave uncovered at the circle's
threshold (`CircleConfig.threshold_min`):

- maximal covering (``add=K``): which K new sites newly cover the most people;
- set covering (``cover_all=True``): the fewest new sites that cover every community any
  candidate can cover.

Both are solved by a lazy greedy, fast on very large instances and bounded by its own
guarantees, and exactly by a MILP (HiGHS through ``highspy``) that starts from the greedy's
solution, stops once its gap is within ``mip_gap`` and keeps to the time limit; the answer
reported is the best solution with the tightest bound known when the solve ends.
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from .._validate import natural_key
from ..config import DEFAULT_CONFIG, CircleConfig
from ..coverage.core import check_on_network, coverage_report, prepare_layer
from ..errors import ConfigError, InputDataError
from ..network.snap import build_search_graph, snap_points
from ..network.walk import WalkNetwork
from .greedy import lazy_greedy
from .reach import ReachBudget, reach_pattern, select_columns
from .result import SitingResult
from .solve import solve
from .tables import (
    candidates_table,
    communities_table,
    covered_after,
    outcomes,
    proposals_table,
    with_demand,
)

__all__ = ["site_new_centres"]

logger = logging.getLogger(__name__)


def site_new_centres(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    add: int | None = None,
    cover_all: bool = False,
    config: CircleConfig = DEFAULT_CONFIG,
    solver: Literal["milp", "greedy"] = "milp",
    time_limit_s: float = 60.0,
    demand: str | None = None,
    mip_gap: float = 0.0,
    lp_bound: bool = False,
    memory_budget_gb: float | None = None,
) -> SitingResult:
    """Choose new centre sites among candidates; the existing centres stay.

    A community is *newly covered* when no existing centre covers it at the threshold
    (`CircleConfig.threshold_min`) and a chosen site does: its walk to the site (access legs
    and streets, exactly as `circle.coverage.coverage_report` walks) is within the threshold.
    Running `coverage_report` with the proposals appended to the centres reproduces
    ``covered_after``.

    Parameters
    ----------
    communities, centres
        As for `circle.coverage.coverage_report`.
    candidates
        Possible new sites: points or polygons with ``id`` (``name``, ``type`` optional), e.g.
        from a file, `candidates_from_osm` or `candidates_on_grid`. Their ids must differ from
        the centres' ids.
    network
        The walking network.
    add
        Maximal covering: propose up to this many sites, newly covering the most population
        (communities without a population figure count 0; with no population column at all,
        the most communities). A site that would newly cover nothing is never proposed.
    cover_all
        Set covering: the fewest sites that newly cover every community some candidate can
        cover; the others are listed with the reason in ``communities["outcome"]``.
    config
        Speed, threshold, snapping.
    solver
        {"milp", "greedy"} Exact MILP (with the greedy as a fallback and for comparison), or the
        lazy greedy alone for very large instances.
    time_limit_s
        Time limit of the whole solve (greedy, bounds, MILP), seconds, counted once the reach
        sets are known; when reached, the best solution found so far is kept and the gap to the
        tightest bound known is reported. The solve overruns it by at most
        `circle.siting.highs.GRACE_S` (0.5 s, HiGHS's time to stop) plus the time to compare
        the MILP's answer with the greedy's (well under a second on 10^4 candidates).
    demand
        A key-group count column of `communities` (e.g. ``graduates``) to weight the objective
        by instead of population: ``add=K`` then newly covers the most people of that group.
        Counts must be numbers >= 0; empty cells count 0 (reported in the summary). ``None``
        or ``"population"``: population.
    mip_gap
        Relative gap at which the MILP stops (and is not started when the greedy's own bounds
        already prove it): 0 (default) proves the optimum, e.g. 0.01 accepts a solution within
        1 % of it.
    lp_bound
        Also bound the optimum by the LP relaxation (HiGHS interior point) within the time
        left; the MILP then gets what is left after it. Off by default: the greedy's own
        bounds cost nothing and the MILP has its own.
    memory_budget_gb
        Memory (GB) the reach sets may take: the candidates are searched in blocks sized to a
        tenth of it, and the run stops with `circle.errors.MemoryBudgetError` (naming the size
        needed) once the (site, community) pairs kept, 5 bytes each, would exceed it. None
        (default): blocks of about 10**6 pairs, no limit. The answer does not depend on it.

    Returns
    -------
    SitingResult
    """
    _check_request(add, cover_all, solver, time_limit_s, mip_gap)
    _check_budget(memory_budget_gb)
    budget = ReachBudget(memory_budget_gb)
    demand = None if demand == "population" else demand
    before, cand, cand_xy, cand_snap, sources = before_and_candidates(
        communities, centres, candidates, network, config, demand, add
    )
    table = before.table
    reach, comm_snap = _reach_sets(table, cand_snap, network, config, budget)
    objective, open_idx, A, values = _covering_problem(reach, table, demand, cover_all, budget)
    chosen, info = solve(
        A, values, add=add, cover_all=cover_all, solver=solver, time_limit_s=time_limit_s,
        mip_gap=mip_gap, lp_bound=bool(lp_bound),
    )  # fmt: skip
    ranked = lazy_greedy(A, values, limit=len(chosen), allowed=chosen)
    logger.info("siting: %s; %d sites proposed", info["status"], len(ranked))
    proposals, communities_out, candidates_out = _tables(
        table, demand, ranked, A, open_idx, cand, cand_xy, cand_snap, comm_snap, network
    )
    return SitingResult(
        proposals=proposals,
        communities=communities_out,
        candidates=candidates_out,
        reach=reach,
        before=before,
        mode="cover_all" if cover_all else "add",
        add=add,
        objective=objective,
        solver=info,
        config=config,
        sources=sources,
        demand=demand,
    )


def _reach_sets(table, cand_snap, network, config, budget: ReachBudget):
    """Which community each candidate reaches within the threshold walk; the snapped
    communities."""
    comm_xy = shapely.get_coordinates(shapely.point_on_surface(table.geometry.values))
    comm_snap = snap_points(
        network, comm_xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
    )
    graph = build_search_graph(network, cand_snap, comm_snap)
    cand_nodes, comm_nodes = graph.point_node
    reach = reach_pattern(
        graph, cand_nodes, cand_snap.snap_m, comm_nodes, comm_snap.snap_m, config.max_walk_m,
        budget=budget,
    )
    return reach, comm_snap


def _covering_problem(reach, table, demand: str | None, cover_all: bool, budget: ReachBudget):
    """What "most" counts, the uncovered communities, their reach sets (candidates x uncovered
    communities) and the greedy's gains: (objective, tie-break), communities first for set
    covering."""
    objective, weight = _objective(table, demand)
    open_idx = np.flatnonzero(~table["covered"].to_numpy(bool))
    A = select_columns(reach, open_idx, pairs_per_block=budget.pairs_per_block)
    count = np.ones(open_idx.size)
    w_open = count if weight is None else weight[open_idx]
    return objective, open_idx, A, ((count, w_open) if cover_all else (w_open, count))


def _objective(table, demand: str | None) -> tuple[str, np.ndarray | None]:
    """What "most" counts, and the weight of each community (None: count communities)."""
    if demand is not None:
        return demand, np.nan_to_num(table[demand].to_numpy(float), nan=0.0)
    population = table["population"].to_numpy(float)
    if np.isfinite(population).any():
        return "population", np.nan_to_num(population, nan=0.0)
    return "communities", None


def _tables(table, demand, ranked, A, open_idx, cand, cand_xy, cand_snap, comm_snap, network):
    """The proposals, communities and candidates tables of the result."""
    population = table["population"].to_numpy(float)
    has_pop = bool(np.isfinite(population).any())
    covered_before = table["covered"].to_numpy(bool)
    after, new_site = covered_after(covered_before, ranked, open_idx, cand)
    outcome = outcomes(table, covered_before, after, A, open_idx, cand_snap, comm_snap, network)
    communities_out = communities_table(
        table, population, covered_before, after, new_site, outcome, network.crs
    )
    reached_pop = A @ np.nan_to_num(population[open_idx]) if has_pop else None
    candidates_out = candidates_table(cand, cand_xy, cand_snap, A, ranked, reached_pop, network.crs)
    proposals = proposals_table(
        ranked, cand, cand_xy, cand_snap, table, open_idx, A, has_pop, network
    )
    if demand is not None:
        proposals, communities_out = with_demand(
            proposals, communities_out, ranked, open_idx, A, table[demand].to_numpy(float)
        )
    return proposals, communities_out, candidates_out


def before_and_candidates(communities, centres, candidates, network, config, demand, add):
    """The coverage before (with `demand`'s column, if any) and `_snapped_candidates`."""
    before = coverage_report(
        communities, centres, network, config=config, groups=None if demand is None else (demand,)
    )
    return (before, *_snapped_candidates(candidates, before, network, config, add))


def _snapped_candidates(candidates, before, network, config, add):
    """The candidates checked (ids, network), snapped, and the run's sources with them."""
    cand, cand_xy, cand_repaired = prepare_layer(candidates, network, kind="candidates")
    cand_source = candidates.attrs.get("source", "candidates layer")
    clash = sorted(set(cand["id"]) & set(before.centres["centre_id"]), key=natural_key)
    if clash:
        msg = (
            f"{cand_source}: candidate id(s) {clash[:5]!r} are also centre ids in "
            f"{before.sources['centres']['file']}; a candidate must be a new site: drop it or "
            "give it its own id"
        )
        raise InputDataError(msg)
    cand_snap = snap_points(
        network, cand_xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
    )
    check_on_network(cand, candidates, cand_snap, network, config, "candidates")
    n_on = int(cand_snap.on_network.sum())
    if add is not None and add > n_on:
        msg = (
            f"{cand_source}: asked for {add} new sites (--add) but only {n_on} of the "
            f"{len(cand)} candidates are on the network; give more candidates or ask for fewer"
        )
        raise InputDataError(msg)
    sources = {
        **before.sources,
        "candidates": {
            "file": cand_source,
            "features": len(cand),
            "repaired_geometries": cand_repaired,
        },
    }
    return cand, cand_xy, cand_snap, sources


def _check_request(add, cover_all: bool, solver: str, time_limit_s: float, mip_gap) -> None:
    problems = []
    if (add is None) == (not cover_all):
        problems.append("give either `add` (--add K) or `cover_all` (--cover-all), not both")
    if add is not None and (
        isinstance(add, bool) or not isinstance(add, (int, np.integer)) or add < 1
    ):
        problems.append(f"`add` (--add) must be a whole number >= 1, got {add!r}")
    if solver not in ("milp", "greedy"):
        problems.append(f"`solver` must be 'milp' or 'greedy', got {solver!r}")
    if not (
        isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and time_limit_s > 0
    ):
        problems.append(f"`time_limit_s` (--time-limit-s) must be > 0, got {time_limit_s!r}")
    if not (
        isinstance(mip_gap, (int, float))
        and not isinstance(mip_gap, bool)
        and math.isfinite(mip_gap)
        and mip_gap >= 0
    ):
        problems.append(f"`mip_gap` (--mip-gap) must be a number >= 0, got {mip_gap!r}")
    if problems:
        raise ConfigError("; ".join(problems))


def _check_budget(memory_budget_gb) -> None:
    if memory_budget_gb is not None and not (
        isinstance(memory_budget_gb, (int, float))
        and not isinstance(memory_budget_gb, bool)
        and math.isfinite(memory_budget_gb)
        and memory_budget_gb > 0
    ):
        msg = f"`memory_budget_gb` (--memory-budget-gb) must be > 0, got {memory_budget_gb!r}"
        raise ConfigError(msg)
