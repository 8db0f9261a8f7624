"""Fuzzing the readers: whatever bytes arrive, the outcome is a valid layer or network, or a
`CircleError` (one line for the CLI) — never another exception, and no stray warning.

Inputs are generated: CSV and GeoJSON built from hostile pieces then mutated, random bytes, and
mutations of a small valid OSM file (XML and uncompressed PBF). The suite runs a fixed, bounded
number of cases; ``CIRCLE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py`` runs a deeper
campaign.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circle.coverage.core import prepare_layer
from circle.errors import CircleError, CircleWarning
from circle.io.extract import layers_from_osm
from circle.io.files import read_layer
from circle.network.load import network_from_osm

from .conftest import make_network
from .strategies import bounded
from .test_network import GRID, osm_xml

EXAMPLES = int(os.environ.get("CIRCLE_FUZZ_EXAMPLES", "0")) or None
NETWORK = make_network({i: (100.0 * i, 0.0) for i in range(5)}, [(i, i + 1) for i in range(4)])


def fuzz(default: int):
    return bounded(EXAMPLES or default)


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="circle-fuzz-") as d:
        yield Path(d)


def outcome_is_valid_or_circle_error(action) -> object:
    """Run `action`; a CircleError is a valid outcome, circle's own warnings are allowed, any
    other exception or warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", CircleWarning)
        try:
            return action()
        except CircleError as err:
            assert "\n" not in str(err), "an error message must be one line"
            return err


# ---- pieces of hostile text ------------------------------------------------------------------

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e400", "-0", "0x1F", "1,5", "٣", "１２"]),
)
words = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"', '""', '"a,b"', "\n", "\r", "\x00", "<b>", "沈阳", "Töölö", "\ufeff"]),
)
cells = st.one_of(numbers, words)


@st.composite
def csv_texts(draw) -> bytes:
    header = draw(
        st.one_of(
            st.sampled_from([["id", "lon", "lat"], ["id", "name", "lon", "lat", "population"],
                             ["ID", "Longitude", "Latitude"], ["id", "x", "y", "type"]]),
            st.lists(words, min_size=1, max_size=5),
        )
    )
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 1), max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(",".join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


coordinates = st.one_of(
    st.floats(-200, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 0.0]),
)
positions = st.lists(coordinates, min_size=0, max_size=3)


def geometries():
    point = st.builds(lambda c: {"type": "Point", "coordinates": c}, positions)
    line = st.builds(
        lambda c: {"type": "LineString", "coordinates": c}, st.lists(positions, max_size=4)
    )
    ring = st.lists(positions, max_size=6)
    polygon = st.builds(lambda r: {"type": "Polygon", "coordinates": r}, st.lists(ring, max_size=2))
    multi = st.builds(
        lambda p: {"type": "MultiPolygon", "coordinates": [p["coordinates"]]}, polygon
    )
    simple = st.one_of(point, line, polygon, multi, st.none(),
                       st.just({"type": "Nonsense", "coordinates": []}))
    collection = st.builds(lambda g: {"type": "GeometryCollection", "geometries": g},
                           st.lists(st.one_of(point, polygon), max_size=2))
    return st.one_of(simple, collection)


values = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), coordinates, words,
                   st.lists(st.integers(), max_size=2), st.dictionaries(words, words, max_size=2))


@st.composite
def geojson_bytes(draw) -> bytes:
    features = draw(st.lists(
        st.builds(
            lambda g, p: {"type": "Feature", "properties": p, "geometry": g},
            geometries(),
            st.fixed_dictionaries({}, optional={"id": values, "name": values, "population": values,
                                                "type": values}),
        ),
        max_size=5,
    ))
    doc = {"type": "FeatureCollection", "features": features}
    if draw(st.booleans()):
        doc["crs"] = {"type": "name", "properties": {"name": draw(st.sampled_from(
            ["EPSG:32651", "urn:ogc:def:crs:EPSG::4326", "EPSG:999999", "nonsense"]))}}
    return mutate(draw, json.dumps(doc, allow_nan=True).encode())


def mutate(draw, data: bytes) -> bytes:
    """Up to five edits: overwrite a byte, delete a run, insert bytes, or cut the file short."""
    out = bytearray(data)
    for _ in range(draw(st.integers(0, 5))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        op = draw(st.sampled_from(["set", "delete", "insert", "cut"]))
        if op == "set":
            out[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 40))]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del out[at:]
    return bytes(out)


