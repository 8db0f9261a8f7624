"""The benchmark's generators, and a smoke run of ``python -m bench --quick``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.generate import CRS, jittered_grid, replay_extract, write_grid_pbf
from bench.run import CASES
from bench.startup import HEAVY, SECTION, loaded, parse_importtime, replace_section, to_markdown
from bench.startup import run as startup_run
from circle import load_network
from circle.network.load import network_from_osm

REPO = Path(__file__).resolve().parent.parent


def test_generated_pbf_reads_back_as_the_generated_grid(tmp_path):
    """The .pbf holds the grid's streets plus cycleway gaps and buildings; the walk filter and
    the reader must give back exactly the grid (to OSM's 1e-7 degree precision)."""
    path = write_grid_pbf(tmp_path / "g.osm.pbf", 12, seed=3)
    net = network_from_osm(path, crs=CRS, use_cache=False)
    grid = jittered_grid(12, seed=3)
    np.testing.assert_array_equal(net.node_ids, grid.node_ids)
    np.testing.assert_array_equal(net.edge_u, grid.edge_u)
    np.testing.assert_array_equal(net.edge_v, grid.edge_v)
    np.testing.assert_allclose(net.xy, grid.xy, rtol=0, atol=0.02)
    np.testing.assert_allclose(net.edge_length_m, grid.edge_length_m, rtol=0, atol=0.03)


def test_jittered_grid_is_street_like_and_deterministic():
    a, b = jittered_grid(30, seed=1), jittered_grid(30, seed=1)
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.edge_u, b.edge_u)
    assert a.crs == CRS
    # spacing 100 m, jitter 15 m: dx in [70, 130], dy in [-30, 30]
    assert a.edge_length_m.min() >= 70.0
    assert a.edge_length_m.max() <= np.hypot(130.0, 30.0)
    # 15 % of the 2 * 30 * 29 grid edges are gaps (binomial: within 4 sigma)
    assert abs(a.n_edges - 0.85 * 1740) < 4 * np.sqrt(1740 * 0.15 * 0.85)
    assert a.n_nodes <= 900
    assert not np.array_equal(jittered_grid(30, seed=2).xy, a.xy)


def test_replayed_extract_is_the_real_network_tiled(bundled):
    real = load_network(bundled[0])
    tiled = replay_extract(real, 2)
    assert tiled.n_nodes == 4 * real.n_nodes
    # 4 copies of every street, plus 4 seams between neighbouring tiles
    assert tiled.n_edges == 4 * real.n_edges + 4
    seams = tiled.total_length_m - 4 * real.total_length_m
    assert 0 < seams < 4 * 2000


def test_quick_bench_writes_a_well_formed_results_table(tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--work",
         str(tmp_path / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "python -m bench --quick" in text
    assert re.search(r"Load average \(1/5/15 min\) before the run [\d.]+/[\d.]+/[\d.]+", text)
    for section in ("## Targets", "## Timings (median)", "## Ratios", "## Peak memory",
                    "## Notes"):
        assert section in text
    tables = _tables(text)
    assert len(tables) == 4
    for rows in tables:  # every row has as many cells as the header
        assert len({len(r) for r in rows}) == 1, rows
    timings = {r[0]: r[1] for r in tables[1][2:]}
    for label in ("osm_read: read OSM file + build network", "cache_load: load cached network",
                  "search: nearest_centres (circle)", "search: raw csgraph dijkstra, same arrays",
                  "reach: bounded_reach, compiled, all cores",
                  "reach: scipy dijkstra, one call per candidate"):
        assert re.fullmatch(r"\d+(\.\d+)? (ms|s)", timings[label]), (label, timings.get(label))
    ratios = {r[0]: r[1] for r in tables[2][2:]}
    assert re.fullmatch(r"\d+(\.\d+)?×", ratios["search: circle / raw csgraph (≤ 1.5× wanted)"])
    raw = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    results = {r["case"]: r for r in raw["results"]}
    assert set(results) == set(CASES)
    for case, r in results.items():
        assert not r["error"], (case, r["error"])
        assert r["times"] or r["skipped"], case  # measured, or skipped with its reason
    assert results["reach"]["info"]["same_as_scipy"] is True
    assert results["networkx"]["info"]["same_result_as_fast_path"] is True


def test_startup_bench_returns_its_figures_and_sees_click_loaded_by_help():
    """A smoke run of `bench.startup` (one run each, no `circle coverage`): the figures are all
    there and -X importtime parsing finds click under `circle --help`. Timings are not checked."""
    r = startup_run(repeat=1, warmup=0, importtime_repeat=1, coverage=False,
                    labels=("circle --help", "rio --help"), watch=(*HEAVY, "click"))
    for key in ("command", "date_utc", "load_before", "load_after", "nproc", "machine",
                "circle_imported_from", "cpu", "ratios", "imports", "coverage"):
        assert key in r, key
    assert Path(r["circle_imported_from"]).parent.parent == REPO  # this checkout's circle
    assert set(r["cpu"]) == {"circle --help", "rio --help"}
    for figures in r["cpu"].values():
        assert figures["cpu_median_s"] > 0 and figures["cpu_min_s"] <= figures["cpu_median_s"]
    assert set(r["ratios"]) == {"circle --help / rio --help"}
    help_imports = r["imports"]["circle --help"]
    assert "click" in help_imports["heavy_loaded"]
    assert help_imports["circle_cumulative_s"] > 0
    section = to_markdown(r)
    assert section.startswith(SECTION + "\n") and "`circle --help`" in section


def test_startup_importtime_parsing_and_heavy_detection():
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |   _io\n"
        "import time:        50 |         50 |     scipy.optimize._minimize\n"
        "import time:       900 |       1070 |   scipy.sparse\n"
        "import time:      2000 |       3070 | circle\n"
        "circle: a warning that is not an import line\n"
    )
    entries = parse_importtime(stderr)
    assert [(e["name"], e["level"], e["cumulative_us"]) for e in entries] == [
        ("_io", 1, 120), ("scipy.optimize._minimize", 2, 50), ("scipy.sparse", 1, 1070),
        ("circle", 0, 3070)]
    assert loaded(entries) == ["scipy.optimize", "scipy"]
    assert loaded(entries, ("scipy.sparse", "scip", "pandas")) == ["scipy.sparse"]


def test_startup_section_replaces_only_itself():
    head = "# R\n\n## Targets\n\nt\n"
    tail = "\n---\n\n# Benchmarks\n\n## Siting\n\ns\n"
    first = replace_section(head + tail, f"{SECTION}\n\nold\n")  # appended at the end
    assert first == head + tail + f"\n{SECTION}\n\nold\n"
    middle = head + f"\n{SECTION}\n\nold\n```\n## in a fence\n```\n" + tail
    assert replace_section(middle, f"{SECTION}\n\nnew\n") == (
        head + f"\n{SECTION}\n\nnew\n" + tail)
    assert replace_section(first, f"{SECTION}\n\nnew\n").count(SECTION) == 1


def _tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables
