"""Prove that a refactor changes no result: run the same circle commands with two code versions.

    python scripts/check_identical.py --before main
    python scripts/check_identical.py --before v0.1.0 --after /path/to/other/checkout --keep

`--before REV` is a git revision (of the repository of `--after`); `--after DIR` is a checkout or
worktree (default: the one holding this script), taken as it is on disk, uncommitted edits and new
untracked files included. Each version is copied in turn to the SAME temporary path
(`<tmp>/code`) and every command runs from the same folder (`<tmp>/run`) with a fresh cache, so
paths recorded in the outputs (manifest.json names the bundled data files) are equal too and the
outputs can be compared byte for byte. Each command is run as

    python -c "import sys; sys.argv[0]='circle'; from circle.cli import main; main()" ARGS

with PYTHONPATH=<tmp>/code (the bundled data is found through circle/bundled.py), no CIRCLE_*
variables but CIRCLE_CACHE_DIR (fresh per run), LC_ALL=C.UTF-8, COLUMNS=80, HOME=<tmp>/home and
OGR_CURRENT_DATE fixed (GDAL otherwise stamps the write time into every GeoPackage). The --help
texts and --version run the same `main()` in forked children of one interpreter that imported
circle.cli once (saves ~1.4 s of imports per text).

Covered, on the bundled Helsinki data: `--version`; `--help` of the group and of every command
found in it, in English and with CIRCLE_LANG=zh; coverage (--map --by, and --lang zh --csv-header zh
--areas --format markdown), coverage --profile elderly, compare (files, and --format json), site
--add 3 --map, isochrones (.geojson and .gpkg), map, sweep (3 scenarios incl. a siting one,
partitioned into tiles on a 1-worker LocalCluster), extract (Helsinki; Aguascalientes, which fails
with exit 1: error paths count too) and rerun of manifests written by the BEFORE code, run with
each version.

Compared: exit codes, stdout exactly, stderr with run times masked ("done in 1.2 s" lines are
dropped since they only appear over a second, "finished in 0.7 s" loses its figure, the order of
the Dask progress lines "[k/N] part" within a block is ignored), and every output file by sha256
(a GeoPackage whose bytes differ is also compared by its SQLite content without last_change; a
manifest.json with its "created_utc" write time masked).
When something differs, the BEFORE version is run a second time (always with --repeat): what
differs between two runs of the same code is reported as "not deterministic", not as a failure.

Prints a table (step, file, verdict) and a diff excerpt of each difference; exits 0 only when
everything is identical (or only non-deterministic), 1 otherwise. About 1-2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RUN_MAIN = "import sys; sys.argv[0]='circle'; from circle.cli import main; main()"

#: runs `circle ARGS` once per job in a forked child of one process that imported circle.cli
#: (saves an import of ~1.4 s per --help); stdout/stderr go to files, the exit code to a file
HELP_DRIVER = r"""
import json, os, sys, traceback
from circle.cli import main
for args, prefix in json.loads(sys.argv[1]):
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        os.dup2(os.open(prefix + ".stdout", flags), 1)
        os.dup2(os.open(prefix + ".stderr", flags), 2)
        sys.argv = ["circle", *args]
        code = 0
        try:
            main()
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(prefix + ".rc", "w") as f:
        f.write(str(os.waitstatus_to_exitcode(status)))
"""

SCENARIOS = """\
[defaults]
minutes = [10, 15]

[[scenario]]
name = "baseline"

[[scenario]]
name = "slow"
speed_kmh = 3.0

