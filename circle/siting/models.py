"""The siting models beside maximal and set covering, on the same walks and solver: p-median,
p-center, capacitated maximal covering and the coverage curve.

- ``pmedian``: K new sites minimising the total population-weighted walk to the nearest centre
  (existing centres stay; walks capped at the search limit, `CircleConfig.search_limit_min`).
- ``pcenter``: K new sites minimising the longest walk of any resident (same cap).
- ``capacitated``: K new sites, each serving at most `new_capacity` people; existing centres
  serve at most their capacity column (x `capacity_scale` people per unit); the most people
  served within the circle (`circle.siting.capacitated`).
- ``curve``: people newly covered by the best K sites, K = 0, 1, ... until every community a
  candidate can cover is covered (or `max_add`): the maximal covering of ``circle site --add K``
  solved for each K.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from ..config import DEFAULT_CONFIG, CircleConfig
from ..coverage.capacity import capacity_values
from ..coverage.core import CoverageResult
from ..errors import ConfigError
from ..network.engine import reach_within
from ..network.snap import build_search_graph, snap_points
from ..network.walk import WalkNetwork
from .capacitated import capacitated_covering
from .greedy import covered_by
from .pcenter import p_center
from .pmedian import p_median
from .reach import pattern
from .site import _objective, before_and_candidates
from .solve import solve

__all__ = ["MODELS", "ModelResult", "site_model"]

#: the models of `site_model` (``circle site --model``)
MODELS = ("pmedian", "pcenter", "capacitated", "curve")


@dataclass(frozen=True)
class ModelResult:
    """A siting model's answer.

    Attributes
    ----------
    model, add
        The model and K (``None`` for the curve).
    proposals
        The chosen sites (rank, site_id, name, type; WGS84 points), by position.
    objective
        The model's objective and its unit, solver status and gap, before/after figures.
    curve
        For ``curve``: one row per K (k, newly_covered, covered, share, sites added, solver
        status, gap: how far the point may be below K's optimum, relative).
    before
        The coverage by the existing centres.
    """

    model: str
    add: int | None
    proposals: gpd.GeoDataFrame
    objective: dict
    before: CoverageResult
    curve: pd.DataFrame | None = None
    sources: dict = field(default_factory=dict)


def site_model(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    model: str,
    add: int | None = None,
    config: CircleConfig = DEFAULT_CONFIG,
    capacity_column: str | None = None,
    capacity_scale: float = 1.0,
    new_capacity: float | None = None,
    max_add: int | None = None,
    time_limit_s: float = 60.0,
    demand: str | None = None,
) -> ModelResult:
    """Choose new sites with one of `MODELS` (``circle site --model``).

    Parameters
    ----------
    communities, centres, candidates, network, config, time_limit_s, demand
        As for `circle.siting.site.site_new_centres`.
    model
        One of `MODELS`.
    add
        K, the number of new sites (all but ``curve``).
    capacity_column, capacity_scale, new_capacity
        ``capacitated``: the centres' capacity column, people served per unit of it, and the
        capacity (people) of every new site.
    max_add
        ``curve``: stop at this K (default: when everything coverable is covered).

    Returns
    -------
    ModelResult
    """
    _check(model, add, capacity_column, new_capacity, max_add)
    demand = None if demand == "population" else demand
    before, cand, cand_xy, cand_snap, sources = before_and_candidates(
        communities, centres, candidates, network, config, demand,
        None if model == "curve" else add,
    )
    t = before.table
    what, weight = _objective(t, demand)
    w = np.ones(len(t)) if weight is None else weight
    curve = None
    if model == "curve":
        curve, sites, objective = _curve(t, cand_snap, network, config, w, max_add, time_limit_s)
    elif model == "capacitated":
        sites, objective = _capacitated(
            before, centres, cand_snap, network, config, w,
            (capacity_column, capacity_scale, new_capacity), add, time_limit_s,
        )
    else:
        sites, objective = _assignment(model, t, cand_snap, network, config, w, add, time_limit_s)
    objective["counts"] = what
    proposals = _proposals(cand, cand_xy, sites, network)
    return ModelResult(model, add, proposals, objective, before, curve, sources)


def _check(model, add, capacity_column, new_capacity, max_add) -> None:
    problems = []
    if model not in MODELS:
        problems.append(f"`model` (--model) must be one of {', '.join(MODELS)}, got {model!r}")
    elif model != "curve" and (not isinstance(add, (int, np.integer)) or add < 1):
        problems.append(f"--model {model} needs --add K (a whole number >= 1), got {add!r}")
    if model == "capacitated" and (capacity_column is None or new_capacity is None):
        problems.append("--model capacitated needs --capacity-column and --new-capacity")
    if max_add is not None and max_add < 1:
        problems.append(f"`max_add` (--max-add) must be >= 1, got {max_add!r}")
    if problems:
        raise ConfigError("; ".join(problems))


def walks_from(xy_snap, table: gpd.GeoDataFrame, network: WalkNetwork, config, limit_m):
    """Walk metres from snapped points to every community within `limit_m` (points x
    communities), the coverage walk from each community's representative point."""
    comm_xy = shapely.get_coordinates(shapely.point_on_surface(table.geometry.values))
    comm_snap = snap_points(
        network, comm_xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
    )
    graph = build_search_graph(network, xy_snap, comm_snap)
    src, dst = graph.point_node
    return reach_within(graph, src, xy_snap.snap_m, dst, comm_snap.snap_m, limit_m)


def _assignment(model, t, cand_snap, network, config, w, add, time_limit_s):
    """p-median or p-center over walks capped at the search limit."""
    cap = config.search_limit_m
    reach = walks_from(cand_snap, t, network, config, cap)
    base = np.nan_to_num(t["walk_m"].to_numpy(float), nan=np.inf)
    solver = p_median if model == "pmedian" else p_center
    sol = solver(reach, base, w, add, cap_m=cap, time_limit_s=time_limit_s)
    base_c = np.minimum(base, cap)
    if model == "pmedian":
        before = float(np.dot(w, base_c))
        unit = "person-metres (total walk, capped at the search limit)"
    else:
        counted = np.isfinite(sol.walk_m)
        before = float(base_c[counted].max()) if counted.any() else 0.0
        unit = "metres (longest walk of a counted community)"
    walk = np.where(np.isfinite(sol.walk_m), sol.walk_m, np.nan)
    return sol.sites, {
        "model": model,
        "objective": sol.objective,
        "before": before,
        "unit": unit,
        "status": sol.status,
        "gap": sol.gap,
        "cap_m": cap,
        "mean_walk_min_after": _mean_minutes(walk, w, config),
        "mean_walk_min_before": _mean_minutes(np.where(np.isfinite(walk), base_c, np.nan), w,
                                              config),
    }


def _mean_minutes(walk, w, config) -> float | None:
    ok = np.isfinite(walk) & (w > 0)
    if not ok.any():
        return None
    return config.metres_to_minutes(float(np.average(walk[ok], weights=w[ok])))


def _capacitated(before, centres, cand_snap, network, config, w, capacity, add, time_limit_s):
    """Capacitated maximal covering within the circle."""
    column, scale, new_capacity = capacity
    t, cent = before.table, before.centres
    cap_e = capacity_values(centres, column, cent["centre_id"].to_numpy()) * scale
    cent_xy = shapely.get_coordinates(cent.geometry.values)
    cent_snap = snap_points(
        network, cent_xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
    )
    reach_e = walks_from(cent_snap, t, network, config, config.max_walk_m)
    reach_c = walks_from(cand_snap, t, network, config, config.max_walk_m)
    base = capacitated_covering(reach_e, sp.csr_array(reach_c.shape), cap_e, 0.0, w, 0,
                                time_limit_s=time_limit_s)
    sol = capacitated_covering(reach_e, reach_c, cap_e, float(new_capacity), w, add,
                               time_limit_s=time_limit_s)
    return sol.sites, {
        "model": "capacitated",
        "objective": sol.served,
        "before": base.served,
        "unit": "people served within the circle and the centres' capacity",
        "status": sol.status,
        "gap": 0.0 if sol.status == "optimal" else None,
        "total": float(w.sum()),
        "capacity_column": column,
        "capacity_scale": scale,
        "new_capacity": float(new_capacity),
    }


def _curve(t, cand_snap, network, config, w, max_add, time_limit_s, *, warm=True):
    """Maximal covering for K = 1, 2, ... until all coverable demand is covered.

    Warm start (`warm`): K's solve starts from K - 1's sites plus the one site adding most to
    them, a K-site solution at least as good as K - 1's; `solve` keeps it as the MILP's
    incumbent when it covers more than the greedy. Each K is still solved to its own optimum,
    so the points do not depend on the start.
    """
    reach = walks_from(cand_snap, t, network, config, config.max_walk_m)
    covered = t["covered"].to_numpy(bool)
    open_idx = np.flatnonzero(~covered)
    A = pattern(reach)[:, open_idx].tocsr()
    A.sort_indices()
    w_open = w[open_idx]
    coverable = float(math.fsum(w_open[np.diff(A.tocsc().indptr) > 0]))
    covered_before = float(math.fsum(w[covered]))
    total = float(math.fsum(w))
    rows = [_curve_row(0, 0.0, covered_before, total, [], "optimal", 0.0)]
    useful = int((A @ (w_open > 0).astype(float) > 0).sum())
    last = min(useful, max_add) if max_add is not None else useful
    sites: list[int] = []
    started_from: dict[str, int] = {}
    k = 0
    while k < last and rows[-1]["newly_covered"] < coverable - 1e-9:
        k += 1
        start = _next_start(A, w_open, sites) if warm else None
        sites, info = solve(A, (w_open, np.ones(open_idx.size)), add=k, cover_all=False,
                            solver="milp", time_limit_s=time_limit_s, start=start)
        started_from[info["solution_from"]] = started_from.get(info["solution_from"], 0) + 1
        rows.append(_curve_row(k, info["objective"], covered_before, total, sites,
                               info["status"], info["gap"]))
    curve = pd.DataFrame(rows)
    objective = {
        "model": "curve",
        "objective": rows[-1]["newly_covered"],
        "before": covered_before,
        "unit": "people newly covered",
        "coverable": coverable,
        "total": total,
        "status": "complete" if rows[-1]["newly_covered"] >= coverable - 1e-9 else "max_add",
        "gap": None,
        "warm_start": warm,
        "solutions_from": dict(sorted(started_from.items())),
    }
    return curve, sorted(sites), objective


def _next_start(A: sp.csr_array, w: np.ndarray, sites: list[int]) -> list[int] | None:
    """`sites` plus the candidate adding most to them (lowest position on a tie); None when
    nothing adds anything."""
    gains = A @ np.where(covered_by(A, sites), 0.0, w)
    gains[np.asarray(sites, np.int64)] = -1.0
    best = int(np.argmax(gains))
    return [*sites, best] if gains[best] > 0 else None


def _curve_row(k, newly, before, total, sites, status, gap) -> dict:
    return {
        "k": k,
        "newly_covered": float(newly),
        "covered": before + float(newly),
        "share": round((before + newly) / total, 6) if total else None,
        "sites": len(sites),
        "status": status,
        "gap": None if gap is None else round(float(gap), 6),
    }


def _proposals(cand, cand_xy, sites, network) -> gpd.GeoDataFrame:
    """The chosen candidates, WGS84, in position order."""
    idx = np.asarray(sites, np.int64)
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, idx.size + 1),
            "site_id": cand["id"].to_numpy()[idx],
            "name": cand["name"].to_numpy()[idx],
            "type": cand["type"].to_numpy()[idx],
        },
        geometry=gpd.GeoSeries(shapely.points(cand_xy[idx]), crs=network.crs),
    ).to_crs("EPSG:4326")
