"""The core's fast paths against their straightforward versions: snapping, cache, summary."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from circle import load_network
from circle._validate import natural_key, natural_order
from circle.config import DEFAULT_CONFIG
from circle.coverage.core import CoverageResult, summarise
from circle.network.load import _load_npz, _save_npz
from circle.network.snap import build_search_graph, snap_points
from circle.network.walk import network_from_arrays, symmetric_csr

from .conftest import CRS
from .test_engine import random_street_network


def strtree_edges(net, xy, max_snap_m):
    """Reference: shapely's STRtree over the edge segments, lowest edge among equally near."""
    edge = np.full(len(xy), -1)
    hits = net.edge_tree.query_nearest(
        shapely.points(xy), max_distance=max_snap_m, all_matches=True
    )
    for p, e in zip(*hits.tolist()):
        edge[p] = e if edge[p] < 0 else min(edge[p], e)
    return edge


@pytest.mark.parametrize("seed", range(15))
def test_bulk_snapping_picks_the_strtree_edge(seed):
    rng = np.random.default_rng(seed)
    net = random_street_network(rng, int(rng.integers(20, 300)))
    xy = rng.uniform(-300, 2300, (400, 2))
    max_snap = float(rng.uniform(20, 400))
    np.testing.assert_array_equal(snap_points(net, xy, max_snap_m=max_snap).edge,
                                  strtree_edges(net, xy, max_snap))


def test_ties_on_a_lattice_go_to_the_lowest_edge():
    """Generated: a 10 x 10 lattice of 100 m blocks with integer coordinates, and points on
    nodes, on edge middles and in block centres, where 2 to 4 edges are exactly as near."""
    ij = np.indices((10, 10)).reshape(2, -1).T
    xy = ij * 100.0
    pos = np.arange(100).reshape(10, 10)
    u = np.r_[pos[:, :-1].ravel(), pos[:-1, :].ravel()]
    v = np.r_[pos[:, 1:].ravel(), pos[1:, :].ravel()]
    net = network_from_arrays(xy, u, v, crs=CRS, min_component_m=0)
    g = np.arange(0, 901, 50.0)
    pts = np.array([(x, y) for x in g for y in g])
    snapped = snap_points(net, pts, max_snap_m=80.0)
    np.testing.assert_array_equal(snapped.edge, strtree_edges(net, pts, 80.0))
    centre = np.flatnonzero((pts[:, 0] % 100 == 50) & (pts[:, 1] % 100 == 50))
    assert (snapped.snap_m[centre] == 50.0).all()


def test_a_long_edge_among_short_ones():
    """Generated: a 5 km street next to a dense cluster of 10 m segments; points near the
    long street's middle must snap to it even though its ends are far away."""
    rng = np.random.default_rng(4)
    small = rng.uniform(0, 200, (300, 2))
    xy = np.vstack([small, [[-2500.0, 500.0], [2500.0, 500.0]]])
    u = np.r_[np.arange(0, 299), 300]
    v = np.r_[np.arange(1, 300), 301]
    net = network_from_arrays(xy, u, v, crs=CRS, min_component_m=0)
    pts = np.column_stack([rng.uniform(-2400, 2400, 300), rng.uniform(0, 900, 300)])
    edges = snap_points(net, pts, max_snap_m=450.0).edge
    np.testing.assert_array_equal(edges, strtree_edges(net, pts, 450.0))
    assert (edges == net.n_edges - 1).sum() > 100


def test_exactly_max_snap_away_is_on_the_network(line_network):
    x0, y0 = line_network.xy[0]
    pts = np.array([[x0 + 150.0, y0 + 500.0], [x0 + 150.0, y0 + 500.5]])
    snapped = snap_points(line_network, pts, max_snap_m=500.0)
    assert snapped.edge.tolist() == strtree_edges(line_network, pts, 500.0).tolist() == [1, -1]


