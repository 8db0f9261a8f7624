"""Data strings (names, ids, types, file names) reach people as text, never as markup or codes.

summary.md is rendered by Markdown viewers that pass HTML through; the check renders it with a
CommonMark renderer (markdown-it-py, an independent implementation) and inspects the HTML.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from circle import CircleConfig, coverage_report, summarise
from circle.errors import CircleWarning
from circle.report.coverage import summary_json, summary_markdown, summary_text

from .conftest import points
from .hostile import HOSTILE_NAMES, REPORT_TAGS, assert_inert_html, assert_no_raw_markup

RENDER = MarkdownIt("commonmark").enable("table").render
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the line feed


def hostile_result(line_network):
    """Generated: every community 300 m from the centres on a 400 m street, the circle 1 minute
    (67 m) wide, so all are left out and listed with their names and nearest centre ids."""
    names = HOSTILE_NAMES
    communities = points(
        [(f"h{i}", 300.0 + i, 5.0, name, 10.0 * (i + 1), names[-1 - i]) for i, name in
         enumerate(names)],
        columns=("id", "x", "y", "name", "population", "population_source"),
    )
    communities.attrs["source"] = names[2]
    centres = points(
        [(names[0], 0.0, 0.0, names[1]), (names[3], 10.0, 0.0, names[9]),
         (names[4], 0.0, 5000.0, "other")],
        columns=("id", "x", "y", "type"),
    )
    centres.attrs["source"] = names[6]
    line_network.source["file"] = names[8]
    config = CircleConfig(thresholds_min=(1.0,), max_snap_m=100.0)
    # the hostile type values are none of the six types: counted as other, with a warning
    with pytest.warns(CircleWarning, match="counted as other"):
        return coverage_report(communities, centres, line_network, config=config)


def test_markdown_report_shows_data_strings_as_plain_text(line_network):
    summary = summarise(hostile_result(line_network))
    md = summary_markdown(summary, top=50)
    assert_inert_html(RENDER(md), HOSTILE_NAMES, REPORT_TAGS)
    # the table keeps its shape: every row of the left-out table has its 6 cells
    rows = [line for line in md.splitlines() if line.startswith("| h")]
    assert len(rows) == len(HOSTILE_NAMES)
    assert all(len(re.split(r"(?<!\\)\|", row)) == 8 for row in rows)


def test_escaping_is_presentation_only_json_keeps_the_data(line_network):
    summary = summarise(hostile_result(line_network))
    back = json.loads(summary_json(summary))
    assert sorted(r["name"] for r in back["uncovered"]) == sorted(HOSTILE_NAMES)
    assert back["data"]["network"]["file"] == HOSTILE_NAMES[8]


def test_terminal_summary_has_no_control_characters(line_network):
    text = summary_text(summarise(hostile_result(line_network)))
    assert not CONTROL.search(text)
    assert HOSTILE_NAMES[9] in text  # plain text stays as it is on a terminal


def test_cli_report_with_a_hostile_file_name_and_ids(cli_runner, tmp_path):
    """A centres CSV named like an HTML tag, holding hostile ids (at the bundled centres'
    places): summary.md renders as plain text showing the file name and the centre ids."""
    centres = pd.DataFrame(
        {
            "id": HOSTILE_NAMES[:4],
            "lon": [24.93649, 24.9396, 24.93704, 24.95274],
            "lat": [60.16896, 60.16479, 60.16898, 60.168],
        }
    )
    name = "<img src=x onerror=alert(1)>.csv"
    centres.to_csv(tmp_path / name, index=False)
    out = tmp_path / "out"
    res = cli_runner(
        ["coverage", "--centres", str(tmp_path / name), "-m", "3", "--out", str(out)],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ids = {r["nearest_centre_id"] for r in summary["uncovered"]} - {None}
    assert ids and ids <= set(HOSTILE_NAMES)
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert_inert_html(RENDER(md), [name, *ids], REPORT_TAGS)
    assert_no_raw_markup(md, [name, *ids])


def test_coverage_map_holds_no_raw_hostile_markup(line_network):
    """The folium map (which legitimately holds scripts) never carries a hostile name verbatim."""
    from circle.maps.coverage_map import coverage_map, map_html

    html = map_html(coverage_map(hostile_result(line_network)))
    assert_no_raw_markup(html, HOSTILE_NAMES)


def test_compare_report_shows_data_strings_as_plain_text(cli_runner, tmp_path):
    """`circle compare` of two runs whose communities have hostile names and ids: compare.md
    renders as plain text listing them."""
    communities = pd.DataFrame(
        {
            "id": HOSTILE_NAMES[:6],
            "name": HOSTILE_NAMES[6:12],
            "lon": [24.9365, 24.9396, 24.9370, 24.9527, 24.9450, 24.9410],
            "lat": [60.1690, 60.1648, 60.1690, 60.1680, 60.1700, 60.1660],
        }
    )
    path = tmp_path / "communities.csv"
    communities.to_csv(path, index=False)
    for name, speed in (("base", "2"), ("new", "5")):
        res = cli_runner(
            ["-q", "coverage", "--communities", str(path), "-m", "4", "--speed-kmh", speed,
                  "--out", str(tmp_path / name)],
            catch_exceptions=False,
        )
        assert res.exit_code == 0, res.output
    out = tmp_path / "compare"
    res = cli_runner(["compare", str(tmp_path / "base"), str(tmp_path / "new"), "--out",
                              str(out), "--lang", "en"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    gained = json.loads((out / "compare.json").read_text(encoding="utf-8"))["gained"]
    shown = [s for r in gained for s in (r["community_id"], r["name"])]
    assert shown
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert_inert_html(RENDER(md), shown, REPORT_TAGS | {"code"})
    assert_no_raw_markup((out / "compare_map.html").read_text(encoding="utf-8"), HOSTILE_NAMES)
