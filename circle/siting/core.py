"""Siting new centres: candidate sites, the communities each reaches, and the best choice.

Two questions, both over the communities the existing centres leave uncovered at the circle's
threshold (`CircleConfig.threshold_min`):

- maximal covering (``add=K``): which K new sites newly cover the most people;
- set covering (``cover_all=True``): the fewest new sites that cover every community any
  candidate can cover.

Both are solved exactly with `scipy.optimize.milp` (HiGHS, with a time limit; the optimality gap
is reported) and by a lazy greedy that is fast on very large instances. scipy's ``milp`` takes no
starting solution, so the greedy cannot warm-start it; it runs first instead, its answer is kept
when the MILP stops at the time limit with a worse one, and its gap to the MILP's bound is
reported.
"""

from __future__ import annotations

import heapq
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .._validate import natural_key
from ..config import DEFAULT_CONFIG, CircleConfig
from ..coverage.core import (
    STATUS_OFF_NETWORK,
    STATUS_OK,
    CoverageResult,
    check_on_network,
    coverage_report,
    prepare_layer,
)
from ..errors import ConfigError, InputDataError, SolverError
from ..io.columns import LayerColumns
from ..io.db import is_db_url, mask_url
from ..io.files import read_layer
from ..io.osm import OSM_SUFFIXES, read_tagged_features
from ..network.engine import reach_within
from ..network.snap import build_search_graph, snap_points
from ..network.walk import WalkNetwork
from .tags import CANDIDATE_TAGS, DEFAULT_GRID_SPACING_M

__all__ = [
    "CANDIDATE_TAGS",
    "DEFAULT_GRID_SPACING_M",
    "OUTCOMES",
    "PROPOSAL_COLUMNS",
    "SitingResult",
    "candidates_from_osm",
    "candidates_on_grid",
    "check_candidate_sources",
    "combine_candidates",
    "gather_candidates",
    "site_new_centres",
    "siting_summary",
]

logger = logging.getLogger(__name__)

# CANDIDATE_TAGS and DEFAULT_GRID_SPACING_M live in .tags (light: the CLI's help shows them)

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


# ---- candidate sites -----------------------------------------------------------------------------


def candidates_from_osm(
    path: str | Path,
    *,
    tags: dict[tuple[str, str], str] | None = None,
    exclude_ids=(),
) -> gpd.GeoDataFrame:
    """Candidate sites from an OSM file's tagged features (points and areas).

    Parameters
    ----------
    path
        An .osm, .osm.bz2 or .osm.pbf file (typically the network's own file).
    tags
        ``(key, value) -> centre type``; default `CANDIDATE_TAGS`. A feature matching several
        takes the type of the first.
    exclude_ids
        Feature ids to leave out (``"node/…"``, ``"way/…"``): the existing centres when they
        come from the same file, since a centre cannot be its own new site.

    Returns
    -------
    candidates
        WGS84 points with ``id`` (``node/…``, ``way/…``, ``relation/…``), ``name``, ``type`` and
        ``osm_tag``; areas and cut outlines give a point on themselves. Empty when nothing
        matches.
    """
    tags = CANDIDATE_TAGS if tags is None else tags
    path = Path(path)
    keys = tuple(sorted({k for k, _ in tags}))
    exclude = set(exclude_ids)
    rows = []
    for f in read_tagged_features(path, keys):
        if f["osm_id"] in exclude:
            continue
        match = next(((k, v) for k, v in tags if f["tags"].get(k) == v), None)
        if match is None:
            continue
        geom = f["geometry"]
        rows.append(
            {
                "id": f["osm_id"],
                "name": f["tags"].get("name", ""),
                "type": tags[match],
                "osm_tag": f"{match[0]}={match[1]}",
                "geometry": geom if geom.geom_type == "Point" else geom.representative_point(),
            }
        )
    out = gpd.GeoDataFrame(
        rows or None, columns=["id", "name", "type", "osm_tag", "geometry"], crs="EPSG:4326"
    )
    out.attrs["source"] = f"candidates derived from {path.name} (OSM tags)"
    out.attrs["row_label"] = "feature"
    logger.info("candidates: %d OSM features of %s", len(out), path.name)
    return out


