"""Siting: the reach matrix, the optimum against brute force and spopt, and "after" = coverage."""

from __future__ import annotations

import itertools
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from circle import CircleConfig, coverage_report, load_network, read_layer, summarise
from circle.errors import ConfigError, InputDataError, NetworkError
from circle.io.osm import read_tagged_features
from circle.network.engine import reach_within, reach_within_networkx
from circle.network.snap import build_search_graph, snap_points
from circle.siting.candidates import candidates_from_osm, candidates_on_grid, combine_candidates
from circle.siting.site import site_new_centres
from circle.siting.summary import siting_summary
from circle.siting.tags import CANDIDATE_TAGS

from .conftest import CRS, X0, Y0, make_network, points
from .test_engine import random_street_network

#: 15 minutes at 4 km/h
CIRCLE_M = 1000.0


def pairs(matrix):
    """The stored (row, column) pairs of a sparse matrix, zeros included."""
    m = matrix.tocsr()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    keys = zip(rows.tolist(), m.indices.tolist(), strict=True)
    return dict(zip(keys, m.data.tolist(), strict=True))


# ---- the reach matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(30))
def test_reach_matrix_equals_per_candidate_networkx_searches(seed):
    rng = np.random.default_rng(seed)
    net = random_street_network(rng, int(rng.integers(20, 150)))
    s_xy = rng.uniform(0, 2000, (int(rng.integers(1, 25)), 2))
    t_xy = rng.uniform(0, 2000, (50, 2))
    # a few targets exactly on sources and on network nodes: shared nodes, walks of 0 m
    t_xy[:3] = s_xy[0]
    t_xy[3:6] = net.xy[rng.integers(0, net.n_nodes, 3)]
    sources = snap_points(net, s_xy, max_snap_m=300)
    targets = snap_points(net, t_xy, max_snap_m=300)
    graph = build_search_graph(net, sources, targets)
    limit = float(rng.uniform(200, 1500))
    fast = reach_within(
        graph,
        graph.point_node[0],
        sources.snap_m,
        graph.point_node[1],
        targets.snap_m,
        limit,
    )
    ref = reach_within_networkx(net, sources, targets, limit)
    got, want = pairs(fast), pairs(ref)
    assert want, "the generated instance reaches nothing"
    assert got.keys() == want.keys()
    np.testing.assert_allclose([got[k] for k in want], [want[k] for k in want], rtol=0, atol=1e-6)
    assert fast.shape == (len(s_xy), len(t_xy)) and fast.nnz == len(want)


def test_reach_by_hand_on_a_straight_street(line_network):
    """Source 30 m off the street at x=150; targets on it at 350 (walk 230 m) and 150 (30 m)."""
    src = snap_points(
        line_network, np.array([[X0 + 150, Y0 + 30], [X0 + 900, Y0 + 900]]), max_snap_m=100
    )
    tgt = snap_points(line_network, np.array([[X0 + 350, Y0], [X0 + 150, Y0 + 30]]), max_snap_m=100)
    graph = build_search_graph(line_network, src, tgt)
    args = (graph, graph.point_node[0], src.snap_m, graph.point_node[1], tgt.snap_m)
    at = pairs(reach_within(*args, 230.0))
    assert at.keys() == {(0, 0), (0, 1)}  # exactly on the limit is within (coverage's rule)
    assert at[(0, 0)] == pytest.approx(230.0, abs=1e-9)
    assert at[(0, 1)] == pytest.approx(60.0, abs=1e-9)  # out to the street and back
    assert pairs(reach_within(*args, 229.99)).keys() == {(0, 1)}
    # the second source is off the network (900 m away): an empty row
    assert reach_within(*args, 1e6)[[1]].nnz == 0


