"""The printable report (report.pdf): headline, map picture, tables, left out, proposals.

A PDF rather than an HTML page made for printing: a PDF looks the same on every computer and
printer, keeps its fonts (the CJK font is embedded, as a subset of the characters used, so a
leader's computer without Chinese fonts still shows the Chinese), and is what a bureau files and
forwards. It is written with ReportLab, which embeds TrueType fonts and lays out tables that
break across pages; the same inputs give the same bytes (`circle rerun` checks every file).

The tables are the workbook's (`circle.report.workbook`), so the PDF, report.xlsx and the JSON
show the same figures; only the longest lists are cut (the workbook has them whole).
"""

from __future__ import annotations

import math
import re
import warnings
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from .._text import fmt_int, fmt_pct
from ..errors import CircleWarning
from ..i18n import N_, display_width, translator
from .fonts import CJK_FONT_FILES, CJK_FONT_HINT, find_cjk_font
from .workbook import Block, Sheet, _kind, compare_sheets, coverage_sheets, siting_sheets

__all__ = ["PDF_FILE", "TOP_ROWS", "pdf_font", "printable_sheets", "write_printable"]

PDF_FILE = "report.pdf"
#: rows of a long list printed (left out, proposals, gained, lost); the workbook has them all
TOP_ROWS = 25
FALLBACK_FONT = "Helvetica"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: column headers of the English PDF, for the keys whose column name is a machine name (the
#: Chinese PDF takes the catalogue's labels, the workbook keeps the CSV files' column names)
ENGLISH_HEADERS = {
    "minutes": "walk time (min)",
    "band_min": "walk time (min)",
    "walk_m": "walk (m)",
    "walk_min": "walk (min)",
    "communities_covered": "communities covered",
    "communities_share": "share of communities",
    "population_covered": "population covered",
    "population_share": "share of population",
    "community_id": "community",
    "nearest_centre_id": "nearest centre",
    "site_id": "site",
    "population_newly_covered": "population newly covered",
    "communities_newly_covered": "communities newly covered",
    "uncovered": "left out",
}
_TEXTS = [
    N_("Printed from circle's result folder; all figures are in report.xlsx and {json}."),
    N_("… and {n} more in report.xlsx."),
    N_("Page {n}"),
    N_("Left out"),
]


@lru_cache(maxsize=4)
def pdf_font(path: str | None = None) -> str:
    """Register a CJK TrueType font with ReportLab; its name (Helvetica when there is none).

    ReportLab embeds TrueType outlines only, so fonts with PostScript (CFF) outlines, such as
    the Noto CJK .otf files, are skipped in favour of the next font found.

    Parameters
    ----------
    path
        A .ttf or .ttc file; default: the first usable one of `CJK_FONT_FILES`.

    Returns
    -------
    str
        The font name to use in styles.
    """
    import glob

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    found = find_cjk_font()
    paths = [path] if path else [p for pat in CJK_FONT_FILES for p in sorted(glob.glob(pat))]
    if found and found not in paths and not path:
        paths.append(found)
    for candidate in paths:
        try:
            pdfmetrics.registerFont(TTFont("CircleCJK", candidate, subfontIndex=0))
        except (TTFError, OSError):
            continue
        return "CircleCJK"
    return FALLBACK_FONT


def _styles(font: str) -> dict:
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=6),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4
        ),
        "body": base,
        "lead": ParagraphStyle("lead", parent=base, fontSize=11, leading=16, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "number": ParagraphStyle("number", parent=base, fontSize=8.5, leading=10.5, alignment=2),
        "note": ParagraphStyle("note", parent=base, fontSize=7.5, leading=10, textColor="#555555"),
    }


def _cell_text(value: object, key: str) -> str:
    """A cell as printed: shares as percentages, counts with separators, minutes to 0.1."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int | float) and not isinstance(value, bool):
        kind = _kind(key)
        if kind == "percent":
            return fmt_pct(value)
        if kind == "count" or kind == "metres":
            return fmt_int(value)
        if kind == "minutes":
            return f"{value:.1f}"
        return f"{value:g}" if isinstance(value, float) else str(value)
    return _CONTROL.sub(" ", str(value))  # a control character would print as a box


def _cell_style(value: object, styles: dict):
    """Numbers right-aligned, texts left."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return styles["number"] if number and not pd.isna(value) else styles["cell"]