def candidates_on_grid(
    network: WalkNetwork, spacing_m: float = DEFAULT_GRID_SPACING_M
) -> gpd.GeoDataFrame:
    """Candidate sites spread over the street network: one street node per square cell.

    The plane is cut into `spacing_m` squares aligned on multiples of `spacing_m` in the
    network's CRS; every square holding street nodes gives one candidate, the node nearest the
    square's centre (the lowest node position on a tie). The result depends on the network only.

    Parameters
    ----------
    network
        The walking network.
    spacing_m
        Side of the squares, metres (default `DEFAULT_GRID_SPACING_M`).

    Returns
    -------
    candidates
        Points in the network's CRS with ``id`` ``grid/<node id>``, ``name`` and ``type``
        (``other``).
    """
    if not (isinstance(spacing_m, (int, float)) and math.isfinite(spacing_m) and spacing_m > 0):
        msg = f"`spacing_m` (--candidates-grid-m) must be > 0 metres, got {spacing_m!r}"
        raise ConfigError(msg)
    xy = network.xy
    cell = np.floor(xy / spacing_m)
    d = np.hypot(*(xy - (cell + 0.5) * spacing_m).T)
    order = np.lexsort((np.arange(len(xy)), d, cell[:, 1], cell[:, 0]))
    first = np.r_[True, (np.diff(cell[order], axis=0) != 0).any(axis=1)]
    pick = np.sort(order[first])
    node_ids = network.node_ids[pick]
    out = gpd.GeoDataFrame(
        {
            "id": [f"grid/{n}" for n in node_ids],
            "name": [f"street node {n}" for n in node_ids],
            "type": "other",
        },
        geometry=shapely.points(xy[pick]),
        crs=network.crs,
    )
    out.attrs["source"] = f"street-network grid every {spacing_m:g} m"
    out.attrs["row_label"] = "site"
    logger.info("candidates: %d grid sites every %g m", len(out), spacing_m)
    return out


