"""The native .osm.pbf reader (circle.io.pbf) against pyosmium: the same runs of the same ways,
array for array, or a fall-back to pyosmium where it cannot be exact."""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import numpy as np
import pytest

from circle.errors import InputDataError
from circle.io import osm
from circle.io.osm import RawWays, read_walk_ways

HELSINKI = Path(__file__).resolve().parent.parent / "data" / "helsinki_centre.osm.pbf"


def assert_same_as_pyosmium(path: Path, mode: str) -> RawWays:
    """The native reader reads the file (no fall-back) and gives pyosmium's runs exactly."""
    native = osm._read_native(path, mode)
    assert native is not None, "the native reader fell back to pyosmium"
    ref = osm._read_pyosmium(path, mode)
    for f in dataclasses.fields(RawWays):
        a, b = getattr(native, f.name), getattr(ref, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, f.name
            assert np.array_equal(a, b), f.name  # float coordinates: bit for bit (no NaN)
        else:
            assert a == b, f.name
    return native


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_native_reader_gives_pyosmium_runs_on_helsinki(mode):
    raw = assert_same_as_pyosmium(HELSINKI, mode)
    assert raw.cut > 0 and raw.newest is not None  # a clipped extract with timestamps
    assert (raw.run_oneway != 0).any() == (mode == "bike")


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_native_reader_gives_pyosmium_runs_on_a_generated_grid(tmp_path, mode):
    from bench.generate import write_grid_pbf

    path = write_grid_pbf(tmp_path / "grid.osm.pbf", 12, seed=3)
    raw = assert_same_as_pyosmium(path, mode)
    assert set(raw.run_highway) == ({"residential"} if mode == "walk" else
                                    {"residential", "cycleway"})


# ----------------------------------------------------------------------------- a PBF by hand


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _vi(field: int, n: int) -> bytes:
    return _varint(field << 3) + _varint(n)


def _packed(values, *, delta: bool = False, zigzag: bool = False) -> bytes:
    prev, out = 0, b""
    for v in values:
        d = v - prev if delta else v
        prev = v
        out += _varint((d << 1) ^ (d >> 63) if zigzag else d)
    return out


def _blob(kind: bytes, data: bytes) -> bytes:
    blob = _vi(2, len(data)) + _ld(3, zlib.compress(data))
    header = _ld(1, kind) + _vi(3, len(blob))
    return len(header).to_bytes(4, "big") + header + blob


def write_pbf(path: Path, nodes, ways, *, granularity=100, lat_offset=0, lon_offset=0,
              features=("OsmSchema-V0.6", "DenseNodes"), ways_first=False,
              one_block=False) -> Path:
    """A .osm.pbf file: `nodes` (id, lat, lon in units of `granularity` nanodegrees) in one
    dense block, `ways` (id, refs, tags, timestamp) in another (or both in one block, as two
    groups)."""
    strings = [""]

    def s(text: str) -> int:
        if text not in strings:
            strings.append(text)
        return strings.index(text)

    way_msgs = b""
    for way_id, refs, tags, stamp in ways:
        keys, vals = [s(k) for k in tags], [s(v) for v in tags.values()]
        way_msgs += _ld(3, _vi(1, way_id) + _ld(2, _packed(keys)) + _ld(3, _packed(vals))
                        + _ld(4, _vi(1, 1) + _vi(2, stamp))
                        + _ld(8, _packed(refs, delta=True, zigzag=True)))
    dense = (_ld(1, _packed([n[0] for n in nodes], delta=True, zigzag=True))
             + _ld(8, _packed([n[1] for n in nodes], delta=True, zigzag=True))
             + _ld(9, _packed([n[2] for n in nodes], delta=True, zigzag=True)))
    tail = _vi(17, granularity) + _vi(19, lat_offset) + _vi(20, lon_offset)
    table = _ld(1, b"".join(_ld(1, t.encode()) for t in strings))
    node_block = _blob(b"OSMData", table + _ld(2, _ld(2, dense)) + tail)
    way_block = _blob(b"OSMData", table + _ld(2, way_msgs) + tail)
    header = _blob(b"OSMHeader", b"".join(_ld(4, f.encode()) for f in features))
    body = way_block + node_block if ways_first else node_block + way_block
    if one_block:
        groups = [_ld(2, way_msgs), _ld(2, _ld(2, dense))]
        body = _blob(b"OSMData", table + b"".join(groups[::-1 if not ways_first else 1]) + tail)
    path.write_bytes(header + body)
    return path


#: nodes west and south of Greenwich (negative coordinates), in units of 1,000 nanodegrees;
#: with the offsets below, none is a whole number of 1e-7 degrees: libosmium truncates
NODES = [(k, -33_789_123 + 977 * k, -70_123_456 - 1_313 * k) for k in range(1, 13)]
WAYS = [
    (10, [1, 2, 2, 3, 4], {"highway": "residential", "oneway": "yes"}, 1_600_000_000),
    (11, [4, 99, 5, 6, 98, 7], {"highway": "footway", "layer": "-1"}, 1_500_000_000),  # cut
    (12, [7, 8, 97], {"highway": "service", "service": "private"}, 1_700_000_000),
    (13, [8, 9, 10, 8], {"highway": "cycleway", "oneway": "-1", "bridge": "yes"}, 0),
    (14, [10, 11, 12], {"building": "yes"}, 1_800_000_000),
    (15, [96, 11, 95], {"highway": "path"}, 1_650_000_000),  # a one-node run only
    (16, [11, 12, 12, 11], {"highway": "primary", "foot": "no", "area": "no"}, 1_000),
]


@pytest.mark.parametrize("one_block", [False, True])
@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_native_reader_gives_pyosmium_runs_on_a_clipped_extract(tmp_path, mode, one_block):
    path = write_pbf(tmp_path / "cut.osm.pbf", NODES, WAYS, granularity=1000,
                     lat_offset=-123_456_789, lon_offset=987_654_321, one_block=one_block)
    raw = assert_same_as_pyosmium(path, mode)
    assert raw.cut == (2 if mode == "walk" else 1)  # way 11 (and 15) run out of the file
    # the first node: libosmium's int32((c * 1000 + offset) / 100), C++ division
    lon = int((NODES[0][2] * 1000 + 987_654_321) / 100)
    assert raw.lon[0] == lon / 1e7 and lon < 0


@pytest.mark.parametrize("one_block", [False, True])
def test_nodes_after_ways_fall_back_to_pyosmium(tmp_path, one_block):
    path = write_pbf(tmp_path / "late.osm.pbf", NODES, WAYS, ways_first=True,
                     one_block=one_block)
    assert osm._read_native(path, "walk") is None
    # pyosmium meets every way before its nodes: none is walkable
    with pytest.raises(InputDataError, match="no walkable ways"):
        read_walk_ways(path)


def test_history_files_fall_back_to_pyosmium(tmp_path):
    features = ("OsmSchema-V0.6", "DenseNodes", "HistoricalInformation")
    path = write_pbf(tmp_path / "history.osm.pbf", NODES, WAYS, features=features)
    assert osm._read_native(path, "walk") is None
    assert read_walk_ways(path).cut_ways == 2


def test_negative_node_ids_fall_back_to_pyosmium(tmp_path):
    nodes = [(-n, lat, lon) for n, lat, lon in NODES]
    ways = [(w, [-r for r in refs], tags, t) for w, refs, tags, t in WAYS]
    path = write_pbf(tmp_path / "josm.osm.pbf", sorted(nodes), ways)
    assert osm._read_native(path, "walk") is None
    with pytest.raises(InputDataError, match=r"node -9[5-9], which is not in the file"):
        read_walk_ways(path)


def test_repeated_node_ids_are_refused_by_the_native_reader(tmp_path):
    nodes = [*NODES, (3, 0, 0)]  # unsorted, node 3 twice
    path = write_pbf(tmp_path / "twice.osm.pbf", nodes, WAYS)
    for read in (osm._read_native, read_walk_ways):  # the native reader's checks, the guard's
        with pytest.raises(InputDataError, match="node id 3 appears more than once"):
            read(path, "walk")


def _rewritten(source: Path, target: Path, options: str) -> Path:
    """`source` written again by libosmium as a .osm.pbf file with writer `options`."""
    import osmium

    writer = osmium.SimpleWriter(osmium.io.File(str(target), f"pbf,{options}"), overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(source)):
            writer.add(obj)
    finally:
        writer.close()
    return target


AGUASCALIENTES = HELSINKI.with_name("aguascalientes.osm.bz2")


@pytest.mark.parametrize(
    "options", ["pbf_compression=zlib", "pbf_compression=none,add_metadata=false"]
)
def test_native_reader_gives_the_xml_files_network_west_of_greenwich(tmp_path, options):
    pbf = _rewritten(AGUASCALIENTES, tmp_path / "ags.osm.pbf", options)
    raw = assert_same_as_pyosmium(pbf, "walk")
    assert (raw.lon < 0).all()
    xml, native = read_walk_ways(AGUASCALIENTES), read_walk_ways(pbf)
    for f in ("node_ids", "lonlat", "seg_u", "seg_v", "seg_way", "seg_highway", "seg_flags"):
        assert np.array_equal(getattr(xml, f), getattr(native, f)), f
    assert (native.newest_edit is None) == ("add_metadata=false" in options)


def test_other_compressions_fall_back_to_pyosmium(tmp_path):
    try:
        pbf = _rewritten(AGUASCALIENTES, tmp_path / "lz4.osm.pbf", "pbf_compression=lz4")
    except Exception as err:  # a libosmium built without lz4
        pytest.skip(f"no lz4 in this libosmium ({err})")
    assert osm._read_native(pbf, "walk") is None
    assert np.array_equal(read_walk_ways(pbf).node_ids, read_walk_ways(AGUASCALIENTES).node_ids)


def test_texts_libosmium_refuses_as_too_long_fall_back_to_its_error(tmp_path):
    ways = [*WAYS, (20, [1, 2], {"highway": "residential", "name": "x" * 1025}, 0)]
    path = write_pbf(tmp_path / "long.osm.pbf", NODES, ways)
    assert osm._read_native(path, "walk") is None
    with pytest.raises(InputDataError, match="overlong string"):
        read_walk_ways(path)
    ways[-1][2]["name"] = "x" * 1024  # libosmium's longest
    assert_same_as_pyosmium(write_pbf(tmp_path / "ok.osm.pbf", NODES, ways), "walk")
