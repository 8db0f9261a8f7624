"""The walking network as arrays: built from edge arrays or osmnx graphs, projected,
de-fragmented."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import KDTree

from ..errors import InputDataError, NetworkError
from ..io.datums import local_utm_crs
from ..io.waytags import OFF_GROUND

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "EdgePoints",
    "WalkNetwork",
    "network_from_arrays",
    "network_from_graph",
    "with_edge_costs",
]

logger = logging.getLogger(__name__)



@dataclass(frozen=True, eq=False)
class EdgePoints:
    """Points spread along every edge, in a KD-tree: a bulk index for nearest-edge queries.

    Every point of edge ``e`` lies within `reach_m` of one of the sample points of ``e``, so the
    edges within distance ``d`` of a location all have a sample point within ``d + reach_m``.

    Attributes
    ----------
    tree
        KD-tree over the sample points.
    edge
        Edge position of each sample point.
    reach_m
        Half the longest piece of edge one sample point stands for (metres).
    """

    tree: KDTree
    edge: np.ndarray
    reach_m: float


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """A two-way walking network as arrays, in a projected metric CRS.

    Every edge is a straight segment between two nodes (OSM ways are kept unsimplified, so the
    segment *is* the street's geometry); its length is the segment's length in metres in `crs`.

    Attributes
    ----------
    node_ids
        OSM node ids (int64; generated negative ids for vertices added when exploding a graph's
        curved edges).
    xy
        Node coordinates in `crs`, metres, shape (n, 2).
    edge_u, edge_v
        Node positions of each undirected edge, with ``edge_u < edge_v``; parallel edges are
        collapsed to the shortest.
    edge_length_m
        Edge lengths in metres.
    edge_way
        OSM way id of each edge (0 when unknown).
    edge_highway
        OSM highway value of each edge ("" when unknown).
    crs
        The projected CRS, e.g. ``"EPSG:32635"``.
    source
        Provenance: file name, sha256, newest edit, counts of dropped fragments.
    edge_oneway
        Direction each edge may be travelled in on a bike network (int8: 1 only from `edge_u`
        to `edge_v`, -1 only back, 0 both ways; osmnx's one-way rules); ``None``: every edge
        both ways (the walk network).
    edge_fw_m, edge_bw_m
        Optional directed costs (float64, one per edge): walking from ``edge_u`` to ``edge_v``
        (fw) and back (bw), in flat-equivalent metres (the metres a walker at the profile's
        flat speed covers in the same time, so minutes = cost / speed); ``inf`` closes that
        direction. ``None`` (default): both equal `edge_length_m` and the network is two-way.
        Set them with `with_edge_costs`, which checks them.
    edge_flags
        Optional OSM tag flags per edge (uint8, `circle.io.waytags`: tunnel, bridge, covered,
        indoor, layer, wheelchair=no); ``None`` when the source has no such tags (every edge
        then counts as at ground level).
    edge_slope
        Optional steepest slope of each edge (absolute rise over run, ``nan`` unknown), set
        with a DEM (`circle.network.slope.with_dem`).
    base
        The network before a walking profile closed streets (`circle.network.slope.for_profile`),
        so another profile starts from the same streets; ``None`` when none did.
    """

    node_ids: np.ndarray
    xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_way: np.ndarray
    edge_highway: np.ndarray
    crs: str
    source: dict = field(default_factory=dict)
    edge_oneway: np.ndarray | None = None
    edge_fw_m: np.ndarray | None = None
    edge_bw_m: np.ndarray | None = None
    edge_flags: np.ndarray | None = None
    edge_slope: np.ndarray | None = None
    base: WalkNetwork | None = field(default=None, repr=False)

    @cached_property
    def surface_edges(self) -> np.ndarray | None:
        """Positions of the edges a point on the ground can step onto: not tunnels, bridges,
        covered, indoor or other layers, nor closed both ways (e.g. steps for a wheelchair);
        ``None`` when every edge can."""
        bad = np.zeros(self.n_edges, bool)
        if self.edge_flags is not None:
            bad |= (self.edge_flags & OFF_GROUND) != 0
        if self.edge_fw_m is not None and self.edge_bw_m is not None:
            bad |= np.isinf(self.edge_fw_m) & np.isinf(self.edge_bw_m)
        return np.flatnonzero(~bad) if bad.any() else None

    @cached_property
    def surface_edge_points(self) -> EdgePoints:
        """`edge_points` over the `surface_edges` only (all edges when that is ``None``)."""
        edges = self.surface_edges
        return self.edge_points if edges is None else _edge_points(self, edges)

    @property
    def directed(self) -> bool:
        """Whether the edges carry directed costs (`edge_fw_m`, `edge_bw_m`)."""
        return self.edge_fw_m is not None

    @property
    def min_cost_ratio(self) -> float:
        """The smallest cost per metre of street over both directions, capped at 1: a walk
        costing ``W`` flat-equivalent metres covers at most ``W / min_cost_ratio`` metres of
        street (1.0 without directed costs)."""
        if self.edge_fw_m is None or self.edge_bw_m is None or self.n_edges == 0:
            return 1.0
        length = self.edge_length_m
        pos = length > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.minimum(self.edge_fw_m[pos], self.edge_bw_m[pos]) / length[pos]
        return float(min(1.0, ratio.min())) if ratio.size else 1.0

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.edge_u.size)

    @property
    def total_length_m(self) -> float:
        """Total street length in metres."""
        return float(self.edge_length_m.sum())

    @cached_property
    def csr(self) -> sp.csr_array:
        """Sparse adjacency matrix of the search costs: entry ``[i, j]`` is the cost of walking
        from node i to node j. Symmetric edge lengths (metres) without directed costs; with
        them, `edge_fw_m` on ``[u, v]`` and `edge_bw_m` on ``[v, u]``, closed directions left
        out."""
        if self.edge_fw_m is None or self.edge_bw_m is None:
            return symmetric_csr(self.edge_u, self.edge_v, self.edge_length_m, self.n_nodes)
        return directed_csr(self.edge_u, self.edge_v, self.edge_fw_m, self.edge_bw_m, self.n_nodes)

    @cached_property
    def component(self) -> np.ndarray:
        """Connected-component label of every node."""
        return connected_components(self.csr, directed=False)[1]

    @cached_property
    def segments(self) -> np.ndarray:
        """Edges as shapely LineStrings (for spatial queries)."""
        return shapely.linestrings(
            np.stack([self.xy[self.edge_u], self.xy[self.edge_v]], axis=1)
        )

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        """Spatial index over `segments`."""
        return shapely.STRtree(self.segments)

    @cached_property
    def edge_points(self) -> EdgePoints:
        """KD-tree index of points along the edges (see `EdgePoints`); used by snapping."""
        return _edge_points(self, None)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The network as an osmnx-style MultiDiGraph (both directions, ``length`` in metres).

        Nodes carry ``x``, ``y`` in `crs`; edges carry ``length``, ``osmid``, ``highway``,
        ``oneway`` (a one-way edge of a bike network, `edge_oneway`, is added in its direction
        only) and, on a network with directed costs, ``cost_m`` (the cost of that direction, see
        `edge_fw_m`; ``inf`` when closed). The graph's ``crs`` attribute makes it usable with osmnx functions
        (``ox.graph_to_gdfs``, ``ox.plot_graph``).

        Returns
        -------
        G
        """
        import networkx as nx

        G = nx.MultiDiGraph(crs=self.crs)
        ids = self.node_ids.tolist()
        oneway = (
            [0] * self.n_edges if self.edge_oneway is None else self.edge_oneway.tolist()
        )
        G.add_nodes_from(
            (n, {"x": float(x), "y": float(y)})
            for n, (x, y) in zip(ids, self.xy.tolist(), strict=True)
        )
        fw = self.edge_length_m if self.edge_fw_m is None else self.edge_fw_m
        bw = self.edge_length_m if self.edge_bw_m is None else self.edge_bw_m
        for u, v, length, way, hw, one, cf, cb in zip(
            self.edge_u.tolist(),
            self.edge_v.tolist(),
            self.edge_length_m.tolist(),
            self.edge_way.tolist(),
            self.edge_highway.tolist(),
            oneway,
            fw.tolist(),
            bw.tolist(),
            strict=True,
        ):
            attrs = {"length": length, "osmid": way, "highway": hw, "oneway": one != 0}
            # cost_m only with directed costs: a walk network's GraphML stays as it was
            there, back = ({"cost_m": cf}, {"cost_m": cb}) if self.directed else ({}, {})
            if one >= 0:
                G.add_edge(ids[u], ids[v], reversed=False, **there, **attrs)
            if one <= 0:
                G.add_edge(ids[v], ids[u], reversed=one == 0, **back, **attrs)
        return G


def _edge_points(net: WalkNetwork, edges: np.ndarray | None) -> EdgePoints:
    """`EdgePoints` over all edges, or over `edges` (positions; the index gives their own)."""
    u, v, length = net.edge_u, net.edge_v, net.edge_length_m
    if edges is not None:
        u, v, length = u[edges], v[edges], length[edges]
    a = np.take(net.xy, u, axis=0)  # take: 3x faster than fancy indexing here
    d = np.take(net.xy, v, axis=0) - a
    # pieces no longer than the 90th percentile of edge lengths: long edges get several
    # sample points, so that one long edge does not widen every query
    piece = max(float(np.quantile(length, 0.9)), 1.0) if length.size else 1.0
    pieces = np.maximum(np.ceil(length / piece), 1).astype(np.int64)
    edge = np.repeat(np.arange(length.size), pieces)
    first = np.cumsum(pieces) - pieces
    frac = (np.arange(edge.size) - np.take(first, edge) + 0.5) / np.take(pieces, edge)
    points = np.take(a, edge, axis=0) + frac[:, None] * np.take(d, edge, axis=0)
    reach = float((length / pieces).max()) / 2 if length.size else 0.0
    tree = KDTree(points, balanced_tree=False, compact_nodes=False)
    return EdgePoints(tree, edge if edges is None else edges[edge], reach)


def symmetric_csr(u, v, w, n: int) -> sp.csr_array:
    """Adjacency matrix with both directions of edges ``(u[i], v[i])`` of length ``w[i]``.

    Edges must be unique (a CSR sums duplicates). Positions are int32 when they fit:
    scipy.sparse.csgraph converts anything else on every call.
    """
    itype = np.int32 if max(n, 2 * len(u)) < np.iinfo(np.int32).max else np.int64
    rows = np.concatenate([u, v]).astype(itype)
    cols = np.concatenate([v, u]).astype(itype)
    data = np.concatenate([w, w])
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


def directed_csr(u, v, fw, bw, n: int) -> sp.csr_array:
    """Adjacency matrix with edge ``u[i] -> v[i]`` costing ``fw[i]`` and ``v[i] -> u[i]``
    costing ``bw[i]``; infinite costs (closed directions) are left out. Edges must be unique."""
    itype = np.int32 if max(n, 2 * len(u)) < np.iinfo(np.int32).max else np.int64
    rows = np.concatenate([u, v]).astype(itype)
    cols = np.concatenate([v, u]).astype(itype)
    data = np.concatenate([np.asarray(fw, np.float64), np.asarray(bw, np.float64)])
    open_ = np.isfinite(data)
    if not open_.all():
        rows, cols, data = rows[open_], cols[open_], data[open_]
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


def with_edge_costs(network: WalkNetwork, fw_m, bw_m, *, note: dict | None = None) -> WalkNetwork:
    """The network with directed edge costs (see `WalkNetwork.edge_fw_m`).

    Parameters
    ----------
    network
        The walking network.
    fw_m, bw_m
        Cost of each edge from ``edge_u`` to ``edge_v`` and back, flat-equivalent metres;
        ``inf`` closes a direction. ``None`` for both removes directed costs.
    note
        Provenance merged into the new network's `source` (e.g. the DEM used).

    Returns
    -------
    WalkNetwork
        A new network sharing the arrays of `network`.

    Raises
    ------
    ValueError
        A cost array of the wrong shape, or with a NaN or a negative value.
    """
    source = {**network.source, **(note or {})}
    if fw_m is None and bw_m is None:
        return dataclasses.replace(network, edge_fw_m=None, edge_bw_m=None, source=source)
    costs = []
    for name, c in (("fw_m", fw_m), ("bw_m", bw_m)):
        if c is None:
            msg = f"`{name}` is None but the other direction has costs; give both or neither"
            raise ValueError(msg)
        c = np.ascontiguousarray(c, dtype=np.float64)
        if c.shape != (network.n_edges,):
            msg = f"`{name}` needs one cost per edge ({network.n_edges}), got shape {c.shape}"
            raise ValueError(msg)
        if np.isnan(c).any() or (c < 0).any():
            bad = int(np.flatnonzero(np.isnan(c) | (c < 0))[0])
            msg = f"`{name}`: edge {bad} has cost {c[bad]!r}; costs are >= 0 or inf (closed)"
            raise ValueError(msg)
        costs.append(c)
    return dataclasses.replace(network, edge_fw_m=costs[0], edge_bw_m=costs[1], source=source)


def network_from_arrays(
    xy: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    *,
    crs: str,
    node_ids: np.ndarray | None = None,
    edge_way: np.ndarray | None = None,
    edge_highway: np.ndarray | None = None,
    min_component_m: float = 250.0,
    source: dict | None = None,
    edge_flags: np.ndarray | None = None,
    edge_oneway: np.ndarray | None = None,
) -> WalkNetwork:
    """Build a network from node coordinates and edge end positions (already projected).

    Self-loops are dropped, parallel edges collapse to the shortest, and connected pieces with
    less than `min_component_m` of street are dropped as fragments.

    Parameters
    ----------
    xy
        Node coordinates in `crs` (metres), shape (n, 2).
    edge_u, edge_v
        Positions into `xy` of each edge's ends.
    crs
        A projected metric CRS.
    node_ids
        Node ids (default ``0..n-1``).
    edge_way, edge_highway
        Optional OSM way id and highway value per edge.
    edge_flags
        Optional tag flags per edge (see `WalkNetwork.edge_flags`).
    min_component_m
        Fragments smaller than this (total street metres) are dropped.
    source
        Provenance recorded on the network.
    edge_oneway
        Optional one-way direction per edge (see `WalkNetwork.edge_oneway`); parallel edges
        collapsed into one keep every direction any of them allows.

    Returns
    -------
    WalkNetwork
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = len(xy)
    node_ids = np.arange(n, dtype=np.int64) if node_ids is None else np.asarray(node_ids, np.int64)
    u = np.asarray(edge_u, dtype=np.int64)
    v = np.asarray(edge_v, dtype=np.int64)
    way = np.zeros(u.size, np.int64) if edge_way is None else np.asarray(edge_way, np.int64)
    hw = np.full(u.size, "", object) if edge_highway is None else np.asarray(edge_highway, object)
    flags = np.zeros(u.size, np.uint8) if edge_flags is None else np.asarray(edge_flags, np.uint8)
    source = dict(source or {})
    if u.size == 0:
        msg = f"{source.get('file', 'network')}: no walkable edges"
        raise NetworkError(msg)

    ow = None if edge_oneway is None else np.asarray(edge_oneway, np.int8)
    a, b, length, way, hw, flags, ow = _distinct_edges(xy, u, v, way, hw, flags, ow)
    keep_edge = _without_fragments(a, b, length, n, min_component_m, source)
    a, b, length = a[keep_edge], b[keep_edge], length[keep_edge]
    way, hw, flags = way[keep_edge], hw[keep_edge], flags[keep_edge]
    ow = None if ow is None else ow[keep_edge]

    # renumber the nodes still in use
    keep_node = np.zeros(n, bool)
    keep_node[a] = keep_node[b] = True
    new_pos = np.cumsum(keep_node) - 1
    net = WalkNetwork(
        node_ids=node_ids[keep_node],
        xy=xy[keep_node],
        edge_u=new_pos[a],
        edge_v=new_pos[b],
        edge_length_m=length,
        edge_way=way,
        edge_highway=_as_text(hw),
        crs=crs,
        source=source,
        edge_flags=None if edge_flags is None else flags,
        edge_oneway=ow,
    )
    logger.info(
        "network: %d nodes, %d edges, %.1f km of street; %d fragments (%.0f m) dropped",
        net.n_nodes,
        net.n_edges,
        net.total_length_m / 1000,
        source["fragments_dropped"],
        source["fragment_m_dropped"],
    )
    return net


def highway_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values.astype(str), return_inverse=True)``: the distinct texts (sorted) and
    each value's position among them, in one hash pass when the values are texts (a network's
    highway values: a few distinct among millions) instead of a sort of millions of texts.

    Parameters
    ----------
    values
        A 1-D object array.

    Returns
    -------
    names, codes
    """
    import pandas as pd

    values = np.asarray(values, dtype=object)
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable values (lists)
        codes, uniques = np.zeros(0, np.intp), np.array([None])
    plain = values.size == 0 or (
        all(type(u) is str and not u.endswith("\0") for u in uniques) and codes.min() >= 0
    )
    if not plain:  # other objects (None, numbers, lists): numpy's own text of each
        return np.unique(values.astype(str), return_inverse=True)
    texts = np.array(list(uniques), dtype=str)
    order = np.argsort(texts, kind="stable")
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    return texts[order], rank[codes]


def _as_text(values: np.ndarray) -> np.ndarray:
    """The values as Python texts (``values.astype(str).astype(object)``)."""
    names, codes = highway_codes(values)
    return names.astype(object)[codes]


def _distinct_edges(
    xy: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    way: np.ndarray,
    hw: np.ndarray,
    flags: np.ndarray,
    ow: np.ndarray | None = None,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None
]:
    """Edges (low end, high end, length, way, highway, flags, one-way) without self-loops, the
    shortest of parallel edges kept (with every direction the parallel edges allow)."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    length = np.hypot(*(xy[b] - xy[a]).T)
    keep = a != b
    a, b, length, way, hw = a[keep], b[keep], length[keep], way[keep], hw[keep]
    order = _pair_order(a, b, length, way)  # shortest parallel edge first; ties by way id
    a, b, length, way, hw = a[order], b[order], length[order], way[order], hw[order]
    flags = flags[keep][order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    if ow is not None:
        # oriented low -> high end, then the union of the directions of parallel edges
        ow = np.where(u > v, -ow, ow)[keep][order]
        group = np.cumsum(first) - 1
        fw = np.zeros(int(first.sum()), bool)
        bw = np.zeros_like(fw)
        np.logical_or.at(fw, group, ow >= 0)
        np.logical_or.at(bw, group, ow <= 0)
        ow = np.where(fw & bw, 0, np.where(fw, 1, -1)).astype(np.int8)
    return a[first], b[first], length[first], way[first], hw[first], flags[first], ow


def _pair_order(a: np.ndarray, b: np.ndarray, length: np.ndarray, way: np.ndarray) -> np.ndarray:
    """``np.lexsort((way, length, b, a))``, fast: one stable sort of the pairs, then the few
    parallel edges (same pair) ordered by length, way and position among themselves."""
    if a.size == 0:
        return np.zeros(0, dtype=np.intp)
    span = int(b.max()) + 1
    if int(a.max()) >= np.iinfo(np.int64).max // span:
        return np.lexsort((way, length, b, a))
    key = a * span + b
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if same.any():
        tied = np.zeros(order.size, dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        at = order[tied]  # groups of parallel edges, in pair order, each in position order
        order[tied] = at[np.lexsort((at, way[at], length[at], key[at]))]
    return order


def _without_fragments(
    a: np.ndarray, b: np.ndarray, length: np.ndarray, n: int, min_component_m: float, source: dict
) -> np.ndarray:
    """The edges in connected pieces with at least `min_component_m` of street; records the
    fragments dropped in `source`."""
    _, label = connected_components(symmetric_csr(a, b, length, n), directed=False)
    comp_len = np.bincount(label[a], weights=length, minlength=label.max() + 1)
    keep_edge = comp_len[label[a]] >= min_component_m
    dropped = np.unique(label[a][~keep_edge])
    source["fragments_dropped"] = int(dropped.size)
    source["fragment_m_dropped"] = round(float(comp_len[dropped].sum()), 3)
    if not keep_edge.any():
        msg = (
            f"{source.get('file', 'network')}: every piece of the walking network is shorter than "
            f"min_component_m={min_component_m:g} m; use a larger extract or lower the minimum"
        )
        raise NetworkError(msg)
    return keep_edge


def _graph_nodes(G: nx.MultiDiGraph) -> tuple[pyproj.CRS, np.ndarray, np.ndarray, np.ndarray]:
    """The graph's CRS, node ids and coordinates, or one `InputDataError` saying which node or
    attribute is not as osmnx writes it (a GraphML file from another program)."""
    try:
        graph_crs = pyproj.CRS.from_user_input(G.graph.get("crs", "EPSG:4326"))
    except pyproj.exceptions.CRSError as err:
        msg = f"the graph's crs {G.graph.get('crs')!r} is not a CRS PROJ knows; save it with osmnx"
        raise InputDataError(msg) from err
    try:
        ids = np.array(list(G.nodes), dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as err:
        msg = "the graph's node ids are not whole numbers; not a graph saved by osmnx (save_graphml)"
        raise InputDataError(msg) from err
    coords = []
    for key in ("x", "y"):
        try:
            coords.append(np.array([G.nodes[n][key] for n in ids.tolist()], dtype=np.float64))
        except KeyError:
            node = next(n for n in ids.tolist() if key not in G.nodes[n])
            msg = (
                f"node {node} of the graph has no {key!r} coordinate; not a graph saved by "
                "osmnx (ox.save_graphml), or a broken one"
            )
            raise InputDataError(msg) from None
        except (TypeError, ValueError) as err:
            msg = f"a node of the graph has a non-numeric {key!r} coordinate ({err})"
            raise InputDataError(msg) from err
    return graph_crs, ids, coords[0], coords[1]


def network_from_graph(
    G: nx.MultiDiGraph, *, min_component_m: float = 250.0, crs: str | None = None
) -> WalkNetwork:
    """Convert an osmnx graph (projected or in lon/lat) to a `WalkNetwork`.

    Curved edges (with a ``geometry``) are exploded into their straight segments; the inner
    vertices get negative ids. Direction is ignored: walking is two-way.

    Parameters
    ----------
    G
        An osmnx-style graph with node ``x``/``y`` and a ``crs`` graph attribute.
    min_component_m
        Fragments with less street than this (metres) are dropped.
    crs
        Projected CRS to work in; default: the UTM zone of the graph's centre.

    Returns
    -------
    WalkNetwork
    """
    if G.number_of_edges() == 0:
        msg = "the graph has no edges"
        raise NetworkError(msg)
    graph_crs, ids, gx, gy = _graph_nodes(G)
    to_ll = pyproj.Transformer.from_crs(graph_crs, "EPSG:4326", always_xy=True)
    if crs is None:
        lon, lat = to_ll.transform(gx, gy)
        crs = local_utm_crs(float((lon.min() + lon.max()) / 2), float((lat.min() + lat.max()) / 2))
    project = pyproj.Transformer.from_crs(graph_crs, crs, always_xy=True)
    pos = {n: i for i, n in enumerate(ids.tolist())}
    xs, ys = list(gx), list(gy)
    node_ids = list(ids.tolist())
    us, vs, ways, hws = [], [], [], []
    next_id = -1
    for u, v, data in G.edges(data=True):
        way = data.get("osmid", 0)
        way = way[0] if isinstance(way, list) else way
        hw = data.get("highway", "")
        hw = hw[0] if isinstance(hw, list) else hw
        chain = [pos[u]]
        geom = data.get("geometry")
        if geom is not None:
            for px, py in list(geom.coords)[1:-1]:
                xs.append(px)
                ys.append(py)
                node_ids.append(next_id)
                chain.append(len(xs) - 1)
                next_id -= 1
        chain.append(pos[v])
        us.extend(chain[:-1])
        vs.extend(chain[1:])
        ways.extend([int(way or 0)] * (len(chain) - 1))
        hws.extend([str(hw or "")] * (len(chain) - 1))
    px, py = project.transform(np.array(xs), np.array(ys))
    return network_from_arrays(
        np.column_stack([px, py]),
        np.array(us),
        np.array(vs),
        crs=crs,
        node_ids=np.array(node_ids, dtype=np.int64),
        edge_way=np.array(ways),
        edge_highway=np.array(hws, dtype=object),
        min_component_m=min_component_m,
        source={"file": "osmnx graph"},
    )
