"""Access slack (issue 20): a point also joins near-equal streets; no shortcut through it."""

from __future__ import annotations

import numpy as np
import pytest

from circle.config import CircleConfig
from circle.network.engine import (
    nearest_centres,
    nearest_centres_networkx,
    reach_within,
    reach_within_networkx,
)
from circle.network.partition import cut_network, halo_m, part_points, search_part
from circle.network.snap import build_search_graph, snap_points
from circle.siting.reach import reach_pattern

from .conftest import X0, Y0, make_network


def _two_streets():
    """Generated: a footway along y=0 (nodes 0-1) and a road along y=46 (nodes 2-3), 1,000 m
    long, joined only at their far west end by a link 0-2. A building at (500, 22) is 22 m
    from the footway and 24 m from the road."""
    nodes = {0: (0, 0), 1: (1000, 0), 2: (0, 46), 3: (1000, 46)}
    return make_network(nodes, [(0, 1), (2, 3), (0, 2)])


def _xy(*pts):
    return np.array(pts, float) + np.array([X0, Y0])


def _walks(net, centres_xy, homes_xy, slack):
    c = snap_points(net, centres_xy, max_snap_m=100, slack_m=slack)
    h = snap_points(net, homes_xy, max_snap_m=100, slack_m=slack)
    g = build_search_graph(net, c, h)
    fast = nearest_centres(g, g.point_node[0], c.snap_m, g.point_node[1], h.snap_m)
    ref = nearest_centres_networkx(net, c, h)
    np.testing.assert_allclose(fast.walk_m, ref.walk_m, rtol=0, atol=1e-6)
    pairs = reach_within(g, g.point_node[0], c.snap_m, g.point_node[1], h.snap_m, 5000)
    ref_pairs = reach_within_networkx(net, c, h, 5000)
    np.testing.assert_allclose(pairs.toarray(), ref_pairs.toarray(), rtol=0, atol=1e-6)
    pattern = reach_pattern(g, g.point_node[0], c.snap_m, g.point_node[1], h.snap_m, 5000)
    np.testing.assert_array_equal(pattern.toarray(), ref_pairs.toarray() > 0)
    return fast.walk_m


def test_slack_picks_the_better_of_two_streets():
    net = _two_streets()
    centre = _xy((600, 46))  # on the road
    home = _xy((500, 22))
    # nearest only: the footway, west to the link, back east along the road
    assert _walks(net, centre, home, 0.0)[0] == pytest.approx(22 + 500 + 46 + 600)
    assert _walks(net, centre, home, 1.0)[0] == pytest.approx(22 + 500 + 46 + 600)
    # with 2 m of slack the road (24 m) is joined too: straight along it
    assert _walks(net, centre, home, 2.0)[0] == pytest.approx(24 + 100)


def test_slack_creates_no_shortcut_for_other_points():
    net = _two_streets()
    centre = _xy((600, 46))
    # the building between the streets, and a neighbour standing on the footway right below
    homes = _xy((500, 22), (500, 0.5))
    flat, slack = _walks(net, centre, homes, 0.0), _walks(net, centre, homes, 5.0)
    assert slack[0] == pytest.approx(124)
    # the neighbour cannot walk footway -> building -> road: it still goes round by the link
    assert slack[1] == flat[1] == pytest.approx(0.5 + 500 + 46 + 600)


def test_a_centre_with_legs_on_both_streets():
    net = _two_streets()
    centre = _xy((500, 22))  # 22 m from the footway, 24 m from the road
    homes = _xy((700, 46), (700, 0))
    slack = _walks(net, centre, homes, 5.0)
    assert slack.tolist() == pytest.approx([24 + 200, 22 + 200])
    flat = _walks(net, centre, homes, 0.0)
    assert flat[0] == pytest.approx(22 + 500 + 46 + 700)


def test_partitioned_walks_with_slack_equal_the_whole_network():
    net = _two_streets()
    cfg = CircleConfig(max_snap_m=100, access_slack_m=5, thresholds_min=(15.0,),
                       search_limit_min=30)
    c = snap_points(net, _xy((600, 46)), max_snap_m=100, slack_m=5)
    h = snap_points(net, _xy((500, 22), (500, 0.5)), max_snap_m=100, slack_m=5)
    g = build_search_graph(net, c, h)
    whole = nearest_centres(g, g.point_node[0], c.snap_m, g.point_node[1], h.snap_m,
                            limit_m=cfg.search_limit_m)
    halo = halo_m(cfg)
    sub, edges = cut_network(net, (X0 + 480 - halo, Y0 - halo, X0 + 520 + halo, Y0 + 50 + halo))
    pts = part_points(edges, c, h, np.array([0, 0]), 0)
    _, walk, _ = search_part(sub, pts, limit_m=cfg.search_limit_m)
    np.testing.assert_array_equal(walk, whole.walk_m)
