"""A pre-scan of .osm.pbf files for NUL bytes inside strings, which crash the OSM reader.

libosmium copies a PBF string (tag key, tag value, user name) into its object buffer as a
NUL-terminated C string. A string holding a NUL byte then misaligns the buffer, and reading the
object's tags in pyosmium 4.3 crashes the process (segmentation fault) instead of raising. OSM
data never contains NUL, so a file that does is refused before libosmium sees it.

The scan walks the file's blocks (framing, zlib) and each block's string table; it reports only
NUL bytes and leaves every other defect to libosmium, which reports those as errors. It costs one
pass over the decompressed bytes at C speed (``bytes.count``, numpy), whatever the blocks hold: a
string table is walked entry by entry in Python only when it holds a second empty string, which
no OSM writer emits more than a few times (writers store each text once per block).

In the same pass the file is held to the byte budgets of `circle.io._limits`: its decompressed
blocks to the file budget, and its nodes (counted in the dense-node blocks every OSM writer uses:
one id varint per node) to the node budget, so a small file that expands to hundreds of millions
of nodes is refused before libosmium allocates their locations.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from ..errors import InputDataError
from ._limits import MAX_OSM_NODES_ENV, ByteBudget, max_osm_nodes

__all__ = ["PbfGuard", "check_pbf_strings", "duplicate_nodes"]

#: libosmium's limits (osmium/io/detail/pbf.hpp): larger values are refused by libosmium itself
_MAX_HEADER = 64 * 1024
_MAX_BLOB = 32 * 1024 * 1024


#: most empty strings in one block's string table walked entry by entry; more are refused
_MAX_EMPTY_STRINGS = 64
#: most texts in a string table walked entry by entry (real blocks hold a few thousand)
_MAX_WALKED_STRINGS = 200_000


def check_pbf_strings(path: Path) -> None:
    """Raise `InputDataError` when a string in a .osm.pbf file holds a NUL byte, a node id is
    given twice, or the file passes the byte or node budgets.

    Parameters
    ----------
    path
        An .osm.pbf file.
    """
    guard = PbfGuard(path)
    for block, data in _data_blocks(path):
        guard.block(block, data, _dense_ids(data))
    if not guard.ordered:  # not sorted by id (every OSM writer sorts): a second pass
        _check_unique(path, [ids for _, data in _data_blocks(path) for ids in _dense_ids(data)])


class PbfGuard:
    """The checks of `check_pbf_strings`, block after block, for a reader that decodes the
    blocks itself (`circle.io.pbf`): it gives each block's dense node ids, then calls `done`
    with all of them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.budget = ByteBudget(path, b"")
        self.node_limit = max_osm_nodes()
        self.nodes = 0
        self.last: int | None = None
        #: whether the node ids seen so far rise strictly
        self.ordered = True

    def block(self, block: int, data: bytes, dense_ids: list[np.ndarray]) -> None:
        """Check block number `block` (counted from the file's first block), decompressed."""
        self.budget.total += len(data)
        self.budget.feed(b"")
        _check_strings(self.path, data, block)
        for ids in dense_ids:
            self.nodes += ids.size
            if self.ordered and ids.size:
                self.ordered = bool(np.all(ids[1:] > ids[:-1])) and (
                    self.last is None or ids[0] > self.last
                )
                self.last = int(ids[-1])
        if self.nodes > self.node_limit:
            limit = self.node_limit
            msg = (
                f"{self.path}: more than {limit:,} nodes (by block {block}); circle reads "
                f"at most {limit:,} nodes per OSM file (about 16 bytes of memory "
                f"each). Cut the extract to the study area (osmium extract), or raise "
                f"the limit with {MAX_OSM_NODES_ENV}=N"
            )
            raise InputDataError(msg)

    def done(self, all_ids: list[np.ndarray]) -> None:
        """Refuse a node id given twice (checked only when the ids do not rise)."""
        if not self.ordered:
            _check_unique(self.path, all_ids)


def _data_blocks(path: Path):
    """The decompressed OSMData blocks of the file, numbered from its first block; stops at
    framing libosmium itself refuses."""
    with open(path, "rb") as f:
        block = 0
        while len(size := f.read(4)) == 4:
            header_size = int.from_bytes(size, "big")
            if header_size > _MAX_HEADER:
                return
            header = _fields(f.read(header_size))
            blob_size = header.get(3, 0)
            if not isinstance(blob_size, int) or not 0 <= blob_size <= _MAX_BLOB:
                return
            blob = f.read(blob_size)
            data = _block_data(blob) if header.get(1) == b"OSMData" else None
            if data is not None:
                yield block, data
            block += 1


def _check_unique(path: Path, parts: list[np.ndarray]) -> None:
    """Refuse a node id given twice among the ids of an unsorted file."""
    if not parts:
        return
    ids = np.sort(np.concatenate(parts))
    repeated = ids[1:][ids[1:] == ids[:-1]]
    if repeated.size:
        raise duplicate_nodes(path, repeated)


def duplicate_nodes(path: Path, repeated: np.ndarray) -> InputDataError:
    """The refusal of an OSM file with a node id given twice (libosmium keeps the last location
    of a repeated id, so a node id used at two places silently moves every street through it,
    by thousands of kilometres)."""
    shown = ", ".join(str(i) for i in np.unique(repeated)[:5])
    msg = (
        f"{path}: node id {shown} appears more than once (a merged or hand-edited file?); an "
        "OSM file gives each node once; merge the files with osmium merge, or fix the ids"
    )
    return InputDataError(msg)


