"""Province scale (issue 23): circle's runs against the floor of the same work, in one run.

Run from the repository root::

    python -m bench.scale                              # 1e6 and 3e6 nodes + Helsinki
    python -m bench.scale --sides 1000 --cases warm    # one size, one case
    python -m bench.scale --out /tmp/scale.json        # the figures as JSON (for RESULTS.md)

Cases, each in its own Python process so that each peak memory (``ru_maxrss``) belongs to one
case:

- ``warm``: ``circle -q coverage --out -`` (the coverage table as CSV on stdout) on a cached
  network, against a bare multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra``, ``min_only``,
  from the snapped centres, circle's search limit) on the same arrays, timed in the same process
  that spawns the command. Also timed: the same work in process (no interpreter start-up or
  imports) and ``--out DIR`` (the bureau outputs: report.xlsx, report.pdf, coverage.gpkg,
  lorenz.png), once. Peak memory of the command against the bytes of the network's arrays.
- ``cold``: the same command with an empty network cache, against a bare pyosmium pass over the
  same file that only collects the highway ways' node ids and coordinates.
- ``helsinki``: `coverage_report` of 20,000 generated points and 50 centres on the bundled
  Helsinki extract (network loaded), against the node-snapping floor: a KD-tree over the nodes,
  the nearest node of every point, one csgraph search from the centres' nodes.

Inputs are generated (`bench.generate`: jittered street grids written as .osm.pbf, 1 centre per
1,000 nodes, 1 community per 50 nodes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))
WORK = Path(os.environ.get("CIRCLE_BENCH_WORK", REPO / "bench" / "_work"))
HELSINKI = REPO / "data" / "helsinki_centre.osm.pbf"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["CIRCLE_CACHE_DIR"] = str(cache)
    # compiled modules kept, as in an installed package (pip compiles them): without this, a
    # PYTHONDONTWRITEBYTECODE environment makes every command compile circle anew (~0.3 s)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    return env


def _command(spec: dict, out: str) -> list[str]:
    return [sys.executable, "-m", "circle", "-q", "coverage", "--network", spec["pbf"],
            "--centres", spec["centres"], "--communities", spec["communities"], "--out", out,
            *(["--overwrite"] if out != "-" else [])]


def _spawn_measured(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of one command, via a fresh measuring child (so the RSS
    maximum over children is this command's alone)."""
    probe = (
        "import json,os,resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
        "w=time.perf_counter()-t;"
        "sys.stderr.write(p.stderr.decode()[-800:]) if p.returncode else None;"
        "print(json.dumps([p.returncode,w,"
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024]))"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=REPO, env=env,
                         capture_output=True, text=True)
    code, wall, peak = json.loads(out.stdout.strip().splitlines()[-1])
    if code != 0:
        msg = f"{' '.join(cmd[:6])}...: exit {code}: {out.stderr[-800:]}"
        raise RuntimeError(msg)
    return wall, peak


# ----------------------------------------------------------------------------- inputs


