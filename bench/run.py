"""The benchmark: circle's fast paths against their references at 1e4, 1e5 and 1e6 nodes.

Run from the repository root::

    python -m bench                         # sizes 1e4, 1e5, 1e6; writes bench/RESULTS.md
    python -m bench --sizes 1e4,1e5 --repeat 5
    python -m bench --quick --out /tmp/r.md  # a smoke run at about 1e3 nodes

Every case runs in its own Python process, so each peak memory figure (``ru_maxrss``) belongs to
one case: it includes the interpreter, the imports and the case's setup (e.g. loading the
network). Times are medians over ``--repeat`` runs (the slow references run once); ratios
compare figures taken in the same process, interleaved where both are fast, so that a busy
machine slows both sides alike. Inputs are generated
(`bench.generate`: jittered street grids written as .osm.pbf, random centres and communities),
plus, optionally, a real extract tiled to size (``--extract``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script (python bench/run.py): import from the checkout
    sys.path.insert(0, str(REPO))
DEFAULT_WORK = REPO / "bench" / "_work"
DEFAULT_OUT = REPO / "bench" / "RESULTS.md"

#: snapping distance, metres (circle's default)
SNAP_M = 500.0
#: walking limit of the reach sets, metres (the issue's reference figures use 1,200 m)
REACH_LIMIT_M = 1200.0
#: run the networkx-based references (reference engine, OSMnx-notebook way) up to this size
NX_MAX_NODES = 200_000
#: build pandana's contraction hierarchy up to this size (on the generated grids its build took
#: 77-140 s at 1e5 nodes on this machine, and grows faster than the network)
PANDANA_MAX_NODES = 120_000
#: scipy one-call-per-candidate runs on all candidates up to this size, on a sample above it
SCIPY_FULL_MAX_NODES = 200_000
SCIPY_SAMPLE = 1000
#: the slow references (networkx, the OSMnx-notebook way, scipy per candidate, pandana) run once
REFERENCE_REPEAT = 1

CASES = [
    "osm_read",
    "cache_load",
    "snap",
    "coverage",
    "search",
    "cli",
    "networkx",
    "osmnx_way",
    "isochrones",
    "reach",
]


@dataclass
class Workload:
    """One network size and its generated inputs."""

    name: str
    nodes_target: int
    n_side: int = 0
    extract: str = ""
    tiles: int = 1
    n_centres: int = 0
    n_communities: int = 0
    n_candidates: int = 0
    seed: int = 0
    work: str = ""
    pbf: str = ""
    centres: str = ""
    communities: str = ""
    quick: bool = False


@dataclass
class CaseResult:
    """What one child process measured."""

    case: str
    workload: str
    times: dict = field(default_factory=dict)  # label -> list of seconds
    peak_mb: float | None = None
    info: dict = field(default_factory=dict)
    skipped: str = ""
    error: str = ""


# ----------------------------------------------------------------------------- inputs


def prepare_workload(w: Workload) -> Workload:
    """Write the workload's .pbf and layer files into its work folder (reused when present)."""
    from bench.generate import random_layers, write_grid_pbf, write_layers
    from circle.network.load import network_from_osm

    work = Path(w.work)
    work.mkdir(parents=True, exist_ok=True)
    if w.extract:
        pbf = Path(w.extract)
    else:
        pbf = work / f"grid-{w.n_side}-s{w.seed}.osm.pbf"
        if not pbf.exists():
            tmp = pbf.with_name(f".{pbf.name}.{os.getpid()}.osm.pbf")
            write_grid_pbf(tmp, w.n_side, seed=w.seed)
            os.replace(tmp, pbf)
    w.pbf = str(pbf)
    layers = work / f"layers-{w.name.replace(' ', '-')}-{w.n_centres}-{w.n_communities}-s{w.seed}"
    if not (layers / "communities.parquet").exists():
        net = _workload_network(w, network_from_osm(pbf))
        centres, communities = random_layers(net, w.n_centres, w.n_communities, seed=w.seed)
        write_layers(centres, communities, layers)
    w.centres = str(layers / "centres.csv")
    w.communities = str(layers / "communities.parquet")
    return w


