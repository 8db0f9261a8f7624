"""Issue 24 (bounds): byte budgets, spreadsheet-safe CSV, no silent wrong answers, one-line errors.

The byte bombs are the bench's generators (bench/bombs.py) at a small size, with the budgets
lowered through their environment variables; the full-size bombs are measured in
bench/LIMITS_RESULTS.md (``python -m bench.bombs``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import bombs
from circle._csv import neutralise, restore, save_csv
from circle.bundled import bundled_path
from circle.io.osm import read_walk_ways

HEL = "24.9527,60.1680"


def run_one_line(cli_runner, tmp_path, args, env=None, code=1):
    """Run ``circle -q coverage ARGS --out tmp/out``: the exit code and the one error line."""
    out = tmp_path / "out"
    res = cli_runner(["-q", "coverage", *args, "--out", out], env=env or {})
    assert res.exit_code == code, res.output
    assert not out.exists()
    lines = [ln for ln in res.output.strip().splitlines() if ln.startswith("Error")]
    assert len(lines) == 1, res.output
    if code == 1:
        assert len(res.output.strip().splitlines()) == 1, res.output
    return lines[0]


# --- byte budgets ------------------------------------------------------------------------------

BOMBS = [
    ("csv_long_name", "--centres", "name.csv", lambda p: bombs.csv_long_name(p, 5000),
     {"CIRCLE_MAX_FIELD_BYTES": "1000"}, "a field (a name, value, cell or tag) longer than 1,000"),
    ("csv_cr_only", "--centres", "cr.csv", lambda p: bombs.csv_cr_only(p, 30),
     {"CIRCLE_MAX_FEATURES": "10"}, "more than 10 features"),
    ("xlsx_inline_string", "--centres", "inline.xlsx",
     lambda p: bombs.xlsx_inline_string(p, 5000), {"CIRCLE_MAX_FIELD_BYTES": "1000"},
     "a field (a name, value, cell or tag) longer than 1,000"),
    ("osm_gz_long_tag", "--network", "tag.osm.gz", lambda p: bombs.osm_gz_long_tag(p, 5000),
     {"CIRCLE_MAX_FIELD_BYTES": "1000"}, "a field (a name, value, cell or tag) longer than 1,000"),
    ("pbf_empty_strings", "--network", "empties.osm.pbf",
     lambda p: bombs.pbf_empty_strings(p, 200, per_block=100), {},
     "repeats the empty text"),
    ("pbf_many_nodes", "--network", "nodes.osm.pbf",
     lambda p: bombs.pbf_many_nodes(p, 1000, per_block=300), {"CIRCLE_MAX_OSM_NODES": "500"},
     "more than 500 nodes"),
    ("csv_file_budget", "--centres", "big.csv",
     lambda p: (p.write_text("id,lon,lat\n" + f"c1,{HEL}\n" * 20), p)[1],
     {"CIRCLE_MAX_FILE_BYTES": "100"},
     "more than 100 bytes of data"),
    ("xlsx_file_budget", "--centres", "big.xlsx",
     lambda p: bombs.xlsx_inline_string(p, 10), {"CIRCLE_MAX_FILE_BYTES": "1000"},
     "more than 1,000 bytes of data"),
]


@pytest.mark.parametrize("case", BOMBS, ids=[c[0] for c in BOMBS])
def test_byte_bombs_are_refused_in_one_line(case, cli_runner, tmp_path):
    _, option, name, write, env, expect = case
    path = write(tmp_path / name)
    line = run_one_line(cli_runner, tmp_path, [option, path], env=env)
    assert line.startswith(f"Error: {path}: ") and expect in line, line


def test_a_quoted_field_full_of_commas_is_held_by_the_line_budget(cli_runner, tmp_path):
    path = tmp_path / "commas.csv"
    path.write_text('id,name,lon,lat\nc1,"' + "A," * 20_000 + f'",{HEL}\n')
    line = run_one_line(cli_runner, tmp_path, ["--centres", path],
                        env={"CIRCLE_MAX_FIELD_BYTES": "1000"})
    assert "a line longer than 16,000 bytes" in line


def test_a_cr_only_csv_counts_its_rows(tmp_path):
    """Excel for Mac's lone CR line ends count as rows (as LF and CRLF do)."""
    from circle.errors import InputDataError
    from circle.io._limits import check_layer_size

    for end in ("\r", "\n", "\r\n"):
        path = tmp_path / "mac.csv"
        path.write_bytes(end.join(["id,lon,lat", f"c1,{HEL}", f"c2,{HEL}", ""]).encode())
        check_layer_size(path, "table", 2)
        with pytest.raises(InputDataError, match="more than 1 features"):
            check_layer_size(path, "table", 1)