def test_reach_keeps_walks_of_zero_metres(line_network):
    on_node = snap_points(line_network, np.array([[X0 + 100, Y0]]), max_snap_m=10)
    graph = build_search_graph(line_network, on_node, on_node)
    m = reach_within(
        graph, graph.point_node[0], on_node.snap_m, graph.point_node[1], on_node.snap_m, 100.0
    )
    assert pairs(m) == {(0, 0): 0.0}


# ---- generated instances whose answer is known by hand -------------------------------------------


def street(length_m=8000, step=100.0):
    """Generated: a straight street from x=-4000 to x=4000 with nodes every 100 m."""
    xs = np.arange(-length_m / 2, length_m / 2 + step, step)
    return make_network(
        {i: (x, 0.0) for i, x in enumerate(xs)}, [(i, i + 1) for i in range(len(xs) - 1)]
    )


def greedy_trap():
    """Generated: where greedy is not optimal (K = 2), on one street, threshold 1000 m.

    ::

        c(2.5)       a(3)               big               b(3)       d(2.5)        centre
        x=-1000  -500 0                 1000            2000 2500  2800           4000
                 left                                        right

    `left` reaches a and c (500 m each), `right` b (500 m) and d (300 m), `big` a and b (1000 m
    each, exactly the circle); the centre reaches nobody (d is 1200 m away). The greedy takes
    `big` first (gain 6), then `left` adds c: 8.5. The optimum takes `left` and `right`: 11.
    """
    net = street()
    communities = points(
        [("a", 0, 0, 3.0), ("b", 2000, 0, 3.0), ("c", -1000, 0, 2.5), ("d", 2800, 0, 2.5)],
        columns=("id", "x", "y", "population"),
    )
    centres = points([("existing", 4000, 0)])
    candidates = points([("big", 1000, 0), ("left", -500, 0), ("right", 2500, 0)])
    return communities, centres, candidates, net


def test_greedy_trap_milp_finds_the_optimum_and_greedy_reports_its_gap():
    result = site_new_centres(*greedy_trap(), add=2)
    s = result.solver
    assert s["status"] == "optimal" and s["objective"] == 11.0 and s["bound"] == 11.0
    assert s["gap"] == 0.0
    assert s["greedy_objective"] == 8.5
    assert s["greedy_gap"] == pytest.approx((11 - 8.5) / 8.5)
    assert s["solution_from"] == "milp"
    assert set(result.proposals["site_id"]) == {"left", "right"}
    assert result.proposals["population_newly_covered"].sum() == 11.0
    greedy = site_new_centres(*greedy_trap(), add=2, solver="greedy")
    assert list(greedy.proposals["site_id"]) == ["big", "left"]
    assert greedy.solver["objective"] == 8.5
    # bound by submodularity: 8.5 + the 2 largest gains left (right adds d: 2.5; others 0)
    assert greedy.solver["bound"] == 11.0


def test_at_the_time_limit_the_greedy_answer_and_a_bound_are_reported():
    # HiGHS checks its clock before anything else: 1 ns stops it with no solution
    result = site_new_centres(*greedy_trap(), add=2, time_limit_s=1e-9)
    s = result.solver
    assert s["status"] == "time_limit" and s["solution_from"] == "greedy"
    assert s["objective"] == 8.5 and s["bound"] == 11.0  # the bound from submodularity
    assert s["gap"] == pytest.approx(2.5 / 8.5)
    assert list(result.proposals["site_id"]) == ["big", "left"]