def _workload_network(w: Workload, net):
    if w.extract and w.tiles > 1:
        from bench.generate import replay_extract

        return replay_extract(net, w.tiles)
    return net


def _load(w: Workload):
    """The workload's network from the warm cache (never timed)."""
    from circle.network.load import network_from_osm

    return _workload_network(w, network_from_osm(w.pbf))


def _layers(w: Workload, net):
    from circle import read_layer
    from circle.coverage.core import prepare_layer

    centres = read_layer(w.centres)
    communities = read_layer(w.communities)
    _, cent_xy, _ = prepare_layer(centres, net, kind="centres")
    _, comm_xy, _ = prepare_layer(communities, net, kind="communities")
    return centres, communities, cent_xy, comm_xy


def _timed(fn, repeat: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def _timed_fast(*fns, repeat: int, min_s: float = 0.2) -> list[list[float]]:
    """Interleaved timings of fast calls; each figure averages enough calls to last `min_s`.

    A warm-up call of each comes first (first-call costs are not the steady state), and
    millisecond calls are looped so that timer noise and the machine's load average out.
    """
    loops = []
    for fn in fns:
        start = time.perf_counter()
        fn()
        loops.append(min(1000, math.ceil(min_s / max(time.perf_counter() - start, 1e-4))))
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out, n in zip(fns, times, loops):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - start) / n)
    return times


# ----------------------------------------------------------------------------- cases


def case_osm_read(w: Workload, repeat: int, r: CaseResult) -> None:
    from circle.network.load import network_from_osm

    times, net = _timed(lambda: network_from_osm(w.pbf, use_cache=False), repeat)
    r.times["read OSM file + build network"] = times
    r.info.update(nodes=net.n_nodes, edges=net.n_edges, file_mb=Path(w.pbf).stat().st_size / 2**20)
    if w.extract:
        r.info["file"] = f"{Path(w.pbf).name}, the extract itself (untiled)"


def case_cache_load(w: Workload, repeat: int, r: CaseResult) -> None:
    from circle.network.load import network_from_osm

    network_from_osm(w.pbf)  # make sure the cache exists
    (times,) = _timed_fast(lambda: network_from_osm(w.pbf), repeat=repeat)
    r.times["load cached network"] = times


def case_snap(w: Workload, repeat: int, r: CaseResult) -> None:
    from circle.network.snap import snap_points

    net = _load(w)
    _, _, cent_xy, comm_xy = _layers(w, net)
    times = []
    for _ in range(repeat):
        fresh = _load(w)  # the edge index is built on first use: include it
        start = time.perf_counter()
        snap_points(fresh, comm_xy, max_snap_m=SNAP_M)
        snap_points(fresh, cent_xy, max_snap_m=SNAP_M)
        times.append(time.perf_counter() - start)
    r.times["snap centres + communities (index build included)"] = times
    r.info["points"] = len(cent_xy) + len(comm_xy)


def case_coverage(w: Workload, repeat: int, r: CaseResult) -> None:
    from circle import coverage_report, summarise

    net = _load(w)
    centres, communities, _, _ = _layers(w, net)
    times = []
    for _ in range(repeat):
        fresh = _load(w)
        start = time.perf_counter()
        result = coverage_report(communities, centres, fresh)
        summarise(result)
        times.append(time.perf_counter() - start)
    r.times["coverage_report + summarise (network loaded)"] = times
    r.info["covered"] = int(result.table["covered"].sum())


