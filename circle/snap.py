"""Snapping points to the nearest point of the nearest walkable edge, and the search graph."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .network import WalkNetwork

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
    import shapely

    points = shapely.points(xy)
    hits, dists = network.edge_tree.query_nearest(
        points, max_distance=max_snap_m, return_distance=True, all_matches=True
    )
    if hits.shape[1]:
        # all equally near edges come back; keep the lowest edge position for each point
        order = np.lexsort((hits[1], hits[0]))
        pts, edges = hits[0][order], hits[1][order]
        first = np.r_[True, pts[1:] != pts[:-1]]
        pts, edges = pts[first], edges[first]
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


@dataclass(frozen=True)
class SearchGraph:
    """The network with snapped points inserted as nodes: edges split where points join them.

    Attributes
    ----------
    csr
        Symmetric adjacency matrix of lengths (metres) over network nodes then inserted nodes.
    n_network_nodes
        Nodes ``0..n_network_nodes-1`` are the network's own.
    point_node
        For each group of points given to `build_search_graph`, the node of each point (-1 for
        points off the network).
    inserted_xy
        Coordinates of the inserted nodes.
    edge_pieces
        Per piece of a split or unsplit network edge: (node a, node b, network edge, offset of a
        along the network edge, length). Lets isochrones cut partial edges.
    """

    csr: sp.csr_array
    n_network_nodes: int
    point_node: tuple[np.ndarray, ...]
    inserted_xy: np.ndarray
    pieces_a: np.ndarray
    pieces_b: np.ndarray
    pieces_edge: np.ndarray
    pieces_offset_m: np.ndarray
    pieces_length_m: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes, inserted ones included."""
        return int(self.csr.shape[0])


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
    eu, ev, elen = network.edge_u, network.edge_v, network.edge_length_m
    all_edge = np.concatenate([g.edge for g in groups]) if groups else np.empty(0, np.int64)
    all_off = np.concatenate([g.offset_m for g in groups]) if groups else np.empty(0)
    node_of = np.full(all_edge.size, -1, dtype=np.int64)
    on = all_edge >= 0
    at_u = on & (all_off <= 0.0)
    at_v = on & ~at_u & (all_off >= elen[np.maximum(all_edge, 0)])
    node_of[at_u] = eu[all_edge[at_u]]
    node_of[at_v] = ev[all_edge[at_v]]
    inner = np.flatnonzero(on & ~at_u & ~at_v)
    # unique (edge, offset) spots become new nodes, numbered in (edge, offset) order
    spots, inverse = np.unique(
        np.column_stack([all_edge[inner].astype(np.float64), all_off[inner]]),
        axis=0,
        return_inverse=True,
    )
    spot_edge = spots[:, 0].astype(np.int64)
    spot_off = spots[:, 1]
    node_of[inner] = n + inverse.reshape(-1)
    k = spot_edge.size
    a0 = network.xy[eu[spot_edge]]
    b0 = network.xy[ev[spot_edge]]
    frac = (spot_off / np.where(elen[spot_edge] > 0, elen[spot_edge], 1.0))[:, None]
    inserted_xy = a0 + frac * (b0 - a0)

    # pieces: untouched edges whole, split edges as chains u -> p1 -> ... -> pk -> v
    split = np.zeros(network.n_edges, bool)
    split[spot_edge] = True
    whole = np.flatnonzero(~split)
    pa, pb = [eu[whole]], [ev[whole]]
    pe, po, pl = [whole], [np.zeros(whole.size)], [elen[whole]]
    if k:
        new_nodes = n + np.arange(k)
        starts = np.r_[True, spot_edge[1:] != spot_edge[:-1]]
        ends = np.r_[spot_edge[1:] != spot_edge[:-1], True]
        prev_node = np.where(starts, eu[spot_edge], np.r_[-1, new_nodes[:-1]])
        prev_off = np.where(starts, 0.0, np.r_[0.0, spot_off[:-1]])
        pa.append(prev_node)
        pb.append(new_nodes)
        pe.append(spot_edge)
        po.append(prev_off)
        pl.append(spot_off - prev_off)
        # last spot of each edge -> the edge's v end
        last = np.flatnonzero(ends)
        pa.append(new_nodes[last])
        pb.append(ev[spot_edge[last]])
        pe.append(spot_edge[last])
        po.append(spot_off[last])
        pl.append(elen[spot_edge[last]] - spot_off[last])
    pieces_a = np.concatenate(pa)
    pieces_b = np.concatenate(pb)
    pieces_edge = np.concatenate(pe)
    pieces_off = np.concatenate(po)
    pieces_len = np.concatenate(pl)
    size = n + k
    csr = sp.csr_array(
        (
            np.concatenate([pieces_len, pieces_len]),
            (np.concatenate([pieces_a, pieces_b]), np.concatenate([pieces_b, pieces_a])),
        ),
        shape=(size, size),
    )
    point_node = []
    start = 0
    for g in groups:
        point_node.append(node_of[start : start + g.edge.size])
        start += g.edge.size
    return SearchGraph(
        csr=csr,
        n_network_nodes=n,
        point_node=tuple(point_node),
        inserted_xy=inserted_xy,
        pieces_a=pieces_a,
        pieces_b=pieces_b,
        pieces_edge=pieces_edge,
        pieces_offset_m=pieces_off,
        pieces_length_m=pieces_len,
    )
