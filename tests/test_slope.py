"""Hills (issue 20): Tobler costs from a DEM written by the tests, per direction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from circle.errors import InputDataError
from circle.network.slope import edge_slopes, tobler_factor, with_dem
from circle.network.walk import network_from_arrays

from .conftest import CRS, X0, Y0

rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402


def write_dem(path, z, *, crs, west, north, cell, units=None):
    """A single-band GeoTIFF of `z` (rows from north), float64, nodata nan."""
    with rasterio.open(
        path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=1,
        dtype="float64", crs=crs, transform=Affine(cell, 0, west, 0, -cell, north), nodata=np.nan,
    ) as dst:
        dst.write(z, 1)
        if units:
            dst.units = (units,)
    return path


def tobler_speed(slope):
    """Tobler (1993): 6 exp(-3.5 |s + 0.05|) km/h, written out independently."""
    return 6 * math.exp(-3.5 * abs(slope + 0.05))


def _edge_100m():
    xy = np.array([[0, 0], [100, 0]], float) + np.array([X0, Y0])
    return network_from_arrays(xy, [0], [1], crs=CRS, min_component_m=0)


def test_tobler_factor_is_the_speed_ratio():
    for s in (-0.3, -0.1, -0.05, 0.0, 0.03, 0.1, 0.25):
        assert tobler_factor(s) == pytest.approx(tobler_speed(0) / tobler_speed(s), rel=1e-12)


def test_100m_edge_with_10m_rise_costs_tobler_each_way(tmp_path):
    # a plane rising 0.1 m per metre eastwards, in the network's own CRS: bilinear is exact
    cell = 5.0
    xs = X0 - 50 + cell * (np.arange(60) + 0.5)
    z = np.tile(0.1 * (xs - X0), (20, 1))
    dem = write_dem(tmp_path / "plane.tif", z, crs=CRS, west=X0 - 50, north=Y0 + 50, cell=cell)
    net, slopes = with_dem(_edge_100m(), dem)
    up = 100 * tobler_speed(0) / tobler_speed(0.1)
    down = 100 * tobler_speed(0) / tobler_speed(-0.1)
    assert net.edge_fw_m[0] == pytest.approx(up, abs=1e-9)  # west to east: uphill
    assert net.edge_bw_m[0] == pytest.approx(down, abs=1e-9)
    assert slopes.max_slope[0] == pytest.approx(0.1, abs=1e-12)
    info = net.source["dem"]
    assert info["file"] == "plane.tif" and info["edges_with_slope"] == 1
    assert len(info["sha256"]) == 64


def test_a_one_way_street_stays_closed_uphill_and_downhill(tmp_path):
    """A bike network's one-way street (issue 22) keeps its closed direction under slope costs;
    the open direction costs Tobler's uphill figure (written out above)."""
    from circle.network.load import with_oneway_costs

    cell = 5.0
    xs = X0 - 50 + cell * (np.arange(60) + 0.5)
    z = np.tile(0.1 * (xs - X0), (20, 1))
    dem = write_dem(tmp_path / "plane.tif", z, crs=CRS, west=X0 - 50, north=Y0 + 50, cell=cell)
    xy = np.array([[0, 0], [100, 0]], float) + np.array([X0, Y0])
    one_way = network_from_arrays(xy, [0], [1], crs=CRS, min_component_m=0, edge_oneway=[1])
    net, _ = with_dem(with_oneway_costs(one_way), dem)
    assert net.edge_fw_m[0] == pytest.approx(100 * tobler_speed(0) / tobler_speed(0.1), abs=1e-9)
    assert np.isinf(net.edge_bw_m[0])


def test_a_crest_costs_both_climbs():
    """Sampled along the edge, not only at its ends: up 5 m and down 5 m is not flat."""
    net = _edge_100m()
    tent = lambda xy: 5 - np.abs(xy[:, 0] - X0 - 50) / 10  # noqa: E731 (0 at both ends)
    s = edge_slopes(net, tent, spacing_m=10)
    expected = 50 * tobler_speed(0) / tobler_speed(0.1) + 50 * tobler_speed(0) / tobler_speed(-0.1)
    assert s.fw_m[0] == pytest.approx(expected, abs=1e-9)
    assert s.bw_m[0] == pytest.approx(expected, abs=1e-9)


def test_dem_errors_are_one_clear_line(tmp_path):
    z = np.zeros((10, 10))
    far = write_dem(tmp_path / "far.tif", z, crs=CRS, west=X0 + 1e5, north=Y0 + 1e5, cell=30)
    with pytest.raises(InputDataError, match="does not cover the network"):
        with_dem(_edge_100m(), far)
    feet = write_dem(tmp_path / "ft.tif", z, crs=CRS, west=X0 - 100, north=Y0 + 100, cell=30,
                     units="ft")
    with pytest.raises(InputDataError, match="in 'ft'; circle needs metres"):
        with_dem(_edge_100m(), feet)
    holes = write_dem(tmp_path / "nan.tif", np.full((10, 10), np.nan), crs=CRS, west=X0 - 100,
                      north=Y0 + 100, cell=30)
    with pytest.raises(InputDataError, match="no street of the network lies on the DEM"):
        with_dem(_edge_100m(), holes)
    with pytest.raises(InputDataError, match="file not found"):
        with_dem(_edge_100m(), tmp_path / "missing.tif")


