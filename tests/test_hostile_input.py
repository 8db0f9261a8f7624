"""Hostile and broken input: each ends in ONE line `Error: <file>: ...`, exit code 1, no traceback,
no output file, quickly and in bounded memory.

Every file here is generated (or cut from the bundled data) by the test. The README's reliability
table lists these cases by id; `test_readme_lists_every_case` keeps the two in step.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import pytest
import shapely

from circle.bundled import bundled_path

from .test_network import GRID, osm_xml

ROOT = Path(__file__).resolve().parents[1]
HEL_PBF = bundled_path("helsinki_centre.osm.pbf")
AGU_BZ2 = bundled_path("aguascalientes.osm.bz2")
#: a walkable generated street grid (five 220 m streets) near Shenyang
GRID_XML = osm_xml(
    GRID, [(100 + r, [5 * r + c for c in range(5)], {"highway": "residential"}) for r in range(5)]
)
#: a centre in central Helsinki, on the bundled network
HEL = "24.9527,60.1680"


def feature_collection(*features: str) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def point(lon_lat: str) -> str:
    return f'{{"type":"Point","coordinates":[{lon_lat}]}}'


def feature(props: str, geometry: str) -> str:
    return f'{{"type":"Feature","properties":{{{props}}},"geometry":{geometry}}}'


def billion_laughs() -> str:
    """The classic entity-expansion bomb: 10 levels of 10x expansion, 10^9 'lol's (3 GB)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE osm [\n' + "\n".join(entities) + "\n]>\n"
        '<osm version="0.6"><node id="1" lat="41.8" lon="123.4"><tag k="name" v="&lol9;"/>'
        "</node></osm>\n"
    )


def external_entity() -> str:
    return (
        '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<osm version="0.6"><node id="1" lat="41.8" lon="123.4"><tag k="name" v="&xxe;"/>'
        "</node></osm>"
    )


def flipped(data: bytes, every: int = 97, start: int = 64) -> bytes:
    out = bytearray(data)
    for i in range(start, len(out), every):
        out[i] ^= 0x5A
    return bytes(out)


def pbf_with_non_utf8_tag(path: Path) -> None:
    """Generated: an uncompressed PBF whose highway value is replaced by invalid UTF-8 bytes."""
    tmp = path.with_name("clean.osm.pbf")
    writer = osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf,pbf_compression=none"))
    for i in range(3):
        writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(123.4 + 0.01 * i, 41.8)))
    writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3], tags={"highway": "residential"}))
    writer.close()
    data = tmp.read_bytes()
    assert data.count(b"residential") == 1
    path.write_bytes(data.replace(b"residential", b"\xff" * 11))


def pbf_with_nul_in_a_string(path: Path, *, compress: bool) -> None:
    """Generated: a PBF whose tag key "name" became "\\x00ame" (one corrupted byte), in raw or
    zlib-compressed blocks. Unguarded, pyosmium 4.3 crashes with a segmentation fault on it."""
    raw = path.with_name("raw.osm.pbf")
    writer = osmium.SimpleWriter(osmium.io.File(str(raw), "pbf,pbf_compression=none"))
    for i in range(3):
        writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(123.4 + 0.01 * i, 41.8)))
    writer.add_way(osmium.osm.mutable.Way(
        id=1, nodes=[1, 2, 3], tags={"highway": "residential", "name": "Main"}))
    writer.close()
    data = raw.read_bytes()
    assert data.count(b"name") == 1
    data = data.replace(b"name", b"\x00ame")
    path.write_bytes(_zlib_blocks(data) if compress else data)


def _pb_varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def _pb_bytes(field: int, value: bytes) -> bytes:
    return _pb_varint(field << 3 | 2) + _pb_varint(len(value)) + value


