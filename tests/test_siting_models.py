"""p-median, p-center, capacitated covering and the coverage curve against spopt's optimum (the
models posed by spopt from a dense cost matrix, solved by CBC)."""

from __future__ import annotations

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
import shapely

from circle.siting.capacitated import capacitated_covering
from circle.siting.pcenter import counted_communities, p_center
from circle.network.snap import snap_points
from circle.siting.pmedian import p_median

spopt_locate = pytest.importorskip("spopt.locate")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _cbc():
    return pulp.PULP_CBC_CMD(msg=False)


def _instance(seed: int, n_exist=2, n_cand=10, n_comm=40, limit=3000.0):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, limit * 1.4, (n_exist + n_cand, n_comm)).round(1)
    d[d > limit] = np.inf  # beyond the search limit: not a stored pair
    w = rng.integers(0, 900, n_comm).astype(float)
    return d, w, n_exist


def _csr(d):
    mask = np.isfinite(d)
    r, c = np.nonzero(mask)
    return sp.csr_array((d[mask], (r, c)), shape=d.shape)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3])
def test_p_median_equals_spopt(seed, k):
    d, w, e = _instance(seed)
    cap = 3000.0
    base = np.min(np.minimum(d[:e], cap), axis=0)
    got = p_median(_csr(d[e:]), base, w, k, cap_m=cap)
    cost = np.minimum(d, cap).T  # communities x facilities, existing first
    model = spopt_locate.PMedian.from_cost_matrix(
        cost, w, p_facilities=e + k, predefined_facilities_arr=np.arange(e)
    ).solve(_cbc())
    want = model.problem.objective.value()
    assert got.objective == pytest.approx(want, rel=1e-9)
    assert len(got.sites) <= k


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2])
def test_p_center_equals_spopt(seed, k):
    d, w, e = _instance(seed, n_comm=25)
    cap = 3000.0
    base = np.min(d[:e], axis=0)
    got = p_center(_csr(d[e:]), base, w, k, cap_m=cap)
    counted = counted_communities(_csr(d[e:]), base, w, cap)
    cost = np.minimum(d, cap).T[counted]
    model = spopt_locate.PCenter.from_cost_matrix(
        cost, p_facilities=e + k, predefined_facilities_arr=np.arange(e)
    ).solve(_cbc())
    assert got.objective == pytest.approx(model.problem.objective.value(), rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2])
def test_capacitated_covering_equals_spopt(seed, k):
    """spopt has no capacitated MCLP; its capacitated p-median poses the same problem: cost 0
    within the circle, 1 beyond, and an always-open dummy centre (cost 1, unlimited capacity)
    for the demand left out, so its minimum is the demand that is not served."""
    d, w, e = _instance(seed, n_comm=25)
    radius = 1500.0
    within = np.where(d <= radius, d, np.inf)
    cap_e = np.array([900.0, 1500.0])
    got = capacitated_covering(_csr(within[:e]), _csr(within[e:]), cap_e, 1200.0, w, k)
    keep = w > 0
    cost = np.where(np.isfinite(within), 0.0, 1.0).T[keep]
    cost = np.c_[cost, np.ones(keep.sum())]
    caps = np.r_[cap_e, np.full(d.shape[0] - e, 1200.0), w.sum()]
    dummy = d.shape[0]
    model = spopt_locate.PMedian.from_cost_matrix(
        cost, w[keep], p_facilities=e + k + 1,
        predefined_facilities_arr=np.r_[np.arange(e), dummy], facility_capacities=caps,
    ).solve(_cbc())
    unserved = model.problem.objective.value()
    assert got.served == pytest.approx(w.sum() - unserved, rel=1e-9)
    # each centre within its capacity, each community within the circle of its server
    served = np.bincount(got.server[got.server >= 0], weights=w[got.server >= 0],
                         minlength=d.shape[0])
    assert (served <= np.r_[cap_e, np.full(d.shape[0] - e, 1200.0)] + 1e-9).all()
    i = np.flatnonzero(got.server >= 0)
    assert (within[got.server[i], i] <= radius).all()


# --- on the bundled data, through site_model ---------------------------------------------------


@pytest.fixture(scope="module")
def helsinki(bundled):
    from circle import load_network, read_layer
    from circle.siting.candidates import candidates_on_grid

    net = load_network(bundled[0])
    cent = read_layer(bundled[1])
    cent["staff"] = [3.0, 1.0, 4.0, 2.0]  # GENERATED capacities, not real staffing
    return net, cent, read_layer(bundled[2]), candidates_on_grid(net, 250)


def _dense(reach, shape, fill):
    d = np.full(shape, fill)
    coo = reach.tocoo()
    d[coo.row, coo.col] = coo.data
    return d


