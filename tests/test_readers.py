"""Planners' files: Excel and CSV with Chinese columns, GeoPackage layers, any CRS, datums."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from circle import coverage_report, load_network, read_layer
from circle.errors import ConfigError, InputDataError

#: published reference pairs (WGS84 ↔ GCJ-02): googollee/eviltransform python/test.py, Shanghai,
#: Shenzhen, Beijing: (wgs lon, wgs lat, gcj lon, gcj lat)
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
#: hujiulong/gcoord test/unit/crs/BD09.spec.ts: BD-09 (123, 45) is WGS84 (122.98762210, 44.99171540)
GCOORD_BD09 = ((123.0, 45.0), (122.98762210, 44.99171540))


def metres(lon1, lat1, lon2, lat2):
    """Haversine distance (R = 6371 km), independent of circle's code."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(h))


def test_gcj02_csv_with_chinese_columns_reads_to_published_wgs84(tmp_path):
    rows = "\n".join(
        f"s{i},{g_lon:.9f},{g_lat:.9f}" for i, (_, _, g_lon, g_lat) in enumerate(EVILTRANSFORM)
    )
    p = tmp_path / "amap.csv"
    p.write_text("编号,经度,纬度\n" + rows + "\n", encoding="utf-8")
    from circle import LayerColumns

    layer = read_layer(p, columns=LayerColumns(id="编号"), datum="gcj02")
    assert layer.crs.to_epsg() == 4326 and layer.attrs["datum"] == "gcj02"
    for (w_lon, w_lat, _, _), pt in zip(EVILTRANSFORM, layer.geometry, strict=False):
        assert metres(pt.x, pt.y, w_lon, w_lat) < 1.0


def test_bd09_xlsx_reads_to_published_wgs84(tmp_path):
    (b_lon, b_lat), (w_lon, w_lat) = GCOORD_BD09
    p = tmp_path / "baidu.xlsx"
    pd.DataFrame({"id": ["b1"], "名称": ["百度点"], "lng": [b_lon], "lat": [b_lat]}).to_excel(
        p, index=False
    )
    pt = read_layer(p, datum="bd09").geometry.iloc[0]
    assert metres(pt.x, pt.y, w_lon, w_lat) < 1.0
    # the same file read as WGS84 is ~1.5 km away: the conversion is not a no-op
    raw = read_layer(p).geometry.iloc[0]
    assert metres(raw.x, raw.y, w_lon, w_lat) > 1000


def test_excel_sheet_choice(tmp_path):
    p = tmp_path / "book.xlsx"
    a = pd.DataFrame({"id": ["c1"], "经度": [123.43], "纬度": [41.80]})
    with pd.ExcelWriter(p) as w:
        a.to_excel(w, sheet_name="Sheet1", index=False)
        pd.DataFrame().to_excel(w, sheet_name="Sheet2", index=False)  # empty sheets do not count
    assert read_layer(p, kind="centres")["id"].tolist() == ["c1"]
    with pd.ExcelWriter(p) as w:
        a.to_excel(w, sheet_name="街道", index=False)
        a.assign(id=["h1"]).to_excel(w, sheet_name="communities", index=False)
    assert read_layer(p, kind="communities")["id"].tolist() == ["h1"]
    assert read_layer(p, kind="communities", layer="街道")["id"].tolist() == ["c1"]
    with pytest.raises(
        InputDataError, match=r"book.xlsx: has 2 sheets .* choose one with --centres-layer"
    ):
        read_layer(p, kind="centres")
    with pytest.raises(
        InputDataError, match=r"book\.xlsx: no sheet 'x'; its sheets are '街道', 'communities'"
    ):
        read_layer(p, layer="x")


