"""`circle site` on the bundled Helsinki data: after = a fresh coverage run; bad input."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from circle.report.siting import SITING_FILES


def run(cli_runner, command, *args):
    return cli_runner([command, *map(str, args)], catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "n_sites"),
    [
        ((), 2),  # OSM candidates: 2 sites bring everyone within 15 min; a third adds no one
        (("-m", "10"), 3),
        (("--candidates-grid-m", "--solver", "greedy"), 2),  # the grid's default 200 m
    ],
)
def test_after_equals_a_fresh_coverage_run_with_the_sites_appended(
    cli_runner, tmp_path, bundled, args, n_sites
):
    _, centres_path, _ = bundled
    res = run(cli_runner, "site", "--add", 3, *args, "--out", tmp_path / "site")
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "site" / "summary.json").read_text())
    proposals = gpd.read_file(tmp_path / "site" / "proposals.geojson")
    assert len(proposals) == len(summary["proposals"]) == n_sites
    assert list(proposals["rank"]) == list(range(1, n_sites + 1))
    if "--candidates-grid-m" in args:
        assert summary["data"]["candidates"]["file"] == "street-network grid every 200 m"

    # the three (or fewer) sites appended to the centres file, by hand
    centres = gpd.read_file(centres_path)
    added = proposals.rename(columns={"site_id": "id"})[["id", "name", "type", "geometry"]]
    both = pd.concat([centres[["id", "name", "type", "geometry"]], added], ignore_index=True)
    both.to_file(tmp_path / "centres_plus.geojson")
    minutes = ["-m", "10"] if "10" in args else []
    res = run(
        cli_runner,
        "coverage",
        "--centres",
        tmp_path / "centres_plus.geojson",
        *minutes,
        "--out",
        tmp_path / "cov",
    )
    assert res.exit_code == 0, res.output
    fresh = json.loads((tmp_path / "cov" / "summary.json").read_text())["thresholds"][-1]
    after = summary["after"]
    assert after["communities_covered"] == fresh["communities_covered"]
    assert after["population_covered"] == fresh["population_covered"]
    assert after["population_share"] == fresh["population_share"]
    # and community by community: covered = covered before or named by a proposal
    table = pd.read_csv(tmp_path / "cov" / "coverage.csv")
    newly = {c for ids in proposals["newly_covered_ids"] for c in ids.split(";")}
    res = run(cli_runner, "coverage", *minutes, "--out", tmp_path / "before")
    before = pd.read_csv(tmp_path / "before" / "coverage.csv")
    assert set(table.loc[table["covered"], "community_id"]) == (
        set(before.loc[before["covered"], "community_id"]) | newly
    )
    assert summary["gain"]["population"] == pytest.approx(
        proposals["population_newly_covered"].sum()
    )
    if n_sites < 3:
        assert (
            "Only 2 of the 3 sites asked for are proposed"
            in (tmp_path / "site" / "summary.md").read_text()
        )


def test_outputs_are_byte_identical_and_not_overwritten(cli_runner, tmp_path):
    for name in ("a", "b"):
        assert run(cli_runner, "site", "--cover-all", "--out", tmp_path / name).exit_code == 0
    for f in SITING_FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    md = (tmp_path / "a" / "summary.md").read_text()
    assert "## Before and after" in md and "set covering" in md.lower()
    assert "© OpenStreetMap contributors" in md
    res = run(cli_runner, "site", "--add", 1, "--out", tmp_path / "a")
    assert res.exit_code == 1 and "--overwrite" in res.output
    assert (tmp_path / "a" / "summary.md").read_text() == md


def test_json_and_markdown_on_stdout_with_chosen_tags(cli_runner):
    res = run(
        cli_runner, "site", "--add", 1, "--candidate-tag", "amenity=library", "--format", "json"
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["parameters"]["mode"] == "add" and s["parameters"]["add"] == 1
    assert s["solver"]["method"] == "milp" and s["solver"]["status"] == "optimal"
    assert s["candidates"]["total"] == 7  # the 7 libraries of the file
    assert s["after"]["population_covered"] >= s["before"]["population_covered"]
    md = run(cli_runner, "site", "--add", 1, "--format", "markdown").stdout
    assert md.startswith("# 15-minute employment circle: new centre sites")


def test_candidates_file_and_grid_combine(cli_runner, tmp_path, bundled):
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "id,name,type,lon,lat\nv1,Vacant school,other,24.9513288,60.1756254\n"
        "v2,Off the map,other,24.80,60.30\n",
        encoding="utf-8",
    )
    # the communities' population column has its own name: candidates do not need one
    communities = gpd.read_file(bundled[2]).rename(columns={"population": "residents"})
    communities.to_file(tmp_path / "communities.geojson")
    res = run(
        cli_runner,
        "site",
        "--cover-all",
        "--candidates",
        sites,
        "--candidates-grid-m",
        300,
        "--communities",
        tmp_path / "communities.geojson",
        "--population-column",
        "residents",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["data"]["candidates"]["file"] == "sites.csv + street-network grid every 300 m"
    assert s["candidates"]["off_network"] == ["v2"]
    assert s["after"]["communities_covered"] == 13
    assert s["after"]["population_covered"] == 4783.0


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ([], "--add K or --cover-all"),
        (["--add", "2", "--cover-all"], "--add K or --cover-all"),
        (["--add", "0"], "--add"),
        (["--add", "1", "--time-limit-s", "0"], "--time-limit-s"),
        (["--add", "1", "--candidates-grid-m", "0"], "--candidates-grid-m"),
        (["--add", "1", "--candidate-tag", "library"], "KEY=VALUE"),
        (["--add", "1", "--candidate-tag", "amenity=library:museum"], "type must be one of"),
        (["--add", "1", "--solver", "cplex"], "--solver"),
    ],
)
def test_usage_errors_exit_2(cli_runner, args, option):
    res = run(cli_runner, "site", *args)
    assert res.exit_code == 2, res.output
    assert option in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("rows", "add", "message"),
    [
        ("", 1, "sites.csv: the candidates layer is empty"),
        (
            "s1,Far away,24.80,60.30\ns2,Farther,24.70,60.40\n",
            1,
            "sites.csv: none of the 2 candidates is within max_snap_m=500 m",
        ),
        (
            "node/4751244149,Luckan again,24.9364916,60.1689567\n",
            1,
            "candidate id(s) ['node/4751244149'] are also centre ids in helsinki_centres.geojson",
        ),
        (
            "s1,One,24.9513288,60.1756254\ns2,Two,24.9493927,60.1703967\n",
            3,
            "asked for 3 new sites (--add) but only 2 of the 2 candidates are on the network",
        ),
    ],
)
def test_bad_candidates_exit_1_without_output(cli_runner, tmp_path, rows, add, message):
    sites = tmp_path / "sites.csv"
    sites.write_text("id,name,lon,lat\n" + rows, encoding="utf-8")
    res = run(cli_runner, "site", "--add", add, "--candidates", sites, "--out", tmp_path / "out")
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_graphml_network_needs_a_candidate_file_or_grid(cli_runner, tmp_path):
    network = tmp_path / "district.graphml"
    network.write_text("<graphml/>", encoding="utf-8")
    res = run(cli_runner, "site", "--add", 1, "--network", network)
    assert res.exit_code == 2
    assert "no tags to take candidate sites from" in res.output


def test_population_column_option_applies_to_communities_only(cli_runner, tmp_path, bundled):
    """--population-column renames the communities' column; centres need no such column."""
    communities = gpd.read_file(bundled[2]).rename(columns={"population": "residents"})
    communities.to_file(tmp_path / "communities.geojson")
    res = run(
        cli_runner,
        "coverage",
        "--communities",
        tmp_path / "communities.geojson",
        "--population-column",
        "residents",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["population"]["total"] == 4783.0
