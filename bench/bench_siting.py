"""Siting benchmarks: a generated city-sized instance, and issue 26's tiled Helsinki case.

Generated (not real data): a 200 x 200 street grid with 100 m blocks (15 % of edges removed,
nodes jittered by up to 10 m), 20,000 communities with random populations, 30 centres and
3,000 candidate sites at random points; 15-minute circle (1,000 m).

    python bench/bench_siting.py [--time-limit-s 60]

Issue 26 (time limit and memory): the bundled Helsinki extract tiled 2 x 2 (21,240 nodes),
grid candidates every 12 m (10,142 sites), 20,000 generated communities and 10 centres,
``add=10``. Each configuration runs in its own process so its peak memory is its own:

    python bench/bench_siting.py --case helsinki2x2 --runs reach,greedy,milp:10,milp:30,milp:60

prints one JSON line per run (wall time of `site_new_centres`, solver report, peak RSS, RSS
growth per reached pair).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/bench_siting.py` from the repository root
    sys.path.insert(0, str(ROOT))

from circle.network.engine import reach_within  # noqa: E402
from circle.network.snap import build_search_graph, snap_points  # noqa: E402
from circle.network.walk import network_from_arrays  # noqa: E402
from circle.siting.site import site_new_centres  # noqa: E402

CRS = "EPSG:32651"
ORIGIN = np.array([500_000.0, 4_600_000.0])


def instance(seed: int = 0, side: int = 200):
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) * 100.0 + ORIGIN
    xy += rng.uniform(-10, 10, xy.shape)
    idx = np.arange(side * side).reshape(side, side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    keep = rng.random(u.size) > 0.15
    net = network_from_arrays(xy, u[keep], v[keep], crs=CRS, min_component_m=0)

    def layer(k, prefix, population=False):
        p = rng.uniform(0, side * 100, (k, 2)) + ORIGIN
        data = {"id": [f"{prefix}{i}" for i in range(k)]}
        if population:
            data["population"] = rng.integers(100, 5000, k).astype(float)
        return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(*p.T), crs=CRS)

    return layer(20_000, "k", True), layer(30, "c"), layer(3_000, "s"), net


def helsinki_case(tiles: int = 2, grid_m: float = 12.0, n_communities: int = 20_000):
    """Issue 26's case: the bundled Helsinki extract tiled, grid candidates, generated layers."""
    from bench.generate import random_layers, replay_extract
    from circle.network.load import network_from_osm
    from circle.siting.candidates import candidates_on_grid

    net = replay_extract(network_from_osm(ROOT / "data" / "helsinki_centre.osm.pbf"), tiles)
    candidates = candidates_on_grid(net, grid_m)
    centres, communities = random_layers(net, 10, n_communities, seed=0)
    return communities, centres, candidates, net


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_run(spec: str, add: int) -> dict:
    """One configuration of the Helsinki case, in this process: ``reach``, ``greedy``,
    ``greedy+lp`` or ``milp:<time limit s>``."""
    communities, centres, candidates, net = helsinki_case()
    out: dict = {"run": spec, "nodes": int(net.n_nodes), "candidates": len(candidates)}
    base = _rss_mb()
    out["rss_before_mb"] = round(base, 1)
    start = time.perf_counter()
    if spec == "reach":
        xy = np.column_stack([candidates.geometry.x, candidates.geometry.y])
        cxy = communities.geometry.representative_point()
        cs = snap_points(net, xy, max_snap_m=500)
        ks = snap_points(net, np.column_stack([cxy.x, cxy.y]), max_snap_m=500)
        graph = build_search_graph(net, cs, ks)
        t0 = time.perf_counter()
        reach = reach_within(
            graph, graph.point_node[0], cs.snap_m, graph.point_node[1], ks.snap_m, 1000.0
        )
        out["reach_within_s"] = round(time.perf_counter() - t0, 2)
        out["pairs"] = int(reach.nnz)
    else:
        kwargs: dict = {"add": add}
        if spec.startswith("milp:"):
            kwargs["time_limit_s"] = float(spec.split(":", 1)[1])
        elif spec == "greedy":
            kwargs["solver"] = "greedy"
        elif spec == "greedy+lp":
            kwargs.update(solver="greedy", bound="lp")
        result = site_new_centres(communities, centres, candidates, net, **kwargs)
        out["solver"] = {
            k: v for k, v in result.solver.items() if not isinstance(v, (list, np.ndarray))
        }
        out["pairs"] = int(result.reach.nnz)
    out["wall_s"] = round(time.perf_counter() - start, 2)
    peak = _peak_mb()
    out["peak_rss_mb"] = round(peak, 1)
    out["bytes_per_pair"] = round((peak - base) * 2**20 / max(out["pairs"], 1), 1)
    return out


def helsinki_main(runs: list[str], add: int) -> None:
    for spec in runs:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", spec, "--add", str(add)],
            capture_output=True,
            text=True,
            check=False,
        )
        line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]
        print(line, flush=True)


def generated_main(time_limit_s: float) -> None:
    communities, centres, candidates, net = instance()
    xy = lambda g: np.column_stack([g.geometry.x, g.geometry.y])  # noqa: E731
    cs = snap_points(net, xy(candidates), max_snap_m=500)
    ks = snap_points(net, xy(communities), max_snap_m=500)
    graph = build_search_graph(net, cs, ks)
    start = time.perf_counter()
    reach = reach_within(
        graph, graph.point_node[0], cs.snap_m, graph.point_node[1], ks.snap_m, 1000.0
    )
    print(
        f"reach_within: {graph.n_nodes} nodes, {reach.nnz} pairs, "
        f"{time.perf_counter() - start:.1f} s"
    )
    for kwargs in (
        {"add": 50},
        {"add": 50, "solver": "greedy"},
        {"cover_all": True},
        {"cover_all": True, "solver": "greedy"},
    ):
        start = time.perf_counter()
        s = site_new_centres(
            communities, centres, candidates, net, time_limit_s=time_limit_s, **kwargs
        ).solver
        print(
            f"{kwargs}: {time.perf_counter() - start:.1f} s, {s['status']}, objective "
            f"{s['objective']:.0f}, bound {s['bound']}, gap {s['gap']}, greedy "
            f"{s['greedy_objective']:.0f} (gap {s['greedy_gap']})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit-s", type=float, default=60.0)
    parser.add_argument("--case", choices=["generated", "helsinki2x2"], default="generated")
    parser.add_argument("--runs", default="reach,greedy,milp:10,milp:30,milp:60")
    parser.add_argument("--add", type=int, default=10)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.add)), flush=True)
    elif args.case == "helsinki2x2":
        helsinki_main(args.runs.split(","), args.add)
    else:
        generated_main(args.time_limit_s)


if __name__ == "__main__":
    main()
