"""`circle coverage --partition/--partition-by` and `circle sweep` on real Dask clusters."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from circle import load_network, read_layer

from .conftest import need_dask

#: a short search keeps the halo (5 min at 4 km/h + 100 m = 433 m) small against the extract
SHORT = ["-m", "5", "--search-limit-min", "5", "--max-snap-m", "100"]


def invoke(cli_runner, *args):
    return cli_runner([*map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def layers(bundled, tmp_path_factory):
    """The bundled network and centres; communities = the bundled ones plus 200 generated
    points over the extract (g0..g199), written as GeoJSON; and two generated areas."""
    network, centres, communities = bundled
    folder = tmp_path_factory.mktemp("layers")
    net = load_network(network)
    comm = read_layer(communities).to_crs(net.crs)
    rng = np.random.default_rng(11)
    (x0, y0), (x1, y1) = net.xy.min(axis=0), net.xy.max(axis=0)
    extra = gpd.GeoDataFrame(
        {"id": [f"g{i}" for i in range(200)], "name": "generated point"},
        geometry=shapely.points(rng.uniform((x0, y0), (x1, y1), size=(200, 2))),
        crs=net.crs,
    )
    pd.concat([comm, extra], ignore_index=True).to_crs("EPSG:4326").to_file(
        folder / "communities.geojson"
    )
    mid = (y0 + y1) / 2
    areas = gpd.GeoDataFrame(
        {"district": ["南区", "北区"]},
        geometry=[
            shapely.box(x0 - 500, y0 - 500, x1 + 500, mid),
            shapely.box(x0 - 500, mid, x1 + 500, y1 + 500),
        ],
        crs=net.crs,
    ).to_crs("EPSG:4326")
    areas.to_file(folder / "areas.geojson")
    return network, centres, folder / "communities.geojson", folder / "areas.geojson"


def test_tiles_on_a_local_cluster_write_the_single_process_files(cli_runner, layers, tmp_path):
    need_dask()
    network, centres, communities, _ = layers
    common = ["coverage", "--network", network, "--centres", centres, "--communities",
              communities, *SHORT]
    res = invoke(cli_runner, *common, "--out", tmp_path / "single")
    assert res.exit_code == 0, res.output
    part = [*common, "--partition", "tiles", "--tile-km", "0.87", "--workers", "2",
            "--work-dir", tmp_path / "work"]
    res = invoke(cli_runner, *part, "--out", tmp_path / "tiles")
    assert res.exit_code == 0, res.output
    assert "local Dask cluster (2 workers)" in res.stderr
    n = int(res.stderr.split("[1/")[1].split("]")[0])
    assert n >= 4 and f"[{n}/{n}]" in res.stderr
    single = (tmp_path / "single" / "coverage.csv").read_bytes()
    assert (tmp_path / "tiles" / "coverage.csv").read_bytes() == single
    summary = json.loads((tmp_path / "tiles" / "summary.json").read_text())
    assert summary["data"]["partition"]["parts"] == n
    # a rerun finds every part complete in the work folder
    res = invoke(cli_runner, *part, "--out", tmp_path / "again")
    assert res.exit_code == 0, res.output
    assert f"[{n}/{n}] {n} parts already complete" in res.stderr
    assert (tmp_path / "again" / "coverage.csv").read_bytes() == single


def test_areas_on_an_existing_cluster(cli_runner, layers, tmp_path, dask_cluster):
    network, centres, communities, areas = layers
    common = ["coverage", "--network", network, "--centres", centres, "--communities",
              communities, *SHORT]
    # the parts' areas are also the report's roll-up areas, so the single run rolls up too
    res = invoke(cli_runner, *common, "--areas", areas, "--areas-name-column", "district",
                 "--out", tmp_path / "single")
    assert res.exit_code == 0, res.output
    res = invoke(cli_runner, *common, "--areas", areas, "--partition-by", "district",
                 "--scheduler", dask_cluster.scheduler_address, "--work-dir", tmp_path / "w",
                 "--out", tmp_path / "areas")
    assert res.exit_code == 0, res.output
    assert "[2/2]" in res.stderr and "北区" in res.stderr and "南区" in res.stderr
    assert (tmp_path / "areas" / "coverage.csv").read_bytes() == (
        tmp_path / "single" / "coverage.csv"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--partition-by", "city"], "--partition-by needs --areas FILE"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler, --workers and --work-dir need"),
        (["--partition", "tiles", "--tile-km", "0"], "--tile-km must be > 0, got 0.0"),
        (["--partition", "tiles", "--partition-by", "x", "--areas", "a.gpkg"], "not both"),
    ],
)
def test_partition_usage_errors(cli_runner, args, message):
    res = invoke(cli_runner, "coverage", *args)
    assert res.exit_code == 2
    assert message in res.output


SCENARIOS = """
[defaults]
minutes = [5, 10]
search_limit_min = 20