def test_set_covering_greedy_trap():
    """Generated: greedy set covering takes 3 sites where 2 suffice (threshold 1000 m).

    ::

        p3      A       p1 p2          C          p4 p5       B       p6      centre at -4000
        -1300   -400    0  100         1000       1900 2000   2400    3300

    C reaches p1, p2, p4, p5 (4: the greedy's first pick); then A and B are both needed. A
    reaches p1, p2, p3 and B p4, p5, p6: 2 sites. The LP relaxation also needs A = B = 1.
    """
    communities = points(
        [
            (f"p{i}", x, 0)
            for i, x in [(1, 0), (2, 100), (3, -1300), (4, 1900), (5, 2000), (6, 3300)]
        ]
    )
    centres = points([("existing", -4000, 0)])
    candidates = points([("A", -400, 0), ("B", 2400, 0), ("C", 1000, 0)])
    args = (communities, centres, candidates, street())
    exact = site_new_centres(*args, cover_all=True)
    assert exact.solver["objective"] == 2.0 and exact.solver["greedy_objective"] == 3.0
    assert exact.solver["greedy_gap"] == pytest.approx(1 / 3)
    assert sorted(exact.proposals["site_id"]) == ["A", "B"]
    greedy = site_new_centres(*args, cover_all=True, solver="greedy")
    assert list(greedy.proposals["site_id"]) == ["C", "A", "B"]
    assert greedy.solver["bound"] == 2.0 and greedy.solver["gap"] == pytest.approx(1 / 3)
    assert exact.communities["covered_after"].all() and greedy.communities["covered_after"].all()


def test_proposals_rank_by_gain_and_count_marginal_population():
    result = site_new_centres(*greedy_trap(), add=2)
    p = result.proposals
    assert list(p["rank"]) == [1, 2]
    # left and right each add 5.5; the tie goes to the smaller id
    assert list(p["site_id"]) == ["left", "right"]
    assert list(p["population_newly_covered"]) == [5.5, 5.5]
    assert list(p["newly_covered_ids"]) == ["a;c", "b;d"]
    big = result.candidates.set_index("candidate_id").loc["big"]
    assert big["population_reached"] == 6.0 and big["rank"] == 0


def test_set_covering_uses_the_fewest_sites_and_says_why_the_rest_are_left_out():
    """Generated: the trap plus three communities no candidate can cover.

    ``far`` sits at x=-2200, 1700 m from ``left``: too far; ``island`` lies on a separate
    street (a piece of network without candidates); ``lost`` is 5 km from every street.
    """
    base = street()
    n = base.n_nodes
    xy = np.vstack([base.xy, [[X0 + 6000, Y0 + 6000], [X0 + 6400, Y0 + 6000]]])
    u = np.r_[base.edge_u, n]
    v = np.r_[base.edge_v, n + 1]
    from circle.network.walk import network_from_arrays

    net = network_from_arrays(xy, u, v, crs=CRS, min_component_m=0)
    communities, centres, candidates, _ = greedy_trap()
    extra = points(
        [("far", -2200, 0, 1.0), ("island", 6200, 6000, 1.0), ("lost", 0, -5000, 1.0)],
        columns=("id", "x", "y", "population"),
    )
    communities = pd.concat([communities, extra], ignore_index=True)
    result = site_new_centres(communities, centres, candidates, net, cover_all=True)
    assert result.solver["objective"] == 2.0 and result.solver["status"] == "optimal"
    assert set(result.proposals["site_id"]) == {"left", "right"}
    outcome = result.communities.set_index("community_id")["outcome"].to_dict()
    assert outcome == {
        "a": "newly_covered",
        "b": "newly_covered",
        "c": "newly_covered",
        "d": "newly_covered",
        "far": "too_far",
        "island": "unreachable",
        "lost": "off_network",
    }
    s = siting_summary(result)
    assert [r["community_id"] for r in s["left_out"]] == ["far", "island", "lost"]
    # maximal covering with one site: the rest is "not chosen"
    one = site_new_centres(communities, centres, candidates, net, add=1)
    assert one.solver["objective"] == 6.0  # big: a + b
    left = one.communities.set_index("community_id")["outcome"]
    assert left["c"] == "not_chosen" and left["far"] == "too_far"


def test_no_population_column_maximises_communities():
    communities, centres, candidates, net = greedy_trap()
    result = site_new_centres(
        communities.drop(columns="population"), centres, candidates, net, add=1
    )
    assert result.objective == "communities"
    assert result.solver["objective"] == 2.0
    # big, left and right each newly cover 2 communities: the smallest id wins the tie
    assert list(result.proposals["site_id"]) == ["big"]
    s = siting_summary(result)
    assert s["population"]["available"] is False and s["gain"]["population"] is None


