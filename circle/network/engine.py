"""Walk distances on the search graph: nearest centre in one multi-source search, the reach of
many sources within a limit, and networkx references for both."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ._fastpath import bounded_reach
from .snap import SearchGraph, Snapped
from .walk import WalkNetwork

__all__ = [
    "BOUNDARY_TOLERANCE_M",
    "TIE_TOLERANCE_M",
    "NearestResult",
    "NodeReach",
    "expand_members",
    "nearest_centres",
    "nearest_centres_networkx",
    "node_members",
    "reach_from_centres",
    "reach_within",
    "reach_within_networkx",
]

logger = logging.getLogger(__name__)

#: walks that differ by less than this are a tie, won by the centre that comes first (lowest rank)
TIE_TOLERANCE_M = 1e-7
#: a walk at most this far beyond a limit counts as within it (coverage's ``walk <= band_m + 1e-9``)
BOUNDARY_TOLERANCE_M = 1e-9
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
    nodes: np.ndarray | None = None,
) -> NodeReach:
    """Walk from the nearest centre to every node, in ONE multi-source Dijkstra with a cutoff.

    Each centre becomes a leaf node joined to its snapped position by an edge as long as its
    access leg (plus a constant, and ``rank * TIE_TOLERANCE_M / n`` so that ties go to the
    lowest rank); one scipy search from all leaves finds, for every node, the nearest centre.
    The rank is the centre's position in `centre_nodes` and ``n`` its length, unusable centres
    included, so a partitioned run that passes every centre (those outside its part as -1) adds
    the same leaf weights and gets the same walks to the last bit. With directed costs (see
    `circle.network.walk.WalkNetwork.edge_fw_m`) the walk is FROM the node TO the centre: the
    search runs on the reversed arcs (`SearchGraph.reverse_csr`), and walks are costs in
    flat-equivalent metres.

    Parameters
    ----------
    graph
        Search graph holding the snapped centres.
    centre_nodes, centre_snap_m
        Node and access leg of each centre (node -1: centre not usable, ignored).
    limit_m
        Nodes farther than this are not searched (walk ``inf``).
    nodes
        Only these nodes' walks, in this order (the same values as for every node, without
        the passes over the whole network); default every node.

    Returns
    -------
    NodeReach
    """
    centre_nodes = np.asarray(centre_nodes, np.int64)
    n = graph.n_nodes
    size = n if nodes is None else len(nodes)
    walk = np.full(size, np.inf)
    nearest = np.full(size, -1, np.int64)
    usable = np.flatnonzero(centre_nodes >= 0)
    if usable.size == 0:
        return NodeReach(walk, nearest)
    k = usable.size
    tie_step = TIE_TOLERANCE_M / centre_nodes.size
    legs = np.asarray(centre_snap_m, np.float64)[usable]
    leaf_w = legs + _LEAF_OFFSET_M + usable * tie_step
    leaves = n + np.arange(k)
    # the walk goes from a node TO its centre: with directed costs, search the reversed arcs
    A = _with_leaves(graph.reverse_csr, centre_nodes[usable], leaf_w)
    dist, _, source = dijkstra(
        A,
        directed=True,
        indices=leaves,
        min_only=True,
        return_predecessors=True,
        limit=limit_m + _LEAF_OFFSET_M + TIE_TOLERANCE_M,
    )
    dist, source = (dist[:n], source[:n]) if nodes is None else (dist[nodes], source[nodes])
    reached = np.isfinite(dist)
    rank = usable[np.where(reached, source - n, 0)]
    w = dist - _LEAF_OFFSET_M - rank * tie_step
    reached &= w <= limit_m
    walk[reached] = w[reached]
    nearest[reached] = rank[reached]
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
    on = target_nodes >= 0
    tn = target_nodes[on]
    reach = reach_from_centres(graph, centre_nodes, centre_snap_m, limit_m=limit_m, nodes=tn)
    w = reach.walk_m + np.asarray(target_snap_m, np.float64)[on]
    w = np.where(w <= limit_m, w, np.inf)
    walk[on] = w
    nearest[on] = np.where(np.isfinite(w), reach.centre, -1)
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
    # each part in the final dtype first: no network-sized int64 temporary
    indptr = np.concatenate(
        [csr.indptr.astype(itype, copy=False), (csr.indptr[-1] + np.arange(1, k + 1)).astype(itype)]
    )
    indices = np.concatenate([csr.indices.astype(itype, copy=False), targets.astype(itype)])
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
    with networkx operations, independently of `circle.network.snap.build_search_graph`.

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
    import networkx as nx

    G, legs_of = _split_networkx(network, centres, targets)
    t_legs = legs_of(targets)
    walk = np.full(len(t_legs), np.inf)
    nearest = np.full(len(t_legs), -1, np.int64)
    for rank, legs in enumerate(legs_of(centres)):
        if not legs:
            continue
        reach = _reach_networkx(nx, G, legs, limit_m)
        for i, ends in enumerate(t_legs):
            w = min((reach[n] + leg for n, leg in ends if n in reach), default=np.inf)
            if w <= limit_m and w < walk[i] - TIE_TOLERANCE_M:
                walk[i], nearest[i] = w, rank
    return NearestResult(walk, nearest)


def reach_within(
    graph: SearchGraph,
    source_nodes: np.ndarray,
    source_snap_m: np.ndarray,
    target_nodes: np.ndarray,
    target_snap_m: np.ndarray,
    limit_m: float,
) -> sp.csr_array:
    """Every (source, target) pair whose walk is within `limit_m`, as a sparse matrix.

    The walk of a pair is the source's access leg + the network distance between their nodes +
    the target's access leg: the same walk `nearest_centres` measures, so a candidate site that
    reaches a community here covers it when added as a centre. A pair is reached when its walk
    is at most ``limit_m + BOUNDARY_TOLERANCE_M`` (coverage's boundary rule). With directed
    costs the walk goes FROM the target TO the source (a community walking to a candidate
    site or centre): the searches from the sources run on the reversed arcs.

    One bounded Dijkstra per distinct source node whose cost follows its ball, not the network
    (`circle.network._fastpath.bounded_reach`: compiled with numba, on both cores; scipy
    otherwise), and only the targets' nodes are kept, so memory grows with the reached pairs, never
    with sources x targets.

    Parameters
    ----------
    graph
        Search graph holding the snapped sources and targets.
    source_nodes, source_snap_m
        Node and access leg (metres) of each source (node -1: off the network, reaches nothing).
    target_nodes, target_snap_m
        Node and access leg of each target (node -1: off the network, never reached).
    limit_m
        The longest walk counted, metres.

    Returns
    -------
    scipy.sparse.csr_array
        Shape (sources, targets), float64 walk metres, sorted indices. Every reached pair is a
        stored entry, a walk of 0 m included (read the sparsity pattern, never drop zeros).
    """
    src = np.asarray(source_nodes, np.int64)
    tgt = np.asarray(target_nodes, np.int64)
    s_leg = np.asarray(source_snap_m, np.float64)
    t_leg = np.asarray(target_snap_m, np.float64)
    shape = (src.size, tgt.size)
    on_s = np.flatnonzero(src >= 0)
    on_t = np.flatnonzero(tgt >= 0)
    if on_s.size == 0 or on_t.size == 0:
        return sp.csr_array(shape, dtype=np.float64)
    bound = limit_m + BOUNDARY_TOLERANCE_M
    # distinct source nodes (several sources may share a node) and the sources at each
    s_nodes, s_group, s_ptr, s_members = node_members(src, on_s)
    min_leg = np.full(s_nodes.size, np.inf)
    np.minimum.at(min_leg, s_group, s_leg[on_s])
    t_nodes, _, t_ptr, t_members = node_members(tgt, on_t)
    min_t_leg = float(t_leg[on_t].min())

    # one bounded search per distinct source node, its cost following the ball (compiled when
    # numba is there, else scipy per source: circle.network._fastpath); each stops at the longest
    # walk any of its sources could still use
    budget = bound - min_leg - min_t_leg
    ok = np.flatnonzero(budget >= 0)
    csr = graph.reverse_csr
    src_idx, node, dist = bounded_reach(
        csr.indptr, csr.indices, csr.data, s_nodes[ok], None, budget[ok], targets=t_nodes
    )
    if not node.size:
        return sp.csr_array(shape, dtype=np.float64)
    # expand node pairs to (source, target) pairs
    k, s = expand_members(ok[src_idx], s_ptr, s_members)
    d, c = dist[k], np.searchsorted(t_nodes, node)[k]
    k, t = expand_members(c, t_ptr, t_members)
    s, d = s[k], d[k]
    w = s_leg[s] + d + t_leg[t]
    keep = w <= bound
    out = sp.csr_array((w[keep], (s[keep], t[keep])), shape=shape)
    out.sort_indices()
    logger.info(
        "reach: %d sources, %d targets, %d pairs within %.0f m", *shape, out.nnz, limit_m
    )
    return out


def node_members(
    nodes: np.ndarray, on: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct nodes of the points `on` the network, each point's group, and the points at
    each node (``members[ptr[g]:ptr[g + 1]]``)."""
    distinct, group = _groups(nodes[on])
    members = on[np.argsort(group, kind="stable")]
    ptr = np.r_[0, np.cumsum(np.bincount(group, minlength=distinct.size))]
    return distinct, group, ptr, members


def _groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the group of each element."""
    distinct, group = np.unique(values, return_inverse=True)
    return distinct, group.reshape(-1)


def expand_members(group: np.ndarray, ptr: np.ndarray, members: np.ndarray):
    """For each entry's group, every member: (entry position, member) pairs."""
    counts = ptr[group + 1] - ptr[group]
    entry = np.repeat(np.arange(group.size), counts)
    within = np.arange(entry.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return entry, members[ptr[group][entry] + within]


def reach_within_networkx(
    network: WalkNetwork, sources: Snapped, targets: Snapped, limit_m: float
) -> sp.csr_array:
    """Reference for `reach_within`: networkx, one cut-off Dijkstra per source, by definition.

    Parameters
    ----------
    network
        The walking network.
    sources, targets
        Snapped sources and targets.
    limit_m
        The longest walk counted, metres.

    Returns
    -------
    scipy.sparse.csr_array
        Shape (sources, targets), walk metres of the reached pairs.
    """
    import networkx as nx

    G, legs_of = _split_networkx(network, sources, targets)
    t_legs = legs_of(targets)
    bound = limit_m + BOUNDARY_TOLERANCE_M
    rows, cols, walks = [], [], []
    for i, legs in enumerate(legs_of(sources)):
        if not legs:
            continue
        reach = _reach_networkx(nx, G, legs, bound)
        for j, ends in enumerate(t_legs):
            w = min((reach[n] + leg for n, leg in ends if n in reach), default=np.inf)
            if w <= bound:
                rows.append(i)
                cols.append(j)
                walks.append(w)
    shape = (sources.edge.size, targets.edge.size)
    data = (np.array(walks, float), (np.array(rows, np.int64), np.array(cols, np.int64)))
    return sp.csr_array(data, shape=shape)


def _reach_networkx(nx, G, legs: list, cutoff: float) -> dict:
    """Walk (its access legs included) from a point with these (node, leg) legs to every node
    within `cutoff`: a temporary source node joined to each leg's node by an arc of the leg."""
    source = ("source",)
    shortest: dict = {}
    for n, leg in legs:  # two legs to one node (an edge end): the shorter
        shortest[n] = min(leg, shortest.get(n, np.inf))
    G.add_weighted_edges_from(((source, n, leg) for n, leg in shortest.items()), weight="cost")
    try:
        return nx.single_source_dijkstra_path_length(G, source, cutoff=cutoff, weight="cost")
    finally:
        G.remove_node(source)


def _split_networkx(network: WalkNetwork, *groups: Snapped):
    """A networkx DiGraph, arcs REVERSED (``G[a][b]["cost"]`` is the cost of walking from b to
    a, so a search from a centre follows walks towards it), with edges split at the snapped
    points, and the node of each point.

    Built with networkx operations, independently of `circle.network.snap.build_search_graph`.
    A split piece costs its share (by length) of its edge's cost in each direction; without
    directed costs both directions cost the piece's length. The second result gives each
    point's access legs as (node, leg metres) pairs: its nearest leg, then its extra legs
    (access slack); none when it is off the network.
    """
    import networkx as nx

    ids = network.node_ids.tolist()
    length = network.edge_length_m.tolist()
    fw = length if network.edge_fw_m is None else network.edge_fw_m.tolist()
    bw = length if network.edge_bw_m is None else network.edge_bw_m.tolist()
    G = nx.DiGraph()
    G.add_nodes_from(ids)

    def add(a, b, cost_ab: float, cost_ba: float) -> None:
        # reversed: the arc b -> a carries the cost of walking a -> b
        G.add_nodes_from((a, b))  # a point on a street closed both ways is still a node
        if math.isfinite(cost_ab):
            G.add_edge(b, a, cost=cost_ab)
        if math.isfinite(cost_ba):
            G.add_edge(a, b, cost=cost_ba)

    def spot(edge: int, offset: float):
        u, v = ids[network.edge_u[edge]], ids[network.edge_v[edge]]
        if offset <= 0:
            return u
        if offset >= length[edge]:
            return v
        return ("spot", edge, offset)

    by_edge: dict[int, set[float]] = {}
    for snapped in groups:
        spots: Iterable[tuple[int, float]] = zip(
            snapped.edge.tolist(), snapped.offset_m.tolist(), strict=True
        )
        if snapped.extra is not None:
            x = snapped.extra
            spots = itertools.chain(spots, zip(x.edge.tolist(), x.offset_m.tolist(), strict=True))
        for e, o in spots:
            if e >= 0 and 0 < o < length[e]:
                by_edge.setdefault(e, set()).add(o)
    for e, (u, v) in enumerate(zip(network.edge_u.tolist(), network.edge_v.tolist(), strict=True)):
        if e not in by_edge:
            add(ids[u], ids[v], fw[e], bw[e])
            continue
        chain = [(0.0, ids[u]), *((o, ("spot", e, o)) for o in sorted(by_edge[e]))]
        chain.append((length[e], ids[v]))
        for (o1, n1), (o2, n2) in itertools.pairwise(chain):
            piece = o2 - o1
            if network.edge_fw_m is None:
                add(n1, n2, piece, piece)
            else:
                share = piece / length[e]
                add(n1, n2, fw[e] * share, bw[e] * share)

    def legs_of(snapped: Snapped) -> list[list]:
        """Access legs (node, metres) of each point; [] when it is off the network."""
        legs: list[list] = [
            [(spot(e, o), leg)] if e >= 0 else []
            for e, o, leg in zip(
                snapped.edge.tolist(), snapped.offset_m.tolist(), snapped.snap_m.tolist(),
                strict=True,
            )
        ]
        if snapped.extra is not None:
            x = snapped.extra
            for p, e, o, leg in zip(
                x.point.tolist(), x.edge.tolist(), x.offset_m.tolist(), x.snap_m.tolist(),
                strict=True,
            ):
                legs[p].append((spot(e, o), leg))
        return legs

    return G, legs_of