def test_gb18030_csv_is_read_with_a_warning(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("id,name,经度,纬度\nc1,和平区服务站,123.43,41.80\n".encode("gbk"))
    with pytest.warns(UserWarning, match="gbk.csv: not UTF-8; read as GB18030"):
        layer = read_layer(p)
    assert layer["name"].tolist() == ["和平区服务站"]


def test_geopackage_layer_choice(tmp_path, bundled):
    _, centres, communities = bundled
    p = tmp_path / "bureau.gpkg"
    gpd.read_file(centres).to_file(p, layer="服务站")
    gpd.read_file(communities).to_file(p, layer="communities")
    assert len(read_layer(p, kind="communities")) == 13
    assert len(read_layer(p, kind="centres", layer="服务站")) == 4
    with pytest.raises(
        InputDataError, match="none is named 'centres'; choose one with --centres-layer"
    ):
        read_layer(p, kind="centres")
    with pytest.raises(InputDataError, match=r"bureau\.gpkg: no layer 'nope'"):
        read_layer(p, layer="nope")


def test_any_epsg_crs_gives_the_same_table(tmp_path, bundled):
    """Real data: the bundled communities (polygons) as a GeoPackage in ETRS-TM35FIN
    (EPSG:3067) and as GeoParquet in Web Mercator (EPSG:3857) give the table of the GeoJSON
    (tests/test_io.py does the same for centres in every format)."""
    network, centres, communities = bundled
    net = load_network(network)
    cen = read_layer(centres)
    base = coverage_report(read_layer(communities), cen, net).table
    comm = gpd.read_file(communities)
    files = {
        "tm35fin.gpkg": lambda p: comm.to_crs(3067).to_file(p),
        "mercator.parquet": lambda p: comm.to_crs(3857).to_parquet(p),
    }
    for name, write in files.items():
        p = tmp_path / name
        write(p)
        t = coverage_report(read_layer(p), cen, net).table
        assert list(t["community_id"]) == list(base["community_id"]), name
        np.testing.assert_allclose(t["walk_m"], base["walk_m"], atol=0.01)
        assert list(t["nearest_centre_id"]) == list(base["nearest_centre_id"])


def test_non_wgs84_datum_needs_lon_lat(tmp_path, bundled):
    p = tmp_path / "projected.gpkg"
    gpd.read_file(bundled[1]).to_crs(3067).to_file(p)
    with pytest.raises(
        InputDataError,
        match=r"projected\.gpkg: datum gcj02 applies to longitude/latitude, but the layer is in "
        r"EPSG:3067",
    ):
        read_layer(p, datum="gcj02")
    with pytest.raises(ConfigError, match="`datum` must be one of wgs84, gcj02, bd09"):
        read_layer(bundled[1], datum="wgs-84")


def test_datum_conversion_keeps_polygons_and_attributes(tmp_path, shenyang):
    """A GCJ-02 polygon file comes back to the WGS84 original within 1 cm, vertex by vertex."""
    from circle.io.datums import wgs84_to_gcj02

    _, _, communities = shenyang
    shifted = communities.copy()
    shifted["geometry"] = shapely.transform(
        communities.geometry.values, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    p = tmp_path / "gcj.geojson"
    shifted.to_file(p)
    back = read_layer(p, datum="gcj02")
    a = shapely.get_coordinates(back.geometry.values)
    b = shapely.get_coordinates(communities.geometry.values)
    assert metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).max() < 0.01
    assert back["population"].tolist() == communities["population"].tolist()


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "expect"),
    [
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0",
            {},
            "old.xls: old Excel format (.xls) is not read; save it as .xlsx",
        ),
        ("broken.xlsx", b"not a zip", {}, "broken.xlsx: cannot read as an Excel workbook"),
        (
            "plain.csv",
            b"id,lon,lat\nc1,1,2\n",
            {"layer": "x"},
            "plain.csv: a CSV file has no layers or sheets",
        ),
        (
            "latin.csv",
            b"id,lon,lat\n\xff\xfe\xfd,1,2\n",
            {},
            "latin.csv: neither UTF-8 nor GB18030 text",
        ),
    ],
)
def test_refused_files(tmp_path, name, content, kwargs, expect):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputDataError, match=re.escape(expect)):
        read_layer(p, **kwargs)


def test_cli_refusals_for_layers_and_datums(tmp_path, cli_runner, bundled):

    _, centres, communities = bundled
    two = tmp_path / "two.gpkg"
    gpd.read_file(centres).to_file(two, layer="a")
    gpd.read_file(centres).to_file(two, layer="b")
    res = cli_runner(["coverage", "--centres", str(two)])
    assert res.exit_code == 1
    assert (
        "two.gpkg: has 2 layers ('a', 'b') and none is named 'centres'; choose one with "
        "--centres-layer" in res.output
    )
    res = cli_runner(["coverage", "--centres", str(two), "--centres-layer", "b"])
    assert res.exit_code == 0, res.output
    csv = tmp_path / "c.csv"
    csv.write_text("id,lon,lat\nc1,24.95,60.17\n")
    res = cli_runner(["coverage", "--centres", str(csv), "--centres-layer", "x"])
    assert res.exit_code == 1 and "c.csv: a CSV file has no layers or sheets" in res.output
    res = cli_runner(["coverage", "--datum", "wgs-84"])
    assert res.exit_code == 2 and "--datum" in res.output
    projected = tmp_path / "tm35.gpkg"
    gpd.read_file(communities).to_crs(3067).to_file(projected)
    res = cli_runner(["coverage", "--communities", str(projected), "--datum", "gcj02"])
    assert (
        res.exit_code == 1 and "tm35.gpkg: datum gcj02 applies to longitude/latitude" in res.output
    )
