"""Interrupted runs: outputs are the previous files or none, never truncated, and --out never loses
a file circle did not write.

Real processes (`python -m circle coverage`) are signalled at the most delicate moment: every new
file written to the staging folder, none moved into place yet (the testing hook
CIRCLE_TEST_PAUSE_BEFORE_RENAME holds the run there), and while files are still being written.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import circle.io.outputs
from circle import coverage_report
from circle.io.outputs import atomic_output_dir
from circle.report.coverage import OUTPUT_FILES, write_coverage_outputs
from circle.runs.job import MANIFEST_NAME

from .conftest import points

ROOT = Path(__file__).resolve().parents[1]
HOOK = "testing hook CIRCLE_TEST_PAUSE_BEFORE_RENAME"


def _default_signals() -> None:
    # a child started from a background job inherits SIGINT ignored; give it the defaults back
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


@contextlib.contextmanager
def start(out: Path, *args, pause: float | None = None) -> Iterator[subprocess.Popen]:
    """`circle coverage --out OUT --overwrite ARGS` in its own process, killed if still running
    when the block ends (a failed assertion must not wait out the pause)."""
    env = dict(os.environ)
    if pause is not None:
        env["CIRCLE_TEST_PAUSE_BEFORE_RENAME"] = str(pause)
    with subprocess.Popen(
        [sys.executable, "-m", "circle", "coverage", "--out", str(out), "--overwrite", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_default_signals,
    ) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def wait_for_stderr(proc: subprocess.Popen, text: str, timeout: float = 300) -> None:
    """Read the process's stderr until a line holds `text` (fails if it ends first)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if ready:
            line = proc.stderr.readline()
            if not line:
                pytest.fail(f"the run ended before {text!r}: {''.join(seen)}")
            seen.append(line)
            if text in line:
                return
    proc.kill()
    pytest.fail(f"no {text!r} within {timeout} s")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, hidden ones included, by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def previous(cli_runner, tmp_path) -> tuple[Path, set[str]]:
    """An --out folder holding a finished report (speed 4 km/h) and files circle did not write;
    and the names of circle's files."""
    out = tmp_path / "report"
    assert cli_runner(["-q", "coverage", "--out", str(out)]).exit_code == 0
    written = set(snapshot(out))
    assert set(OUTPUT_FILES) <= written
    (out / "notes.txt").write_text("the planner's own notes\n")
    (out / "maps").mkdir()
    (out / "maps" / "district.geojson").write_text("{}")
    return out, written


