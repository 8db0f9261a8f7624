"""The summary numbers of a siting run (JSON-ready): before, after, gain, proposals, solver."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._validate import natural_key
from ..coverage.core import STATUS_OK
from .result import SitingResult

__all__ = ["siting_summary"]


def siting_summary(result: SitingResult) -> dict:
    """The summary numbers of a siting run, JSON-ready.

    Parameters
    ----------
    result
        A siting result.

    Returns
    -------
    dict
        ``parameters``, ``data``, ``candidates`` (counts), ``before`` and ``after`` (communities
        and population covered at the threshold, shares of all communities), ``gain``,
        ``proposals``, ``solver``, ``population``, ``demand`` (with a demand column: its
        total, the communities without a figure, covered before and after, gain; else None)
        and ``left_out`` (the communities still uncovered, largest population first, with
        their outcome).
    """
    c = result.communities
    pop = c["population"].to_numpy(float)
    has_pop = bool(np.isfinite(pop).any())
    total_pop = math.fsum(np.nan_to_num(pop)) if has_pop else None
    before = _figures(c["covered_before"].to_numpy(bool), pop, has_pop, total_pop)
    after = _figures(c["covered_after"].to_numpy(bool), pop, has_pop, total_pop)
    demand = _demand_figures(result)
    proposals = [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        for row in result.proposals.drop(columns="geometry").to_dict("records")
    ]
    return {
        "title": "15-minute employment circle: new centre sites",
        "parameters": {
            **result.config.as_dict(),
            "mode": result.mode,
            "add": result.add,
            "objective": result.objective,
            "demand": result.demand,
            "solver": result.solver["method"],
            "time_limit_s": result.solver["time_limit_s"],
        },
        "data": result.sources,
        "candidates": _candidate_counts(result.candidates),
        "before": before,
        "after": after,
        "gain": {
            "communities": after["communities_covered"] - before["communities_covered"],
            "population": after["population_covered"] - before["population_covered"]
            if has_pop
            else None,
        },
        "proposals": proposals,
        "solver": dict(result.solver),
        "population": {
            "available": has_pop,
            "total": total_pop,
            "communities_without_population": int(np.isnan(pop).sum()),
        },
        "demand": demand,
        "left_out": _left_out(c, with_demand=bool(demand)),
    }


def _figures(mask: np.ndarray, pop: np.ndarray, has_pop: bool, total_pop) -> dict:
    """Communities and population covered where `mask`, and their shares."""
    n = mask.size
    covered_pop = math.fsum(np.nan_to_num(pop[mask])) if has_pop else None
    return {
        "communities_covered": int(mask.sum()),
        "communities_share": round(int(mask.sum()) / n, 4) if n else None,
        "population_covered": covered_pop,
        "population_share": round(covered_pop / total_pop, 4) if has_pop and total_pop else None,
    }


def _demand_figures(result: SitingResult) -> dict | None:
    """The demand column's total, covered before and after, and gain (None without one)."""
    if result.demand is None:
        return None
    c = result.communities
    raw = c["demand"].to_numpy(float)
    counts = np.nan_to_num(raw, nan=0.0)
    d_before = math.fsum(counts[c["covered_before"].to_numpy(bool)])
    d_after = math.fsum(counts[c["covered_after"].to_numpy(bool)])
    return {
        "column": result.demand,
        "total": math.fsum(counts),
        "communities_without_figure": int(np.isnan(raw).sum()),
        "covered_before": d_before,
        "covered_after": d_after,
        "gain": d_after - d_before,
    }


def _candidate_counts(cand: pd.DataFrame) -> dict:
    return {
        "total": len(cand),
        "on_network": int((cand["status"] == STATUS_OK).sum()),
        "off_network": sorted(
            cand.loc[cand["status"] != STATUS_OK, "candidate_id"], key=natural_key
        ),
        "reaching_uncovered": int((cand["uncovered_reached"] > 0).sum()),
    }


def _left_out(c: pd.DataFrame, *, with_demand: bool) -> list[dict]:
    """The communities still uncovered, largest population first, with their outcome."""
    left = c.loc[~c["covered_after"]].copy()
    left["_pop"] = left["population"].fillna(-1)
    left["_key"] = left["community_id"].map(natural_key)
    left = left.sort_values(["_pop", "_key"], ascending=[False, True], kind="stable")
    return [
        {
            "community_id": r.community_id,
            "name": r.name,
            "population": _finite(r.population),
            **({"demand": _finite(r.demand)} if with_demand else {}),
            "outcome": r.outcome,
        }
        for r in left.itertuples()
    ]


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
