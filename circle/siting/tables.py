"""The tables of a siting run: proposals, communities (with their outcome) and candidates."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

from .._validate import natural_key
from ..coverage.core import STATUS_OFF_NETWORK, STATUS_OK
from .result import PROPOSAL_COLUMNS

__all__ = [
    "candidates_table",
    "communities_table",
    "covered_after",
    "outcomes",
    "proposals_table",
    "with_demand",
]


def covered_after(covered_before, ranked, open_idx, cand):
    """Communities covered with the proposals, and the proposal credited with each."""
    after = covered_before.copy()
    new_site = np.full(after.size, None, dtype=object)
    for j, items in ranked:
        after[open_idx[items]] = True
        new_site[open_idx[items]] = cand["id"].iloc[j]
    return after, new_site


def communities_table(table, population, covered_before, after, new_site, outcome, crs):
    """One row per community: covered before and after, the site credited, the outcome."""
    return gpd.GeoDataFrame(
        {
            "community_id": table["community_id"].to_numpy(),
            "name": table["name"].to_numpy(),
            "population": population,
            "status": table["status"].to_numpy(),
            "covered_before": covered_before,
            "covered_after": after,
            "new_site_id": new_site,
            "outcome": outcome,
        },
        geometry=table.geometry.values,
        crs=crs,
    )


def candidates_table(cand, cand_xy, cand_snap, A, ranked, reached_pop, crs):
    """One row per candidate: snapping, status, uncovered communities reached, rank."""
    rank_of = np.zeros(len(cand), np.int64)
    for r, (j, _) in enumerate(ranked, start=1):
        rank_of[j] = r
    return gpd.GeoDataFrame(
        {
            "candidate_id": cand["id"].to_numpy(),
            "name": cand["name"].to_numpy(),
            "type": cand["type"].to_numpy(),
            "snap_m": cand_snap.snap_m,
            "status": np.where(cand_snap.on_network, STATUS_OK, STATUS_OFF_NETWORK),
            "uncovered_reached": np.diff(A.indptr),
            "population_reached": reached_pop if reached_pop is not None else np.nan,
            "rank": rank_of,
        },
        geometry=shapely.points(cand_xy),
        crs=crs,
    )


def with_demand(proposals, communities, ranked, open_idx, A, raw):
    """Add the demand column's figures: per proposal ``demand_newly_covered`` and
    ``demand_alone`` (the rules of the population columns), per community ``demand`` (the
    count as given, empty kept)."""
    counts = np.nan_to_num(raw, nan=0.0)

    def total(items) -> float:
        return math.fsum(counts[open_idx[items]])

    proposals = proposals.copy()
    at = proposals.columns.get_loc("population_alone") + 1
    proposals.insert(at, "demand_newly_covered", [float(total(items)) for _, items in ranked])
    proposals.insert(
        at + 1,
        "demand_alone",
        [float(total(A.indices[A.indptr[j] : A.indptr[j + 1]])) for j, _ in ranked],
    )
    communities = communities.copy()
    communities.insert(communities.columns.get_loc("population") + 1, "demand", raw)
    return proposals, communities


def outcomes(table, covered_before, covered_after, A, open_idx, cand_snap, comm_snap, network):
    outcome = np.full(len(table), "covered_before", dtype=object)
    outcome[covered_after & ~covered_before] = "newly_covered"
    coverable = np.zeros(len(table), bool)
    coverable[open_idx[np.unique(A.indices)]] = True
    comp = network.component
    cand_comps = np.unique(comp[network.edge_u[cand_snap.edge[cand_snap.on_network]]])
    comm_comp = comp[network.edge_u[np.maximum(comm_snap.edge, 0)]]
    left = ~covered_after
    outcome[left & coverable] = "not_chosen"
    outcome[left & ~coverable] = "too_far"
    outcome[left & ~coverable & ~np.isin(comm_comp, cand_comps)] = "unreachable"
    outcome[left & ~comm_snap.on_network] = "off_network"
    return outcome


def proposals_table(ranked, cand, cand_xy, cand_snap, table, open_idx, A, has_pop, network):
    pop = table["population"].to_numpy(float)
    ids = table["community_id"].to_numpy()
    rows = []
    for r, (j, items) in enumerate(ranked, start=1):
        alone = open_idx[A.indices[A.indptr[j] : A.indptr[j + 1]]]
        newly = open_idx[items]
        rows.append(
            {
                "rank": r,
                "site_id": cand["id"].iloc[j],
                "name": cand["name"].iloc[j],
                "type": cand["type"].iloc[j],
                "population_newly_covered": math.fsum(np.nan_to_num(pop[newly]))
                if has_pop
                else np.nan,
                "communities_newly_covered": int(newly.size),
                "population_alone": math.fsum(np.nan_to_num(pop[alone])) if has_pop else np.nan,
                "newly_covered_ids": ";".join(sorted(ids[newly], key=natural_key)),
                "snap_m": float(cand_snap.snap_m[j]),
            }
        )
    picked = [j for j, _ in ranked]
    return gpd.GeoDataFrame(
        rows or None,
        columns=PROPOSAL_COLUMNS,
        geometry=shapely.points(cand_xy[picked]) if picked else [],
        crs=network.crs,
    )
