"""Partitioned coverage: tiles, areas, the halo cut, and equality with the single-process run."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from circle import CircleConfig, coverage_report, load_network, read_layer
from circle.coverage.core import prepare_coverage
from circle.errors import InputDataError
from circle.network.partition import (
    assign_to_parts,
    cut_network,
    halo_m,
    part_points,
    search_part,
    tile_parts,
)
from circle.runs.distributed import Partitioning, run_partitioned_coverage

from .conftest import CRS, X0, Y0, make_network, points

SHORT = CircleConfig(thresholds_min=(5.0, 10.0), search_limit_min=10.0, max_snap_m=200.0)


def test_halo_is_the_search_limit_walk_plus_the_snap_radius():
    # 10 min at 4 km/h = 666.67 m, + 200 m
    assert halo_m(SHORT) == pytest.approx(4000 / 6 + 200)
    assert halo_m(CircleConfig()) == pytest.approx(4000 + 500)


def test_tiles_hold_every_point_exactly_once():
    xy = np.array([[0.0, 0.0], [99.9, 5.0], [100.0, 0.0], [250.0, 120.0], [199.0, 199.0]])
    shifted = xy + np.array([X0, Y0])
    parts = tile_parts(shifted, tile_m=100.0)
    # origin at the floor of the smallest coordinate; names are row (y) then column (x)
    assert [p.name for p in parts] == ["r000c000", "r000c001", "r001c001", "r001c002"]
    part_of = assign_to_parts(shifted, parts)
    # (100, 0) lies on the border of c000 and c001: the first tile covering it wins
    assert [parts[i].name for i in part_of] == [
        "r000c000", "r000c000", "r000c000", "r001c002", "r001c001",
    ]


def test_tiles_refuse_a_bad_size():
    with pytest.raises(InputDataError, match="`tile_m` must be > 0"):
        tile_parts(np.zeros((1, 2)), tile_m=0.0)


def test_cut_keeps_whole_streets_that_cross_the_box():
    """Generated::

        0 ---- 1 ---- 2 ---- 3 ---- 4       x = 0..400 m, y = 0; box x in [150, 210]
    """
    net = make_network({i: (100.0 * i, 0.0) for i in range(5)}, [(i, i + 1) for i in range(4)])
    sub, edges = cut_network(net, (X0 + 150, Y0 - 1, X0 + 210, Y0 + 1))
    assert edges.tolist() == [1, 2]  # streets 1-2 and 2-3 cross the box; 0-1 and 3-4 do not
    assert sub.node_ids.tolist() == [1, 2, 3]
    assert sub.edge_length_m.tolist() == [100.0, 100.0]
    assert (sub.edge_u < sub.edge_v).all()


def test_a_cut_narrower_than_the_halo_changes_the_walk():
    """Generated: the straight walk is blocked; the detour leaves a narrow cut::

        community  0 ---- 1    2 ---- 3 centre      (1 and 2 not joined)
                   |                  |
                   4 ---------------- 5             y = -300 m
    """
    nodes = {0: (0, 0), 1: (100, 0), 2: (200, 0), 3: (300, 0), 4: (0, -300), 5: (300, -300)}
    net = make_network(nodes, [(0, 1), (2, 3), (0, 4), (4, 5), (3, 5)])
    communities = points([("a", 0.0, 10.0)])
    centres = points([("k", 300.0, 10.0)])
    cfg = CircleConfig(thresholds_min=(15.0,), search_limit_min=15.0, max_snap_m=50.0)
    prep = prepare_coverage(communities, centres, net, config=cfg)
    part_of = np.zeros(1, np.int64)
    walks = {}
    for halo in (halo_m(cfg), 100.0):
        core = (X0 - 1, Y0, X0 + 1, Y0 + 11)
        box = (core[0] - halo, core[1] - halo, core[2] + halo, core[3] + halo)
        sub, edges = cut_network(net, box)
        pts = part_points(edges, prep.centre_snap, prep.community_snap, part_of, 0)
        walks[halo] = search_part(sub, pts, limit_m=cfg.search_limit_m)[1][0]
    # by hand: 10 m leg + 300 + 300 + 300 m of street + 10 m leg
    assert walks[halo_m(cfg)] == pytest.approx(920.0)
    assert walks[100.0] == np.inf  # the detour at y = -300 m is outside a 100 m cut


def test_statuses_come_from_the_whole_network_not_the_cut():
    """Generated: "a" reaches the centre only by a 2 km detour, outside its part's cut, so in
    the cut it looks cut off; "b" is on an island with no centre::

        a  0 ---- 1    2 ---- 3  k            7 ---- 8  b     (x = 1000..1100 m)
           |                  |
           4 ---------------- 5               y = -2000 m
    """
    nodes = {0: (0, 0), 1: (100, 0), 2: (200, 0), 3: (300, 0), 4: (0, -2000),
             5: (300, -2000), 7: (1000, 0), 8: (1100, 0)}
    net = make_network(nodes, [(0, 1), (2, 3), (0, 4), (4, 5), (3, 5), (7, 8)])
    communities = points([("a", 0.0, 10.0), ("b", 1100.0, 10.0)])
    centres = points([("k", 300.0, 10.0)])
    cfg = CircleConfig(thresholds_min=(15.0,), search_limit_min=15.0, max_snap_m=50.0)
    single = coverage_report(communities, centres, net, config=cfg)
    part = run_partitioned_coverage(
        communities, centres, net, config=cfg, partitioning=Partitioning(tile_m=500.0)
    )
    assert part.sources["partition"]["parts"] == 2
    # by hand: a's only walk is 10 + 2000 + 300 + 2000 + 10 m > 1000 m; b has no centre at all
    assert single.table["status"].tolist() == ["beyond_limit", "unreachable"]
    _assert_same(part, single)


def _assert_same(partitioned, single):
    pd.testing.assert_frame_equal(partitioned.table, single.table, check_exact=True)
    pd.testing.assert_frame_equal(partitioned.centres, single.centres, check_exact=True)


@pytest.mark.parametrize("config", [SHORT, CircleConfig()], ids=["10min-limit", "default"])
@pytest.mark.parametrize("halos_per_tile", [2.0, 3.0])
def test_generated_city_partitioned_equals_single_process(generated_city, config, halos_per_tile):
    net, communities, centres = generated_city
    single = coverage_report(communities, centres, net, config=config)
    part = run_partitioned_coverage(
        communities,
        centres,
        net,
        config=config,
        partitioning=Partitioning(tile_m=halos_per_tile * halo_m(config)),
    )
    assert part.sources["partition"]["parts"] >= 4
    _assert_same(part, single)
    # every status occurs, so equality covers each of them
    assert set(single.table["status"]) == {"ok", "beyond_limit", "unreachable", "off_network"}


@pytest.fixture(scope="module")
def helsinki_many(bundled):
    """The bundled real network and centres, with the bundled communities plus 400 generated
    points spread over the extract (named g0..g399) so every tile holds communities."""
    network, centres, communities = bundled
    net = load_network(network)
    comm = read_layer(communities).to_crs(net.crs)
    rng = np.random.default_rng(7)
    x0, y0 = net.xy.min(axis=0)
    x1, y1 = net.xy.max(axis=0)
    xy = rng.uniform((x0, y0), (x1, y1), size=(400, 2))
    extra = gpd.GeoDataFrame(
        {"id": [f"g{i}" for i in range(400)], "name": "generated point"},
        geometry=shapely.points(xy),
        crs=net.crs,
    )
    return net, pd.concat([comm, extra], ignore_index=True), read_layer(centres)


@pytest.mark.parametrize("halos_per_tile", [2.0, 2.5])
def test_bundled_partitioned_equals_single_process(helsinki_many, halos_per_tile):
    net, communities, centres = helsinki_many
    config = CircleConfig(thresholds_min=(5.0,), search_limit_min=5.0, max_snap_m=100.0)
    single = coverage_report(communities, centres, net, config=config)
    part = run_partitioned_coverage(
        communities,
        centres,
        net,
        config=config,
        partitioning=Partitioning(tile_m=halos_per_tile * halo_m(config)),
    )
    assert part.sources["partition"]["parts"] >= 3
    assert (single.table["status"] == "ok").sum() >= 50
    _assert_same(part, single)


def test_partition_by_areas_equals_single_process(generated_city):
    net, communities, centres = generated_city
    west = shapely.box(X0 - 1_000, Y0 - 1_000, X0 + 7_000, Y0 + 20_000)
    east = shapely.box(X0 + 7_000, Y0 - 1_000, X0 + 25_000, Y0 + 20_000)
    areas = gpd.GeoDataFrame({"city": ["West", "East"]}, geometry=[west, east], crs=CRS)
    single = coverage_report(communities, centres, net, config=SHORT)
    by_city = Partitioning(areas=areas, column="city")
    part = run_partitioned_coverage(communities, centres, net, config=SHORT, partitioning=by_city)
    assert part.sources["partition"]["parts"] == 2
    _assert_same(part, single)


def test_communities_outside_every_area_are_refused(generated_city):
    net, communities, centres = generated_city
    areas = gpd.GeoDataFrame(
        {"city": ["West"]}, geometry=[shapely.box(X0, Y0, X0 + 7_000, Y0 + 20_000)], crs=CRS
    )
    areas.attrs["source"] = "cities.gpkg"
    with pytest.raises(InputDataError, match=r"communities: \d+ of 3000 communities lie outside"):
        run_partitioned_coverage(
            communities, centres, net, config=SHORT,
            partitioning=Partitioning(areas=areas, column="city"),
        )
    with pytest.raises(InputDataError, match=r"cities\.gpkg: no column 'town' to partition by"):
        run_partitioned_coverage(
            communities, centres, net, config=SHORT,
            partitioning=Partitioning(areas=areas, column="town"),
        )


def test_a_rerun_skips_complete_parts_and_redoes_a_damaged_one(helsinki_many, tmp_path):
    net, communities, centres = helsinki_many
    config = CircleConfig(thresholds_min=(5.0,), search_limit_min=5.0, max_snap_m=100.0)
    tiles = Partitioning(tile_m=2 * halo_m(config))

    def run():
        seen = []
        result = run_partitioned_coverage(
            communities, centres, net, config=config, partitioning=tiles, work_dir=tmp_path,
            progress=lambda done, total, label: seen.append((done, total, label)),
        )
        return result, seen

    first, seen = run()
    n = seen[-1][1]
    assert [s[0] for s in seen] == list(range(1, n + 1))
    again, seen = run()
    assert seen == [(n, n, f"{n} parts already complete in {tmp_path}")]
    _assert_same(again, first)
    # a damaged output no longer matches its sha256 in the manifest: only that part runs again
    damaged = sorted(tmp_path.glob("out-*.npz"))[0]
    damaged.write_bytes(b"damaged")
    third, seen = run()
    assert [s[:2] for s in seen] == [(n - 1, n), (n, n)]
    _assert_same(third, first)
