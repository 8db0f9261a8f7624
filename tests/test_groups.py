"""Key groups: who is left out; covered + uncovered = total per group, overall and per area."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from circle import coverage_report, load_network, read_layer
from circle.coverage.core import COLUMNS, summarise
from circle.coverage.groups import DEFAULT_GROUP_COLUMNS, group_coverage, resolve_group_columns
from circle.errors import InputDataError
from circle.report.coverage import summary_markdown, summary_text

GROUPS = ("graduates", "migrant_workers", "veterans", "unemployed", "low_income")


@pytest.fixture(scope="module")
def result(bundled, communities_with_groups):
    network, centres, _ = bundled
    return coverage_report(
        read_layer(communities_with_groups), read_layer(centres), load_network(network)
    )


def test_documented_group_columns_are_found_and_carried(result):
    assert result.groups == GROUPS  # new_employment_forms is absent from the file
    assert set(GROUPS) <= set(DEFAULT_GROUP_COLUMNS)
    assert list(result.table.columns[-len(GROUPS) - 1 : -1]) == list(GROUPS)


def test_group_shares_add_up_overall_and_per_area(result):
    """The area column is added here (east/west of the median x of the representative
    points); overall and per-area numbers are recomputed from the table with pandas."""
    t = pd.DataFrame(result.table.drop(columns="geometry"))
    x = result.table.geometry.representative_point().x
    t["area"] = np.where(x < x.median(), "west", "east")
    overall = group_coverage(t, GROUPS)
    by_area = group_coverage(t, GROUPS, by="area")
    assert (overall["covered"] + overall["uncovered"] == overall["total"]).all()
    assert (by_area["covered"] + by_area["uncovered"] == by_area["total"]).all()
    assert by_area["area"].isna().sum() == len(GROUPS)  # the overall rows come first
    areas = by_area.dropna(subset=["area"])
    assert sorted(set(areas["area"])) == ["east", "west"]
    for g in GROUPS:
        counts = t[g].fillna(0)
        o = overall.set_index("group").loc[g]
        assert o.total == counts.sum()
        assert o.covered == counts[t["covered"]].sum()
        assert o.uncovered == counts[~t["covered"]].sum()
        assert o.share == pytest.approx(o.covered / o.total)
        per = areas.loc[areas["group"] == g]
        for col in ("total", "covered", "uncovered"):
            assert per[col].sum() == o[col]
        for a in ("east", "west"):
            inside = t["area"] == a
            p = per.set_index("area").loc[a]
            assert p.covered == counts[inside & t["covered"]].sum()
    assert overall.set_index("group").loc["veterans", "communities_without_figure"] == 1


def test_summary_reports_every_group(result):
    s = summarise(result)
    assert [g["group"] for g in s["groups"]] == list(GROUPS)
    left_out = {u["community_id"]: u for u in s["uncovered"]}
    for g in s["groups"]:
        assert g["covered"] + g["uncovered"] == g["total"]
        assert g["uncovered"] == sum((u["groups"][g["group"]] or 0) for u in left_out.values())
    assert "## Key groups within 15 minutes" in summary_markdown(s)
    assert "key groups covered: graduates" in summary_text(s)


def test_no_group_columns_means_no_group_section(bundled):
    network, centres, communities = bundled
    res = coverage_report(read_layer(communities), read_layer(centres), load_network(network))
    s = summarise(res)
    assert res.groups == () and s["groups"] == []
    assert "Key groups" not in summary_markdown(s)


def test_bad_group_columns_are_refused(communities_with_groups):
    layer = read_layer(communities_with_groups)
    with pytest.raises(InputDataError, match="no group column 'retirees'"):
        resolve_group_columns(layer, ["graduates", "retirees"])
    with pytest.raises(InputDataError, match=r"\['status'\] cannot be group columns"):
        resolve_group_columns(layer, ["status"], reserved=tuple(COLUMNS))
    layer["graduates"] = layer["graduates"].astype(object)
    layer.loc[1, "graduates"] = "many"
    layer.loc[4, "unemployed"] = -3
    with pytest.raises(InputDataError) as err:
        resolve_group_columns(layer, ["graduates", "unemployed"])
    assert "communities_groups.geojson: non-numeric count in column 'graduates' in feature 2" in (
        str(err.value)
    )
    assert "negative count in column 'unemployed' in feature 5" in str(err.value)


def test_cli_group_columns(cli_runner, communities_with_groups, tmp_path):
    args = ["coverage", "--communities", communities_with_groups, "--format", "json"]
    res = cli_runner([*map(str, args), "--group-columns", "veterans,graduates"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert [g["group"] for g in s["groups"]] == ["veterans", "graduates"]
    res = cli_runner([*map(str, args), "--group-columns", "retirees"])
    assert res.exit_code == 1 and "no group column 'retirees'" in res.output
    res = cli_runner([*map(str, args[:3]), "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "coverage.csv")
    # the group columns in their order, then issue 22's station_inside (polygon communities)
    assert list(table.columns[-len(GROUPS) - 1 : -1]) == list(GROUPS)
    assert table.columns[-1] == "station_inside"
