"""Start-up cost of the `circle` command (issue 17): CPU time, heavy imports, import vs. work.

Run from the repository root::

    python -m bench.startup                  # measure; print the Markdown section
    python -m bench.startup --write          # ... and replace its section of bench/RESULTS.md
    python -m bench.startup --repeat 3 --no-coverage --json /tmp/startup.json

What it measures, each in a fresh child process with ``PYTHONDONTWRITEBYTECODE`` unset (so the
warm-up run leaves the bytecode that the timed runs load) and ``PYTHONPATH`` set to this
checkout (so the installed console scripts import this checkout's `circle`, not whichever
checkout the editable install points at):

* **CPU time** (user + sys of the child: `resource.getrusage(RUSAGE_CHILDREN)` deltas around
  `subprocess.run`) of ``circle --help``, ``circle --version``, ``circle coverage --help``,
  ``python -c "import circle"``, ``rio --help`` and ``rio --version`` (rasterio's CLI, a
  click application of the same kind), and ``python -c pass`` (the interpreter's floor). One
  warm-up pass, then ``--repeat`` rounds that run every command once each (interleaved, so that a
  change of load weighs on all commands alike); median and min. The console scripts are looked
  up with `shutil.which`, first next to the running interpreter (a pyenv *shim* on ``PATH`` is
  a bash script that runs ``pyenv exec``, whose own cost would swamp circle's), then on
  ``PATH``, else ``python -m circle``.
* **Heavy modules**: ``python -X importtime`` of ``import circle`` and of a child that imports
  `circle.cli` and runs `main` with ``--help``; which of `HEAVY` appear among the imported
  modules, and the cumulative import time of `circle` itself (median of ``--importtime-repeat``
  runs; -X importtime is wall-clock time, and adds a little of its own).
* **Import vs. work** of ``circle coverage`` on the bundled demo (in a temporary folder, with
  ``--out <tmp>/out`` and a warm network cache in ``<tmp>/cache``): the child runs `main` with
  `importlib._bootstrap._find_and_load` wrapped, the function every import of a module not yet
  in `sys.modules` goes through (``import`` statements, ``from … import``,
  `importlib.import_module`; it is the call -X importtime times). The wrapper adds up the
  process's CPU time (`time.process_time`) while at least one import is under way: nested
  imports count once, imports done lazily during the run count, and so do the threads that
  imports start (OpenBLAS's pool costs ~0.1 s of CPU outside the main thread, which the main
  thread's `time.thread_time`, also reported, misses). The child's own rusage when the wrapper
  is installed (interpreter start-up) and at `atexit` (then exit = the parent's figure minus
  it) complete the split; the work is the rest. Total CPU comes from the parent's rusage. A
  deterministic profiler (cProfile) was not used: its per-call overhead inflates Python-heavy
  code (module bodies, click, pandas' Python layers) far more than C-heavy work, which would
  bias the very split being measured. The sum of the top-level -X importtime entries of one
  more run is reported as a wall-clock cross-check (it includes the interpreter's own
  start-up imports).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script (python bench/startup.py): import from the checkout
    sys.path.insert(0, str(REPO))
DEFAULT_RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Start-up (issue 17)"

#: the top-level packages (and scipy.optimize) whose import a start-up should not pay for
HEAVY = ("folium", "numba", "scipy.optimize", "networkx", "rasterio", "matplotlib", "dask",
         "sqlalchemy", "osmnx", "geopandas", "pandas", "shapely", "pyproj", "pyogrio", "scipy")

#: run circle's `main` the way the console script does, with the arguments after ``-c CODE``
RUN_CLI = "import sys; sys.argv[0] = 'circle'; from circle.cli import main; main()"

#: prepended to RUN_CLI: clock every outermost import, write the figures as JSON at exit
IMPORT_CLOCK = r"""
import atexit as _atexit, json as _json, os as _os, resource as _resource, sys as _sys
import threading as _threading, time as _time
import importlib._bootstrap as _bootstrap
def _self_cpu():
    u = _resource.getrusage(_resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
_clock = {"start_cpu_s": _self_cpu(), "import_cpu_s": 0.0, "import_thread_cpu_s": 0.0,
          "import_wall_s": 0.0, "outermost_imports": 0, "modules_before": len(_sys.modules)}
_find_and_load = _bootstrap._find_and_load
_local = _threading.local()
_lock = _threading.Lock()
_active = [0, 0.0, 0.0]  # threads importing, process CPU and wall when the first one began
def _timed_find_and_load(*args, **kwargs):
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    if depth:
        try:
            return _find_and_load(*args, **kwargs)
        finally:
            _local.depth = depth
    with _lock:
        if not _active[0]:
            _active[1:] = _time.process_time(), _time.perf_counter()
        _active[0] += 1
    thread_cpu = _time.thread_time()
    try:
        return _find_and_load(*args, **kwargs)
    finally:
        thread_cpu = _time.thread_time() - thread_cpu
        _local.depth = 0
        with _lock:
            _active[0] -= 1
            if not _active[0]:
                _clock["import_cpu_s"] += _time.process_time() - _active[1]
                _clock["import_wall_s"] += _time.perf_counter() - _active[2]
            _clock["import_thread_cpu_s"] += thread_cpu
            _clock["outermost_imports"] += 1
_bootstrap._find_and_load = _timed_find_and_load
def _dump(path=_os.environ["CIRCLE_BENCH_IMPORT_CLOCK"]):
    _clock["atexit_cpu_s"] = _self_cpu()
    _clock["modules"] = len(_sys.modules) - _clock.pop("modules_before")
    with open(path, "w") as f:
        _json.dump(_clock, f)
_atexit.register(_dump)
"""

_IMPORTTIME = re.compile(r"^import time:\s*(\d+) \|\s*(\d+) \| ( *)(\S+)\s*$")


# ----------------------------------------------------------------------------- children


def child_env(extra: dict | None = None) -> dict:
    """The environment of every child: ours, minus what would skew start-up, plus the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


def script(name: str) -> str | None:
    """An installed console script: next to this interpreter first (not a pyenv shim), then PATH."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def commands() -> dict[str, list[str] | None]:
    """What to time: label -> argv (None when the command is not installed)."""
    circle = script("circle")
    circle_argv = [circle] if circle else [sys.executable, "-m", "circle"]
    rio = script("rio")
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import circle"': [sys.executable, "-c", "import circle"],
        "circle --version": [*circle_argv, "--version"],
        "circle --help": [*circle_argv, "--help"],
        "circle coverage --help": [*circle_argv, "coverage", "--help"],
        "rio --version": [rio, "--version"] if rio else None,
        "rio --help": [rio, "--help"] if rio else None,
    }


#: circle command -> the rio command its ratio is taken against
VERSUS_RIO = {
    'python -c "import circle"': "rio --help",
    "circle --version": "rio --version",
    "circle --help": "rio --help",
    "circle coverage --help": "rio --help",
}


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_run(argv: list[str], env: dict, cwd: Path,
            timeout: float = 600) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run `argv` to completion: (CPU seconds of the child, wall seconds, the process)."""
    before = _children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    wall = time.perf_counter() - start
    cpu = _children_cpu_s() - before
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        msg = f"{' '.join(argv)} exited {proc.returncode}: {tail}"
        raise RuntimeError(msg)
    return cpu, wall, proc


def time_commands(cmds: dict[str, list[str] | None], repeat: int, warmup: int, env: dict,
                  cwd: Path) -> dict[str, dict]:
    """CPU and wall time of each command: warm-up passes, then `repeat` interleaved rounds."""
    todo = {label: argv for label, argv in cmds.items() if argv}
    cpu: dict[str, list[float]] = {label: [] for label in todo}
    wall: dict[str, list[float]] = {label: [] for label in todo}
    for _ in range(warmup):
        for argv in todo.values():
            cpu_run(argv, env, cwd)
    for _ in range(repeat):
        for label, argv in todo.items():
            c, w, _proc = cpu_run(argv, env, cwd)
            cpu[label].append(c)
            wall[label].append(w)
    out = {}
    for label, argv in cmds.items():
        if not argv:
            out[label] = {"skipped": "not installed"}
            continue
        out[label] = {
            "argv": argv,
            "cpu_s": cpu[label],
            "cpu_median_s": statistics.median(cpu[label]),
            "cpu_min_s": min(cpu[label]),
            "wall_median_s": statistics.median(wall[label]),
        }
    return out


# ----------------------------------------------------------------------------- imports


def parse_importtime(stderr: str) -> list[dict]:
    """The entries of ``-X importtime`` output: name, level (0 = top), self_us, cumulative_us."""
    out = []
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            out.append({"name": m[4], "level": len(m[3]) // 2,
                        "self_us": int(m[1]), "cumulative_us": int(m[2])})
    return out


def loaded(entries: list[dict], watch=HEAVY) -> list[str]:
    """Which of `watch` (packages or subpackages) are among the imported modules, in order."""
    names = {e["name"] for e in entries}
    return [w for w in watch if w in names or any(n.startswith(w + ".") for n in names)]


def import_profile(args: list[str], env: dict, cwd: Path, repeat: int, watch=HEAVY) -> dict:
    """``python -X importtime <args>``, `repeat` times: heavy packages and circle's import time."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            msg = f"-X importtime {' '.join(args)} exited {proc.returncode}: {tail}"
            raise RuntimeError(msg)
        runs.append(parse_importtime(proc.stderr))

    def median_cumulative(name):
        values = [e["cumulative_us"] / 1e6 for run in runs for e in run if e["name"] == name]
        return statistics.median(values) if values else None

    heavy = [w for w in watch if any(w in loaded(run, [w]) for run in runs)]
    return {
        "argv": ["python", "-X", "importtime", *args],
        "heavy_loaded": heavy,
        "heavy_not_loaded": [w for w in watch if w not in heavy],
        "circle_cumulative_s": median_cumulative("circle"),
        "circle_cli_cumulative_s": median_cumulative("circle.cli"),
        "top_level_sum_s": statistics.median(
            sum(e["cumulative_us"] for e in run if e["level"] == 0) / 1e6 for run in runs),
        "modules": statistics.median(len(run) for run in runs),
    }


# ----------------------------------------------------------------------------- coverage


def coverage_split(cmds: dict, repeat: int, warmup: int, watch=HEAVY, *, cold: bool = False) -> dict:
    """``circle coverage`` on the bundled demo: total CPU against the CPU spent importing.

    With `cold`, every timed run starts with an empty network cache (the OSM file is parsed and
    the network built), as a first run on a new machine does.
    """
    circle = cmds["circle --help"][:-1]  # the console script (or python -m circle)
    with tempfile.TemporaryDirectory(prefix="circle-startup-") as tmp:
        tmp = Path(tmp)
        out, clock = tmp / "out", tmp / "imports.json"
        env = child_env({"CIRCLE_CACHE_DIR": str(tmp / "cache"),
                         "CIRCLE_BENCH_IMPORT_CLOCK": str(clock)})
        args = ["coverage", "--out", str(out)]
        plain = [*circle, *args]
        clocked = [sys.executable, "-c", IMPORT_CLOCK + RUN_CLI, *args]

        def run(argv):
            shutil.rmtree(out, ignore_errors=True)
            if cold:
                shutil.rmtree(tmp / "cache", ignore_errors=True)
            return cpu_run(argv, env, tmp)

        for _ in range(max(1, warmup)):  # warms the network cache and the bytecode
            run(plain)
        figures: dict[str, list[float]] = {k: [] for k in (
            "total", "clocked_total", "start", "imports", "imports_main_thread", "work", "exit",
            "import_share")}
        for _ in range(repeat):
            figures["total"].append(run(plain)[0])
            total = run(clocked)[0]
            c = json.loads(clock.read_text())
            figures["clocked_total"].append(total)
            figures["start"].append(c["start_cpu_s"])
            figures["imports"].append(c["import_cpu_s"])
            figures["imports_main_thread"].append(c["import_thread_cpu_s"])
            figures["work"].append(c["atexit_cpu_s"] - c["start_cpu_s"] - c["import_cpu_s"])
            figures["exit"].append(total - c["atexit_cpu_s"])
            figures["import_share"].append(c["import_cpu_s"] / total)
        shutil.rmtree(out, ignore_errors=True)
        profile = import_profile(["-c", RUN_CLI, *args], env, tmp, 1, watch)
    return {
        "command": "circle coverage --out <tmp>/out (bundled demo, "
        + ("empty" if cold else "warm") + " network cache)",
        "cold": cold,
        "runs": figures,
        **{f"{k}_median" + ("" if k == "import_share" else "_s"): statistics.median(v)
           for k, v in figures.items()},
        "total_min_s": min(figures["total"]),
        "outermost_imports": c["outermost_imports"],
        "modules_imported": c["modules"],
        "importtime_top_level_sum_s": profile["top_level_sum_s"],
        "heavy_loaded": profile["heavy_loaded"],
    }


# ----------------------------------------------------------------------------- the whole run


def run(repeat: int = 5, warmup: int = 1, importtime_repeat: int = 3, coverage: bool = True,
        coverage_repeat: int = 3, labels: tuple[str, ...] | None = None, watch=HEAVY,
        command: str = "") -> dict:
    """Measure everything; return the figures (what `to_markdown` formats).

    `labels` restricts the timed commands (a smoke test runs two); the import profiles always
    run (once each with ``importtime_repeat=1``).
    """
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    cmds = commands()
    if labels is not None:
        unknown = set(labels) - set(cmds)
        if unknown:
            msg = f"unknown commands {sorted(unknown)}; choose from {list(cmds)}"
            raise ValueError(msg)
        timed = {k: v for k, v in cmds.items() if k in labels}
    else:
        timed = cmds
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="circle-startup-") as tmp:
        cwd = Path(tmp)
        where = subprocess.run([sys.executable, "-c", "import circle; print(circle.__file__)"],
                               cwd=cwd, env=env, capture_output=True, text=True, check=True)
        cpu = time_commands(timed, repeat, warmup, env, cwd)
        imports = {
            'python -c "import circle"': import_profile(["-c", "import circle"], env, cwd,
                                                        importtime_repeat, watch),
            "circle --help": import_profile(["-c", RUN_CLI, "--help"], env, cwd,
                                            importtime_repeat, watch),
        }
    ratios = {}
    for label, rio in VERSUS_RIO.items():
        a, b = cpu.get(label, {}), cpu.get(rio, {})
        if "cpu_median_s" in a and "cpu_median_s" in b:
            ratios[f"{label} / {rio}"] = a["cpu_median_s"] / b["cpu_median_s"]
    split = coverage_split(cmds, coverage_repeat, warmup, watch) if coverage else None
    cold_split = coverage_split(cmds, coverage_repeat, warmup, watch, cold=True) if coverage else None
    return {
        "command": command,
        "date_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "machine": _machine(),
        "circle_imported_from": where.stdout.strip(),
        "repeat": repeat,
        "warmup": warmup,
        "cpu": cpu,
        "ratios": ratios,
        "imports": imports,
        "coverage": split,
        "coverage_cold": cold_split,
    }


def _machine() -> dict:
    from bench.run import machine

    m = machine()
    from importlib.metadata import PackageNotFoundError, version

    for name in ("click", "rasterio"):
        try:
            m["libraries"][name] = version(name)
        except PackageNotFoundError:
            m["libraries"][name] = "not installed"
    return m


# ----------------------------------------------------------------------------- report


def _s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def _load(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def to_markdown(r: dict) -> str:
    """The RESULTS.md section (starting with its ``## `` header, ending with a newline)."""
    m = r["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items()
                     if k in ("click", "rasterio", "numpy", "scipy", "geopandas", "numba"))
    lines = [
        SECTION,
        "",
        f"Command, from the repository root: `{r['command'] or 'python -m bench.startup'}`",
        "",
        f"Run {r['date_utc']}. Machine: {m['cpu']}, nproc {r['nproc']}, {m['system']}, "
        f"Python {m['python']}; {libs}. Load average (`uptime`, 1/5/15 min) before the run "
        f"{_load(r['load_before'])}, after it {_load(r['load_after'])}.",
        "",
        f"CPU time is user + sys of the child process (rusage), the median and min of "
        f"{r['repeat']} runs after {r['warmup']} warm-up run(s); the commands run interleaved. "
        "CPU time, unlike wall time, hardly depends on the load of a shared machine. Method: "
        "the docstring of `bench/startup.py`.",
        "",
        "| command | CPU median | CPU min | wall median | circle / rio (CPU medians) |",
        "|---|---|---|---|---|",
    ]
    ratio_of = {label: r["ratios"].get(f"{label} / {rio}") for label, rio in VERSUS_RIO.items()}
    for label, c in r["cpu"].items():
        if "skipped" in c:
            lines.append(f"| `{label}` | {c['skipped']} | | | |")
            continue
        ratio = ratio_of.get(label)
        versus = f"{ratio:.2f}× `{VERSUS_RIO[label]}`" if ratio is not None else "–"
        lines.append(f"| `{label}` | {_s(c['cpu_median_s'])} | {_s(c['cpu_min_s'])} | "
                     f"{_s(c['wall_median_s'])} | {versus} |")
    lines += [
        "",
        "Heavy packages loaded (`python -X importtime`; watched: "
        + ", ".join(HEAVY) + "):",
        "",
        "| child | heavy packages loaded | `circle` cumulative import (wall) | modules imported |",
        "|---|---|---|---|",
    ]
    rows = dict(r["imports"])
    for label, p in rows.items():
        heavy = ", ".join(p["heavy_loaded"]) or "none"
        lines.append(f"| `{label}` | {heavy} | {_s(p['circle_cumulative_s'])} | "
                     f"{p['modules']:.0f} |")
    for key, cache in (("coverage", "warm"), ("coverage_cold", "empty")):
        cov = r.get(key)
        if not cov:
            continue
        lines += [
            "",
            f"`circle coverage --out <tmp>/out` on the bundled demo, {cache} network cache. The "
            "instrumented child runs circle's `main` with `importlib._bootstrap._find_and_load` "
            "wrapped: imports = the process's CPU time while an import is under way (lazy "
            "imports included, nested ones once); start-up and exit from the child's own "
            "rusage; the work is the rest.",
            "",
            "| figure | CPU median |",
            "|---|---|",
            f"| total, console script | {_s(cov['total_median_s'])} |",
            f"| total, instrumented child | {_s(cov['clocked_total_median_s'])} |",
            f"| … interpreter start-up (before `circle` is imported) | "
            f"{_s(cov['start_median_s'])} |",
            f"| … imports, all threads (main thread alone) | {_s(cov['imports_median_s'])} "
            f"({_s(cov['imports_main_thread_median_s'])}); {cov['import_share_median']:.0%} of "
            f"the total, {cov['modules_imported']} modules |",
            f"| … the work: reading, coverage, writing (and JIT, if any) | "
            f"{_s(cov['work_median_s'])} |",
            f"| … interpreter exit (after `atexit`) | {_s(cov['exit_median_s'])} |",
            "",
            f"Cross-check: the top-level `-X importtime` entries of one run sum to "
            f"{_s(cov['importtime_top_level_sum_s'])} (wall). Heavy packages the run loads: "
            f"{', '.join(cov['heavy_loaded']) or 'none'}. For reference, `python -c pass` "
            f"takes {_s(r['cpu'].get('python -c pass', {}).get('cpu_median_s'))} CPU.",
        ]
    return "\n".join(lines) + "\n"


def _header_level(line: str) -> int:
    m = re.match(r"^(#{1,6}) ", line)
    return len(m[1]) if m else 0


def replace_section(text: str, section: str, header: str = SECTION) -> str:
    """`text` with the section under `header` replaced by `section` (appended when absent).

    The section runs from its header to the next ``#`` or ``##`` header outside code fences (or
    the end); a rule (``---``) and blank lines just before that next header stay. Nothing else
    changes.
    """
    lines = text.splitlines(keepends=True)
    start = end = None
    fenced = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        if start is None:
            if line.rstrip("\r\n") == header:
                start = i
        elif 0 < _header_level(line) <= 2:
            end = i
            break
    section = section.rstrip("\n") + "\n"
    if start is None:
        return (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
    if end is None:
        return "".join(lines[:start]) + section
    keep = end
    while keep > start + 1 and lines[keep - 1].strip() in ("", "---"):
        keep -= 1
    tail = lines[keep:end]
    if not any(line.strip() == "" for line in tail[:1]):
        tail = ["\n", *tail]
    return "".join(lines[:start]) + section + "".join(tail) + "".join(lines[end:])


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the start-up section of `path`, atomically."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(replace_section(text, section), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup",
        description="CPU time of circle's start-up against rio's, the heavy modules it imports, "
        "and the import/work split of `circle coverage` (issue 17).",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per command first")
    parser.add_argument("--importtime-repeat", type=int, default=3,
                        help="-X importtime runs per child (median of circle's import time)")
    parser.add_argument("--coverage-repeat", type=int, default=3,
                        help="runs of `circle coverage` (plain and instrumented each)")
    parser.add_argument("--no-coverage", action="store_true",
                        help="skip the `circle coverage` import/work split")
    parser.add_argument("--write", action="store_true",
                        help=f"replace the '{SECTION}' section of --results")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                        help="the Markdown file --write updates (default bench/RESULTS.md)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    command = "python -m bench.startup " + " ".join(argv if argv is not None else sys.argv[1:])
    result = run(repeat=args.repeat, warmup=args.warmup,
                 importtime_repeat=args.importtime_repeat, coverage=not args.no_coverage,
                 coverage_repeat=args.coverage_repeat, command=command.strip())
    section = to_markdown(result)
    print(section, end="")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.write:
        write_section(args.results, section)
        print(f"[startup] wrote the '{SECTION}' section of {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