def test_communities_without_population_count_zero_and_zero_gain_sites_are_not_proposed():
    communities, centres, candidates, net = greedy_trap()
    communities["population"] = [3.0, np.nan, np.nan, np.nan]  # only a counts
    result = site_new_centres(communities, centres, candidates, net, add=2)
    assert result.objective == "population"
    assert result.solver["objective"] == 3.0
    # one site suffices for a; a second would add no one: only 1 of the 2 is proposed
    assert list(result.proposals["site_id"]) == ["big"]
    # covering everyone still covers the communities without a figure
    cover = site_new_centres(communities, centres, candidates, net, cover_all=True)
    assert cover.communities["covered_after"].all()


def test_nothing_to_do_when_everyone_is_covered():
    communities, _, candidates, net = greedy_trap()
    centres = points([("c1", 1000, 0), ("c2", -500, 0), ("c3", 2500, 0)])
    result = site_new_centres(
        communities, centres, candidates.assign(id=["x", "y", "z"]), net, add=2
    )
    assert result.proposals.empty and result.solver["status"] == "nothing to cover"
    assert result.communities["covered_after"].all()


def test_row_order_does_not_change_the_answer():
    communities, centres, candidates, net = greedy_trap()
    twins = pd.concat([candidates, candidates.assign(id=["big2", "left2", "right2"])])
    a = site_new_centres(communities, centres, twins, net, add=2)
    b = site_new_centres(communities.iloc[::-1], centres, twins.iloc[::-1], net, add=2)
    assert list(a.proposals["site_id"]) == list(b.proposals["site_id"]) == ["left", "right"]


# ---- the optimum: brute force and spopt ----------------------------------------------------------


def random_instance(seed):
    """Generated: a random street network, 25 communities, 1 centre, 9 candidate sites."""
    rng = np.random.default_rng(seed)
    net = random_street_network(rng, 120)
    pop = rng.integers(0, 500, 25).astype(float)
    communities = gpd.GeoDataFrame(
        {"id": [f"k{i}" for i in range(25)], "population": pop},
        geometry=gpd.points_from_xy(*rng.uniform(0, 2000, (25, 2)).T),
        crs=CRS,
    )
    centres = gpd.GeoDataFrame(
        {"id": ["c0"]}, geometry=gpd.points_from_xy(*rng.uniform(0, 2000, (1, 2)).T), crs=CRS
    )
    candidates = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(9)]},
        geometry=gpd.points_from_xy(*rng.uniform(0, 2000, (9, 2)).T),
        crs=CRS,
    )
    return communities, centres, candidates, net


def reference_reach(communities, candidates, net, config):
    """Which candidate reaches which community, by networkx (independent of the siting code)."""
    order_c = np.argsort(candidates["id"].map(lambda s: int(s[1:])).to_numpy())
    cand = candidates.iloc[order_c]
    comm = communities.iloc[np.argsort(communities["id"].map(lambda s: int(s[1:])).to_numpy())]

    def snap(layer):
        xy = layer.geometry
        return snap_points(net, np.column_stack([xy.x, xy.y]), max_snap_m=config.max_snap_m)

    m = reach_within_networkx(net, snap(cand), snap(comm), config.max_walk_m)
    reach = {j: set() for j in range(len(cand))}
    for j, i in pairs(m):
        reach[j].add(i)
    return reach, comm


def brute_force(reach, open_mask, weight, k):
    """The best total weight of open communities over every set of at most k candidates."""
    best = 0.0
    for size in range(1, k + 1):
        for subset in itertools.combinations(reach, size):
            covered = set().union(*(reach[j] for j in subset))
            best = max(best, math.fsum(weight[i] for i in covered if open_mask[i]))
    return best


