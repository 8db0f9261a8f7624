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

__all__ = [
    "NearestResult",
    "NodeReach",
    "TIE_TOLERANCE_M",
    "nearest_centres",
    "nearest_centres_networkx",
    "reach_from_centres",
]

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


@dataclass(frozen=True)
class NodeReach:
    """Walk from the nearest centre to every node of a search graph.

    Attributes
    ----------
    walk_m
        Per node: the centre's access leg + the network walk to the node, metres; ``inf`` for
        nodes beyond the search limit or without a path.
    centre
        Per node: position (rank) of the nearest centre among the given centres; -1 when none.
    """

    walk_m: np.ndarray
    centre: np.ndarray


def reach_from_centres(
    graph: SearchGraph,
    centre_nodes: np.ndarray,
    centre_snap_m: np.ndarray,
    *,
    limit_m: float = np.inf,
) -> NodeReach:
    """Walk from the nearest centre to every node, in ONE multi-source Dijkstra with a cutoff.

    Each centre becomes a leaf node joined to its snapped position by an edge as long as its
    access leg (plus a constant, and ``rank * TIE_TOLERANCE_M / n`` so that ties go to the
    lowest rank); one scipy search from all leaves finds, for every node, the nearest centre.

    Parameters
    ----------
    graph
        Search graph holding the snapped centres.
    centre_nodes, centre_snap_m
        Node and access leg of each centre (node -1: centre not usable, ignored).
    limit_m
        Nodes farther than this are not searched (walk ``inf``).

    Returns
    -------
    NodeReach
    """
    centre_nodes = np.asarray(centre_nodes, np.int64)
    n = graph.n_nodes
    walk = np.full(n, np.inf)
    nearest = np.full(n, -1, np.int64)
    usable = np.flatnonzero(centre_nodes >= 0)
    if usable.size == 0:
        return NodeReach(walk, nearest)
    k = usable.size
    tie_step = TIE_TOLERANCE_M / max(k, 1)
    legs = np.asarray(centre_snap_m, np.float64)[usable]
    leaf_w = legs + _LEAF_OFFSET_M + np.arange(k) * tie_step
    leaves = n + np.arange(k)
    coo = graph.csr.tocoo()
    rows = np.concatenate([coo.row, leaves, centre_nodes[usable]])
    cols = np.concatenate([coo.col, centre_nodes[usable], leaves])
    data = np.concatenate([coo.data, leaf_w, leaf_w])
    A = sp.csr_array((data, (rows, cols)), shape=(n + k, n + k))
    dist, _, source = dijkstra(
        A,
        directed=True,
        indices=leaves,
        min_only=True,
        return_predecessors=True,
        limit=limit_m + _LEAF_OFFSET_M + TIE_TOLERANCE_M,
    )
    dist, source = dist[:n], source[:n]
    reached = np.isfinite(dist)
    rank = np.where(reached, source - n, 0)
    w = dist - _LEAF_OFFSET_M - rank * tie_step
    reached &= w <= limit_m
    walk[reached] = w[reached]
    nearest[reached] = usable[rank[reached]]
    return NodeReach(walk, nearest)


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

    The search is `reach_from_centres`; each target adds its own access leg.

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
    target_nodes = np.asarray(target_nodes, np.int64)
    walk = np.full(target_nodes.size, np.inf)
    nearest = np.full(target_nodes.size, -1, np.int64)
    if target_nodes.size == 0 or not (np.asarray(centre_nodes) >= 0).any():
        return NearestResult(walk, nearest)
    reach = reach_from_centres(graph, centre_nodes, centre_snap_m, limit_m=limit_m)
    on = target_nodes >= 0
    tn = target_nodes[on]
    w = reach.walk_m[tn] + np.asarray(target_snap_m, np.float64)[on]
    w = np.where(w <= limit_m, w, np.inf)
    walk[on] = w
    nearest[on] = np.where(np.isfinite(w), reach.centre[tn], -1)
    return NearestResult(walk, nearest)


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
