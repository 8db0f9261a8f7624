"""Key groups per area through `circle coverage --by/--areas`: totals that add up."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from circle.coverage.core import UNASSIGNED_AREA

GROUPS = ["graduates", "migrant_workers", "veterans", "unemployed", "low_income"]


def check_groups_by_area(out, communities: gpd.GeoDataFrame, area_of: dict):
    """Every (area, group): covered + uncovered = total; areas sum to the overall figures; and
    each figure recounted from the input counts and coverage.csv's `covered` column."""
    s = json.loads((out / "summary.json").read_text())
    rows = s["areas"]["groups"]
    overall = {g["group"]: g for g in s["groups"]}
    assert set(overall) == set(GROUPS)
    table = pd.read_csv(out / "coverage.csv", dtype={"community_id": str})
    covered = dict(zip(table["community_id"], table["covered"], strict=True))
    areas = [r["area"] for r in s["areas"]["rows"]]
    assert len(areas) >= 2
    assert [(r["area"], r["group"]) for r in rows] == [(a, g) for a in areas for g in GROUPS]
    counts = communities.set_index("id")
    for r in rows:
        assert r["covered"] + r["uncovered"] == pytest.approx(r["total"])
        ids = [i for i, a in area_of.items() if (a or UNASSIGNED_AREA) == r["area"]]
        col = counts.loc[ids, r["group"]]
        assert r["total"] == pytest.approx(col.fillna(0).sum())
        assert r["covered"] == pytest.approx(col[[covered[i] for i in ids]].fillna(0).sum())
        assert r["communities_without_figure"] == int(col.isna().sum())
    for g in GROUPS:
        mine = [r for r in rows if r["group"] == g]
        for key in ("total", "covered", "uncovered", "communities_without_figure"):
            assert sum(r[key] for r in mine) == pytest.approx(overall[g][key], abs=1e-3)
    md = (out / "summary.md").read_text()
    assert "### Key groups by area" in md
    assert md.count("| veterans |") == len(areas) + 1  # once per area, once overall
    return s


def test_groups_by_areas_file(cli_runner, communities_with_groups, tmp_path):
    comm = gpd.read_file(communities_with_groups)
    comm["id"] = comm["id"].astype(str)
    # generated areas: the west and east halves of the communities' extent, split at the median
    pts = comm.to_crs(3067).representative_point()
    mid = float(np.median(pts.x))
    x0, y0, x1, y1 = pts.total_bounds
    halves = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[
            shapely.box(x0 - 10, y0 - 10, mid, y1 + 10),
            shapely.box(mid, y0 - 10, x1 + 10, y1 + 10),
        ],
        crs=3067,
    )
    areas_path = tmp_path / "halves.geojson"
    halves.to_crs(4326).to_file(areas_path)
    out = tmp_path / "out"
    res = cli_runner(
                [
            "coverage",
            "--communities",
            str(communities_with_groups),
            "--areas",
            str(areas_path),
            "--out",
            str(out),
            "--gates",
            "none",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    area_of = {i: ("west" if x < mid else "east") for i, x in zip(comm["id"], pts.x, strict=True)}
    check_groups_by_area(out, comm, area_of)


def test_groups_by_column(cli_runner, communities_with_groups, tmp_path):
    comm = gpd.read_file(communities_with_groups)
    comm["id"] = comm["id"].astype(str)
    comm["district"] = ["A" if i % 3 else "B" for i in range(len(comm))]
    comm.loc[1, "district"] = None  # one community in no area
    path = tmp_path / "with_district.geojson"
    comm.to_file(path)
    out = tmp_path / "out"
    res = cli_runner(
                [
            "coverage",
            "--communities",
            str(path),
            "--by",
            "district",
            "--out",
            str(out),
            "--group-columns",
            ",".join(GROUPS),
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    s = check_groups_by_area(
        out, comm, dict(zip(comm["id"], comm["district"].fillna(""), strict=True))
    )
    assert [r["area"] for r in s["areas"]["rows"]] == ["A", "B", UNASSIGNED_AREA]