def combine_candidates(*layers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidates from several sources (a file, OSM tags, the grid) as one layer.

    Parameters
    ----------
    *layers
        Candidate layers, each with ``id`` (``name``, ``type`` optional) and a CRS.

    Returns
    -------
    candidates
        One WGS84 layer with ``id``, ``name``, ``type`` and ``geometry``, the sources named
        together in ``attrs["source"]``. Ids must stay unique across the sources.
    """
    if len(layers) == 1:
        return layers[0]
    parts = [
        layer[[c for c in ("id", "name", "type") if c in layer.columns] + ["geometry"]].to_crs(
            "EPSG:4326"
        )
        for layer in layers
    ]
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    out.attrs["source"] = " + ".join(layer.attrs.get("source", "candidates") for layer in layers)
    out.attrs["row_label"] = "candidate"
    return out


def check_candidate_sources(
    network_source: str | Path,
    *,
    candidates_file: str | Path | None = None,
    from_osm: bool = False,
    tags: dict[tuple[str, str], str] | None = None,
    grid_m: float | None = None,
) -> bool:
    """Check the candidate sources asked for (before any reading), as `gather_candidates`.

    Returns
    -------
    bool
        Whether candidates come from the network's OSM tags (asked for, implied by `tags`, or
        the default when no source is given).

    Raises
    ------
    ConfigError
        OSM candidates asked for (or implied) but the network is not an OSM file.
    """
    from_osm = from_osm or tags is not None or not (candidates_file or grid_m)
    source = str(network_source)
    if from_osm and (is_db_url(source) or not Path(source).name.lower().endswith(OSM_SUFFIXES)):
        label = mask_url(source) if is_db_url(source) else Path(source).name
        msg = (
            f"{label}: a .graphml or database network has no tags to take candidate sites "
            "from; give --candidates FILE or --candidates-grid-m SPACING"
        )
        raise ConfigError(msg)
    return from_osm


def gather_candidates(
    network_source: str | Path,
    network: WalkNetwork,
    centres: gpd.GeoDataFrame,
    *,
    candidates_file: str | Path | None = None,
    from_osm: bool = False,
    tags: dict[tuple[str, str], str] | None = None,
    grid_m: float | None = None,
    columns: LayerColumns | None = None,
    layer_crs: str | None = None,
    datum: str = "wgs84",
) -> gpd.GeoDataFrame:
    """Candidate sites from every source asked for, as one layer.

    Parameters
    ----------
    network_source
        The network's file (or database URL): OSM candidates come from its tags.
    network
        The walking network (for grid candidates).
    centres
        The existing centres: an OSM feature that is already a centre is not a candidate.
    candidates_file
        A layer of candidate sites (read with `circle.io.read_layer`).
    from_osm
        Take candidates from the network file's OSM tags; also when `tags` are given, and
        the default when no source is given at all.
    tags
        ``(key, value) -> centre type`` instead of `CANDIDATE_TAGS`.
    grid_m
        Spacing of grid candidates (`candidates_on_grid`), metres; None for none.
    columns, layer_crs, datum
        How to read `candidates_file`, as for `circle.io.read_layer`.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates (`combine_candidates`).

    Raises
    ------
    ConfigError
        OSM candidates asked for (or implied) but the network is not an OSM file.
    """
    from_osm = check_candidate_sources(
        network_source,
        candidates_file=candidates_file,
        from_osm=from_osm,
        tags=tags,
        grid_m=grid_m,
    )
    source = str(network_source)
    layers = []
    if candidates_file:
        layers.append(
            read_layer(
                candidates_file,
                columns=columns or LayerColumns(),
                crs=layer_crs,
                kind="candidates",
                datum=datum,
            )
        )
    if from_osm:
        centre_ids = {str(i) for i in centres["id"]}
        layers.append(candidates_from_osm(source, tags=tags, exclude_ids=centre_ids))
    if grid_m:
        layers.append(candidates_on_grid(network, grid_m))
    return combine_candidates(*layers)


# ---- the run -------------------------------------------------------------------------------------


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
        Time limit of the MILP, seconds; when reached, the best solution found so far is kept
        and the gap to the bound is reported.
    demand
        A key-group count column of `communities` (e.g. ``graduates``) to weight the objective
        by instead of population: ``add=K`` then newly covers the most people of that group.
        Counts must be numbers >= 0; empty cells count 0 (reported in the summary). ``None``
        or ``"population"``: population.

    Returns
    -------
    SitingResult
    """
    _check_request(add, cover_all, solver, time_limit_s)
    demand = None if demand == "population" else demand
    before = coverage_report(
        communities, centres, network, config=config, groups=None if demand is None else (demand,)
    )
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
    cand_snap = snap_points(network, cand_xy, max_snap_m=config.max_snap_m)
    check_on_network(cand, candidates, cand_snap, network, config, "candidates")
    n_on = int(cand_snap.on_network.sum())
    if add is not None and add > n_on:
        msg = (
            f"{cand_source}: asked for {add} new sites (--add) but only {n_on} of the "
            f"{len(cand)} candidates are on the network; give more candidates or ask for fewer"
        )
        raise InputDataError(msg)

    table = before.table
    comm_xy = shapely.get_coordinates(shapely.point_on_surface(table.geometry.values))
    comm_snap = snap_points(network, comm_xy, max_snap_m=config.max_snap_m)
    graph = build_search_graph(network, cand_snap, comm_snap)
    cand_nodes, comm_nodes = graph.point_node
    reach = reach_within(
        graph, cand_nodes, cand_snap.snap_m, comm_nodes, comm_snap.snap_m, config.max_walk_m
    )

    population = table["population"].to_numpy(float)
    has_pop = bool(np.isfinite(population).any())
    if demand is not None:
        objective, weight = demand, np.nan_to_num(table[demand].to_numpy(float), nan=0.0)
    else:
        objective = "population" if has_pop else "communities"
        weight = np.nan_to_num(population, nan=0.0) if has_pop else None
    covered_before = table["covered"].to_numpy(bool)
    open_idx = np.flatnonzero(~covered_before)
    A = _pattern(reach)[:, open_idx].tocsr()
    A.sort_indices()
    count = np.ones(open_idx.size)
    w_open = count if weight is None else weight[open_idx]
    # greedy gains: (objective, tie-break); set covering counts communities first
    values = (count, w_open) if cover_all else (w_open, count)

    chosen, info = _solve(
        A, values, add=add, cover_all=cover_all, solver=solver, time_limit_s=time_limit_s
    )
    ranked = _lazy_greedy(A, values, limit=len(chosen), allowed=chosen)
    logger.info("siting: %s; %d sites proposed", info["status"], len(ranked))

    covered_after = covered_before.copy()
    new_site = np.full(len(table), None, dtype=object)
    for j, items in ranked:
        covered_after[open_idx[items]] = True
        new_site[open_idx[items]] = cand["id"].iloc[j]
    outcome = _outcomes(
        table, covered_before, covered_after, A, open_idx, cand_snap, comm_snap, network
    )
    communities_out = gpd.GeoDataFrame(
        {
            "community_id": table["community_id"].to_numpy(),
            "name": table["name"].to_numpy(),
            "population": population,
            "status": table["status"].to_numpy(),
            "covered_before": covered_before,
            "covered_after": covered_after,
            "new_site_id": new_site,
            "outcome": outcome,
        },
        geometry=table.geometry.values,
        crs=network.crs,
    )
    rank_of = np.zeros(len(cand), np.int64)
    for r, (j, _) in enumerate(ranked, start=1):
        rank_of[j] = r
    reached_pop = A @ np.nan_to_num(population[open_idx]) if has_pop else None
    candidates_out = gpd.GeoDataFrame(
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
        crs=network.crs,
    )
    proposals = _proposals(ranked, cand, cand_xy, cand_snap, table, open_idx, A, has_pop, network)
    if demand is not None:
        proposals, communities_out = _with_demand(
            proposals, communities_out, ranked, open_idx, A, table[demand].to_numpy(float)
        )
    sources = {
        **before.sources,
        "candidates": {
            "file": cand_source,
            "features": len(cand),
            "repaired_geometries": cand_repaired,
        },
    }
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


