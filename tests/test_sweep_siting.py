"""`circle sweep` siting scenarios (`add`, `candidates`) on the bundled data."""

from __future__ import annotations

import pandas as pd
import pytest

from circle import CircleConfig, coverage_report, load_network, read_layer, summarise
from circle.runs.sweep import read_scenarios
from circle.siting.candidates import candidates_from_osm, candidates_on_grid
from circle.siting.site import site_new_centres
from circle.siting.summary import siting_summary

from .test_siting import with_proposals

SCENARIOS = """
[defaults]
minutes = [10, 15]

[[scenario]]
name = "baseline"

[[scenario]]
name = "two-more"
add = 2

[[scenario]]
name = "grid-one"
add = 1
candidates = "grid:300"
minutes = [10]

[[scenario]]
name = "from-file"
add = 1
candidates = "sites/vacant.geojson"
"""


@pytest.fixture(scope="module")
def helsinki(bundled):
    network, centres, communities = bundled
    return load_network(network), read_layer(centres), read_layer(communities)


def test_read_siting_scenarios(tmp_path):
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "vacant.geojson").write_text("{}")
    (tmp_path / "s.toml").write_text(SCENARIOS)
    got = {
        s.name: (s.add, s.candidates, s.config.thresholds_min)
        for s in read_scenarios(tmp_path / "s.toml")
    }
    assert got == {
        "baseline": (None, None, (10.0, 15.0)),
        "two-more": (2, "osm", (10.0, 15.0)),  # osm: the default source, as in `circle site`
        "grid-one": (1, "grid:300", (10.0,)),
        "from-file": (1, str((tmp_path / "sites" / "vacant.geojson").resolve()), (10.0, 15.0)),
    }


def test_sweep_add_scenarios_equal_direct_siting(
    cli_runner, bundled, helsinki, tmp_path, dask_cluster
):
    network = bundled[0]
    net, centres, communities = helsinki
    # a candidate file: every third grid site every 150 m (generated from the real network)
    (tmp_path / "sites").mkdir()
    file_sites = candidates_on_grid(net, 150).iloc[::3].to_crs("EPSG:4326")
    file_sites.to_file(tmp_path / "sites" / "vacant.geojson")
    (tmp_path / "s.toml").write_text(SCENARIOS)
    out = tmp_path / "sweep"
    res = cli_runner(
        [
            "sweep",
            str(tmp_path / "s.toml"),
            "--scheduler",
            dask_cluster.scheduler_address,
            "--work-dir",
            str(tmp_path / "w"),
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert "siting 2 new centres (whole area)" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "baseline.csv",
        "comparison.csv",
        "from-file.csv",
        "from-file.proposals.csv",
        "grid-one.csv",
        "grid-one.proposals.csv",
        "two-more.csv",
        "two-more.proposals.csv",
    ]
    comparison = pd.read_csv(out / "comparison.csv", keep_default_na=False)
    assert comparison["scenario"].unique().tolist() == [
        "baseline",
        "two-more",
        "grid-one",
        "from-file",
    ]
    direct = {
        "two-more": (2, candidates_from_osm(network, exclude_ids=set(centres["id"])), (10.0, 15.0)),
        "grid-one": (1, candidates_on_grid(net, 300), (10.0,)),
        "from-file": (1, read_layer(tmp_path / "sites" / "vacant.geojson"), (10.0, 15.0)),
    }
    for name, (k, candidates, minutes) in direct.items():
        config = CircleConfig(thresholds_min=minutes)
        result = site_new_centres(communities, centres, candidates, net, add=k, config=config)
        after = siting_summary(result)["after"]
        rows = comparison[comparison["scenario"] == name].set_index("minutes")
        main = rows.loc[max(minutes)]
        assert main["communities_covered"] == after["communities_covered"]
        assert main["population_covered"] == pytest.approx(after["population_covered"])
        assert main["new_sites"] == ";".join(result.proposals["site_id"])
        assert len(result.proposals) >= 1
        # every band: coverage with the proposals appended, and the per-community table
        full = coverage_report(communities, with_proposals(centres, result), net, config=config)
        bands = {b["minutes"]: b for b in summarise(full)["thresholds"]}
        for m in minutes:
            assert rows.loc[m, "communities_covered"] == bands[m]["communities_covered"]
        table = pd.read_csv(out / f"{name}.csv", dtype={"community_id": str})
        assert table["covered"].tolist() == result.communities["covered_after"].tolist()
        proposals = pd.read_csv(out / f"{name}.proposals.csv")
        assert proposals["site_id"].tolist() == result.proposals["site_id"].tolist()
    # the baseline is the plain coverage, no new sites
    base = comparison[comparison["scenario"] == "baseline"]
    before = siting_summary(result)["before"]
    assert (
        base.loc[base["minutes"] == 15.0, "communities_covered"].item()
        == (before["communities_covered"])
    )
    assert (base["new_sites"] == "").all()
    assert (
        base["communities_covered"].iloc[-1]
        < comparison.loc[comparison["scenario"] == "two-more", "communities_covered"].iloc[-1]
    )


def test_osm_candidates_need_an_osm_network(cli_runner, tmp_path, bundled):
    import osmnx as ox

    net = load_network(bundled[0])
    graphml = tmp_path / "net.graphml"
    ox.save_graphml(net.to_networkx(), graphml)
    (tmp_path / "s.toml").write_text('[[scenario]]\nname = "k"\nadd = 1\n')
    res = cli_runner(
        [
            "sweep",
            str(tmp_path / "s.toml"),
            "--network",
            str(graphml),
            "--centres",
            str(bundled[1]),
            "--communities",
            str(bundled[2]),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2 and 'candidates = "osm"' in res.output
    assert not (tmp_path / "o").exists()
