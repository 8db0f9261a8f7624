"""The bundled real data (central Helsinki, OpenStreetMap): derivation and coverage properties."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from circle import CircleConfig, coverage_report, layers_from_osm, load_network, read_layer
from circle.coverage.core import summarise


@pytest.fixture(scope="module")
def helsinki(bundled):
    network, centres, communities = bundled
    return load_network(network), read_layer(centres), read_layer(communities)


def test_committed_default_layers_equal_a_fresh_derivation(bundled):
    network, centres_path, communities_path = bundled
    centres, communities = layers_from_osm(network)
    for derived, path in ((centres, centres_path), (communities, communities_path)):
        committed = gpd.read_file(path)
        assert list(committed["id"]) == list(derived["id"])
        assert list(committed["name"]) == list(derived["name"])
        d = derived.to_crs("EPSG:4326").geometry.values
        assert shapely.equals_exact(committed.geometry.values, d, tolerance=1e-7).all()
    pd.testing.assert_series_equal(
        communities["population"], gpd.read_file(communities_path)["population"],
        check_dtype=False,
    )


def test_population_estimate_by_hand_for_one_community(bundled):
    """way/28951232 holds one building; footprint x levels / 40 m² computed here directly."""
    network, _, _ = bundled
    from circle.io.osm import read_tagged_features

    feats = read_tagged_features(network, ("building", "landuse"))
    area = next(f for f in feats if f["osm_id"] == "way/28951232")["geometry"]
    utm = "EPSG:32635"
    area_m = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(utm).iloc[0]
    floor = 0.0
    for f in feats:
        if f["tags"].get("building") and f["geometry"].geom_type == "MultiPolygon":
            g = gpd.GeoSeries([f["geometry"]], crs="EPSG:4326").to_crs(utm).iloc[0]
            if area_m.contains(g.representative_point()):
                levels = float(f["tags"].get("building:levels", 3))
                floor += g.area * levels
    _, communities = layers_from_osm(network)
    est = communities.set_index("id").loc["way/28951232", "population"]
    assert est == round(floor / 40)


def test_every_community_gets_a_status_and_engines_agree(helsinki):
    net, centres, communities = helsinki
    fast = coverage_report(communities, centres, net)
    ref = coverage_report(communities, centres, net, engine="networkx")
    assert fast.table["status"].isin(["ok", "off_network", "unreachable", "beyond_limit"]).all()
    assert len(fast.table) == len(communities) == 13
    np.testing.assert_allclose(fast.table["walk_m"], ref.table["walk_m"], atol=1e-6, rtol=0)
    assert list(fast.table["nearest_centre_id"]) == list(ref.table["nearest_centre_id"])
    # the demo shows real gaps: some communities are left out at 15 minutes
    assert 0 < fast.table["covered"].sum() < len(fast.table)


def test_raising_the_threshold_never_lowers_coverage(helsinki):
    net, centres, communities = helsinki
    previous = -1
    for minutes in (2, 5, 8, 10, 12, 15, 20, 30):
        cfg = CircleConfig(thresholds_min=(minutes,))
        covered = coverage_report(communities, centres, net, config=cfg).table["covered"]
        assert covered.sum() >= previous
        previous = covered.sum()


def test_adding_a_centre_never_lowers_coverage(helsinki):
    net, centres, communities = helsinki
    base = coverage_report(communities, centres, net)
    # a new centre at each uncovered community's representative point, one at a time
    for _, row in base.table.loc[~base.table["covered"]].iterrows():
        extra = gpd.GeoDataFrame(
            {"id": ["new"], "name": ["new"], "type": ["other"]},
            geometry=[row.geometry.representative_point()],
            crs=base.table.crs,
        ).to_crs(centres.crs)
        more = pd.concat([centres, extra], ignore_index=True)
        after = coverage_report(communities, more, net).table
        assert (after["covered"] >= base.table["covered"]).all()
        assert (after["walk_m"] <= base.table["walk_m"] + 1e-9).all()
        assert after.set_index("community_id").loc[row.community_id, "covered"]


def test_row_order_does_not_change_the_result(helsinki):
    net, centres, communities = helsinki
    a = coverage_report(communities, centres, net)
    b = coverage_report(communities.iloc[::-1], centres.iloc[::-1], net)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.table.drop(columns="geometry")),
        pd.DataFrame(b.table.drop(columns="geometry")),
    )


def test_summary_numbers_match_the_table(helsinki):
    net, centres, communities = helsinki
    res = coverage_report(communities, centres, net)
    s = summarise(res)
    t = res.table
    for band in s["thresholds"]:
        inside = t["walk_min"] <= band["minutes"] + 1e-9
        assert band["communities_covered"] == inside.sum()
        assert band["population_covered"] == pytest.approx(t.loc[inside, "population"].sum())
    assert [u["community_id"] for u in s["uncovered"]] == list(
        t.loc[~t["covered"]].sort_values("population", ascending=False)["community_id"]
    )


def test_slower_walk_never_covers_more(helsinki):
    net, centres, communities = helsinki
    covered = [
        coverage_report(
            communities, centres, net, config=dataclasses.replace(CircleConfig(), walk_speed_kmh=s)
        ).table["covered"].sum()
        for s in (3.0, 4.0, 5.0)
    ]
    assert covered == sorted(covered)
