"""Is access fair? Gini, Palma ratio and Lorenz curve of a quantity across residents, and the
coverage gap of each key group.

Every measure weighs a community by its residents (a community counts as that many people with the
same value). The Lorenz curve sorts residents by the value, smallest first, and plots the share of
residents against the share of the total value they hold; the Gini index is one minus twice the
area under it (0: everyone equal, towards 1: one holds all); the Palma ratio is the share held by
the top 10 % of residents over the share held by the bottom 40 % (Cobham & Sumner 2013), both read
off the curve (linear between communities: residents of a community are spread evenly along it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "BUILDINGS_COLUMNS",
    "LORENZ_POINTS",
    "denominators",
    "equity_section",
    "equity_summary",
    "gini",
    "group_gaps",
    "lorenz",
    "palma",
]

#: points of the Lorenz curve kept in summaries (population shares 0, 0.01, ..., 1)
LORENZ_POINTS = 101


def lorenz(values, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of `values` across `weights` (residents), from (0, 0) to (1, 1).

    Entries with a missing value or weight, or a weight of 0, are left out.

    Returns
    -------
    population_share, value_share
        Cumulative shares at each community boundary, the values sorted ascending.
    """
    v, w = _clean(values, weights)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    x = np.r_[0.0, np.cumsum(w)]
    y = np.r_[0.0, np.cumsum(w * v)]
    total = y[-1]
    return x / x[-1], (y / total if total > 0 else x / x[-1])


def gini(values, weights=None) -> float:
    """Gini index of `values` across `weights`: 1 - 2 x the area under the Lorenz curve."""
    x, y = lorenz(values, weights)
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


def palma(values, weights=None) -> float:
    """Palma ratio: the share held by the top 10 % of residents over that of the bottom 40 %
    (``inf`` when the bottom 40 % hold nothing)."""
    x, y = lorenz(values, weights)
    bottom = float(np.interp(0.4, x, y))
    top = 1.0 - float(np.interp(0.9, x, y))
    return top / bottom if bottom > 0 else float("inf")


def _clean(values, weights) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, float)
    keep = np.isfinite(v) & np.isfinite(w) & (w > 0)
    if not keep.any():
        msg = "no value with a positive weight to measure"
        raise ValueError(msg)
    if (v[keep] < 0).any():
        msg = "Lorenz curves need values >= 0"
        raise ValueError(msg)
    return v[keep], w[keep]


def equity_summary(values, weights, *, name: str) -> dict:
    """Gini, Palma and a Lorenz curve (at `LORENZ_POINTS` population shares) of one quantity."""
    v = np.asarray(values, float)
    w = np.asarray(weights, float)
    measured = np.isfinite(v) & np.isfinite(w) & (w > 0)
    if not measured.any():
        return {"measure": name, "available": False}
    x, y = lorenz(v, w)
    grid = np.linspace(0.0, 1.0, LORENZ_POINTS)
    return {
        "measure": name,
        "available": True,
        "residents_measured": float(w[measured].sum()),
        "residents_left_out": float(np.nansum(w[~measured & (w > 0)])),
        "gini": round(gini(v, w), 6),
        "palma": _finite(palma(v, w)),
        "lorenz": {
            "population_share": [round(float(g), 4) for g in grid],
            "value_share": [round(float(s), 6) for s in np.interp(grid, x, y)],
        },
    }


def group_gaps(table: pd.DataFrame, groups: tuple[str, ...]) -> list[dict]:
    """Per key group: members, the share covered, and the gap to the whole population's share
    (group share minus population share; negative: the group is worse served)."""
    covered = table["covered"].to_numpy(bool)
    pop = table["population"].to_numpy(float)
    total = float(np.nansum(pop))
    all_share = float(np.nansum(pop[covered])) / total if total > 0 else None
    rows = []
    for g in groups:
        members = table[g].to_numpy(float)
        n = float(np.nansum(members))
        share = float(np.nansum(members[covered])) / n if n > 0 else None
        gap = share - all_share if share is not None and all_share is not None else None
        rows.append(
            {
                "group": g,
                "members": n,
                "share_covered": _round(share),
                "population_share_covered": _round(all_share),
                "gap": _round(gap),
            }
        )
    return rows


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _finite(x: float) -> float | None:
    return round(x, 6) if np.isfinite(x) else None


def equity_section(table: pd.DataFrame, groups: tuple[str, ...], capacity=None) -> dict:
    """The summary's ``equity``: walk time (and 2SFCA score, with a capacity) across residents,
    and the coverage gap of each key group.

    Residents are the population (a community counts once when no population is known);
    communities without a walk (unreachable, off the network) are left out of the walk-time
    measures and counted in ``residents_left_out``.
    """
    pop = table["population"].to_numpy(float)
    weights = pop if np.isfinite(pop).any() else np.ones(len(table))
    measures = [equity_summary(table["walk_min"].to_numpy(float), weights, name="walk_min")]
    if capacity is not None:
        measures.append(equity_summary(capacity.score, weights, name="access_2sfca"))
    return {
        "weights": "population" if np.isfinite(pop).any() else "communities",
        "measures": measures,
        "groups": group_gaps(table, groups) if np.isfinite(pop).any() else [],
    }


#: columns of the communities layer read as their residential building counts
BUILDINGS_COLUMNS = ("buildings", "residential_buildings")


def denominators(table, communities=None) -> dict:
    """Coverage by three denominators side by side: population, residential buildings (a
    ``buildings`` column of the communities layer) and residential land (polygon area, m²).

    Parameters
    ----------
    table
        The coverage table (network CRS, metric).
    communities
        The communities layer as read (for its building counts), or None.

    Returns
    -------
    dict
        ``available`` (names of the denominators found) and one row per denominator: total,
        covered, share covered (``None`` when not available, with the reason).
    """
    covered = table["covered"].to_numpy(bool)
    rows = []
    pop = table["population"].to_numpy(float)
    rows.append(_denominator("population", pop if np.isfinite(pop).any() else None, covered,
                             "no population column or estimate"))
    buildings = None
    if communities is not None:
        col = next((c for c in BUILDINGS_COLUMNS if c in communities.columns), None)
        if col is not None:
            by_id = pd.Series(pd.to_numeric(communities[col], errors="coerce").to_numpy(float),
                              index=communities["id"].astype(str).to_numpy())
            by_id = by_id[~by_id.index.duplicated()]
            buildings = by_id.reindex(table["community_id"].astype(str)).to_numpy(float)
    rows.append(_denominator("residential_buildings", buildings, covered,
                             "no 'buildings' column in the communities layer"))
    area = table.geometry.area.to_numpy(float)
    polygons = table.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    rows.append(_denominator("residential_land_m2", np.where(polygons, area, np.nan)
                             if polygons.any() else None, covered,
                             "communities are points, not polygons"))
    return {"available": [r["denominator"] for r in rows if r["available"]], "rows": rows}


def _denominator(name: str, values, covered: np.ndarray, why_not: str) -> dict:
    if values is None or not np.isfinite(values).any():
        return {"denominator": name, "available": False, "reason": why_not}
    total = float(np.nansum(values))
    cov = float(np.nansum(values[covered]))
    return {
        "denominator": name,
        "available": True,
        "total": round(total, 1),
        "covered": round(cov, 1),
        "share_covered": _round(cov / total) if total > 0 else None,
        "communities_without_figure": int((~np.isfinite(values)).sum()),
    }
