"""Size limits on input layers, checked before a file is loaded (streaming, bounded memory)."""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputDataError

__all__ = [
    "DEFAULT_MAX_FEATURES",
    "DEFAULT_MAX_FIELD_BYTES",
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_OSM_NODES",
    "DEFAULT_MAX_PIXELS",
    "MAX_FEATURES_ENV",
    "MAX_FIELD_BYTES_ENV",
    "MAX_FILE_BYTES_ENV",
    "MAX_OSM_NODES_ENV",
    "MAX_PIXELS_ENV",
    "ByteBudget",
    "check_layer_size",
    "check_osm_xml",
    "max_features",
    "max_field_bytes",
    "max_file_bytes",
    "max_osm_nodes",
    "max_pixels",
]

#: environment variable that raises (or lowers) the limit for the CLI
MAX_FEATURES_ENV = "CIRCLE_MAX_FEATURES"
#: features per layer read by default: far more communities or centres than any city has; a run
#: with a million features peaks at about 3 GB of memory (bench/LIMITS_RESULTS.md)
DEFAULT_MAX_FEATURES = 1_000_000

#: environment variables of the byte budgets and their defaults (README, "Limits")
MAX_FIELD_BYTES_ENV = "CIRCLE_MAX_FIELD_BYTES"
#: bytes of one field: a name, id or number in a CSV or Excel cell, an OSM tag value (OSM itself
#: allows 255 characters), a run of text between two XML markup characters
DEFAULT_MAX_FIELD_BYTES = 65_536
MAX_FILE_BYTES_ENV = "CIRCLE_MAX_FILE_BYTES"
#: bytes of one input file once decompressed: CSV text, the XML of an Excel workbook's sheets and
#: shared strings, OSM XML, the blocks of an .osm.pbf
DEFAULT_MAX_FILE_BYTES = 4 << 30
MAX_OSM_NODES_ENV = "CIRCLE_MAX_OSM_NODES"
#: nodes of an .osm.pbf file (libosmium keeps a location per node: 16 bytes each)
DEFAULT_MAX_OSM_NODES = 50_000_000
MAX_PIXELS_ENV = "CIRCLE_MAX_PIXELS"
#: pixels of a population raster read under one community (8 bytes each, plus their boxes)
DEFAULT_MAX_PIXELS = 4_000_000

_CHUNK = 1 << 20
#: a row element of an Excel sheet (``<row r="2">``, or with a namespace prefix, ``<x:row>``)
_EXCEL_ROW = re.compile(rb"<(?:\w{1,8}:)?row[\s>/]")


def max_features() -> int:
    """The features-per-layer limit: ``$CIRCLE_MAX_FEATURES`` when set, else 1,000,000.

    Returns
    -------
    int
    """
    return _env_limit(MAX_FEATURES_ENV, DEFAULT_MAX_FEATURES, "features")


def max_field_bytes() -> int:
    """Bytes of one field: ``$CIRCLE_MAX_FIELD_BYTES`` when set, else 65,536."""
    return _env_limit(MAX_FIELD_BYTES_ENV, DEFAULT_MAX_FIELD_BYTES, "bytes")


def max_file_bytes() -> int:
    """Decompressed bytes of one input file: ``$CIRCLE_MAX_FILE_BYTES`` when set, else 4 GiB."""
    return _env_limit(MAX_FILE_BYTES_ENV, DEFAULT_MAX_FILE_BYTES, "bytes")


def max_osm_nodes() -> int:
    """Nodes of an .osm.pbf file: ``$CIRCLE_MAX_OSM_NODES`` when set, else 50,000,000."""
    return _env_limit(MAX_OSM_NODES_ENV, DEFAULT_MAX_OSM_NODES, "nodes")


def max_pixels() -> int:
    """Raster pixels under one community: ``$CIRCLE_MAX_PIXELS`` when set, else 4,000,000."""
    return _env_limit(MAX_PIXELS_ENV, DEFAULT_MAX_PIXELS, "pixels")