def fewest_to_cover(reach, targets):
    for size in range(len(reach) + 1):
        for subset in itertools.combinations(reach, size):
            if targets <= set().union(set(), *(reach[j] for j in subset)):
                return size
    msg = "no subset covers the targets"
    raise AssertionError(msg)


@pytest.mark.parametrize("seed", range(12))
def test_milp_equals_brute_force_and_greedy_is_never_better(seed):
    communities, centres, candidates, net = random_instance(seed)
    config = CircleConfig(thresholds_min=(8.0,))  # 533 m: sites must be near to help
    before = coverage_report(communities, centres, net, config=config)
    open_mask = ~before.table["covered"].to_numpy()
    reach, comm = reference_reach(communities, candidates, net, config)
    weight = comm["population"].to_numpy()
    for k in (1, 2, 3):
        result = site_new_centres(communities, centres, candidates, net, add=k, config=config)
        s = result.solver
        best = brute_force(reach, open_mask, weight, k)
        assert s["status"] == "optimal"
        assert s["objective"] == pytest.approx(best, abs=1e-9)
        assert s["greedy_objective"] <= s["objective"] + 1e-9
        assert s["bound"] >= best - 1e-6
        expected_gap = (s["bound"] - s["greedy_objective"]) / s["greedy_objective"] if best else 0
        assert s["greedy_gap"] == pytest.approx(max(expected_gap, 0.0), abs=1e-9)
        # "after" adds exactly the proposals' gain
        gain = result.communities.loc[
            ~result.communities["covered_before"] & result.communities["covered_after"],
            "population",
        ].sum()
        assert gain == pytest.approx(best)
    coverable = {i for j in reach for i in reach[j] if open_mask[i]}
    cover = site_new_centres(communities, centres, candidates, net, cover_all=True, config=config)
    assert cover.solver["objective"] == fewest_to_cover(
        {j: reach[j] & coverable for j in reach}, coverable
    )
    assert cover.solver["greedy_objective"] >= cover.solver["objective"]
    assert set(np.flatnonzero(cover.communities["covered_after"] & open_mask)) == coverable


# spopt builds its model with pulp, whose constructors warn about pulp 4.0: not ours to fix
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("seed", range(4))
def test_milp_agrees_with_spopt(seed):
    import pulp
    from spopt.locate import LSCP, MCLP

    communities, centres, candidates, net = random_instance(100 + seed)
    config = CircleConfig(thresholds_min=(8.0,))
    before = coverage_report(communities, centres, net, config=config)
    open_idx = np.flatnonzero(~before.table["covered"].to_numpy())
    reach, comm = reference_reach(communities, candidates, net, config)
    cost = np.full((open_idx.size, len(reach)), 1e9)
    for j, items in reach.items():
        for row, i in enumerate(open_idx):
            if i in items:
                cost[row, j] = 0.0
    weight = comm["population"].to_numpy()[open_idx]
    mclp = MCLP.from_cost_matrix(cost, weight, service_radius=1.0, p_facilities=2)
    mclp.solve(pulp.PULP_CBC_CMD(msg=False))
    ours = site_new_centres(communities, centres, candidates, net, add=2, config=config)
    assert ours.solver["objective"] == pytest.approx(mclp.problem.objective.value())
    coverable = cost.min(axis=1) == 0
    if coverable.any():
        lscp = LSCP.from_cost_matrix(cost[coverable], service_radius=1.0)
        lscp.solve(pulp.PULP_CBC_CMD(msg=False))
        cover = site_new_centres(
            communities, centres, candidates, net, cover_all=True, config=config
        )
        assert cover.solver["objective"] == pytest.approx(lscp.problem.objective.value())


# ---- "after" is what coverage says with the proposals added as centres ---------------------------


def with_proposals(centres, result):
    added = result.proposals.rename(columns={"site_id": "id"})[["id", "name", "type", "geometry"]]
    return pd.concat([centres, added.to_crs(centres.crs)], ignore_index=True)


