"""Walking profiles: named speeds with sources, and coverage never rising as the speed falls."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from circle import coverage_report, load_network, read_layer
from circle.config import PROFILES, get_profile, parse_profiles, profile_for_speed
from circle.errors import ConfigError
from circle.report.compare import profile_table, profiles_markdown


def test_registry_speeds_and_sources():
    assert {n: p.speed_kmh for n, p in PROFILES.items()} == {
        "default": 4.0,
        "winter": 3.5,
        "elderly": 3.0,
        "wheelchair": 4.0,  # issue 20: the network changes, not the speed
    }
    assert "GB 50180-2018" in PROFILES["default"].source
    assert "ADA 2010" in PROFILES["wheelchair"].source
    assert "GB 50763-2012" in PROFILES["wheelchair"].source
    assert "doi:10.1016/j.trd.2021.102934" in PROFILES["winter"].source
    assert "doi:10.1093/ageing/afs076" in PROFILES["elderly"].source
    # the derivations the sources state: 15 + 2 min/km, and the mean of 0.9 and 0.8 m/s
    assert 60 / (15 + 2) == pytest.approx(PROFILES["winter"].speed_kmh, abs=0.05)
    assert 0.85 * 3.6 == pytest.approx(PROFILES["elderly"].speed_kmh, abs=0.1)
    with pytest.raises(ConfigError, match="unknown walking profile 'slow'"):
        get_profile("slow")
    assert [p.name for p in parse_profiles("elderly, default")] == ["default", "elderly"]
    assert parse_profiles("all") == tuple(PROFILES.values())
    assert profile_for_speed(3.5).name == "winter" and profile_for_speed(4.8) is None


@pytest.fixture(scope="module")
def helsinki(bundled, communities_with_groups):
    network, centres, _ = bundled
    return load_network(network), read_layer(centres), read_layer(communities_with_groups)


def test_coverage_never_rises_when_the_speed_falls(helsinki):
    """On the bundled data, at the three profiles and at speeds in between. The expected
    counts come from ONE run's walk distances (which do not depend on the speed): a
    community is covered at speed v within T minutes when walk_m <= T * v / 0.06."""
    net, centres, communities = helsinki
    base = coverage_report(communities, centres, net).table
    speeds = tuple(p for p in PROFILES.values() if not p.changes_network)  # speed only
    table = profile_table(communities, centres, net, profiles=speeds)
    assert list(dict.fromkeys(table["profile"])) == ["default", "winter", "elderly"]
    for minutes, rows in table.groupby("minutes"):
        rows = rows.sort_values("speed_kmh", ascending=False)
        for col in (
            "communities_covered",
            "population_covered",
            "graduates_covered",
            "veterans_covered",
        ):
            assert rows[col].is_monotonic_decreasing, (minutes, col)
        for r in rows.itertuples():
            inside = base["walk_m"] <= minutes * r.speed_kmh / 0.06 + 1e-9
            assert r.communities_covered == inside.sum()
            assert r.population_covered == pytest.approx(base.loc[inside, "population"].sum())
            assert r.graduates_covered == base.loc[inside, "graduates"].sum()
    main = table.loc[table["minutes"] == 15.0]
    assert main["communities_covered"].iloc[0] > main["communities_covered"].iloc[-1]
    md = profiles_markdown(table)
    assert "| within | default 4 km/h | winter 3.5 km/h | elderly 3 km/h |" in md
    assert "| graduates within 15 min |" in md


def run(cli_runner, *args):
    return cli_runner(["coverage", *map(str, args)], catch_exceptions=False)


def test_cli_profile_sets_the_speed(cli_runner):
    res = run(cli_runner, "--profile", "elderly", "--format", "json")
    assert res.exit_code == 0, res.output
    p = json.loads(res.stdout)["parameters"]
    assert p["walk_speed_kmh"] == 3.0 and p["walk_profile"] == "elderly"
    md = run(cli_runner, "--profile", "winter", "--format", "markdown").stdout
    assert "Walking profile **winter**" in md and "Fossum & Ryeng 2021" in md


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--profile", "elderly", "--speed-kmh", "4"], "give --profile or --speed-kmh, not both"),
        (["--profile", "fast"], "--profile"),
        (["--profiles", "elderly,fast"], "unknown walking profile 'fast'"),
    ],
)
def test_cli_profile_usage_errors_exit_2(cli_runner, args, text):
    res = run(cli_runner, *args)
    assert res.exit_code == 2 and text in res.output


def test_cli_profiles_table_files(cli_runner, tmp_path):
    res = run(cli_runner, "--profiles", "all", "--out", tmp_path, "--format", "json")
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    names = ["default", "winter", "elderly", "wheelchair"]
    assert [p["name"] for p in printed["profiles"]] == names
    csv = pd.read_csv(tmp_path / "profiles.csv")
    assert len(csv) == 12 and list(csv["profile"].unique()) == names
    assert (tmp_path / "profiles.md").read_text().startswith("# Coverage by walking profile")
    assert json.loads((tmp_path / "profiles.json").read_text()) == printed
    # the main report is the default speed's, and its 15-minute row is the table's
    s = json.loads((tmp_path / "summary.json").read_text())
    row = csv.loc[(csv["profile"] == "default") & (csv["minutes"] == 15)].iloc[0]
    assert s["thresholds"][-1]["communities_covered"] == row["communities_covered"]