def case_search(w: Workload, repeat: int, r: CaseResult) -> None:
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from circle.config import DEFAULT_CONFIG
    from circle.network.engine import nearest_centres
    from circle.network.snap import build_search_graph, snap_points

    net = _load(w)
    _, _, cent_xy, comm_xy = _layers(w, net)
    cent = snap_points(net, cent_xy, max_snap_m=SNAP_M)
    comm = snap_points(net, comm_xy, max_snap_m=SNAP_M)
    graph = build_search_graph(net, cent, comm)
    cn, tn = graph.point_node
    limit = DEFAULT_CONFIG.search_limit_m
    sources = np.unique(cn[cn >= 0])
    fast, raw = _timed_fast(
        lambda: nearest_centres(graph, cn, cent.snap_m, tn, comm.snap_m, limit_m=limit),
        lambda: dijkstra(graph.csr, directed=True, indices=sources, min_only=True, limit=limit),
        repeat=repeat,
    )
    r.times["nearest_centres (circle)"] = fast
    r.times["raw csgraph dijkstra, same arrays"] = raw
    r.info.update(limit_m=limit, sources=int(sources.size), graph_nodes=graph.n_nodes)


def case_cli(w: Workload, repeat: int, r: CaseResult) -> None:
    import shutil
    import tempfile

    if w.tiles > 1:
        r.skipped = "the tiled extract exists only in memory (no file for the CLI to read)"
        return
    out = Path(tempfile.mkdtemp(prefix="circle-bench-"))
    cmd = [sys.executable, "-m", "circle", "-q", "coverage", "--network", w.pbf,
           "--centres", w.centres, "--communities", w.communities,
           "--out", str(out), "--overwrite", "--format", "json"]
    try:
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)  # warm the cache
        times, cpu = [], []
        for _ in range(repeat):
            before = _children_cpu_s()
            start = time.perf_counter()
            subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
            cpu.append(_children_cpu_s() - before)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    r.times["`circle coverage` end to end (cached network, writes 4 files)"] = times
    r.info["cli_cpu_s"] = statistics.median(cpu)  # what a quiet machine's wall time would be
    r.info["cli_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    r.info["command"] = "circle -q coverage --network <pbf> --centres <csv> --communities " \
        "<parquet> --out <dir> --overwrite --format json"


def case_networkx(w: Workload, repeat: int, r: CaseResult) -> None:
    import numpy as np

    from circle.config import DEFAULT_CONFIG
    from circle.network.engine import nearest_centres, nearest_centres_networkx
    from circle.network.snap import build_search_graph, snap_points

    net = _load(w)
    if net.n_nodes > NX_MAX_NODES:
        r.skipped = (
            f"above {NX_MAX_NODES:,} nodes: the networkx graph alone costs ~2.3 KiB/node "
            "(2.4 GB at 1e6) and minutes to build and search"
        )
        return
    _, _, cent_xy, comm_xy = _layers(w, net)
    cent = snap_points(net, cent_xy, max_snap_m=SNAP_M)
    comm = snap_points(net, comm_xy, max_snap_m=SNAP_M)
    limit = DEFAULT_CONFIG.search_limit_m
    times, _ = _timed(net.to_networkx, REFERENCE_REPEAT)
    r.times["networkx graph build (to_networkx)"] = times
    times, ref = _timed(
        lambda: nearest_centres_networkx(net, cent, comm, limit_m=limit), REFERENCE_REPEAT
    )
    r.times["networkx reference nearest centres (graph build included)"] = times
    graph = build_search_graph(net, cent, comm)
    fast = nearest_centres(
        graph, graph.point_node[0], cent.snap_m, graph.point_node[1], comm.snap_m, limit_m=limit
    )
    same = np.array_equal(fast.centre, ref.centre) and np.allclose(
        fast.walk_m, ref.walk_m, rtol=0, atol=1e-6, equal_nan=True
    )
    r.info["same_result_as_fast_path"] = bool(same)


def case_osmnx_way(w: Workload, repeat: int, r: CaseResult) -> None:
    import networkx as nx
    import numpy as np
    import osmnx as ox
    import shapely

    from circle.config import DEFAULT_CONFIG
    from circle.coverage.core import coverage_report

    net = _load(w)
    if net.n_nodes > NX_MAX_NODES:
        r.skipped = f"above {NX_MAX_NODES:,} nodes (networkx graph memory and build time)"
        return
    centres, communities, cent_xy, comm_xy = _layers(w, net)
    radius = DEFAULT_CONFIG.max_walk_m
    G = net.to_networkx()

    def notebook_way():
        # the OSMnx example notebook: nearest node, ego_graph by length, convex hull of nodes
        nodes = ox.distance.nearest_nodes(G, cent_xy[:, 0], cent_xy[:, 1])
        hulls = []
        for node in np.atleast_1d(nodes).tolist():
            sub = nx.ego_graph(G, node, radius=radius, distance="length")
            xy = [(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
            hulls.append(shapely.MultiPoint(xy).convex_hull)
        tree = shapely.STRtree(hulls)
        inside = tree.query(shapely.points(comm_xy), predicate="within")
        return np.unique(inside[0]).size

    times, hull_covered = _timed(notebook_way, REFERENCE_REPEAT)
    r.times["ego_graph + convex hull per centre (graph given)"] = times
    ours = int(coverage_report(communities, centres, net).table["covered"].sum())
    r.info.update(hull_covered=int(hull_covered), network_covered=ours,
                  communities=len(comm_xy))


def case_isochrones(w: Workload, repeat: int, r: CaseResult) -> None:
    from circle.coverage.isochrones import walk_isochrones

    net = _load(w)
    centres, _, _, _ = _layers(w, net)
    times, _ = _timed(lambda: walk_isochrones(net, centres, per_centre=False), repeat)
    r.times["isochrones of all centres"] = times


def case_reach(w: Workload, repeat: int, r: CaseResult) -> None:
    import numpy as np

    from circle.network._fastpath import HAVE_NUMBA, bounded_reach

    net = _load(w)
    A = net.csr
    r.info.update(nodes=net.n_nodes, edges=net.n_edges)
    rng = np.random.default_rng(w.seed + 7)
    cands = rng.integers(0, net.n_nodes, w.n_candidates)
    limit = REACH_LIMIT_M
    r.info.update(candidates=int(cands.size), limit_m=limit, numba=HAVE_NUMBA)

    start = time.perf_counter()
    bounded_reach(A.indptr, A.indices, A.data, cands[:1], None, limit)
    r.info["first_call_s"] = time.perf_counter() - start  # numba: load the cached machine code

    def ours():
        return bounded_reach(A.indptr, A.indices, A.data, cands, None, limit)

    times, (src, node, dist) = _timed(ours, repeat)
    r.times["bounded_reach, compiled, all cores"] = times
    one, _ = _timed(
        lambda: bounded_reach(A.indptr, A.indices, A.data, cands, None, limit, threads=1),
        repeat,
    )
    r.times["bounded_reach, compiled, 1 thread"] = one
    r.info["peak_mb_after_bounded_reach"] = _peak_mb()
    degree = np.diff(A.indptr)
    arcs = int(degree[node].sum())
    r.info.update(reached_rows=int(src.size), mean_ball=src.size / max(cands.size, 1),
                  arcs_per_s_per_core=arcs / statistics.median(one))

    # scipy, one call per candidate (on a sample above SCIPY_FULL_MAX_NODES, then scaled)
    sample = cands if net.n_nodes <= SCIPY_FULL_MAX_NODES else cands[:SCIPY_SAMPLE]
    scale = cands.size / sample.size
    ref = _next_to(
        lambda: bounded_reach(A.indptr, A.indices, A.data, sample, None, limit, engine="scipy"),
        ours, r, "scipy dijkstra, one call per candidate", "scipy",
    )
    r.times["scipy dijkstra, one call per candidate"] = [
        t * scale for t in r.times["scipy dijkstra, one call per candidate"]
    ]
    if scale > 1:
        r.info["scipy_sampled"] = f"{sample.size} of {cands.size} candidates, time scaled"
    mine = np.flatnonzero(src < sample.size)
    mine = mine[np.lexsort((node[mine], src[mine]))]  # scipy's rows come by node
    r.info["same_as_scipy"] = bool(
        np.array_equal(src[mine], ref[0]) and np.array_equal(node[mine], ref[1])
        and np.array_equal(dist[mine], ref[2])
    )

    if net.n_nodes <= NX_MAX_NODES:
        import networkx as nx

        G = nx.Graph()
        G.add_weighted_edges_from(
            zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length_m.tolist()),
            weight="length",
        )
        _next_to(
            lambda: sum(len(nx.single_source_dijkstra_path_length(G, int(c), cutoff=limit,
                                                                  weight="length"))
                        for c in cands.tolist()),
            ours, r, "networkx single_source_dijkstra_path_length(cutoff) loop", "networkx",
        )
    else:
        r.info["networkx_skipped"] = f"above {NX_MAX_NODES:,} nodes"

    _pandana(net, cands, limit, src, ours, r, w)
    _reach_within_hook(net, cands, limit, repeat, r)


def _pandana(net, cands, limit, src, ours, r: CaseResult, w: Workload) -> None:
    if w.quick:
        r.info["pandana"] = "skipped in --quick"
        return
    if net.n_nodes > PANDANA_MAX_NODES:
        r.info["pandana"] = (
            f"not run above {PANDANA_MAX_NODES:,} nodes: its contraction-hierarchy build "
            "takes minutes at 1e5 grid nodes here and grows faster than the network"
        )
        return
    try:
        import numpy as np
        import pandana
        import pandas as pd
    except ImportError:
        r.info["pandana"] = "not installed (pip install pandana)"
        return
    start = time.perf_counter()
    pn = pandana.Network(
        pd.Series(net.xy[:, 0]), pd.Series(net.xy[:, 1]), pd.Series(net.edge_u),
        pd.Series(net.edge_v), pd.DataFrame({"length": net.edge_length_m}), twoway=True,
    )
    r.info["pandana_build_s"] = time.perf_counter() - start
    df = _next_to(lambda: pn.nodes_in_range(cands.tolist(), limit), ours, r,
                  "pandana nodes_in_range (CH built beforehand)", "pandana")
    # pandana answers each distinct candidate once (and rounds distances to float32)
    _, first = np.unique(cands, return_index=True)
    r.info["pandana_rows"] = len(df)
    del df
    r.info["circle_rows_distinct_candidates"] = int(np.isin(src, first).sum())


def _reach_within_hook(net, cands, limit, repeat, r: CaseResult) -> None:
    """Siting's engine.reach_within: candidates at nodes (0 m legs) to every node."""
    import numpy as np

    from circle.network.engine import reach_within
    from circle.network.snap import build_search_graph

    graph = build_search_graph(net)  # no inserted points: the network itself
    nodes = np.asarray(cands, np.int64)
    every = np.arange(net.n_nodes)
    times, _ = _timed(
        lambda: reach_within(
            graph, nodes, np.zeros(nodes.size), every, np.zeros(every.size), limit
        ),
        repeat,
    )
    r.times["engine.reach_within"] = times


# ----------------------------------------------------------------------------- driver


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _next_to(ref, ours, r: CaseResult, label: str, name: str):
    """Time `ref` between two runs of `ours`, so that their ratio is taken under the same load.

    Records ``label`` and ``"bounded_reach next to <name>"``.
    """
    before, _ = _timed(ours, 1)
    times, out = _timed(ref, REFERENCE_REPEAT)
    after, _ = _timed(ours, 1)
    r.times[label] = times
    r.times[f"bounded_reach next to {name}"] = before + after
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(case: str, w: Workload, repeat: int) -> CaseResult:
    """Run one case in this process (the child) and return what it measured."""
    r = CaseResult(case=case, workload=w.name)
    globals()[f"case_{case}"](w, repeat, r)
    r.peak_mb = _peak_mb()
    return r


def spawn(case: str, w: Workload, repeat: int, timeout: float) -> CaseResult:
    """Run one case in a fresh Python process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, "-m", "bench.run", "--child", case,
           "--spec", json.dumps(asdict(w)), "--repeat", str(repeat)]
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return CaseResult(case=case, workload=w.name, error=f"timed out after {timeout:.0f} s")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return CaseResult(case=case, workload=w.name, error=f"exit {proc.returncode}: {tail}")
    return CaseResult(**json.loads(lines[-1]))


def machine() -> dict:
    """A description of the machine and the library versions."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    libs = {}
    for name in ("numpy", "scipy", "numba", "shapely", "networkx", "osmium", "geopandas",
                 "osmnx", "pandana"):
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": libs,
    }


def parse_size(text: str) -> int:
    return int(float(text))


def workloads(args) -> list[Workload]:
    out = []
    for size in args.sizes:
        n_side = max(8, round(size ** 0.5))
        out.append(Workload(
            name=f"{size:.0e}".replace("+0", "").replace("+", ""),
            nodes_target=size,
            n_side=n_side,
            n_centres=max(5, size // 1000),
            n_communities=max(50, size // 50),
            n_candidates=args.candidates,
            work=str(args.work),
            quick=args.quick,
        ))
    if args.extract:
        out.append(Workload(
            name=f"{Path(args.extract).name.split('.')[0]} x{args.tiles}x{args.tiles}",
            nodes_target=0,
            extract=str(Path(args.extract).resolve()),
            tiles=args.tiles,
            n_centres=max(5, 5 * args.tiles ** 2),
            n_communities=max(50, 100 * args.tiles ** 2),
            n_candidates=args.candidates,
            work=str(args.work),
            quick=args.quick,
        ))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time circle's fast paths against raw csgraph, networkx, the OSMnx-notebook "
        "way and pandana on generated street grids; write bench/RESULTS.md.",
    )
    parser.add_argument("--sizes", default="1e4,1e5,1e6",
                        help="network sizes in nodes, comma-separated (default 1e4,1e5,1e6)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--candidates", type=int, default=10_000,
                        help="siting candidates for the reach sets (default 10,000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one size of about 1e3 nodes, 1 repeat, 200 candidates")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"cases to run (default all: {','.join(CASES)})")
    parser.add_argument("--extract", default="",
                        help="also replay a real extract (.osm.pbf), tiled --tiles x --tiles")
    parser.add_argument("--tiles", type=int, default=4, help="tiles per side for --extract")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help="folder for generated files and the network cache")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the Markdown report")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per case")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.work = args.work.resolve()

    if args.child:
        w = Workload(**json.loads(args.spec))
        print(json.dumps(asdict(run_child(args.child, w, args.repeat))))
        return 0

    if args.quick:
        args.sizes, args.repeat, args.candidates = "1e3", 1, min(args.candidates, 200)
    args.sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    cases = [c for c in args.cases.split(",") if c]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {CASES}")
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    os.environ["CIRCLE_CACHE_DIR"] = str(args.work / "cache")  # never the user's cache
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    results: list[CaseResult] = []
    loads = []
    todo = workloads(args)
    for w in todo:
        t = time.perf_counter()
        prepare_workload(w)
        print(f"[bench] {w.name}: inputs ready in {time.perf_counter() - t:.1f} s", flush=True)
        for case in cases:
            t = time.perf_counter()
            res = spawn(case, w, args.repeat, args.timeout)
            loads.append(os.getloadavg()[0])
            results.append(res)
            state = res.error or res.skipped or "ok"
            print(f"[bench] {w.name} {case}: {time.perf_counter() - t:.1f} s ({state[:90]})",
                  flush=True)
    from bench.report import write_results

    meta = {
        "command": command,
        "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
        "minutes": round((dt.datetime.now(dt.UTC) - started).total_seconds() / 60, 1),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "load_during": [min(loads), max(loads)] if loads else [],
        "repeat": args.repeat,
        "machine": machine(),
        "workloads": [asdict(w) for w in todo],
    }
    write_results(args.out, meta, results)
    print(f"[bench] wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