[[scenario]]
name = "one-more"
add = 1
candidates = "grid:300"
"""

#: two street-office polygons splitting the bundled Helsinki communities west/east (WGS84)
AREAS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[w, 60.15], [e, 60.15], [e, 60.20], [w, 60.20], [w, 60.15]]],
            },
        }
        for name, w, e in (("西区", 24.90, 24.944), ("东区", 24.944, 24.99))
    ],
}

#: files the script writes into the run folder before the commands (inputs, not results)
INPUTS = {"scenarios.toml", "areas.geojson"}
MANIFESTS = "before-manifests"  # copies of manifests written by the first BEFORE run


# fmt: off
def commands(code: Path) -> list[tuple[str, list[str]]]:
    """(step name, circle arguments) in order; run in the run folder. `code` is the checkout."""
    data = code / "data"
    return [
        ("coverage A", ["coverage", "--out", "A", "--map", "--by", "buildings"]),
        (
            "coverage A2",
            ["coverage", "--out", "A2", "--profile", "elderly", "-m", "10", "-m", "15"],
        ),
        (
            "coverage Z (zh)",
            [
                "coverage", "--out", "Z", "--lang", "zh", "--csv-header", "zh",
                "--areas", "areas.geojson", "--format", "markdown",
            ],
        ),
        ("compare", ["compare", "A", "A2", "--out", "C"]),
        ("compare json", ["compare", "A", "A2", "--format", "json"]),
        ("site", ["site", "--add", "3", "--out", "B", "--map"]),
        ("isochrones geojson", ["isochrones", "--out", "x.geojson"]),
        ("isochrones gpkg", ["isochrones", "--out", "x.gpkg", "--merged-only"]),
        ("map", ["map", "--out", "m.html"]),
        (
            "sweep",
            [
                "sweep", "scenarios.toml", "--workers", "1", "--partition", "tiles",
                "--tile-km", "0.5", "--out", "S",
            ],
        ),
        (
            "extract helsinki",
            ["extract", str(data / "helsinki_centre.osm.pbf"), "--out", "layers.gpkg"],
        ),
        (
            "extract aguascalientes",
            ["extract", str(data / "aguascalientes.osm.bz2"), "--out", "ags.gpkg"],
        ),
        ("rerun A", ["rerun", f"{MANIFESTS}/A/manifest.json", "--out", "RA"]),
        ("rerun Z", ["rerun", f"{MANIFESTS}/Z/manifest.json", "--out", "RZ"]),
    ]
# fmt: on


# --------------------------------------------------------------------------- running


@dataclass
class Step:
    rc: int
    stdout: bytes
    stderr: bytes
    files: list[str] = field(default_factory=list)  # run-folder files this step created


@dataclass
class Pass:
    label: str
    steps: dict[str, Step]
    folder: Path  # the run folder, moved aside
    seconds: float


def git(repo: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, **kw)


def export_rev(repo: Path, rev: str, dest: Path) -> str:
    """Write the tree of `rev` into `dest` (git archive; the repository is not touched)."""
    sha = git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}", text=True).stdout.strip()
    archive = git(repo, "archive", "--format=tar", sha).stdout
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="tar")
    return sha


def copy_checkout(src: Path, dest: Path) -> None:
    """Copy a checkout as it is on disk: tracked and untracked files, not the ignored ones."""
    try:
        listed = git(src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git", "__pycache__"))
        return
    dest.mkdir(parents=True)
    for rel in sorted(set(listed.decode().split("\0")) - {""}):
        f = src / rel
        if f.is_file():  # deleted files are still listed by --cached
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest / rel)


def base_env(root: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CIRCLE_", "LC_", "PYTHON", "NUMBA_"))
        and k not in {"LANG", "LANGUAGE", "COLUMNS", "LINES"}
    }
    if "PYTHONHASHSEED" in os.environ:
        env["PYTHONHASHSEED"] = os.environ["PYTHONHASHSEED"]
    env.update(
        PYTHONPATH=str(root / "code"),
        LC_ALL="C.UTF-8",
        COLUMNS="80",
        HOME=str(root / "home"),
        CIRCLE_CACHE_DIR=str(root / "cache"),
        TMPDIR=str(root / "tmp"),
        MPLCONFIGDIR=str(root / "mpl"),  # kept across runs: matplotlib's font cache
        OGR_CURRENT_DATE="2000-01-01T00:00:00.000Z",  # GeoPackage gpkg_contents.last_change
    )
    return env


def file_set(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def run_help(env: dict, run: Path, jobs: list[list[str]], spool: Path) -> list[Step]:
    """`circle ARGS` for each ARGS, in forked children of one interpreter."""
    spool.mkdir(exist_ok=True)
    pairs = [[args, str(spool / f"h{i}")] for i, args in enumerate(jobs)]
    driver = subprocess.run(
        [sys.executable, "-c", HELP_DRIVER, json.dumps(pairs)],
        env=env,
        cwd=run,
        capture_output=True,
    )
    steps = []
    for _, prefix in pairs:
        p = Path(prefix)
        if not p.with_suffix(".rc").exists():  # the driver failed (circle.cli does not import?)
            steps.append(Step(driver.returncode, driver.stdout, driver.stderr))
            continue
        rc = int(p.with_suffix(".rc").read_text())
        steps.append(
            Step(rc, p.with_suffix(".stdout").read_bytes(), p.with_suffix(".stderr").read_bytes())
        )
    shutil.rmtree(spool)
    return steps


def subcommands(help_text: bytes) -> list[str]:
    """Command names listed under "Commands:" in a click help text."""
    names, inside = [], False
    for line in help_text.decode(errors="replace").splitlines():
        if line.rstrip() == "Commands:":
            inside = True
        elif inside:
            m = re.match(r"^  (\S+)", line)
            if m:
                names.append(m.group(1))
            elif line.strip() and not line.startswith(" "):
                inside = False
    return names


def materialise(src: Path, root: Path) -> None:
    code = root / "code"
    if code.exists():
        shutil.rmtree(code)
    shutil.copytree(src, code, copy_function=shutil.copy2)


def run_pass(label: str, src: Path, root: Path, numba: Path, manifests: Path | None) -> Pass:
    """All steps with one code version; returns the results and moves the run folder aside."""
    started = time.perf_counter()
    materialise(src, root)
    for name in ("run", "cache", "home", "tmp"):
        shutil.rmtree(root / name, ignore_errors=True)
        (root / name).mkdir()
    run = root / "run"
    env = base_env(root)
    env["NUMBA_CACHE_DIR"] = str(numba)  # one per version; kept across its runs
    probe = subprocess.run(
        [sys.executable, "-c", "import circle; print(circle.__file__)"],
        env=env,
        cwd=run,
        capture_output=True,
        text=True,
    )
    where = probe.stdout.strip()
    if probe.returncode:
        print(f"[{label}] warning: `import circle` fails:\n{probe.stderr}", file=sys.stderr)
    elif not Path(where).resolve().is_relative_to((root / "code").resolve()):
        sys.exit(f"{label}: circle was imported from {where}, not from {root / 'code'}")
    (run / "scenarios.toml").write_text(SCENARIOS)
    (run / "areas.geojson").write_text(json.dumps(AREAS, ensure_ascii=False))
    steps: dict[str, Step] = {}
    print(f"[{label}] help texts…", file=sys.stderr, flush=True)
    spool = root / "spool"
    frontier = [[]]
    found: list[list[str]] = []
    first = True
    while frontier:
        jobs = [[*path, "--help"] for path in frontier] + ([["--version"]] if first else [])
        results = run_help(env, run, jobs, spool)
        next_frontier = []
        for args, step in zip(jobs, results, strict=True):
            steps["circle " + " ".join(args)] = step
            if args[-1] == "--help":
                found.append(args[:-1])
                next_frontier += [[*args[:-1], sub] for sub in subcommands(step.stdout)]
        frontier, first = next_frontier, False
    zh = dict(env, CIRCLE_LANG="zh")
    for args, step in zip(
        found, run_help(zh, run, [[*a, "--help"] for a in found], spool), strict=True
    ):
        steps["CIRCLE_LANG=zh circle " + " ".join([*args, "--help"])] = step
    for name, args in commands(root / "code"):
        if name.startswith("rerun"):
            which = name.split()[-1]
            target = run / MANIFESTS / which / "manifest.json"
            source = (manifests or run) / which / "manifest.json"
            if source.exists() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        before, t0 = file_set(run), time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", RUN_MAIN, *args],
            env=env,
            cwd=run,
            capture_output=True,
            timeout=600,
        )
        took = time.perf_counter() - t0
        print(f"[{label}] {took:5.1f} s  circle {' '.join(args)}", file=sys.stderr, flush=True)
        created = sorted(file_set(run) - before)
        steps[name] = Step(proc.returncode, proc.stdout, proc.stderr, created)
    folder = root / "results" / label
    folder.parent.mkdir(exist_ok=True)
    shutil.move(run, folder)
    streams = root / "results" / f"{label}.streams"  # for a look with --keep
    streams.mkdir()
    for i, (name, step) in enumerate(steps.items()):
        stem = streams / f"{i:02d} {name.replace('/', '_')}"
        stem.with_name(stem.name + ".stdout").write_bytes(step.stdout)
        stem.with_name(stem.name + ".stderr").write_bytes(step.stderr)
        stem.with_name(stem.name + ".rc").write_text(f"{step.rc}\n")
    return Pass(label, steps, folder, time.perf_counter() - started)


# --------------------------------------------------------------------------- comparing

TIMING_DROP = re.compile(r": done in \d+(\.\d+)? s$")  # printed only when a stage took >= 1 s
TIMING_MASK = re.compile(r"\b(in|took|after) \d+(\.\d+)? ?(s|ms|seconds?)\b")
PROGRESS = re.compile(r"^circle: \[\d+/(\d+)\] ")


def normalise_stderr(raw: bytes) -> str:
    out: list[str] = []
    block: list[str] = []
    for line in raw.decode(errors="replace").splitlines():
        if TIMING_DROP.search(line):
            continue
        line = TIMING_MASK.sub(lambda m: f"{m.group(1)} <time>", line)
        line = re.sub(r"tcp://[\d.]+:\d+", "tcp://<address>", line)
        if PROGRESS.match(line):  # Dask tasks finish in any order
            block.append(PROGRESS.sub(r"circle: [k/\1] ", line))
            continue
        out += sorted(block)
        block = []
        out.append(line)
    return "\n".join(out + sorted(block))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gpkg_content(path: Path) -> list[str]:
    """SQLite dump of a GeoPackage with the write time (gpkg_contents.last_change) masked."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        lines = list(con.iterdump())
    finally:
        con.close()
    stamp = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z'")
    return [stamp.sub("'<time>'", x) if "gpkg_contents" in x else x for x in lines]