def test_budget_variables_must_be_whole_numbers(cli_runner, tmp_path):
    path = bombs.csv_long_name(tmp_path / "name.csv", 10)
    res = cli_runner(["-q", "coverage", "--centres", path, "--out", tmp_path / "out"],
                     env={"CIRCLE_MAX_FIELD_BYTES": "lots"})
    assert res.exit_code == 2 and "$CIRCLE_MAX_FIELD_BYTES must be a whole number" in res.output


def test_raster_window_is_held_by_the_pixel_budget(cli_runner, tmp_path):
    raster = bombs.sparse_geotiff(tmp_path / "sparse.tif", 2000, 1000)
    area = bombs.liaoning_community(tmp_path / "liao.geojson")
    line = run_one_line(cli_runner, tmp_path,
                        ["--communities", area, "--population-raster", raster],
                        env={"CIRCLE_MAX_PIXELS": "10000"})
    assert "community 1 covers" in line and "more than the 10,000 circle reads" in line


# --- CSV safety --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'=x", "''", "'", "a\rb",
     "plain", "", "它=好"],
)
def test_neutralise_is_undone_by_restore(value):
    assert restore(neutralise(value)) == value
    if value[:1] in "=+-@\t\r" and value:
        assert neutralise(value) == "'" + value


def test_the_csv_writers_bulk_check_finds_the_cells_neutralise_changes():
    """Every text of up to three characters from the formula starts, an apostrophe and plain
    characters: the writer's one-pass check picks exactly the cells `neutralise` changes."""
    import itertools

    from circle._csv import _any_text, _has_cr, _needs_apostrophe

    chars = ["=", "+", "-", "@", "\t", "\r", "'", "a", " ", "它"]
    for n in (0, 1, 2, 3):
        for cells in itertools.product(chars, repeat=n):
            value = "".join(cells)
            changed = neutralise(value) is not value
            assert _any_text(pd.Series([1.5, None, value], dtype=object), _needs_apostrophe) \
                == changed
            assert _any_text(pd.Series(["x", None, value], dtype="str"), _needs_apostrophe) \
                == changed
            for dtype in (object, "str"):
                assert _any_text(pd.Series(["x", value], dtype=dtype), _has_cr) == ("\r" in value)


def test_csv_cells_are_neutralised_and_quoted(tmp_path):
    table = pd.DataFrame(
        {"name": ["=cmd|' /C calc'!A0", "a\rb", "ok"], "walk_min": [-1.5, 2.0, 3.0]}
    )
    path = tmp_path / "t.csv"
    save_csv(table, path)
    raw = path.read_bytes()
    assert b"\"'=cmd" in raw and b'"a\rb"' in raw and b"-1.5" in raw  # numbers untouched
    back = pd.read_csv(path, dtype=str, keep_default_na=False).map(restore)
    assert back["name"].tolist() == table["name"].tolist()
    plain = tmp_path / "plain.csv"
    save_csv(pd.DataFrame({"a": ["x", "y"], "b": [1.0, -2.0]}), plain)
    assert plain.read_bytes() == b"a,b\nx,1.0\ny,-2.0\n"  # nothing to neutralise: as before


def test_coverage_csv_is_safe_and_compare_reads_it_back(cli_runner, tmp_path):
    names = ["=HYPERLINK(1)", "line\rbreak", "@here", "'=quoted"]
    rows = "".join(f'c{i},"{n}",{HEL},100\n' for i, n in enumerate(names))
    communities = tmp_path / "communities.csv"
    communities.write_text("id,name,lon,lat,population\n" + rows, newline="")
    out = tmp_path / "run"
    res = cli_runner(["-q", "coverage", "--communities", communities, "--out", out])
    assert res.exit_code == 0, res.output
    raw = (out / "coverage.csv").read_bytes()
    assert b"\"'=HYPERLINK" in raw and b"\"'@here\"" in raw and b'"line\rbreak"' in raw
    assert b"\"''=quoted\"" in raw
    table = pd.read_csv(out / "coverage.csv", dtype=str, keep_default_na=False)
    assert len(table) == len(names)  # the CR stayed inside its row
    res = cli_runner(["compare", out, out, "--format", "json", "--out", tmp_path / "cmp"])
    assert res.exit_code == 0, res.output
    from circle.report.compare import read_run

    assert sorted(read_run(out).table["name"]) == sorted(names)


