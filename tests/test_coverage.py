"""Coverage on hand-built networks: every walk below is computed by hand in its docstring."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from circle import CircleConfig, coverage_report
from circle.errors import InputDataError, NetworkError

from .conftest import CRS, X0, Y0, make_network, points


def walk_of(result, community_id):
    row = result.table.set_index("community_id").loc[community_id]
    return row


@pytest.mark.parametrize("engine", ["scipy", "networkx"])
def test_mid_edge_snapping_and_access_legs(line_network, engine):
    """Centre (50, 10) joins edge 0-1 at x=50 with a 10 m leg; community (250, -20) joins edge
    2-3 at x=250 with a 20 m leg. Walk = 10 + (250 - 50) + 20 = 230 m."""
    centres = points([("c1", 50, 10)])
    communities = points([("h1", 250, -20)])
    res = coverage_report(communities, centres, line_network, engine=engine)
    row = walk_of(res, "h1")
    assert row.walk_m == pytest.approx(230.0, abs=1e-6)
    assert row.snap_m == pytest.approx(20.0, abs=1e-9)
    assert row.nearest_centre_id == "c1"
    assert row.walk_min == pytest.approx(230.0 / (4000 / 60), abs=1e-9)
    assert row.status == "ok" and row.covered and row.band_min == 5.0


@pytest.mark.parametrize("engine", ["scipy", "networkx"])
def test_two_points_on_one_edge_walk_straight_along_it(line_network, engine):
    """Both on edge 0-1: centre (20, 5), community (80, -5): 5 + 60 + 5 = 70 m, not via a node."""
    res = coverage_report(
        points([("h1", 80, -5)]), points([("c1", 20, 5)]), line_network, engine=engine
    )
    assert walk_of(res, "h1").walk_m == pytest.approx(70.0, abs=1e-6)


def test_fragment_is_dropped_before_snapping():
    """Generated: the main street (0..400 m) and a 100 m fragment at y = 300.

    A community at (50, 310) is 10 m from the fragment. With the default min_component_m=250
    the fragment is dropped, the community's nearest edge is the main street 310 m away:
    walk = 310 + 50 + 0 (centre at node 0... x=0) = 360 m. Without dropping, it would snap
    onto the fragment and be unreachable.
    """
    nodes = {i: (100.0 * i, 0.0) for i in range(5)} | {10: (0.0, 300.0), 11: (100.0, 300.0)}
    edges = [(i, i + 1) for i in range(4)] + [(10, 11)]
    centres = points([("c1", 0, 0)])
    communities = points([("h1", 50, 310)])

    dropped = make_network(nodes, edges, min_component_m=250)
    assert dropped.n_edges == 4 and dropped.source["fragments_dropped"] == 1
    res = coverage_report(communities, centres, dropped)
    assert walk_of(res, "h1").walk_m == pytest.approx(310 + 50, abs=1e-6)
    assert walk_of(res, "h1").status == "ok"

    kept = make_network(nodes, edges, min_component_m=0)
    res = coverage_report(communities, centres, kept)
    assert walk_of(res, "h1").status == "unreachable"
    assert np.isnan(walk_of(res, "h1").walk_m)


def test_beyond_max_snap_is_off_network(line_network):
    """A community 600 m north of the street is farther than max_snap_m = 500 m."""
    res = coverage_report(
        points([("far", 200, 600), ("near", 200, 499)]), points([("c1", 0, 0)]), line_network
    )
    assert walk_of(res, "far").status == "off_network"
    assert not walk_of(res, "far").covered
    assert np.isnan(walk_of(res, "far").walk_m)
    assert walk_of(res, "near").walk_m == pytest.approx(499 + 200, abs=1e-6)


def test_component_without_centre_is_unreachable():
    """Generated: two separate 400 m streets, 1,000 m apart; the only centre is on the first."""
    nodes = {i: (100.0 * i, 0.0) for i in range(5)} | {
        10 + i: (100.0 * i, 1000.0) for i in range(5)
    }
    edges = [(i, i + 1) for i in range(4)] + [(10 + i, 11 + i) for i in range(4)]
    net = make_network(nodes, edges, min_component_m=250)
    res = coverage_report(
        points([("island", 200, 1010), ("main", 200, 10)]), points([("c1", 0, 0)]), net
    )
    assert walk_of(res, "island").status == "unreachable"
    assert not walk_of(res, "island").covered
    assert walk_of(res, "main").walk_m == pytest.approx(210.0, abs=1e-6)


@pytest.mark.parametrize("engine", ["scipy", "networkx"])
def test_tie_between_two_centres_goes_to_smaller_id(line_network, engine):
    """Community (150, 10) sits midway: centre "b" (50, 10) and centre "a" (250, 10) are both
    10 + 100 + 10 = 120 m away. The tie goes to the smaller id, "a", whatever the row order."""
    communities = points([("h1", 150, 10)])
    for rows in ([("b", 50, 10), ("a", 250, 10)], [("a", 250, 10), ("b", 50, 10)]):
        res = coverage_report(communities, points(rows), line_network, engine=engine)
        assert walk_of(res, "h1").walk_m == pytest.approx(120.0, abs=1e-6)
        assert walk_of(res, "h1").nearest_centre_id == "a"


def test_threshold_exactly_on_the_boundary_is_covered():
    """Four 250 m blocks: the community at the far node walks exactly 1,000 m = 15 min at
    4 km/h (and 2 × 250 = 500 m = 7.5 min for a 7.5-minute band)."""
    net = make_network({i: (250.0 * i, 0.0) for i in range(5)}, [(i, i + 1) for i in range(4)])
    centres = points([("c1", 0, 0)])
    communities = points([("end", 1000, 0), ("mid", 500, 0), ("past", 1000.5, 0)])
    cfg = CircleConfig(walk_speed_kmh=4.0, thresholds_min=(7.5, 15.0))
    res = coverage_report(communities, centres, net, config=cfg)
    end, mid, past = (walk_of(res, i) for i in ("end", "mid", "past"))
    assert end.walk_m == 1000.0 and end.covered and end.band_min == 15.0
    assert mid.walk_m == 500.0 and mid.band_min == 7.5
    assert past.walk_m == pytest.approx(1000.5) and not past.covered


def test_search_limit_gives_beyond_limit_status():
    """A 2,000 m street; with a 20-minute search limit (1,333 m) the far end is beyond it."""
    net = make_network({i: (500.0 * i, 0.0) for i in range(5)}, [(i, i + 1) for i in range(4)])
    cfg = CircleConfig(thresholds_min=(15.0,), search_limit_min=20.0)
    res = coverage_report(points([("far", 2000, 0)]), points([("c1", 0, 0)]), net, config=cfg)
    assert walk_of(res, "far").status == "beyond_limit"


def test_polygon_community_walks_from_its_representative_point(line_network):
    """A 40 m square centred at (300, 50): its representative point is inside it."""
    square = shapely.box(X0 + 280, Y0 + 30, X0 + 320, Y0 + 70)
    communities = gpd.GeoDataFrame({"id": ["sq"]}, geometry=[square], crs=CRS)
    res = coverage_report(communities, points([("c1", 0, 0)]), line_network)
    rp = shapely.point_on_surface(square)
    row = walk_of(res, "sq")
    assert row.snap_m == pytest.approx(rp.y - Y0, abs=1e-9)
    assert row.walk_m == pytest.approx((rp.y - Y0) + (rp.x - X0), abs=1e-6)


def test_results_do_not_depend_on_row_order(line_network):
    rng = np.random.default_rng(3)
    comm_rows = [(f"h{i}", *rng.uniform(-50, 450, 2)) for i in range(30)]
    cent_rows = [(f"c{i}", *rng.uniform(-50, 450, 2)) for i in range(4)]
    a = coverage_report(points(comm_rows), points(cent_rows), line_network).table
    b = coverage_report(points(comm_rows[::-1]), points(cent_rows[::-1]), line_network).table
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))


def test_inputs_are_not_modified(line_network):
    communities = points([("h1", 250, -20)])
    centres = points([("c1", 50, 10)])
    before = (communities.copy(), centres.copy())
    coverage_report(communities, centres, line_network)
    assert communities.equals(before[0]) and centres.equals(before[1])


def test_centres_all_off_network_is_an_error(line_network):
    with pytest.raises(NetworkError, match="none of the 1 centres is within max_snap_m=500 m"):
        coverage_report(points([("h1", 0, 0)]), points([("c1", 0, 5000)]), line_network)


def test_some_centres_off_network_are_reported(line_network):
    res = coverage_report(
        points([("h1", 0, 0)]), points([("c1", 0, 5000), ("c2", 100, 0)]), line_network
    )
    assert res.centres.set_index("centre_id").loc["c1", "status"] == "off_network"
    assert walk_of(res, "h1").nearest_centre_id == "c2"


def test_layer_without_crs_is_refused(line_network):
    centres = points([("c1", 0, 0)]).set_crs(None, allow_override=True)
    with pytest.raises(InputDataError, match="has no CRS"):
        coverage_report(points([("h1", 0, 0)]), centres, line_network)
