"""The Excel workbook of a result folder (report.xlsx): summary, tables, left out, parameters.

One workbook per coverage, siting or comparison run. Every figure is taken from the run's summary
(summary.json or compare.json) or its table (coverage.csv, proposals.csv, compare.csv), so the
workbook and the JSON agree by construction; numbers are written as numbers (shares as
percentages, counts with thousands separators), texts as texts, yes/no as Excel booleans. Sheet
names, headers and the machine values (statuses, centre types, outcomes, changes) are in Chinese
under ``lang="zh"``; ids, names and file names stay as they are.

Written with XlsxWriter rather than openpyxl (which reads the workbooks back in the tests): it
writes cell formats, column widths, frozen headers and filters directly, is several times faster
on large tables, and with a fixed creation time gives byte-identical files for the same inputs
(`circle rerun` checks every output file).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._csv import FORMULA_STARTS
from ..i18n import N_, display_width, translator

__all__ = [
    "CREATED",
    "WORKBOOK_FILE",
    "Block",
    "Sheet",
    "compare_sheets",
    "coverage_sheets",
    "parameter_rows",
    "siting_sheets",
    "write_workbook",
]

WORKBOOK_FILE = "report.xlsx"
#: the workbook's "created" property: fixed, so that the same run gives the same bytes
CREATED = datetime.datetime(2000, 1, 1)
#: widest column, in characters (Chinese characters count twice)
MAX_WIDTH = 60
#: rows looked at to size a column (the widths of a 20,000-row table are set by its first rows)
WIDTH_SAMPLE = 2000


@dataclass(frozen=True)
class Block:
    """A table in a sheet.

    Attributes
    ----------
    table
        The values; its column names are the keys (as in the JSON files), which choose the
        number format of each column.
    headers
        The column headers shown (translated).
    title
        A line above the table, or None.
    row_keys
        For item/value tables: the key of each row, which chooses the format of its values
        (a share is a percentage, a count an integer).
    """

    table: pd.DataFrame
    headers: list[str]
    title: str | None = None
    row_keys: list[str] | None = None


@dataclass(frozen=True)
class Sheet:
    """A worksheet: its (translated) name and its tables, one below the other."""

    name: str
    blocks: list[Block]


#: header labels of keys whose catalogue text differs from the key
_LABELS = {
    "minutes": N_("band_min"),
    "centres_on_network": N_("on network"),
    "people_covered": N_("people covered"),
    "base_walk_min": N_("walk before (min)"),
    "new_walk_min": N_("walk now (min)"),
    "outcome": N_("why"),
    "what": N_("changed"),
    "communities_without_figure": N_("communities without a figure"),
    "share": N_("share covered"),
    "people_gained": N_("people gained"),
    "people_lost": N_("people lost"),
    "only_in_base": N_("only in the base run"),
    "only_in_new": N_("only in the new run"),
    "covered_only_in_base": N_("covered, only in the base run"),
    "covered_only_in_new": N_("covered, only in the new run"),
}
#: texts of the workbook's own labels, translated when shown
_TEXTS = [
    N_("Summary"),
    N_("Left out"),
    N_("Areas"),
    N_("Parameters and data"),
    N_("Still left out"),
    N_("Changes"),
    N_("By area"),
    N_("section"),
    N_("item"),
    N_("value"),
    N_("run"),
    N_("change"),
    N_("base_covered"),
    N_("new_covered"),
    N_("total"),
    N_("candidates"),
    N_("Parameters"),
    N_("still_covered"),
    N_("still_uncovered"),
    N_("only_in_base"),
    N_("only_in_new"),
]
#: columns whose values are machine words shown translated
_TRANSLATED_VALUES = ("status", "nearest_centre_type", "type", "outcome", "change")


def _header(key: str, _) -> str:
    return _(_LABELS.get(key, key))


def _block(
    rows: list[dict] | pd.DataFrame,
    _,
    *,
    columns: list[str] | None = None,
    title: str | None = None,
    labels: dict[str, str] | None = None,
) -> Block:
    """A table block from records (or a frame): machine values translated, headers from keys
    (or from `labels`, key -> catalogue text)."""
    table = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    if columns is not None:
        table = table.reindex(columns=columns)
    for col in _TRANSLATED_VALUES:
        if col in table.columns:
            table[col] = [_(v) if isinstance(v, str) and v else v for v in table[col]]
    labels = labels or {}
    headers = [_(labels[c]) if c in labels else _header(c, _) for c in table.columns]
    return Block(table=table, headers=headers, title=title)


def _items(pairs: list[tuple[str, str, object]], _, *, title: str | None = None) -> Block:
    """An item/value block from (key, shown label, value) triples."""
    table = pd.DataFrame({"item": [p[1] for p in pairs], "value": [p[2] for p in pairs]})
    return Block(
        table=table,
        headers=[_("item"), _("value")],
        title=title,
        row_keys=[p[0] for p in pairs],
    )


def parameter_rows(summary: dict, *, lang: str = "en") -> pd.DataFrame:
    """The run's parameters and data provenance as rows: section, item (a dotted key), value.

    Parameters
    ----------
    summary
        A summary with ``parameters`` and ``data`` (coverage and siting), or a comparison
        summary (``base``, ``new``, ``parameters_changed``).
    lang
        {"en", "zh"} Language of the section names.

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``item``, ``value``; lists are joined with ``", "``.
    """
    _ = translator(lang)
    rows: list[dict] = []

    def walk(section: str, prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(section, f"{prefix}.{k}" if prefix else str(k), v)
            return
        if isinstance(value, list | tuple):
            if all(not isinstance(v, dict | list) for v in value):
                value = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
            else:
                for i, v in enumerate(value):
                    walk(section, f"{prefix}[{i}]", v)
                return
        rows.append({"section": section, "item": prefix, "value": value})

    if "parameters" in summary:
        walk(_("Parameters"), "", summary["parameters"])
        walk(_("Data"), "", summary.get("data") or {})
    else:
        walk(_("base"), "", summary.get("base") or {})
        walk(_("new"), "", summary.get("new") or {})
        walk(_("changed"), "", summary.get("parameters_changed") or [])
    return pd.DataFrame(rows, columns=["section", "item", "value"])


def _parameter_sheet(summary: dict, lang: str, _) -> Sheet:
    table = parameter_rows(summary, lang=lang)
    headers = [_("section"), _("item"), _("value")]
    return Sheet(_("Parameters and data"), [Block(table=table, headers=headers)])


def coverage_sheets(summary: dict, table: pd.DataFrame, *, lang: str = "en") -> list[Sheet]:
    """The sheets of a coverage run's workbook.

    Parameters
    ----------
    summary
        The output of `circle.coverage.core.summarise` (as in summary.json).
    table
        The per-community table as in coverage.csv (a geometry column is dropped).
    lang
        {"en", "zh"} Language of sheet names, headers, titles and machine values.

    Returns
    -------
    list of Sheet
        Summary (headline, bands, centre types, key groups), Communities, Areas (with areas),
        Left out (ranked by population), Parameters and data.
    """
    _ = translator(lang)
    p, c, pop = summary["parameters"], summary["communities"], summary["population"]
    main = next(b for b in summary["thresholds"] if b["minutes"] == p["threshold_min"])
    minutes = p["threshold_min"]
    headline = [
        ("communities", _("communities"), c["total"]),
        (
            "communities_covered",
            _("Communities covered within {minutes:g} min").format(minutes=minutes),
            main["communities_covered"],
        ),
        ("communities_share", _("Share of communities covered"), main["communities_share"]),
        ("population", _("Population"), pop["total"]),
        (
            "population_covered",
            _("Population covered within {minutes:g} min").format(minutes=minutes),
            main["population_covered"],
        ),
        ("population_share", _("Share of population covered"), main["population_share"]),
        ("centres", _("centres"), summary["centres"]["total"]),
        ("centres_off", _("Centres off the network"), len(summary["centres"]["off_network"])),
        ("walk_speed_kmh", _("Walking speed (km/h)"), p["walk_speed_kmh"]),
    ]
    blocks = [
        _items(headline, _, title=_(summary["title"])),
        _block(
            summary["thresholds"],
            _,
            columns=["minutes", "walk_m", *_BAND_COLUMNS],
            title=_("Coverage by walk time"),
        ),
        _block(
            summary["by_centre_type"],
            _,
            title=_("By type of nearest centre"),
            labels={"type": N_("centre type")},
        ),
    ]
    if summary.get("groups"):
        title = _("Key groups within {minutes:g} minutes").format(minutes=minutes)
        blocks.append(_block(summary["groups"], _, title=title))
    communities = table.drop(columns="geometry", errors="ignore")
    sheets = [Sheet(_("Summary"), blocks), Sheet(_("Communities"), [_block(communities, _)])]
    if "areas" in summary:
        rows = [{k: v for k, v in r.items() if k != "worst_gaps"} for r in summary["areas"]["rows"]]
        sheets.append(Sheet(_("Areas"), [_block(rows, _)]))
    left = [{"rank": i + 1, **_flat_gap(g)} for i, g in enumerate(summary["uncovered"])]
    left_columns = ["rank", *_GAP_COLUMNS] if not left else None
    sheets.append(Sheet(_("Left out"), [_block(left, _, columns=left_columns)]))
    sheets.append(_parameter_sheet(summary, lang, _))
    return sheets


_BAND_COLUMNS = [
    "communities_covered",
    "communities_share",
    "population_covered",
    "population_share",
]
_GAP_COLUMNS = ["community_id", "name", "population", "walk_min", "status", "nearest_centre_id"]


def _flat_gap(gap: dict) -> dict:
    """An uncovered community of the summary as one row (its key-group counts as columns)."""
    return {k: v for k, v in gap.items() if k != "groups"} | dict(gap.get("groups") or {})


def siting_sheets(
    summary: dict, communities: pd.DataFrame | None = None, *, lang: str = "en"
) -> list[Sheet]:
    """The sheets of a siting run's workbook.

    Parameters
    ----------
    summary
        The output of `circle.siting.summary.siting_summary` (as in summary.json).
    communities
        The per-community outcome table (`SitingResult.communities`), or None.
    lang
        {"en", "zh"} Language of sheet names, headers, titles and machine values.

    Returns
    -------
    list of Sheet
        Summary (headline, before and after, solver), Proposed sites, Communities (when given),
        Still left out, Parameters and data.
    """
    _ = translator(lang)
    cand, gain = summary["candidates"], summary["gain"]
    headline = [
        ("proposals", _("Proposed sites"), len(summary["proposals"])),
        ("candidates", _("candidates"), cand["total"]),
        (
            "candidates_reaching",
            _("Candidates reaching people left out"),
            cand["reaching_uncovered"],
        ),
        ("communities_gain", _("communities newly covered"), gain["communities"]),
        ("population_gain", _("population newly covered"), gain["population"]),
    ]
    before_after = [
        {"row": _(k), **summary[k]} for k in ("before", "after") if summary.get(k) is not None
    ]
    table = pd.DataFrame(before_after, columns=["row", *_BAND_COLUMNS])
    solver = [(f"solver_{k}", k, v) for k, v in summary["solver"].items()]
    blocks = [
        _items(headline, _, title=_(summary["title"])),
        Block(
            table=table,
            headers=["", *[_header(k, _) for k in _BAND_COLUMNS]],
            title=_("Before and after"),
        ),
        _items(solver, _, title=_("Solver")),
    ]
    sheets = [
        Sheet(_("Summary"), blocks),
        Sheet(
            _("Proposed sites"),
            [_block(summary["proposals"], _, columns=_proposal_columns(summary))],
        ),
    ]
    if communities is not None:
        frame = pd.DataFrame(communities).drop(columns="geometry", errors="ignore")
        sheets.append(Sheet(_("Communities"), [_block(frame, _)]))
    left_columns = ["community_id", "name", "population", "outcome"]
    left_columns[3:3] = ["demand"] if summary.get("demand") else []
    left = _block(summary["left_out"], _, columns=left_columns)
    sheets.append(Sheet(_("Still left out"), [left]))
    sheets.append(_parameter_sheet(summary, lang, _))
    return sheets


def _proposal_columns(summary: dict) -> list[str]:
    from ..siting.result import PROPOSAL_COLUMNS

    extra = [k for r in summary["proposals"] for k in r if k not in PROPOSAL_COLUMNS]
    return [*PROPOSAL_COLUMNS, *dict.fromkeys(extra)]


def compare_sheets(summary: dict, changes: pd.DataFrame, *, lang: str = "en") -> list[Sheet]:
    """The sheets of a comparison's workbook.

    Parameters
    ----------
    summary
        The comparison summary (`circle.report.compare.Comparison.summary`, as in compare.json).
    changes
        One row per community (`Comparison.changes`, as in compare.csv).
    lang
        {"en", "zh"} Language of sheet names, headers, titles and machine values.

    Returns
    -------
    list of Sheet
        Summary (the two runs, gains and losses, key groups), Changes, Gained, Lost, By area
        (when compared by area), Parameters and data.
    """
    _ = translator(lang)
    runs = pd.DataFrame([{"row": _(k), **summary[k]} for k in ("base", "new")])
    counts = [(k, _header(k, _), v) for k, v in summary["communities"].items()]
    blocks = [
        Block(
            table=runs,
            headers=["", *[_header(k, _) for k in runs.columns[1:]]],
            title=_(summary["title"]),
        ),
        _items(counts, _, title=_("Changes")),
    ]
    if summary.get("groups"):
        blocks.append(_block(summary["groups"], _))
    listing = ["community_id", "name", "population", "base_walk_min", "new_walk_min"]
    sheets = [
        Sheet(_("Summary"), blocks),
        Sheet(_("Changes"), [_block(changes, _)]),
        Sheet(_("Gained (now covered)"), [_block(summary["gained"], _, columns=listing)]),
        Sheet(_("Lost (no longer covered)"), [_block(summary["lost"], _, columns=listing)]),
    ]
    if summary.get("by_area"):
        sheets.append(Sheet(_("By area"), [_block(summary["by_area"], _)]))
    sheets.append(_parameter_sheet(summary, lang, _))
    return sheets


# ---- writing ------------------------------------------------------------------------------------

#: number formats by kind
_FORMATS = {
    "percent": "0.0%",
    "count": "#,##0",
    "minutes": "0.00",
    "metres": "0.0",
    "number": "General",
}


def _kind(key: str) -> str:
    """The number format kind of a column (or an item/value row) from its key."""
    if key.endswith("share") or key == "share":
        return "percent"
    if key.endswith("walk_min"):
        return "minutes"
    if key in ("walk_m", "snap_m") or key.endswith("_m"):
        return "metres"
    count_words = ("communities", "population", "people", "centres", "covered", "gain", "lost")
    if key in ("rank", "total", "uncovered", "candidates", "proposals", "features") or any(
        w in key for w in count_words
    ):
        return "count"
    return "number"


def _text_width(value: object) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return display_width(str(value))


def _write_block(ws, row: int, block: Block, formats: dict, bold) -> tuple[int, list[int]]:
    """Write one block from `row` down; return the next free row and the column widths."""
    table = block.table
    widths = [display_width(h) for h in block.headers]
    if block.title:
        _write_text(ws, row, 0, block.title, formats["title"], formats["quoted title"])
        row += 1
    for j, header in enumerate(block.headers):
        _write_text(ws, row, j, header, bold, formats["quoted bold"])
    first = row + 1
    for j, key in enumerate(table.columns):
        column = table[key]
        if block.row_keys:
            for i, (value, k) in enumerate(zip(column.tolist(), block.row_keys, strict=True)):
                _write_cell(ws, first + i, j, value, formats[_kind(k)], formats["quoted"])
        else:
            _write_column(ws, first, j, column, formats[_kind(str(key))], formats["quoted"])
        sample = column.iloc[:WIDTH_SAMPLE].tolist()
        widths[j] = max([widths[j], *(_text_width(v) for v in sample)])
    return first + len(table) + 1, widths


def _write_text(ws, row: int, col: int, value: str, fmt=None, quoted=None) -> None:
    """A text cell, always written as a string, never as a formula. One that begins like a
    formula (``= + - @``, tab, CR) also gets Excel's quote prefix, the workbook's form of the
    OWASP apostrophe: Excel and WPS show the text as it is (no apostrophe in the cell, one in the
    formula bar), and editing the cell keeps it text. The value itself is unchanged."""
    if value.startswith(FORMULA_STARTS):
        ws.write_string(row, col, value, quoted)
    elif fmt is None:
        ws.write_string(row, col, value)
    else:
        ws.write_string(row, col, value, fmt)


def _write_column(ws, first: int, col: int, column: pd.Series, fmt, quoted) -> None:
    """A column's cells: numbers, booleans and texts by the column's type (blank when missing)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        for i, value in enumerate(column.tolist()):
            ws.write_boolean(first + i, col, value)
    elif pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=float)
        for i in np.flatnonzero(np.isfinite(values)).tolist():
            ws.write_number(first + i, col, values[i], fmt)
    else:
        for i, value in enumerate(column.tolist()):
            if isinstance(value, str):
                if value:
                    _write_text(ws, first + i, col, value, quoted=quoted)
            else:
                _write_cell(ws, first + i, col, value, fmt, quoted)


