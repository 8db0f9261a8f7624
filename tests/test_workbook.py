"""report.xlsx (issue 19): opens with openpyxl and pandas, its figures equal summary.json's and
compare.json's, in English and in Chinese; numbers are numbers, shares percentages."""

from __future__ import annotations

import hashlib

import openpyxl
import pandas as pd
import pytest

from circle.i18n import translator
from circle.report.workbook import compare_sheets, coverage_sheets, siting_sheets, write_workbook
from tests.reports_fixtures import make_runs

LANGS = ["en", "zh"]


@pytest.fixture(scope="module")
def runs(shenyang, tmp_path_factory):
    return make_runs(shenyang, tmp_path_factory.mktemp("runs"))


def _write(runs, kind: str, lang: str, path) -> None:
    summary = runs.summary(kind)
    if kind == "coverage":
        sheets = coverage_sheets(summary, runs.table(kind), lang=lang)
    elif kind == "site":
        sheets = siting_sheets(summary, runs.siting.communities, lang=lang)
    else:
        sheets = compare_sheets(summary, runs.table(kind), lang=lang)
    write_workbook(sheets, path)


def _block(ws, headers: list[str]) -> list[tuple]:
    """The rows under the header row `headers` in a sheet (up to the first empty row)."""
    rows = list(ws.iter_rows(values_only=True))
    for i, row in enumerate(rows):
        if [c for c in row[: len(headers)]] == headers:
            out = []
            for r in rows[i + 1 :]:
                if all(c is None for c in r):
                    break
                out.append(r[: len(headers)])
            return out
    msg = f"no header row {headers} in {ws.title}"
    raise AssertionError(msg)


@pytest.mark.parametrize("lang", LANGS)
def test_coverage_workbook_equals_summary_json(runs, tmp_path, lang):
    _ = translator(lang)
    path = tmp_path / "report.xlsx"
    _write(runs, "coverage", lang, path)
    summary = runs.summary("coverage")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        _("Summary"),
        _("Communities"),
        _("Left out"),
        _("Parameters and data"),
    ]
    ws = wb[_("Summary")]
    band_headers = [
        _(h)
        for h in (
            "band_min",
            "walk_m",
            "communities_covered",
            "communities_share",
            "population_covered",
            "population_share",
        )
    ]
    bands = _block(ws, band_headers)
    expected = [
        (
            b["minutes"],
            b["walk_m"],
            b["communities_covered"],
            b["communities_share"],
            b["population_covered"],
            b["population_share"],
        )
        for b in summary["thresholds"]
    ]
    assert bands == expected
    types = _block(ws, [_("centre type"), _("centres"), _("on network")])
    assert [r[0] for r in types] == [_(t["type"]) for t in summary["by_centre_type"]]
    assert [r[1] for r in types] == [t["centres"] for t in summary["by_centre_type"]]
    # shares are percentages, counts numbers (not text)
    share_cell = next(c for row in ws.iter_rows() for c in row if c.value == bands[0][3])
    assert share_cell.number_format == "0.0%" and share_cell.data_type == "n"
    # the per-community sheet equals coverage.csv, and the left out are ranked as in the summary
    frames = pd.read_excel(path, sheet_name=None)
    table = frames[_("Communities")]
    csv = runs.table("coverage")
    assert list(table[_("community_id")]) == list(csv["community_id"])
    assert table[_("walk_min")].tolist() == pytest.approx(csv["walk_min"].tolist(), nan_ok=True)
    assert table[_("covered")].tolist() == csv["covered"].tolist()
    left = frames[_("Left out")]
    assert list(left[_("community_id")]) == [u["community_id"] for u in summary["uncovered"]]
    assert list(left[_("population")]) == [u["population"] for u in summary["uncovered"]]
    params = frames[_("Parameters and data")]
    speed = params.loc[params[_("item")] == "walk_speed_kmh", _("value")].item()
    assert float(speed) == summary["parameters"]["walk_speed_kmh"]


@pytest.mark.parametrize("lang", LANGS)
def test_siting_workbook_equals_summary_json(runs, tmp_path, lang):
    _ = translator(lang)
    path = tmp_path / "report.xlsx"
    _write(runs, "site", lang, path)
    summary = runs.summary("site")
    frames = pd.read_excel(path, sheet_name=None)
    assert list(frames) == [
        _("Summary"),
        _("Proposed sites"),
        _("Communities"),
        _("Still left out"),
        _("Parameters and data"),
    ]
    proposals = frames[_("Proposed sites")]
    assert list(proposals[_("site_id")]) == [p["site_id"] for p in summary["proposals"]]
    assert list(proposals[_("population_newly_covered")]) == [
        p["population_newly_covered"] for p in summary["proposals"]
    ]
    ws = openpyxl.load_workbook(path)[_("Summary")]
    headers = ["", _("communities_covered"), _("communities_share"), _("population_covered")]
    rows = _block(ws, headers)
    assert rows == [
        (
            _(k),
            summary[k]["communities_covered"],
            summary[k]["communities_share"],
            summary[k]["population_covered"],
        )
        for k in ("before", "after")
    ]
    assert len(frames[_("Still left out")]) == len(summary["left_out"])


@pytest.mark.parametrize("lang", LANGS)
def test_compare_workbook_equals_compare_json(runs, tmp_path, lang):
    _ = translator(lang)
    path = tmp_path / "report.xlsx"
    _write(runs, "compare", lang, path)
    summary = runs.summary("compare")
    wb = openpyxl.load_workbook(path)
    ws = wb[_("Summary")]
    counts = dict(_block(ws, [_("item"), _("value")]))
    assert counts[_("gained")] == summary["communities"]["gained"]
    assert counts[_("lost")] == summary["communities"]["lost"]
    assert counts[_("people lost")] == summary["communities"]["people_lost"]
    frames = pd.read_excel(path, sheet_name=None)
    lost = frames[_("Lost (no longer covered)")]
    assert list(lost[_("community_id")]) == [r["community_id"] for r in summary["lost"]]
    changes = frames[_("Changes")]
    assert len(changes) == len(runs.table("compare"))
    assert set(changes[_("change")]) <= {_(c) for c in runs.table("compare")["change"]}


def test_the_same_inputs_give_the_same_bytes(runs, tmp_path):
    digests = set()
    for name in ("a.xlsx", "b.xlsx"):
        _write(runs, "coverage", "zh", tmp_path / name)
        digests.add(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert len(digests) == 1
