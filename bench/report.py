"""bench/RESULTS.md (and its .json twin) from the measured cases."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from pathlib import Path

#: the issue's targets
SEARCH_RATIO_MAX = 1.5
E2E_SECONDS_MAX = 10.0
E2E_MB_MAX = 2048.0
REACH_SECONDS_MAX = 10.0
PANDANA_SPEEDUP_MIN = 10.0
CACHE_SPEEDUP_MIN = 20.0

#: labels of the measurements the targets use (as `bench.run` records them)
SEARCH_FAST = "nearest_centres (circle)"
RAW = "raw csgraph dijkstra, same arrays"
CLI = "`circle coverage` end to end (cached network, writes 4 files)"
REACH_FAST = "bounded_reach, compiled, all cores"
PANDANA = "pandana nodes_in_range (CH built beforehand)"
SCIPY_PER_CANDIDATE = "scipy dijkstra, one call per candidate"
NX_LOOP = "networkx single_source_dijkstra_path_length(cutoff) loop"
READ = "read OSM file + build network"
LOAD = "load cached network"


def _median(result, label):
    values = result.times.get(label) if result else None
    return statistics.median(values) if values else None


def _seconds(x: float | None) -> str:
    if x is None:
        return "–"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.2f} s"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _fmt_ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def write_results(out: Path, meta: dict, results: list) -> None:
    """Write the Markdown report to `out` and the raw figures next to it (``.json``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = [w["name"] for w in meta["workloads"]]
    by = {(r.workload, r.case): r for r in results}

    def get(w, case):
        return by.get((w, case))

    lines = ["# circle benchmark results", ""]
    m = meta["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    lb, la = meta["load_before"], meta["load_after"]
    during = meta["load_during"]
    lines += [
        f"Command, from the repository root: `{meta['command'].strip()}`",
        "",
        f"Run {meta['started_utc']}, {meta['minutes']} minutes. Machine: {m['cpu']}, "
        f"{m['cores']} cores, {m['memory_gib']} GiB RAM, {m['system']}, Python {m['python']}. "
        f"Libraries: {libs}.",
        "",
        "**Load.** The machine is shared with other engineers' test runs. Load average "
        f"(1/5/15 min) before the run {lb[0]:.1f}/{lb[1]:.1f}/{lb[2]:.1f}, after it "
        f"{la[0]:.1f}/{la[1]:.1f}/{la[2]:.1f}"
        + (f", 1-min load between {during[0]:.1f} and {during[1]:.1f} as cases ended" if during
           else "")
        + f". Times are medians of {meta['repeat']} runs (wall clock); the slow references "
        "(networkx, the OSMnx-notebook way, scipy one call per candidate, pandana) run once. "
        "Ratios compare figures measured in the same process, interleaved where both are fast, "
        "so that the load weighs on both sides. Absolute times on an idle machine are lower.",
        "",
        "Inputs are generated (`bench/generate.py`): a jittered street grid (100 m spacing, "
        "15 % of streets missing, 15 m jitter) written as an OSM .pbf with cycleway gaps and "
        "buildings, 1 centre per 1,000 nodes, 1 community (60 m square) per 50 nodes, "
        "random candidates at network nodes."
        + (" The extract workload tiles a real OSM extract side by side (`replay_extract`): "
           "real street density, balls about ten times fuller than the grid's; its file cases "
           "(read, cache) time the extract itself, untiled."
           if any(w.get("extract") for w in meta["workloads"]) else ""),
        "",
    ]
    lines += _targets(names, get, meta)
    lines += _timings(names, get, meta, results)
    lines += _notes(results)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=1) + "\n",
        encoding="utf-8",
    )


