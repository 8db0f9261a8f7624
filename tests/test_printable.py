"""report.pdf (issue 19): written for coverage, siting and comparison runs in English and
Chinese; its first page rendered to PNG (poppler's pdftoppm) is not blank, and its Chinese title
is drawn with the embedded CJK font (not as empty boxes)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import numpy as np
import pytest

from circle.i18n import translator
from circle.maps.static import static_map_png
from circle.report.printable import FALLBACK_FONT, _styles, pdf_font, write_printable
from tests.reports_fixtures import make_runs

DPI = 72  # one pixel per point: page positions in points are pixel rows


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        msg = f"{tool} missing: apt-get install poppler-utils (scripts/install-system-deps.sh)"
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def runs(shenyang, tmp_path_factory):
    return make_runs(shenyang, tmp_path_factory.mktemp("runs"))


def _first_page(pdf, tmp_path) -> np.ndarray:
    """Page 1 as a grey-scale array (0 black .. 255 white)."""
    from PIL import Image

    subprocess.run(
        [
            _need("pdftoppm"),
            "-r",
            str(DPI),
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    return np.asarray(Image.open(tmp_path / "page.png").convert("L"), dtype=float)


def _title_only(path, title: str, font: str) -> None:
    """A PDF with the title alone, laid out as write_printable lays out its title."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        invariant=1,
    )
    doc.build([Paragraph(title, _styles(font)["title"])])


@pytest.mark.parametrize("kind", ["coverage", "site", "compare"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_pdf_first_page_is_drawn(runs, tmp_path, kind, lang):
    png = static_map_png(runs.coverage, isochrones=runs.isochrones, lang=lang, dpi=60)
    pdf = write_printable(
        tmp_path / "report.pdf",
        kind,
        runs.summary(kind),
        table=runs.table(kind),
        map_png=png if kind != "compare" else None,
        lang=lang,
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    page = _first_page(pdf, tmp_path)
    inked = (page < 200).mean()
    assert 0.01 < inked < 0.6, f"page 1 looks blank or black ({inked:.1%} inked)"


def test_chinese_title_is_drawn_with_the_embedded_cjk_font(runs, tmp_path):
    _ = translator("zh")
    title = _(runs.summary("coverage")["title"])
    font = pdf_font()
    assert font != FALLBACK_FONT, "no CJK TrueType font: apt-get install fonts-wqy-microhei"
    pdf = write_printable(
        tmp_path / "report.pdf",
        "coverage",
        runs.summary("coverage"),
        table=runs.table("coverage"),
        lang="zh",
    )
    fonts = subprocess.run(
        [_need("pdffonts"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [
        line
        for line in fonts.splitlines()
        if "WenQuanYi" in line or "CJK" in line or "Noto" in line or "Droid" in line
    ]
    assert cjk and all(" yes yes " in line for line in cjk), fonts  # embedded, subset

    # the title band of page 1 against the same text drawn with the CJK font, and with a
    # font without Chinese glyphs (what empty boxes look like)
    band = slice(0, int(14 / 25.4 * 72 + 26))
    report = _first_page(pdf, tmp_path)[band]
    (tmp_path / "ref").mkdir()
    (tmp_path / "tofu").mkdir()
    _title_only(tmp_path / "ref.pdf", title, font)
    _title_only(tmp_path / "tofu.pdf", title, FALLBACK_FONT)
    reference = _first_page(tmp_path / "ref.pdf", tmp_path / "ref")[band]
    tofu = _first_page(tmp_path / "tofu.pdf", tmp_path / "tofu")[band]
    assert (reference < 128).sum() > 100  # the reference has ink
    assert np.abs(report - reference).mean() < 1.0
    assert np.abs(report - tofu).mean() > 5 * max(np.abs(report - reference).mean(), 0.2)


def test_the_same_inputs_give_the_same_pdf(runs, tmp_path):
    digests = {
        hashlib.sha256(
            write_printable(tmp_path / name, "site", runs.summary("site"), lang="zh").read_bytes()
        ).hexdigest()
        for name in ("a.pdf", "b.pdf")
    }
    assert len(digests) == 1