@dataclass
class Item:
    step: str
    what: str  # "(exit, stdout, stderr)", "(stdout)", ..., or a file path
    key: tuple  # identifies the item across passes


def items_of(p: Pass) -> dict[tuple, tuple[str, str]]:
    """key -> (step, what) for every comparable thing of a pass."""
    found = {}
    for name, step in p.steps.items():
        for part in ("exit code", "stdout", "stderr"):
            found[(name, part)] = (name, f"({part})")
        for f in step.files:
            if f.split("/")[0] not in INPUTS | {MANIFESTS}:
                found[("file", f)] = (name, f)
    return found


def value(p: Pass, key: tuple):
    """The comparable value of an item in a pass (None when absent)."""
    if key[0] == "file":
        path = p.folder / key[1]
        return ("file", path) if path.is_file() else None
    step = p.steps.get(key[0])
    if step is None:
        return None
    return {"exit code": step.rc, "stdout": step.stdout, "stderr": normalise_stderr(step.stderr)}[
        key[1]
    ]


def same(a, b) -> tuple[bool, str]:
    """(equal?, note)."""
    if a is None or b is None:
        return a is None and b is None, ""
    if isinstance(a, tuple):  # files
        pa, pb = a[1], b[1]
        if sha256(pa) == sha256(pb):
            return True, ""
        if pa.suffix == ".gpkg":
            try:
                if gpkg_content(pa) == gpkg_content(pb):
                    return True, "same content, bytes differ"
            except sqlite3.Error:
                pass
        if pa.name == "manifest.json":  # records the wall-clock time it was written
            stamp = re.compile(rb'"created_utc": "[^"]*"')
            ma, mb = (stamp.sub(b'"created_utc": "<time>"', x.read_bytes()) for x in (pa, pb))
            if ma == mb:
                return True, "created_utc masked"
        return False, ""
    return a == b, ""


