"""Population sources in order (column, raster, OSM buildings, count), each stated per community."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from circle.errors import InputDataError
from circle.io.extract import POPULATION_METHOD
from circle.io.population import POPULATION_NONE, fill_population, population_from_raster

from .conftest import CRS, X0, Y0


def write_raster(path, values, *, left, top, size, crs, nodata=None):
    values = np.asarray(values, dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(size, 0, left, 0, -size, top),
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path


@pytest.fixture
def grid_raster(tmp_path):
    """Generated: 4 × 3 pixels of 100 m (UTM 51N), people per pixel, one nodata pixel::

    y 300 +----+----+----+----+
          |  1 |  2 |  3 |  4 |
    y 200 +----+----+----+----+
          |  5 |  6 |  7 |  8 |
    y 100 +----+----+----+----+
          |  9 | 10 | 11 | -- |      -- = nodata
    y   0 +----+----+----+----+
          x 0  100  200  300  400   (metres from X0, Y0)
    """
    values = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, -1]]
    return write_raster(
        tmp_path / "people.tif", values, left=X0, top=Y0 + 300, size=100, crs=CRS, nodata=-1
    )


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def test_raster_sums_by_hand(grid_raster):
    communities = gpd.GeoDataFrame(
        {"id": ["h1", "h2", "h3", "h4", "h5"]},
        geometry=[
            box(0, 100, 200, 300),  # four whole pixels: 1 + 2 + 5 + 6 = 14
            box(200, 0, 250, 100),  # half of the 11 pixel: 5.5
            box(300, 0, 400, 150),  # nodata (0) + half of the 8 pixel: 4
            box(1000, 0, 1100, 100),  # outside the raster: no figure
            shapely.Point(X0 + 50, Y0 + 50),  # a point has no area to sum
        ],
        crs=CRS,
    )
    sums = population_from_raster(communities, grid_raster)
    np.testing.assert_allclose(sums[:3], [14.0, 5.5, 4.0], rtol=1e-9)
    assert np.isnan(sums[3]) and np.isnan(sums[4])
    # the raster's CRS is used: the same polygons in WGS84 give the same sums
    np.testing.assert_allclose(
        population_from_raster(communities.to_crs(4326), grid_raster)[:3],
        [14.0, 5.5, 4.0],
        rtol=1e-6,
    )


def test_sources_in_order_and_stated(grid_raster, bundled):
    """Column first, then the raster, then OSM buildings, else none; each row says which."""
    from circle.io.osm import read_tagged_features

    communities = gpd.GeoDataFrame(
        {"id": ["h1", "h2", "h3"], "population": [42.0, None, None]},
        geometry=[box(0, 100, 200, 300), box(0, 100, 200, 300), box(1000, 0, 1100, 100)],
        crs=CRS,
    )
    communities.attrs["source"] = "bureau.gpkg"
    filled = fill_population(communities, raster=grid_raster)
    assert filled["population"].tolist()[:2] == [42.0, 14.0] and np.isnan(filled["population"][2])
    assert filled["population_source"].tolist() == [
        "column 'population' of bureau.gpkg",
        "raster people.tif: pixel values summed over the community, each pixel weighted by the "
        "share of its area inside (nodata counts 0)",
        POPULATION_NONE,
    ]
    assert filled.attrs["source"] == "bureau.gpkg"
    assert communities["population"].isna().sum() == 2  # input unchanged
    # OSM buildings fill what the raster leaves: a Helsinki community, no raster there
    hel = gpd.read_file(bundled[2]).drop(columns=["population", "population_source"])
    features = read_tagged_features(bundled[0], ("building",))
    est = fill_population(hel, raster=grid_raster, osm_features=features, osm_source="x.pbf")
    reference = gpd.read_file(bundled[2])
    assert est["population"].tolist() == reference["population"].tolist()
    assert (est["population_source"] == f"{POPULATION_METHOD} (x.pbf)").all()


def run(cli_runner, *args):
    return cli_runner(["coverage", "--format", "json", *map(str, args)])


def table(tmp_path, cli_runner, *args):
    out = tmp_path / "out"
    res = run(cli_runner, *args, "--out", out, "--overwrite")
    assert res.exit_code == 0, res.output
    return pd.read_csv(out / "coverage.csv").set_index("community_id"), json.loads(res.stdout)


def test_cli_raster_over_helsinki(tmp_path, cli_runner, bundled):
    """Generated WorldPop-like raster (EPSG:4326, 0.001° pixels, 10 people each) over the real
    Helsinki communities: each sum is 10 × the community's area in pixels."""
    comm = gpd.read_file(bundled[2]).drop(columns=["population", "population_source"])
    p = tmp_path / "communities.geojson"
    comm.to_file(p)
    w, _, _, n = comm.total_bounds
    r = write_raster(
        tmp_path / "worldpop.tif",
        np.full((30, 30), 10.0),
        left=w - 0.005,
        top=n + 0.005,
        size=0.001,
        crs="EPSG:4326",
    )
    t, summary = table(tmp_path, cli_runner, "--communities", p, "--population-raster", r)
    # areas in square degrees, the raster's own units (shapely, as geopandas warns on degrees)
    expected = pd.Series(shapely.area(comm.geometry.values), index=comm["id"]) * 10 / 0.001**2
    np.testing.assert_allclose(t["population"], expected.loc[t.index], atol=0.05)  # 0.1 rounding
    assert t["population_source"].str.startswith("raster worldpop.tif").all()
    assert summary["population"]["sources"] == [t["population_source"].iloc[0]]


