"""A pre-scan of .osm.pbf files for NUL bytes inside strings, which crash the OSM reader.

libosmium copies a PBF string (tag key, tag value, user name) into its object buffer as a
NUL-terminated C string. A string holding a NUL byte then misaligns the buffer, and reading the
object's tags in pyosmium 4.3 crashes the process (segmentation fault) instead of raising. OSM
data never contains NUL, so a file that does is refused before libosmium sees it.

The scan walks the file's blocks (framing, zlib) and each block's string table; it reports only
NUL bytes and leaves every other defect to libosmium, which reports those as errors.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from ..errors import InputDataError

__all__ = ["check_pbf_strings"]

#: libosmium's limits (osmium/io/detail/pbf.hpp): larger values are refused by libosmium itself
_MAX_HEADER = 64 * 1024
_MAX_BLOB = 32 * 1024 * 1024


def check_pbf_strings(path: Path) -> None:
    """Raise `InputDataError` when a string in a .osm.pbf file holds a NUL byte.

    Parameters
    ----------
    path
        An .osm.pbf file.
    """
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
            if header.get(1) == b"OSMData" and _nul_in_strings(blob):
                msg = (
                    f"{path}: a text in block {block} of the file holds a NUL byte, which no OSM "
                    "data contains (a corrupt or tampered file) and which crashes the OSM "
                    "reader; download or cut the extract again"
                )
                raise InputDataError(msg)
            block += 1


def _nul_in_strings(blob: bytes) -> bool:
    fields = _fields(blob)
    data = fields.get(1)
    compressed = fields.get(3)
    if data is None and isinstance(compressed, bytes):
        try:
            data = zlib.decompressobj().decompress(compressed, _MAX_BLOB)
        except zlib.error:
            return False  # libosmium reports the broken compression
    if not isinstance(data, bytes):
        return False  # other compressions: libosmium reads or refuses them
    table = _fields(data, only=1).get(1)
    if not isinstance(table, bytes):
        return False
    # writers start the table with the empty string (b"\n\x00"); past it a NUL byte can only be
    # another empty string's length or a NUL in a text: usually there is none, decided at C speed
    if b"\x00" not in (table[2:] if table.startswith(b"\n\x00") else table):
        return False
    pos, end = 0, len(table)
    while pos < end:
        key, pos = _varint(table, pos)
        if key != (1 << 3 | 2):
            return False  # not a string table as written by any OSM tool: libosmium decides
        length, pos = _varint(table, pos)
        if b"\x00" in table[pos : pos + length]:
            return True
        pos += length
    return False


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
