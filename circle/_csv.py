"""The one CSV writer of circle, safe to open in a spreadsheet, and its reverse for reading back.

Formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula, so a community named
``=HYPERLINK(...)`` would become a live link in Excel or WPS. Every text cell (and column name)
that begins with one of these gets a leading apostrophe, which spreadsheets show as text and
hide. So that reading back is exact, a text that itself begins with an apostrophe followed by
one of these characters (or by another apostrophe) gets one too; :func:`restore` removes exactly
that apostrophe. Numbers (a negative walk time, say) are never touched, and a CSV without such
cells is byte for byte what it was before.

Every field holding a comma, a quote, a line feed or a carriage return is quoted, so a name with
a line break stays in its row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "restore", "save_csv"]

#: first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = (*FORMULA_STARTS, "'")
#: the cells `neutralise` changes: a formula start, or an apostrophe before one (or another)
_FORMULA = re.compile("[=+\\-@\t\r]|'[=+\\-@\t\r']")


def neutralise(value):
    """A text cell made inert for spreadsheets (a leading apostrophe when needed); anything
    else as it is."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or (value[:1] == "'" and value[1:2] in _ESCAPED)
    ):
        return "'" + value
    return value


def restore(value):
    """The text :func:`neutralise` was given: one leading apostrophe it added, removed."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in _ESCAPED and value[1:2]:
        return value[1:]
    return value


def _text_columns(table: pd.DataFrame) -> list:
    return [
        c
        for c in table.columns
        if pd.api.types.is_object_dtype(table[c]) or pd.api.types.is_string_dtype(table[c])
    ]


def save_csv(
    table: pd.DataFrame, path: str | Path | BinaryIO, *, encoding: str = "utf-8"
) -> None:
    """Write `table` (no index) as CSV with LF line ends, formula cells neutralised, every field
    with a delimiter, quote, LF or CR quoted.

    Parameters
    ----------
    table
        The table; not modified.
    path
        Target file.
    encoding
        ``utf-8``, or ``utf-8-sig`` for Excel (a byte-order mark).
    """
    text = _text_columns(table)
    needs = [c for c in text if _any_text(table[c], _needs_apostrophe)]
    header = [neutralise(str(c)) for c in table.columns]
    if needs or header != [str(c) for c in table.columns]:
        table = table.copy()
        for c in needs:
            table[c] = table[c].map(neutralise)
        table.columns = header
    # pandas' csv quotes minimal fields by the line terminator's characters only: with "\n" a
    # lone "\r" would go unquoted and split the row in every reader
    carriage = [c for c in _text_columns(table) if _any_text(table[c], _has_cr)]
    quoting = csv.QUOTE_NONNUMERIC if carriage else csv.QUOTE_MINIMAL
    if carriage:
        table = table.copy()
        table[carriage] = table[carriage].astype(object)
    table.to_csv(path, index=False, lineterminator="\n", encoding=encoding, quoting=quoting)


def _has_cr(value: str) -> bool:
    return "\r" in value


def _needs_apostrophe(value: str) -> bool:
    return _FORMULA.match(value) is not None


def _any_text(column: pd.Series, test: Callable[[str], bool]) -> bool:
    """Whether `test` holds for a text cell of `column`: in bulk on a string column (Arrow),
    else in one plain pass (a third of the time of ``Series.map``)."""
    if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column):
        found = (
            column.str.match(_FORMULA.pattern)
            if test is _needs_apostrophe
            else column.str.contains("\r", regex=False)
        )
        return bool(found.fillna(False).any())
    return any(isinstance(v, str) and test(v) for v in column.to_numpy(dtype=object))