def _zlib_blocks(raw_pbf: bytes) -> bytes:
    """Re-encode an uncompressed PBF's blocks as zlib blocks (Blob.raw -> Blob.zlib_data)."""
    from circle.io._pbf_guard import _fields

    out, pos = bytearray(), 0
    while pos < len(raw_pbf):
        size = int.from_bytes(raw_pbf[pos : pos + 4], "big")
        header = _fields(raw_pbf[pos + 4 : pos + 4 + size])
        blob_at = pos + 4 + size
        payload = _fields(raw_pbf[blob_at : blob_at + header[3]])[1]
        blob = _pb_varint(2 << 3) + _pb_varint(len(payload)) + _pb_bytes(3, zlib.compress(payload))
        new_header = _pb_bytes(1, header[1]) + _pb_varint(3 << 3) + _pb_varint(len(blob))
        out += len(new_header).to_bytes(4, "big") + new_header + blob
        pos = blob_at + header[3]
    return bytes(out)


def xlsx(path: Path, n: int = 4, sheet_xml=None) -> bytes:
    """Generated: an Excel workbook of `n` centres; `sheet_xml` rewrites its sheet's XML."""
    table = pd.DataFrame({"id": [f"c{i}" for i in range(n)], "lon": 24.9527, "lat": 60.168})
    table.to_excel(path, index=False, engine="openpyxl")  # its sheet XML has no declaration
    if sheet_xml is not None:
        book = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(path, "w") as out:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = sheet_xml(data)
                out.writestr(item, data, zipfile.ZIP_DEFLATED)
    return path.read_bytes()


def entity_bomb_sheet(sheet: bytes) -> bytes:
    """The billion-laughs DTD put in front of a sheet, its first value made of the bomb."""
    dtd = billion_laughs().split("<!DOCTYPE osm [", 1)[1].split("]>", 1)[0]
    head = f"<!DOCTYPE worksheet [{dtd}]>".encode()
    # the DOCTYPE goes after the XML declaration when the writer emits one (xlsxwriter does,
    # which pandas picks over openpyxl once installed; in front of it expat stops at "XML or text
    # declaration not at start of entity")
    decl_end = sheet.index(b"?>") + 2 if sheet.startswith(b"<?xml") else 0
    body = sheet[decl_end:].replace(b"<v>", b"<v>&lol9;", 1)
    return sheet[:decl_end] + head + body