def _with_demand(proposals, communities, ranked, open_idx, A, raw):
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


def _check_request(add, cover_all: bool, solver: str, time_limit_s: float) -> None:
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
    if problems:
        raise ConfigError("; ".join(problems))


def _pattern(matrix: sp.csr_array) -> sp.csr_array:
    """The stored entries of a sparse matrix as True, zeros included."""
    return sp.csr_array(
        (np.ones(matrix.nnz, bool), matrix.indices, matrix.indptr), shape=matrix.shape
    )


def _outcomes(table, covered_before, covered_after, A, open_idx, cand_snap, comm_snap, network):
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


def _proposals(ranked, cand, cand_xy, cand_snap, table, open_idx, A, has_pop, network):
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


# ---- the optimisation ----------------------------------------------------------------------------


def _lazy_greedy(A: sp.csr_array, values: tuple, *, limit: float, allowed=None) -> list:
    """Greedy covering with lazy re-evaluation (exact, since gains only shrink).

    Each step takes the candidate with the largest gain, a tuple compared in order (the
    objective, then the tie-break), the lower candidate position on a full tie; it stops at
    `limit` sites or when the best gain's objective is 0. Gains are exactly rounded sums
    (`math.fsum`), so a recomputed gain never exceeds the stale one it replaces.

    Returns
    -------
    list of (candidate, newly covered item positions)
    """
    covered = np.zeros(A.shape[1], bool)

    def gain(j: int):
        items = A.indices[A.indptr[j] : A.indptr[j + 1]]
        items = items[~covered[items]]
        return tuple(-math.fsum(v[items]) for v in values), items

    pool = range(A.shape[0]) if allowed is None else sorted(allowed)
    heap = [(gain(j)[0], j) for j in pool]
    heapq.heapify(heap)
    chosen = []
    while heap and len(chosen) < limit:
        _, j = heapq.heappop(heap)
        key, items = gain(j)
        if heap and (key, j) > heap[0]:
            heapq.heappush(heap, (key, j))
            continue
        if key[0] >= 0:  # the best site adds nothing
            break
        chosen.append((j, items))
        covered[items] = True
    return chosen


def _covered(A: sp.csr_array, sites) -> np.ndarray:
    """Mask of the items the sites cover together."""
    mask = np.zeros(A.shape[1], bool)
    if len(sites):
        mask[A[np.asarray(sorted(sites))].indices] = True
    return mask


def _gap(objective: float, bound: float | None) -> float | None:
    """Relative gap |bound - objective| / |objective| (HiGHS's definition)."""
    if bound is None:
        return None
    if objective == 0:
        return 0.0 if abs(bound) < 1e-9 else None
    return max(0.0, abs(bound - objective) / abs(objective))