[[scenario]]
name = "baseline"

[[scenario]]
name = "slow-walkers"
speed_kmh = 3.0
max_snap_m = 150
"""


def test_sweep_writes_one_table_per_scenario_and_a_comparison(
    cli_runner, layers, tmp_path, dask_cluster
):
    network, centres, communities, _ = layers
    (tmp_path / "s.toml").write_text(SCENARIOS)
    res = invoke(cli_runner, "sweep", tmp_path / "s.toml", "--network", network, "--centres",
                 centres, "--communities", communities, "--partition", "tiles", "--tile-km",
                 "2", "--scheduler", dask_cluster.scheduler_address, "--work-dir",
                 tmp_path / "w", "--out", tmp_path / "sweep")
    assert res.exit_code == 0, res.output
    assert "slow-walkers" in res.stdout and "scenario slow-walkers" in res.stderr
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir()) == [
        "baseline.csv", "comparison.csv", "slow-walkers.csv",
    ]
    comparison = pd.read_csv(tmp_path / "sweep" / "comparison.csv")
    # each scenario's table is what `circle coverage` writes for the same parameters
    for name, extra in (("baseline", []), ("slow-walkers", ["--speed-kmh", "3",
                                                           "--max-snap-m", "150"])):
        out = tmp_path / f"single-{name}"
        res = invoke(cli_runner, "coverage", "--network", network, "--centres", centres,
                     "--communities", communities, "-m", "5", "-m", "10",
                     "--search-limit-min", "20", *extra, "--out", out)
        assert res.exit_code == 0, res.output
        assert (tmp_path / "sweep" / f"{name}.csv").read_bytes() == (
            out / "coverage.csv"
        ).read_bytes()
        bands = json.loads((out / "summary.json").read_text())["thresholds"]
        rows = comparison[comparison["scenario"] == name]
        assert rows["minutes"].tolist() == [5.0, 10.0]
        assert rows["communities_covered"].tolist() == [b["communities_covered"] for b in bands]
        assert rows["communities_share"].tolist() == [b["communities_share"] for b in bands]
    # slower walkers cover no more than the baseline in any band
    shares = comparison.pivot(index="minutes", columns="scenario", values="communities_share")
    assert (shares["slow-walkers"] <= shares["baseline"]).all()
    assert (shares["slow-walkers"] < shares["baseline"]).any()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[scenario]]\nname = "k0"\nadd = 0\n', "`add` must be a whole number"),
        ('[[scenario]]\nname = "c"\ncandidates = "sites.csv"\n', "`candidates` needs `add"),
        ('[[scenario]]\nname = "c"\nadd = 1\ncandidates = "grid:x"\n', "SPACING must be"),
        ('[[scenario]]\nname = "c"\nadd = 1\ncandidates = "nope.csv"\n', "no file"),
        ('[[scenario]]\nname = "x"\nspeed = 3\n', "unknown key(s) ['speed']"),
        ('[[scenario]]\nname = "x"\n[[scenario]]\nname = "x"\n', "two scenarios are named 'x'"),
        ('[[scenario]]\nname = "a/b"\n', "needs a name of letters"),
        ('[[scenario]]\nname = "x"\nspeed_kmh = -1\n', "scenario 'x': `walk_speed_kmh` must be"),
        ("[defaults]\nminutes = [5]\n", "no scenarios"),
        ("[[scenario]\n", "cannot read as TOML"),
    ],
)
def test_bad_scenario_files_are_refused_before_any_work(cli_runner, tmp_path, text, message):
    (tmp_path / "s.toml").write_text(text)
    res = invoke(cli_runner, "sweep", tmp_path / "s.toml", "--out", tmp_path / "out")
    assert res.exit_code == 1
    assert message in res.output
    assert not (tmp_path / "out").exists()