def test_cli_raster_ranks_above_the_osm_estimate_of_derived_layers(tmp_path, cli_runner, bundled):
    copy = tmp_path / "district.osm.pbf"
    copy.write_bytes(bundled[0].read_bytes())
    comm = gpd.read_file(bundled[2]).set_index("id")
    # a raster covering only the western half of the communities
    w, _, e, n = comm.total_bounds
    mid = (w + e) / 2
    cols = int(np.ceil((mid - w + 0.002) / 0.0005))
    r = write_raster(
        tmp_path / "west.tif",
        np.full((40, cols), 1.0),
        left=w - 0.002,
        top=n + 0.002,
        size=0.0005,
        crs="EPSG:4326",
    )
    t, _ = table(tmp_path, cli_runner, "--network", copy, "--population-raster", r)
    in_raster = comm.geometry.bounds["minx"] < w - 0.002 + cols * 0.0005
    west = t.index[in_raster.loc[t.index].to_numpy()]
    east = t.index[~in_raster.loc[t.index].to_numpy()]
    assert len(west) and len(east)
    assert t.loc[west, "population_source"].str.startswith("raster west.tif").all()
    assert (t.loc[east, "population_source"] == f"{POPULATION_METHOD} (district.osm.pbf)").all()
    assert (t.loc[east, "population"] == comm.loc[east, "population"]).all()


def test_cli_population_from_osm_and_none(tmp_path, cli_runner, bundled):
    comm = gpd.read_file(bundled[2]).drop(columns=["population", "population_source"])
    p = tmp_path / "communities.geojson"
    comm.to_file(p)
    t, summary = table(tmp_path, cli_runner, "--communities", p)
    assert t["population"].isna().all() and (t["population_source"] == POPULATION_NONE).all()
    assert summary["population"]["available"] is False
    t, _ = table(tmp_path, cli_runner, "--communities", p, "--population-from-osm")
    reference = gpd.read_file(bundled[2]).set_index("id")
    assert (t["population"] == reference.loc[t.index, "population"]).all()
    assert t["population_source"].str.startswith("estimate, not a census figure").all()


def test_bad_population_inputs(tmp_path, cli_runner, bundled, shenyang_files):
    res = run(cli_runner, "--population-raster", tmp_path / "none.tif")
    assert res.exit_code == 1 and "none.tif: file not found" in res.output
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    comm = gpd.read_file(bundled[2]).drop(columns=["population"])
    p = tmp_path / "c.geojson"
    comm.to_file(p)
    res = run(cli_runner, "--communities", p, "--population-raster", bad)
    assert res.exit_code == 1 and "bad.tif: cannot read as a raster" in res.output
    res = run(
        cli_runner,
        "--network",
        shenyang_files[0],
        "--centres",
        bundled[1],
        "--communities",
        p,
        "--population-from-osm",
    )
    assert (
        res.exit_code == 2
        and "--population-from-osm needs the network as an OSM file" in res.output
    )
    with pytest.raises(InputDataError, match="the raster has no CRS"):
        nocrs = tmp_path / "nocrs.tif"
        with rasterio.open(
            nocrs,
            "w",
            driver="GTiff",
            width=1,
            height=1,
            count=1,
            dtype="float32",
            transform=Affine(1, 0, 0, 0, -1, 1),
        ) as dst:
            dst.write(np.ones((1, 1, 1), "float32"))
        population_from_raster(comm, nocrs)


def test_rotated_raster_is_refused(tmp_path, bundled):
    p = tmp_path / "rotated.tif"
    with rasterio.open(
        p,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(10, 2, X0, 2, -10, Y0),
    ) as dst:
        dst.write(np.ones((1, 2, 2), "float32"))
    with pytest.raises(InputDataError, match="rotated rasters are not read"):
        population_from_raster(gpd.read_file(bundled[2]), p)
