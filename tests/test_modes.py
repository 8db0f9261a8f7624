"""Travel modes (issue 22): the bike network against osmnx, one-way streets, distance rules."""

from __future__ import annotations

import re
from collections import defaultdict
from xml.sax.saxutils import quoteattr

import numpy as np
import osmium
import osmnx as ox
import pytest

from circle.config import MODES, CircleConfig, get_mode
from circle.errors import ConfigError
from circle.io.osm import is_bikeable, oneway_of, read_walk_ways
from circle.network.load import load_network, network_from_osm

from .test_network import osm_xml


def _osmnx_filter(network_type: str) -> list[tuple[str, re.Pattern]]:
    """osmnx's own Overpass filter for a network type, as (key, regex) exclusions: parsed from
    the query text osmnx sends, so the test does not share circle's transcription."""
    text = ox._overpass._get_network_filter(network_type)
    text = text.replace(ox.settings.default_access, '["access"!~"private"]')
    return [(k, re.compile(p)) for k, p in re.findall(r'\["([^"]+)"!~"([^"]+)"\]', text)]


def _passes(tags: dict, rules) -> bool:
    return "highway" in tags and not any(
        k in tags and rx.search(tags[k]) for k, rx in rules
    )


def _filtered_xml(pbf, rules, out):
    """The ways of `pbf` passing `rules`, as OSM XML osmnx can read: each run of present nodes
    (an extract cuts ways) becomes a way of its own with a fresh id and the way's tags."""
    xy: dict[int, tuple[float, float]] = {}
    ways = []
    for w in osmium.FileProcessor(str(pbf)).with_locations().with_filter(
        osmium.filter.KeyFilter("highway")
    ):
        if not w.is_way() or not _passes(dict(w.tags), rules):
            continue
        runs, run = [], []
        for n in w.nodes:
            if n.location.valid():
                xy[n.ref] = (n.location.lon, n.location.lat)
                run.append(n.ref)
            elif run:
                runs.append(run)
                run = []
        runs.append(run)
        ways += [(dict(w.tags), r) for r in runs if len(set(r)) >= 2]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    used = {n for _, r in ways for n in r}
    lines += [f'<node id="{n}" lat="{xy[n][1]!r}" lon="{xy[n][0]!r}"/>' for n in sorted(used)]
    for i, (tags, run) in enumerate(ways, start=1):
        lines.append(f'<way id="{i}">')
        lines += [f'<nd ref="{n}"/>' for n in run]
        lines += [f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("</way>")
    out.write_text("\n".join([*lines, "</osm>"]))
    return out


def _directed_lengths(G) -> dict[tuple[int, int], float]:
    """Shortest length of every directed node pair of a MultiDiGraph (self-loops left out)."""
    best: dict[tuple[int, int], float] = defaultdict(lambda: np.inf)
    for u, v, length in G.edges(data="length"):
        if u != v:
            best[u, v] = min(best[u, v], length)
    return dict(best)


def test_bike_network_of_the_bundled_extract_equals_osmnx(bundled, tmp_path):
    """The bike network of data/helsinki_centre.osm.pbf has exactly the directed edges of
    ``ox.graph_from_xml`` (not bidirectional: osmnx's one-way rules for ``network_type="bike"``)
    built from the ways passing osmnx's bike filter, with lengths within 0.5 % (UTM metres
    against osmnx's great circle at 60° N)."""
    xml = _filtered_xml(bundled[0], _osmnx_filter("bike"), tmp_path / "bike.osm")
    G = ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
    theirs = _directed_lengths(G)
    net = load_network(bundled[0], mode="bike", min_component_m=0, use_cache=False)
    ours = _directed_lengths(net.to_networkx())
    assert set(ours) == set(theirs)
    assert sum(G.edges[e]["oneway"] for e in G.edges) > 100  # one-way streets are in play
    pairs = sorted(theirs)
    np.testing.assert_allclose(
        [ours[p] for p in pairs], [theirs[p] for p in pairs], rtol=5e-3
    )
    walk = load_network(bundled[0], min_component_m=0, use_cache=False)
    assert walk.edge_oneway is None and net.edge_oneway is not None
    assert set(map(int, walk.node_ids)) != set(map(int, net.node_ids))  # its own network


@pytest.mark.parametrize(
    ("tags", "bikeable"),
    [
        ({"highway": "cycleway"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "steps"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "residential", "bicycle": "no"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "corridor"}, False),
    ],
)
def test_bike_filter_matches_osmnx_query(tags, bikeable):
    assert is_bikeable(tags) is bikeable is _passes(tags, _osmnx_filter("bike"))


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"oneway": "yes"}, 1),
        ({"oneway": "-1"}, -1),
        ({"oneway": "reverse"}, -1),
        ({"oneway": "no"}, 0),
        ({}, 0),
        ({"junction": "roundabout"}, 1),
        ({"junction": "roundabout", "oneway": "-1"}, -1),
        ({"oneway": "yes", "oneway:bicycle": "no"}, 1),  # osmnx ignores contraflow tags
    ],
)
def test_oneway_follows_osmnx_rules(tags, direction):
    """osmnx's own predicates (not bidirectional) give the same answer."""
    values = {"yes", "true", "1", "-1", "reverse", "T", "F"}
    one = ox.graph._is_path_one_way(tags, False, values)
    back = one and ox.graph._is_path_reversed(tags, {"-1", "reverse", "T"})
    assert oneway_of(tags) == direction == (-1 if back else int(one))


