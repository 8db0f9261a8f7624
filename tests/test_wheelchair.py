"""Profiles that change the network (issue 20): a wheelchair detours around steps."""

from __future__ import annotations

import numpy as np
import pytest

from circle.config import CircleConfig, get_profile
from circle.io.waytags import WHEELCHAIR_NO
from circle.network.engine import nearest_centres, nearest_centres_networkx
from circle.network.slope import edge_slopes, for_profile
from circle.network.snap import build_search_graph, snap_points
from circle.network.walk import network_from_arrays, with_edge_costs
from circle.runs.job import compute_coverage

from .conftest import CRS, X0, Y0, points


def _square(highway_ab="steps", flags_cd=0):
    """Generated: A(0,0) - B(100,0) by `highway_ab`; a detour A - C(0,150) - D(100,150) - B
    by footways, C - D tagged with `flags_cd`."""
    xy = np.array([[0, 0], [100, 0], [0, 150], [100, 150]], float) + np.array([X0, Y0])
    return network_from_arrays(
        xy, np.array([0, 0, 2, 1]), np.array([1, 2, 3, 3]), crs=CRS, min_component_m=0,
        edge_highway=np.array([highway_ab, "footway", "footway", "footway"], object),
        edge_flags=np.array([0, 0, flags_cd, 0], np.uint8),
    )


def _walk(net):
    c = snap_points(net, np.array([[X0 + 100, Y0]]), max_snap_m=5)
    h = snap_points(net, np.array([[X0, Y0]]), max_snap_m=5)
    g = build_search_graph(net, c, h)
    fast = nearest_centres(g, g.point_node[0], c.snap_m, g.point_node[1], h.snap_m)
    ref = nearest_centres_networkx(net, c, h)
    assert fast.walk_m[0] == pytest.approx(ref.walk_m[0], abs=1e-9) or (
        np.isinf(fast.walk_m[0]) and np.isinf(ref.walk_m[0])
    )
    return fast.walk_m[0]


def test_wheelchair_detours_around_steps():
    net = _square()
    assert _walk(net) == pytest.approx(100)
    chair = for_profile(net, "wheelchair")
    assert _walk(chair) == pytest.approx(150 + 100 + 150)
    assert chair.source["profile"]["closed_steps"] == 1
    assert for_profile(chair, None) is net  # back to the streets as read


def test_wheelchair_no_is_respected_and_can_leave_no_way():
    net = _square(flags_cd=WHEELCHAIR_NO)
    assert np.isinf(_walk(for_profile(net, "wheelchair")))
    assert _walk(for_profile(net, "elderly")) == pytest.approx(100)  # speed only


def test_wheelchair_closes_streets_steeper_than_1_in_12():
    net = _square(highway_ab="footway")
    # the direct street climbs 10 m over 100 m (1:10), the detour climbs 10 m over 400 m
    height = lambda xy: np.where(xy[:, 1] - Y0 < 1, 0.1 * (xy[:, 0] - X0), 0.0)  # noqa: E731
    s = edge_slopes(net, height)
    hilly = with_edge_costs(net, s.fw_m, s.bw_m)
    import dataclasses

    hilly = dataclasses.replace(hilly, edge_slope=s.max_slope)
    assert s.max_slope[0] == pytest.approx(0.1)
    chair = for_profile(hilly, "wheelchair")
    assert chair.source["profile"]["closed_steep"] >= 1
    assert _walk(chair) > 399  # the detour; the direct street is steeper than 1:12
    assert _walk(for_profile(hilly, None)) < 200
    assert get_profile("wheelchair").max_slope == pytest.approx(1 / 12)


def test_profile_table_runs_each_profile_on_its_own_network():
    net = _square()
    comm = points([("h", 0.0, 0.0)])
    cent = points([("c", 100.0, 0.0)])
    cfg = CircleConfig(thresholds_min=(2.0, 5.0))  # 133 m and 333 m at 4 km/h
    res, table = compute_coverage(comm, cent, net, config=cfg, profiles=("default", "wheelchair"))
    got = table.set_index(["profile", "minutes"])["communities_covered"]
    assert got[("default", 2.0)] == 1 and got[("wheelchair", 2.0)] == 0
    assert got[("wheelchair", 5.0)] == 0  # 400 m > 333 m
    chair, _ = compute_coverage(comm, cent, net, config=CircleConfig(walk_profile="wheelchair"))
    assert chair.table["walk_m"].iloc[0] == pytest.approx(400)
    assert res.table["walk_m"].iloc[0] == pytest.approx(100)