def _block_data(blob: bytes) -> bytes | None:
    """A block's decompressed bytes (raw or zlib), None when libosmium should decide."""
    fields = _fields(blob)
    data = fields.get(1)
    compressed = fields.get(3)
    if data is None and isinstance(compressed, bytes):
        try:
            data = zlib.decompressobj().decompress(compressed, _MAX_BLOB)
        except zlib.error:
            return None  # libosmium reports the broken compression
    return data if isinstance(data, bytes) else None  # other compressions: libosmium decides


def _check_strings(path: Path, data: bytes, block: int) -> None:
    verdict = _nul_in_strings(data)
    if verdict == "nul":
        msg = (
            f"{path}: a text in block {block} of the file holds a NUL byte, which no OSM "
            "data contains (a corrupt or tampered file) and which crashes the OSM "
            "reader; download or cut the extract again"
        )
        raise InputDataError(msg)
    if verdict == "crafted":
        msg = (
            f"{path}: block {block} of the file repeats the empty text or holds more than "
            f"{_MAX_WALKED_STRINGS:,} texts with an empty one among them, which no OSM writer "
            "does (writers store each text once per block): a crafted file? download or cut "
            "the extract again"
        )
        raise InputDataError(msg)


def _nul_in_strings(data: bytes) -> str | None:
    """"nul" when a text of the block's string table holds a NUL byte, "crafted" when the table
    is too odd to walk, None when it is fine (or not a table libosmium would read)."""
    table = _fields(data, only=1).get(1)
    if not isinstance(table, bytes):
        return None
    # a NUL byte in a canonical table is the length of an empty string (after its key, b"\n")
    # or a NUL in a text: counted at C speed, the table is walked only when that is ambiguous
    nuls = table.count(b"\x00")
    empties = table.count(b"\n\x00")
    if nuls > empties:
        return "nul"  # a NUL after anything but a key: inside a text (or a non-canonical length)
    if empties - table.startswith(b"\n\x00") == 0:
        return None
    if empties > _MAX_EMPTY_STRINGS or table.count(b"\n") > _MAX_WALKED_STRINGS:
        return "crafted"
    pos, end = 0, len(table)
    while pos < end:
        key, pos = _varint(table, pos)
        if key != (1 << 3 | 2):
            return None  # not a string table as written by any OSM tool: libosmium decides
        length, pos = _varint(table, pos)
        if b"\x00" in table[pos : pos + length]:
            return "nul"
        pos += length
    return None


def _dense_ids(data: bytes) -> list[np.ndarray]:
    """Node ids of a block's dense-node groups, decoded at numpy speed (packed zigzag varints,
    delta coded)."""
    out = []
    for group in _all_fields(data, 2):
        dense = _fields(group, only=2).get(2)
        if isinstance(dense, bytes):
            packed = _fields(dense, only=1).get(1)
            if isinstance(packed, bytes) and packed:
                out.append(_decode_ids(np.frombuffer(packed, dtype=np.uint8)))
    return out


#: varints decoded at a time (bounds the temporaries: about 50 bytes per varint)
_DECODE_STEP = 1 << 20


def _decode_ids(raw: np.ndarray) -> np.ndarray:
    """The ids of a packed, delta-coded sint64 array, decoded a million varints at a time."""
    ends = np.flatnonzero(raw < 0x80)
    if ends.size == 0 or ends[-1] != raw.size - 1:
        return np.zeros(0, dtype=np.int64)  # truncated: libosmium reports it
    out = np.empty(ends.size, dtype=np.int64)
    start = done = 0
    base = np.int64(0)
    for stop in range(0, ends.size, _DECODE_STEP):
        last = ends[min(stop + _DECODE_STEP, ends.size) - 1]
        piece = raw[start : last + 1]
        tail = piece < 0x80
        starts = np.concatenate(([0], np.flatnonzero(tail)[:-1] + 1))
        group: np.ndarray = np.cumsum(tail) - tail  # the varint of each byte
        shift = np.minimum((np.arange(piece.size) - starts[group]) * 7, 63).astype(np.uint64)
        value = np.add.reduceat((piece & 0x7F).astype(np.uint64) << shift, starts)
        delta = (value >> np.uint64(1)).astype(np.int64) ^ -(value & np.uint64(1)).astype(np.int64)
        ids = base + np.cumsum(delta)
        out[done : done + ids.size] = ids
        done += ids.size
        base = ids[-1]
        start = last + 1
    return out


def _all_fields(buf: bytes, number: int) -> list[bytes]:
    """Every byte-string value of field `number` of a protobuf message (its top level)."""
    out = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        if key < 0:
            break
        wire = key & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if length < 0 or pos + length > end:
                break
            if key >> 3 == number:
                out.append(buf[pos : pos + length])
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            break
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(buf) and shift < 64:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    return -1, len(buf) + 1  # truncated or overlong: ends every loop


def _fields(buf: bytes, only: int | None = None) -> dict[int, int | bytes]:
    """The first value of each field of a protobuf message (varints and byte strings)."""
    out: dict[int, int | bytes] = {}
    value: int | bytes
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        if key < 0:
            break
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if length < 0 or pos + length > end:
                break
            value = buf[pos : pos + length]
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            continue
        else:
            break
        out.setdefault(number, value)
        if number == only:
            break
    return out
