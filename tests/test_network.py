"""Reading OSM files into the walking network: filter, clipped extracts, formats, cache."""

from __future__ import annotations

import bz2
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import pytest

from circle import load_network
from circle.bundled import bundled_path
from circle.errors import InputDataError, NetworkError
from circle.io.osm import is_walkable, read_walk_ways
from circle.network.load import network_from_osm
from circle.network.walk import local_utm_crs, network_from_graph


def osm_xml(nodes, ways):
    """Generated OSM XML: nodes {id: (lon, lat)}, ways [(id, [refs], {tags})]."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (lon, lat) in nodes.items():
        out.append(f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        out.append(f'<way id="{wid}" version="1">')
        out += [f'<nd ref="{r}"/>' for r in refs]
        out += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append("</way>")
    out.append("</osm>")
    return "\n".join(out)


# a generated street grid near Shenyang: 0.001° lon ≈ 55.6 m, 0.001° lat ≈ 111 m
AGU = bundled_path("aguascalientes.osm.bz2")
GRID = {i: (123.400 + 0.001 * (i % 5), 41.800 + 0.001 * (i // 5)) for i in range(25)}


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "foot": "no"}, False),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walk_filter_matches_osmnx(tags, walkable):
    assert is_walkable(tags) is walkable


def test_clipped_way_keeps_its_runs_and_never_bridges_the_gap(tmp_path):
    """Way 1 references nodes 0,1,2,99,3,4 where node 99 is missing (cut by the clip): it
    becomes runs 0-1-2 and 3-4, with no edge 2-3."""
    nodes = {i: (123.4 + 0.001 * i, 41.8) for i in range(5)}
    path = tmp_path / "clip.osm"
    path.write_text(osm_xml(nodes, [(1, [0, 1, 2, 99, 3, 4], {"highway": "residential"})]))
    ways = read_walk_ways(path)
    pairs = {(int(ways.node_ids[u]), int(ways.node_ids[v])) for u, v in zip(ways.seg_u, ways.seg_v)}
    assert pairs == {(0, 1), (1, 2), (3, 4)}
    assert ways.cut_ways == 1
    net = network_from_osm(path, min_component_m=0, use_cache=False)
    assert net.n_edges == 3


def test_lengths_are_metres_in_the_local_utm_zone(tmp_path):
    """Edge lengths equal the WGS84 geodesic lengths to within UTM's scale error (< 0.1 %)."""
    path = tmp_path / "grid.osm"
    ways = [(100 + r, [5 * r + c for c in range(5)], {"highway": "residential"}) for r in range(5)]
    path.write_text(osm_xml(GRID, ways))
    net = network_from_osm(path, min_component_m=0, use_cache=False)
    assert net.crs == local_utm_crs(123.4, 41.8) == "EPSG:32651"
    geod = pyproj.Geod(ellps="WGS84").inv(123.400, 41.8, 123.401, 41.8)[2]
    assert net.edge_length_m == pytest.approx(np.full(net.n_edges, geod), rel=1e-3)


def test_bz2_and_pbf_formats_read_the_same_network(tmp_path, bundled):
    """The real Aguascalientes extract (.osm.bz2) and the Helsinki one (.osm.pbf) both load;
    the bz2 file read again after recompressing as plain .osm gives the same network."""
    agu = load_network(AGU, use_cache=False)
    plain = tmp_path / "agu.osm"
    plain.write_bytes(bz2.decompress(Path(AGU).read_bytes()))
    again = load_network(plain, use_cache=False)
    assert agu.n_edges == again.n_edges > 1000
    np.testing.assert_allclose(agu.edge_length_m, again.edge_length_m)
    hel = load_network(bundled[0], use_cache=False)
    assert hel.n_nodes > 5000 and hel.crs == "EPSG:32635"


def test_real_network_total_length_matches_osmnx(bundled):
    """Independent check: osmnx's own graph of the same file (built from the same filtered
    ways), projected to the same UTM zone, has the same street length in each component kept."""
    net = load_network(bundled[0])
    G = net.to_networkx()
    assert G.number_of_edges() == 2 * net.n_edges
    Gp = ox.projection.project_graph(
        nx.MultiDiGraph(G, crs=net.crs), to_crs="EPSG:4326"
    )
    lengths = ox.distance.add_edge_lengths(Gp.copy())
    hav = sum(d["length"] for _, _, d in lengths.edges(data=True)) / 2
    # UTM (ellipsoid) vs osmnx's great circle (sphere): within 0.5 % at 60° N
    assert net.total_length_m == pytest.approx(hav, rel=5e-3)


def test_second_run_uses_the_cache(bundled, monkeypatch):
    first = load_network(bundled[0])

    def fail(path):
        raise AssertionError("parsed the OSM file again")

    monkeypatch.setattr("circle.network.load.read_walk_ways", fail)
    second = load_network(bundled[0])
    np.testing.assert_array_equal(first.edge_length_m, second.edge_length_m)
    assert second.crs == first.crs


def test_graphml_network(tmp_path, bundled):
    net = load_network(bundled[0])
    path = tmp_path / "g.graphml"
    ox.save_graphml(net.to_networkx(), path)
    back = load_network(path)
    assert back.n_edges == net.n_edges
    assert back.total_length_m == pytest.approx(net.total_length_m, rel=1e-9)


def test_graph_with_curved_edges_is_exploded():
    """A simplified osmnx edge with a geometry through (1, 1) becomes two segments."""
    import shapely

    G = nx.MultiDiGraph(crs="EPSG:32651")
    G.add_node(1, x=500000.0, y=4600000.0)
    G.add_node(2, x=500200.0, y=4600000.0)
    line = shapely.LineString([(500000, 4600000), (500100, 4600100), (500200, 4600000)])
    G.add_edge(1, 2, length=282.8, geometry=line, osmid=7, highway="footway")
    net = network_from_graph(G, min_component_m=0)
    assert net.n_edges == 2
    assert net.total_length_m == pytest.approx(2 * np.hypot(100, 100))


def test_no_walkable_ways_is_a_clear_error(tmp_path):
    path = tmp_path / "buildings.osm"
    path.write_text(osm_xml(GRID, [(1, [0, 1, 6, 5, 0], {"building": "yes"})]))
    with pytest.raises(InputDataError, match="no walkable ways"):
        load_network(path)


def test_only_fragments_is_a_clear_error(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(osm_xml(GRID, [(1, [0, 1], {"highway": "footway"})]))
    with pytest.raises(NetworkError, match="shorter than min_component_m=250 m"):
        load_network(path)


@pytest.mark.parametrize("content", [b"", b"not an osm file at all", b"\x89PNG\r\n\x1a\n"])
def test_corrupt_osm_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.osm.pbf"
    path.write_bytes(content)
    with pytest.raises(InputDataError, match="broken.osm.pbf"):
        load_network(path)


def test_missing_and_unknown_network_files(tmp_path):
    with pytest.raises(InputDataError, match="file not found"):
        load_network(tmp_path / "nope.osm.pbf")
    other = tmp_path / "roads.shp"
    other.write_text("x")
    with pytest.raises(InputDataError, match="unknown network format"):
        load_network(other)
