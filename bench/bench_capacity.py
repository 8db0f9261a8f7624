"""Capacity and the coverage curve at city size (issue 21): 2SFCA and K = 1..50.

Generated, not real data: a jittered street grid of ``--side`` x ``--side`` nodes (317: about
10^5 nodes, 31.7 x 31.7 km; `bench.generate.jittered_grid`), 20,000 generated communities
(60 m squares, random populations) and generated centres with generated capacities
(`bench.generate.random_layers`), and 10,000 generated candidate sites at random points; the
15-minute circle (1,000 m at 4 km/h).

Each run is its own process, so its peak memory (the process's peak RSS: interpreter, imports,
the generated data and the run) is its own:

- ``2sfca``: the coverage run of the generated centres, then `capacity_analysis` (its own walks
  from the centres, the 2SFCA scores and ratios, the served demand);
- ``2sfca-candidates``: 2SFCA with all 10,000 candidates as stations (walks within the circle
  of every candidate, `two_step_fca` over them), the largest reach set the issue names;
- ``curve`` / ``curve-cold``: ``site_model(model="curve", max_add=50)``, the coverage curve
  K = 1..50 over the 10,000 candidates, with and without the warm start; each K's solve
  keeps to ``--time-limit-s``.

Run from the repository root::

    python -m bench.bench_capacity                       # every run, one JSON line each
    python -m bench.bench_capacity --runs curve --side 100 --candidates 1000   # smaller
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import shapely

RUNS = ("2sfca", "2sfca-candidates", "curve", "curve-cold")


def instance(side: int, n_candidates: int, n_communities: int = 20_000, n_centres: int = 60,
             seed: int = 21):
    """The generated network, centres (with a generated ``staff`` column), communities and
    candidate sites."""
    from bench.generate import jittered_grid, random_layers

    net = jittered_grid(side, seed=seed)
    centres, communities = random_layers(net, n_centres, n_communities, seed=seed)
    rng = np.random.default_rng(seed + 1)
    centres["staff"] = rng.integers(1, 30, len(centres)).astype(float)  # GENERATED capacities
    lo, hi = net.xy.min(axis=0), net.xy.max(axis=0)
    xy = rng.uniform(lo, hi, (n_candidates, 2))
    candidates = gpd.GeoDataFrame(
        {
            "id": [f"s{i + 1}" for i in range(n_candidates)],
            "name": [f"generated site {i + 1}" for i in range(n_candidates)],
            "type": "community",
        },
        geometry=shapely.points(xy),
        crs=net.crs,
    )
    return net, centres, communities, candidates


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_run(spec: str, side: int, n_candidates: int, time_limit_s: float) -> dict:
    """One run in this process; its figures as a dict."""
    from circle.config import DEFAULT_CONFIG

    cfg = DEFAULT_CONFIG
    started = time.perf_counter()
    net, centres, communities, candidates = instance(side, n_candidates)
    out: dict = {
        "run": spec,
        "nodes": int(net.n_nodes),
        "communities": len(communities),
        "centres": len(centres),
        "candidates": len(candidates),
        "generate_s": round(time.perf_counter() - started, 2),
        "peak_after_generate_mb": round(_peak_mb(), 1),
    }
    if spec == "2sfca":
        from circle.coverage.capacity import capacity_analysis
        from circle.coverage.core import coverage_report

        t0 = time.perf_counter()
        result = coverage_report(communities, centres, net)
        out["coverage_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        cap = capacity_analysis(result, centres, net, column="staff", decay="gaussian",
                                crowded_below=1.0)
        out["capacity_s"] = round(time.perf_counter() - t0, 2)
        out["communities_with_score"] = int((cap.score > 0).sum())
        out["crowded"] = int(cap.centres["crowded"].sum())
    elif spec == "2sfca-candidates":
        from circle.coverage.capacity import two_step_fca
        from circle.network.snap import snap_points
        from circle.siting.models import walks_from

        t0 = time.perf_counter()
        xy = shapely.get_coordinates(candidates.geometry.values)
        snap = snap_points(net, xy, max_snap_m=cfg.max_snap_m)
        table = communities.copy()
        reach = walks_from(snap, table, net, cfg, cfg.max_walk_m)
        out["walks_s"] = round(time.perf_counter() - t0, 2)
        out["pairs"] = int(reach.nnz)
        supply = np.random.default_rng(5).integers(1, 30, len(candidates)).astype(float)
        pop = communities["population"].to_numpy(float)
        t0 = time.perf_counter()
        for decay in ("none", "step", "gaussian"):
            two_step_fca(reach, supply, pop, limit_m=cfg.max_walk_m, decay=decay)
        out["two_step_fca_3_decays_s"] = round(time.perf_counter() - t0, 3)
    elif spec in ("curve", "curve-cold"):
        import functools

        from circle.siting import models

        if spec == "curve-cold":
            models._curve = functools.partial(models._curve, warm=False)
        t0 = time.perf_counter()
        res = models.site_model(communities, centres, candidates, net, model="curve",
                                max_add=50, time_limit_s=time_limit_s)
        out["curve_s"] = round(time.perf_counter() - t0, 2)
        c = res.curve
        out["k_max"] = int(c["k"].max())
        out["statuses"] = c["status"].iloc[1:].value_counts().to_dict()
        out["solutions_from"] = res.objective["solutions_from"]
        gaps = c["gap"].iloc[1:].astype(float)
        out["gap_max"] = float(gaps.max())
        out["gap_median_time_limited"] = float(gaps[c["status"].iloc[1:] == "time_limit"].median())
        out["first_time_limited_k"] = int(c["k"][c["status"] == "time_limit"].min()) if (
            c["status"] == "time_limit").any() else None
        out["covered_before"] = float(c["covered"].iloc[0])
        out["newly_covered_k10_k50"] = [float(c["newly_covered"].iloc[k])
                                         for k in (10, 50) if k < len(c)]
        out["share_after"] = float(c["share"].iloc[-1])
        out["coverable"] = res.objective["coverable"]
    else:
        msg = f"unknown run {spec!r}; one of {RUNS}"
        raise SystemExit(msg)
    out["wall_s"] = round(time.perf_counter() - started, 2)
    try:  # a HiGHS run left past its deadline: let it stop before measuring
        from circle.siting.highs import _LEFT_RUNNING
    except ImportError:
        _LEFT_RUNNING = []
    while _LEFT_RUNNING:
        _LEFT_RUNNING.pop().join()
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--side", type=int, default=317, help="grid nodes per side")
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--time-limit-s", type=float, default=10.0, help="per K of the curve")
    parser.add_argument("--timeout-s", type=float, default=1800.0, help="per run (process)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_run(args.one, args.side, args.candidates, args.time_limit_s)),
              flush=True)
        return 0
    for spec in args.runs.split(","):
        cmd = [sys.executable, "-m", "bench.bench_capacity", "--one", spec, "--side",
               str(args.side), "--candidates", str(args.candidates), "--time-limit-s",
               str(args.time_limit_s)]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                  timeout=args.timeout_s)
        except subprocess.TimeoutExpired:
            print(json.dumps({"run": spec, "timeout_s": args.timeout_s}), flush=True)
            continue
        lines = proc.stdout.strip().splitlines()
        if proc.returncode == 0 and lines:
            print(lines[-1], flush=True)
        else:
            print(json.dumps({"run": spec, "exit": proc.returncode,
                              "wall_s": round(time.perf_counter() - started, 1),
                              "stderr": proc.stderr[-1500:]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
