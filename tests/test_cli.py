"""The `circle coverage` command: default run, outputs, determinism, bad input and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from circle.report.coverage import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[1]


def run(cli_runner, *args):
    return cli_runner(["coverage", *map(str, args)], catch_exceptions=False)


def test_default_run_prints_the_bundled_summary(cli_runner):
    res = run(cli_runner)
    assert res.exit_code == 0, res.output
    assert "15-minute employment circle" in res.stdout
    assert "15 min" in res.stdout and "communities" in res.stdout


def test_root_launcher_runs_from_a_checkout():
    out = subprocess.run(
        [sys.executable, "cli.py", "coverage", "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    summary = json.loads(out.stdout)
    assert summary["communities"]["total"] == 13


def test_outputs_are_written_and_byte_identical(cli_runner, tmp_path):
    for name in ("a", "b"):
        res = run(cli_runner, "--out", tmp_path / name)
        assert res.exit_code == 0, res.output
    for f in OUTPUT_FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    table = pd.read_csv(tmp_path / "a" / "coverage.csv")
    assert list(table.columns[:3]) == ["community_id", "name", "population"]
    assert {"walk_m", "walk_min", "covered", "band_min", "snap_m", "status"} <= set(table.columns)
    geo = gpd.read_file(tmp_path / "a" / "coverage.geojson")
    assert geo.crs.to_epsg() == 4326 and len(geo) == len(table) == 13
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert [b["minutes"] for b in summary["thresholds"]] == [5.0, 10.0, 15.0]
    md = (tmp_path / "a" / "summary.md").read_text()
    assert "© OpenStreetMap contributors" in md


def test_reordered_input_rows_give_identical_files(cli_runner, tmp_path, bundled):
    _, centres, communities = bundled
    gdf = gpd.read_file(communities)
    shuffled = tmp_path / "shuffled.geojson"
    gdf.iloc[::-1].to_file(shuffled)
    run(cli_runner, "--communities", communities, "--out", tmp_path / "a")
    run(cli_runner, "--communities", shuffled, "--out", tmp_path / "b")
    for f in ("coverage.csv", "coverage.geojson"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_refuses_to_overwrite_without_flag(cli_runner, tmp_path):
    assert run(cli_runner, "--out", tmp_path).exit_code == 0
    before = (tmp_path / "coverage.csv").read_bytes()
    res = run(cli_runner, "--out", tmp_path, "--speed-kmh", 3)
    assert res.exit_code == 1 and "--overwrite" in res.output
    assert (tmp_path / "coverage.csv").read_bytes() == before
    assert run(cli_runner, "--out", tmp_path, "--speed-kmh", 3, "--overwrite").exit_code == 0
    assert (tmp_path / "coverage.csv").read_bytes() != before


def test_options_change_the_answer(cli_runner):
    res = run(cli_runner, "--format", "json", "--speed-kmh", 5, "-m", 10, "-m", 20)
    s = json.loads(res.stdout)
    assert s["parameters"]["walk_speed_kmh"] == 5
    assert [b["minutes"] for b in s["thresholds"]] == [10.0, 20.0]
    assert s["thresholds"][1]["walk_m"] == pytest.approx(5000 / 60 * 20, abs=0.1)
    md = run(cli_runner, "--format", "markdown").stdout
    assert md.startswith("# 15-minute employment circle")


def test_network_alone_derives_layers_from_its_tags(cli_runner, bundled, tmp_path):
    """`circle coverage --network district.osm.pbf` with no layers: derived from OSM tags."""
    copy = tmp_path / "district.osm.pbf"
    copy.write_bytes(Path(bundled[0]).read_bytes())
    res = run(cli_runner, "--network", copy, "--format", "json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["communities"]["total"] == 13
    assert "derived from district.osm.pbf" in s["data"]["centres"]["file"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--speed-kmh", "-1"], "walk_speed_kmh"),
        (["--minutes", "0"], "thresholds_min"),
        (["--max-snap-m", "nan"], "max_snap_m"),
        (["--format", "pdf"], "--format"),
        (["--speed-kmh", "fast"], "--speed-kmh"),
    ],
)
def test_usage_errors_exit_2(cli_runner, args, option):
    res = run(cli_runner, *args)
    assert res.exit_code == 2
    assert option in res.output
    assert "Traceback" not in res.output


# ---- bad input: one line naming the file and the problem, exit 1, no output written -------------


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


HEL_CENTRES = "id,name,lon,lat\nc1,Kaupungintalo,24.9527,60.1680\n"


@pytest.fixture
def bad(tmp_path, cli_runner):
    """Run with a bad layer and check the error contract; returns the message."""

    def check(*args, expect):
        out = tmp_path / "out"
        res = run(cli_runner, *args, "--out", out)
        assert res.exit_code == 1, res.output
        assert "Traceback" not in res.output
        message = res.output.strip().splitlines()[-1]
        assert message.startswith("Error: ")
        assert expect in message, message
        assert not out.exists() or not any(out.iterdir())
        return message

    return check


def test_missing_file(bad, tmp_path):
    msg = bad("--centres", tmp_path / "nope.csv", expect="file not found")
    assert "nope.csv" in msg


def test_unreadable_format(bad, tmp_path):
    p = tmp_path / "centres.geojson"
    p.write_text("{ this is not json")
    bad("--centres", p, expect="centres.geojson: cannot read as a vector layer")
    q = tmp_path / "centres.xyz"
    q.write_text("1 2 3")
    bad("--centres", q, expect="unknown layer format '.xyz'")


def test_empty_layer(bad, tmp_path):
    p = write_csv(tmp_path / "empty.csv", "id,name,lon,lat\n")
    bad("--centres", p, expect="empty.csv: the centres layer is empty")


def test_projected_layer_without_crs(bad, tmp_path):
    p = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame(
            {"id": ["c1"]}, geometry=[shapely.Point(385000, 6672000)], crs=None
        ).to_file(p)
    bad("--centres", p, expect="nocrs.gpkg: the layer has no CRS and its coordinates look projected")


def test_lat_out_of_range_looks_swapped(bad, tmp_path):
    p = write_csv(tmp_path / "swapped.csv", "id,lon,lat\nc1,41.8,123.4\n")
    bad("--centres", p, expect="longitude and latitude look swapped")


def test_swapped_but_in_range_is_detected_from_the_network(bad, tmp_path):
    """Helsinki's (lon 24.95, lat 60.17) given as (60.17, 24.95) is a valid place in the
    Arabian Sea; nothing snaps, but exchanged they fall on the network: say so."""
    p = write_csv(tmp_path / "swapped.csv", "id,lon,lat\nc1,60.1680,24.9527\n")
    bad("--centres", p, expect="swapped.csv: no centres within the network; longitude and latitude look swapped")


def test_out_of_range_coordinates(bad, tmp_path):
    p = write_csv(tmp_path / "far.csv", "id,lon,lat\nc1,500000,4600000\n")
    bad("--centres", p, expect="far.csv: coordinates out of range for longitude/latitude in row 1")


def test_csv_without_the_named_columns(bad, tmp_path):
    p = write_csv(tmp_path / "cols.csv", "id,east,north\nc1,24.95,60.17\n")
    msg = bad("--centres", p, expect="cols.csv: missing a longitude column")
    assert "['id', 'east', 'north']" in msg
    bad("--centres", p, "--lon-column", "E", "--lat-column", "north", expect="missing 'E'")


def test_bad_population(bad, tmp_path):
    p = write_csv(
        tmp_path / "pop.csv", "id,lon,lat,population\nh1,24.95,60.17,many\nh2,24.94,60.17,10\n"
    )
    bad("--communities", p, expect="pop.csv: non-numeric population in row 1")
    q = write_csv(tmp_path / "neg.csv", "id,lon,lat,population\nh1,24.95,60.17,-5\n")
    bad("--communities", q, expect="neg.csv: negative population in row 1")


def test_duplicate_ids(bad, tmp_path):
    p = write_csv(tmp_path / "dup.csv", HEL_CENTRES + "c1,Again,24.94,60.17\n")
    bad("--centres", p, expect="dup.csv: duplicate ids ['c1'] in row 1, 2")


def test_empty_geometry_is_refused(bad, tmp_path):
    p = tmp_path / "emptygeom.geojson"
    p.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"id":"h1"},"geometry":null}]}'
    )
    bad("--communities", p, expect="emptygeom.geojson: empty or missing geometry in feature 1")


def test_self_intersecting_polygon_is_repaired_and_counted(cli_runner, tmp_path, bundled):
    """A bow-tie community is repaired by make_valid (two triangles) and counted in the report."""
    comm = gpd.read_file(bundled[2])
    g = comm.geometry.iloc[0]
    x0, y0, x1, y1 = g.bounds
    comm.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    assert not comm.geometry.iloc[0].is_valid
    p = tmp_path / "bowtie.geojson"
    comm.to_file(p)
    res = run(cli_runner, "--communities", p, "--format", "json")
    assert res.exit_code == 0
    assert "repaired 1 invalid polygon" in res.stderr
    assert json.loads(res.stdout)["data"]["communities"]["repaired_geometries"] == 1


def test_network_without_walkable_ways(bad, tmp_path):
    from .test_network import GRID, osm_xml

    p = tmp_path / "nowalk.osm"
    p.write_text(osm_xml(GRID, [(1, [0, 1, 2], {"highway": "motorway"})]))
    bad("--network", p, "--centres", tmp_path / "x.csv", expect="nowalk.osm: no walkable ways")


def test_centres_all_off_the_network(bad, tmp_path):
    p = write_csv(tmp_path / "shenyang.csv", "id,lon,lat\nc1,123.43,41.80\n")
    bad("--centres", p, expect="shenyang.csv: none of the 1 centres is within max_snap_m=500 m")


def test_graphml_network_needs_layers(cli_runner, tmp_path):
    import osmnx as ox

    from circle import load_network
    from circle.bundled import DEFAULT_NETWORK

    p = tmp_path / "g.graphml"
    ox.save_graphml(load_network(DEFAULT_NETWORK).to_networkx(), p)
    res = run(cli_runner, "--network", p)
    assert res.exit_code == 2 and "give --centres and --communities" in res.output
