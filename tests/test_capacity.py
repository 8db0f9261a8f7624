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
