"""CSV files for people and for scripts: English columns and values, or Chinese ones for Excel,
and the same tables read back in either language."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from .._csv import restore, save_csv
from .._validate import CENTRE_TYPES
from ..errors import ConfigError
from ..i18n import LANGUAGES, N_, translator

__all__ = ["csv_encoding", "read_result_csv", "write_csv"]

#: column names shown in a ``--csv-header zh`` file (the ids stay the English names)
COLUMN_LABELS = [
    N_("community_id"),
    N_("name"),
    N_("population"),
    N_("population_source"),
    N_("nearest_centre_id"),
    N_("nearest_centre_name"),
    N_("nearest_centre_type"),
    N_("walk_m"),
    N_("walk_min"),
    N_("covered"),
    N_("band_min"),
    N_("snap_m"),
    N_("status"),
    N_("via_gate"),
    N_("area"),
    N_("rank"),
    N_("site_id"),
    N_("type"),
    N_("population_newly_covered"),
    N_("communities_newly_covered"),
    N_("population_alone"),
    N_("newly_covered_ids"),
    N_("lon"),
    N_("lat"),
    N_("communities"),
    N_("communities_covered"),
    N_("communities_share"),
    N_("population_covered"),
    N_("population_share"),
    N_("uncovered"),
    N_("worst_gaps"),
]
#: columns of yes/no values, and of words (statuses, centre types), written in Chinese with
#: ``--csv-header zh``
_YES_NO = {"covered", "via_gate"}
_WORD_COLUMNS = {"status", "type", "nearest_centre_type"}
_WORDS = (N_("ok"), N_("off_network"), N_("unreachable"), N_("beyond_limit"), *CENTRE_TYPES)
_YES, _NO = N_("yes"), N_("no")


def csv_encoding(lang: str = "en", header: str = "en") -> str:
    """The encoding of circle's CSV files: UTF-8 with a byte-order mark when people read them
    in Chinese (``--lang zh`` or ``--csv-header zh``: Excel on Chinese Windows needs the mark),
    else plain UTF-8 (the stable form for scripts)."""
    return "utf-8-sig" if "zh" in (lang, header) else "utf-8"


def _check(header: str) -> None:
    if header not in LANGUAGES:
        msg = f"`csv_header` must be one of {', '.join(LANGUAGES)}, got {header!r}"
        raise ConfigError(msg)


def _in_words(table: pd.DataFrame, _) -> pd.DataFrame:
    """Yes/no and word values in the language of `_` (numbers and ids unchanged)."""
    table = table.copy()
    words = {w: _(w) for w in _WORDS}
    for col in table.columns:
        if col in _YES_NO:
            table[col] = table[col].map(lambda v: v if pd.isna(v) else _(_YES if v else _NO))
        elif col in _WORD_COLUMNS:
            table[col] = table[col].map(lambda v: words.get(v, v) if isinstance(v, str) else v)
    return table


def write_csv(
    table: pd.DataFrame, path: str | Path | BinaryIO, *, header: str = "en", lang: str = "en"
) -> None:
    """Write a table as CSV: English column names and values, or Chinese ones for people using
    Excel.

    Parameters
    ----------
    table
        The table (no geometry column).
    path
        Target file.
    header
        {"en", "zh"} ``en``: the column names and values as they are (the stable form for
        scripts); ``zh``: the Chinese column labels from the catalogue, and the yes/no values
        (是/否), statuses and centre types in Chinese; numbers and ids stay the same.
    lang
        {"en", "zh"} The language of the run: under ``zh`` the file gets a UTF-8 byte-order
        mark (`csv_encoding`), which Excel needs to show Chinese characters.

    Raises
    ------
    ConfigError
        Another header language.

    Notes
    -----
    Text cells that a spreadsheet would run as a formula get a leading apostrophe
    (`circle._csv.save_csv`); `read_result_csv` removes it.
    """
    _check(header)
    if header != "en":
        _ = translator(header)
        table = _in_words(table, _).rename(columns=lambda c: _(c))
    save_csv(table, path, encoding=csv_encoding(lang, header))


def read_result_csv(path: str | Path, *, extra_columns: Iterable[str] = ()) -> pd.DataFrame:
    """A CSV that circle wrote, with English column names and values, whichever language it
    was written in (``--csv-header en`` or ``zh``; a byte-order mark or not).

    Parameters
    ----------
    path
        The CSV file.
    extra_columns
        English names of further columns that may have been translated (key groups).

    Returns
    -------
    pandas.DataFrame
        Every value as text (empty cells as ``""``); yes/no values as ``True``/``False``.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table = table.map(restore).rename(columns=restore)  # cells neutralised for spreadsheets
    for lang in LANGUAGES:
        if lang == "en":
            continue
        _ = translator(lang)
        names = {_(c): c for c in [*COLUMN_LABELS, *extra_columns] if _(c) != c}
        if not any(c in names for c in table.columns):
            continue
        table = table.rename(columns=lambda c, names=names: names.get(c, c))
        yes_no = {_(_YES): "True", _(_NO): "False"}
        words = {_(w): w for w in _WORDS}
        for col in table.columns:
            if col in _YES_NO:
                table[col] = table[col].map(lambda v, m=yes_no: m.get(v, v))
            elif col in _WORD_COLUMNS:
                table[col] = table[col].map(lambda v, m=words: m.get(v, v))
    return table
