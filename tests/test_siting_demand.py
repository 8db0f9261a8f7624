"""Siting weighted by a key group (`demand=`, `circle site --demand`): brute force and bundled."""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import numpy as np
import pytest

from circle import CircleConfig, coverage_report, read_layer
from circle.errors import InputDataError
from circle.report.siting import proposals_for_output, siting_markdown, siting_text
from circle.siting.candidates import candidates_from_osm, candidates_on_grid, combine_candidates
from circle.siting.site import site_new_centres
from circle.siting.summary import siting_summary

from .conftest import points
from .test_siting import reference_reach, street, with_proposals


def best_by_brute_force(reach, open_mask, weight, k):
    """(best total weight, the subsets reaching it) over every set of at most k candidates."""
    scored = []
    for size in range(1, k + 1):
        for subset in itertools.combinations(sorted(reach), size):
            covered = set().union(*(reach[j] for j in subset))
            scored.append((math.fsum(weight[i] for i in covered if open_mask[i]), subset))
    best = max(s for s, _ in scored)
    return best, {sub for s, sub in scored if s == best}


def two_sites():
    """Generated: one street (x = -4000 … 4000 m), the existing centre at its east end.

    ::

        a (pop 500, 1 graduate)          b (pop 100, 50 graduates), c (pop 10, no figure)
        s1 at x=-3000                    s2 at x=-500 (b), -450 (c)            centre x=4000

    Everyone is uncovered before (the centre is 2500+ m away). With one site, population picks
    s1 (500 against 110), graduates pick s2 (50 against 1).
    """
    communities = points(
        [
            ("k1", -3000, 0, 500.0, 1.0),
            ("k2", -500, 0, 100.0, 50.0),
            ("k3", -450, 0, 10.0, np.nan),
        ],
        columns=("id", "x", "y", "population", "graduates"),
    )
    centres = points([("existing", 4000, 0)])
    candidates = points([("s1", -3000, 0), ("s2", -500, 0)])
    return communities, centres, candidates, street()


def _ids(layer, positions):
    return {layer["id"].iloc[j] for j in positions}


def test_weighting_by_a_group_changes_the_optimal_site():
    communities, centres, candidates, net = two_sites()
    config = CircleConfig()
    reach, comm = reference_reach(communities, candidates, net, config)
    open_mask = np.ones(len(comm), bool)
    for column, expected in (("population", "s1"), ("graduates", "s2")):
        weight = np.nan_to_num(comm[column].to_numpy(float))
        best, subsets = best_by_brute_force(reach, open_mask, weight, 1)
        assert {s for sub in subsets for s in _ids(candidates, sub)} == {expected}
        result = site_new_centres(
            communities,
            centres,
            candidates,
            net,
            add=1,
            config=config,
            demand=None if column == "population" else column,
        )
        assert result.proposals["site_id"].tolist() == [expected]
        assert result.solver["objective"] == pytest.approx(best)
    s = siting_summary(result)
    assert s["parameters"]["objective"] == s["parameters"]["demand"] == "graduates"
    # k3's empty cell counts 0 and is reported; the population columns still say people
    assert s["demand"] == {
        "column": "graduates",
        "total": 51.0,
        "communities_without_figure": 1,
        "covered_before": 0.0,
        "covered_after": 50.0,
        "gain": 50.0,
    }
    row = result.proposals.iloc[0]
    assert (row["demand_newly_covered"], row["demand_alone"]) == (50.0, 50.0)
    assert row["population_newly_covered"] == 110.0
    md = siting_markdown(s)
    assert "key group `graduates`" in md and "1 communities have no figure" in md
    assert "demand: graduates (not population)" in siting_text(s)
    assert list(proposals_for_output(result).columns[-3:-1]) == [
        "demand_newly_covered",
        "demand_alone",
    ]