def read_and_prepare(path: Path, kind: str) -> gpd.GeoDataFrame:
    layer = read_layer(path)
    prepared, xy, _ = prepare_layer(layer, NETWORK, kind=kind)
    assert len(prepared) == len(layer) and xy.shape == (len(layer), 2)
    assert all(math.isfinite(v) for v in xy.ravel())
    return prepared


# ---- the fuzz tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "texts"), [(".csv", csv_texts()), (".geojson", geojson_bytes())],
    ids=["csv", "geojson"],
)
@fuzz(150)
@given(data=st.data(), kind=st.sampled_from(["centres", "communities"]))
def test_layer_reader_survives_any_bytes(workdir, suffix, texts, data, kind):
    path = workdir / f"layer{suffix}"
    path.write_bytes(data.draw(st.one_of(texts, st.binary(max_size=300)), label="content"))
    outcome_is_valid_or_circle_error(lambda: read_and_prepare(path, kind))


@pytest.fixture(scope="module")
def xlsx_base(workdir):
    """Generated: a small workbook of centres, written with its XML stored uncompressed so that
    mutations reach the sheet XML and not only the deflate stream."""
    path = workdir / "base.xlsx"
    pd.DataFrame(
        {"id": ["c1", "c2", "c3"], "name": ["沈阳", "<b>", "x"], "lon": [24.95, 24.96, 24.97],
         "lat": [60.17, 60.17, 60.17]}
    ).to_excel(path, index=False)
    stored = workdir / "stored.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as out:
        for item in src.infolist():
            out.writestr(item.filename, src.read(item.filename))
    return stored.read_bytes()


@fuzz(100)
@given(data=st.data(), kind=st.sampled_from(["centres", "communities"]))
def test_excel_reader_survives_mutated_workbooks(workdir, xlsx_base, data, kind):
    path = workdir / "layer.xlsx"
    path.write_bytes(mutate(data.draw, xlsx_base))
    outcome_is_valid_or_circle_error(lambda: read_and_prepare(path, kind))


def small_osm_files(folder: Path) -> dict[str, bytes]:
    """Generated: a 5x5 street grid with a residential area and a community centre, as OSM XML
    and as uncompressed PBF (so mutations reach the PBF structure, not just zlib)."""
    ways = [(100 + r, [5 * r + c for c in range(5)], {"highway": "residential", "name": "Zhōng"})
            for r in range(5)]
    ways.append((200, [6, 7, 12, 11, 6], {"landuse": "residential", "name": "&lt;b&gt;Block"}))
    declaration, root, body = osm_xml(GRID, ways).split("\n", 2)
    centre = ('<node id="999" version="1" lat="41.8015" lon="123.4015">'
              '<tag k="amenity" v="community_centre"/></node>')
    xml = "\n".join([declaration, root, centre, body]).encode()
    (folder / "grid.osm").write_bytes(xml)
    pbf = folder / "grid.osm.pbf"
    writer = osmium.SimpleWriter(osmium.io.File(str(pbf), "pbf,pbf_compression=none"),
                                 overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(folder / "grid.osm")):
            writer.add(obj)
    finally:
        writer.close()
    return {".osm": xml, ".osm.pbf": pbf.read_bytes()}


@pytest.fixture(scope="module")
def osm_bases(workdir):
    return small_osm_files(workdir)


@fuzz(150)
@given(data=st.data(), suffix=st.sampled_from([".osm", ".osm.pbf"]))
def test_osm_reader_survives_mutated_files(workdir, osm_bases, data, suffix):
    path = workdir / f"mutated{suffix}"
    path.write_bytes(mutate(data.draw, osm_bases[suffix]))

    def read():
        network_from_osm(path, min_component_m=0, use_cache=False)
        return layers_from_osm(path)

    outcome_is_valid_or_circle_error(read)


@pytest.mark.filterwarnings("ignore:.*written empty")  # the grid has no candidates or gates
def test_osm_fuzz_bases_are_valid(workdir, osm_bases):
    """Unmutated, both bases read: the fuzz starts from working files."""
    for suffix in osm_bases:
        net = network_from_osm(workdir / f"grid{suffix}", min_component_m=0, use_cache=False)
        centres, communities = layers_from_osm(workdir / f"grid{suffix}")
        assert net.n_edges == 20 and len(centres) == 1 and len(communities) == 1
