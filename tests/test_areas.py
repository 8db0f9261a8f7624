"""Roll-ups by street office or district: --by COLUMN and --areas FILE, totals that add up.

Runs on the GENERATED Shenyang grid (`shenyang` fixture): 30 blocks b<col><row>, block columns
centred at x = 190, 535, 915, 1285, 1640, 2025 m, population 100 × (col + 1) + row.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely

from circle import coverage_report
from circle.coverage.areas import assign_areas
from circle.coverage.core import UNASSIGNED_AREA, summarise
from circle.errors import CircleWarning, InputDataError

from .conftest import CRS, SHENYANG_SW


def street_offices(tmp_path, *, overlap=False):
    """Generated: two street offices split at x = 1000 m (with `overlap`, the western one
    reaches x = 1300 m over block column 3); the last block column (x > 1700 m) lies in neither."""
    x0, y0 = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(*SHENYANG_SW)
    west = shapely.box(x0 - 50, y0 - 50, x0 + (1300 if overlap else 1000), y0 + 1900)
    east = shapely.box(x0 + 1000, y0 - 50, x0 + 1700, y0 + 1900)
    areas = gpd.GeoDataFrame(
        {"街道": ["和平街道", "太原街街道"]}, geometry=[west, east], crs=CRS
    ).to_crs(4326)
    p = tmp_path / ("overlap.gpkg" if overlap else "offices.gpkg")
    areas.to_file(p, layer="areas")
    return p


def coverage_args(files) -> list[str]:
    graphml, centres, communities = files
    return ["coverage", "--network", str(graphml), "--centres", str(centres),
            "--communities", str(communities)]  # fmt: skip


def block_column(community_id: str) -> int:
    return int(community_id[1])


def test_areas_file_rollup_by_hand(tmp_path, shenyang, cli_runner, shenyang_files):
    offices = street_offices(tmp_path)
    out = tmp_path / "out"
    res = cli_runner(
                [
            *coverage_args(shenyang_files),
            *("--areas", str(offices), "--areas-name-column", "街道", "--out", str(out)),
            *("--format", "json"),
        ],
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    rows = {r["area"]: r for r in s["areas"]["rows"]}
    assert list(rows) == ["和平街道", "太原街街道", UNASSIGNED_AREA]  # by name, unassigned last
    # by hand: west = block columns 0-2, east = 3-4, none = 5 (populations from the fixture)
    assert [rows[a]["communities"] for a in rows] == [15, 10, 5]
    assert [rows[a]["population"] for a in rows] == [3030.0, 4520.0, 3010.0]
    assert s["areas"]["unassigned"] == [f"b5{j}" for j in range(5)]
    assert "offices.gpkg" in s["areas"]["by"]
    # covered counts and worst gaps, recounted from coverage.csv by the block column rule
    t = pd.read_csv(out / "coverage.csv")
    area_of = {
        0: "和平街道",
        1: "和平街道",
        2: "和平街道",
        3: "太原街街道",
        4: "太原街街道",
        5: UNASSIGNED_AREA,
    }
    t["hand_area"] = t["community_id"].map(lambda c: area_of[block_column(c)])
    assert (t["area"].fillna(UNASSIGNED_AREA) == t["hand_area"]).all()
    for name, r in rows.items():
        mine = t[t["hand_area"] == name]
        assert r["communities_covered"] == int(mine["covered"].sum())
        assert r["population_covered"] == mine.loc[mine["covered"], "population"].sum()
        gaps = mine[~mine["covered"]].sort_values("population", ascending=False).head(3)
        assert [g["community_id"] for g in r["worst_gaps"]] == gaps["community_id"].tolist()
    assert 0 < sum(r["uncovered"] for r in rows.values()) < 30  # both outcomes occur
    # totals add up to the whole-study-area numbers
    main = s["thresholds"][-1]
    assert sum(r["communities"] for r in rows.values()) == s["communities"]["total"]
    assert sum(r["population"] for r in rows.values()) == s["population"]["total"]
    assert sum(r["communities_covered"] for r in rows.values()) == main["communities_covered"]
    assert sum(r["population_covered"] for r in rows.values()) == main["population_covered"]
    # areas.csv and the Markdown report carry the same rows
    csv = pd.read_csv(out / "areas.csv")
    assert csv["area"].tolist() == list(rows) and csv["communities"].tolist() == [15, 10, 5]
    md = (out / "summary.md").read_text()
    assert "## By area" in md and "| 太原街街道 | 10 |" in md and "In no area: b50" in md


def test_by_column(shenyang):
    net, centres, communities = shenyang
    comm = communities.copy()
    comm["街道"] = ["甲" if int(c[2]) < 2 else "乙" for c in comm["id"]]
    comm.loc[comm["id"] == "b00", "街道"] = None
    comm.attrs["source"] = "bureau.csv"
    labelled = assign_areas(comm, by="街道")
    s = summarise(coverage_report(labelled, centres, net))
    rows = {r["area"]: r for r in s["areas"]["rows"]}
    assert list(rows) == ["乙", "甲", UNASSIGNED_AREA]  # code point order, unassigned last
    assert rows["甲"]["communities"] == 6 * 2 - 1 and rows["乙"]["communities"] == 6 * 3
    assert s["areas"]["unassigned"] == ["b00"] and s["areas"]["by"] == "column '街道' of bureau.csv"
    assert sum(r["population"] for r in rows.values()) == s["population"]["total"]
    assert "area" not in comm.columns  # input unchanged


def test_overlapping_areas_warn_and_count_once(tmp_path, shenyang):
    from circle import read_layer

    _, _, communities = shenyang
    areas = read_layer(street_offices(tmp_path, overlap=True), kind="areas")
    with pytest.warns(
        CircleWarning,
        match=r"overlap.gpkg: 5 communities \(b30, b31, b32, b33, b34\) lie in more than one area",
    ):
        labelled = assign_areas(communities, areas=areas, name_column="街道")
    # the first by name (code point order: 和 U+548C before 太 U+592A)
    assert (labelled.loc[labelled["id"].str.startswith("b3"), "area"] == "和平街道").all()


def test_bad_rollup_inputs(tmp_path, cli_runner, shenyang_files, shenyang):
    centres = shenyang_files[1]
    base = coverage_args(shenyang_files)
    res = cli_runner([*base, "--by", "street"])
    assert (
        res.exit_code == 1 and "communities.geojson: no column 'street' to roll up by" in res.output
    )
    res = cli_runner([*base, "--by", "name", "--areas", str(street_offices(tmp_path))])
    assert res.exit_code == 2 and "give --by or --areas, not both" in res.output
    res = cli_runner([*base, "--areas", str(street_offices(tmp_path))])
    assert res.exit_code == 1 and "offices.gpkg: no area name column 'name'" in res.output
    res = cli_runner([*base, "--areas", str(centres)])
    assert res.exit_code == 1 and "centres.geojson: areas must be polygons" in res.output
    empty_name = tmp_path / "blank.geojson"
    gpd.GeoDataFrame({"name": [""]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(
        empty_name
    )
    with pytest.raises(InputDataError, match=r"blank\.geojson: empty area name in feature 1"):
        from circle import read_layer

        assign_areas(shenyang[2], areas=read_layer(empty_name, kind="areas"))


def test_areas_layer_without_features_or_crs(tmp_path, shenyang):
    communities = shenyang[2]
    empty = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4326))
    empty.attrs["source"] = "none.gpkg"
    with pytest.raises(InputDataError, match=r"none\.gpkg: the areas layer is empty"):
        assign_areas(communities, areas=empty)
    nocrs = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputDataError, match="the areas layer has no CRS"):
        assign_areas(communities, areas=nocrs)


def test_manifest_records_the_new_options_and_reruns(
    tmp_path, cli_runner, shenyang, shenyang_files
):
    """A run with a GCJ-02 CSV, a GeoPackage layer choice and areas writes a manifest whose
    rerun is byte-identical (areas.csv included); a changed areas file is refused."""
    from circle.io.datums import wgs84_to_gcj02

    graphml, _, communities = shenyang_files
    centres = shenyang[1]
    lon, lat = wgs84_to_gcj02(centres.geometry.x.to_numpy(), centres.geometry.y.to_numpy())
    amap = tmp_path / "amap.csv"
    pd.DataFrame({"id": centres["id"], "经度": lon, "纬度": lat}).to_csv(amap, index=False)
    offices = street_offices(tmp_path)
    out = tmp_path / "out"
    args = [
        "coverage",
        "--network",
        graphml,
        "--centres",
        amap,
        "--centres-datum",
        "gcj02",
        "--communities",
        communities,
        "--areas",
        offices,
        "--areas-name-column",
        "街道",
        "--areas-layer",
        "areas",
        "--out",
        out,
    ]
    assert cli_runner([str(a) for a in args]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["job"]["centres_datum"] == "gcj02" and manifest["job"]["areas_layer"] == "areas"
    assert set(manifest["inputs"]) == {"network", "centres", "communities", "areas"}
    assert "areas.csv" in manifest["outputs"]
    res = cli_runner(["rerun", str(out / "manifest.json")])
    assert res.exit_code == 0, res.output
    assert "areas.csv" in res.output
    street_offices(tmp_path, overlap=True).replace(offices)
    res = cli_runner(["rerun", str(out / "manifest.json")])
    assert (
        res.exit_code == 1 and "offices.gpkg: changed since the manifest was written" in res.output
    )