def test_report_xlsx_cells_are_text_never_formulas(cli_runner, tmp_path):
    """report.xlsx holds each hostile name as a string cell (never a formula) with Excel's quote
    prefix, its value exactly the name (no apostrophe to strip); no cell anywhere is a formula."""
    import openpyxl

    names = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tx", "plain"]
    rows = "".join(f'c{i},"{n.replace(chr(34), 2 * chr(34))}",{HEL},100\n'
                   for i, n in enumerate(names))
    communities = tmp_path / "communities.csv"
    communities.write_text("id,name,lon,lat,population\n" + rows, newline="")
    out = tmp_path / "run"
    res = cli_runner(["-q", "coverage", "--communities", communities, "--out", out])
    assert res.exit_code == 0, res.output
    book = openpyxl.load_workbook(out / "report.xlsx")
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    found = {c.value: c for c in cells if c.value in names}
    assert set(found) == set(names)
    for name, cell in found.items():
        assert cell.data_type == "s", name
        assert cell.quotePrefix == (name != "plain"), name


# --- no silent wrong answers -------------------------------------------------------------------

JOSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version='0.6' generator='JOSM'>
  <node id='-101' action='modify' visible='true' lat='41.8' lon='123.4' />
  <node id='5' visible='true' version='1' lat='41.8' lon='123.4015' />
  <node id='-102' action='modify' visible='true' lat='41.8' lon='123.403' />
  {extra}
  <way id='-201' action='modify' visible='true'>
    <nd ref='-101' /><nd ref='5' /><nd ref='-102' />
    <tag k='highway' v='footway' />
  </way>
</osm>
"""


def test_negative_node_ids_of_josm_drawn_ways_are_read(tmp_path):
    path = tmp_path / "josm.osm"
    path.write_text(JOSM.format(extra=""))
    ways = read_walk_ways(path)
    assert ways.node_ids.tolist() == [-102, -101, 5]
    assert np.allclose(ways.lonlat[:, 0], [123.403, 123.4, 123.4015])
    assert len(ways.seg_u) == 2 and ways.cut_ways == 0  # one way of two segments, not cut


JOSM_LAYERS = """<?xml version='1.0' encoding='UTF-8'?>
<osm version='0.6' generator='JOSM'>
  <node id='-101' action='modify' lat='41.8' lon='123.4'>
    <tag k='amenity' v='community_centre' /><tag k='name' v='drawn centre' /></node>
  <node id='101' version='1' lat='41.8' lon='123.402'>
    <tag k='amenity' v='community_centre' /><tag k='name' v='mapped centre' /></node>
  <node id='-1' lat='41.8005' lon='123.4005' /><node id='-2' lat='41.8005' lon='123.4015' />
  <node id='-3' lat='41.8012' lon='123.4015' /><node id='-4' lat='41.8012' lon='123.4005' />
  <node id='-11' lat='41.8' lon='123.399' /><node id='-12' lat='41.8' lon='123.403' />
  <node id='-13' lat='41.8009' lon='123.401' />
  <way id='-201' action='modify'><nd ref='-1' /><nd ref='-2' /><nd ref='-3' /><nd ref='-4' />
    <nd ref='-1' /><tag k='landuse' v='residential' /><tag k='name' v='drawn estate' /></way>
  <way id='-202' action='modify'><nd ref='-11' /><nd ref='-12' />
    <tag k='highway' v='footway' /></way>
  <way id='-203' action='modify'><nd ref='-13' /><nd ref='-12' />
    <tag k='highway' v='footway' /></way>
