"""Is each centre enough? Capacity per resident served, crowded centres, and the 2SFCA family.

A centre's *capacity* is a number the user gives per centre (staff, desks or daily service slots;
the unit is theirs and the report repeats it). Two measures come from it, both on the walks of the
coverage run:

- the **supply-to-demand ratio** of a centre: its capacity over the demand (population, or a
  key-group count) of the communities that have it as their nearest centre within the circle.
  Centres below a user-set ratio are *crowded*.
- the **two-step floating catchment area** score of a community (Luo & Wang 2003; the family PySAL
  ``access`` implements): step 1, each centre's ratio ``R_j = S_j / sum_i P_i W(d_ij)`` over the
  communities within the circle; step 2, a community's score ``A_i = sum_j R_j W(d_ij)`` over the
  centres within the circle. ``W`` is the distance decay: ``none`` (1 inside the circle: classic
  2SFCA), ``step`` (enhanced 2SFCA, Luo & Qi 2009: weights 1, 0.68, 0.22 in the thirds of the
  circle) or ``gaussian`` (``exp(-d^2 / (2 sigma^2))``, sigma half the circle by default).

Both steps read one sparse matrix of walks (centres x communities, `circle.network.engine.
reach_within`), the same walk definition as the nearest-centre search: one pass over the reach
sets. Scores and ratios are reported per 10,000 residents (capacity units per 10,000 people).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from .._validate import natural_key
from ..errors import InputDataError
from ..network.engine import reach_within
from ..network.snap import build_search_graph, snap_points
from ..network.walk import WalkNetwork
from .equity import denominators

__all__ = [
    "DECAYS",
    "PER",
    "STEP_WEIGHTS",
    "CapacityOptions",
    "CapacityResult",
    "capacity_analysis",
    "capacity_summary",
    "capacity_values",
    "crowded_ranked",
    "decay_weights",
    "two_step_fca",
    "with_capacity",
]

#: distance decays of the 2SFCA family: classic, enhanced (steps), Gaussian
DECAYS = ("none", "step", "gaussian")
#: enhanced 2SFCA weights in the first, second and last third of the circle (Luo & Qi 2009)
STEP_WEIGHTS = (1.0, 0.68, 0.22)
#: ratios and scores are reported per this many residents
PER = 10_000


@dataclass(frozen=True)
class CapacityOptions:
    """What a run measures beyond reach: capacity (with a column) and equity.

    Parameters
    ----------
    column
        Capacity column of the centres layer (``None``: no capacity measures).
    unit
        The capacity's unit, as the report states it (e.g. "staff", "desks", "daily slots").
    decay, sigma_m
        2SFCA distance decay (`DECAYS`) and the Gaussian's width in metres (``None``: half the
        circle's walk).
    crowded_below
        Capacity per 10,000 demand below which a centre is crowded (``None``: none flagged).
    demand
        A key-group column counted as the demand instead of the population.
    equity
        Measure equity (Gini, Palma, Lorenz; key-group gaps); always on with a capacity.
    """

    column: str | None = None
    unit: str = ""
    decay: str = "none"
    sigma_m: float | None = None
    crowded_below: float | None = None
    demand: str | None = None
    equity: bool = False

    def as_dict(self) -> dict:
        """JSON-ready (`CapacityOptions(**d)` reads it back)."""
        return dataclasses.asdict(self)


def with_capacity(
    result,
    centres_layer,
    network: WalkNetwork,
    options: CapacityOptions | None,
    communities_layer=None,
):
    """`result` with its capacity measures, equity flag and coverage by population, buildings
    and land (unchanged when `options` is None).

    Parameters
    ----------
    result
        A `circle.coverage.core.CoverageResult`.
    centres_layer
        The centres layer as read (holding the capacity column).
    network
        The run's walking network.
    options
        What to measure.
    communities_layer
        The communities layer as read (its ``buildings`` column), or None.
    """
    if options is None:
        return result
    cap = None
    if options.column is not None:
        cap = capacity_analysis(
            result, centres_layer, network, column=options.column, unit=options.unit,
            decay=options.decay, sigma_m=options.sigma_m, crowded_below=options.crowded_below,
            demand=options.demand,
        )
    return dataclasses.replace(
        result,
        capacity=cap,
        equity=options.equity or cap is not None,
        denominators=denominators(result.table, communities_layer),
    )


@dataclass(frozen=True)
class CapacityResult:
    """Capacity measures of a coverage run.

    Attributes
    ----------
    column, unit
        The centres' capacity column and its unit (as the user states it).
    decay, sigma_m
        The 2SFCA distance decay and the Gaussian's width (metres; ``None`` unless gaussian).
    demand
        What the demand counts: ``population`` or a key-group column.
    crowded_below
        Centres whose capacity per `PER` demand is below this are crowded (``None``: no rule).
    centres
        Per centre (order of the coverage result's centres): ``centre_id``, ``name``, ``type``,
        ``capacity``, ``served_demand`` (nearest within the circle), ``capacity_per_10k``,
        ``fca_ratio_per_10k`` (2SFCA step 1) and ``crowded``.
    score
        2SFCA score of each community, capacity per `PER` residents (order of the coverage table).
    """

    column: str
    unit: str
    decay: str
    sigma_m: float | None
    demand: str
    crowded_below: float | None
    centres: pd.DataFrame
    score: np.ndarray


def decay_weights(
    walk_m: np.ndarray, limit_m: float, decay: str, sigma_m: float | None = None
) -> np.ndarray:
    """The 2SFCA weight of each walk (all within `limit_m`).

    Parameters
    ----------
    walk_m
        Walks, metres.
    limit_m
        The circle's walk, metres.
    decay
        {"none", "step", "gaussian"}
    sigma_m
        Width of the Gaussian, metres (default ``limit_m / 2``).

    Returns
    -------
    numpy.ndarray
    """
    w = np.asarray(walk_m, float)
    if decay == "none":
        return np.ones_like(w)
    if decay == "step":
        cuts = np.array([limit_m / 3, 2 * limit_m / 3])
        return np.array(STEP_WEIGHTS)[np.searchsorted(cuts, w, side="left")]
    if decay == "gaussian":
        s = sigma_m if sigma_m is not None else limit_m / 2
        return np.exp(-w * w / (2 * s * s))
    msg = f"decay must be one of {DECAYS}, got {decay!r}"
    raise ValueError(msg)


def two_step_fca(
    reach: sp.csr_array,
    supply: np.ndarray,
    demand: np.ndarray,
    *,
    limit_m: float,
    decay: str = "none",
    sigma_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The 2SFCA ratio of every centre and score of every community, in one pass over `reach`.

    Parameters
    ----------
    reach
        Centres x communities, walk metres of every pair within the circle (a stored entry per
        pair, zeros included).
    supply
        Capacity of each centre.
    demand
        Demand of each community (NaN counts as 0).
    limit_m
        The circle's walk, metres (for the decay).
    decay, sigma_m
        As for `decay_weights`.

    Returns
    -------
    ratio, score
        ``ratio[j] = S_j / sum_i P_i W(d_ij)`` (NaN where no demand reaches the centre) and
        ``score[i] = sum_j R_j W(d_ij)`` (0 where no centre with a ratio is within reach).
    """
    csr = sp.csr_array(reach)
    w = decay_weights(csr.data, limit_m, decay, sigma_m)
    weighted = sp.csr_array((w, csr.indices, csr.indptr), shape=csr.shape)
    pop = np.nan_to_num(np.asarray(demand, float), nan=0.0)
    reached = weighted @ pop
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached > 0, np.asarray(supply, float) / reached, np.nan)
    score = weighted.T @ np.nan_to_num(ratio, nan=0.0)
    return ratio, np.asarray(score)


