"""The bureau's files in the result folders (issue 19): ``circle coverage``, ``circle site`` and
``circle compare`` write report.xlsx and report.pdf (coverage and site also coverage.gpkg) with
the figures of their summary.json / compare.json; ``circle map --png`` writes the picture alone."""

from __future__ import annotations

import json

import pandas as pd
import pyogrio
import pytest

from circle.i18n import translator
from circle.runs.reports import COMPARE_REPORT_FILES, REPORT_FILES


def run(cli_runner, *args):
    return cli_runner([*map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def folders(cli_runner, tmp_path_factory):
    """Result folders of the bundled data: coverage in English and Chinese, at 10 minutes,
    a siting run in Chinese, and the comparison of the 15- and 10-minute runs."""
    root = tmp_path_factory.mktemp("bureau")
    runs = {
        "en": ["coverage", "--out", root / "en"],
        "zh": ["coverage", "--lang", "zh", "--out", root / "zh"],
        "ten": ["coverage", "-m", "10", "--out", root / "ten"],
        "site": ["site", "--add", "2", "--lang", "zh", "--out", root / "site"],
    }
    for args in runs.values():
        res = run(cli_runner, *args)
        assert res.exit_code == 0, res.output
    res = run(cli_runner, "compare", root / "en", root / "ten", "--out", root / "compare")
    assert res.exit_code == 0, res.output
    return root


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coverage_folder_has_the_bureau_files(folders, lang):
    _ = translator(lang)
    folder = folders / lang
    assert all((folder / name).is_file() for name in REPORT_FILES)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(REPORT_FILES) <= set(manifest["outputs"])
    summary = json.loads((folder / "summary.json").read_text())
    sheets = pd.read_excel(folder / "report.xlsx", sheet_name=None)
    left = sheets[_("Left out")]
    assert list(left[_("community_id")]) == [u["community_id"] for u in summary["uncovered"]]
    communities = sheets[_("Communities")]
    csv = pd.read_csv(folder / "coverage.csv")
    assert communities[_("population")].tolist() == csv["population"].tolist()
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    layers = [str(n) for n in pyogrio.list_layers(folder / "coverage.gpkg")[:, 0]]
    assert layers == ["communities", "centres", "bands", "layer_styles"]


def test_site_folder_has_the_proposals_layer_and_sheet(folders):
    _ = translator("zh")
    folder = folders / "site"
    assert all((folder / name).is_file() for name in REPORT_FILES)
    summary = json.loads((folder / "summary.json").read_text())
    proposals = pd.read_excel(folder / "report.xlsx", sheet_name=_("Proposed sites"))
    assert list(proposals[_("site_id")]) == [p["site_id"] for p in summary["proposals"]]
    layer = pyogrio.read_dataframe(folder / "coverage.gpkg", layer="proposals")
    assert list(layer["site_id"]) == [p["site_id"] for p in summary["proposals"]]


def test_compare_folder_has_the_workbook_and_pdf(folders):
    folder = folders / "compare"
    assert all((folder / name).is_file() for name in COMPARE_REPORT_FILES)
    summary = json.loads((folder / "compare.json").read_text())
    lost = pd.read_excel(folder / "report.xlsx", sheet_name="Lost (no longer covered)")
    assert list(lost["community_id"]) == [r["community_id"] for r in summary["lost"]]
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")


def test_map_png_writes_the_picture_alone(cli_runner, tmp_path):
    out = tmp_path / "shenhe.png"
    res = run(cli_runner, "map", "--png", "--lang", "zh", "--out", out)
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == [out]
    res = run(cli_runner, "map", "--png", "--out", tmp_path / "map.html")
    assert res.exit_code == 2 and "--png writes a .png file" in res.output


def test_no_bands_on_a_province_sized_network(shenyang, tmp_path, monkeypatch):
    """Above BAND_EDGE_LIMIT street segments the isochrones are not walked for the bureau's
    files: the GeoPackage has no bands layer and the files are still written."""
    import circle.runs.reports as reports
    from circle.coverage.core import coverage_report
    from circle.report.coverage import write_coverage_files

    net, centres, communities = shenyang
    result = coverage_report(communities, centres, net)
    write_coverage_files(result, tmp_path)
    monkeypatch.setattr(reports, "BAND_EDGE_LIMIT", len(net.edge_u) - 1)
    reports.coverage_report_files(result, net, centres).write(tmp_path)
    layers = [str(n) for n in pyogrio.list_layers(tmp_path / "coverage.gpkg")[:, 0]]
    assert layers == ["communities", "centres", "layer_styles"]
    assert (tmp_path / "report.pdf").is_file() and (tmp_path / "report.xlsx").is_file()
