"""Hostile names in the bureau's files (issue 19): the workbook keeps them as text (never a
formula), the PDF prints them as text (never markup), the GeoPackage keeps them unchanged."""

from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
import pandas as pd
import pyogrio
import pytest

from circle.coverage.core import coverage_report, summarise
from circle.maps.geopackage import write_geopackage
from circle.report.coverage import coverage_table_for_output, summary_json
from circle.report.printable import write_printable
from circle.report.workbook import coverage_sheets, write_workbook

from .hostile import HOSTILE_NAMES, visible

NAMES = [*HOSTILE_NAMES, "=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0"]


def _ooxml_text(text: str) -> str:
    """A cell's text with OOXML's ``_xHHHH_`` escapes of control characters decoded, as Excel
    shows it (openpyxl returns them as they are stored)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


@pytest.fixture(scope="module")
def hostile_run(shenyang):
    import json

    net, centres, communities = shenyang
    communities = communities.copy()
    communities["name"] = [NAMES[i % len(NAMES)] for i in range(len(communities))]
    centres = centres.copy()
    centres["name"] = NAMES[: len(centres)]
    result = coverage_report(communities, centres, net)
    summary = json.loads(summary_json(summarise(result)))
    table = pd.DataFrame(coverage_table_for_output(result).drop(columns="geometry"))
    return result, summary, table


def test_workbook_keeps_names_as_text(hostile_run, tmp_path):
    _result, summary, table = hostile_run
    path = write_workbook(coverage_sheets(summary, table), tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(path)["Communities"]
    names = [_ooxml_text(row[1]) for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names == list(table["name"])
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)  # no formula, whatever the name


def test_pdf_prints_names_as_text(hostile_run, tmp_path):
    _result, summary, table = hostile_run
    path = write_printable(tmp_path / "report.pdf", "coverage", summary, table=table)
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext missing: apt-get install poppler-utils")
    text = "".join(subprocess.run([tool, str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    left = [u["name"] for u in summary["uncovered"]]
    # each printed name reads as itself (whitespace aside: the extraction drops some)
    assert left and all("".join(visible(n).split()) in text for n in left)


def test_geopackage_keeps_names_unchanged(hostile_run, tmp_path):
    result, _summary, table = hostile_run
    path = write_geopackage(tmp_path / "coverage.gpkg", result)
    layer = pyogrio.read_dataframe(path, layer="communities")
    assert list(layer["name"]) == list(table["name"])