def _table(
    block: Block, styles: dict, width: float, *, top: int | None = None, _=str, lang: str = "en"
) -> list:
    """A block as a ReportLab table (header row shaded), cut to `top` rows; flowables."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    table = block.table if top is None else block.table.head(top)
    keys = list(block.row_keys) if block.row_keys else None
    cell = styles["cell"]
    headers = [
        ENGLISH_HEADERS.get(str(k), h) if lang == "en" and not block.row_keys else h
        for k, h in zip(block.table.columns, block.headers, strict=True)
    ]
    rows = [[Paragraph(escape(h), cell) for h in headers]]
    for i, values in enumerate(table.itertuples(index=False)):
        row_keys = [keys[i]] * len(values) if keys else [str(k) for k in table.columns]
        rows.append(
            [
                Paragraph(escape(_cell_text(v, k)), _cell_style(v, styles))
                for v, k in zip(values, row_keys, strict=True)
            ]
        )
    sizes = [
        min(28, max(8, display_width(h), *(display_width(str(v)) for v in table.iloc[:, j])))
        for j, h in enumerate(headers)
    ]
    col_widths = [width * s / sum(sizes) for s in sizes]
    flowable = Table(rows, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    flowable.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#4a6b8a")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d0d0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    out = [flowable]
    if top is not None and len(block.table) > top:
        more = _("… and {n} more in report.xlsx.").format(n=len(block.table) - top)
        out.append(Paragraph(escape(more), styles["note"]))
    return out


def printable_sheets(kind: str, summary: dict, table: pd.DataFrame | None, lang: str) -> list:
    """The workbook's sheets the PDF prints from (`kind`: coverage, site or compare)."""
    empty = pd.DataFrame()
    if kind == "coverage":
        return coverage_sheets(summary, table if table is not None else empty, lang=lang)
    if kind == "site":
        return siting_sheets(summary, None, lang=lang)
    if kind == "compare":
        return compare_sheets(summary, table if table is not None else empty, lang=lang)
    msg = f"`kind` must be 'coverage', 'site' or 'compare', got {kind!r}"
    raise ValueError(msg)


def _headline(kind: str, summary: dict, _) -> str:
    """One sentence with the run's main figures."""
    if kind == "coverage":
        p = summary["parameters"]
        b = next(x for x in summary["thresholds"] if x["minutes"] == p["threshold_min"])
        text = _(
            "{covered} of {total} communities ({share}) are within a {minutes:g}-minute walk "
            "({speed:g} km/h) of an employment service centre."
        ).format(
            covered=b["communities_covered"],
            total=summary["communities"]["total"],
            share=fmt_pct(b["communities_share"]),
            minutes=p["threshold_min"],
            speed=p["walk_speed_kmh"],
        )
        if b["population_covered"] is not None:
            text += " " + _("They are home to {covered} of {total} people ({share}).").format(
                covered=fmt_int(b["population_covered"]),
                total=fmt_int(summary["population"]["total"]),
                share=fmt_pct(b["population_share"]),
            )
        return text
    if kind == "site":
        after = summary["after"]
        return _(
            "{n} proposed sites newly cover {communities} communities and {people} people; "
            "then {share} of the communities are covered."
        ).format(
            n=len(summary["proposals"]),
            communities=summary["gain"]["communities"],
            people=fmt_int(summary["gain"]["population"]),
            share=fmt_pct(after["communities_share"]),
        )
    c = summary["communities"]
    return _("From the base run to the new one: {gained} communities gained, {lost} lost.").format(
        gained=c["gained"], lost=c["lost"]
    )


