"""`circle isochrones`, `circle map`, `circle coverage --map`: outputs, options and exit codes."""

from __future__ import annotations

import geopandas as gpd
import osmnx as ox
import pyproj
import pytest

from circle.bundled import DEFAULT_NETWORK
from circle.network.load import load_network
from circle.report.coverage import OUTPUT_FILES
from circle.runs.reports import REPORT_FILES

from .test_maps import network_references


def run(cli_runner, *args):
    return cli_runner([*map(str, args)], catch_exceptions=False)


def test_isochrones_geojson_in_wgs84_with_nested_bands(cli_runner, tmp_path):
    out = tmp_path / "iso.geojson"
    res = run(cli_runner, "isochrones", "--out", out)
    assert res.exit_code == 0, res.output
    assert "15 min" in res.stdout and "km²" in res.stdout
    iso = gpd.read_file(out)
    assert iso.crs.to_epsg() == 4326
    assert list(iso.columns) == [
        "centre_id",
        "centre_name",
        "minutes",
        "walk_m",
        "area_m2",
        "geometry",
    ]
    assert len(iso) == 3 * (1 + 4)  # bands × (all + 4 centres)
    merged = iso[iso["centre_id"] == "all"].sort_values("minutes")
    assert merged["minutes"].tolist() == [5.0, 10.0, 15.0]
    # area_m2 is the metric area (recomputed here in the local UTM zone)
    utm = merged.to_crs("EPSG:32635")
    assert utm.area.to_numpy() == pytest.approx(merged["area_m2"].to_numpy(), rel=1e-4)
    g = utm.geometry.to_list()
    # nested, up to the 1e-7° (~1 cm) rounding of GeoJSON coordinates
    assert g[1].buffer(0.05).covers(g[0]) and g[2].buffer(0.05).covers(g[1])


def test_isochrones_geopackage_keeps_the_metric_crs_and_options(cli_runner, tmp_path):
    out = tmp_path / "iso.gpkg"
    res = run(
        cli_runner, "isochrones", "--out", out, "-m", "10", "--buffer-m", "10", "--merged-only"
    )
    assert res.exit_code == 0, res.output
    iso = gpd.read_file(out)
    assert pyproj.CRS(iso.crs).is_projected
    assert iso["centre_id"].tolist() == ["all"] and iso["minutes"].tolist() == [10.0]
    res = run(
        cli_runner, "isochrones", "--out", tmp_path / "wide.gpkg", "-m", "10", "--merged-only"
    )
    assert res.exit_code == 0
    # a wider margin gives a larger polygon around the same streets
    assert gpd.read_file(tmp_path / "wide.gpkg")["area_m2"][0] > iso["area_m2"][0]


def test_isochrones_need_no_communities_on_a_graphml_network(cli_runner, tmp_path):
    p = tmp_path / "g.graphml"
    ox.save_graphml(load_network(DEFAULT_NETWORK).to_networkx(), p)
    centres = tmp_path / "centres.csv"
    centres.write_text("id,name,lon,lat\nc1,Kaupungintalo,24.9527,60.1680\n", encoding="utf-8")
    res = run(
        cli_runner,
        "isochrones",
        "--network",
        p,
        "--centres",
        centres,
        "--out",
        tmp_path / "i.geojson",
    )
    assert res.exit_code == 0, res.output
    assert set(gpd.read_file(tmp_path / "i.geojson")["centre_id"]) == {"all", "c1"}


def test_isochrones_usage_and_overwrite_errors(cli_runner, tmp_path):
    res = run(cli_runner, "isochrones", "--out", tmp_path / "x.shp")
    assert res.exit_code == 2 and "--out" in res.output
    res = run(cli_runner, "isochrones", "--buffer-m", "0", "--out", tmp_path / "x.geojson")
    assert res.exit_code == 2 and "isochrone_buffer_m" in res.output
    out = tmp_path / "x.geojson"
    out.write_text("keep")
    res = run(cli_runner, "isochrones", "--out", out)
    assert res.exit_code == 1 and "--overwrite" in res.output
    assert out.read_text() == "keep"


def test_map_command_offline_by_default(cli_runner, tmp_path):
    out = tmp_path / "m.html"
    res = run(cli_runner, "map", "--out", out, "--title", "Demo <district>")
    assert res.exit_code == 0, res.output
    assert "offline" in res.stdout
    text = out.read_text(encoding="utf-8")
    assert network_references(text) == []
    assert "Demo &lt;district&gt;" in text


def test_map_online_internet_tiles(cli_runner, tmp_path):
    out = tmp_path / "m.html"
    res = run(cli_runner, "map", "--tiles", "osm", "--out", out)
    assert res.exit_code == 0, res.output  # an internet base map implies --online
    text = out.read_text(encoding="utf-8")
    # Leaflet is inlined even so (issue 18): without internet the map still draws, on the
    # offline base, and only the tiles are on the network
    assert "tile.openstreetmap.org" in text
    assert all("{z}" in url for url in network_references(text))


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--tiles", "amap", "--offline"], "loaded from the internet"),
        (["--tiles", "google"], "URL template"),
        (["--tiles-datum", "bd09"], "--tiles-datum"),
        (["--speed-kmh", "0"], "walk_speed_kmh"),
    ],
)
def test_map_usage_errors_exit_2(cli_runner, tmp_path, args, expect):
    res = run(cli_runner, "map", *args, "--out", tmp_path / "m.html")
    assert res.exit_code == 2, res.output
    assert expect in res.output
    assert not (tmp_path / "m.html").exists()


def test_coverage_writes_the_map_beside_the_report(cli_runner, tmp_path):
    out = tmp_path / "report"
    res = run(cli_runner, "coverage", "--out", out, "--map")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*OUTPUT_FILES, *REPORT_FILES, "manifest.json", "map.html"]
    )
    text = (out / "map.html").read_text(encoding="utf-8")
    assert network_references(text) == [] and "Communities by walk time" in text
    # the map is part of the atomic set: an existing map.html is not overwritten silently
    res = run(cli_runner, "coverage", "--out", out, "--map")
    assert res.exit_code == 1 and "map.html" in res.output
    res = run(cli_runner, "coverage", "--map")
    assert res.exit_code == 2 and "--out" in res.output


def test_map_html_is_the_same_for_the_same_inputs(cli_runner, tmp_path):
    for name in ("a.html", "b.html"):
        assert run(cli_runner, "map", "--out", tmp_path / name).exit_code == 0
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
