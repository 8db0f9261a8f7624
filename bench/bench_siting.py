"""Siting on a generated city-sized instance: reach matrix, lazy greedy and MILP timings.

Generated (not real data): a 200 x 200 street grid with 100 m blocks (15 % of edges removed,
nodes jittered by up to 10 m), 20,000 communities with random populations, 30 centres and
3,000 candidate sites at random points; 15-minute circle (1,000 m).

    python bench/bench_siting.py [--time-limit-s 60]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np

from circle.network.engine import reach_within
from circle.network.snap import build_search_graph, snap_points
from circle.network.walk import network_from_arrays
from circle.siting.core import site_new_centres

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit-s", type=float, default=60.0)
    args = parser.parse_args()
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
            communities, centres, candidates, net, time_limit_s=args.time_limit_s, **kwargs
        ).solver
        print(
            f"{kwargs}: {time.perf_counter() - start:.1f} s, {s['status']}, objective "
            f"{s['objective']:.0f}, bound {s['bound']}, gap {s['gap']:.4f}, greedy "
            f"{s['greedy_objective']:.0f} (gap {s['greedy_gap']:.4f})"
        )


if __name__ == "__main__":
    main()
