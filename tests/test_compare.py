"""`circle compare`: communities, people and key groups gained and lost between two real runs."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from circle.report.compare import compare_runs, read_run

from .conftest import invoke_cli

GROUPS = ["graduates", "migrant_workers", "veterans", "unemployed", "low_income"]


def run(cli_runner, *args):
    return cli_runner([*map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, communities_with_groups):
    """Two real runs on the bundled data (with generated group counts): 4 and 3 km/h."""
    root = tmp_path_factory.mktemp("runs")
    for name, speed in (("fast", 4), ("slow", 3)):
        res = run(
            invoke_cli,
            "coverage",
            "--communities",
            communities_with_groups,
            "--speed-kmh",
            speed,
            "--out",
            root / name,
        )
        assert res.exit_code == 0, res.output
    return root / "fast", root / "slow"


def expected(base_dir, new_dir):
    """Gains and losses computed here, straight from the two coverage.csv files."""
    a = pd.read_csv(base_dir / "coverage.csv", dtype={"community_id": str})
    b = pd.read_csv(new_dir / "coverage.csv", dtype={"community_id": str})
    m = a.merge(b, on="community_id", suffixes=("_a", "_b"))
    gained = m.loc[~m["covered_a"] & m["covered_b"]]
    lost = m.loc[m["covered_a"] & ~m["covered_b"]]
    out = {
        "gained_ids": sorted(gained["community_id"]),
        "lost_ids": sorted(lost["community_id"]),
        "people_gained": gained["population_b"].sum(),
        "people_lost": lost["population_b"].sum(),
    }
    for g in GROUPS:
        out[g] = (gained[f"{g}_b"].fillna(0).sum(), lost[f"{g}_b"].fillna(0).sum())
    return out


@pytest.mark.parametrize("direction", ["slower", "faster"])
def test_compare_two_real_runs(cli_runner, two_runs, tmp_path, direction):
    base, new = two_runs if direction == "slower" else two_runs[::-1]
    want = expected(base, new)
    res = run(
        cli_runner, "compare", base / "summary.json", new, "--out", tmp_path, "--format", "json"
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s == json.loads((tmp_path / "compare.json").read_text())
    got_gained = sorted(r["community_id"] for r in s["gained"])
    got_lost = sorted(r["community_id"] for r in s["lost"])
    assert (got_gained, got_lost) == (want["gained_ids"], want["lost_ids"])
    if direction == "slower":
        assert not got_gained and got_lost  # walking slower only loses
    else:
        assert got_gained and not got_lost
    c = s["communities"]
    assert (c["gained"], c["lost"]) == (len(want["gained_ids"]), len(want["lost_ids"]))
    assert c["people_gained"] == pytest.approx(want["people_gained"])
    assert c["people_lost"] == pytest.approx(want["people_lost"])
    for g in s["groups"]:
        assert (g["gained"], g["lost"]) == pytest.approx(want[g["group"]])
    assert [g["group"] for g in s["groups"]] == GROUPS
    assert s["new"]["covered"] == s["base"]["covered"] + c["gained"] - c["lost"]
    assert s["new"]["people_covered"] == pytest.approx(
        s["base"]["people_covered"] + c["people_gained"] - c["people_lost"]
    )
    assert {
        "what": "walk_speed_kmh",
        "base": 4.0 if direction == "slower" else 3.0,
        "new": 3.0 if direction == "slower" else 4.0,
    } in s["parameters_changed"]
    changes = pd.read_csv(tmp_path / "compare.csv", dtype={"community_id": str})
    assert len(changes) == 13
    assert sorted(changes.loc[changes["change"] == "lost", "community_id"]) == want["lost_ids"]
    md = (tmp_path / "compare.md").read_text()
    assert "| communities covered |" in md and "| graduates covered |" in md


def test_communities_in_one_run_only_and_areas(
    cli_runner, tmp_path, two_runs, communities_with_groups
):
    """The new run drops two communities; the identity
    new covered = base covered + gained - lost + covered only in new - covered only in base
    holds. Per area: an area column is added to both tables here."""
    fewer = gpd.read_file(communities_with_groups).iloc[2:]
    path = tmp_path / "fewer.geojson"
    fewer.to_file(path)
    assert (
        run(cli_runner, "coverage", "--communities", path, "--out", tmp_path / "new").exit_code == 0
    )
    base, new = read_run(two_runs[1]), read_run(tmp_path / "new" / "manifest.json")
    s = compare_runs(base, new).summary
    c = s["communities"]
    assert (c["only_in_base"], c["only_in_new"]) == (2, 0)
    assert s["new"]["covered"] == (
        s["base"]["covered"]
        + c["gained"]
        - c["lost"]
        + c["covered_only_in_new"]
        - c["covered_only_in_base"]
    )
    assert {
        "what": "communities layer",
        "base": "communities_groups.geojson",
        "new": "fewer.geojson",
    } in s["parameters_changed"]

    def with_area(r):
        t = r.table.copy()
        t["area"] = np.where(t["community_id"].str[-1].isin(list("02468")), "even", "odd")
        return dataclasses.replace(r, table=t)

    fast, slow = read_run(two_runs[0]), read_run(two_runs[1])
    s = compare_runs(with_area(fast), with_area(slow), by="area").summary
    assert [a["area"] for a in s["by_area"]] == ["even", "odd"]
    for key in ("gained", "lost", "people_lost", "graduates_lost"):
        assert sum(a[key] for a in s["by_area"]) == s["communities"][key]


def test_compare_refuses_a_folder_without_results(cli_runner, tmp_path, two_runs):
    res = run(cli_runner, "compare", tmp_path, two_runs[0])
    assert res.exit_code == 1
    assert "no coverage.csv or summary.json" in res.output
    res = run(cli_runner, "compare", two_runs[0], two_runs[1], "--out", tmp_path)
    assert res.exit_code == 0
    res = run(cli_runner, "compare", two_runs[0], two_runs[1], "--out", tmp_path)
    assert res.exit_code == 1 and "--overwrite" in res.output