def text_of(v) -> list[str]:
    if v is None:
        return ["<missing>"]
    if isinstance(v, tuple):
        data = v[1].read_bytes()
    elif isinstance(v, int):
        return [f"exit code {v}"]
    elif isinstance(v, str):
        return v.splitlines()
    else:
        data = v
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return [f"<binary, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}>"]


def excerpt(a, b, limit: int = 25) -> list[str]:
    lines = list(difflib.unified_diff(text_of(a), text_of(b), "before", "after", lineterm="", n=1))
    cut = [x if len(x) <= 200 else x[:200] + "…" for x in lines[:limit]]
    return cut + ([f"… {len(lines) - limit} more diff lines"] if len(lines) > limit else [])


def compare(before: Pass, after: Pass, again: Pass | None):
    """Table rows (step, file, verdict) and the diff excerpts of what differs."""
    passes = [before, after] + ([again] if again else [])
    keys: dict[tuple, tuple[str, str]] = {}
    for p in passes:
        keys = items_of(p) | keys  # the first pass that has an item names its step
    order = {}
    for p in passes:
        for name in p.steps:
            order.setdefault(name, len(order))
    rank = {"(exit code)": 0, "(stdout)": 1, "(stderr)": 2}
    rows, diffs = [], []
    for key, (step, what) in sorted(
        keys.items(), key=lambda kv: (order[kv[1][0]], rank.get(kv[1][1], 3), kv[1][1])
    ):
        b, a = value(before, key), value(after, key)
        equal, note = same(b, a)
        stable = True if again is None else same(b, value(again, key))[0]
        if equal and stable:
            verdict = "identical" + (f" ({note})" if note else "")
        elif not stable:
            verdict = "not deterministic" + ("" if equal else " (differs)")
        else:
            verdict = "DIFFERENT"
            diffs.append((step, what, excerpt(b, a)))
        rows.append((step, what, verdict))
    return rows, diffs


