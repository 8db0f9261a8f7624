"""Snapping points to the nearest point of the nearest walkable edge, and the search graph."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .walk import EdgePoints, WalkNetwork, directed_csr, symmetric_csr

__all__ = [
    "ExtraLegs",
    "SearchGraph",
    "Snapped",
    "build_search_graph",
    "concat_snapped",
    "snap_points",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtraLegs:
    """Further access legs of points (``--access-slack-m``): point ``point[i]`` may also join
    edge ``edge[i]`` at ``offset_m[i]`` by a leg of ``snap_m[i]`` metres. Sorted by point."""

    point: np.ndarray
    edge: np.ndarray
    offset_m: np.ndarray
    snap_m: np.ndarray


@dataclass(frozen=True)
class Snapped:
    """Where points join the network.

    Attributes
    ----------
    edge
        Edge position of each point, -1 when the point is farther than ``max_snap_m`` from every
        edge (``off_network``).
    offset_m
        Distance along the edge from its ``edge_u`` end to the snapped position (metres).
    snap_m
        The access leg: straight-line distance from the point to its snapped position (metres).
        ``nan`` for off-network points.
    off_surface
        Per point, whether it joined an edge off the ground (tunnel, bridge, ...) because no
        edge at ground level was within ``max_snap_m``; ``None`` when not recorded.
    extra
        Further access legs within the access slack (`snap_points`' ``slack_m``), or ``None``.
        `edge`, `offset_m` and `snap_m` stay the nearest leg.
    """

    edge: np.ndarray
    offset_m: np.ndarray
    snap_m: np.ndarray
    off_surface: np.ndarray | None = None
    extra: ExtraLegs | None = None

    @property
    def n_off_surface(self) -> int:
        """How many points joined an edge off the ground for lack of another."""
        return 0 if self.off_surface is None else int(self.off_surface.sum())

    @property
    def on_network(self) -> np.ndarray:
        """Boolean mask of the points that joined the network."""
        return self.edge >= 0


def snap_points(
    network: WalkNetwork,
    xy: np.ndarray,
    *,
    max_snap_m: float,
    surface: bool = True,
    slack_m: float = 0.0,
) -> Snapped:
    """Snap points to the nearest point of the nearest walkable edge.

    Surface access (the default): a point joins only edges a pedestrian can step onto from the
    ground (`WalkNetwork.surface_edges`: not tunnels, bridges, covered, indoor or other layers);
    only when none is within `max_snap_m` does it join the nearest edge of any kind (counted in
    `Snapped.off_surface`). Walks still go through tunnels and over bridges.

    Parameters
    ----------
    network
        The walking network.
    xy
        Point coordinates in the network's CRS, shape (k, 2).
    max_snap_m
        Points farther than this from every edge stay off the network.
    surface
        Apply the surface rule (False: the nearest edge of any kind, as before issue 20).
    slack_m
        Access slack: a point that joined a street on the ground also joins every other such
        street whose access leg is at most this much longer (`Snapped.extra`); 0: none.

    Returns
    -------
    Snapped
        When several edges are equally near, the edge with the lowest position wins.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    k = len(xy)
    edge = np.full(k, -1, dtype=np.int64)
    offset = np.zeros(k)
    snap = np.full(k, np.nan)
    off_surface = np.zeros(k, bool)
    if k == 0:
        return Snapped(edge, offset, snap, off_surface)
    if surface and network.surface_edges is not None:
        pts, edges = _nearest_edges(network.surface_edge_points, network, xy, max_snap_m)
        rest = np.setdiff1d(np.arange(k), pts)
        if rest.size:
            r_pts, r_edges = _nearest_edges(network.edge_points, network, xy[rest], max_snap_m)
            off_surface[rest[r_pts]] = True
            pts, edges = np.concatenate([pts, rest[r_pts]]), np.concatenate([edges, r_edges])
    else:
        pts, edges = _nearest_edges(network.edge_points, network, xy, max_snap_m)
    if pts.size:
        edge[pts] = edges
        offset[pts], snap[pts] = _foot(network, xy[pts], edges)
    extra = None
    if slack_m > 0:
        extra = _slack_legs(network, xy, edge, snap, off_surface, slack_m, surface)
    n_off = int((edge < 0).sum())
    logger.info(
        "snap: %d of %d points joined the network (%d onto a tunnel, bridge or other level for "
        "lack of a street on the ground); %d off it",
        k - n_off, k, int(off_surface.sum()), n_off,
    )
    return Snapped(edge, offset, snap, off_surface, extra)


def _foot(network: WalkNetwork, p: np.ndarray, edges: np.ndarray):
    """Offset along each edge of the nearest point to `p`, and the access leg to it."""
    a = network.xy[network.edge_u[edges]]
    b = network.xy[network.edge_v[edges]]
    d = b - a
    seg_len2 = np.einsum("ij,ij->i", d, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.einsum("ij,ij->i", p - a, d) / seg_len2
    t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
    foot = a + t[:, None] * d
    length = network.edge_length_m[edges]
    return np.minimum(t * length, length), np.hypot(*(p - foot).T)


def _slack_legs(network, xy, edge, snap, off_surface, slack_m: float, surface: bool):
    """Every other eligible edge within each point's nearest leg + `slack_m` (points that
    joined a street off the ground for lack of another get none)."""
    index = network.surface_edge_points if surface else network.edge_points
    pts = np.flatnonzero((edge >= 0) & ~off_surface)
    radius = snap[pts] + slack_m + index.reach_m + 1e-6
    found = index.tree.query_ball_point(xy[pts], radius, return_sorted=False)
    counts = np.fromiter(map(len, found), np.int64, len(found))
    sample = np.fromiter(itertools.chain.from_iterable(found), np.int64, int(counts.sum()))
    p = np.repeat(pts, counts)
    e = index.edge[sample]
    pair = np.unique(np.column_stack([p, e]), axis=0)  # one row per (point, edge)
    p, e = pair[:, 0], pair[:, 1]
    keep = (e != edge[p]) & (_segment_distance(network, xy[p], e) <= snap[p] + slack_m)
    p, e = p[keep], e[keep]
    off, leg = _foot(network, xy[p], e)
    keep = leg <= snap[p] + slack_m
    return ExtraLegs(p[keep], e[keep], off[keep], leg[keep])


def concat_snapped(*groups: Snapped) -> Snapped:
    """Several snapped point sets as one (points in order; extra legs renumbered)."""
    extras = []
    start = 0
    for g in groups:
        if g.extra is not None:
            extras.append(dataclasses.replace(g.extra, point=g.extra.point + start))
        start += g.edge.size
    extra = None
    if extras:
        extra = ExtraLegs(
            *(np.concatenate([getattr(x, f) for x in extras])
              for f in ("point", "edge", "offset_m", "snap_m"))
        )
    surfaces = [g.off_surface for g in groups if g.off_surface is not None]
    return Snapped(
        np.concatenate([g.edge for g in groups]),
        np.concatenate([g.offset_m for g in groups]),
        np.concatenate([g.snap_m for g in groups]),
        np.concatenate(surfaces) if len(surfaces) == len(groups) else None,
        extra,
    )


def _nearest_edges(
    index: EdgePoints, network: WalkNetwork, xy: np.ndarray, max_snap_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points within `max_snap_m` of an edge, and the nearest edge of each (lowest on ties).

    Exact, in bulk: an upper bound on each point's distance from the edges of its 4 nearest
    sample points, then every edge with a sample point within that bound (+ the index's reach)
    is measured. Distances are computed as GEOS computes a point-segment distance, so the
    result (ties included) is that of ``STRtree.query_nearest(..., all_matches=True)``. The
    points are queried in spatial order (neighbours one after the other walk the same branches
    of the tree: a third less time on a large network); each point's answer is its own.
    """
    n_samples = index.edge.size
    if n_samples == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(_morton(xy), kind="stable")
    p = xy[order]
    k = min(4, n_samples)
    _, near = index.tree.query(p, k=k)
    near = near.reshape(len(p), k)
    bound = _segment_distance(network, np.repeat(p, k, axis=0), index.edge[near.ravel()])
    bound = np.minimum(bound.reshape(-1, k).min(axis=1), max_snap_m)
    radius = bound + index.reach_m + 1e-6 * (1.0 + bound + index.reach_m)
    found = index.tree.query_ball_point(p, radius, return_sorted=False)
    counts = np.fromiter(map(len, found), np.int64, len(found))
    sample = np.fromiter(itertools.chain.from_iterable(found), np.int64, int(counts.sum()))
    pts = np.repeat(np.arange(len(p)), counts)
    edges = index.edge[sample]
    dist = _segment_distance(network, p[pts], edges)
    dist[dist > max_snap_m] = np.inf
    # the candidates come grouped by point: per group, the least distance, then the lowest
    # edge at that distance (no sort)
    has = np.flatnonzero(counts)
    starts = (np.cumsum(counts) - counts)[has]
    best = np.full(len(p), np.inf)
    best[has] = np.minimum.reduceat(dist, starts)
    lowest = np.full(len(p), -1, np.int64)
    lowest[has] = np.minimum.reduceat(
        np.where(dist == best[pts], edges, np.int64(np.iinfo(np.int64).max)), starts
    )
    best[order], lowest[order] = best.copy(), lowest.copy()  # back in the points' order
    within = np.flatnonzero(best <= max_snap_m)
    return within, lowest[within]


def _morton(xy: np.ndarray) -> np.ndarray:
    """Z-order key of each point on a 65,536 x 65,536 grid over the points' extent."""
    if len(xy) == 0:
        return np.empty(0, np.uint64)
    lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
    q = ((xy - lo) / np.where(span > 0, span, 1.0) * 65535).astype(np.uint64)
    key = np.zeros(len(xy), np.uint64)
    for axis in (0, 1):
        v = q[:, axis]
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        key |= v << np.uint64(axis)
    return key


def _segment_distance(network: WalkNetwork, p: np.ndarray, edges: np.ndarray) -> np.ndarray:
    # GEOS Distance::pointToSegment, operation for operation (bit-identical results)
    a = network.xy[network.edge_u[edges]]
    b = network.xy[network.edge_v[edges]]
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    len2 = dx * dx + dy * dy
    pax, pay = p[:, 0] - a[:, 0], p[:, 1] - a[:, 1]
    pbx, pby = p[:, 0] - b[:, 0], p[:, 1] - b[:, 1]
    to_a = np.sqrt(pax * pax + pay * pay)
    to_b = np.sqrt(pbx * pbx + pby * pby)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (pax * dx + pay * dy) / len2
        s = ((a[:, 1] - p[:, 1]) * dx - (a[:, 0] - p[:, 0]) * dy) / len2
    inner = np.abs(s) * np.sqrt(len2)
    return np.where((len2 == 0) | (r <= 0.0), to_a, np.where(r >= 1.0, to_b, inner))


@dataclass(frozen=True)
class SearchGraph:
    """The network with snapped points inserted as nodes: edges split where points join them.

    Attributes
    ----------
    csr
        Adjacency matrix of costs over network nodes (their own numbers) then inserted nodes:
        ``[i, j]`` is the cost of walking from i to j (symmetric lengths in metres when the
        network has no directed costs).
    point_node
        For each group of points given to `build_search_graph`, the node of each point (-1 for
        points off the network).
    inserted_xy
        Coordinates of the inserted nodes.
    pieces_a, pieces_b, pieces_length_m
        Per piece of a split or unsplit network edge: its end nodes and length. Lets isochrones
        cut partial edges. A piece runs in its edge's ``edge_u -> edge_v`` direction.
    pieces_ab_m, pieces_ba_m
        With directed costs: the cost of each piece from a to b and back, its share (by
        length) of its edge's cost; ``None`` otherwise.
    point_foot
        Per group, the spot node of each point's nearest leg (the same as `point_node` unless
        the point has several legs: see `build_search_graph`).
    leaf_a, leaf_b, leaf_m
        Arcs a -> b (walking direction) between points with several access legs and their
        spots, weighing each leg's excess over the nearest; ``None`` without access slack.
    network, spot_edge, spot_off
        The network, and the (edge, offset) spot of each inserted node: the pieces are made
        from them when first asked for.
    """

    csr: sp.csr_array
    point_node: tuple[np.ndarray, ...]
    inserted_xy: np.ndarray
    network: WalkNetwork = dataclasses.field(repr=False)
    spot_edge: np.ndarray = dataclasses.field(repr=False)
    spot_off: np.ndarray = dataclasses.field(repr=False)
    point_foot: tuple[np.ndarray, ...] = ()
    leaf_a: np.ndarray | None = None
    leaf_b: np.ndarray | None = None
    leaf_m: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes, inserted ones included."""
        return int(self.csr.shape[0])

    @property
    def directed(self) -> bool:
        """Whether the graph carries directed costs."""
        return self.network.edge_fw_m is not None and self.network.edge_bw_m is not None

    @cached_property
    def _piece_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # made when first asked for: a coverage search needs only `csr`
        return _pieces(self.network, self.spot_edge, self.spot_off)

    @property
    def pieces_a(self) -> np.ndarray:
        return self._piece_arrays[0]

    @property
    def pieces_b(self) -> np.ndarray:
        return self._piece_arrays[1]

    @property
    def pieces_length_m(self) -> np.ndarray:
        return self._piece_arrays[2]

    @cached_property
    def _piece_costs(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        net, (_, _, length, edge) = self.network, self._piece_arrays
        if net.edge_fw_m is None or net.edge_bw_m is None:
            return None, None
        return (
            _share(net.edge_fw_m, net.edge_length_m, edge, length),
            _share(net.edge_bw_m, net.edge_length_m, edge, length),
        )

    @property
    def pieces_ab_m(self) -> np.ndarray | None:
        return self._piece_costs[0]

    @property
    def pieces_ba_m(self) -> np.ndarray | None:
        return self._piece_costs[1]

    @cached_property
    def reverse_csr(self) -> sp.csr_array:
        """`csr` with every arc reversed: ``[i, j]`` is the cost of walking from j to i. A
        search from the centres on it gives every node's walk TO its nearest centre. The same
        object as `csr` without directed costs."""
        if self.leaf_m is None and not self.directed:
            return self.csr
        return _arcs_csr(self, reverse=True)


def build_search_graph(network: WalkNetwork, *groups: Snapped) -> SearchGraph:
    """Insert snapped points into the network, splitting each edge at its points in order.

    A point at an edge's end joins that end node; points at the same spot share one node; two
    points on one edge are joined by the piece of edge between them.

    Access slack: a point with extra legs (`Snapped.extra`) becomes a leaf node, joined to the
    spot of each of its legs by an arc weighing that leg's excess over its nearest leg (the
    callers add the nearest leg, as without slack). The first group is walked TO (centres,
    candidate sites: arcs spot -> leaf in the walking direction), the others walk FROM their
    leaf (communities, gates: leaf -> spot). A leaf's arcs all point one way, so no walk passes
    through a point's leaf: still ONE multi-source search, and no shortcuts.

    Parameters
    ----------
    network
        The walking network.
    *groups
        Snapped point sets (for example centres and communities).

    Returns
    -------
    SearchGraph
    """
    n = network.n_nodes
    extras = [g.extra for g in groups if g.extra is not None and g.extra.point.size]
    parts = [g.edge for g in groups] + [x.edge for x in extras]
    offs = [g.offset_m for g in groups] + [x.offset_m for x in extras]
    all_edge = np.concatenate(parts) if parts else np.empty(0, np.int64)
    all_off = np.concatenate(offs) if offs else np.empty(0)
    node_of, spot_edge, spot_off = _point_nodes(network, all_edge, all_off)
    k = spot_edge.size
    eu, ev, elen = network.edge_u, network.edge_v, network.edge_length_m
    a0 = network.xy[eu[spot_edge]]
    b0 = network.xy[ev[spot_edge]]
    frac = (spot_off / np.where(elen[spot_edge] > 0, elen[spot_edge], 1.0))[:, None]
    inserted_xy = a0 + frac * (b0 - a0)
    foot, point_node = [], []
    leaves: tuple[list, list, list] = ([], [], [])
    start, extra_start, next_node = 0, sum(g.edge.size for g in groups), n + k
    for i, g in enumerate(groups):
        nodes = node_of[start : start + g.edge.size]
        foot.append(nodes)
        start += g.edge.size
        if g.extra is None or not g.extra.point.size:
            point_node.append(nodes)
            continue
        x = g.extra
        x_nodes = node_of[extra_start : extra_start + x.point.size]
        extra_start += x.point.size
        nodes, next_node = _leaves(nodes, g.snap_m, x, x_nodes, next_node, i == 0, leaves)
        point_node.append(nodes)
    leaf = [np.concatenate(a) if a else None for a in leaves]
    graph = SearchGraph(
        csr=sp.csr_array((0, 0)),
        point_node=tuple(point_node),
        inserted_xy=inserted_xy,
        network=network,
        spot_edge=spot_edge,
        spot_off=spot_off,
        point_foot=tuple(foot),
        leaf_a=leaf[0],
        leaf_b=leaf[1],
        leaf_m=leaf[2],
    )
    if leaf[2] is None and not graph.directed:
        csr = _split_csr(network, spot_edge, spot_off)
        if csr is None:
            csr = symmetric_csr(graph.pieces_a, graph.pieces_b, graph.pieces_length_m, n + k)
    else:
        csr = _arcs_csr(graph, reverse=False, n_nodes=next_node)
    graph.__dict__["csr"] = csr  # frozen: set once, here
    return graph


def _split_csr(
    network: WalkNetwork, spot_edge: np.ndarray, spot_off: np.ndarray
) -> sp.csr_array | None:
    """The two-way network's CSR with its edges split at the new nodes (numbered ``n + i`` in
    (edge, offset) order): the matrix `symmetric_csr` makes of the pieces, made by changing
    the network's own CSR in the rows the splits touch instead of building it anew (a tenth of
    the time and memory on a large network). ``None`` when the network's CSR is not in the
    canonical form (sorted rows, no duplicates) this relies on, or has directed costs, or
    nothing is split."""
    base = network.csr
    n, k = network.n_nodes, spot_edge.size
    if (
        network.edge_fw_m is not None
        or k == 0
        or n + k >= np.iinfo(base.indices.dtype).max
        or not base.has_canonical_format
    ):
        return None
    eu, ev, elen = network.edge_u, network.edge_v, network.edge_length_m
    new = n + np.arange(k)
    first = np.r_[True, spot_edge[1:] != spot_edge[:-1]]
    last = np.r_[spot_edge[1:] != spot_edge[:-1], True]
    # each new node's neighbours along its edge, and the lengths of the pieces to them
    prev = np.where(first, eu[spot_edge], np.r_[-1, new[:-1]])
    prev_m = spot_off - np.where(first, 0.0, np.r_[0.0, spot_off[:-1]])
    nxt = np.where(last, ev[spot_edge], np.r_[new[1:], -1])
    nxt_m = np.where(last, elen[spot_edge], np.r_[spot_off[1:], 0.0]) - spot_off
    # rows u and v of each split edge: the entry of the other end goes to the nearest new node
    f, t = np.flatnonzero(first), np.flatnonzero(last)
    row = np.concatenate([eu[spot_edge[f]], ev[spot_edge[t]]])
    old_col = np.concatenate([ev[spot_edge[f]], eu[spot_edge[t]]])
    new_col = np.concatenate([new[f], new[t]])
    new_m = np.concatenate([prev_m[f], nxt_m[t]])
    indptr = base.indptr
    rows = np.unique(row)
    size = indptr[rows + 1] - indptr[rows]
    pos = np.repeat(indptr[rows] - np.cumsum(size) + size, size) + np.arange(size.sum())
    pos_row = np.repeat(rows, size)
    nnz = base.nnz
    # the result's arrays, allocated once: the network's rows, then two entries per new node
    indices = np.empty(nnz + 2 * k, base.indices.dtype)
    data = np.empty(nnz + 2 * k, base.data.dtype)
    indices[:nnz], data[:nnz] = base.indices, base.data
    key = pos_row.astype(np.int64) * (n + k) + indices[pos]
    change = np.argsort(row.astype(np.int64) * (n + k) + old_col)
    wanted = (row.astype(np.int64) * (n + k) + old_col)[change]
    at = np.minimum(np.searchsorted(key, wanted), max(key.size - 1, 0))
    if key.size and not np.array_equal(key[at], wanted):  # an edge missing from the CSR
        return None
    indices[pos[at]] = new_col[change]
    data[pos[at]] = new_m[change]
    order = np.lexsort((indices[pos], pos_row))  # the touched rows sorted again
    indices[pos], data[pos] = indices[pos][order], data[pos][order]
    # the new nodes' rows: two entries each, by column
    swap = prev > nxt
    indices[nnz::2], indices[nnz + 1 :: 2] = np.where(swap, nxt, prev), np.where(swap, prev, nxt)
    data[nnz::2], data[nnz + 1 :: 2] = np.where(swap, nxt_m, prev_m), np.where(swap, prev_m, nxt_m)
    tail = indptr[-1] + 2 * np.arange(1, k + 1, dtype=indptr.dtype)
    return sp.csr_array((data, indices, np.concatenate([indptr, tail])), shape=(n + k, n + k))


def _leaves(nodes, snap_m, x: ExtraLegs, x_nodes, next_node: int, walked_to: bool, out):
    """The points' nodes with a leaf for each point with extra legs (numbered from
    `next_node`), and the next free node; the leaves' arcs are appended to `out` (a, b, m)."""
    pts = np.unique(x.point)
    leaf = next_node + np.arange(pts.size)
    spots = np.concatenate([nodes[pts], x_nodes])  # the nearest leg's spot, then the others
    owner = np.concatenate([leaf, leaf[np.searchsorted(pts, x.point)]])
    weight = np.concatenate([np.zeros(pts.size), np.maximum(x.snap_m - snap_m[x.point], 0.0)])
    # legs of one point that end at the same node (an edge's end shared by two edges): the
    # shortest only (a CSR would sum parallel arcs)
    order = np.lexsort((weight, spots, owner))
    owner, spots, weight = owner[order], spots[order], weight[order]
    first = np.r_[True, (owner[1:] != owner[:-1]) | (spots[1:] != spots[:-1])]
    owner, spots, weight = owner[first], spots[first], weight[first]
    a, b = (spots, owner) if walked_to else (owner, spots)
    out[0].append(a)
    out[1].append(b)
    out[2].append(weight)
    nodes = nodes.copy()
    nodes[pts] = leaf
    return nodes, next_node + pts.size