@pytest.mark.parametrize("model", ["pmedian", "pcenter"])
def test_p_median_and_p_center_on_bundled_data_equal_spopt(helsinki, model):
    from circle.config import DEFAULT_CONFIG as cfg
    from circle.siting.models import site_model, walks_from

    net, cent, comm, cand = helsinki
    got = site_model(comm, cent, cand, net, model=model, add=2)
    t = got.before.table
    cap = cfg.search_limit_m
    # the oracle's cost matrix: existing centres and candidates, each walk from the same engine
    snap = snap_points(net, shapely.get_coordinates(
        np.r_[got.before.centres.geometry.values, cand.to_crs(net.crs).geometry.values]),
        max_snap_m=cfg.max_snap_m)
    cost = np.minimum(_dense(walks_from(snap, t, net, cfg, cap), (snap.edge.size, len(t)), cap),
                      cap).T
    w = np.nan_to_num(t["population"].to_numpy(float))
    e = len(got.before.centres)
    if model == "pmedian":
        m = spopt_locate.PMedian.from_cost_matrix(
            cost, w, p_facilities=e + 2, predefined_facilities_arr=np.arange(e)).solve(_cbc())
    else:
        keep = (w > 0) & (cost < cap).any(axis=1)
        m = spopt_locate.PCenter.from_cost_matrix(
            cost[keep], p_facilities=e + 2, predefined_facilities_arr=np.arange(e)).solve(_cbc())
    assert got.objective["objective"] == pytest.approx(m.problem.objective.value(), rel=1e-6)
    assert got.objective["objective"] < got.objective["before"]


def test_capacitated_on_bundled_data_equals_spopt(helsinki):
    from circle.config import DEFAULT_CONFIG as cfg
    from circle.siting.models import site_model

    net, cent, comm, cand = helsinki
    got = site_model(comm, cent, cand, net, model="capacitated", add=2,
                     capacity_column="staff", capacity_scale=200.0, new_capacity=500.0)
    t = got.before.table
    w = np.nan_to_num(t["population"].to_numpy(float))
    from circle.siting.models import walks_from

    snap = snap_points(net, shapely.get_coordinates(
        np.r_[got.before.centres.geometry.values, cand.to_crs(net.crs).geometry.values]),
        max_snap_m=cfg.max_snap_m)
    reach = walks_from(snap, t, net, cfg, cfg.max_walk_m)
    keep = w > 0
    cost = np.where(_dense(reach, (snap.edge.size, len(t)), np.inf) < np.inf, 0.0, 1.0).T[keep]
    cost = np.c_[cost, np.ones(keep.sum())]
    e = len(got.before.centres)
    caps = np.r_[np.array([3.0, 1.0, 4.0, 2.0]) * 200, np.full(len(cand), 500.0), w.sum()]
    m = spopt_locate.PMedian.from_cost_matrix(
        cost, w[keep], p_facilities=e + 2 + 1,
        predefined_facilities_arr=np.r_[np.arange(e), cost.shape[1] - 1],
        facility_capacities=caps).solve(_cbc())
    assert got.objective["objective"] == pytest.approx(w.sum() - m.problem.objective.value())
    assert got.objective["objective"] > got.objective["before"]


def test_curve_points_equal_separate_add_k_runs(helsinki):
    from circle.siting.models import site_model
    from circle.siting.site import site_new_centres

    net, cent, comm, cand = helsinki
    got = site_model(comm, cent, cand, net, model="curve")
    curve = got.curve
    assert list(curve["k"]) == list(range(len(curve)))
    assert curve["newly_covered"].is_monotonic_increasing
    assert curve["newly_covered"].iloc[-1] == pytest.approx(got.objective["coverable"])
    assert (curve["status"] == "optimal").all() and (curve["gap"] == 0).all()
    for k in curve["k"][1:]:
        alone = site_new_centres(comm, cent, cand, net, add=int(k))
        assert curve["newly_covered"][k] == pytest.approx(alone.solver["objective"])


def test_curve_warm_start_gives_the_cold_points(helsinki, monkeypatch):
    import functools

    from circle.siting import models

    net, cent, comm, cand = helsinki
    warm = models.site_model(comm, cent, cand, net, model="curve")
    assert warm.objective["warm_start"] is True
    assert sum(warm.objective["solutions_from"].values()) == len(warm.curve) - 1
    monkeypatch.setattr(models, "_curve", functools.partial(models._curve, warm=False))
    cold = models.site_model(comm, cent, cand, net, model="curve")
    assert cold.objective["warm_start"] is False
    assert list(warm.curve["newly_covered"]) == pytest.approx(list(cold.curve["newly_covered"]))


def test_solve_keeps_a_start_better_than_the_greedy():
    from circle.siting.solve import solve

    # the greedy takes the big middle site 0 (items 1-4) and then one of 1, 2 (K = 2: 5 of 6);
    # sites 1 and 2 together cover all six items
    A = sp.csr_array(np.array([[0, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], bool))
    values = (np.ones(6), np.ones(6))
    chosen, info = solve(A, values, add=2, cover_all=False, solver="greedy", time_limit_s=5,
                         start=[1, 2])
    assert chosen == [1, 2] and info["objective"] == 6 and info["solution_from"] == "start"
    assert info["greedy_objective"] == 5 and info["bound"] == 6  # its own bound proves it
    # a start no better than the greedy is not used; the MILP still finds the optimum
    chosen, info = solve(A, values, add=2, cover_all=False, solver="milp", time_limit_s=5,
                         start=[0, 1])
    assert sorted(chosen) == [1, 2] and info["solution_from"] == "milp"
    assert info["status"] == "optimal"