@pytest.mark.parametrize("seed", range(6))
def test_demand_objective_equals_brute_force_on_random_instances(seed):
    from .test_siting import random_instance

    communities, centres, candidates, net = random_instance(300 + seed)
    rng = np.random.default_rng(seed)
    grads = rng.integers(0, 40, len(communities)).astype(float)
    grads[rng.integers(0, len(grads), 3)] = np.nan
    communities["graduates"] = grads
    config = CircleConfig(thresholds_min=(8.0,))
    before = coverage_report(communities, centres, net, config=config)
    open_mask = ~before.table["covered"].to_numpy()
    reach, comm = reference_reach(communities, candidates, net, config)
    weight = np.nan_to_num(comm["graduates"].to_numpy(float))
    for k in (1, 2):
        result = site_new_centres(
            communities, centres, candidates, net, add=k, config=config, demand="graduates"
        )
        best, _ = best_by_brute_force(reach, open_mask, weight, k)
        assert result.solver["objective"] == pytest.approx(best)
        assert siting_summary(result)["demand"]["gain"] == pytest.approx(best)


def test_a_missing_or_bad_demand_column_names_the_file():
    communities, centres, candidates, net = two_sites()
    communities.attrs["source"] = "communities.gpkg"
    with pytest.raises(InputDataError, match=r"communities\.gpkg: no group column 'veterans'"):
        site_new_centres(communities, centres, candidates, net, add=1, demand="veterans")
    bad = communities.assign(graduates=[1.0, -2.0, 3.0])
    with pytest.raises(InputDataError, match=r"communities\.gpkg"):
        site_new_centres(bad, centres, candidates, net, add=1, demand="graduates")


def test_bundled_demand_is_the_brute_force_optimum(bundled, communities_with_groups):
    """Real network and communities (bundled Helsinki), generated graduate counts."""
    from circle import load_network

    network, centres_path, _ = bundled
    net = load_network(network)
    centres = read_layer(centres_path)
    communities = read_layer(communities_with_groups)
    candidates = combine_candidates(
        candidates_from_osm(network, exclude_ids=set(centres["id"])), candidates_on_grid(net)
    )
    config = CircleConfig(thresholds_min=(10.0,))
    result = site_new_centres(
        communities, centres, candidates, net, add=2, config=config, demand="graduates"
    )
    # brute force over every pair of candidates, on the reach matrix, with the file's counts
    by_id = gpd.read_file(communities_with_groups).set_index("id")["graduates"]
    c = result.communities
    weight = np.nan_to_num(by_id.loc[c["community_id"]].to_numpy(float))
    open_mask = ~c["covered_before"].to_numpy()
    m = result.reach.tocsr()
    reach = {j: set(m.indices[m.indptr[j] : m.indptr[j + 1]].tolist()) for j in range(m.shape[0])}
    reach = {j: r for j, r in reach.items() if r & set(np.flatnonzero(open_mask).tolist())}
    best, _ = best_by_brute_force(reach, open_mask, weight, 2)
    assert best > 0
    assert result.solver["objective"] == pytest.approx(best)
    # "after" is coverage with the proposals added, and the gain counts graduates
    after = coverage_report(communities, with_proposals(centres, result), net, config=config)
    newly = after.table["covered"].to_numpy() & open_mask
    assert siting_summary(result)["demand"]["gain"] == pytest.approx(math.fsum(weight[newly]))


def test_cli_demand(cli_runner, communities_with_groups, tmp_path):
    args = ["site", "--add", "2", "--communities", str(communities_with_groups), "-m", "10"]
    res = cli_runner(
                [*args, "--demand", "graduates", "--format", "json", "--out", str(tmp_path / "g")],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["parameters"]["demand"] == "graduates" and s["demand"]["column"] == "graduates"
    grads = gpd.read_file(communities_with_groups)["graduates"]
    assert s["demand"]["total"] == pytest.approx(np.nansum(grads))
    assert s["demand"]["communities_without_figure"] == int(grads.isna().sum()) == 0
    csv = (tmp_path / "g" / "proposals.csv").read_text().splitlines()[0]
    assert "demand_newly_covered,demand_alone" in csv
    assert "people of the group `graduates`" in (tmp_path / "g" / "summary.md").read_text()
    res = cli_runner([*args, "--demand", "nope"])
    assert res.exit_code == 1 and "no group column 'nope'" in res.output