def _arcs_csr(graph: SearchGraph, *, reverse: bool, n_nodes: int | None = None) -> sp.csr_array:
    """The graph's arcs (pieces both ways, leaf arcs one way) as a CSR, walking direction or
    reversed."""
    n = graph.n_nodes if n_nodes is None else n_nodes
    ab = graph.pieces_length_m if graph.pieces_ab_m is None else graph.pieces_ab_m
    ba = graph.pieces_length_m if graph.pieces_ba_m is None else graph.pieces_ba_m
    u, v = graph.pieces_a, graph.pieces_b
    if graph.leaf_a is not None and graph.leaf_b is not None and graph.leaf_m is not None:
        u, v = np.concatenate([u, graph.leaf_a]), np.concatenate([v, graph.leaf_b])
        ab = np.concatenate([ab, graph.leaf_m])
        ba = np.concatenate([ba, np.full(graph.leaf_m.size, np.inf)])
    return directed_csr(u, v, ba, ab, n) if reverse else directed_csr(u, v, ab, ba, n)


def _share(
    cost: np.ndarray, length: np.ndarray, edge: np.ndarray, piece_len: np.ndarray
) -> np.ndarray:
    """Each piece's share of its edge's cost, by length (a whole edge keeps its cost exactly;
    ``inf`` stays ``inf``; a piece of no length costs 0)."""
    e_len = length[edge]
    whole = piece_len == e_len
    with np.errstate(invalid="ignore"):
        share = np.where(e_len > 0, piece_len / np.where(e_len > 0, e_len, 1.0), 0.0)
        out = np.where(whole, cost[edge], np.where(share > 0, cost[edge] * share, 0.0))
    return out