def _solve(A, values, *, add, cover_all, solver, time_limit_s):
    """Choose sites; returns (candidate positions, solver report)."""
    weight = values[0]

    def objective(sites) -> float:
        return float(len(sites)) if cover_all else math.fsum(weight[_covered(A, sites)])

    greedy = [j for j, _ in _lazy_greedy(A, values, limit=math.inf if cover_all else add)]
    greedy_obj = objective(greedy)
    info = {
        "method": solver,
        "problem": "set covering" if cover_all else "maximal covering",
        "status": None,
        "objective": greedy_obj,
        "bound": None,
        "gap": None,
        "greedy_objective": greedy_obj,
        "greedy_gap": None,
        "solution_from": "greedy",
        "time_limit_s": float(time_limit_s),
    }
    # only items that count: every coverable one for set covering, weight > 0 for maximal covering
    useful = np.flatnonzero(np.diff(A.tocsc().indptr) if cover_all else weight > 0)
    if A[:, useful].nnz == 0:
        info.update(status="nothing to cover", bound=0.0, gap=0.0, greedy_gap=0.0)
        return greedy, info
    sub, kept, w_sub = _reduce(A[:, useful].tocsr(), weight[useful])

    def greedy_bound() -> float | None:
        """The tightest bound without the MILP: LP relaxation, and submodularity for add=K."""
        bounds = [_lp_bound(sub, w_sub, add=add, time_limit_s=time_limit_s)]
        if not cover_all:
            # optimum <= f(S) + the K largest gains with respect to the greedy's sites S
            gains = A @ np.where(_covered(A, greedy), 0.0, weight)
            bounds.append(greedy_obj + math.fsum(np.sort(gains)[::-1][:add]))
        return _tightest(bounds, cover_all)

    if solver == "greedy":
        bound = greedy_bound()
        info.update(status="greedy", bound=bound, gap=_gap(greedy_obj, bound))
        info["greedy_gap"] = info["gap"]
        return greedy, info

    res = _milp(sub, w_sub, add=add, time_limit_s=time_limit_s)
    if res.status not in (0, 1):
        msg = f"the MILP solver failed: {res.message}"
        raise SolverError(msg)
    sign = 1.0 if cover_all else -1.0
    bound = None
    if res.mip_dual_bound is not None and math.isfinite(res.mip_dual_bound):
        bound = sign * res.mip_dual_bound
    elif res.status == 0:
        bound = sign * res.fun
    if res.status != 0:  # stopped early: the LP or the greedy may give a tighter bound
        bound = _tightest([bound, greedy_bound()], cover_all)
    chosen = greedy
    if res.x is not None:
        milp_sites = kept[res.x[: kept.size] > 0.5].tolist()
        milp_obj = objective(milp_sites)
        # strictly better only: on a tie the greedy's rule-based choice (smaller ids) stays
        better = milp_obj < greedy_obj if cover_all else milp_obj > greedy_obj
        if better:
            chosen, info["solution_from"], info["objective"] = milp_sites, "milp", milp_obj
    info["status"] = "optimal" if res.status == 0 else "time_limit"
    info["bound"] = bound
    info["gap"] = _gap(info["objective"], bound)
    info["greedy_gap"] = _gap(greedy_obj, bound)
    return chosen, info


def _tightest(bounds, cover_all: bool) -> float | None:
    """The tightest of the known bounds: the largest lower bound, or the smallest upper bound."""
    known = [b for b in bounds if b is not None]
    if not known:
        return None
    return max(known) if cover_all else min(known)


def _reduce(A: sp.csr_array, weight: np.ndarray):
    """Shrink the problem without changing its optimum.

    Candidates covering nothing are dropped and candidates covering the same items are kept
    once (the lower position); items covered by the same candidates are merged (weights summed).

    Returns
    -------
    sub, kept, weight
        The reduced candidates x items matrix, the original position of each kept candidate,
        and the weight of each merged item.
    """
    kept = _first_of_each_row_pattern(A)
    sub = A[kept]
    items = np.flatnonzero(np.diff(sub.tocsc().indptr))
    by_item = sub[:, items].T.tocsr()
    by_item.sort_indices()
    first, group = _first_of_each_row_pattern(by_item, return_group=True)
    merged_w = np.bincount(group, weights=weight[items], minlength=first.size)
    merged = by_item[first].T.tocsr()
    merged.sort_indices()
    return merged, kept, merged_w


def _first_of_each_row_pattern(M: sp.csr_array, *, return_group: bool = False):
    """Positions of the first row of each distinct non-empty sparsity pattern."""
    seen: dict[bytes, int] = {}
    first, group = [], []
    for i in range(M.shape[0]):
        cols = M.indices[M.indptr[i] : M.indptr[i + 1]]
        if cols.size == 0 and not return_group:
            continue
        key = cols.tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(i)
        group.append(seen[key])
    first = np.array(first, np.int64)
    return (first, np.array(group, np.int64)) if return_group else first


