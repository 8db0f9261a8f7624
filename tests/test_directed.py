"""Directed edge costs (uphill/downhill, closed directions): hand-built graphs with known walks,
the fast path against the networkx reference, partial edges, isochrones, reach sets, halos."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circle.coverage.isochrones import reached_segments
from circle.network._fastpath import bounded_reach
from circle.network.engine import (
    nearest_centres,
    nearest_centres_networkx,
    reach_from_centres,
    reach_within,
    reach_within_networkx,
)
from circle.network.partition import cut_network, halo_m
from circle.network.snap import Snapped, build_search_graph, snap_points
from circle.network.walk import with_edge_costs
from circle.siting.reach import reach_pattern

from .conftest import X0, Y0, make_network
from .strategies import bounded, street_grids


def _line():
    """Generated: nodes 0 - 1 - 2 on a straight street, 100 m blocks."""
    return make_network({0: (0, 0), 1: (100, 0), 2: (200, 0)}, [(0, 1), (1, 2)])


def _at(net, x: float) -> Snapped:
    """A point on the line street at x (local metres), no access leg."""
    return snap_points(net, np.array([[X0 + x, Y0]]), max_snap_m=10)


def test_walk_from_community_to_centre_uses_the_forward_costs():
    # edges (0,1), (1,2): walking 0->1 costs 150, 1->0 costs 80; 1->2 costs 130, 2->1 costs 90
    net = with_edge_costs(_line(), np.array([150.0, 130.0]), np.array([80.0, 90.0]))
    centre, home = _at(net, 200), _at(net, 0)
    graph = build_search_graph(net, centre, home)
    res = nearest_centres(
        graph, graph.point_node[0], centre.snap_m, graph.point_node[1], home.snap_m
    )
    assert res.walk_m[0] == pytest.approx(150 + 130, abs=1e-9)  # 0 -> 1 -> 2, uphill both
    # the other way round: the community at 2 walks to a centre at 0 downhill
    graph = build_search_graph(net, home, centre)
    res = nearest_centres(
        graph, graph.point_node[0], home.snap_m, graph.point_node[1], centre.snap_m
    )
    assert res.walk_m[0] == pytest.approx(90 + 80, abs=1e-9)
    ref = nearest_centres_networkx(net, home, centre)
    assert ref.walk_m[0] == pytest.approx(170, abs=1e-9)


def test_partial_edge_costs_its_share_each_way():
    net = with_edge_costs(_line(), np.array([150.0, 130.0]), np.array([80.0, 90.0]))
    centre, home = _at(net, 125), _at(net, 40)  # 60 m of edge 0 at 1.5, 25 m of edge 1 at 1.3
    graph = build_search_graph(net, centre, home)
    res = nearest_centres(
        graph, graph.point_node[0], centre.snap_m, graph.point_node[1], home.snap_m
    )
    assert res.walk_m[0] == pytest.approx(60 * 1.5 + 25 * 1.3, abs=1e-9)
    pairs = reach_within(
        graph, graph.point_node[0], centre.snap_m, graph.point_node[1], home.snap_m, 1000
    )
    assert pairs[0, 0] == pytest.approx(60 * 1.5 + 25 * 1.3, abs=1e-9)


def test_closed_direction_is_never_walked():
    net = with_edge_costs(_line(), np.array([np.inf, 100.0]), np.array([100.0, 100.0]))
    centre, home = _at(net, 200), _at(net, 0)
    graph = build_search_graph(net, centre, home)
    res = nearest_centres(
        graph, graph.point_node[0], centre.snap_m, graph.point_node[1], home.snap_m
    )
    assert np.isinf(res.walk_m[0]) and res.centre[0] == -1
    assert np.isinf(nearest_centres_networkx(net, centre, home).walk_m[0])
    # ... but the way back is open
    graph = build_search_graph(net, home, centre)
    res = nearest_centres(
        graph, graph.point_node[0], home.snap_m, graph.point_node[1], centre.snap_m
    )
    assert res.walk_m[0] == pytest.approx(200, abs=1e-9)


def test_costs_equal_to_lengths_give_bit_identical_walks():
    net = make_network(
        {0: (0, 0), 1: (100, 3), 2: (210, -7), 3: (90, 120)}, [(0, 1), (1, 2), (1, 3), (0, 3)]
    )
    costed = with_edge_costs(net, net.edge_length_m.copy(), net.edge_length_m.copy())
    rng = np.random.default_rng(3)
    xy = rng.uniform(-20, 220, (30, 2)) + np.array([X0, Y0])
    out = []
    for n in (net, costed):
        c = snap_points(n, xy[:3], max_snap_m=500)
        t = snap_points(n, xy[3:], max_snap_m=500)
        g = build_search_graph(n, c, t)
        res = nearest_centres(g, g.point_node[0], c.snap_m, g.point_node[1], t.snap_m)
        pairs = reach_within(g, g.point_node[0], c.snap_m, g.point_node[1], t.snap_m, 300)
        out.append((res.walk_m, res.centre, pairs.toarray()))
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)
    assert net.csr is not None and not net.directed and costed.directed


def test_with_edge_costs_rejects_bad_costs():
    net = _line()
    with pytest.raises(ValueError, match="one cost per edge"):
        with_edge_costs(net, np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="edge 1"):
        with_edge_costs(net, np.array([1.0, np.nan]), np.ones(2))
    with pytest.raises(ValueError, match="give both"):
        with_edge_costs(net, np.ones(2), None)
    assert not with_edge_costs(with_edge_costs(net, np.ones(2), np.ones(2)), None, None).directed


@st.composite
def costed_scenes(draw):
    """Generated: a street grid with random per-direction costs (0.8-3 x length, some closed),
    random centres and communities."""
    net, (w, h) = draw(street_grids())
    m = net.n_edges
    factors = draw(
        st.lists(st.sampled_from([0.84, 1.0, 1.3, 2.5, np.inf]), min_size=2 * m, max_size=2 * m)
    )
    f = np.array(factors).reshape(2, m)
    net = with_edge_costs(net, net.edge_length_m * f[0], net.edge_length_m * f[1])
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    xy = rng.uniform([-50, -50], [w + 50, h + 50], (12, 2)) + np.array([X0, Y0])
    k = draw(st.integers(1, 4))
    return net, snap_points(net, xy[:k], max_snap_m=200), snap_points(net, xy[k:], max_snap_m=200)


@bounded(25)
@given(costed_scenes(), st.floats(200, 1500))
def test_directed_fast_path_equals_networkx_reference(scene, limit):
    net, centres, targets = scene
    graph = build_search_graph(net, centres, targets)
    fast = nearest_centres(
        graph,
        graph.point_node[0],
        centres.snap_m,
        graph.point_node[1],
        targets.snap_m,
        limit_m=limit,
    )
    ref = nearest_centres_networkx(net, centres, targets, limit_m=limit)
    np.testing.assert_array_equal(np.isfinite(fast.walk_m), np.isfinite(ref.walk_m))
    found = np.isfinite(ref.walk_m)
    np.testing.assert_allclose(fast.walk_m[found], ref.walk_m[found], rtol=0, atol=1e-6)
    pairs = reach_within(
        graph, graph.point_node[0], centres.snap_m, graph.point_node[1], targets.snap_m, limit
    )
    ref_pairs = reach_within_networkx(net, centres, targets, limit)
    np.testing.assert_allclose(pairs.toarray(), ref_pairs.toarray(), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(pairs.toarray() > 0, ref_pairs.toarray() > 0)
    pattern = reach_pattern(
        graph, graph.point_node[0], centres.snap_m, graph.point_node[1], targets.snap_m, limit
    )
    np.testing.assert_array_equal(pattern.toarray(), ref_pairs.toarray() > 0)
    # the compiled kernel and scipy agree on the directed (reversed) graph
    csr = graph.reverse_csr
    runs = [
        bounded_reach(
            csr.indptr,
            csr.indices,
            csr.data,
            graph.point_node[0][:1].clip(0),
            None,
            limit,
            engine=e,
        )
        for e in ("numba", "scipy")
    ]
    (s1, n1, d1), (s2, n2, d2) = runs
    o1, o2 = np.lexsort((n1, s1)), np.lexsort((n2, s2))
    np.testing.assert_array_equal(n1[o1], n2[o2])
    np.testing.assert_array_equal(d1[o1], d2[o2])


def test_isochrone_pieces_follow_each_direction():
    # one 100 m street; walking towards the centre at x=0 costs 2 per metre, away 1 per metre
    net = with_edge_costs(_line(), np.array([100.0, 100.0]), np.array([200.0, 200.0]))
    centre = _at(net, 0)
    graph = build_search_graph(net, centre)
    reach = reach_from_centres(graph, graph.point_node[0], centre.snap_m, limit_m=500)
    # nodes 1 and 2 walk to the centre at 200 and 400 (bw direction)
    np.testing.assert_allclose(reach.walk_m[:3], [0, 200, 400], atol=1e-9)
    ea, sb, _, _ = reached_segments(graph, reach, 100.0)
    # a budget of 100 reaches the first 50 m of edge 0 (2 per metre back to the centre)
    np.testing.assert_allclose(ea, [50.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(sb, [100.0, 100.0], atol=1e-9)


def test_halo_stays_exact_when_downhill_is_cheaper():
    from circle.config import CircleConfig

    net = _line()
    cheap = with_edge_costs(net, net.edge_length_m * 0.5, net.edge_length_m)
    cfg = CircleConfig()
    assert cheap.min_cost_ratio == pytest.approx(0.5)
    assert halo_m(cfg, cheap.min_cost_ratio) == pytest.approx(
        cfg.search_limit_m / 0.5 + cfg.max_snap_m
    )
    assert halo_m(cfg, net.min_cost_ratio) == cfg.search_limit_m + cfg.max_snap_m
    sub, edges = cut_network(cheap, (X0 - 1, Y0 - 1, X0 + 50, Y0 + 1))
    np.testing.assert_array_equal(sub.edge_fw_m, cheap.edge_fw_m[edges])


def test_partitioned_walk_equals_whole_walk_downhill():
    """A long downhill street: the cut with the widened halo gives the whole network's walks."""
    from circle.config import CircleConfig
    from circle.network.partition import part_points, search_part

    n = 40
    nodes = {i: (i * 100.0, 0.0) for i in range(n)}
    net = make_network(nodes, [(i, i + 1) for i in range(n - 1)])
    net = with_edge_costs(net, net.edge_length_m * 0.6, net.edge_length_m * 1.4)
    cfg = CircleConfig(max_snap_m=10, thresholds_min=(15.0,), search_limit_min=30.0)
    centre = _at(net, 3000)
    homes = snap_points(net, np.array([[X0 + 50, Y0], [X0 + 2500, Y0]]), max_snap_m=10)
    graph = build_search_graph(net, centre, homes)
    whole = nearest_centres(
        graph,
        graph.point_node[0],
        centre.snap_m,
        graph.point_node[1],
        homes.snap_m,
        limit_m=cfg.search_limit_m,
    )
    assert whole.walk_m[0] == pytest.approx(2950 * 0.6, abs=1e-6)  # within the 2000 m limit
    walks = []
    for halo in (halo_m(cfg), halo_m(cfg, net.min_cost_ratio)):
        sub, edges = cut_network(net, (X0 - halo, Y0 - halo, X0 + 100 + halo, Y0 + halo))
        points = part_points(edges, centre, homes, np.array([0, 1]), 0)
        walks.append(search_part(sub, points, limit_m=cfg.search_limit_m)[1])
    assert np.isinf(walks[0][0])  # the flat halo (2010 m) cuts the centre off
    np.testing.assert_array_equal(walks[1], whole.walk_m[:1])