def _point_nodes(
    network: WalkNetwork, all_edge: np.ndarray, all_off: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The node of every point (an edge end, or a new node after the network's), and the
    (edge, offset) spot of each new node, in (edge, offset) order."""
    n = network.n_nodes
    eu, ev, elen = network.edge_u, network.edge_v, network.edge_length_m
    node_of = np.full(all_edge.size, -1, dtype=np.int64)
    on = all_edge >= 0
    at_u = on & (all_off <= 0.0)
    at_v = on & ~at_u & (all_off >= elen[np.maximum(all_edge, 0)])
    node_of[at_u] = eu[all_edge[at_u]]
    node_of[at_v] = ev[all_edge[at_v]]
    inner = np.flatnonzero(on & ~at_u & ~at_v)
    # unique (edge, offset) spots become new nodes, numbered in (edge, offset) order
    order = np.lexsort((all_off[inner], all_edge[inner]))
    sorted_edge, sorted_off = all_edge[inner][order], all_off[inner][order]
    new_spot = np.ones(order.size, bool)
    new_spot[1:] = (sorted_edge[1:] != sorted_edge[:-1]) | (sorted_off[1:] != sorted_off[:-1])
    node_of[inner[order]] = n + np.cumsum(new_spot) - 1
    return node_of, sorted_edge[new_spot], sorted_off[new_spot]


def _pieces(
    network: WalkNetwork, spot_edge: np.ndarray, spot_off: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pieces (node a, node b, length, network edge): untouched edges whole (first), then split
    edges as chains u -> p1 -> ... -> pk -> v (k pieces into the new nodes, then one piece from
    the last new node of each split edge)."""
    n, k = network.n_nodes, spot_edge.size
    eu, ev, elen = network.edge_u, network.edge_v, network.edge_length_m
    split = np.zeros(network.n_edges, bool)
    split[spot_edge] = True
    whole = np.flatnonzero(~split)
    pa, pb, pl, pe = [eu[whole]], [ev[whole]], [elen[whole]], [whole]
    if k:
        new_nodes = n + np.arange(k)
        starts = np.r_[True, spot_edge[1:] != spot_edge[:-1]]
        ends = np.r_[spot_edge[1:] != spot_edge[:-1], True]
        prev_node = np.where(starts, eu[spot_edge], np.r_[-1, new_nodes[:-1]])
        prev_off = np.where(starts, 0.0, np.r_[0.0, spot_off[:-1]])
        pa.append(prev_node)
        pb.append(new_nodes)
        pl.append(spot_off - prev_off)
        pe.append(spot_edge)
        # last spot of each edge -> the edge's v end
        last = np.flatnonzero(ends)
        pa.append(new_nodes[last])
        pb.append(ev[spot_edge[last]])
        pl.append(elen[spot_edge[last]] - spot_off[last])
        pe.append(spot_edge[last])
    return np.concatenate(pa), np.concatenate(pb), np.concatenate(pl), np.concatenate(pe)