def _targets(names, get, meta) -> list[str]:
    """The issue's targets. A verdict only where the run covers the target's conditions."""
    rows = []
    # the issue states the ratio targets for 10^4 to 10^6 nodes
    in_range = [w["name"] for w in meta["workloads"] if w["nodes_target"] >= 10_000]

    def verdict(ok):
        return "–" if ok is None else ("**yes**" if ok else "**NO**")

    def per_size(values: dict, bar) -> tuple[str, bool | None]:
        shown = "; ".join(f"{w}: {_fmt_ratio(x)}" for w, x in values.items() if x is not None)
        judged = [bar(x) for w, x in values.items() if x is not None and w in in_range]
        return shown or "–", (all(judged) if judged else None)

    search = {w: _ratio(_median(get(w, "search"), SEARCH_FAST), _median(get(w, "search"), RAW))
              for w in names}
    shown, ok = per_size(search, lambda x: x <= SEARCH_RATIO_MAX)
    rows.append(("Coverage search ≤ 1.5× raw csgraph on the same arrays, 10^4–10^6 nodes",
                 shown, verdict(ok)))

    big = _largest(meta)
    wl = _workload(meta, big)
    full = bool(wl) and wl["nodes_target"] >= 1_000_000
    cli = get(big, "cli") if big else None
    t = _median(cli, CLI)
    mb = cli.info.get("cli_peak_mb") if cli else None
    counts = full and wl["n_centres"] == 1000 and wl["n_communities"] == 20_000
    ok = (t < E2E_SECONDS_MAX and mb < E2E_MB_MAX) if counts and t is not None and mb else None
    rows.append((
        "`circle coverage` end to end on a cached 10^6-node network, 1,000 centres, 20,000 "
        f"communities: < 10 s and < 2 GB (measured at {big}: {wl.get('n_centres', 0):,} "
        f"centres, {wl.get('n_communities', 0):,} communities)",
        f"{_seconds(t)} wall ({cli.info.get('cli_cpu_s', 0):.2f} s CPU), {mb:.0f} MB peak"
        if t is not None and mb else "–", verdict(ok)))

    reach = get(big, "reach") if big else None
    t = _median(reach, REACH_FAST)
    n = reach.info.get("candidates", 0) if reach else 0
    limit = reach.info.get("limit_m", 0) if reach else 0
    ok = t < REACH_SECONDS_MAX if t is not None and full and n == 10_000 else None
    rows.append((
        "Siting reach sets, 10,000 candidates on a 10^6-node network: < 10 s "
        f"(measured at {big}: {n:,} candidates, {limit:.0f} m)", _seconds(t), verdict(ok)))

    speedups = {w: _ratio(_median(get(w, "reach"), PANDANA),
                          _median(get(w, "reach"), "bounded_reach next to pandana"))
                for w in names}
    shown, ok = per_size(speedups, lambda x: x >= PANDANA_SPEEDUP_MIN)
    rows.append(("Reach sets ≥ 10× faster than pandana's nodes_in_range on the same work, where "
                 "pandana runs (its contraction-hierarchy build not counted; both timed one "
                 "after the other)",
                 shown if shown != "–" else "pandana not run", verdict(ok)))

    cache = {w: _ratio(_median(get(w, "osm_read"), READ), _median(get(w, "cache_load"), LOAD))
             for w in names}
    shown, ok = per_size(cache, lambda x: x >= CACHE_SPEEDUP_MIN)
    rows.append(("A cached network loads ≥ 20× faster than re-reading the OSM file",
                 shown, verdict(ok)))

    same = []
    for w in names:
        nxr, r = get(w, "networkx"), get(w, "reach")
        if nxr and "same_result_as_fast_path" in nxr.info:
            mark = "=" if nxr.info["same_result_as_fast_path"] else "≠"
            same.append(f"{w}: fast path {mark} networkx reference")
        if r and "same_as_scipy" in r.info:
            same.append(f"{w}: reach sets {'=' if r.info['same_as_scipy'] else '≠'} scipy")
    ok = all("≠" not in x for x in same) if same else None
    rows.append(("Results identical to the references (checked here on the benchmark inputs; "
                 "the tests check it on random graphs)", "; ".join(same) or "–", verdict(ok)))
    out = ["## Targets", "", "| target | measured | holds |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return [*out, ""]


def _largest(meta):
    sized = [w for w in meta["workloads"] if w["nodes_target"]]
    return max(sized, key=lambda w: w["nodes_target"])["name"] if sized else None


def _workload(meta, name) -> dict:
    return next((w for w in meta["workloads"] if w["name"] == name), {})


def _timings(names, get, meta, results) -> list[str]:
    def row(title, cells):
        return f"| {title} | " + " | ".join(cells) + " |"

    head = ["", row("step", names), "|---|" + "---:|" * len(names)]
    out = ["## Timings (median)", *head]
    sizes = []
    for w in names:
        r = get(w, "reach") or get(w, "osm_read")
        sizes.append(f"{r.info['nodes']:,} / {r.info['edges']:,}"
                     if r and "nodes" in r.info else "–")
    out.append(row("network nodes / edges", sizes))
    out.append(row("centres / communities / candidates", [
        "{n_centres:,} / {n_communities:,} / {n_candidates:,}".format(**_workload(meta, w))
        for w in names]))
    labels = []
    for r in results:
        labels += [(r.case, label) for label in r.times if (r.case, label) not in labels]
    for case, label in labels:
        out.append(row(f"{case}: {label}", [_seconds(_median(get(w, case), label))
                                            for w in names]))

    def ratio(case_a, a, case_b, b):
        return [_fmt_ratio(_ratio(_median(get(w, case_a), a), _median(get(w, case_b), b)))
                for w in names]

    out += ["", "## Ratios (medians from the same run)", *head]
    out.append(row("search: circle / raw csgraph (≤ 1.5× wanted)",
                   ratio("search", SEARCH_FAST, "search", RAW)))
    for ref, name, title in ((SCIPY_PER_CANDIDATE, "scipy", "scipy one call per candidate"),
                             (NX_LOOP, "networkx", "networkx loop"),
                             (PANDANA, "pandana", "pandana nodes_in_range")):
        out.append(row(f"reach: {title} / bounded_reach (timed next to it)",
                       ratio("reach", ref, "reach", f"bounded_reach next to {name}")))
    out.append(row("cache: re-read OSM / cached load (≥ 20× wanted)",
                   ratio("osm_read", READ, "cache_load", LOAD)))

    out += ["", "## Peak memory (MB: RSS of the process running each case, with the "
            "interpreter, imports and setup)", "", row("case", names),
            "|---|" + "---:|" * len(names)]
    cases = []
    for r in results:
        cases += [r.case] if r.case not in cases else []
    for case in cases:
        cells = []
        for w in names:
            r = get(w, case)
            ok = r and not r.skipped and not r.error and r.peak_mb is not None
            cells.append(f"{r.peak_mb:.0f}" if ok else "–")
        out.append(row(case, cells))
    cells = []
    for w in names:
        r = get(w, "cli")
        cells.append(f"{r.info['cli_peak_mb']:.0f}" if r and "cli_peak_mb" in r.info else "–")
    out.append(row("the `circle coverage` process itself", cells))
    return [*out, ""]


def _notes(results) -> list[str]:
    out = ["## Notes, skips and extra figures", ""]
    for r in results:
        bits = []
        if r.error:
            bits.append(f"ERROR {r.error}")
        if r.skipped:
            bits.append(f"skipped: {r.skipped}")
        for k, v in r.info.items():
            if isinstance(v, float):
                v = f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
            elif isinstance(v, int) and not isinstance(v, bool):
                v = f"{v:,}"
            bits.append(f"{k} = {v}")
        if bits:
            out.append(f"- **{r.workload} {r.case}**: " + "; ".join(bits))
    return [*out, ""]