@pytest.mark.parametrize("seed", range(10))
def test_after_equals_coverage_with_the_proposals_appended(seed):
    communities, centres, candidates, net = random_instance(200 + seed)
    config = CircleConfig(thresholds_min=(5.0, 10.0))
    for kwargs in ({"add": 3}, {"cover_all": True}):
        result = site_new_centres(communities, centres, candidates, net, config=config, **kwargs)
        after = coverage_report(communities, with_proposals(centres, result), net, config=config)
        np.testing.assert_array_equal(
            after.table["covered"].to_numpy(), result.communities["covered_after"].to_numpy()
        )


@pytest.fixture(scope="module")
def helsinki(bundled):
    network, centres, communities = bundled
    return load_network(network), read_layer(centres), read_layer(communities)


@pytest.mark.parametrize("minutes", [10.0, 15.0])
def test_bundled_after_equals_coverage_with_osm_and_grid_candidates(helsinki, bundled, minutes):
    net, centres, communities = helsinki
    config = CircleConfig(thresholds_min=(minutes,))
    candidates = combine_candidates(
        candidates_from_osm(bundled[0], exclude_ids=set(centres["id"])), candidates_on_grid(net)
    )
    result = site_new_centres(communities, centres, candidates, net, add=3, config=config)
    assert len(result.proposals) >= 1 and result.solver["status"] == "optimal"
    after = coverage_report(communities, with_proposals(centres, result), net, config=config)
    np.testing.assert_array_equal(
        after.table["covered"].to_numpy(), result.communities["covered_after"].to_numpy()
    )
    s = siting_summary(result)
    band = summarise(after)["thresholds"][-1]
    assert s["after"]["communities_covered"] == band["communities_covered"]
    assert s["after"]["population_covered"] == band["population_covered"]
    assert s["before"] == {
        k: v for k, v in summarise(result.before)["thresholds"][-1].items() if k in s["before"]
    }


# ---- candidate sources ---------------------------------------------------------------------------


def test_grid_candidates_by_hand():
    """Generated: nodes at x = 0, 100, 200 (X0, Y0 are multiples of 250).

    With 100 m squares every node is its own square: 3 sites. With 250 m squares all three
    share the square [0, 250) x [0, 250), centre (125, 125): the node at x=100 is nearest.
    """
    net = make_network({i: (100.0 * i, 0.0) for i in range(3)}, [(0, 1), (1, 2)])
    assert list(candidates_on_grid(net, 100)["id"]) == ["grid/0", "grid/1", "grid/2"]
    one = candidates_on_grid(net, 250)
    assert list(one["id"]) == ["grid/1"]
    assert one.geometry.iloc[0].x == X0 + 100 and one.crs == net.crs
    with pytest.raises(ConfigError, match="spacing_m"):
        candidates_on_grid(net, 0)


def test_osm_candidates_of_the_bundled_file(bundled, helsinki):
    _, centres, _ = helsinki
    every = candidates_from_osm(bundled[0])
    fresh = candidates_from_osm(bundled[0], exclude_ids=set(centres["id"]))
    # the 4 centres are OSM features with candidate tags: left out when excluded
    assert set(every["id"]) - set(fresh["id"]) == set(centres["id"])
    row = fresh.set_index("id").loc["way/8042215"]  # Kiasma: building=public
    assert (row["name"], row["type"], row["osm_tag"]) == ("Kiasma", "other", "building=public")
    assert set(fresh["type"]) <= set(CANDIDATE_TAGS.values())
    assert (fresh.geometry.geom_type == "Point").all()
    libraries = candidates_from_osm(bundled[0], tags={("amenity", "library"): "other"})
    expected = {
        f["osm_id"]
        for f in read_tagged_features(bundled[0], ("amenity",))
        if f["tags"]["amenity"] == "library"
    }
    assert set(libraries["id"]) == expected and len(expected) == 7
    assert set(libraries["osm_tag"]) == {"amenity=library"}


