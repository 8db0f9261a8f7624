"""Surface access: a point on the ground joins only streets on the ground (issue 20)."""

from __future__ import annotations

import numpy as np
import pytest

from circle.io.osm import read_walk_ways
from circle.io.waytags import BRIDGE, COVERED, INDOOR, LAYER, TUNNEL, WHEELCHAIR_NO, way_flags
from circle.network.load import network_from_osm
from circle.network.snap import snap_points
from circle.network.walk import network_from_arrays

from .conftest import CRS, X0, Y0

#: the underground service tunnel of the bundled Helsinki extract (tunnel=yes, layer=-3)
SERVICE_TUNNEL = 43997238


@pytest.mark.parametrize(
    ("tags", "flags"),
    [
        ({}, 0),
        ({"tunnel": "no", "bridge": "no", "indoor": "no", "layer": "0"}, 0),
        ({"tunnel": "yes", "layer": "-3"}, TUNNEL | LAYER),
        ({"tunnel": "building_passage"}, TUNNEL),
        ({"bridge": "viaduct", "layer": "1"}, BRIDGE | LAYER),
        ({"covered": "yes"}, COVERED),
        ({"covered": "no"}, 0),
        ({"indoor": "corridor"}, INDOOR),
        ({"layer": "+1"}, LAYER),
        ({"layer": "0.0"}, 0),
        ({"layer": "1;2"}, LAYER),  # not a number: another level, to be safe
        ({"wheelchair": "no"}, WHEELCHAIR_NO),
        ({"wheelchair": "limited"}, 0),
    ],
)
def test_way_flags_follow_the_tag_rules(tags, flags):
    assert way_flags(tags) == flags


def _network(flags):
    """Generated: a street on the ground along y=30 and a second edge along y=0 (tunnel,
    bridge... as given), both 200 m long, joined by a 30 m link at x=200 (on the ground)."""
    xy = np.array([[0, 30], [200, 30], [0, 0], [200, 0]], float) + np.array([X0, Y0])
    return network_from_arrays(
        xy,
        np.array([0, 2, 1]),
        np.array([1, 3, 3]),
        crs=CRS,
        min_component_m=0,
        edge_flags=np.array([0, flags, 0], np.uint8),
    )


def test_point_above_a_tunnel_joins_the_street_on_the_ground():
    net = _network(TUNNEL | LAYER)
    tunnel = int(np.flatnonzero(net.edge_flags)[0])
    point = np.array([[X0 + 100, Y0 + 1]])  # 1 m above the tunnel, 29 m from the street
    s = snap_points(net, point, max_snap_m=100)
    assert net.edge_flags[s.edge[0]] == 0 and s.snap_m[0] == pytest.approx(29)
    assert s.n_off_surface == 0
    old = snap_points(net, point, max_snap_m=100, surface=False)  # the rule is what changed it
    assert old.edge[0] == tunnel and old.snap_m[0] == pytest.approx(1)


def test_point_with_only_a_bridge_within_reach_joins_the_bridge_and_is_counted():
    net = _network(BRIDGE)
    bridge = int(np.flatnonzero(net.edge_flags)[0])
    points = np.array([[X0 + 100, Y0 - 20], [X0 + 100, Y0 + 40]])
    s = snap_points(net, points, max_snap_m=25)  # the street is 50 m from the first point
    assert s.edge[0] == bridge and s.snap_m[0] == pytest.approx(20)
    assert s.off_surface.tolist() == [True, False]
    assert s.n_off_surface == 1
    assert net.edge_flags[s.edge[1]] == 0


def test_no_tags_means_every_edge_is_on_the_ground():
    net = network_from_arrays(
        np.array([[X0, Y0], [X0 + 100, Y0]]), [0], [1], crs=CRS, min_component_m=0
    )
    assert net.edge_flags is None and net.surface_edges is None
    s = snap_points(net, np.array([[X0 + 50, Y0 + 5]]), max_snap_m=10)
    assert s.edge[0] == 0 and s.n_off_surface == 0


OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version='0.6'>
  <node id='1' lat='41.8' lon='123.4' /><node id='2' lat='41.8' lon='123.41' />
  <node id='3' lat='41.801' lon='123.4' /><node id='4' lat='41.801' lon='123.41' />
  <way id='10'><nd ref='1' /><nd ref='2' /><tag k='highway' v='footway' />
    <tag k='tunnel' v='yes' /><tag k='layer' v='-1' /></way>
  <way id='11'><nd ref='3' /><nd ref='4' /><tag k='highway' v='steps' />
    <tag k='wheelchair' v='no' /></way>
  <way id='12'><nd ref='1' /><nd ref='3' /><tag k='highway' v='footway' /></way>
</osm>
"""


def test_osm_reader_keeps_the_flags_on_the_network_and_its_cache(tmp_path):
    path = tmp_path / "tags.osm"
    path.write_text(OSM)
    ways = read_walk_ways(path)
    by_way = dict(zip(ways.seg_way.tolist(), ways.seg_flags.tolist(), strict=True))
    assert by_way == {10: TUNNEL | LAYER, 11: WHEELCHAIR_NO, 12: 0}
    for _ in range(2):  # built, then read back from the cache
        net = network_from_osm(path, min_component_m=0)
        got = dict(zip(net.edge_way.tolist(), net.edge_flags.tolist(), strict=True))
        assert got == by_way


def test_no_helsinki_building_joins_the_service_tunnel(helsinki_buildings):
    net, xy = helsinki_buildings
    assert len(xy) == 446
    old = snap_points(net, xy, max_snap_m=500, surface=False)
    new = snap_points(net, xy, max_snap_m=500)
    # nearest-edge snapping put some on it (the complaint) ...
    assert (net.edge_way[old.edge] == SERVICE_TUNNEL).sum() >= 1
    # ... surface snapping none, and no building joins any street off the ground
    assert (net.edge_way[new.edge] == SERVICE_TUNNEL).sum() == 0
    assert (net.edge_flags[new.edge] & (TUNNEL | BRIDGE | COVERED | INDOOR | LAYER) == 0).all()
    assert new.n_off_surface == 0 and (new.edge >= 0).all()