def cut_at_tag(sheet: bytes) -> bytes:
    """The sheet's XML ended at the first tag boundary past its middle: well-formed up to there,
    its elements left open (expat: "no element found"), whatever bytes the writer emitted."""
    return sheet[: sheet.index(b"<", len(sheet) // 2)]


def gpkg(path: Path, n: int = 4) -> bytes:
    layer = gpd.GeoDataFrame(
        {"id": [f"c{i}" for i in range(n)]},
        geometry=[shapely.Point(24.95 + 0.001 * i, 60.17) for i in range(n)],
        crs="EPSG:4326",
    )
    layer.to_file(path)
    return path.read_bytes()


@dataclass(frozen=True)
class Case:
    """One hostile input: which option takes it, the file, and what the error line says."""

    id: str
    option: str
    name: str
    make: Callable[[Path], object]  # writes the file at the given path
    expect: str
    env: tuple = ()


def text(content: str, encoding: str = "utf-8"):
    return lambda p: p.write_bytes(content.encode(encoding))


def data(content: bytes):
    return lambda p: p.write_bytes(content)


CASES = [
    # ---- street networks ------------------------------------------------------------------
    Case("truncated_osm", "--network", "cut.osm", text(GRID_XML[: len(GRID_XML) * 2 // 3]),
         "cannot read as OpenStreetMap data (XML parsing error"),
    Case("truncated_pbf", "--network", "cut.osm.pbf",
         lambda p: p.write_bytes(HEL_PBF.read_bytes()[:100_000]), "PBF error: unexpected EOF"),
    Case("corrupt_pbf", "--network", "flipped.osm.pbf",
         lambda p: p.write_bytes(flipped(HEL_PBF.read_bytes())),
         "cannot read as OpenStreetMap data"),
    Case("random_bytes_pbf", "--network", "noise.osm.pbf", data(bytes(range(256)) * 20),
         "cannot read as OpenStreetMap data (PBF error"),
    Case("truncated_bz2", "--network", "cut.osm.bz2",
         lambda p: p.write_bytes(AGU_BZ2.read_bytes()[:40_000]), "bzip2 error"),
    Case("billion_laughs_osm", "--network", "laughs.osm", text(billion_laughs()),
         "declares XML entities"),
    Case("external_entity_osm", "--network", "xxe.osm", text(external_entity()),
         "declares XML entities"),
    Case("osm_node_out_of_range", "--network", "far.osm",
         text(osm_xml(GRID | {0: (181.0, 91.0)}, [(1, [0, 1, 2], {"highway": "residential"})])),
         "node 0 has coordinates out of range (lon 181, lat 91)"),
    Case("osm_nan_coordinate", "--network", "nan.osm",
         text(GRID_XML.replace('lat="41.8" lon="123.4"', 'lat="nan" lon="inf"')),
         "malformed coordinates"),
    Case("osm_non_utf8_tag", "--network", "bytes.osm.pbf", pbf_with_non_utf8_tag,
         "tag text that is not UTF-8"),
    # ---- layer files ----------------------------------------------------------------------
    Case("truncated_gpkg", "--centres", "cut.gpkg",
         lambda p: p.write_bytes(gpkg(p)[:40_000]), "cannot read as a vector layer"),
    Case("corrupt_gpkg", "--centres", "flipped.gpkg",
         lambda p: p.write_bytes(flipped(gpkg(p), start=0)), "cannot read as a vector layer"),
    Case("truncated_geojson", "--centres", "cut.geojson",
         text(feature_collection(feature('"id":"c1"', '{"type":"Point","coordinates":[24.9'))),
         "cannot read as a vector layer"),
    Case("nested_geojson", "--centres", "deep.geojson",
         text(feature_collection(feature('"id":"c1"', '{"type":"Point","coordinates":'
                                         + "[" * 50_000 + "]" * 50_000 + "}"))),
         "Too many nested objects"),
    Case("binary_csv", "--centres", "noise.csv", data(bytes(range(256)) * 20),
         "neither UTF-8 nor GB18030 text"),
    Case("unterminated_quote_csv", "--centres", "quote.csv",
         text(f'id,lon,lat\nc1,{HEL}\n"c2,24.95,60.17\n'), "cannot read as CSV"),
    Case("corrupt_xlsx", "--centres", "centres.xlsx", data(b"PK\x03\x04" + bytes(200)),
         "cannot read as an Excel workbook (File is not a zip file)"),
    Case("truncated_xlsx", "--centres", "cut.xlsx", lambda p: p.write_bytes(xlsx(p)[:3000]),
         "cannot read as an Excel workbook"),
    Case("malformed_sheet_xlsx", "--centres", "badxml.xlsx",
         lambda p: xlsx(p, sheet_xml=cut_at_tag),
         "cannot read as an Excel workbook (no element found"),
    Case("billion_laughs_xlsx", "--centres", "laughs.xlsx",
         lambda p: xlsx(p, sheet_xml=entity_bomb_sheet),
         "laughs.xlsx: its part xl/worksheets/sheet1.xml declares XML entities"),
    Case("rows_over_limit_xlsx", "--centres", "many.xlsx", lambda p: xlsx(p, 6),
         "more than 5 features", env=(("CIRCLE_MAX_FEATURES", "5"),)),
    Case("absurd_coordinates_csv", "--centres", "huge.csv", text("id,lon,lat\nc1,1e308,-1e308\n"),
         "coordinates out of range for longitude/latitude in row 1"),
    Case("absurd_coordinates_geojson", "--centres", "huge.geojson",
         text(feature_collection(feature('"id":"c1"', point("1e308,1e308")))),
         "coordinates out of range for longitude/latitude in feature 1"),
    Case("nan_inf_csv", "--centres", "nan.csv", text("id,lon,lat\nc1,inf,60.17\nc2,24.95,NaN\n"),
         "missing or non-numeric coordinates in row 1, 2"),
    Case("nan_geojson", "--centres", "nan.geojson",
         text(feature_collection(feature('"id":"c1"', point("NaN,60.17")))),
         "NaN or infinite coordinates in feature 1"),
    Case("inf_population", "--communities", "pop.csv",
         text(f"id,lon,lat,population\nh1,{HEL},inf\nh2,{HEL},-1e400\n"),
         "non-numeric population in row 1, 2"),
    Case("rows_over_limit_csv", "--centres", "many.csv",
         text("id,lon,lat\n" + "".join(f"c{i},{HEL}\n" for i in range(6))),
         "more than 5 features", env=(("CIRCLE_MAX_FEATURES", "5"),)),
    Case("features_over_limit_gpkg", "--centres", "many.gpkg", gpkg, "more than 3 features",
         env=(("CIRCLE_MAX_FEATURES", "3"),)),
    Case("unrepairable_polygon", "--communities", "line.geojson",
         text(feature_collection(feature(
             '"id":"h1"', '{"type":"Polygon","coordinates":[[[24.95,60.17],[24.96,60.17],'
             '[24.95,60.17],[24.96,60.17],[24.95,60.17]]]}'))),
         "invalid polygon that cannot be repaired in feature 1"),
    Case("empty_polygon", "--communities", "empty.geojson",
         text(feature_collection(feature('"id":"h1"', '{"type":"Polygon","coordinates":[]}'))),
         "empty or missing geometry in feature 1"),
    Case("mixed_geometry_types", "--centres", "mixed.geojson",
         text(feature_collection(
             feature('"id":"c1"', '{"type":"Point","coordinates":[24.9527,60.168]}'),
             feature('"id":"c2"',
                     '{"type":"LineString","coordinates":[[24.95,60.17],[24.96,60.17]]}'),
             feature('"id":"c3"', '{"type":"GeometryCollection","geometries":['
                                  '{"type":"Point","coordinates":[24.95,60.17]}]}'),
         )),
         "lines or collections in feature 2, 3"),
    Case("duplicate_ids", "--centres", "dup.csv", text(f"id,lon,lat\nc1,{HEL}\nc1,{HEL}\n"),
         "duplicate ids ['c1'] in row 1, 2"),
    Case("null_ids_csv", "--centres", "noid.csv", text(f"id,lon,lat\n,{HEL}\nc2,{HEL}\n"),
         "missing id in row 1"),
    Case("null_ids_geojson", "--centres", "noid.geojson",
         text(feature_collection(
             feature('"id":"c1"', '{"type":"Point","coordinates":[24.9527,60.168]}'),
             feature('"id":null', '{"type":"Point","coordinates":[24.9527,60.168]}'),
         )),
         "missing id in feature 2"),
    Case("latin1_csv", "--centres", "latin1.csv",
         text(f"id,name,lon,lat\nc1,Töölön työvoimatoimisto,{HEL}\n", "latin-1"),
         "neither UTF-8 nor common Chinese GB18030 text (it would read '鰊'; Latin-1 or another "
         "encoding?); save it as UTF-8 CSV"),
    Case("utf16_csv", "--centres", "utf16.csv", text(f"id,lon,lat\nc1,{HEL}\n", "utf-16"),
         "UTF-16 text"),
    Case("gbk_geojson", "--centres", "gbk.geojson",
         text(feature_collection(feature('"id":"c1","name":"沈阳市就业服务中心"', point(HEL))),
              "gbk"),
         "text that is not UTF-8"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_ends_in_one_line(case, cli_runner, tmp_path, monkeypatch):
    path = tmp_path / case.name
    case.make(path)
    for key, value in case.env:
        monkeypatch.setenv(key, value)
    out = tmp_path / "out"
    args = ["-q", "coverage", case.option, str(path), "--out", str(out)]
    res = cli_runner(args, catch_exceptions=False)
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith(f"Error: {path}: ") or lines[0].startswith(f"Error: {path.name}: ")
    assert case.expect in lines[0], lines[0]
    assert not out.exists()


# ---- cases that need a real process: blocking files, memory, size --------------------------

PEAK_RSS = """
import atexit, resource, sys

def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would include the parent's RSS at fork)
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

atexit.register(lambda: print("peak_rss_mb", peak_mb(), file=sys.stderr))
from circle.cli import main
sys.argv = ["circle", *sys.argv[1:]]
main()
"""


def run_measured(*args, timeout=120, env=None):
    """Run the CLI in a fresh process; returns (exit code, error lines, peak RSS in MB)."""
    res = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "-q", "coverage", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    lines = res.stderr.strip().splitlines()
    peak = float(lines[-1].split()[1])
    return res.returncode, lines[:-1], peak


@pytest.mark.parametrize(
    ("option", "name", "expect"),
    [
        ("--network", "laughs.osm", "declares XML entities"),
        ("--centres", "laughs.xlsx", "declares XML entities"),
    ],
)
def test_billion_laughs_ends_at_once_in_bounded_memory(tmp_path, option, name, expect):
    """Entity declarations are refused before any XML parser sees them (OSM XML by circle's
    scan, workbooks by the scan that counts their rows): measured, the bomb never expands (3 GB if
    it did), and the process peaks like a small run."""
    path = tmp_path / name
    if name.endswith(".osm"):
        path.write_text(billion_laughs())
    else:
        xlsx(path, sheet_xml=entity_bomb_sheet)
    code, lines, peak_mb = run_measured(option, path, "--out", tmp_path / "out")
    assert code == 1 and len(lines) == 1 and expect in lines[0]
    assert peak_mb < 600, f"peak {peak_mb:.0f} MB"
    assert not (tmp_path / "out").exists()


def test_ten_million_row_csv_is_refused_in_bounded_memory(tmp_path):
    """A genuine 10,000,000-row centres CSV (250 MB, unique ids) is refused by the streaming
    line count before pandas sees it; the process peaks like any small run."""
    path = tmp_path / "centres_10m.csv"
    block = "".join(f"X{i:07d},{HEL}\n" for i in range(1_000_000)).encode()
    try:
        with open(path, "wb") as f:
            f.write(b"id,lon,lat\n")
            for prefix in b"ABCDEFGHIJ":
                f.write(block.replace(b"X", bytes([prefix])))
        del block
        code, lines, peak_mb = run_measured("--centres", path)
        assert code == 1 and len(lines) == 1
        assert "more than 1,000,000 features (250 MB)" in lines[0]
        assert "CIRCLE_MAX_FEATURES=N" in lines[0]
        assert peak_mb < 600, f"peak {peak_mb:.0f} MB"
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "zlib"])
def test_pbf_with_nul_in_a_string_is_refused_not_crashing(tmp_path, compress):
    """libosmium takes PBF strings as C strings: a NUL byte misaligns the object and pyosmium
    crashes (SIGSEGV, found by test_fuzz). circle scans the string tables first and refuses."""
    path = tmp_path / "nul.osm.pbf"
    pbf_with_nul_in_a_string(path, compress=compress)
    if compress:  # the re-encoded file is a valid PBF: libosmium reads its nodes
        assert sum(1 for _ in osmium.FileProcessor(str(path), osmium.osm.NODE)) == 3
    code, lines, _ = run_measured("--network", path)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(f"Error: {path}: a text in block 2 of the file holds a NUL byte")


@pytest.mark.parametrize("option", ["--centres", "--network"])
def test_named_pipe_is_refused_not_waited_on(tmp_path, option):
    """A FIFO would block a reader forever: refused as not a regular file."""
    path = tmp_path / ("pipe.csv" if option == "--centres" else "pipe.osm")
    os.mkfifo(path)
    code, lines, _ = run_measured(option, path, timeout=120)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(f"Error: {path}: not a regular file")


# ---- documented exceptions: accepted with a warning ------------------------------------------


def test_gbk_csv_from_chinese_excel_is_read_with_a_warning(cli_runner, tmp_path):
    """Chinese Excel saves CSV as GBK: read as GB18030 when every character is common Chinese
    (GB2312), with a warning saying so; the name arrives intact."""
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"id,name,lon,lat\nc1,沈阳市就业服务中心,{HEL}\n".encode("gbk"))
    out = tmp_path / "out"
    res = cli_runner(["-q", "coverage", "--centres", str(path), "--out", str(out)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "not UTF-8; read as GB18030" in res.stderr and "save it as UTF-8" in res.stderr
    table = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))
    names = {f["properties"]["nearest_centre_name"] for f in table["features"]}
    assert names == {"沈阳市就业服务中心"}


# ---- the README's table is this file's table ------------------------------------------------


def test_readme_lists_every_case():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`hostile\[(\w+)\]`", section))
    assert listed == {c.id for c in CASES}
    for name in re.findall(r"`(test_\w+)`", section):
        assert any(name in p.read_text() for p in (ROOT / "tests").glob("test_*.py")), name