# ---- bad input ----------------------------------------------------------------------------------


def test_bad_requests_are_config_errors():
    args = greedy_trap()
    for kwargs, match in [
        ({}, "either `add`"),
        ({"add": 1, "cover_all": True}, "either `add`"),
        ({"add": 0}, "`add`"),
        ({"add": 1.5}, "`add`"),
        ({"add": 1, "solver": "cplex"}, "`solver`"),
        ({"add": 1, "time_limit_s": 0}, "`time_limit_s`"),
    ]:
        with pytest.raises(ConfigError, match=match):
            site_new_centres(*args, **kwargs)


def test_more_sites_than_candidates_is_an_error():
    with pytest.raises(InputDataError, match=r"asked for 4 new sites \(--add\) but only 3"):
        site_new_centres(*greedy_trap(), add=4)


def test_candidates_all_off_the_network():
    communities, centres, _, net = greedy_trap()
    away = points([("s1", 0, 9000), ("s2", 100, 9000)])
    away.attrs["source"] = "sites.csv"
    with pytest.raises(NetworkError, match=r"sites\.csv: none of the 2 candidates is within"):
        site_new_centres(communities, centres, away, net, add=1)


def test_empty_candidates():
    communities, centres, candidates, net = greedy_trap()
    with pytest.raises(InputDataError, match="the candidates layer is empty"):
        site_new_centres(communities, centres, candidates.iloc[:0], net, add=1)


def test_a_candidate_with_a_centre_id_is_an_error():
    communities, centres, candidates, net = greedy_trap()
    candidates.loc[1, "id"] = "existing"
    with pytest.raises(InputDataError, match=r"candidate id\(s\) \['existing'\] are also centre"):
        site_new_centres(communities, centres, candidates, net, add=1)


def test_combined_candidate_sources_must_keep_ids_unique():
    communities, centres, candidates, net = greedy_trap()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = combine_candidates(candidates, candidates.iloc[:1])
    assert len(both) == 4 and both.crs.to_epsg() == 4326
    with pytest.raises(InputDataError, match=r"duplicate ids \['big'\]"):
        site_new_centres(communities, centres, both, net, add=1)


def test_a_memory_budget_splits_the_reach_sets_into_blocks_and_keeps_the_answer(
    helsinki, bundled, monkeypatch
):
    """The bundled extract with grid candidates: a budget so small that the candidates are
    searched 16 at a time gives the same reach sets, proposals and table as no budget; a budget
    below the reach sets' size stops the run, saying how much they need."""
    from circle.errors import MemoryBudgetError
    from circle.siting import reach as reach_module

    net, centres, communities = helsinki
    candidates = candidates_on_grid(net, spacing_m=150.0)
    free = site_new_centres(communities, centres, candidates, net, add=3)
    pairs_kept = free.reach.nnz
    blocks = []
    block = reach_module._block
    monkeypatch.setattr(reach_module, "_block",
                        lambda *a, **k: blocks.append(a[4] - a[3]) or block(*a, **k))
    gb = pairs_kept * reach_module.KEPT_BYTES_PER_PAIR * 1.01 / 1e9
    tight = site_new_centres(communities, centres, candidates, net, add=3, memory_budget_gb=gb)
    assert len(blocks) > 3 and max(blocks) < len(candidates)
    assert (tight.reach != free.reach).nnz == 0
    pd.testing.assert_frame_equal(tight.proposals, free.proposals)
    pd.testing.assert_frame_equal(tight.communities, free.communities)
    with pytest.raises(MemoryBudgetError, match="over the memory budget"):
        site_new_centres(communities, centres, candidates, net, add=3,
                         memory_budget_gb=gb / 2)
    with pytest.raises(ConfigError, match="memory_budget_gb"):
        site_new_centres(communities, centres, candidates, net, add=3, memory_budget_gb=0)