def _env_limit(env: str, default: int, unit: str) -> int:
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    try:
        limit = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        msg = f"${env} must be a whole number of {unit} >= 1, got {raw!r}"
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


class ByteBudget:
    """The field and file byte budgets, checked on a file's bytes as they stream past.

    A field is a run of bytes between two separators (for a CSV: comma, LF, CR; for XML: the
    markup characters ``<>"'``); a line (CSV only) is a run between two line ends, any of LF,
    CRLF or a lone CR (Excel for Mac), and may hold 16 fields' worth. Each chunk is checked at
    numpy speed, so a check costs one pass over the bytes and stops at the first run too long:
    memory is one chunk, time is linear in the bytes read before the refusal.
    """

    def __init__(self, path: Path, separators: bytes, *, lines: bool = False) -> None:
        self.path = path
        self.field_limit = max_field_bytes()
        self.file_limit = max_file_bytes()
        self.total = 0
        self._seps = _byte_set(separators)
        self._line_ends = _byte_set(b"\n\r") if lines else None
        self._run = self._line_run = 0

    def feed(self, chunk: bytes) -> None:
        """Check the next bytes; raise `InputDataError` past a budget."""
        start = self.total
        self.total += len(chunk)
        if self.total > self.file_limit:
            msg = (
                f"{self.path}: more than {self.file_limit:,} bytes of data (once decompressed); "
                f"circle reads at most {self.file_limit:,} bytes per file. Split the study area, "
                f"or raise the limit with {MAX_FILE_BYTES_ENV}=N"
            )
            raise InputDataError(msg)
        data = np.frombuffer(chunk, dtype=np.uint8)
        self._run, at = _longest_run(data, self._seps, self._run, self.field_limit)
        if at >= 0:
            self._refuse("a field (a name, value, cell or tag)", self.field_limit, start + at)
        if self._line_ends is not None:
            line_limit = 16 * self.field_limit
            self._line_run, at = _longest_run(data, self._line_ends, self._line_run, line_limit)
            if at >= 0:
                self._refuse("a line", line_limit, start + at)

    def _refuse(self, what: str, limit: int, offset: int) -> None:
        msg = (
            f"{self.path}: {what} longer than {limit:,} bytes, near byte {offset:,}; no place or "
            f"community name is that long (a broken or crafted file?); fix the file, or raise "
            f"the limit with {MAX_FIELD_BYTES_ENV}=N"
        )
        raise InputDataError(msg)


