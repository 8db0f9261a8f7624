"""Determinism: the same inputs give byte-identical result files in separate processes, whatever the
hash seed, whether the network is parsed afresh or loaded from the cache.

Set ``CIRCLE_TEST_RESULTS_DIR=folder`` to keep this test's result files: running the whole suite
twice into two folders and comparing them (``diff -r``) shows the suite's results are identical.
``manifest.json`` is provenance, not a result: it holds the time of the run and absolute paths.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from circle.bundled import DEFAULT_NETWORK
from circle.runs.job import MANIFEST_NAME

ROOT = Path(__file__).resolve().parents[1]

#: one process runs every case through the CLI, each into its own folder
DRIVER = """
import json, sys
from pathlib import Path
from circle.cli import cli
out, runs = Path(sys.argv[1]), json.loads(sys.argv[2])
for i, run in enumerate(runs):
    args = ["-q", "coverage", "--out", str(out / f"run{i}"), *run]
    cli.main(args, prog_name="circle", standalone_mode=False)
"""


def cases(folder: Path) -> list[list[str]]:
    """Generated inputs next to the bundled data: the demo, layers derived from OSM tags, and
    generated layers with several centre types and population sources (sets that must come
    out sorted), another speed and other bands."""
    district = folder / "district.osm.pbf"
    shutil.copyfile(DEFAULT_NETWORK, district)
    centres = folder / "centres.csv"
    centres.write_text(
        "id,name,type,lon,lat\n"
        "c10,Kamppi,community,24.9310,60.1690\n"
        "c2,Kaupungintalo,other,24.9527,60.1680\n"
        "c1,Rautatientori,enterprise,24.9436,60.1710\n",
        encoding="utf-8",
    )
    communities = folder / "communities.csv"
    communities.write_text(
        "id,name,population,population_source,lon,lat\n"
        "h1,Kamppi,1200,census 2020,24.9330,60.1680\n"
        "h2,Kluuvi,800,street survey,24.9470,60.1705\n"
        "h3,Kruununhaka,950,estimate from buildings,24.9540,60.1720\n"
        "h4,Punavuori,,,24.9400,60.1640\n"
        "h5,Ullanlinna,640,district register,24.9480,60.1610\n",
        encoding="utf-8",
    )
    return [
        [],
        ["--network", str(district)],
        ["--centres", str(centres), "--communities", str(communities), "--speed-kmh", "4.8",
         "-m", "5", "-m", "12"],
    ]


def run_all(out: Path, runs: list[list[str]], *, seed: str, cache: Path) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "CIRCLE_CACHE_DIR": str(cache)}
    subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), json.dumps(runs)],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=600,
    )
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_result_files_are_identical_across_processes_and_hash_seeds(tmp_path):
    runs = cases(tmp_path)
    cache = tmp_path / "cache"
    first = run_all(tmp_path / "a", runs, seed="0", cache=cache)  # parses the OSM files
    assert any(cache.iterdir())
    second = run_all(tmp_path / "b", runs, seed="4242", cache=cache)  # loads the cache
    for i in range(len(runs)):
        assert {f"run{i}/{name}" for name in ("coverage.csv", "summary.json")} <= first.keys()
    assert first.keys() == second.keys()
    manifests = [name for name in first if name.endswith(MANIFEST_NAME)]
    different = [n for n in first if n not in manifests and first[n] != second[n]]
    assert not different
    # the manifest records when the run happened, by design; everything else in it is the same
    for name in manifests:
        a, b = (json.loads(files[name]) for files in (first, second))
        assert a.pop("created_utc") and b.pop("created_utc")
        assert a == b
    keep = os.environ.get("CIRCLE_TEST_RESULTS_DIR")
    if keep:  # the result files; manifests also hold this session's temporary paths
        shutil.copytree(tmp_path / "a", keep, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(MANIFEST_NAME))