def capacity_values(centres, column: str, ids: np.ndarray) -> np.ndarray:
    """The capacity of each centre id in `ids`, read from the centres layer's `column`.

    Raises
    ------
    InputDataError
        The column is missing, or a value is not a number >= 0 (naming the centre).
    """
    source = centres.attrs.get("source", "centres layer")
    if column not in centres.columns:
        msg = (
            f"{source}: no capacity column {column!r}; found {list(centres.columns)!r}. Name "
            f"the column holding staff, desks or daily slots with --capacity-column."
        )
        raise InputDataError(msg)
    values = pd.to_numeric(centres[column], errors="coerce")
    by_id = pd.Series(values.to_numpy(float), index=centres["id"].astype(str).to_numpy())
    bad = np.flatnonzero(~(values.to_numpy(float) >= 0))
    if len(bad):
        msg = (
            f"{source}: centre {str(centres['id'].iloc[bad[0]])!r} has capacity "
            f"{centres[column].iloc[bad[0]]!r} in "
            f"column {column!r}; give a number >= 0 for every centre ({len(bad)} without one)."
        )
        raise InputDataError(msg)
    return by_id.reindex(pd.Index(ids).astype(str)).to_numpy(float)


def capacity_analysis(
    result,
    centres_layer,
    network: WalkNetwork,
    *,
    column: str,
    unit: str = "",
    decay: str = "none",
    sigma_m: float | None = None,
    crowded_below: float | None = None,
    demand: str | None = None,
) -> CapacityResult:
    """Capacity per demand served, crowded centres and 2SFCA scores of a coverage result.

    Parameters
    ----------
    result
        A `circle.coverage.core.CoverageResult`.
    centres_layer
        The centres layer as read (with ``id`` and the capacity `column`).
    network
        The walking network of the run.
    column, unit
        The capacity column and its unit (free text, repeated in the report).
    decay, sigma_m
        The 2SFCA distance decay (`DECAYS`) and Gaussian width in metres.
    crowded_below
        Capacity per 10,000 demand below which a centre is crowded (``None``: none flagged).
    demand
        A key-group column of the coverage table to count instead of the population.

    Returns
    -------
    CapacityResult
    """
    if decay not in DECAYS:
        msg = f"decay must be one of {DECAYS}, got {decay!r}"
        raise InputDataError(msg)
    t, cent, cfg = result.table, result.centres, result.config
    supply = capacity_values(centres_layer, column, cent["centre_id"].to_numpy())
    weights, what = _demand(t, demand)
    limit = cfg.max_walk_m
    reach = _centre_reach(t, cent, network, cfg)
    ratio, score = two_step_fca(
        reach, supply, weights, limit_m=limit, decay=decay, sigma_m=sigma_m
    )
    # demand served: the communities with the centre as nearest, within the circle
    covered = t["covered"].to_numpy(bool)
    ids = cent["centre_id"].to_numpy()
    nearest = pd.Series(t["nearest_centre_id"].to_numpy(object)[covered])
    served = (
        pd.Series(weights[covered]).groupby(nearest.to_numpy()).sum()
        .reindex(pd.Index(ids, dtype=object)).fillna(0.0).to_numpy(float)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(served > 0, supply / served * PER, np.nan)
    crowded = np.zeros(len(ids), bool)
    if crowded_below is not None:
        crowded = np.nan_to_num(per, nan=np.inf) < crowded_below
    table = pd.DataFrame(
        {
            "centre_id": ids,
            "name": cent["name"].to_numpy(),
            "type": cent["type"].to_numpy(),
            "capacity": supply,
            "served_demand": served,
            "capacity_per_10k": per,
            "fca_ratio_per_10k": ratio * PER,
            "crowded": crowded,
        }
    )
    return CapacityResult(
        column=column,
        unit=unit,
        decay=decay,
        sigma_m=(sigma_m if sigma_m is not None else limit / 2) if decay == "gaussian" else None,
        demand=what,
        crowded_below=crowded_below,
        centres=table,
        score=score * PER,
    )


def _demand(t: pd.DataFrame, demand: str | None) -> tuple[np.ndarray, str]:
    """The demand of each community, and what it counts."""
    if demand is not None:
        if demand not in t.columns:
            msg = f"no key-group column {demand!r} among the communities' columns"
            raise InputDataError(msg)
        return np.nan_to_num(t[demand].to_numpy(float), nan=0.0), demand
    pop = t["population"].to_numpy(float)
    if np.isfinite(pop).any():
        return np.nan_to_num(pop, nan=0.0), "population"
    return np.ones(len(t)), "communities"


def _centre_reach(t, cent, network: WalkNetwork, cfg) -> sp.csr_array:
    """Walk metres of every (centre, community) pair within the circle: the coverage walk from
    each community's representative point (gates are not taken)."""
    comm_xy = shapely.get_coordinates(shapely.point_on_surface(t.geometry.values))
    cent_xy = shapely.get_coordinates(cent.geometry.values)
    comm_snap = snap_points(network, comm_xy, max_snap_m=cfg.max_snap_m, slack_m=cfg.access_slack_m)
    cent_snap = snap_points(network, cent_xy, max_snap_m=cfg.max_snap_m, slack_m=cfg.access_slack_m)
    graph = build_search_graph(network, cent_snap, comm_snap)
    cent_nodes, comm_nodes = graph.point_node
    return reach_within(
        graph, cent_nodes, cent_snap.snap_m, comm_nodes, comm_snap.snap_m, cfg.max_walk_m
    )


def crowded_ranked(cap: CapacityResult) -> pd.DataFrame:
    """The crowded centres, least capacity per 10,000 first (then by id)."""
    c = cap.centres.loc[cap.centres["crowded"]].copy()
    c["_key"] = c["centre_id"].map(natural_key)
    return c.sort_values(["capacity_per_10k", "_key"], kind="stable").drop(columns="_key")


def capacity_summary(cap: CapacityResult, table: pd.DataFrame) -> dict:
    """The summary's ``capacity``: the rule, totals, every centre and the crowded ones ranked."""
    c = cap.centres
    demand = _demand(table, None if cap.demand in ("population", "communities") else cap.demand)[0]
    total_cap = float(np.nansum(c["capacity"]))
    total_demand = float(demand.sum())
    score = cap.score
    return {
        "column": cap.column,
        "unit": cap.unit,
        "per": PER,
        "demand": cap.demand,
        "decay": cap.decay,
        "sigma_m": None if cap.sigma_m is None else round(cap.sigma_m, 1),
        "crowded_below": cap.crowded_below,
        "total_capacity": total_cap,
        "capacity_per_10k_overall": _r(total_cap / total_demand * PER if total_demand else None),
        "communities_with_zero_score": int((score <= 0).sum()),
        "centres": [_centre_row(r) for r in c.to_dict("records")],
        "crowded": [_centre_row(r) for r in crowded_ranked(cap).to_dict("records")],
    }


def _centre_row(r: dict) -> dict:
    return {
        "centre_id": r["centre_id"],
        "name": r["name"],
        "type": r["type"],
        "capacity": _r(r["capacity"]),
        "served_demand": _r(r["served_demand"]),
        "capacity_per_10k": _r(r["capacity_per_10k"]),
        "fca_ratio_per_10k": _r(r["fca_ratio_per_10k"]),
        "crowded": bool(r["crowded"]),
    }


def _r(x, digits: int = 4):
    return None if x is None or not np.isfinite(x) else round(float(x), digits)
