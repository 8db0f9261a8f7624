"""Manifests and reruns: a report handed to a bureau can be reproduced byte for byte."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd

from circle.config import CircleConfig
from circle.io.files import LayerColumns
from circle.runs.job import CoverageJob, input_sha256

ROOT = Path(__file__).resolve().parents[1]


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(cli_runner, *args):
    return cli_runner([*map(str, args)], catch_exceptions=False)


def test_every_run_with_out_writes_a_manifest(cli_runner, tmp_path, bundled):
    network, centres, communities = bundled
    res = run(cli_runner, "coverage", "--out", tmp_path, "--speed-kmh", 4.5, "-m", 10, "-m", 15)
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert {k: v["sha256"] for k, v in m["inputs"].items()} == {
        "network": sha(network),
        "centres": sha(centres),
        "communities": sha(communities),
    }
    assert m["inputs"]["network"]["path"] == str(Path(network).resolve())
    assert m["job"]["config"]["walk_speed_kmh"] == 4.5
    assert m["job"]["config"]["thresholds_min"] == [10.0, 15.0]
    assert m["network"]["newest_way_edit"] == "2019-04-17T18:21:00Z"
    assert set(m["outputs"]) == {
        "coverage.csv", "coverage.geojson", "summary.md", "summary.json",
        "report.xlsx", "report.pdf", "coverage.gpkg",  # the bureau's files (issue 19)
    }
    for name, digest in m["outputs"].items():
        assert sha(tmp_path / name) == digest
    assert m["versions"]["python"].startswith("3.") and m["versions"]["numpy"]


def test_rerun_reproduces_byte_identical_outputs(cli_runner, tmp_path, communities_with_groups):
    """A run with every option that matters (groups, profiles, a gates file, another speed),
    rerun from its manifest into a second folder: every file compared byte for byte here."""
    comm = gpd.read_file(communities_with_groups)
    gates = comm.boundary.to_crs(3067).interpolate(0.3, normalized=True).to_crs(4326)
    gates_file = tmp_path / "gates.geojson"
    gpd.GeoDataFrame({"id": [f"g{i}" for i in range(len(comm))]}, geometry=gates.values).to_file(
        gates_file
    )
    first = tmp_path / "first"
    res = run(
        cli_runner,
        "coverage",
        "--communities",
        communities_with_groups,
        "--gates",
        gates_file,
        "--profiles",
        "elderly,default",
        "--group-columns",
        "graduates,veterans",
        "--speed-kmh",
        4.2,
        "--out",
        first,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((first / "summary.json").read_text())
    assert summary["data"]["gates"]["communities_walking_via_gate"] == len(comm)
    again = tmp_path / "again"
    res = run(cli_runner, "rerun", first / "manifest.json", "--out", again)
    assert res.exit_code == 0, res.output
    assert "reproduced: 10 outputs byte-identical" in res.stdout  # + the 3 bureau files
    names = json.loads((first / "manifest.json").read_text())["outputs"]
    assert len(names) == 10
    for name in names:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name


def test_rerun_from_another_folder_in_a_new_process(cli_runner, tmp_path):
    assert run(cli_runner, "coverage", "--out", tmp_path / "r").exit_code == 0
    out = subprocess.run(
        [sys.executable, "-m", "circle", "rerun", str(tmp_path / "r" / "manifest.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "reproduced: 7 outputs byte-identical" in out.stdout  # + the 3 bureau files
    assert not list(tmp_path.glob("circle-rerun-*"))


def test_rerun_refuses_a_modified_input(cli_runner, tmp_path, bundled):
    communities = tmp_path / "communities.geojson"
    communities.write_bytes(Path(bundled[2]).read_bytes())
    assert (
        run(cli_runner, "coverage", "--communities", communities, "--out", tmp_path / "r").exit_code
        == 0
    )
    gdf = gpd.read_file(communities)
    gdf.loc[0, "population"] += 1
    gdf.to_file(communities)
    res = run(cli_runner, "rerun", tmp_path / "r" / "manifest.json", "--out", tmp_path / "again")
    assert res.exit_code == 1
    assert f"{communities}: changed since the manifest was written" in res.output
    assert "communities input must be the same bytes" in res.output
    assert not (tmp_path / "again").exists()
    communities.unlink()
    res = run(cli_runner, "rerun", tmp_path / "r" / "manifest.json")
    assert res.exit_code == 1 and "is missing" in res.output


def test_rerun_names_the_output_that_differs(cli_runner, tmp_path):
    """The manifest is edited here to claim another summary.md: the rerun must name it."""
    assert run(cli_runner, "coverage", "--out", tmp_path).exit_code == 0
    path = tmp_path / "manifest.json"
    m = json.loads(path.read_text())
    m["outputs"]["summary.md"] = "0" * 64
    path.write_text(json.dumps(m))
    res = run(cli_runner, "rerun", path)
    assert res.exit_code == 1
    assert "the rerun differs in summary.md (sha256 000000000000… in the manifest" in res.output
    assert "coverage.csv" not in res.output
    path.write_text("{}")
    res = run(cli_runner, "rerun", path)
    assert res.exit_code == 1 and "not a circle manifest" in res.output


def test_job_round_trip_and_shapefile_digest(tmp_path, bundled):
    job = CoverageJob(
        network="/x/n.osm.pbf",
        centres=None,
        communities="/x/c.csv",
        gates="osm",
        columns=LayerColumns(id="编号", lon="经度", lat="纬度"),
        layer_crs="EPSG:4490",
        config=CircleConfig(walk_speed_kmh=3.5, thresholds_min=(20, 10), gate_tolerance_m=2),
        group_columns=("veterans",),
        profiles=("default", "elderly"),
    )
    assert CoverageJob.from_dict(json.loads(json.dumps(job.as_dict()))) == job
    shp = tmp_path / "c.shp"
    gpd.read_file(bundled[2])[["id", "name", "geometry"]].to_file(shp)
    before = input_sha256(shp)
    assert before != sha(shp)  # the digest covers the sidecar files too
    dbf = gpd.read_file(shp)
    dbf.loc[0, "name"] = "changed"
    dbf.to_file(shp)
    assert sha(tmp_path / "c.shp") == sha(shp) and input_sha256(shp) != before
