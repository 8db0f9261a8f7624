"""Deliveries planning offices get: KML/KMZ, an Esri file geodatabase, a zipped shapefile, each
read like the GeoJSON it was made from; pyogrio's bbox=/where=/columns= (issue 25)."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from circle.errors import ConfigError
from circle.io.files import read_layer

DATA = Path(__file__).resolve().parents[1] / "data"
LAYERS = {"centres": DATA / "helsinki_centres.geojson",
          "communities": DATA / "helsinki_communities.geojson"}
#: the coverage table's columns that come from the layers and the walk (population_source is a
#: free text column that a shapefile's 10-character field names rename)
COMPARED = ["community_id", "name", "population", "nearest_centre_id", "nearest_centre_name",
            "nearest_centre_type", "walk_m", "covered", "band_min", "status"]


def _write(kind: str, fmt: str, folder: Path) -> str:
    gdf = gpd.read_file(LAYERS[kind])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shapefile field names cut to 10 characters
        if fmt in ("kml", "kmz"):
            path = folder / f"{kind}.{fmt}"
            gdf.to_file(path, driver="LIBKML", engine="pyogrio")
            return str(path)
        if fmt == "gdb":
            path = folder / "delivery.gdb"
            gdf.to_file(path, driver="OpenFileGDB", layer=kind, engine="pyogrio")
            return str(path)
        shp = folder / f"{kind}.shp"
        gdf.to_file(shp, engine="pyogrio")
        zipped = folder / f"{kind}.shp.zip"
        with zipfile.ZipFile(zipped, "w") as z:
            for part in sorted(folder.glob(f"{kind}.*")):
                if part.suffix != ".zip":
                    z.write(part, part.name)
                    part.unlink()
        return str(zipped) if fmt == "shp.zip" else f"/vsizip/{zipped}/{kind}.shp"


def _coverage(cli_runner, out: Path, centres: str, communities: str) -> pd.DataFrame:
    res = cli_runner(["-q", "coverage", "--centres", centres, "--communities", communities,
                      "--out", out], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return pd.read_csv(out / "coverage.csv", dtype={"community_id": str})[COMPARED]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from circle.cli import cli
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("ref") / "out"
    res = CliRunner().invoke(cli, ["-q", "coverage", "--centres", str(LAYERS["centres"]),
                                   "--communities", str(LAYERS["communities"]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return pd.read_csv(out / "coverage.csv", dtype={"community_id": str})[COMPARED]


@pytest.mark.parametrize("fmt", ["kml", "kmz", "gdb", "shp.zip", "vsizip"])
def test_a_delivery_gives_the_geojson_coverage_table(cli_runner, tmp_path, reference, fmt):
    folder = tmp_path / "delivery"
    folder.mkdir()
    centres, communities = (_write(kind, fmt, folder) for kind in ("centres", "communities"))
    table = _coverage(cli_runner, tmp_path / "out", centres, communities)
    pd.testing.assert_frame_equal(table, reference, check_exact=False, rtol=1e-6)


def test_bbox_where_and_columns_read_like_pyogrio(tmp_path):
    path = _write("communities", "gdb", tmp_path)
    full = read_layer(path, kind="communities")
    big = read_layer(path, kind="communities", where="population > 300")
    assert 0 < len(big) < len(full) and (big["population"] > 300).all()
    box = (24.93, 60.16, 24.94, 60.17)
    inside = read_layer(path, kind="communities", bbox=box)
    assert 0 < len(inside) < len(full)
    assert set(inside["id"]) == set(full[full.intersects(gpd.GeoSeries.from_xy(
        [box[0], box[2]], [box[1], box[3]]).union_all().envelope)]["id"])
    narrow = read_layer(path, kind="communities", columns=["id", "name"])
    assert list(narrow.columns) == ["id", "name", "geometry"]


def test_where_on_a_table_is_a_usage_error(tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("id,name,lon,lat\na,A,24.94,60.17\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="where"):
        read_layer(csv, where="id = 'a'")
    assert len(read_layer(csv, bbox=(24.9, 60.1, 25.0, 60.2))) == 1
    assert len(read_layer(csv, bbox=(0, 0, 1, 1))) == 0