def _write_cell(ws, row: int, col: int, value: object, fmt, quoted) -> None:
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return
    if isinstance(value, bool | np.bool_):
        ws.write_boolean(row, col, bool(value))
    elif isinstance(value, int | float | np.integer | np.floating):
        ws.write_number(row, col, float(value), fmt)
    else:
        _write_text(ws, row, col, str(value), quoted=quoted)


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name: no ``[]:*?/\\``, at most 31 characters."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        candidate = f"{clean[: 31 - len(str(n)) - 1]} {n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def write_workbook(sheets: list[Sheet], path: str | Path) -> Path:
    """Write sheets as an .xlsx workbook: formats, column widths, frozen header and filter.

    Parameters
    ----------
    sheets
        From `coverage_sheets`, `siting_sheets` or `compare_sheets`.
    path
        Target file (replaced if it exists).

    Returns
    -------
    Path
    """
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": CREATED, "title": sheets[0].blocks[0].title or ""})
    formats = {kind: wb.add_format({"num_format": f}) for kind, f in _FORMATS.items()}
    formats["title"] = wb.add_format({"bold": True, "font_size": 13})
    bold = wb.add_format({"bold": True, "bottom": 1, "text_wrap": False})
    formats["quoted"] = wb.add_format({"quote_prefix": True})
    formats["quoted title"] = wb.add_format({"bold": True, "font_size": 13, "quote_prefix": True})
    formats["quoted bold"] = wb.add_format(
        {"bold": True, "bottom": 1, "text_wrap": False, "quote_prefix": True}
    )
    used: set[str] = set()
    for sheet in sheets:
        ws = wb.add_worksheet(_sheet_name(sheet.name, used))
        row = 0
        widths: dict[int, int] = {}
        for block in sheet.blocks:
            row, block_widths = _write_block(ws, row, block, formats, bold)
            for j, width in enumerate(block_widths):
                widths[j] = max(widths.get(j, 0), width)
        for j, width in widths.items():
            ws.set_column(j, j, min(MAX_WIDTH, width + 2))
        if len(sheet.blocks) == 1 and not sheet.blocks[0].title:
            table = sheet.blocks[0].table
            ws.freeze_panes(1, 0)
            if len(table.columns):
                ws.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)
    wb.close()
    return path