def one_way_street(tmp_path):
    """Generated: a street 0-1-2 (two-way), and 2-3 a one-way street drawn 3 -> 2 (oneway=-1
    on a way drawn 2 -> 3), each block 0.001° of longitude (about 83 m at 41.8° N)."""
    nodes = {i: (123.4 + 0.001 * i, 41.8) for i in range(4)}
    ways = [
        (1, [0, 1, 2], {"highway": "residential"}),
        (2, [2, 3], {"highway": "residential", "oneway": "-1"}),
    ]
    path = tmp_path / "oneway.osm"
    path.write_text(osm_xml(nodes, ways))
    return path


def test_one_way_street_is_one_way_for_cycling_only(tmp_path):
    path = one_way_street(tmp_path)
    walk = network_from_osm(path, min_component_m=0, use_cache=False)
    bike = network_from_osm(path, min_component_m=0, use_cache=False, mode="bike")
    assert walk.edge_oneway is None
    ids = bike.node_ids.tolist()
    directions = {
        (ids[u], ids[v]): int(o)
        for u, v, o in zip(bike.edge_u, bike.edge_v, bike.edge_oneway, strict=True)
    }
    assert directions == {(0, 1): 0, (1, 2): 0, (2, 3): -1}
    G = bike.to_networkx()
    assert G.has_edge(3, 2) and not G.has_edge(2, 3)
    assert walk.to_networkx().has_edge(2, 3)


def test_one_way_street_is_walked_both_ways_but_cycled_one_way(tmp_path):
    """Searches go from the community to the centre. Community P at node 3 rides 3 -> 2 -> 1 ->
    0 to centre A (with the one-way street); community Q at node 0 would have to ride 2 -> 3
    against it to reach centre B at node 3: unreachable by bike, three blocks on foot."""
    import geopandas as gpd
    import shapely

    from circle.coverage.core import coverage_report

    path = one_way_street(tmp_path)
    lonlat = {i: (123.4 + 0.001 * i, 41.8) for i in range(4)}
    walk = network_from_osm(path, min_component_m=0, use_cache=False)
    bike = network_from_osm(path, min_component_m=0, use_cache=False, mode="bike")
    assert bike.directed and not walk.directed
    block = float(walk.edge_length_m[0])

    def run(net, community, centre, mode):
        layer = lambda i, n: gpd.GeoDataFrame(  # noqa: E731
            {"id": [i]}, geometry=[shapely.Point(lonlat[n])], crs="EPSG:4326"
        )
        config = CircleConfig(mode=mode, walk_speed_kmh=get_mode(mode).speed_kmh)
        return coverage_report(layer("c", community), layer("x", centre), net, config=config)

    with_flow = run(bike, 3, 0, "bike").table.iloc[0]
    assert with_flow["status"] == "ok"
    assert with_flow["walk_m"] == pytest.approx(3 * block, rel=1e-3)
    against = run(bike, 0, 3, "bike").table.iloc[0]
    # no ride at all (statuses come from the undirected pieces: beyond_limit, not unreachable)
    assert against["status"] != "ok" and np.isnan(against["walk_m"]) and not against["covered"]
    on_foot = run(walk, 0, 3, "walk").table.iloc[0]
    assert on_foot["status"] == "ok"
    assert on_foot["walk_m"] == pytest.approx(3 * block, rel=1e-3)