def _sections(kind: str, sheets: list[Sheet], styles: dict, width: float, lang: str) -> list:
    """The tables printed after the map, with headings."""
    from reportlab.platypus import Paragraph

    _ = translator(lang)

    def heading(text: str) -> list:
        return [Paragraph(escape(text), styles["heading"])]

    out: list = []
    # the summary sheet's tables; its headline items are the lead sentence (but not a comparison's)
    blocks = sheets[0].blocks[0 if kind == "compare" else 1 :]
    late = [b for b in blocks if b.title == _("Solver")]  # for the specialist: last
    for block in blocks:
        if any(block is b for b in late):
            continue
        if block.title and block.title != sheets[0].blocks[0].title:  # not the page's title again
            out += heading(block.title)
        out += _table(block, styles, width, _=_, lang=lang)
    by_name = {s.name: s for s in sheets}
    listed = {
        "coverage": [_("Areas"), _("Left out")],
        "site": [_("Proposed sites"), _("Still left out")],
        "compare": [_("Gained (now covered)"), _("Lost (no longer covered)"), _("By area")],
    }[kind]
    for name in listed:
        if name in by_name and len(by_name[name].blocks[0].table):
            block = by_name[name].blocks[0]
            if name == _("Proposed sites"):
                block = _without(block, ("newly_covered_ids", "snap_m", "population_alone"))
            out += heading(name)
            out += _table(block, styles, width, top=TOP_ROWS, _=_, lang=lang)
    for block in late:
        out += heading(block.title or "")
        out += _table(block, styles, width, _=_, lang=lang)
    return out


def _without(block: Block, keys: tuple[str, ...]) -> Block:
    """A block without the given columns (technical ones the printed page has no room for)."""
    keep = [i for i, k in enumerate(block.table.columns) if k not in keys]
    return Block(
        table=block.table.iloc[:, keep],
        headers=[block.headers[i] for i in keep],
        title=block.title,
        row_keys=block.row_keys,
    )


def write_printable(
    path: str | Path,
    kind: str,
    summary: dict,
    *,
    table: pd.DataFrame | None = None,
    map_png: bytes | None = None,
    lang: str = "en",
) -> Path:
    """Write the printable report as a PDF (A4, CJK font embedded).

    Parameters
    ----------
    path
        Target ``.pdf`` file (replaced if it exists).
    kind
        {"coverage", "site", "compare"} The run the summary comes from.
    summary
        summary.json's dict (compare.json's for ``compare``).
    table
        coverage.csv's table (for ``coverage``; its areas and groups) or compare.csv's (for
        ``compare``); not needed for ``site``.
    map_png
        The static map picture (`circle.maps.static.static_map_png`), printed under the headline.
    lang
        {"en", "zh"} Language of the report.

    Returns
    -------
    Path
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    _ = translator(lang)
    font = pdf_font()
    if font == FALLBACK_FONT and lang == "zh":
        warnings.warn(CJK_FONT_HINT, CircleWarning, stacklevel=2)
    styles = _styles(font)
    sheets = printable_sheets(kind, summary, table, lang)
    title = _(summary["title"])
    path = Path(path)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="circle",
        creator="circle",
        invariant=1,
        lang="zh-CN" if lang == "zh" else "en",
    )
    story = [
        Paragraph(escape(title), styles["title"]),
        Paragraph(escape(_headline(kind, summary, _)), styles["lead"]),
    ]
    if map_png is not None:
        story.append(_picture(map_png, doc.width, 118 * mm))
    story += _sections(kind, sheets, styles, doc.width, lang)
    note = _("Printed from circle's result folder; all figures are in report.xlsx and {json}.")
    note = note.format(json="compare.json" if kind == "compare" else "summary.json")
    story.append(Paragraph(escape(note), styles["note"]))

    def footer(canvas, doc_) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(doc_.leftMargin, 9 * mm, "Map data © OpenStreetMap contributors (ODbL)")
        canvas.drawRightString(
            doc_.leftMargin + doc_.width, 9 * mm, _("Page {n}").format(n=doc_.page)
        )
        canvas.restoreState()

    from reportlab import rl_config

    # binary image streams: ReportLab's ASCII85 text encoding of the map runs in pure Python
    # without its C accelerator (about 0.75 s a page) and makes the file a quarter larger
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    finally:
        rl_config.useA85 = a85
    return path


def _picture(png: bytes, width: float, max_height: float):
    """The map picture scaled to the text width (and at most `max_height` high)."""
    import io

    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    w, h = ImageReader(io.BytesIO(png)).getSize()
    scale = min(width / w, max_height / h)
    return Image(io.BytesIO(png), width=w * scale, height=h * scale)