@pytest.mark.parametrize(
    ("sig", "exit_code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 1)]
)
def test_signal_before_rename_keeps_the_previous_files(previous, sig, exit_code):
    out, written = previous
    before = snapshot(out)
    with start(out, "--speed-kmh", "3", pause=600) as proc:
        wait_for_stderr(proc, HOOK)
        staged = list(out.glob(".circle-*"))
        assert len(staged) == 1
        assert {p.name for p in staged[0].iterdir()} == written
        proc.send_signal(sig)
        assert proc.wait(timeout=120) == exit_code
    assert snapshot(out) == before  # byte-identical, staging folder gone, nothing else lost


def test_interrupted_first_run_leaves_nothing(tmp_path):
    out = tmp_path / "new" / "report"
    with start(out, pause=600) as proc:
        wait_for_stderr(proc, HOOK)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []  # both folders it made are gone


def test_signal_while_writing_gives_old_or_new_files_never_a_mix(previous, cli_runner, tmp_path):
    """SIGTERM as soon as the staging folder appears, while the files are being written: every
    output is the previous file or (if the run got to the end first) the complete new one."""
    out, written = previous
    new = tmp_path / "new"
    res = cli_runner(["-q", "coverage", "--speed-kmh", "3", "--out", str(new)])
    assert res.exit_code == 0
    old = snapshot(out)
    with start(out, "--speed-kmh", "3") as proc:
        deadline = time.monotonic() + 300
        while not list(out.glob(".circle-*")) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    after = snapshot(out)
    assert not list(out.glob(".circle-*"))
    # the manifest holds the time of the run: complete JSON, old or new; every other file is
    # byte-identical to the old or the new run, all of them the same one
    results = sorted(written - {MANIFEST_NAME})
    outputs = {name: after[name] for name in results}
    assert outputs in ({n: old[n] for n in results}, {n: (new / n).read_bytes() for n in results})
    manifest = json.loads(after[MANIFEST_NAME])
    assert (after[MANIFEST_NAME] == old[MANIFEST_NAME]) == (outputs[results[0]] == old[results[0]])
    assert manifest["outputs"].keys() <= written
    assert {k: v for k, v in after.items() if k not in written} == {
        k: v for k, v in old.items() if k not in written
    }


def test_sigkill_cannot_clean_up_but_previous_files_survive(previous):
    """SIGKILL cannot be caught: the hidden staging folder stays behind, the report does not
    change."""
    out, _ = previous
    before = snapshot(out)
    with start(out, "--speed-kmh", "3", pause=600) as proc:
        wait_for_stderr(proc, HOOK)
        proc.kill()
        proc.wait(timeout=120)
    after = snapshot(out)
    left = {k: v for k, v in after.items() if not k.startswith(".circle-")}
    assert left == before
    assert len(list(out.glob(".circle-*"))) == 1


def test_signal_during_the_renames_is_held_until_all_files_are_in_place(tmp_path, monkeypatch):
    """Ctrl-C while the files are moved into place: the move completes, then the interrupt."""
    real_replace = os.replace
    calls = []

    def replace_and_interrupt(src, dst):
        calls.append(Path(dst).name)
        if len(calls) == 1:
            signal.raise_signal(signal.SIGINT)
        real_replace(src, dst)

    monkeypatch.setattr(circle.io.outputs.os, "replace", replace_and_interrupt)
    names = ["a.csv", "b.json", "c.md"]
    with (
        pytest.raises(KeyboardInterrupt),
        atomic_output_dir(tmp_path, names, overwrite=False) as staging,
    ):
        for name in names:
            (staging / name).write_text(name)
    assert calls == names
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {n: n for n in names}


def test_a_failed_write_removes_the_folder_it_created(tmp_path, line_network, monkeypatch):
    def broken(*args, **kwargs):
        msg = "disk full"
        raise RuntimeError(msg)

    monkeypatch.setattr("circle.report.coverage.summary_markdown", broken)
    result = coverage_report(points([("h1", 50, 5)]), points([("c1", 0, 0)]), line_network)
    out = tmp_path / "report"
    with pytest.raises(RuntimeError, match="disk full"):
        write_coverage_outputs(result, out)
    assert not out.exists()


def test_out_never_touches_files_circle_did_not_write(previous, cli_runner):
    """--overwrite replaces circle's own files only; a refused or failed run changes nothing."""
    previous, ours = previous
    before = snapshot(previous)
    res = cli_runner(["-q", "coverage", "--out", str(previous), "--speed-kmh", "3"])
    assert res.exit_code == 1 and "--overwrite" in res.output
    assert snapshot(previous) == before
    res = cli_runner(["-q", "coverage", "--out", str(previous), "--overwrite",
                              "--centres", str(previous / "notes.txt")])
    assert res.exit_code == 1 and snapshot(previous) == before
    res = cli_runner(["-q", "coverage", "--out", str(previous), "--overwrite",
                              "--speed-kmh", "3"])
    assert res.exit_code == 0
    after = snapshot(previous)
    assert {k for k in after if after[k] != before[k]} <= ours
    assert {k: v for k, v in after.items() if k not in ours} == {
        k: v for k, v in before.items() if k not in ours
    }


def test_a_folder_in_the_way_is_refused_not_replaced(cli_runner, tmp_path):
    out = tmp_path / "report"
    (out / "summary.md").mkdir(parents=True)
    (out / "summary.md" / "keep.txt").write_text("mine")
    res = cli_runner(["-q", "coverage", "--out", str(out), "--overwrite"])
    assert res.exit_code == 1
    assert res.output.strip() == f"Error: {out}: summary.md is a folder; circle replaces only files"
    assert snapshot(out) == {"summary.md/keep.txt": b"mine"}
