"""Walk distances on the search graph: nearest centre in one multi-source search, and a reference."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .network import WalkNetwork
from .snap import SearchGraph, Snapped

__all__ = ["NearestResult", "TIE_TOLERANCE_M", "nearest_centres", "nearest_centres_networkx"]

logger = logging.getLogger(__name__)

#: walks that differ by less than this are a tie, won by the centre that comes first (lowest rank)
TIE_TOLERANCE_M = 1e-7
#: constant added to every centre's leaf edge so no edge weighs 0 m; subtracted afterwards
_LEAF_OFFSET_M = 1.0


@dataclass(frozen=True)
class NearestResult:
    """Nearest centre of every target point.

    Attributes
    ----------
    walk_m
        Access leg + network walk + the centre's access leg, metres; ``inf`` when no centre is
        within the search limit (or the target is off the network).
    centre
        Position (rank) of the nearest centre among the given centres; -1 when none.
    """

    walk_m: np.ndarray
    centre: np.ndarray


def nearest_centres(
    graph: SearchGraph,
    centre_nodes: np.ndarray,
    centre_snap_m: np.ndarray,
    target_nodes: np.ndarray,
    target_snap_m: np.ndarray,
    *,
    limit_m: float = np.inf,
) -> NearestResult:
    """Nearest centre of every target in ONE multi-source Dijkstra search with a cutoff.

    Each centre becomes a leaf node joined to its snapped position by an edge as long as its
    access leg (plus a constant, and ``rank * TIE_TOLERANCE_M / n`` so that ties go to the
    lowest rank); one scipy search from all leaves finds, for every node, the nearest centre.

    Parameters
    ----------
    graph
        Search graph holding the snapped centres and targets.
    centre_nodes, centre_snap_m
        Node and access leg of each centre (node -1: centre not usable, ignored).
    target_nodes, target_snap_m
        Node and access leg of each target (node -1: off the network).
    limit_m
        Walks longer than this are not searched (result ``inf``).

    Returns
    -------
    NearestResult
    """
    centre_nodes = np.asarray(centre_nodes, np.int64)
    target_nodes = np.asarray(target_nodes, np.int64)
    usable = np.flatnonzero(centre_nodes >= 0)
    walk = np.full(target_nodes.size, np.inf)
    nearest = np.full(target_nodes.size, -1, np.int64)
    if usable.size == 0 or target_nodes.size == 0:
        return NearestResult(walk, nearest)
    n = graph.n_nodes
    k = usable.size
    tie_step = TIE_TOLERANCE_M / max(k, 1)
    leaf_w = centre_snap_m[usable] + _LEAF_OFFSET_M + np.arange(k) * tie_step
    leaves = n + np.arange(k)
    A = _with_leaves(graph.csr, centre_nodes[usable], leaf_w)
    dist, _, source = dijkstra(
        A,
        directed=True,
        indices=leaves,
        min_only=True,
        return_predecessors=True,
        limit=limit_m + _LEAF_OFFSET_M + TIE_TOLERANCE_M,
    )
    on = target_nodes >= 0
    tn = target_nodes[on]
    reached = np.isfinite(dist[tn])
    rank = np.where(reached, source[tn] - n, 0)
    w = dist[tn] - _LEAF_OFFSET_M - rank * tie_step + target_snap_m[on]
    w = np.where(reached & (w <= limit_m), w, np.inf)
    walk[on] = w
    nearest[on] = np.where(np.isfinite(w), usable[rank], -1)
    return NearestResult(walk, nearest)


def _with_leaves(csr: sp.csr_array, targets: np.ndarray, weights: np.ndarray) -> sp.csr_array:
    """`csr` with one new row per leaf: leaf ``n + i`` has a single edge to ``targets[i]``.

    Directed: the leaves are search sources only, and no shortest path enters a leaf (its one
    edge leads back where it came from), so the edges into them are left out. The rows are
    appended as they are; nothing is sorted or copied beyond one concatenation.
    """
    n, k = csr.shape[0], targets.size
    fits = max(n, csr.nnz) + k < np.iinfo(csr.indices.dtype).max
    itype = csr.indices.dtype if fits else np.int64
    indptr = np.concatenate([csr.indptr, csr.indptr[-1] + np.arange(1, k + 1)]).astype(itype)
    indices = np.concatenate([csr.indices, targets]).astype(itype)
    data = np.concatenate([csr.data, weights])
    return sp.csr_array((data, indices, indptr), shape=(n + k, n + k))


def nearest_centres_networkx(
    network: WalkNetwork,
    centres: Snapped,
    targets: Snapped,
    *,
    limit_m: float = np.inf,
) -> NearestResult:
    """Reference for `nearest_centres`: networkx, one Dijkstra per centre, by definition.

    Builds its own graph with ``network.to_networkx()`` and splits edges at the snapped points
    with networkx operations, independently of `circle.snap.build_search_graph`.

    Parameters
    ----------
    network
        The walking network.
    centres, targets
        Snapped centres (in rank order) and targets.
    limit_m
        Walks longer than this count as not found.

    Returns
    -------
    NearestResult
    """
    G = nx.Graph(network.to_networkx())
    ids = network.node_ids.tolist()

    def spot(edge: int, offset: float):
        u, v = ids[network.edge_u[edge]], ids[network.edge_v[edge]]
        if offset <= 0:
            return u
        if offset >= network.edge_length_m[edge]:
            return v
        return ("spot", edge, offset)

    by_edge: dict[int, set[float]] = {}
    for snapped in (centres, targets):
        for e, o in zip(snapped.edge.tolist(), snapped.offset_m.tolist()):
            if e >= 0 and 0 < o < network.edge_length_m[e]:
                by_edge.setdefault(e, set()).add(o)
    for e, offsets in by_edge.items():
        u, v = ids[network.edge_u[e]], ids[network.edge_v[e]]
        length = float(network.edge_length_m[e])
        G.remove_edge(u, v)
        chain = [(0.0, u), *((o, ("spot", e, o)) for o in sorted(offsets)), (length, v)]
        for (o1, n1), (o2, n2) in zip(chain[:-1], chain[1:]):
            G.add_edge(n1, n2, length=o2 - o1)

    t_nodes = [
        spot(e, o) if e >= 0 else None
        for e, o in zip(targets.edge.tolist(), targets.offset_m.tolist())
    ]
    walk = np.full(len(t_nodes), np.inf)
    nearest = np.full(len(t_nodes), -1, np.int64)
    for rank, (e, o, leg) in enumerate(
        zip(centres.edge.tolist(), centres.offset_m.tolist(), centres.snap_m.tolist())
    ):
        if e < 0:
            continue
        reach = nx.single_source_dijkstra_path_length(
            G, spot(e, o), cutoff=limit_m - leg, weight="length"
        )
        for i, node in enumerate(t_nodes):
            if node is None or node not in reach:
                continue
            w = leg + reach[node] + targets.snap_m[i]
            if w <= limit_m and w < walk[i] - TIE_TOLERANCE_M:
                walk[i], nearest[i] = w, rank
    return NearestResult(walk, nearest)