def _byte_set(chars: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


def _longest_run(data: np.ndarray, seps: np.ndarray, run: int, limit: int) -> tuple[int, int]:
    """The run carried past `data`, and the offset in `data` where a run passes `limit` (-1)."""
    cuts = np.flatnonzero(seps[data])
    if cuts.size == 0:
        run += data.size
        return run, (limit - (run - data.size)) if run > limit else -1
    if run + int(cuts[0]) > limit:
        return 0, int(cuts[0])
    if cuts.size > 1:
        gaps = np.diff(cuts) - 1
        worst = int(np.argmax(gaps))
        if gaps[worst] > limit:
            return 0, int(cuts[worst + 1])
    run = data.size - int(cuts[-1]) - 1
    return run, data.size - 1 if run > limit else -1


def scan_bytes(stream, budget: ByteBudget, counter=None) -> None:
    """Feed a binary stream through `budget` in 1 MiB chunks; `counter(chunk)` sees each chunk
    and returns True to stop early."""
    while chunk := stream.read(_CHUNK):
        budget.feed(chunk)
        if counter is not None and counter(chunk):
            return


def _table_rows_over(path: Path, limit: int) -> bool:
    """Rows (any line end: LF, CRLF or a lone CR) above the limit, counted in the pass that
    checks the byte budgets, stopping at the limit."""
    budget = ByteBudget(path, b",;\t\n\r", lines=True)
    ends = 0
    last = b"\n"

    def count(chunk: bytes) -> bool:
        nonlocal ends, last
        crlf = chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
        ends += chunk.count(b"\n") + chunk.count(b"\r") - crlf
        last = chunk[-1:]
        return ends > limit + 1  # header + more than `limit` rows

    with open(path, "rb") as f:
        scan_bytes(f, budget, count)
    rows = ends - 1 + (last not in (b"\n", b"\r"))
    return rows > limit


#: separators of XML text runs: markup starts and ends, attribute quotes
XML_SEPARATORS = b"<>\"'"


def _excel_rows_over(path: Path, limit: int) -> bool:
    """Rows of all sheets (the header rows included) above ``limit + 1``, counted while the
    sheets' XML is decompressed, stopping at the limit; the sheets and shared strings checked
    against the byte budgets in the same pass."""
    rows = 0
    try:
        with zipfile.ZipFile(path) as book:
            budget = ByteBudget(path, XML_SEPARATORS)
            declared = sum(i.file_size for i in book.infolist())
            if declared > budget.file_limit:  # refused by the sizes the archive declares
                budget.total = declared
                budget.feed(b"")
            names = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
            texts = [n for n in book.namelist() if n == "xl/sharedStrings.xml"]
            others = [
                n for n in book.namelist()
                if n.endswith((".xml", ".rels")) and n not in names and n not in texts
            ]
            for name in [*texts, *others]:
                with book.open(name) as f:
                    scan_bytes(f, budget, _EntityCheck(path, name))
            for name in names:
                entities = _EntityCheck(path, name)
                with book.open(name) as f:
                    before = b""
                    while chunk := f.read(_CHUNK):
                        budget.feed(chunk)
                        entities(chunk)
                        text = before + chunk
                        # count each row tag once: those ending in the new bytes
                        rows += sum(m.end() > len(before) for m in _EXCEL_ROW.finditer(text))
                        if rows > limit + 1:
                            return True
                        before = text[-16:]
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError, zlib.error):
        return False  # the reader reports the broken workbook
    return False


class _EntityCheck:
    """A `scan_bytes` counter refusing a workbook part that declares XML entities (a DTD):
    Excel and WPS never write one, and expanding one is the "billion laughs" bomb. XML parsers
    differ on it (expat stops at its amplification limit, defusedxml refuses any entity), so the
    check is circle's own and the message the same whichever parser openpyxl uses."""

    def __init__(self, path: Path, part: str) -> None:
        self.path, self.part, self.before = path, part, b""

    def __call__(self, chunk: bytes) -> bool:
        text = self.before + chunk
        if b"<!ENTITY" in text or b"<!DOCTYPE" in text:
            msg = (
                f"{self.path}: its part {self.part} declares XML entities (<!DOCTYPE/<!ENTITY>), "
                "which Excel and WPS never write (a 'billion laughs' bomb?); refused: save the "
                "table again from Excel or WPS"
            )
            raise InputDataError(msg)
        self.before = text[-16:]
        return False


def check_osm_xml(path: Path, counter=None) -> None:
    """Check an OSM XML file (.osm, .osm.gz, .osm.bz2) against the byte budgets as it is
    decompressed, before libosmium reads it: a tag value of a gigabyte is refused once it passes
    the field budget, after reading no more than the budget. `counter(chunk)` sees each chunk
    of XML (see `scan_bytes`)."""
    import bz2
    import gzip

    name = path.name.lower()
    opener = gzip.open if name.endswith(".gz") else bz2.open if name.endswith(".bz2") else open
    try:
        with opener(path, "rb") as f:
            scan_bytes(f, ByteBudget(path, XML_SEPARATORS), counter)
    except InputDataError:
        raise
    except (OSError, EOFError, ValueError, zlib.error):
        return  # broken compression: libosmium reports it


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
