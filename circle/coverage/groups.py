"""Key groups: the people the employment plan names (graduates, veterans, ...) per community.

A community layer may carry one count column per group. The summary then says, for every group,
how many of its people live in covered communities and how many are left out; covered +
uncovered = total by construction, overall and per area.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .._validate import count_problems, natural_key
from ..errors import InputDataError

__all__ = ["DEFAULT_GROUP_COLUMNS", "group_coverage", "resolve_group_columns"]

#: group count columns picked up when present and no list is given (Liaoning's Action Plan 3.0
#: names college graduates, migrant rural workers, veterans, unemployed people, households in
#: difficulty and workers in new forms of employment)
DEFAULT_GROUP_COLUMNS = (
    "graduates",
    "migrant_workers",
    "veterans",
    "unemployed",
    "low_income",
    "new_employment_forms",
)

def resolve_group_columns(
    communities: gpd.GeoDataFrame,
    groups: tuple[str, ...] | list[str] | None = None,
    *,
    reserved: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """Check the key-group count columns of a communities layer and return their names.

    Parameters
    ----------
    communities
        The communities layer as read (rows in file order, so messages name the right rows).
    groups
        Column names; ``None`` picks those of `DEFAULT_GROUP_COLUMNS` that are present.
    reserved
        Names a group column may not take (the columns of the coverage table).

    Returns
    -------
    tuple of str
        The group columns, in the order given. Refuses (`InputDataError`, naming the file and the
        rows) missing columns, non-numeric, negative or infinite counts. Empty cells are allowed
        (no figure: counted as 0, and reported).
    """
    source = communities.attrs.get("source", "communities layer")
    row_label = communities.attrs.get("row_label", "row")
    if groups is None:
        return tuple(g for g in DEFAULT_GROUP_COLUMNS if g in communities.columns)
    groups = tuple(groups)
    problems = []
    if len(set(groups)) != len(groups):
        problems.append(f"a group column is named twice in {list(groups)!r}")
    taken = [g for g in groups if g in reserved]
    if taken:
        problems.append(f"{taken!r} cannot be group columns (circle uses these names)")
    missing = [g for g in groups if g not in communities.columns and g not in taken]
    if missing:
        problems.append(
            f"no group column {', '.join(map(repr, missing))}; found columns "
            f"{[c for c in communities.columns if c != 'geometry']!r}"
        )
    for g in groups:
        if g not in missing and g not in taken:
            problems += count_problems(communities[g], f"count in column {g!r}", row_label)[0]
    if problems:
        msg = f"{source}: " + "; ".join(problems)
        raise InputDataError(msg)
    return groups


def group_coverage(
    table: pd.DataFrame,
    groups: tuple[str, ...] | list[str],
    *,
    covered: np.ndarray | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """People of each key group in covered and in uncovered communities.

    Parameters
    ----------
    table
        A per-community table with the group count columns (a `CoverageResult.table`, or
        ``coverage.csv`` read back).
    groups
        The group columns.
    covered
        Which communities count as covered (default: the ``covered`` column, the main circle).
    by
        An area column: one row per area and group as well as the overall rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``area`` (only with `by`; ``None`` on the overall rows, which come first),
        ``group``, ``total``, ``covered``, ``uncovered``, ``share`` (covered / total, ``nan`` when
        the total is 0) and ``communities_without_figure``. Empty counts count as 0; covered +
        uncovered = total on every row.
    """
    mask = table["covered"].to_numpy(bool) if covered is None else np.asarray(covered, bool)
    parts = [(None, np.ones(len(table), bool))]
    if by is not None:
        areas = table[by].fillna("").astype(str).to_numpy()
        parts += [(a, areas == a) for a in sorted(set(areas), key=natural_key)]
    rows = []
    for area, rows_in in parts:
        for g in groups:
            raw = pd.to_numeric(table[g], errors="coerce").to_numpy(float)[rows_in]
            counts = np.nan_to_num(raw, nan=0.0)
            total = float(counts.sum())
            inside = mask[rows_in]
            cov = float(counts[inside].sum())
            row = {
                "group": g,
                "total": total,
                "covered": cov,
                "uncovered": float(counts[~inside].sum()),
                "share": cov / total if total else np.nan,
                "communities_without_figure": int(np.isnan(raw).sum()),
            }
            rows.append({"area": area, **row} if by is not None else row)
    return pd.DataFrame(rows)
