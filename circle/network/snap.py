"""Snapping points to the nearest point of the nearest walkable edge, and the search graph."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .walk import WalkNetwork, directed_csr, symmetric_csr

__all__ = ["SearchGraph", "Snapped", "build_search_graph", "snap_points"]

logger = logging.getLogger(__name__)


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
    """

    edge: np.ndarray
    offset_m: np.ndarray
    snap_m: np.ndarray

    @property
    def on_network(self) -> np.ndarray:
        """Boolean mask of the points that joined the network."""
        return self.edge >= 0


def snap_points(network: WalkNetwork, xy: np.ndarray, *, max_snap_m: float) -> Snapped:
    """Snap points to the nearest point of the nearest walkable edge.

    Parameters
    ----------
    network
        The walking network.
    xy
        Point coordinates in the network's CRS, shape (k, 2).
    max_snap_m
        Points farther than this from every edge stay off the network.

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
    if k == 0:
        return Snapped(edge, offset, snap)
    pts, edges = _nearest_edges(network, xy, max_snap_m)
    if pts.size:
        a = network.xy[network.edge_u[edges]]
        b = network.xy[network.edge_v[edges]]
        d = b - a
        seg_len2 = np.einsum("ij,ij->i", d, d)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.einsum("ij,ij->i", xy[pts] - a, d) / seg_len2
        t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
        foot = a + t[:, None] * d
        leg = np.hypot(*(xy[pts] - foot).T)
        length = network.edge_length_m[edges]
        edge[pts] = edges
        offset[pts] = np.minimum(t * length, length)
        snap[pts] = leg
    n_off = int((edge < 0).sum())
    logger.info("snap: %d of %d points joined the network; %d off it", k - n_off, k, n_off)
    return Snapped(edge, offset, snap)


def _nearest_edges(
    network: WalkNetwork, xy: np.ndarray, max_snap_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points within `max_snap_m` of an edge, and the nearest edge of each (lowest on ties).

    Exact, in bulk: an upper bound on each point's distance from the edges of its 4 nearest
    sample points, then every edge with a sample point within that bound (+ the index's reach)
    is measured. Distances are computed as GEOS computes a point-segment distance, so the
    result (ties included) is that of ``STRtree.query_nearest(..., all_matches=True)``.
    """
    index = network.edge_points
    n_samples = index.edge.size
    if n_samples == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    k = min(4, n_samples)
    _, near = index.tree.query(xy, k=k)
    near = near.reshape(len(xy), k)
    bound = _segment_distance(network, np.repeat(xy, k, axis=0), index.edge[near.ravel()])
    bound = np.minimum(bound.reshape(-1, k).min(axis=1), max_snap_m)
    radius = bound + index.reach_m + 1e-6 * (1.0 + bound + index.reach_m)
    found = index.tree.query_ball_point(xy, radius, return_sorted=False)
    counts = np.fromiter(map(len, found), np.int64, len(found))
    sample = np.fromiter(itertools.chain.from_iterable(found), np.int64, int(counts.sum()))
    pts = np.repeat(np.arange(len(xy)), counts)
    edges = index.edge[sample]
    dist = _segment_distance(network, xy[pts], edges)
    keep = dist <= max_snap_m
    pts, edges, dist = pts[keep], edges[keep], dist[keep]
    order = np.lexsort((edges, dist, pts))
    pts, edges = pts[order], edges[order]
    first = np.ones(pts.size, bool)
    first[1:] = pts[1:] != pts[:-1]
    return pts[first], edges[first]


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
    """

    csr: sp.csr_array
    point_node: tuple[np.ndarray, ...]
    inserted_xy: np.ndarray
    pieces_a: np.ndarray
    pieces_b: np.ndarray
    pieces_length_m: np.ndarray
    pieces_ab_m: np.ndarray | None = None
    pieces_ba_m: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes, inserted ones included."""
        return int(self.csr.shape[0])

    @property
    def directed(self) -> bool:
        """Whether the graph carries directed costs."""
        return self.pieces_ab_m is not None

    @cached_property
    def reverse_csr(self) -> sp.csr_array:
        """`csr` with every arc reversed: ``[i, j]`` is the cost of walking from j to i. A
        search from the centres on it gives every node's walk TO its nearest centre. The same
        object as `csr` without directed costs."""
        if self.pieces_ab_m is None or self.pieces_ba_m is None:
            return self.csr
        return directed_csr(
            self.pieces_a, self.pieces_b, self.pieces_ba_m, self.pieces_ab_m, self.n_nodes
        )


def build_search_graph(network: WalkNetwork, *groups: Snapped) -> SearchGraph:
    """Insert snapped points into the network, splitting each edge at its points in order.

    A point at an edge's end joins that end node; points at the same spot share one node; two
    points on one edge are joined by the piece of edge between them.

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
    all_edge = np.concatenate([g.edge for g in groups]) if groups else np.empty(0, np.int64)
    all_off = np.concatenate([g.offset_m for g in groups]) if groups else np.empty(0)
    node_of, spot_edge, spot_off = _point_nodes(network, all_edge, all_off)
    k = spot_edge.size
    eu, ev, elen = network.edge_u, network.edge_v, network.edge_length_m
    a0 = network.xy[eu[spot_edge]]
    b0 = network.xy[ev[spot_edge]]
    frac = (spot_off / np.where(elen[spot_edge] > 0, elen[spot_edge], 1.0))[:, None]
    inserted_xy = a0 + frac * (b0 - a0)
    pieces_a, pieces_b, pieces_len, pieces_edge = _pieces(network, spot_edge, spot_off)
    ab = ba = None
    if network.edge_fw_m is None or network.edge_bw_m is None:
        csr = symmetric_csr(pieces_a, pieces_b, pieces_len, n + k)
    else:
        ab = _share(network.edge_fw_m, network.edge_length_m, pieces_edge, pieces_len)
        ba = _share(network.edge_bw_m, network.edge_length_m, pieces_edge, pieces_len)
        csr = directed_csr(pieces_a, pieces_b, ab, ba, n + k)
    point_node = []
    start = 0
    for g in groups:
        point_node.append(node_of[start : start + g.edge.size])
        start += g.edge.size
    return SearchGraph(
        csr=csr,
        point_node=tuple(point_node),
        inserted_xy=inserted_xy,
        pieces_a=pieces_a,
        pieces_b=pieces_b,
        pieces_length_m=pieces_len,
        pieces_ab_m=ab,
        pieces_ba_m=ba,
    )


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
