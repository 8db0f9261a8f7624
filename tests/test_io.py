"""Reading layers in every supported format gives the same layer and the same coverage."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from circle import coverage_report, load_network, read_layer
from circle.io.files import LayerColumns


@pytest.fixture(scope="module")
def helsinki_net(bundled):
    return load_network(bundled[0])


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet", ".shp", ".csv"])
def test_every_format_gives_the_same_coverage(tmp_path, bundled, helsinki_net, suffix):
    """The bundled centres written as each format (the GeoPackage and Shapefile in the local
    UTM CRS, the CSV as lon/lat) give the same walks as the original GeoJSON."""
    _, centres_path, communities_path = bundled
    centres = gpd.read_file(centres_path)
    communities = read_layer(communities_path)
    path = tmp_path / f"centres{suffix}"
    if suffix == ".csv":
        table = centres.drop(columns="geometry")
        table["lon"], table["lat"] = centres.geometry.x, centres.geometry.y
        table.to_csv(path, index=False)
    elif suffix == ".parquet":
        centres.to_parquet(path)
    else:
        centres.to_crs("EPSG:32635").to_file(path)
    layer = read_layer(path)
    assert list(layer["id"]) == list(centres["id"])
    expected = coverage_report(communities, read_layer(centres_path), helsinki_net).table
    got = coverage_report(communities, layer, helsinki_net).table
    np.testing.assert_allclose(got["walk_m"], expected["walk_m"], atol=1e-3)
    assert list(got["nearest_centre_id"]) == list(expected["nearest_centre_id"])


def test_column_names_are_configurable(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("code,title,kind,E,N\nA1,Station,college,24.95,60.17\n", encoding="utf-8")
    cols = LayerColumns(id="code", name="title", type="kind", lon="E", lat="N")
    layer = read_layer(path, columns=cols)
    assert list(layer.columns) == ["id", "name", "type", "geometry"]
    assert layer.loc[0, "id"] == "A1" and layer.loc[0, "type"] == "college"
    assert layer.geometry.iloc[0].x == pytest.approx(24.95)


def test_csv_crs_option_reads_projected_coordinates(tmp_path, bundled, helsinki_net):
    """A CSV in UTM 35N metres with --layer-crs gives the same point as lon/lat."""
    centres = gpd.read_file(bundled[1]).to_crs("EPSG:32635")
    path = tmp_path / "utm.csv"
    table = centres.drop(columns="geometry")
    table["x"], table["y"] = centres.geometry.x, centres.geometry.y
    table.to_csv(path, index=False)
    layer = read_layer(path, crs="EPSG:32635")
    assert layer.crs.to_epsg() == 32635
    assert layer.geometry.distance(centres.geometry).max() < 1e-6