def prepare(side: int) -> dict:
    """The .pbf and layers of an ``side`` x ``side`` generated grid (reused when present)."""
    from bench.run import Workload, prepare_workload

    n = side * side
    w = Workload(name=f"grid{side}", nodes_target=n, n_side=side, n_centres=n // 1000,
                 n_communities=n // 50, work=str(WORK))
    prepare_workload(w)
    return {"side": side, "pbf": w.pbf, "centres": w.centres, "communities": w.communities}


def _network_bytes(net) -> int:
    csr = net.csr
    arrays = [net.node_ids, net.xy, net.edge_u, net.edge_v, net.edge_length_m, net.edge_way,
              csr.indptr, csr.indices, csr.data]
    return int(sum(a.nbytes for a in arrays))


# ----------------------------------------------------------------------------- cases


def case_warm(spec: dict, repeat: int) -> dict:
    """Warm `circle coverage --out -` against a bare multi-source Dijkstra on the same arrays."""
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from circle import read_layer
    from circle.config import DEFAULT_CONFIG
    from circle.coverage.core import prepare_layer
    from circle.network.load import network_from_osm
    from circle.network.snap import build_search_graph, snap_points

    cache = Path(spec["cache"])
    env = _env(cache)
    cmd = _command(spec, "-")
    _spawn_measured(cmd, env)  # the cache exists and the machine code is compiled
    os.environ["CIRCLE_CACHE_DIR"] = str(cache)
    net = network_from_osm(spec["pbf"])
    centres, communities = read_layer(spec["centres"]), read_layer(spec["communities"])
    _, cent_xy, _ = prepare_layer(centres, net, kind="centres")
    _, comm_xy, _ = prepare_layer(communities, net, kind="communities")
    snap_m = DEFAULT_CONFIG.max_snap_m
    cent = snap_points(net, cent_xy, max_snap_m=snap_m)
    comm = snap_points(net, comm_xy, max_snap_m=snap_m)
    graph = build_search_graph(net, cent, comm)
    sources = np.unique(graph.point_node[0][graph.point_node[0] >= 0])
    limit = DEFAULT_CONFIG.search_limit_m

    def bare():
        dijkstra(graph.csr, directed=True, indices=sources, min_only=True, limit=limit)

    bare()
    walls, bares, peaks = [], [], []
    for _ in range(repeat):  # interleaved: the load weighs on both sides
        t = time.perf_counter()
        bare()
        bares.append(time.perf_counter() - t)
        wall, peak = _spawn_measured(cmd, env)
        walls.append(wall)
        peaks.append(peak)
    in_process = _in_process(spec, repeat)
    with tempfile.TemporaryDirectory(prefix="circle-scale-") as out:
        full_wall, full_peak = _spawn_measured(_command(spec, out), env)
    return {
        "nodes": net.n_nodes, "edges": net.n_edges, "graph_nodes": graph.n_nodes,
        "centres": len(cent_xy), "communities": len(comm_xy),
        "network_array_mb": _network_bytes(net) / 2**20,
        "bare_dijkstra_s": statistics.median(bares),
        "cli_out_stdout_s": statistics.median(walls),
        "cli_out_stdout_peak_mb": max(peaks),
        "in_process_s": in_process,
        "cli_out_dir_s": full_wall, "cli_out_dir_peak_mb": full_peak,
        "ratio_cli": statistics.median(walls) / statistics.median(bares),
        "ratio_in_process": in_process / statistics.median(bares),
        "ratio_peak_to_arrays": max(peaks) / (_network_bytes(net) / 2**20),
        "command": "circle -q coverage --network <pbf> --centres <csv> --communities <parquet> "
                   "--out -",
    }


def _in_process(spec: dict, repeat: int) -> float:
    """The command's work in this process: load the cached network, read the layers, coverage,
    the CSV (imports and interpreter start-up excluded)."""
    import io

    from circle import coverage_report, read_layer
    from circle.network.load import load_network
    from circle.report.coverage import coverage_table_for_output
    from circle.report.csvfiles import write_csv

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        net = load_network(spec["pbf"])
        result = coverage_report(read_layer(spec["communities"]), read_layer(spec["centres"]), net)
        # the table --out - writes (no geometry)
        write_csv(coverage_table_for_output(result, geometry=False), io.BytesIO())
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def case_stages(spec: dict, repeat: int) -> dict:
    """Where a warm run's time and memory go: the command's steps one by one in a fresh
    process (seconds, and RSS after each step / the peak so far, MB)."""
    import io

    t0 = time.perf_counter()
    from circle import read_layer
    from circle.config import DEFAULT_CONFIG as C
    from circle.coverage.core import check_datum, finish_coverage, prepare_coverage
    from circle.network.engine import nearest_centres
    from circle.network.load import load_network
    from circle.network.snap import build_search_graph
    from circle.report.coverage import coverage_table_for_output
    from circle.report.csvfiles import write_csv

    os.environ["CIRCLE_CACHE_DIR"] = spec["cache"]
    rows, last = [], [t0]

    def step(name: str) -> None:
        now = time.perf_counter()
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        rows.append([name, round(now - last[0], 3), round(rss / 2**20), round(_peak_mb())])
        last[0] = time.perf_counter()

    step("imports")
    net = load_network(spec["pbf"])
    step("load the cached network")
    comm, cent = read_layer(spec["communities"]), read_layer(spec["centres"])
    step("read the layers")
    prepared = prepare_coverage(comm, cent, net)
    step("validate + datum check + snap")
    ss, cs = prepared.centre_snap, prepared.targets
    graph = build_search_graph(net, ss, cs)
    step("search graph")
    nearest = nearest_centres(graph, graph.point_node[0], ss.snap_m, graph.point_node[1],
                              cs.snap_m, limit_m=C.search_limit_m)
    step("search")
    del graph
    result = finish_coverage(prepared, nearest, net)
    step("table")
    write_csv(coverage_table_for_output(result, geometry=False), io.BytesIO())
    step("CSV")
    for layer in (prepared.communities, prepared.centres):  # its share of the step above
        check_datum(layer, net)
    step("(of validate + datum check + snap: the datum check, again)")
    return {"stages": rows}


def _bare_pyosmium(path: str) -> int:
    """One pass collecting the highway ways' node ids and coordinates, nothing else."""
    import osmium

    class Bare(osmium.SimpleHandler):
        def __init__(self):
            super().__init__()
            self.ids, self.lon, self.lat = [], [], []

        def way(self, w):
            ids, lon, lat = self.ids, self.lon, self.lat
            for n in w.nodes:
                loc = n.location
                ids.append(n.ref)
                lon.append(loc.lon)
                lat.append(loc.lat)

    h = Bare()
    h.apply_file(path, locations=True, filters=[osmium.filter.KeyFilter("highway")])
    return len(h.ids)


def case_cold(spec: dict, repeat: int) -> dict:
    """`circle coverage --out -` with an empty cache against a bare pyosmium pass."""
    cmd = _command(spec, "-")
    _bare_pyosmium(spec["pbf"])  # the file is in the page cache for both
    bares, walls, peaks = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        refs = _bare_pyosmium(spec["pbf"])
        bares.append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory(prefix="circle-cold-") as cache:
            wall, peak = _spawn_measured(cmd, _env(Path(cache)))
        walls.append(wall)
        peaks.append(peak)
    return {
        "bare_pyosmium_s": statistics.median(bares), "bare_refs": refs,
        "bare_pyosmium_peak_mb": _peak_mb(),
        "cold_cli_s": statistics.median(walls), "cold_cli_peak_mb": max(peaks),
        "ratio": statistics.median(walls) / statistics.median(bares),
        "file_mb": Path(spec["pbf"]).stat().st_size / 2**20,
    }


def case_helsinki(spec: dict, repeat: int) -> dict:
    """Coverage of 20,000 generated points against the node-snapping floor, same process."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import KDTree

    from bench.generate import random_layers
    from circle import coverage_report
    from circle.config import DEFAULT_CONFIG
    from circle.network.load import network_from_osm

    os.environ["CIRCLE_CACHE_DIR"] = spec["cache"]
    network_from_osm(HELSINKI)  # the cache exists
    net = network_from_osm(HELSINKI)
    centres, polys = random_layers(net, 50, 20_000, seed=23)
    points = gpd.GeoDataFrame(polys.drop(columns="geometry"),
                              geometry=shapely.centroid(polys.geometry.values), crs=polys.crs)
    cent_xy = shapely.get_coordinates(centres.geometry.values)
    comm_xy = shapely.get_coordinates(points.geometry.values)
    limit = DEFAULT_CONFIG.search_limit_m

    def floor():
        tree = KDTree(net.xy)
        _, cn = tree.query(cent_xy)
        _, tn = tree.query(comm_xy)
        d = dijkstra(net.csr, directed=False, indices=np.unique(cn), min_only=True, limit=limit)
        return d[tn]

    def ours():  # on the network already loaded, as the floor
        return coverage_report(points, centres, net)

    floor()
    ours()
    fl, us = [], []
    for _ in range(max(repeat, 5)):
        t = time.perf_counter()
        floor()
        fl.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = ours()
        us.append(time.perf_counter() - t)
    return {
        "nodes": net.n_nodes, "points": len(points), "centres": len(centres),
        "floor_s": statistics.median(fl), "circle_s": statistics.median(us),
        "ratio": statistics.median(us) / statistics.median(fl),
        "covered": int(result.table["covered"].sum()),
    }


def _site_inputs(spec: dict, n_candidates: int, n_communities: int) -> tuple[str, str]:
    """Generated candidate sites (points) and communities for `circle site` (reused)."""
    import geopandas as gpd
    import shapely

    from bench.generate import random_layers
    from circle.network.load import network_from_osm

    folder = WORK / f"site-{spec['side']}-{n_candidates}-{n_communities}"
    cands, comms = folder / "candidates.parquet", folder / "communities.parquet"
    if not cands.exists():
        folder.mkdir(parents=True, exist_ok=True)
        net = network_from_osm(spec["pbf"])
        sites, communities = random_layers(net, n_candidates, n_communities, seed=230)
        communities.to_crs("EPSG:4326").to_parquet(comms)
        sites = gpd.GeoDataFrame({"id": [f"s{i + 1}" for i in range(len(sites))]},
                                 geometry=shapely.points(shapely.get_coordinates(sites.geometry)),
                                 crs=sites.crs)
        sites.to_crs("EPSG:4326").to_parquet(cands)
    return str(cands), str(comms)


def _site_command(spec: dict, cands: str, comms: str, out: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "circle", "-q", "site", "--network", spec["pbf"],
            "--centres", spec["centres"], "--communities", comms, "--candidates", cands,
            "--add", "50", "--solver", "greedy", "--out", out, "--overwrite", *extra]


def case_site(spec: dict, repeat: int) -> dict:
    """`circle site`: 100,000 candidates and 200,000 communities, within a memory budget; and
    on a smaller case the budgeted answer against the unbudgeted one."""
    os.environ["CIRCLE_CACHE_DIR"] = spec["cache"]
    env = _env(Path(spec["cache"]))
    n_cand, n_comm = spec.get("candidates", 100_000), spec.get("site_communities", 200_000)
    cands, comms = _site_inputs(spec, n_cand, n_comm)
    budget = str(spec.get("budget_gb", 8))
    with tempfile.TemporaryDirectory(prefix="circle-site-") as out:
        wall, peak = _spawn_measured(
            _site_command(spec, cands, comms, out, "--memory-budget-gb", budget), env
        )
        summary = json.loads((Path(out) / "summary.json").read_text())
    small_c, small_m = _site_inputs(spec, 5_000, 20_000)
    answers = []
    for extra in ((), ("--memory-budget-gb", "0.0005")):
        with tempfile.TemporaryDirectory(prefix="circle-site-") as out:
            _spawn_measured(_site_command(spec, small_c, small_m, out, *extra), env)
            answers.append((Path(out) / "proposals.csv").read_bytes())
    return {
        "candidates": n_cand, "communities": n_comm, "budget_gb": float(budget),
        "site_s": wall, "site_peak_mb": peak,
        "objective": summary.get("solver", {}).get("objective"),
        "small_case_budgeted_equals_unbudgeted": answers[0] == answers[1],
        "small_case": "5,000 candidates, 20,000 communities, budget 0.0005 GB vs none",
        "command": "circle -q site --network <pbf> --centres <csv> --communities <parquet> "
                   f"--candidates <parquet> --add 50 --solver greedy --memory-budget-gb {budget} "
                   "--out <dir> --overwrite",
    }


CASES = {"warm": case_warm, "cold": case_cold, "helsinki": case_helsinki, "site": case_site,
         "stages": case_stages}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    p.add_argument("--sides", default="1000,1732", help="grid sides (1000: 10^6 nodes)")
    p.add_argument("--cases", default="warm,cold,helsinki")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(CASES[args.child](json.loads(args.spec), args.repeat)))
        return 0
    cache = WORK / "scale-cache"
    results = {"command": "python -m bench.scale " + " ".join(argv or sys.argv[1:]),
               "started_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load_before": os.getloadavg(), "cases": []}
    specs = []
    cases = args.cases.split(",")
    sized = ("warm", "cold", "site", "stages")
    if set(sized) & set(cases):
        specs = [prepare(int(s)) for s in args.sides.split(",") if s]
    todo = [(c, s) for s in specs for c in cases if c in sized]
    if "helsinki" in cases:
        todo.append(("helsinki", {"side": 0}))
    for case, spec in todo:
        spec = {**spec, "cache": str(cache)}
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "bench.scale", "--child", case, "--spec", json.dumps(spec),
             "--repeat", str(args.repeat)],
            cwd=REPO, env=_env(cache), capture_output=True, text=True,
        )
        if out.returncode != 0:
            row = {"case": case, "side": spec["side"], "error": out.stderr[-1500:]}
        else:
            row = {"case": case, "side": spec["side"],
                   **json.loads(out.stdout.strip().splitlines()[-1])}
        row["case_s"] = time.perf_counter() - t
        results["cases"].append(row)
        print(json.dumps(row), flush=True)
    results["load_after"] = os.getloadavg()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