def test_real_network_snapping_and_cache_roundtrip(bundled, tmp_path):
    net = load_network(bundled[0])
    rng = np.random.default_rng(0)
    lo, hi = net.xy.min(axis=0), net.xy.max(axis=0)
    xy = rng.uniform(lo - 100, hi + 100, (3000, 2))
    # the nearest edge of any kind (issue 20's surface rule off): the STRtree's answer
    np.testing.assert_array_equal(snap_points(net, xy, max_snap_m=60.0, surface=False).edge,
                                  strtree_edges(net, xy, 60.0))
    # the cache stores compact dtypes, the CSR and the component labels; all load back equal
    fresh = network_from_arrays(net.xy, net.edge_u, net.edge_v, crs=net.crs,
                                node_ids=net.node_ids, edge_way=net.edge_way,
                                edge_highway=net.edge_highway, min_component_m=0)
    _save_npz(fresh, tmp_path / "n.npz")
    back = _load_npz(tmp_path / "n.npz")
    for name in ("node_ids", "xy", "edge_u", "edge_v", "edge_length_m", "edge_way"):
        a, b = getattr(fresh, name), getattr(back, name)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert back.edge_highway.tolist() == fresh.edge_highway.tolist()
    assert back.edge_highway.dtype == object
    assert (back.csr != fresh.csr).nnz == 0
    assert back.csr.indices.dtype == np.int32
    np.testing.assert_array_equal(back.component, fresh.component)
    # the snapping index comes back built (not rebuilt) and snaps as shapely's STRtree does
    assert "edge_points" in back.__dict__
    np.testing.assert_array_equal(snap_points(back, xy, max_snap_m=60.0).edge,
                                  strtree_edges(net, xy, 60.0))


def test_uncovered_ranking_matches_a_pandas_sort(line_network):
    """Generated table: ties in population, unknown populations, ids that sort naturally."""
    ids = ["c10", "c2", "c1", "b7", "c3", "a", "c20"]
    pop = [50.0, 50.0, np.nan, 900.0, 0.0, 50.0, np.nan]
    covered = [False, False, False, False, True, False, False]
    table = gpd.GeoDataFrame(
        {"community_id": ids, "name": [f"n{i}" for i in ids], "population": pop,
         "population_source": "", "nearest_centre_id": None, "nearest_centre_type": None,
         "walk_min": [20.0, 21.0, np.nan, 30.0, 5.0, 16.0, np.nan], "covered": covered,
         "band_min": np.nan, "status": "ok", "via_gate": ""},
        geometry=shapely.points(np.zeros((7, 2))), crs=CRS,
    )
    centres = gpd.GeoDataFrame({"centre_id": [], "type": [], "status": []},
                               geometry=shapely.points(np.zeros((0, 2))), crs=CRS)
    result = CoverageResult(table=table, centres=centres, config=DEFAULT_CONFIG)
    got = [u["community_id"] for u in summarise(result)["uncovered"]]
    # by hand: 900; then the three 50s by natural id (a, c2, c10); unknown last (c1, c20)
    assert got == ["b7", "a", "c2", "c10", "c1", "c20"]
    assert summarise(result, top=2)["uncovered"][1]["population"] == 50.0


_ID_PARTS = st.sampled_from(["r", "c", "社区", "", "a-", "1", "0", "9", "12", "007", "١", "１", "\x00"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_ID_PARTS, max_size=4).map("".join), max_size=30))
def test_natural_order_sorts_as_natural_key(ids):
    """Ids of one shape (prefix + ASCII number, ordered in bulk) and any others (key by key):
    the order of ``sorted(..., key=natural_key)``, ties in their order."""
    expected = sorted(range(len(ids)), key=lambda i: natural_key(ids[i]))
    assert natural_order(ids).tolist() == expected
    shaped = [f"{p}{n}" for p, n in zip(["r", "社区", ""] * 10, range(len(ids), 0, -1))]
    expected = sorted(range(len(shaped)), key=lambda i: natural_key(shaped[i]))
    assert natural_order(shaped).tolist() == expected


@pytest.mark.parametrize("seed", range(8))
def test_search_graph_csr_is_the_csr_of_its_pieces(seed):
    """The search graph's CSR (the network's own, changed in the rows that splits touch)
    against the straightforward one: `symmetric_csr` over every piece, built anew."""
    rng = np.random.default_rng(seed)
    net = random_street_network(rng, int(rng.integers(20, 300)))
    e = rng.integers(0, net.n_edges, 30)
    a, b = net.xy[net.edge_u[e]], net.xy[net.edge_v[e]]
    xy = np.vstack([rng.uniform(-300, 2300, (200, 2)), a, b, (a + b) / 2, (a + b) / 2])
    groups = [snap_points(net, xy[:40], max_snap_m=300.0), snap_points(net, xy, max_snap_m=300.0)]
    graph = build_search_graph(net, *groups)
    expected = symmetric_csr(graph.pieces_a, graph.pieces_b, graph.pieces_length_m,
                             graph.n_nodes)
    for name in ("indptr", "indices", "data"):
        got, want = getattr(graph.csr, name), getattr(expected, name)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