def test_the_cache_keeps_one_network_per_mode(tmp_path):
    path = one_way_street(tmp_path)
    first = network_from_osm(path, min_component_m=0, mode="bike")
    walk = network_from_osm(path, min_component_m=0)
    again = network_from_osm(path, min_component_m=0, mode="ebike")  # the bike network, cached
    assert walk.edge_oneway is None
    np.testing.assert_array_equal(again.edge_oneway, first.edge_oneway)
    assert again.source["network_type"] == "bike"


def test_cycleways_are_in_the_bike_network_only(tmp_path):
    nodes = {i: (123.4 + 0.001 * i, 41.8) for i in range(3)}
    ways = [(1, [0, 1], {"highway": "cycleway"}), (2, [1, 2], {"highway": "footway"})]
    path = tmp_path / "paths.osm"
    path.write_text(osm_xml(nodes, ways))
    assert read_walk_ways(path).seg_way.tolist() == [2]
    assert read_walk_ways(path, "bike").seg_way.tolist() == [1]


def test_modes_have_sourced_speeds():
    assert get_mode("walk").speed_kmh == 4.0
    assert get_mode("bike").speed_kmh < get_mode("ebike").speed_kmh <= 25.0  # GB 17761-2018
    assert all(m.source for m in MODES.values())
    with pytest.raises(ConfigError, match="unknown travel mode"):
        get_mode("car")
    with pytest.raises(ConfigError, match="mode"):
        CircleConfig(mode="car")


def test_within_km_is_the_time_the_distance_takes():
    """3 km at 15 km/h is 12 minutes: the same circle as thresholds (12,) at that speed."""
    rule = CircleConfig(walk_speed_kmh=15.0, within_km=3.0)
    assert rule.thresholds_min == pytest.approx((12.0,))
    assert rule.max_walk_m == pytest.approx(3000.0)
    walk = CircleConfig(within_km=5.0)  # 75 min on foot: the search reaches that far
    assert walk.search_limit_min >= walk.threshold_min == pytest.approx(75.0)
    assert rule.as_dict()["within_km"] == 3.0 and "within_km" not in CircleConfig().as_dict()


def test_within_km_3_equals_the_run_at_that_speed_and_threshold(cli_runner, tmp_path):
    """`--within-km 3 --mode bike` (15 km/h) writes the coverage table of `--mode bike -m 12`."""
    rule, same = tmp_path / "rule", tmp_path / "same"
    res = cli_runner(["coverage", "--mode", "bike", "--within-km", 3, "--out", rule])
    assert res.exit_code == 0, res.output
    res = cli_runner(["coverage", "--mode", "bike", "-m", 12, "--out", same])
    assert res.exit_code == 0, res.output
    assert (rule / "coverage.csv").read_bytes() == (same / "coverage.csv").read_bytes()
    assert "within **3 km** of network distance" in (rule / "summary.md").read_text()


def test_mode_options_are_checked(cli_runner):
    res = cli_runner(["coverage", "--mode", "bike", "--profile", "winter"])
    assert res.exit_code == 2 and "--profile winter is a walking speed" in res.output
    res = cli_runner(["coverage", "--mode", "car"])
    assert res.exit_code == 2
    res = cli_runner(["coverage", "--at", "Monday"])
    assert res.exit_code == 2 and "weekday and time" in res.output