def collapse(rows):
    """One "(exit code, stdout, stderr)" row per step when all three are identical."""
    out, i = [], 0
    while i < len(rows):
        trio = rows[i : i + 3]
        if (
            len(trio) == 3
            and [r[1] for r in trio] == ["(exit code)", "(stdout)", "(stderr)"]
            and len({r[0] for r in trio}) == 1
            and all(r[2] == "identical" for r in trio)
        ):
            out.append((trio[0][0], "(exit code, stdout, stderr)", "identical"))
            i += 3
        else:
            out.append(rows[i])
            i += 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="git revision of the reference code")
    parser.add_argument(
        "--after",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="checkout or worktree to check, as on disk (default: the one holding this script)",
    )
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="always run BEFORE twice, to report non-determinism even when nothing differs",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    opts = parser.parse_args()
    after_dir = opts.after.resolve()
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="circle-identical-"))
    try:
        sha = export_rev(after_dir, opts.before, root / "src" / "before")
        copy_checkout(after_dir, root / "src" / "after")
        print(
            f"before: {opts.before} ({sha[:12]}); after: {after_dir} (as on disk)", file=sys.stderr
        )
        numba = {v: root / f"numba-{v}" for v in ("before", "after")}
        before = run_pass("before", root / "src" / "before", root, numba["before"], None)
        manifests = before.folder  # the BEFORE code's manifests, rerun by both versions
        after = run_pass("after", root / "src" / "after", root, numba["after"], manifests)
        rows, diffs = compare(before, after, None)
        again = None
        if opts.repeat or diffs:
            print(
                "[before, again] checking what differs between two runs of the same code",
                file=sys.stderr,
            )
            again = run_pass(
                "before-again", root / "src" / "before", root, numba["before"], manifests
            )
            rows, diffs = compare(before, after, again)
        rows = collapse(rows)
        w1 = max(len(r[0]) for r in rows)
        w2 = max(len(r[1]) for r in rows)
        print(f"{'step':<{w1}}  {'file':<{w2}}  verdict")
        print(f"{'-' * w1}  {'-' * w2}  -------")
        for step, what, verdict in rows:
            print(f"{step:<{w1}}  {what:<{w2}}  {verdict}")
        for step, what, lines in diffs:
            print(f"\n=== DIFFERENT: {step} {what}")
            print("\n".join(lines))
        flaky = [r for r in rows if r[2].startswith("not deterministic")]
        total = time.perf_counter() - started
        passes = [before, after] + ([again] if again else [])
        print(
            f"\n{len(rows)} rows: {len(diffs)} different, {len(flaky)} not deterministic; "
            + ", ".join(f"{p.label} {p.seconds:.0f} s" for p in passes)
            + f", {total:.0f} s in all"
        )
        if opts.keep:
            print(f"kept: {root}")
        return 1 if diffs else 0
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