def test_edges_off_the_dem_stay_flat_with_a_warning(tmp_path, caplog):
    xy = np.array([[0, 0], [100, 0], [1000, 0]], float) + np.array([X0, Y0])
    net = network_from_arrays(xy, [0, 1], [1, 2], crs=CRS, min_component_m=0)
    z = np.tile(np.arange(20) * 1.0, (8, 1))  # covers x in [-50, 150) only
    dem = write_dem(tmp_path / "part.tif", z, crs=CRS, west=X0 - 50, north=Y0 + 20, cell=10)
    import logging

    log = logging.getLogger("circle.network.slope")
    log.addHandler(caplog.handler)  # the CLI tests may stop circle's loggers propagating
    try:
        out, slopes = with_dem(net, dem)
    finally:
        log.removeHandler(caplog.handler)
    assert slopes.has_elevation.tolist() == [True, False]
    assert out.edge_fw_m[1] == out.edge_bw_m[1] == net.edge_length_m[1]
    assert "lie outside part.tif or on cells without data" in caplog.text


def _hill_dem(path, net, height_m, centre_lonlat, sigma_m=400.0):
    """A Gaussian hill as a GeoTIFF in EPSG:4326 (not the network's CRS) over the network's
    bounds, ~10 m cells."""
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(
        net.xy[:, 0], net.xy[:, 1]
    )
    cell = 0.0001
    west, north = lon.min() - 0.002, lat.max() + 0.002
    w = int((lon.max() + 0.002 - west) / cell) + 1
    h = int((north - (lat.min() - 0.002)) / cell) + 1
    glon = west + cell * (np.arange(w) + 0.5)
    glat = north - cell * (np.arange(h) + 0.5)
    dx = (glon[None, :] - centre_lonlat[0]) * 111_320 * math.cos(math.radians(centre_lonlat[1]))
    dy = (glat[:, None] - centre_lonlat[1]) * 110_570
    z = 10 + height_m * np.exp(-(dx**2 + dy**2) / (2 * sigma_m**2))
    return write_dem(path, z, crs="EPSG:4326", west=west, north=north, cell=cell)


def test_hill_on_the_bundled_extract(tmp_path, helsinki_buildings, bundled):
    """Uphill costs more than downhill on the same edge; with the centres on the hilltop,
    coverage of every building never rises as the hill gets steeper."""
    import geopandas as gpd
    import shapely

    from circle.config import CircleConfig
    from circle.coverage.core import coverage_report

    net, xy = helsinki_buildings
    centres = gpd.read_file(bundled[1])
    top = shapely.get_coordinates(shapely.point_on_surface(centres.geometry.values)).mean(axis=0)
    homes = gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(len(xy))]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=net.crs,
    )
    cfg = CircleConfig(thresholds_min=(10.0, 15.0))
    covered = []
    for height in (0.0, 15.0, 40.0, 80.0):
        hilly, _ = with_dem(net, _hill_dem(tmp_path / f"h{height}.tif", net, height, top))
        if height == 40.0:
            # every edge: uphill is the dearer direction (Tobler is asymmetric)
            z = _end_heights(hilly, tmp_path / "h40.0.tif")
            rise = z[hilly.edge_v] - z[hilly.edge_u]
            steep = np.abs(rise) > 0.5
            assert steep.sum() > 100
            up_fw = rise[steep] > 0
            fw, bw = hilly.edge_fw_m[steep], hilly.edge_bw_m[steep]
            assert (np.where(up_fw, fw > bw, bw > fw)).mean() > 0.99
        res = coverage_report(homes, centres, hilly, config=cfg)
        covered.append(int(res.table["covered"].sum()))
    print("covered within 15 min, hill 0/15/40/80 m:", covered)
    assert covered[0] > covered[-1]  # the steepest hill loses coverage
    assert covered == sorted(covered, reverse=True)


def _end_heights(net, dem_path):
    from circle.io.dem import read_dem

    x, y = net.xy[:, 0], net.xy[:, 1]
    dem = read_dem(dem_path, (x.min(), y.min(), x.max(), y.max()), net.crs)
    return dem.sample(net.xy, net.crs)


@pytest.fixture(scope="module")
def hill_tif(tmp_path_factory, bundled):
    """A 60 m hill over the bundled extract, on its centres."""
    import geopandas as gpd
    import shapely

    from circle.network.load import network_from_osm

    net = network_from_osm(bundled[0])
    centres = gpd.read_file(bundled[1])
    top = shapely.get_coordinates(shapely.point_on_surface(centres.geometry.values)).mean(axis=0)
    return _hill_dem(tmp_path_factory.mktemp("dem") / "hill.tif", net, 60.0, top)


def test_cli_dem_changes_walks_and_reruns_byte_identical(cli_runner, tmp_path, hill_tif):
    import json

    import pandas as pd

    flat, hilly = tmp_path / "flat", tmp_path / "hilly"
    assert cli_runner(["coverage", "--out", flat]).exit_code == 0
    res = cli_runner(["coverage", "--dem", hill_tif, "--out", hilly])
    assert res.exit_code == 0, res.output
    a = pd.read_csv(flat / "coverage.csv").set_index("community_id")["walk_m"]
    b = pd.read_csv(hilly / "coverage.csv").set_index("community_id")["walk_m"]
    assert (b != a).sum() >= 10  # every walk climbs or descends the hill
    summary = (hilly / "summary.md").read_text()
    assert "Slope: elevations from hill.tif" in summary and "6178 of 6178 edges" in summary
    manifest = json.loads((hilly / "manifest.json").read_text())
    assert manifest["job"]["config"]["dem"] == str(hill_tif) and "dem" in manifest["inputs"]
    again = cli_runner(["rerun", hilly / "manifest.json"])
    assert again.exit_code == 0 and "byte-identical" in again.output, again.output


def test_cli_dem_missing_file_is_one_line(cli_runner, tmp_path):
    res = cli_runner(["coverage", "--dem", tmp_path / "nope.tif", "--out", tmp_path / "o"])
    assert res.exit_code == 1
    assert "nope.tif: file not found" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()
