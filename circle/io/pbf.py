"""A native reader of the walkable ways of an .osm.pbf file: the street network at the speed of
the decompression, with no Python object per node.

Python walks the file's blocks (framing, zlib) and numba-compiled functions decode each block's
protobuf: the dense nodes (ids and fixed-point coordinates, as libosmium stores them: 1e-7
degrees, truncated towards zero) and the ways (ids, tags as string-table indices, node refs,
timestamps). Tags are judged in Python once per distinct combination of the tags the filters
read (`circle.io.osm.is_walkable`, `is_bikeable`, `way_flags`, `oneway_of`), never per way or
node. Node locations are joined to the ways' refs with numpy, and the runs of present nodes are
cut exactly as `circle.io.osm`'s pyosmium handler cuts them.

The answer must be the pyosmium reader's, array for array. Whatever this reader does not
reproduce exactly gives ``None`` and the caller reads the file with pyosmium instead: other
compressions than raw and zlib, required features beyond ``OsmSchema-V0.6`` and
``DenseNodes`` (history files, locations on ways), non-dense nodes, nodes after ways, negative
node ids on a kept way, coordinates out of range, a date granularity other than 1000 ms, tag
text that is not UTF-8, a text longer than libosmium's 1,024 bytes, and any framing or protobuf
oddity in what it decodes (libosmium then reports it). What it does not decode (relations,
metadata, node tags) it does not check either: a file corrupt only there, which libosmium
refuses, is read.

numba compiles the decoder on the first read of an installation and caches the machine code
(``cache=True``, as `circle.network._fastpath`); later processes load it (about 0.3 s).
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numba
import numpy as np

from .._progress import bar
from ._pbf_guard import _MAX_BLOB, _MAX_HEADER, PbfGuard, _all_fields, _fields
from .osm import RawWays, is_bikeable, is_walkable, oneway_of
from .waytags import way_flags

__all__ = ["read_pbf_ways"]

_jit = numba.njit(cache=True, nogil=True)

#: libosmium's longest string in a block's string table (osmium::max_osm_string_length)
_MAX_STRING = 256 * 4
#: the features of the header block this reader understands
_FEATURES = {"OsmSchema-V0.6", "DenseNodes"}
#: libosmium's valid coordinates in 1e-7 degrees (osmium::Location::valid)
_MAX_X, _MAX_Y = 1_800_000_000, 900_000_000
#: 1971-01-01T00:00:00Z: pyosmium's timestamps of a year after 1970 (1970: no metadata)
_YEAR_1971 = 365 * 86400


class _NotExactError(Exception):
    """Something this reader does not reproduce exactly: read the file with pyosmium."""


# ----------------------------------------------------------------------------- protobuf


@_jit
def _varint(buf, pos, end):
    """The varint at ``pos`` (as uint64) and the position after it; position -1 when
    truncated or longer than 10 bytes."""
    value = np.uint64(0)
    shift = np.uint64(0)
    while pos < end and shift < 70:
        byte = np.uint64(buf[pos])
        pos += 1
        value |= (byte & np.uint64(0x7F)) << shift
        if byte < 0x80:
            return value, pos
        shift += np.uint64(7)
    return value, -1


@_jit
def _zigzag(v):
    return np.int64(v >> np.uint64(1)) ^ -np.int64(v & np.uint64(1))


@_jit
def _field(buf, pos, end):
    """One field at ``pos``: (number, wire, value or length, start of a length-delimited
    value, position after the field); position -1 on anything libosmium would refuse."""
    key, pos = _varint(buf, pos, end)
    if pos < 0:
        return 0, 0, np.uint64(0), 0, -1
    number, wire = np.int64(key >> np.uint64(3)), np.int64(key & np.uint64(7))
    if wire == 0:
        value, pos = _varint(buf, pos, end)
        return number, wire, value, pos, pos
    if wire == 2:
        length, pos = _varint(buf, pos, end)
        if pos < 0 or length > np.uint64(end - pos):
            return 0, 0, np.uint64(0), 0, -1
        return number, wire, length, pos, pos + np.int64(length)
    if wire == 1 or wire == 5:
        step = 8 if wire == 1 else 4
        if pos + step > end:
            return 0, 0, np.uint64(0), 0, -1
        return number, wire, np.uint64(0), pos, pos + step
    return 0, 0, np.uint64(0), 0, -1


@_jit
def _count_varints(buf, start, end):
    n = 0
    for i in range(start, end):
        n += buf[i] < 0x80
    return n


@_jit
def _delta_sint64(buf, start, end, out, at):
    """Decode the packed, delta-coded sint64 array in ``buf[start:end]`` into ``out[at:]``;
    the number decoded, -1 when malformed."""
    pos, acc, n = start, np.int64(0), 0
    while pos < end:
        v, pos = _varint(buf, pos, end)
        if pos < 0 or at + n >= out.size:
            return -1
        acc += _zigzag(v)
        out[at + n] = acc
        n += 1
    return n


# ----------------------------------------------------------------------------- a block


@_jit
def _block_header(buf):
    """The block's string table range, granularities and offsets, and its groups' ranges."""
    end = buf.size
    table = (0, 0)
    gran, date_gran, lat_off, lon_off = np.int64(100), np.int64(1000), np.int64(0), np.int64(0)
    groups = np.empty((end // 2 + 1, 2), dtype=np.int64)
    n_groups, pos, ok = 0, 0, True
    while pos < end:
        number, wire, value, start, pos = _field(buf, pos, end)
        if pos < 0:
            ok = False
            break
        if number == 1 and wire == 2:
            table = (start, pos)
        elif number == 2 and wire == 2:
            groups[n_groups, 0], groups[n_groups, 1] = start, pos
            n_groups += 1
        elif number == 17 and wire == 0:
            gran = np.int64(np.int32(value))
        elif number == 18 and wire == 0:
            date_gran = np.int64(np.int32(value))
        elif number == 19 and wire == 0:
            lat_off = np.int64(value)
        elif number == 20 and wire == 0:
            lon_off = np.int64(value)
    return ok, table, gran, date_gran, lat_off, lon_off, groups[:n_groups]


@_jit
def _string_table(buf, start, end):
    """Start and end of every string of the table in ``buf[start:end]``, and False when the
    table is odd or holds a string libosmium refuses as too long."""
    spans = np.empty(((end - start) // 2 + 1, 2), dtype=np.int64)
    n, pos = 0, start
    while pos < end:
        number, wire, _, s, pos = _field(buf, pos, end)
        if pos < 0 or number != 1 or wire != 2 or pos - s > _MAX_STRING:
            return spans[:0], False
        spans[n, 0], spans[n, 1] = s, pos
        n += 1
    return spans[:n], True


@_jit
def _group_parts(buf, groups):
    """The dense-node arrays (ids, lat, lon ranges) and the way messages of the groups;
    ``status`` 0 fine, 1 something to leave to libosmium (non-dense nodes, nodes after ways,
    odd fields)."""
    dense = np.empty((groups.shape[0], 6), dtype=np.int64)
    ways = np.empty((buf.size // 2 + 1, 2), dtype=np.int64)
    n_dense = n_ways = 0
    for g in range(groups.shape[0]):
        pos, end = groups[g, 0], groups[g, 1]
        first_dense = n_dense
        while pos < end:
            number, wire, _, start, pos = _field(buf, pos, end)
            if pos < 0 or number == 1 or ((number == 2 or number == 3) and wire != 2):
                return dense[:0], ways[:0], 1
            if number == 2:
                if n_dense > first_dense or n_ways:  # a second dense message, or after ways
                    return dense[:0], ways[:0], 1
                spans = np.zeros(6, dtype=np.int64)
                sub = start
                while sub < pos:
                    n2, w2, _, s2, sub = _field(buf, sub, pos)
                    k = 0 if n2 == 1 else 2 if n2 == 8 else 4 if n2 == 9 else -1
                    if sub < 0 or (k >= 0 and w2 != 2):
                        return dense[:0], ways[:0], 1
                    if k >= 0:
                        if spans[k + 1] != 0:
                            return dense[:0], ways[:0], 1
                        spans[k], spans[k + 1] = s2, sub
                dense[n_dense] = spans
                n_dense += 1
            elif number == 3:
                ways[n_ways, 0], ways[n_ways, 1] = start, pos
                n_ways += 1
    return dense[:n_dense], ways[:n_ways], 0


@_jit
def _dense_nodes(buf, dense, gran, lat_off, lon_off):
    """Ids and libosmium's fixed-point coordinates (x: lon, y: lat, 1e-7 degrees) of the dense
    nodes; ok False when the arrays disagree in length."""
    total = 0
    for d in range(dense.shape[0]):
        total += _count_varints(buf, dense[d, 0], dense[d, 1])
    ids = np.empty(total, dtype=np.int64)
    lat = np.empty(total, dtype=np.int64)
    lon = np.empty(total, dtype=np.int64)
    at = 0
    for d in range(dense.shape[0]):
        n = _delta_sint64(buf, dense[d, 0], dense[d, 1], ids, at)
        if n < 0 or _delta_sint64(buf, dense[d, 2], dense[d, 3], lat, at) != n:
            return ids, ids, ids, False
        if _delta_sint64(buf, dense[d, 4], dense[d, 5], lon, at) != n:
            return ids, ids, ids, False
        at += n
    # libosmium: int32((c * granularity + offset) / 100), C++ division (towards zero)
    x = np.empty(total, dtype=np.int64)
    y = np.empty(total, dtype=np.int64)
    for i in range(total):
        a = lon[i] * gran + lon_off
        b = lat[i] * gran + lat_off
        x[i] = a // 100 if a >= 0 else -((-a) // 100)
        y[i] = b // 100 if b >= 0 else -((-b) // 100)
    return ids, x, y, True


@_jit
def _way_spans(buf, start, end, out):
    """The fields of one way message into ``out``: id, keys range, vals range, refs range,
    timestamp; False when a field is odd or repeated."""
    out[:] = 0
    pos = start
    while pos < end:
        number, wire, value, s, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if number == 1 and wire == 0:
            out[0] = np.int64(value)
        elif number == 2 or number == 3 or number == 8:
            k = 1 if number == 2 else 3 if number == 3 else 5
            if wire != 2 or out[k + 1] != 0:
                return False
            out[k], out[k + 1] = s, pos
        elif number == 4 and wire == 2:
            sub = s
            while sub < pos:
                n2, w2, v2, _, sub = _field(buf, sub, pos)
                if sub < 0:
                    return False
                if n2 == 2 and w2 == 0:
                    out[7] = np.int64(v2)
        elif number == 1 or number == 4:
            return False
    return True


@_jit
def _key_slot(buf, spans, k, keys_blob, keys_off):
    """The position of string ``k`` of the table among the keys the filters read, or -1."""
    s, e = spans[k, 0], spans[k, 1]
    for slot in range(keys_off.size - 1):
        a, b = keys_off[slot], keys_off[slot + 1]
        if b - a != e - s:
            continue
        same = True
        for i in range(b - a):
            if buf[s + i] != keys_blob[a + i]:
                same = False
                break
        if same:
            return slot
    return -1


@_jit
def _way_tags(buf, f, spans, memo, row, keys_blob, keys_off):
    """The value (string index) of each key the filters read into ``row`` (-1 absent; the
    first of a repeated key, as libosmium's TagList.get); False when the tags are malformed."""
    row[:] = -1
    kp, ke, vp, ve = f[1], f[2], f[3], f[4]
    while kp < ke:
        k, kp = _varint(buf, kp, ke)
        if kp < 0 or vp >= ve:
            return False
        v, vp = _varint(buf, vp, ve)
        if vp < 0 or k >= np.uint64(spans.shape[0]) or v >= np.uint64(spans.shape[0]):
            return False
        ki = np.int64(k)
        if memo[ki] == -2:
            memo[ki] = _key_slot(buf, spans, ki, keys_blob, keys_off)
        slot = memo[ki]
        if slot >= 0 and row[slot] < 0:
            row[slot] = np.int64(v)
    return vp == ve


@_jit
def _ways(buf, msgs, spans, keys_blob, keys_off):
    """The ways of a block that have a ``highway`` tag (key slot 0): ids, timestamps, refs
    (flat, with offsets) and the values of the keys the filters read; ok False when odd."""
    n_keys = keys_off.size - 1
    memo = np.full(spans.shape[0], -2, dtype=np.int64)
    fields = np.empty((msgs.shape[0], 8), dtype=np.int64)
    rows = np.empty((msgs.shape[0], n_keys), dtype=np.int64)
    keep = np.empty(msgs.shape[0], dtype=np.int64)
    n, total = 0, 0
    for w in range(msgs.shape[0]):
        if not _way_spans(buf, msgs[w, 0], msgs[w, 1], fields[n]):
            return False, fields[:0], rows[:0], keep[:0], keep[:0]
        if not _way_tags(buf, fields[n], spans, memo, rows[n], keys_blob, keys_off):
            return False, fields[:0], rows[:0], keep[:0], keep[:0]
        if rows[n, 0] >= 0:
            total += _count_varints(buf, fields[n, 5], fields[n, 6])
            n += 1
    refs = np.empty(total, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    for w in range(n):
        got = _delta_sint64(buf, fields[w, 5], fields[w, 6], refs, offsets[w])
        if got < 0:
            return False, fields[:0], rows[:0], keep[:0], keep[:0]
        offsets[w + 1] = offsets[w] + got
    return True, fields[:n], rows[:n], refs, offsets


@_jit
def _distinct_rows(rows):
    """The distinct rows of ``rows`` (their first positions) and each row's distinct row:
    exact (rows compared in full), with a hash table."""
    n, m = rows.shape
    size = 1
    while size < 2 * n + 2:
        size *= 2
    table = np.full(size, -1, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    n_distinct = 0
    for i in range(n):
        h = np.uint64(1469598103934665603)
        for j in range(m):
            h = (h ^ np.uint64(rows[i, j] + 2)) * np.uint64(1099511628211)
        slot = np.int64(h & np.uint64(size - 1))
        while True:
            d = table[slot]
            if d < 0:
                table[slot] = n_distinct
                first[n_distinct] = i
                inverse[i] = n_distinct
                n_distinct += 1
                break
            same = True
            for j in range(m):
                if rows[first[d], j] != rows[i, j]:
                    same = False
                    break
            if same:
                inverse[i] = d
                break
            slot = (slot + 1) & (size - 1)
    return first[:n_distinct], inverse


@_jit
def _runs(refs, offsets, present):
    """The runs of present nodes of each way, cut as `circle.io.osm`'s handler cuts them:
    consecutive repeated refs dropped, a missing node ends the run, one-node runs dropped.
    Returns the kept positions into ``refs``, each run's size and way, and whether each way
    was cut."""
    keep = np.empty(refs.size, dtype=np.int64)
    sizes = np.empty(refs.size // 2 + 1, dtype=np.int64)
    run_way = np.empty(refs.size // 2 + 1, dtype=np.int64)
    cut = np.zeros(offsets.size - 1, dtype=np.bool_)
    n = n_runs = 0
    for w in range(offsets.size - 1):
        start, has_last, last = n, False, np.int64(0)
        for r in range(offsets[w], offsets[w + 1] + 1):
            if r < offsets[w + 1] and present[r]:
                if not has_last or refs[r] != last:
                    keep[n] = r
                    n += 1
                    last, has_last = refs[r], True
                continue
            size = n - start  # the run ends: a missing node or the way's end
            if size >= 2:
                sizes[n_runs], run_way[n_runs] = size, w
                n_runs += 1
            elif size == 1:
                n -= 1
            start, has_last = n, False
            if r < offsets[w + 1]:
                cut[w] = True
    return keep[:n], sizes[:n_runs], run_way[:n_runs], cut


# ----------------------------------------------------------------------------- the file


#: the verdict on a way's tags: None (left out) or its (highway, flags, oneway)
Judge = Callable[[dict[str, str]], "tuple[str, int, int] | None"]


def read_pbf_ways(path: Path, mode: str = "walk") -> RawWays | None:
    """The runs of the ways of an .osm.pbf file that pass the mode's filter, as
    `circle.io.osm`'s pyosmium handler gives them, or None when the file needs pyosmium.

    The file's contents are checked as it is read (`circle.io._pbf_guard.PbfGuard`: texts,
    budgets, duplicate node ids), with the same errors as `check_pbf_strings`.

    Parameters
    ----------
    path
        An .osm.pbf file.
    mode
        ``"walk"``, ``"bike"`` or ``"ebike"`` (`circle.config.MODES`).

    Returns
    -------
    RawWays or None
    """
    bike = mode != "walk"

    def judge(tags: dict[str, str]) -> tuple[str, int, int] | None:
        if not (is_bikeable(tags) if bike else is_walkable(tags)):
            return None
        return tags["highway"], way_flags(tags), oneway_of(tags) if bike else 0

    guard = PbfGuard(path)
    try:
        reader = _Reader(_keys_read(), judge)
        with bar(f"reading {path.name}", total=path.stat().st_size, unit="B") as read:
            for block, data in _blocks(path, read.update):
                reader.block(block, data, guard)
        guard.done(reader.node_ids)
        return reader.result()
    except _NotExactError:
        return None


class _KeyLog(dict):
    """Tags that log the keys looked up (a ``highway`` way with no other tag)."""

    def __init__(self) -> None:
        super().__init__(highway="")
        self.read: list[str] = []

    def get(self, key, default=None):
        self.read.append(key)
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self.read.append(key)
        return super().__contains__(key)


@functools.cache
def _keys_read() -> tuple[str, ...]:
    """Every tag key the filters read (``highway`` first): each distinct combination of their
    values is judged once. Logged from the filters themselves, which read every key for a
    ``highway`` way with no other tag."""
    log = _KeyLog()
    is_walkable(log), is_bikeable(log), way_flags(log), oneway_of(log)
    return ("highway", *dict.fromkeys(k for k in log.read if k != "highway"))


def _blocks(path: Path, advance: Callable[[int], object]) -> Iterator[tuple[int, bytes]]:
    """The decompressed data blocks of the file, numbered from its first block, after
    checking its header block; ``advance(n)`` is told the bytes of each block read."""
    with open(path, "rb") as f:
        first = True
        for block in itertools.count():
            if not (size := f.read(4)):
                return
            header_size = int.from_bytes(size, "big")
            if len(size) < 4 or header_size > _MAX_HEADER:
                raise _NotExactError
            header = f.read(header_size)
            fields = _fields(header)
            kind, blob_size = fields.get(1), fields.get(3)
            if len(header) < header_size or not isinstance(blob_size, int):
                raise _NotExactError
            if blob_size > _MAX_BLOB:
                raise _NotExactError
            blob = f.read(blob_size)
            if len(blob) < blob_size:
                raise _NotExactError
            data = _decompress(blob)
            advance(4 + header_size + blob_size)
            if kind == b"OSMHeader" and first:
                features = {f.decode("utf-8", "replace") for f in _all_fields(data, 4)}
                optional = {f.decode("utf-8", "replace") for f in _all_fields(data, 5)}
                if not features <= _FEATURES or "LocationsOnWays" in optional:
                    raise _NotExactError
            elif kind != b"OSMData" or first:
                raise _NotExactError
            else:
                yield block, data
            first = False


def _decompress(blob: bytes) -> bytes:
    fields = _fields(blob)
    raw, raw_size, packed = fields.get(1), fields.get(2), fields.get(3)
    if isinstance(raw, bytes) and len(fields) == 1:
        return raw
    if not isinstance(packed, bytes) or not isinstance(raw_size, int) or raw_size > _MAX_BLOB:
        raise _NotExactError  # lzma, lz4, zstd: libosmium decides
    if set(fields) - {2, 3}:
        raise _NotExactError
    try:  # at most the size libosmium allows: no zip bomb expands in memory
        data = zlib.decompressobj().decompress(packed, _MAX_BLOB)
    except zlib.error as err:
        raise _NotExactError from err
    if len(data) != raw_size:
        raise _NotExactError
    return data


class _Reader:
    """The nodes and kept ways of the blocks read so far."""

    def __init__(self, keys: tuple[str, ...], judge: Judge) -> None:
        self.judge = judge
        blob = [k.encode() for k in keys]
        self.keys = keys
        self.keys_blob = np.frombuffer(b"".join(blob), dtype=np.uint8)
        self.keys_off = np.cumsum([0, *map(len, blob)]).astype(np.int64)
        #: verdict of each distinct combination of values (None: absent) of `keys`
        self.verdicts: dict[tuple[str | None, ...], tuple[str, int, int] | None] = {}
        self.highways: dict[str, int] = {}
        self.node_ids: list[np.ndarray] = []
        self.node_x: list[np.ndarray] = []
        self.node_y: list[np.ndarray] = []
        self.way_refs: list[np.ndarray] = []
        self.way_sizes: list[np.ndarray] = []
        self.way_attrs: list[np.ndarray] = []  # per way: id, highway code, flags, oneway
        self.newest = 0
        self.seen_ways = False

    def block(self, block: int, data: bytes, guard: PbfGuard) -> None:
        """Decode one data block and hand it to the `guard`."""
        buf = np.frombuffer(data, dtype=np.uint8)
        ok, table, gran, date_gran, lat_off, lon_off, groups = _block_header(buf)
        if not ok or gran <= 0 or date_gran != 1000:
            raise _NotExactError
        spans, ok = _string_table(buf, table[0], table[1])
        dense, msgs, status = _group_parts(buf, groups)
        if not ok or status:
            raise _NotExactError
        ids, x, y, ok = _dense_nodes(buf, dense, gran, lat_off, lon_off)
        if not ok:
            raise _NotExactError
        guard.block(block, data, [ids])
        if dense.shape[0]:
            if self.seen_ways:  # nodes after ways: pyosmium would find them missing
                raise _NotExactError
            if np.any(np.abs(x) > _MAX_X) or np.any(np.abs(y) > _MAX_Y):
                raise _NotExactError  # out of range: pyosmium's error
            self.node_ids.append(ids)
            self.node_x.append(x.astype(np.int32))
            self.node_y.append(y.astype(np.int32))
        if msgs.shape[0]:
            self.seen_ways = True
            ok, fields, rows, refs, offsets = _ways(buf, msgs, spans, self.keys_blob, self.keys_off)
            if not ok:
                raise _NotExactError
            self._keep(buf, spans, fields, rows, refs, offsets)

    def _keep(self, buf, spans, fields, rows, refs, offsets) -> None:
        """Judge the ways by their distinct tag combinations; keep those that pass."""
        if not rows.shape[0]:
            return
        first, inverse = _distinct_rows(rows)
        distinct = rows[first]
        verdict = np.empty((distinct.shape[0], 3), dtype=np.int64)
        for i, row in enumerate(distinct.tolist()):
            values = tuple(None if s < 0 else _text(buf, spans, s) for s in row)
            if values not in self.verdicts:
                tags = {k: v for k, v in zip(self.keys, values, strict=True) if v is not None}
                self.verdicts[values] = self.judge(tags)
            found = self.verdicts[values]
            if found is None:
                verdict[i] = (-1, 0, 0)
            else:
                code = self.highways.setdefault(found[0], len(self.highways))
                verdict[i] = (code, found[1], found[2])
        per_way = verdict[inverse]
        kept = per_way[:, 0] >= 0
        if not kept.any():
            return
        stamps = fields[kept, 7]
        if stamps.min() < 0 or stamps.max() >= 2**32:
            raise _NotExactError
        self.newest = max(self.newest, int(stamps.max()))
        counts = np.diff(offsets)
        self.way_refs.append(refs[np.repeat(kept, counts)])
        self.way_sizes.append(counts[kept])
        self.way_attrs.append(np.column_stack([fields[kept, 0], per_way[kept]]))

    def result(self) -> RawWays:
        ids, x, y = (_joined(p, np.int64) for p in (self.node_ids, self.node_x, self.node_y))
        if ids.size and not np.all(ids[1:] > ids[:-1]):
            order = np.argsort(ids, kind="stable")
            ids, x, y = ids[order], x[order], y[order]
            if np.any(ids[1:] == ids[:-1]):
                raise _NotExactError  # a repeated node: the guard refuses it
        refs = _joined(self.way_refs, np.int64)
        if refs.size and refs.min() < 0:
            raise _NotExactError  # JOSM-drawn nodes: the pyosmium reader locates them
        sizes = _joined(self.way_sizes, np.int64)
        attrs = np.concatenate(self.way_attrs) if self.way_attrs else np.zeros((0, 4), np.int64)
        at = np.minimum(np.searchsorted(ids, refs), max(ids.size - 1, 0))
        present = ids[at] == refs if ids.size else np.zeros(refs.size, dtype=bool)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        keep, run_sizes, run_way, cut = _runs(refs, offsets, present)
        names = np.array(list(self.highways), dtype=object)
        way = attrs[run_way]
        newest = (
            _dt.datetime.fromtimestamp(self.newest, _dt.UTC) if self.newest >= _YEAR_1971 else None
        )
        return RawWays(
            ids=refs[keep],
            lon=x[at[keep]] / 1e7,
            lat=y[at[keep]] / 1e7,
            sizes=run_sizes,
            run_way=way[:, 0],
            run_highway=names[way[:, 1]] if names.size else np.zeros(0, dtype=object),
            run_flags=way[:, 2].astype(np.uint8),
            run_oneway=way[:, 3].astype(np.int8),
            cut=int(cut.sum()),
            newest=newest,
        )


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _text(buf: np.ndarray, spans: np.ndarray, s: int) -> str:
    """String ``s`` of the block's table; a text that is not UTF-8 is pyosmium's error."""
    try:
        return buf[spans[s, 0] : spans[s, 1]].tobytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise _NotExactError from err
