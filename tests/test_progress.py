"""Progress bars (issue 23): on a terminal's stderr after a second, never under -q or in pipes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys, time
from circle import _progress
_progress.enable(sys.argv[1] == "on")
for _ in _progress.iterate(range(3), "testing", unit="steps"):
    time.sleep(0.4)
print("done")
"""


def _run(on: str, *, tty: bool, script: str = SCRIPT) -> tuple[str, str]:
    """stdout and stderr of the script, stderr on a pseudo-terminal or a pipe."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if not tty:
        res = subprocess.run([sys.executable, "-c", script, on], capture_output=True,
                             text=True, env=env, check=True)
        return res.stdout, res.stderr
    import fcntl
    import struct
    import termios

    leader, follower = os.openpty()
    # a new pseudo-terminal is 0 columns wide: give it a real terminal's 80
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        res = subprocess.run([sys.executable, "-c", script, on], stdout=subprocess.PIPE,
                             stderr=follower, text=True, env=env, check=True)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other side is closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return res.stdout, b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_bar_shows_on_a_terminal_after_a_second_and_nowhere_else():
    out, err = _run("on", tty=True)
    assert out == "done\n" and "circle: testing" in err and "steps" in err
    out, err = _run("off", tty=True)  # -q
    assert out == "done\n" and err == ""
    out, err = _run("on", tty=False)  # a pipe, a log file, a test's captured stderr
    assert out == "done\n" and err == ""


COVERAGE = """
import sys
from circle import _progress, coverage_report, load_network, read_layer
_progress.enable(sys.argv[1] == "on")
_progress.DELAY_S = 0  # the bundled run takes under a second: show its bar at once
net = load_network("data/helsinki_centre.osm.pbf")
r = coverage_report(read_layer("data/helsinki_communities.geojson"),
                    read_layer("data/helsinki_centres.geojson"), net)
print(int(r.table["covered"].sum()))
"""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_coverage_run_shows_its_steps_on_a_terminal(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CIRCLE_CACHE_DIR", str(tmp_path))  # the first run builds the network
    out, err = _run("on", tty=True, script=COVERAGE)
    quiet_out, quiet_err = _run("off", tty=True, script=COVERAGE)
    assert out == quiet_out and int(out) > 0  # the bar changes nothing but stderr
    assert "circle: coverage" in err and "3/3" in err and quiet_err == ""
    # the step running is named while it runs
    assert "searching" in err and "table" in err
    assert "circle: network" in err and "building" in err


READING = """
import sys
from pathlib import Path
from circle import _progress
from circle.io.pbf import read_pbf_ways
_progress.enable(sys.argv[1] == "on")
_progress.DELAY_S = 0
print(read_pbf_ways(Path("data/helsinki_centre.osm.pbf")).ids.size)
"""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_the_native_reader_shows_the_bytes_read(monkeypatch):
    monkeypatch.chdir(REPO)
    out, err = _run("on", tty=True, script=READING)
    quiet_out, quiet_err = _run("off", tty=True, script=READING)
    assert out == quiet_out and int(out) > 0 and quiet_err == ""
    size = (REPO / "data" / "helsinki_centre.osm.pbf").stat().st_size
    assert "circle: reading helsinki_centre.osm.pbf" in err
    # the bar counts the file's bytes
    assert re.search(rf"\b\d+/{size} ", err), err[-300:]