def _model(sub: sp.csr_array, weight: np.ndarray, add: int | None):
    """The reduced problem as ``min c @ v`` subject to ``A_ub @ v <= b_ub``, ``0 <= v <= 1``.

    Set covering (``add`` None): v = x, min sum(x), every item covered at least once.
    Maximal covering: v = (x, y), max sum(w y) subject to y_i <= the sum of the x_j covering
    i and sum(x) <= add; y may stay continuous (at an optimum it is 0 or 1 for integral x).

    Returns
    -------
    c, A_ub, b_ub, n_x
        n_x: the number of site variables (they come first).
    """
    n, m = sub.shape
    cover = sub.T.astype(float).tocsr()
    if add is None:
        return np.ones(n), -cover, -np.ones(m), n
    A_ub = sp.vstack(
        [
            sp.hstack([-cover, sp.eye_array(m)]),
            sp.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]),
        ],
        format="csr",
    )
    return np.r_[np.zeros(n), -weight], A_ub, np.r_[np.zeros(m), float(add)], n


def _milp(sub: sp.csr_array, weight: np.ndarray, *, add, time_limit_s: float):
    """Solve the reduced problem exactly with HiGHS (scipy.optimize.milp)."""
    c, A_ub, b_ub, n_x = _model(sub, weight, add)
    return milp(
        c,
        constraints=LinearConstraint(A_ub, lb=-np.inf, ub=b_ub),
        integrality=np.r_[np.ones(n_x), np.zeros(c.size - n_x)],
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "disp": False},
    )


def _lp_bound(sub: sp.csr_array, weight: np.ndarray, *, add, time_limit_s: float):
    """The LP relaxation's optimum (HiGHS interior point), a bound on the integer optimum.

    The interior-point method, because the simplex stalls on these degenerate LPs; None when
    the LP is not solved within the time limit.
    """
    c, A_ub, b_ub, _ = _model(sub, weight, add)
    lp = linprog(
        c,
        A_ub=A_ub,
        b_ub=b_ub,
        bounds=(0.0, 1.0),
        method="highs-ipm",
        options={"time_limit": float(time_limit_s)},
    )
    if lp.status != 0:
        return None
    return float(math.ceil(lp.fun - 1e-6)) if add is None else -float(lp.fun)


# ---- summary -------------------------------------------------------------------------------------


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
    n = len(c)

    def figures(mask: np.ndarray) -> dict:
        covered_pop = math.fsum(np.nan_to_num(pop[mask])) if has_pop else None
        return {
            "communities_covered": int(mask.sum()),
            "communities_share": round(int(mask.sum()) / n, 4) if n else None,
            "population_covered": covered_pop,
            "population_share": round(covered_pop / total_pop, 4)
            if has_pop and total_pop
            else None,
        }

    before = figures(c["covered_before"].to_numpy(bool))
    after = figures(c["covered_after"].to_numpy(bool))
    demand = None
    if result.demand is not None:
        raw = c["demand"].to_numpy(float)
        counts = np.nan_to_num(raw, nan=0.0)
        d_before = math.fsum(counts[c["covered_before"].to_numpy(bool)])
        d_after = math.fsum(counts[c["covered_after"].to_numpy(bool)])
        demand = {
            "column": result.demand,
            "total": math.fsum(counts),
            "communities_without_figure": int(np.isnan(raw).sum()),
            "covered_before": d_before,
            "covered_after": d_after,
            "gain": d_after - d_before,
        }
    left = c.loc[~c["covered_after"]].copy()
    left["_pop"] = left["population"].fillna(-1)
    left["_key"] = left["community_id"].map(natural_key)
    left = left.sort_values(["_pop", "_key"], ascending=[False, True], kind="stable")
    cand = result.candidates
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
        "candidates": {
            "total": len(cand),
            "on_network": int((cand["status"] == STATUS_OK).sum()),
            "off_network": sorted(
                cand.loc[cand["status"] != STATUS_OK, "candidate_id"], key=natural_key
            ),
            "reaching_uncovered": int((cand["uncovered_reached"] > 0).sum()),
        },
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
        "left_out": [
            {
                "community_id": r.community_id,
                "name": r.name,
                "population": _finite(r.population),
                **({"demand": _finite(r.demand)} if demand else {}),
                "outcome": r.outcome,
            }
            for r in left.itertuples()
        ],
    }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
