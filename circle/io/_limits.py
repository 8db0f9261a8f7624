"""Size limits on input layers, checked before a file is loaded (streaming, bounded memory)."""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from pathlib import Path

from ..errors import ConfigError, InputDataError

__all__ = ["DEFAULT_MAX_FEATURES", "MAX_FEATURES_ENV", "check_layer_size", "max_features"]

#: environment variable that raises (or lowers) the limit for the CLI
MAX_FEATURES_ENV = "CIRCLE_MAX_FEATURES"
#: features per layer read by default: far more communities or centres than any city has; a run
#: with a million features peaks at about 3 GB of memory (bench/LIMITS_RESULTS.md)
DEFAULT_MAX_FEATURES = 1_000_000

_CHUNK = 1 << 20
#: a row element of an Excel sheet (``<row r="2">``, or with a namespace prefix, ``<x:row>``)
_EXCEL_ROW = re.compile(rb"<(?:\w{1,8}:)?row[\s>/]")


def max_features() -> int:
    """The features-per-layer limit: ``$CIRCLE_MAX_FEATURES`` when set, else 1,000,000.

    Returns
    -------
    int
    """
    raw = os.environ.get(MAX_FEATURES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_FEATURES
    try:
        limit = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        msg = f"${MAX_FEATURES_ENV} must be a whole number of features >= 1, got {raw!r}"
        raise ConfigError(msg)
    return limit


def check_layer_size(path: Path, kind: str, limit: int, layer: str | None = None) -> None:
    """Refuse a layer with more than `limit` features, before loading it.

    CSV tables are checked by counting lines in a streaming pass that stops as soon as the limit
    is passed (memory: one 1 MiB buffer), Excel workbooks likewise by counting the rows of their
    sheets as they are decompressed; vector files by their feature count (GDAL reads it from the
    file's index or header, or counts in one streaming pass).

    Parameters
    ----------
    path
        The layer file.
    kind
        {"table", "vector"}
    limit
        Most features allowed.
    layer
        Layer name inside a multi-layer file.
    """
    if kind == "table" and path.suffix.lower() in (".xlsx", ".xlsm"):
        over = _excel_rows_over(path, limit)
    elif kind == "table":
        over = _table_rows_over(path, limit)
    else:
        over = _vector_features_over(path, limit, layer)
    if over:
        raise too_many_features(path, limit)


def too_many_features(path: Path, limit: int) -> InputDataError:
    """The one-line refusal of a layer above the limit."""
    size = path.stat().st_size
    size_text = f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} kB"
    msg = (
        f"{path}: more than {limit:,} features ({size_text}); circle reads at most "
        f"{limit:,} features per layer. Split the study area, or raise the limit with "
        f"{MAX_FEATURES_ENV}=N (a million features take about 3 GB of memory)"
    )
    return InputDataError(msg)


def _table_rows_over(path: Path, limit: int) -> bool:
    # a row takes at least one byte: a file no longer than the limit cannot pass it
    if path.stat().st_size <= limit:
        return False
    newlines = 0
    last = b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
            if newlines > limit + 1:  # header + more than `limit` rows
                return True
    rows = newlines - 1 + (last != b"\n")
    return rows > limit


def _excel_rows_over(path: Path, limit: int) -> bool:
    """Rows of all sheets (the header rows included) above ``limit + 1``, counted while the
    sheets' XML is decompressed, stopping at the limit."""
    rows = 0
    try:
        with zipfile.ZipFile(path) as book:
            sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
            for name in sheets:
                with book.open(name) as f:
                    before = b""
                    while chunk := f.read(_CHUNK):
                        text = before + chunk
                        # count each row tag once: those ending in the new bytes
                        rows += sum(m.end() > len(before) for m in _EXCEL_ROW.finditer(text))
                        if rows > limit + 1:
                            return True
                        before = text[-16:]
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError, zlib.error):
        return False  # the reader reports the broken workbook
    return False


def _vector_features_over(path: Path, limit: int, layer: str | None) -> bool:
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            import pyarrow.parquet as pq

            count = pq.ParquetFile(path).metadata.num_rows
        else:
            import pyogrio

            count = pyogrio.read_info(path, layer=layer)["features"]
    except Exception:  # unreadable here: the reader itself reports the problem
        return False
    return count > limit
