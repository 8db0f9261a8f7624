"""The files a Liaoning bureau hands over, GENERATED: the builder of ``examples/bureau/``.

One builder for the README's example (``python scripts/make_bureau_example.py``) and for
tests/test_bureau.py, which checks that the committed files equal what it writes. Nothing here
is real: the streets are the generated grid of irregular superblocks placed in Shenyang
(`tests.conftest.shenyang_grid`), the stations are seven points 10 m off a street with the six
types of Action Plan 3.0 written in Chinese, the roster is a point inside each of the 30 blocks.
Written the way a bureau keeps them: a GB18030 CSV of stations headed 编号/名称/类型/经度/纬度,
and an .xlsx community roster with a merged title row, Chinese headers and empty trailing rows,
both in GCJ-02 (AMap) coordinates. The bundled Helsinki data is not used: GCJ-02 is the identity
outside China, so a GCJ-02 file there would prove nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from circle.io.datums import wgs84_to_gcj02

from .conftest import CRS, SHENYANG_SW, shenyang_grid

#: the stations: (id, name, Chinese type, the type circle must read it as, x, y metres from the
#: grid's south-west corner, 10 m off a street)
STATIONS = [
    ("S01", "北市社区就业服务站", "社区", "community", 200, 330),
    ("S02", "李家村服务站", "行政村", "village", 1150, 900),
    ("S03", "铁西企业服务站", "企业", "enterprise", 2000, 1470),
    ("S04", "经开区工业园区服务站", "工业园区", "industrial_park", 900, 1480 + 10),
    ("S05", "沈阳大学服务站", "高校", "college", 1600, 10),
    ("S06", "中街商圈服务站", "商圈", "business_district", 380 + 10, 1700),
    ("S07", "东陵园区服务站", "园区", "industrial_park", 2200 - 10, 500),
]

#: the file names in ``examples/bureau/`` (and in the tests' folder)
NETWORK, STATIONS_CSV, ROSTER_XLSX = "街道.graphml", "站点.csv", "社区名册.xlsx"
TITLE = "沈阳市示例区社区花名册（生成的示例数据，非真实）"
#: fixed workbook times, so that the roster's cells and properties do not change between builds
WHEN = dt.datetime(2026, 1, 1)


def _lonlat(points_utm: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    pts = gpd.GeoSeries(shapely.points(points_utm), crs=CRS).to_crs("EPSG:4326")
    return pts.x.to_numpy(), pts.y.to_numpy()


def write_bureau_example(folder: Path, *, english: bool = False) -> dict[str, Path]:
    """Write the street grid, the stations CSV and the roster workbook into ``folder``.

    With ``english``, also the same stations and roster points as English-headed WGS84 GeoJSON
    (``centres.geojson``, ``communities.geojson``), the layers the bureau's files must match.
    Returns the paths by role: network, stations, roster (and centres, communities).
    """
    import openpyxl
    import osmnx as ox
    import pyproj

    folder.mkdir(parents=True, exist_ok=True)
    net, _, communities = shenyang_grid()
    paths = {"network": folder / NETWORK, "stations": folder / STATIONS_CSV,
             "roster": folder / ROSTER_XLSX}
    ox.save_graphml(net.to_networkx(), paths["network"])
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(*SHENYANG_SW)
    lon, lat = _lonlat([(x0 + x, y0 + y) for *_, x, y in STATIONS])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    stations = pd.DataFrame(
        {"编号": [s[0] for s in STATIONS], "名称": [s[1] for s in STATIONS],
         "类型": [s[2] for s in STATIONS], "经度": np.round(g_lon, 6), "纬度": np.round(g_lat, 6)}
    )
    stations.to_csv(paths["stations"], index=False, encoding="gb18030", lineterminator="\r\n")
    blocks = communities.to_crs(CRS)
    # a point inside each block, nearer one street than any other (the block's centre would be
    # a tie, decided by centimetres of datum round trip)
    b = blocks.bounds
    inside = shapely.points(b.minx + 0.25 * (b.maxx - b.minx), b.miny + 0.4 * (b.maxy - b.miny))
    points = gpd.GeoDataFrame(
        blocks[["id", "name", "population"]], geometry=inside, crs=CRS
    ).to_crs("EPSG:4326")
    c_lon, c_lat = wgs84_to_gcj02(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    book = openpyxl.Workbook()
    book.properties.creator = "circle (tests/bureau_example.py)"
    book.properties.created = book.properties.modified = WHEN
    sheet = book.active
    sheet.title = "社区名册"
    sheet.append([TITLE])
    sheet.merge_cells("A1:E1")
    sheet.append(["社区编码", "社区名称", "常住人口", "经度", "纬度"])
    for row in zip(points["id"], points["name"], points["population"],
                   np.round(c_lon, 6), np.round(c_lat, 6), strict=True):
        sheet.append([str(row[0]), row[1], int(row[2]), float(row[3]), float(row[4])])
    for _ in range(3):  # empty trailing rows, as a roster kept by hand has
        sheet.append([None, None, None, None, None])
    sheet.cell(row=sheet.max_row, column=1).value = None
    book.save(paths["roster"])
    if english:
        paths["centres"] = folder / "centres.geojson"
        gpd.GeoDataFrame(
            {"id": [s[0] for s in STATIONS], "name": [s[1] for s in STATIONS],
             "type": [s[3] for s in STATIONS]},
            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
        ).to_file(paths["centres"])
        paths["communities"] = folder / "communities.geojson"
        points.to_file(paths["communities"])
    return paths


def workbook_cells(path: Path) -> tuple:
    """A workbook's content: its sheets' names, cell values and merged ranges (not its bytes,
    which hold zip times)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return tuple(
        (s.title, tuple(s.iter_rows(values_only=True)), tuple(sorted(map(str, s.merged_cells))))
        for s in book.worksheets
    )
