"""Capacity, 2SFCA family and equity: against PySAL ``access`` (oracle), hand-computed values and a
second formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from circle import CircleConfig, coverage_report, load_network, read_layer
from circle.coverage.capacity import capacity_analysis, decay_weights, two_step_fca
from circle.coverage.core import summarise
from circle.coverage.equity import gini, lorenz, palma

access = pytest.importorskip("access")


def _oracle(reach: sp.csr_array, supply, demand, limit_m: float, decay: str, sigma=None):
    """2SFCA by PySAL access from the same walks (a long table of every pair within reach)."""
    from access import fca, weights

    coo = reach.tocoo()
    cost = pd.DataFrame({"origin": coo.col, "dest": coo.row, "cost": coo.data})
    demand_df = pd.DataFrame({"demand": demand}, index=pd.Index(range(len(demand)), name="geoid"))
    supply_df = pd.DataFrame({"supply": supply}, index=pd.Index(range(len(supply)), name="geoid"))
    fn = None
    bound = limit_m + 1.0  # every stored pair is within reach
    if decay == "step":
        fn = weights.step_fn({limit_m / 3: 1.0, 2 * limit_m / 3: 0.68, bound: 0.22})
    elif decay == "gaussian":
        fn = weights.gaussian(sigma if sigma is not None else limit_m / 2)
    got = fca.two_stage_fca(
        demand_df, supply_df, cost, max_cost=bound, demand_index="geoid", weight_fn=fn
    )
    return got.reindex(range(len(demand))).fillna(0.0).to_numpy(float)


def _random_instance(seed: int, n_cent=12, n_comm=60, limit=1000.0):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, limit * 1.6, (n_cent, n_comm))
    d[rng.random(d.shape) < 0.1] = 0.0  # zero walks are reached pairs too
    mask = d <= limit
    rows, cols = np.nonzero(mask)
    reach = sp.csr_array((d[mask], (rows, cols)), shape=d.shape)
    supply = rng.integers(1, 20, n_cent).astype(float)
    demand = rng.integers(50, 5000, n_comm).astype(float)
    return reach, supply, demand


@pytest.mark.parametrize("decay", ["none", "step", "gaussian"])
@pytest.mark.parametrize("seed", range(5))
def test_2sfca_equals_pysal_access_on_random_instances(seed, decay):
    reach, supply, demand = _random_instance(seed)
    _, score = two_step_fca(reach, supply, demand, limit_m=1000.0, decay=decay)
    want = _oracle(reach, supply, demand, 1000.0, decay)
    np.testing.assert_allclose(score, want, rtol=1e-9, atol=0)
    assert (score > 0).sum() > 10


def test_2sfca_by_hand():
    # centre 0 (capacity 10) reaches a (100 people, 200 m) and b (300 people, 900 m);
    # centre 1 (capacity 6) reaches b only (500 m)
    reach = sp.csr_array(([200.0, 900.0, 500.0], ([0, 0, 1], [0, 1, 1])), shape=(2, 2))
    ratio, score = two_step_fca(reach, [10.0, 6.0], [100.0, 300.0], limit_m=1000.0)
    assert ratio == pytest.approx([10 / 400, 6 / 300])
    assert score == pytest.approx([10 / 400, 10 / 400 + 6 / 300])
    # enhanced: 200 m weighs 1, 500 m weighs 0.68, 900 m weighs 0.22
    assert decay_weights(np.array([200.0, 500.0, 900.0]), 1000.0, "step") == pytest.approx(
        [1.0, 0.68, 0.22]
    )
    ratio, score = two_step_fca(reach, [10.0, 6.0], [100.0, 300.0], limit_m=1000.0, decay="step")
    r0, r1 = 10 / (100 + 0.22 * 300), 6 / (0.68 * 300)
    assert ratio == pytest.approx([r0, r1])
    assert score == pytest.approx([r0, 0.22 * r0 + 0.68 * r1])


@pytest.fixture(scope="module")
def helsinki(bundled):
    network, centres, communities = bundled
    cent = read_layer(centres)
    cent["staff"] = [3.0, 1.0, 4.0, 2.0]  # GENERATED capacities, not real staffing
    return load_network(network), cent, read_layer(communities)


@pytest.mark.parametrize("decay", ["none", "step", "gaussian"])
def test_2sfca_equals_pysal_access_on_bundled_data(helsinki, decay):
    net, cent, comm = helsinki
    cfg = CircleConfig()
    res = coverage_report(comm, cent, net, config=cfg)
    cap = capacity_analysis(res, cent, net, column="staff", decay=decay)
    from circle.coverage.capacity import _centre_reach

    reach = _centre_reach(res.table, res.centres, net, cfg)
    assert reach.nnz >= 5
    pop = np.nan_to_num(res.table["population"].to_numpy(float))
    want = _oracle(reach, cap.centres["capacity"].to_numpy(), pop, cfg.max_walk_m, decay)
    np.testing.assert_allclose(cap.score / 10_000, want, rtol=1e-9, atol=0)
    # the reach walks are the coverage walks: each covered community's nearest centre walk
    walk = res.table["walk_m"].to_numpy(float)
    dense = reach.toarray()
    stored = sp.csr_array((np.ones(reach.nnz), reach.indices, reach.indptr), shape=reach.shape)
    dense[stored.toarray() == 0] = np.inf
    for i in np.flatnonzero(res.table["covered"].to_numpy()):
        assert dense[:, i].min() == pytest.approx(walk[i], abs=1e-6)


def test_served_ratio_and_crowded_by_hand(helsinki):
    net, cent, comm = helsinki
    res = coverage_report(comm, cent, net)
    cap = capacity_analysis(res, cent, net, column="staff", crowded_below=5.0)
    t = res.table
    for row in cap.centres.itertuples():
        mine = t["covered"] & (t["nearest_centre_id"] == row.centre_id)
        served = float(np.nansum(t.loc[mine, "population"]))
        assert row.served_demand == pytest.approx(served)
        if served:
            per = row.capacity / served * 10_000
            assert row.capacity_per_10k == pytest.approx(per)
            assert row.crowded == (per < 5.0)
    s = summarise(res.__class__(**{**res.__dict__, "capacity": cap}))
    crowded = s["capacity"]["crowded"]
    assert [c["capacity_per_10k"] for c in crowded] == sorted(
        c["capacity_per_10k"] for c in crowded
    )
    assert {"walk_min", "access_2sfca"} == {m["measure"] for m in s["equity"]["measures"]}


def test_crowded_centres_are_ringed_on_the_map(helsinki):
    import dataclasses

    from circle.maps.coverage_map import CROWDED_RING, coverage_map, map_html

    net, cent, comm = helsinki
    res = coverage_report(comm, cent, net)
    plain = map_html(coverage_map(res))
    cap = capacity_analysis(res, cent, net, column="staff", unit="staff", crowded_below=10.0)
    crowded = cap.centres.loc[cap.centres["crowded"]]
    assert len(crowded) == 1  # node/4989964863, as in the CLI test below
    html = map_html(coverage_map(dataclasses.replace(res, capacity=cap)))
    assert "Crowded centres (1)" in html and CROWDED_RING in html
    per = f"{crowded['capacity_per_10k'].iloc[0]:,.2f} staff per 10,000 people served"
    assert per in html
    assert "Crowded" not in plain and CROWDED_RING not in plain
    # a rule nobody falls under draws no layer: the map is the plain one
    none = capacity_analysis(res, cent, net, column="staff", crowded_below=0.0)
    assert map_html(coverage_map(dataclasses.replace(res, capacity=none))) == plain
    zh = map_html(coverage_map(dataclasses.replace(res, capacity=cap), lang="zh"))
    assert "超负荷（服务能力低于标准）" in zh  # the legend (layer names are JSON-escaped)


def test_missing_or_bad_capacity_names_the_centre(helsinki):
    from circle.errors import InputDataError

    net, cent, comm = helsinki
    res = coverage_report(comm, cent, net)
    with pytest.raises(InputDataError, match="no capacity column 'desks'"):
        capacity_analysis(res, cent, net, column="desks")
    bad = cent.copy()
    bad["staff"] = bad["staff"].astype(object)
    bad.loc[1, "staff"] = "two"
    with pytest.raises(InputDataError, match=f"centre '{bad['id'][1]}' has capacity 'two'"):
        capacity_analysis(res, bad, net, column="staff")


# --- equity -------------------------------------------------------------------------------------


def _gini_pairs(v, w):
    """Second method: weighted mean absolute difference over twice the mean."""
    v, w = np.asarray(v, float), np.asarray(w, float)
    diff = np.abs(v[:, None] - v[None, :])
    mean = (w * v).sum() / w.sum()
    return float((w[:, None] * w[None, :] * diff).sum() / (2 * w.sum() ** 2 * mean))


def test_gini_palma_lorenz_by_hand():
    # four equal people with 1, 2, 3, 4: Gini = sum|xi-xj| / (2 n^2 mean) = 20 / (2*16*2.5)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert gini([5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)  # n-1/n for one holder
    x, y = lorenz([3, 1, 2, 4])
    assert x == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert y == pytest.approx([0, 0.1, 0.3, 0.6, 1])
    # ten people 1..10: top 10 % hold 10/55, bottom 40 % hold 10/55 -> Palma 1
    assert palma(np.arange(1, 11)) == pytest.approx(1.0)
    # weights: 2 people with 1 and 1 person with 4 == three people 1, 1, 4
    assert gini([1, 4], [2, 1]) == pytest.approx(gini([1, 1, 4]))
    assert palma([1, 4], [2, 1]) == pytest.approx(palma([1, 1, 4]))


@pytest.mark.parametrize("seed", range(6))
def test_gini_equals_the_pairwise_formula(seed):
    rng = np.random.default_rng(seed)
    v = rng.gamma(2.0, 3.0, 40)
    w = rng.integers(1, 500, 40).astype(float)
    assert gini(v, w) == pytest.approx(_gini_pairs(v, w), rel=1e-12)
    # Palma from the sorted cumulative sums of an expanded population (integer weights)
    people = np.sort(np.repeat(v, w.astype(int)))
    n = people.size
    cum = np.r_[0, np.cumsum(people)] / people.sum()
    at = lambda p: np.interp(p * n, np.arange(n + 1), cum)  # noqa: E731
    assert palma(v, w) == pytest.approx((1 - at(0.9)) / at(0.4), rel=1e-12)


# --- denominators, CLI, files ---------------------------------------------------------------


def test_denominators_by_hand(helsinki):
    from circle.coverage.capacity import CapacityOptions, with_capacity

    net, cent, comm = helsinki
    res = with_capacity(coverage_report(comm, cent, net), cent, net, CapacityOptions(), comm)
    rows = {r["denominator"]: r for r in summarise(res)["denominators"]["rows"]}
    cov = res.table.set_index("community_id")["covered"]
    raw = comm.set_index("id")
    assert rows["residential_buildings"]["covered"] == raw.loc[cov[cov].index, "buildings"].sum()
    assert rows["residential_buildings"]["total"] == raw["buildings"].sum()
    # land: the polygons' area in a metric CRS (UTM 35N), independent of the network's CRS
    utm = raw.to_crs(32635).area
    assert rows["residential_land_m2"]["total"] == pytest.approx(utm.sum(), rel=1e-3)
    assert rows["residential_land_m2"]["covered"] == pytest.approx(
        utm[cov[cov].index].sum(), rel=1e-3
    )
    assert rows["population"]["share_covered"] == summarise(res)["thresholds"][-1][
        "population_share"
    ]


@pytest.fixture(scope="module")
def staffed(tmp_path_factory, helsinki):
    path = tmp_path_factory.mktemp("staff") / "centres_staff.geojson"
    helsinki[1].to_file(path)
    return path


def test_cli_capacity_writes_its_files_and_reruns(cli_runner, tmp_path, staffed):
    import json

    out = tmp_path / "cap"
    res = cli_runner(
        ["coverage", "--centres", staffed, "--capacity-column", "staff", "--capacity-unit",
         "staff", "--decay", "step", "--crowded-below", "10", "--out", out]
    )
    assert res.exit_code == 0, res.output
    s = json.loads((out / "summary.json").read_text())
    assert s["capacity"]["unit"] == "staff" and s["capacity"]["decay"] == "step"
    assert [c["centre_id"] for c in s["capacity"]["crowded"]] == ["node/4989964863"]
    assert (out / "lorenz.png").read_bytes()[:4] == b"\x89PNG"
    csv = pd.read_csv(out / "centres_capacity.csv")
    assert list(csv["capacity"]) == [3.0, 1.0, 4.0, 2.0]
    assert "access_2sfca_per_10k" in pd.read_csv(out / "coverage.csv").columns
    assert json.loads((out / "manifest.json").read_text())["job"]["capacity"]["column"] == "staff"
    rerun = cli_runner(["rerun", out])
    assert rerun.exit_code == 0, rerun.output


def test_cli_without_capacity_writes_what_it_always_wrote(cli_runner, tmp_path):
    import json

    from circle.report.coverage import OUTPUT_FILES
    from circle.runs.reports import REPORT_FILES

    out = tmp_path / "plain"
    assert cli_runner(["coverage", "--out", out]).exit_code == 0
    expected = [*OUTPUT_FILES, *REPORT_FILES, "manifest.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    s = json.loads((out / "summary.json").read_text())
    assert not {"capacity", "equity", "denominators"} & set(s)
    assert "capacity" not in json.loads((out / "manifest.json").read_text())["job"]
    assert "access_2sfca_per_10k" not in (out / "coverage.csv").read_text()


def test_cli_bad_capacity_column_is_one_line_exit_1(cli_runner, tmp_path, staffed):
    res = cli_runner(["coverage", "--centres", staffed, "--capacity-column", "desks"])
    assert res.exit_code == 1
    assert "no capacity column 'desks'" in res.output and "Traceback" not in res.output


#: the main branch just before the capacity work was merged, and the merge
BEFORE_CAPACITY = "6bae548c219ad476dbd285377619a36a36077a75"
CAPACITY_MERGE = "2bac0eb1d23d3639ba05d8f32e4256d10a00f2c6"
#: the plain runs compared: a coverage run with its map, a siting run, the JSON on stdout
PLAIN_RUNS = """
set -e
python -m circle -q coverage --out "$1/coverage" --map > /dev/null
python -m circle -q site --add 3 --out "$1/site" > /dev/null
python -m circle -q coverage --format json > "$1/stdout.json"
"""


def _tree_at(commit: str, dest):
    """The repository's files at `commit` in `dest` (skips without git or that commit)."""
    import io
    import shutil
    import subprocess
    import tarfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    known = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True, check=False)
    if known.returncode != 0:
        pytest.skip(f"no git history with {commit[:7]} (not a clone of the repository)")
    archive = subprocess.run(["git", "-C", str(root), "archive", commit, "circle", "data"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _plain_files(tree, out) -> dict:
    """Every file the plain runs write with `tree`'s code, by relative path (manifest.json, the
    provenance with the absolute input paths, left out)."""
    import os
    import subprocess

    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(["bash", "-c", PLAIN_RUNS, "plain", str(out)], cwd=tree, env=env, check=True)
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_cli_without_capacity_is_byte_identical_to_before(tmp_path):
    """The capacity merge changed no byte of a run without a capacity column: the plain runs
    with the code just before it and with the merge's code write the same files (coverage.csv,
    coverage.geojson, summary.md, summary.json, report.xlsx, report.pdf, coverage.gpkg,
    map.html; proposals.*; the JSON on stdout). Later issues changed some of these files for
    their own reasons (RFC 7946 GeoJSON without a ``crs`` member), so today's code is held to
    the same rule by `test_cli_without_capacity_runs_no_capacity_code`."""
    before = _plain_files(_tree_at(BEFORE_CAPACITY, tmp_path / "before"), tmp_path / "b")
    merged = _plain_files(_tree_at(CAPACITY_MERGE, tmp_path / "merged"), tmp_path / "m")
    assert len(before) >= 15
    assert list(merged) == list(before)
    assert [name for name in before if merged[name] != before[name]] == []


#: capacity functions a plain run calls, each returning at once: the result unchanged (no
#: options), no lines (no ``capacity``, ``equity`` or ``denominators`` in the summary)
PASS_THROUGH = {"with_capacity", "capacity_markdown", "equity_markdown", "denominators_markdown"}


def test_cli_without_capacity_runs_no_capacity_code(cli_runner, tmp_path, monkeypatch):
    """Every function of the capacity and equity modules raises, but the four that hand a run
    without capacity back unchanged (`with_capacity` without options; the three Markdown
    sections, empty without their summary key): plain runs still write their usual files, so
    nothing in them can come from the capacity code."""
    import importlib
    import inspect

    from circle.report.coverage import OUTPUT_FILES
    from circle.runs.reports import REPORT_FILES

    def trapped(*args, **kwargs):
        msg = "capacity code ran in a run without a capacity column"
        raise AssertionError(msg)

    trapped_names = []
    for name in ("circle.coverage.capacity", "circle.coverage.equity", "circle.report.capacity"):
        for obj in vars(importlib.import_module(name)).values():
            if getattr(obj, "__module__", None) != name:
                continue
            funcs = [obj] if inspect.isfunction(obj) else []
            if inspect.isclass(obj):
                funcs = [f for k, f in vars(obj).items() if inspect.isfunction(f) and k[:2] != "__"]
            for f in funcs:
                if f.__name__ not in PASS_THROUGH and not f.__code__.co_freevars:
                    monkeypatch.setattr(f, "__code__", trapped.__code__)
                    trapped_names.append(f.__name__)
    assert {"two_step_fca", "capacity_analysis", "equity_section", "denominators", "gini",
            "lorenz_png", "capacity_table", "capacity_summary"} <= set(trapped_names)
    out = tmp_path / "plain"
    res = cli_runner(["coverage", "--out", out, "--map"])
    assert res.exit_code == 0, res.output
    expected = [*OUTPUT_FILES, *REPORT_FILES, "manifest.json", "map.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    res = cli_runner(["site", "--add", "3", "--out", tmp_path / "site"])
    assert res.exit_code == 0, res.output


def test_cli_gaussian_sigma_is_the_library_s(cli_runner, tmp_path, staffed, helsinki):
    """--gaussian-sigma-m reaches `capacity_analysis(sigma_m=...)`: the CLI's scores equal the
    library's with that width and differ from the default width's; without --decay gaussian
    the option is a usage error."""
    net, cent, comm = helsinki
    res = coverage_report(comm, cent, net, config=CircleConfig())
    want = capacity_analysis(res, cent, net, column="staff", decay="gaussian", sigma_m=250.0)
    default = capacity_analysis(res, cent, net, column="staff", decay="gaussian")
    assert not np.allclose(want.score, default.score)
    out = tmp_path / "g"
    run = cli_runner(["coverage", "--centres", staffed, "--capacity-column", "staff",
                      "--decay", "gaussian", "--gaussian-sigma-m", "250", "--out", out])
    assert run.exit_code == 0, run.output
    got = pd.read_csv(out / "coverage.csv", dtype={"community_id": str})
    expected = pd.Series(np.round(want.score, 4), index=res.table["community_id"].to_numpy())
    assert np.allclose(got["access_2sfca_per_10k"], expected.loc[got["community_id"]], atol=1e-4)
    bad = cli_runner(["coverage", "--centres", staffed, "--capacity-column", "staff",
                      "--gaussian-sigma-m", "250"])
    assert bad.exit_code == 2 and "--decay gaussian" in bad.output