</osm>
"""


def test_josm_drawn_communities_and_centres_keep_their_negative_ids(cli_runner, tmp_path):
    """Layers derived from a JOSM file: a residential area outlined by negative-id nodes is a
    community (libosmium cannot assemble it; circle does), and node/-101 and node/101 are two
    centres."""
    import geopandas as gpd
    import shapely

    path = tmp_path / "josm.osm"
    path.write_text(JOSM_LAYERS)
    layers = tmp_path / "layers.gpkg"
    res = cli_runner(["-q", "extract", path, "--out", layers])
    assert res.exit_code == 0, res.output
    centres = gpd.read_file(layers, layer="centres")
    assert sorted(centres["id"]) == ["node/-101", "node/101"]
    assert dict(zip(centres["id"], centres["name"]))["node/-101"] == "drawn centre"
    communities = gpd.read_file(layers, layer="communities")
    assert communities["id"].tolist() == ["way/-201"]
    outline = shapely.box(123.4005, 41.8005, 123.4015, 41.8012)
    assert shapely.equals(communities.geometry.iloc[0], outline)
    out = tmp_path / "run"
    res = cli_runner(["-q", "coverage", "--network", path, "--out", out])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "coverage.csv", dtype=str)
    assert table["community_id"].tolist() == ["way/-201"]
    assert table["nearest_centre_id"].tolist() == ["node/101"]  # the nearer, kept apart
    assert table["status"].tolist() == ["ok"]


JOSM_MULTIPOLYGON = """<?xml version='1.0' encoding='UTF-8'?>
<osm version='0.6' generator='JOSM'>
  <node id='-1' lat='41.80' lon='123.42' /><node id='-2' lat='41.80' lon='123.43' />
  <node id='-3' lat='41.81' lon='123.43' /><node id='-4' lat='41.81' lon='123.42' />
  <node id='-5' lat='41.802' lon='123.422' /><node id='-6' lat='41.802' lon='123.424' />
  <node id='-7' lat='41.804' lon='123.424' /><node id='-8' lat='41.804' lon='123.422' />
  <way id='-11'><nd ref='-1' /><nd ref='-2' /><nd ref='-3' /></way>
  <way id='-12'><nd ref='-3' /><nd ref='-4' /><nd ref='-1' /></way>
  <way id='-13'><nd ref='-5' /><nd ref='-6' /><nd ref='-7' /><nd ref='-8' /><nd ref='-5' /></way>
  <relation id='-21'><member type='way' ref='-11' role='outer' />
    <member type='way' ref='-12' role='outer' /><member type='way' ref='-13' role='inner' />
    <tag k='type' v='multipolygon' /><tag k='landuse' v='residential' /></relation>
  <relation id='-22'><member type='way' ref='-11' role='outer' /><member type='way' ref='-99' />
    <tag k='type' v='multipolygon' /><tag k='landuse' v='residential' /></relation>
</osm>
"""


def test_a_josm_drawn_multipolygon_is_read_as_its_area(tmp_path):
    """A multipolygon relation of JOSM-drawn ways and nodes (two outer halves, one hole) becomes
    its area; one whose member way is not in the file stays out, as libosmium leaves it."""
    import shapely

    from circle.io.osm import read_tagged_features

    path = tmp_path / "mp.osm"
    path.write_text(JOSM_MULTIPOLYGON)
    (feature,) = read_tagged_features(path, ("landuse",))
    assert feature["osm_id"] == "relation/-21"
    expect = shapely.box(123.42, 41.80, 123.43, 41.81).difference(
        shapely.box(123.422, 41.802, 123.424, 41.804))
    assert shapely.equals(feature["geometry"], expect)


def test_duplicate_node_ids_are_refused(cli_runner, tmp_path):
    path = tmp_path / "dup.osm"
    path.write_text(JOSM.format(extra="<node id='5' lat='60.1' lon='24.9' />"))
    line = run_one_line(cli_runner, tmp_path, ["--network", path])
    assert "node id 5 appears more than once" in line


def test_dense_ids_decode_in_steps():
    """The pre-scan's numpy varint decoding agrees with a plain one, across its steps."""
    import circle.io._pbf_guard as guard

    ids = np.cumsum(np.random.default_rng(1).integers(-500, 100_000, size=5000))
    deltas = np.diff(np.r_[0, ids]).tolist()
    raw = b"".join(bombs._varint(d << 1 if d >= 0 else (-d << 1) - 1) for d in deltas)
    for step in (1, 777, 1 << 20):
        guard._DECODE_STEP, before = step, guard._DECODE_STEP
        try:
            assert guard._decode_ids(np.frombuffer(raw, dtype=np.uint8)).tolist() == ids.tolist()
        finally:
            guard._DECODE_STEP = before


def test_duplicate_node_ids_in_pbf_are_refused(cli_runner, tmp_path):
    def blocks():
        yield bombs._field(1, b"\n\x00") + bombs._two_nodes()
        yield bombs._field(1, b"\n\x00") + bombs._two_nodes()

    path = bombs._pbf(tmp_path / "dup.osm.pbf", blocks())
    line = run_one_line(cli_runner, tmp_path, ["--network", path])
    assert "node id 1, 2 appears more than once" in line


FEATURE = '{"type":"Feature","properties":{"id":"m1"},"geometry":%s}'


@pytest.mark.parametrize(
    ("option", "name", "content", "expect"),
    [
        ("--centres", "mp.geojson",
         '{"type":"FeatureCollection","features":[' + FEATURE % (
             '{"type":"MultiPoint","coordinates":[[24.95,60.17],[24.94,60.16]]}') + "]}",
         "a MultiPoint of several points in feature 1"),
        ("--communities", "p308.csv", f"id,lon,lat,population\nc1,{HEL},1e308\n",
         "population beyond 100,000,000 in row 1"),
        ("--communities", "p400.csv", f"id,lon,lat,population\nc1,{HEL},{'9' * 400}\n",
         "population beyond 100,000,000 in row 1"),
        ("--centres", "nul.csv", f"id,name,lon,lat\nc1,a\x00b,{HEL}\n",
         "a NUL character in 'name' in row 1"),
    ],
)
def test_silent_wrong_answers_are_refused(cli_runner, tmp_path, option, name, content, expect):
    path = tmp_path / name
    path.write_text(content)
    assert expect in run_one_line(cli_runner, tmp_path, [option, path])


# --- tracebacks become one line ----------------------------------------------------------------


def test_graphml_not_from_osmnx_is_one_line(cli_runner, tmp_path):
    import networkx as nx

    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, y="60.17", street_count="1")
    graph.add_node(2, y="60.18", street_count="1")
    graph.add_edge(1, 2, length="5.0", highway="footway", osmid="1", oneway="False",
                   reversed="False")
    path = tmp_path / "plain.graphml"
    nx.write_graphml(graph, path)
    line = run_one_line(cli_runner, tmp_path, ["--network", path])
    assert line.startswith(f"Error: {path}: node 1 of the graph has no 'x' coordinate"), line
    graph.nodes[1]["x"] = graph.nodes[2]["x"] = "24.9"
    graph.graph["crs"] = "EPSG:99999"
    nx.write_graphml(graph, path)
    line = run_one_line(cli_runner, tmp_path, ["--network", path])
    assert line.startswith(f"Error: {path}: the graph's crs 'EPSG:99999' is not a CRS"), line


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--id-column", "geometry"], "--id-column 'geometry': that is the layer's geometry"),
        (["--layer-crs", "EPSG:99999"], "'EPSG:99999' is not a CRS that PROJ knows"),
    ],
)
def test_option_mistakes_are_usage_errors(cli_runner, tmp_path, args, expect):
    centres = bundled_path("helsinki_centres.geojson")
    line = run_one_line(cli_runner, tmp_path, ["--centres", centres, *args], code=2)
    assert expect in line


def test_compare_with_a_geojson_lacking_community_id(cli_runner, tmp_path):
    run = tmp_path / "run"
    assert cli_runner(["-q", "coverage", "--out", run]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    for name in ("coverage.csv", "summary.json"):
        (other / name).write_bytes((run / name).read_bytes())
    (other / "coverage.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [json.loads(
            FEATURE % '{"type":"Point","coordinates":[24.95,60.17]}')]})
    )
    res = cli_runner(["compare", run, other, "--out", tmp_path / "cmp"])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
    assert "coverage.geojson: no column 'community_id'" in res.output
    assert not (tmp_path / "cmp").exists()


def test_file_names_are_printed_without_control_characters(cli_runner, tmp_path):
    path = tmp_path / "evil\x1b[31m\nname.csv"
    path.write_text(f"id,name,lon,lat\nc1,a\x00b,{HEL}\n")
    line = run_one_line(cli_runner, tmp_path, ["--centres", path])
    assert "\x1b" not in line and "evil [31m name.csv" in line


def test_progress_and_log_lines_carry_no_control_characters(cli_runner, tmp_path):
    path = tmp_path / "evil\x1b]0;title\x07\nname.csv"
    path.write_text(f"id,name,lon,lat\nc1,ok,{HEL}\n")
    res = cli_runner(["-v", "coverage", "--centres", path, "--out", tmp_path / "out"])
    assert res.exit_code == 0, res.output
    assert "evil ]0;title  name.csv" in res.output
    assert "\x1b" not in res.output and "\x07" not in res.output
