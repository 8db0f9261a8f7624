"""What a siting run returns: `SitingResult`, the outcomes of communities, the proposal columns."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import scipy.sparse as sp

from ..config import CircleConfig
from ..coverage.core import CoverageResult

__all__ = ["OUTCOMES", "PROPOSAL_COLUMNS", "SitingResult"]

#: what became of each community, in `SitingResult.communities["outcome"]`
OUTCOMES = {
    "covered_before": "already covered by an existing centre",
    "newly_covered": "covered by a proposed site",
    "not_chosen": "a candidate could cover it, but none of those was chosen",
    "too_far": "every candidate on its piece of network is beyond the threshold walk",
    "unreachable": "no candidate site on its connected piece of street network",
    "off_network": "the community is farther than max_snap_m from every walkable street",
}

#: columns of `SitingResult.proposals` (geometry last)
PROPOSAL_COLUMNS = [
    "rank",
    "site_id",
    "name",
    "type",
    "population_newly_covered",
    "communities_newly_covered",
    "population_alone",
    "newly_covered_ids",
    "snap_m",
]


@dataclass(frozen=True)
class SitingResult:
    """The outcome of a siting run.

    Attributes
    ----------
    proposals
        The proposed sites, best first (`PROPOSAL_COLUMNS` + point geometry, network CRS).
        ``population_newly_covered`` and ``communities_newly_covered`` count what each site
        adds to the sites ranked above it, so the columns sum to the total gain;
        ``population_alone`` is what the site would newly cover on its own. With a `demand`
        column, ``demand_newly_covered`` and ``demand_alone`` count its people the same way.
    communities
        One row per community (sorted by id): ``covered_before``, ``covered_after``,
        ``new_site_id`` (the proposal credited with covering it) and ``outcome`` (`OUTCOMES`);
        ``demand`` (the count, empty kept) with a `demand` column.
    candidates
        One row per candidate (sorted by id): ``snap_m``, ``status`` (ok, off_network),
        ``uncovered_reached`` and ``population_reached`` (uncovered communities within the
        threshold walk), ``rank`` (0 when not proposed).
    reach
        Walk metres of every (candidate, community) pair within the threshold, sparse, rows and
        columns in the order of `candidates` and `communities`.
    before
        Coverage by the existing centres.
    mode
        {"add", "cover_all"}
    add
        K of ``add=K``; None when covering all.
    objective
        {"population", "communities"} or the `demand` column: what "most" counts
        (communities when the layer has no population at all and no demand column is given).
    solver
        Method, status, objective, bound and gap of the MILP, and the greedy's objective and gap.
    config
        The run parameters.
    sources
        Provenance of the network and the layers, candidates included.
    demand
        The key-group column the objective counts, or None (population).
    """

    proposals: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    reach: sp.csr_array
    before: CoverageResult
    mode: str
    add: int | None
    objective: str
    solver: dict
    config: CircleConfig
    sources: dict
    demand: str | None = None
