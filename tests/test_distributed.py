"""Partitioned coverage on a real Dask cluster: equality, a killed worker, a failing part, rerun."""

from __future__ import annotations

import json
import os
import signal
import sys

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from circle import CircleConfig, coverage_report
from circle.errors import PartFailedError
from circle.runs.distributed import Partitioning, dask_client, run_partitioned_coverage

from .conftest import CRS, X0, Y0, need_dask


def quadrants():
    """Four areas (generated) over the generated city: exactly four parts."""
    boxes = [
        shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)
        for x0, x1 in ((-1_000, 8_000), (8_000, 25_000))
        for y0, y1 in ((-1_000, 8_000), (8_000, 20_000))
    ]
    return Partitioning(
        areas=gpd.GeoDataFrame({"q": ["sw", "nw", "se", "ne"]}, geometry=boxes, crs=CRS),
        column="q",
    )


def assert_same(partitioned, single):
    pd.testing.assert_frame_equal(partitioned.table, single.table, check_exact=True)


def test_a_killed_worker_does_not_lose_a_part(generated_city):
    """A real LocalCluster, 2 workers, 4 parts; one worker is SIGKILLed when the first part is
    done. The scheduler reruns its part elsewhere and the result is complete and exact."""
    distributed = need_dask()
    net, communities, centres = generated_city
    config = CircleConfig()
    single = coverage_report(communities, centres, net, config=config)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        with distributed.Client(cluster) as client:
            pids = client.run(os.getpid)
            killed = []
            seen = []

            def progress(done, total, label):
                seen.append((done, total))
                if not killed:
                    busy = [w for w, keys in client.processing().items() if keys]
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append((busy[0], done))

            part = run_partitioned_coverage(
                communities, centres, net, config=config, partitioning=quadrants(),
                client=client, progress=progress,
            )
            assert killed and killed[0][1] == 1  # killed with three parts still to do
            with pytest.raises(ProcessLookupError):
                os.kill(pids[killed[0][0]], 0)  # that worker process is gone
    finally:
        cluster.close()
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert_same(part, single)


def test_existing_cluster_by_address_equals_single_process(generated_city, dask_cluster):
    net, communities, centres = generated_city
    config = CircleConfig(thresholds_min=(10.0,), search_limit_min=10.0, max_snap_m=200.0)
    single = coverage_report(communities, centres, net, config=config)
    with dask_client(dask_cluster.scheduler_address) as client:
        part = run_partitioned_coverage(
            communities, centres, net, config=config,
            partitioning=Partitioning(tile_m=4_000.0), client=client,
        )
    assert part.sources["partition"]["parts"] >= 16
    assert_same(part, single)


def test_a_failing_part_is_named_retried_and_rerun_alone(generated_city, dask_cluster, tmp_path):
    distributed = need_dask()
    net, communities, centres = generated_city
    config = CircleConfig()
    single = coverage_report(communities, centres, net, config=config)

    def run(progress=None):
        with distributed.Client(dask_cluster) as client:
            return run_partitioned_coverage(
                communities, centres, net, config=config, partitioning=quadrants(),
                client=client, work_dir=tmp_path, progress=progress,
            )

    assert_same(run(), single)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(t["part"] for t in manifest["tasks"].values()) == ["ne", "nw", "se", "sw"]
    # break part "se": its output is gone and its network file is garbage
    key, entry = next((k, t) for k, t in manifest["tasks"].items() if t["part"] == "se")
    (tmp_path / entry["output"]).unlink()
    (tmp_path / entry["network"]).write_bytes(b"not a network")
    with distributed.Client(dask_cluster) as client:
        failed = r"^part se failed after 3 tries: .*\(input net-\w+\.npz, removed\)"
        with pytest.raises(PartFailedError, match=failed):
            run_partitioned_coverage(
                communities, centres, net, config=config, partitioning=quadrants(),
                client=client, work_dir=tmp_path,
            )
        # the scheduler ran it three times: the first try and RETRIES = 2 more
        tries = client.run_on_scheduler(
            lambda dask_scheduler, k=f"circle-part-{key}": sum(
                1 for t in dask_scheduler.transition_log if t[0] == k and t[2] == "erred"
            )
        )
        assert tries == 1  # one final error after the retries...
        retried = client.run_on_scheduler(
            lambda dask_scheduler, k=f"circle-part-{key}": sum(
                1 for t in dask_scheduler.transition_log if t[0] == k and t[1] == "processing"
                and t[2] == "released"
            )
        )
        assert retried == 2  # ...after two retries
    # the failed part's input was removed, so the rerun writes it afresh and runs "se" alone
    assert not (tmp_path / entry["network"]).exists()
    seen = []
    assert_same(run(lambda done, total, label: seen.append((done, total, label))), single)
    assert seen[0][:2] == (3, 4) and "3 parts already complete" in seen[0][2]
    assert seen[1:] == [(4, 4, "se")]


def test_without_dask_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"circle-planner\[dask\]"):
        with dask_client():
            pass
