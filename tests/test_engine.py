"""The fast multi-source search against the networkx reference and against hand computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import Delaunay

from circle.network.engine import nearest_centres, nearest_centres_networkx
from circle.network.snap import build_search_graph, snap_points
from circle.network.walk import network_from_arrays

from .conftest import CRS


def random_street_network(rng, n_nodes):
    """Generated: a Delaunay triangulation of random points with 40 % of edges removed."""
    xy = rng.uniform(0, 2000, (n_nodes, 2))
    edges = set()
    for simplex in Delaunay(xy).simplices:
        for i in range(3):
            a, b = sorted((simplex[i], simplex[(i + 1) % 3]))
            edges.add((a, b))
    edges = np.array(sorted(edges))
    edges = edges[rng.random(len(edges)) < 0.6]
    return network_from_arrays(xy, edges[:, 0], edges[:, 1], crs=CRS, min_component_m=0)


@pytest.mark.parametrize("seed", range(50))
def test_fast_path_equals_networkx_reference(seed):
    rng = np.random.default_rng(seed)
    net = random_street_network(rng, int(rng.integers(20, 150)))
    centres = snap_points(net, rng.uniform(0, 2000, (int(rng.integers(1, 8)), 2)), max_snap_m=300)
    targets = snap_points(net, rng.uniform(0, 2000, (60, 2)), max_snap_m=300)
    # some targets exactly on nodes and on centres' spots
    graph = build_search_graph(net, centres, targets)
    limit = float(rng.uniform(500, 3000))
    fast = nearest_centres(
        graph, graph.point_node[0], centres.snap_m, graph.point_node[1], targets.snap_m,
        limit_m=limit,
    )
    ref = nearest_centres_networkx(net, centres, targets, limit_m=limit)
    found = np.isfinite(ref.walk_m)
    assert found.any()
    np.testing.assert_array_equal(np.isfinite(fast.walk_m), found)
    np.testing.assert_allclose(fast.walk_m[found], ref.walk_m[found], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(fast.centre, ref.centre)


def test_walk_is_never_shorter_than_straight_line():
    rng = np.random.default_rng(7)
    net = random_street_network(rng, 120)
    c_xy = rng.uniform(0, 2000, (3, 2))
    t_xy = rng.uniform(0, 2000, (80, 2))
    centres = snap_points(net, c_xy, max_snap_m=400)
    targets = snap_points(net, t_xy, max_snap_m=400)
    graph = build_search_graph(net, centres, targets)
    res = nearest_centres(
        graph, graph.point_node[0], centres.snap_m, graph.point_node[1], targets.snap_m
    )
    ok = res.centre >= 0
    crow = np.hypot(*(t_xy[ok] - c_xy[res.centre[ok]]).T)
    assert (res.walk_m[ok] >= crow - 1e-9).all()
