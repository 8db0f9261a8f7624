"""Benchmark: partitioned coverage on a generated network of over a million nodes, on Dask.

Runs the single-process `coverage_report` once, then the partitioned run on a fresh
LocalCluster of 1 and of 2 worker processes, and reports wall time (and how much of it the
driver spent snapping and cutting) and each worker's peak memory (VmHWM, the high-water mark
of the worker process's resident memory; ``ru_maxrss`` would not do: Linux carries it over
from the parent through fork and exec). Checks that every run gives the same table.

    python bench/dask_bench.py                      # 1,020 x 1,020 grid, 20 km tiles
    python bench/dask_bench.py --n-side 300 --tile-km 8 --communities 3000   # quick look
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import CRS, X0, Y0, jittered_grid
from circle import CircleConfig, coverage_report
from circle.network.partition import halo_m
from circle.runs.distributed import Partitioning, dask_client, run_partitioned_coverage


def _idle_rss_mb() -> float:
    """Peak resident memory of a worker that has only imported circle (the floor), MB."""
    import circle.runs.distributed  # noqa: F401

    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    """High-water mark of this process's resident memory, MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Phases(logging.Handler):
    """Keeps the driver's phase timings logged by circle.distributed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.message = ""

    def emit(self, record: logging.LogRecord) -> None:
        if "s to snap and cut" in record.getMessage():
            self.message = record.getMessage().removeprefix("partition: ")


def _layers(extent_m: float, n_communities: int, n_centres: int, seed: int):
    rng = np.random.default_rng(seed)
    cxy = rng.uniform((X0, Y0), (X0 + extent_m, Y0 + extent_m), size=(n_communities, 2))
    kxy = rng.uniform((X0, Y0), (X0 + extent_m, Y0 + extent_m), size=(n_centres, 2))
    communities = gpd.GeoDataFrame(
        {"id": [f"c{i}" for i in range(n_communities)]}, geometry=shapely.points(cxy), crs=CRS
    )
    centres = gpd.GeoDataFrame(
        {"id": [f"k{i}" for i in range(n_centres)]}, geometry=shapely.points(kxy), crs=CRS
    )
    return communities, centres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-side", type=int, default=1020)
    parser.add_argument("--tile-km", type=float, default=20.0)
    parser.add_argument("--communities", type=int, default=20_000)
    parser.add_argument("--centres", type=int, default=1_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    t = time.perf_counter()
    net = jittered_grid(args.n_side)
    print(f"network: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
          f"({time.perf_counter() - t:.1f} s to generate)")
    communities, centres = _layers((args.n_side - 1) * 100.0, args.communities, args.centres, 1)
    config = CircleConfig()
    print(f"config: {config.as_dict()}; halo {halo_m(config):.0f} m; tiles {args.tile_km} km")

    t = time.perf_counter()
    single = coverage_report(communities, centres, net, config=config)
    single_s = time.perf_counter() - t
    print(f"single process: {single_s:.1f} s, driver peak RSS so far {_peak_rss_mb():.0f} MB")

    phases = _Phases()
    logger = logging.getLogger("circle.distributed")
    logger.addHandler(phases)
    logger.setLevel(logging.INFO)
    rows = []
    for n in args.workers:
        with tempfile.TemporaryDirectory() as work, dask_client(n_workers=n) as client:
            idle = max(client.run(_idle_rss_mb).values())
            load = os.getloadavg()[0]
            t = time.perf_counter()
            part = run_partitioned_coverage(
                communities, centres, net, config=config,
                partitioning=Partitioning(tile_m=args.tile_km * 1000), client=client,
                work_dir=work,
            )
            wall = time.perf_counter() - t
            peaks = sorted(client.run(_peak_rss_mb).values())
        pd.testing.assert_frame_equal(part.table, single.table, check_exact=True)
        rows.append(
            (n, part.sources["partition"]["parts"], wall, phases.message, peaks, idle, load)
        )
        print(f"{n} worker(s): {wall:.1f} s ({phases.message}), worker peak RSS "
              f"{[round(p) for p in peaks]} MB, load average at start {load:.1f}; "
              "equal to single process: yes")

    print()
    print("| workers | parts | wall time | of which | peak memory per worker (idle) | load avg |")
    print("|---|---|---|---|---|---|")
    for n, parts, wall, phase, peaks, idle, load in rows:
        mem = ", ".join(f"{p:.0f} MB" for p in peaks)
        print(f"| {n} | {parts} | {wall:.1f} s | {phase} | {mem} ({idle:.0f} MB) | {load:.1f} |")
    print(f"| single process | – | {single_s:.1f} s | | driver peak {_peak_rss_mb():.0f} MB | |")


if __name__ == "__main__":
    main()
