"""Issue 24 (trust): untrusted manifests, a network cache that heals, result folders that stay
whole, and one line (never a traceback) for each of these mistakes.

The fault-injection tests run real processes (``python -m circle``): the cache made unwritable,
emptied and truncated; a rename failing mid-way (an immutable file, and the testing hook
CIRCLE_TEST_FAIL_RENAME); two runs on one --out at once; SIGKILL in the middle of the commit.
After each, the folder holds one whole run (every sha256 in its manifest matches) or the
previous one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# ---- helpers -------------------------------------------------------------------------------------


def circle(*args, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """``python -m circle ARGS`` in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "circle", *map(str, args)], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, **(env or {})}, timeout=600, **kwargs,
    )


def popen(*args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "circle", *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )


def one_line(stderr: str, *needles: str) -> str:
    """The single error line (click's ``Error: ...``); no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def whole(folder: Path) -> float:
    """Every output the folder's manifest lists matches its sha256; returns the run's speed."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert not list(folder.glob(".circle-*"))
    return manifest["job"]["config"]["walk_speed_kmh"]


@pytest.fixture(scope="module")
def _report_once(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("once") / "report"
    res = circle("-q", "coverage", "--out", out)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture
def report(_report_once, tmp_path) -> Path:
    """A finished bare-demo report at 4 km/h (a copy of one run, for each test to change)."""
    out = tmp_path / "report"
    shutil.copytree(_report_once, out)
    return out


@pytest.fixture(scope="module")
def good_manifest(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("m") / "report"
    res = circle("-q", "coverage", "--out", out)
    assert res.returncode == 0, res.stderr
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


# ---- manifests as untrusted input ----------------------------------------------------------------


def _edit(manifest: dict, change) -> dict:
    m = json.loads(json.dumps(manifest))
    change(m)
    return m


MALFORMED = {
    "not JSON": (b"{not json", "not a JSON manifest"),
    "not UTF-8": (b"\xff\xfe\x00garbage", "not a JSON manifest"),
    "a list": (b"[1, 2]", "not a circle manifest"),
    "NaN": (b'{"circle_manifest": NaN}', "not a JSON manifest"),
    "unknown key": (lambda m: m.update(shell="rm -rf /"), "unknown key 'shell'"),
    "missing key": (lambda m: m.pop("outputs"), "the key 'outputs' is missing"),
    "wrong type": (
        lambda m: m["job"]["config"].update(walk_speed_kmh="fast"), "must be a finite number"
    ),
    "bad value": (lambda m: m["job"]["config"].update(walk_speed_kmh=-4), "walk_speed_kmh"),
    "absolute output": (
        lambda m: m["outputs"].update({"/etc/shadow": "0" * 64}), "is not one of circle's outputs"
    ),
    "output outside the folder": (
        lambda m: m["outputs"].update({"../coverage.csv": "0" * 64}), "not one of circle's"
    ),
    "extra_files": (
        lambda m: m["presentation"].update(extra_files={"/tmp/x": "pwned"}),
        "unknown key 'extra_files'",
    ),
    "bad sha256": (
        lambda m: m["outputs"].update({"coverage.csv": "abc"}), "must be a sha256 digest"
    ),
    "password in URL": (
        lambda m: m["job"].update(centres="postgresql://u:hunter2@evil.example/db?table=t"),
        "holds a database password",
    ),
    "libpq parameter": (
        lambda m: m["job"].update(centres="postgresql://u@h/db?table=t&hostaddr=10.0.0.1"),
        "URL parameter 'hostaddr'",
    ),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_manifest_is_one_line_and_runs_nothing(kind, good_manifest, cli_runner,
                                                             tmp_path):
    content, expect = MALFORMED[kind]
    path = tmp_path / "manifest.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(_edit(good_manifest, content)), encoding="utf-8")
    res = cli_runner(["rerun", path, "--out", tmp_path / "out"])
    assert res.exit_code == 1, res.output
    one_line(res.output, expect)
    assert "hunter2" not in res.output
    assert not (tmp_path / "out").exists()


def test_extra_files_cannot_write_outside_the_folder(good_manifest, cli_runner, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    m = _edit(good_manifest, lambda m: m["presentation"].update(
        extra_files={str(victim): "overwritten", str(tmp_path / "new.txt"): "created"}))
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    res = cli_runner(["rerun", tmp_path / "manifest.json"])
    assert res.exit_code == 1
    assert victim.read_text() == "mine\n" and not (tmp_path / "new.txt").exists()


def test_outputs_cannot_name_a_file_elsewhere(good_manifest, cli_runner, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret")
    digest = hashlib.sha256(b"s3cret").hexdigest()
    m = _edit(good_manifest, lambda m: m["outputs"].update({str(secret): "0" * 64}))
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    res = cli_runner(["rerun", tmp_path / "manifest.json"])
    assert res.exit_code == 1 and digest[:12] not in res.output


def test_a_terminal_escape_in_a_manifest_path_is_printed_escaped(good_manifest, cli_runner,
                                                                   tmp_path):
    m = _edit(good_manifest, lambda m: m["inputs"]["network"].update(
        path="/nowhere/\x1b[2Jevil\nname.osm"))
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    res = cli_runner(["rerun", tmp_path / "manifest.json"])
    assert res.exit_code == 1
    line = one_line(res.output, "is missing")
    assert "\x1b" not in res.output and "\\x1b[2Jevil\\nname.osm" in line


def test_the_bare_demo_reruns(report):
    res = circle("rerun", report / "manifest.json")
    assert res.returncode == 0, res.stderr
    assert "reproduced" in res.stdout


# ---- PostGIS: queries, credentials, reruns ------------------------------------------------------


@pytest.fixture
def db_report(pg_server, pg_db, bundled, tmp_path):
    """A coverage run whose centres come from PostGIS (a table), and its folder."""
    pg_server.psql("CREATE TABLE keep (x int); INSERT INTO keep VALUES (1)", dbname=pg_db)
    url = pg_server.url(pg_db)
    import geopandas as gpd
    import sqlalchemy as sa

    con = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    gpd.read_file(bundled[1]).to_postgis("centres", con)
    con.dispose()
    res = circle("-q", "coverage", "--centres", f"{url}?table=centres", "--out", tmp_path / "r")
    assert res.returncode == 0, res.stderr
    return url, tmp_path / "r"


def _own_env(pg_server) -> dict:
    return {"PGHOST": pg_server.host, "PGPORT": str(pg_server.port),
            "PGPASSWORD": pg_server.password}


def test_a_postgis_run_reruns_with_the_users_own_credentials(db_report, pg_server):
    url, out = db_report
    manifest = (out / "manifest.json").read_text()
    assert pg_server.password not in manifest and ":***@" in manifest
    res = circle("rerun", out / "manifest.json", env=_own_env(pg_server))
    assert res.returncode == 0, res.stderr
    assert "the manifest reads centres: postgresql://postgres:***@127.0.0.1" in res.stderr
    assert pg_server.password not in res.stderr + res.stdout


class _FakeServer:
    """A PostgreSQL impostor on a free port: asks for a clear-text password, records any sent."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                con, _ = self.sock.accept()
                with con:
                    con.settimeout(10)
                    n = struct.unpack("!I", con.recv(4))[0]
                    body = con.recv(n - 4)
                    while struct.unpack("!I", body[:4])[0] in (80877103, 80877104):
                        con.sendall(b"N")  # no SSL, no GSS encryption
                        n = struct.unpack("!I", con.recv(4))[0]
                        body = con.recv(n - 4)
                    con.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartext
                    data = con.recv(4096)
                    if data:
                        self.received.append(data)


def test_another_host_in_a_manifest_never_gets_the_password(db_report, pg_server):
    url, out = db_report
    fake = _FakeServer()
    m = json.loads((out / "manifest.json").read_text())
    m["job"]["centres"] = m["job"]["centres"].replace(f":{pg_server.port}/", f":{fake.port}/")
    (out / "manifest.json").write_text(json.dumps(m))
    res = circle("rerun", out / "manifest.json", env=_own_env(pg_server))
    assert res.returncode == 1
    one_line(res.stderr, "cannot connect", "your own credentials")
    assert not any(pg_server.password.encode() in d for d in fake.received)
    assert pg_server.password not in res.stderr


INJECTION = "SELECT * FROM centres) AS q LIMIT 0; DROP TABLE keep; COMMIT; SELECT * FROM (SELECT 1"


def test_a_query_option_cannot_escape_its_select(db_report, pg_server, pg_db):
    url, out = db_report
    res = circle("-q", "coverage", "--db", url, "--centres-query", INJECTION, "--out", out.parent / "x")
    assert res.returncode == 1
    one_line(res.stderr, "more than one statement")
    assert pg_server.psql("SELECT count(*) FROM keep", dbname=pg_db) == "1"


def test_a_query_runs_read_only(db_report, pg_server, pg_db):
    url, out = db_report
    pg_server.psql("CREATE SEQUENCE counter", dbname=pg_db)
    query = "SELECT * FROM centres WHERE nextval('counter') > 0"  # writes: refused read-only
    res = circle("-q", "coverage", "--db", url, "--centres-query", query, "--out", out.parent / "y")
    assert res.returncode == 1
    one_line(res.stderr, "read-only transaction")
    assert pg_server.psql("SELECT count(*) FROM keep", dbname=pg_db) == "1"


def test_a_manifest_query_needs_allow_queries_and_then_runs_read_only(db_report, pg_server, pg_db):
    import urllib.parse

    url, out = db_report
    m = json.loads((out / "manifest.json").read_text())
    base = m["job"]["centres"].split("?")[0]
    m["job"]["centres"] = base + "?query=" + urllib.parse.quote(INJECTION)
    (out / "manifest.json").write_text(json.dumps(m))
    res = circle("rerun", out / "manifest.json", env=_own_env(pg_server))
    assert res.returncode == 1
    one_line(res.stderr, "only with --allow-queries")
    res = circle("rerun", out / "manifest.json", "--allow-queries", env=_own_env(pg_server))
    assert res.returncode == 1
    one_line(res.stderr, "more than one statement")
    assert pg_server.psql("SELECT count(*) FROM keep", dbname=pg_db) == "1"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://u:s3cret@[::1/db?table=t", "s3cret"),  # a malformed IPv6 host
        ("postgresql://u:pa@ss-tail@127.0.0.1:1/db?table=t", "ss-tail"),  # an unencoded @
    ],
)
def test_a_malformed_database_url_is_one_line_and_masked(url, secret):
    res = circle("-q", "coverage", "--centres", url)
    assert res.returncode == 1, res.stderr
    one_line(res.stderr, "***")
    assert secret not in res.stderr and "pa@" not in res.stderr


# ---- the network cache heals ---------------------------------------------------------------------


def _cache_file(cache: Path) -> Path:
    (found,) = cache.glob("network-*.npz")
    return found


@pytest.mark.parametrize("damage", ["emptied", "truncated", "flipped"])
def test_a_damaged_cache_is_rebuilt_with_a_warning(damage, tmp_path):
    cache = tmp_path / "cache"
    env = {"CIRCLE_CACHE_DIR": str(cache)}
    first = circle("-q", "coverage", "--out", "-", env=env)  # coverage.csv on stdout
    assert first.returncode == 0, first.stderr
    f = _cache_file(cache)
    data = f.read_bytes()
    changed = {"emptied": b"", "truncated": data[: len(data) // 2],
               "flipped": data[:200] + bytes([data[200] ^ 1]) + data[201:]}[damage]
    f.write_bytes(changed)
    res = circle("coverage", "--out", "-", env=env)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("is damaged") == 1 and "rebuilding it" in res.stderr
    assert res.stdout == first.stdout  # the same coverage table from the rebuilt network
    res = circle("coverage", "--out", "-", env=env)  # healed: no warning
    assert res.returncode == 0 and "is damaged" not in res.stderr


@pytest.mark.parametrize("how", ["a file in its place", "read-only", "a full disk"])
def test_an_unwritable_cache_turns_caching_off_with_one_warning(how, tmp_path):
    cache = tmp_path / "cache"
    if how == "a file in its place":
        cache.write_text("not a folder")
    elif how == "read-only":
        cache.mkdir()
        subprocess.run(["chattr", "+i", str(cache)], check=True)
    else:  # a 16 kB disk: the cache (hundreds of kB) cannot be written, the run's folder can
        cache.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(cache)],
                          capture_output=True).returncode != 0:
            pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        res = circle("coverage", "--out", tmp_path / "o", env={"CIRCLE_CACHE_DIR": str(cache)})
    finally:
        subprocess.run(["chattr", "-i", str(cache)], check=False, capture_output=True)
        if how == "a full disk":
            assert list(cache.iterdir()) == []  # no partial cache file left behind
            subprocess.run(["umount", str(cache)], check=True)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("cannot write the network cache") == 1
    assert "caching is off" in res.stderr
    whole(tmp_path / "o")


# ---- whole outputs ---------------------------------------------------------------------------------


def test_a_rename_failing_midway_leaves_the_previous_run(report):
    res = circle("-q", "coverage", "--speed-kmh", "3", "--out", report, "--overwrite",
                 env={"CIRCLE_TEST_FAIL_RENAME": "3"})
    assert res.returncode == 1
    one_line(res.stderr, "the previous files are back in place")
    assert whole(report) == 4.0


def test_an_immutable_output_file_leaves_the_previous_run(report):
    subprocess.run(["chattr", "+i", str(report / "summary.json")], check=True)
    try:
        res = circle("-q", "coverage", "--speed-kmh", "3", "--out", report, "--overwrite")
    finally:
        subprocess.run(["chattr", "-i", str(report / "summary.json")], check=True)
    assert res.returncode == 1
    one_line(res.stderr, "cannot move summary.json into place", "previous files are back")
    assert whole(report) == 4.0


def test_two_runs_on_one_out_never_mix(report):
    """The first holds the folder's lock (paused before its moves); the second waits, then
    replaces the whole run."""
    first = popen("coverage", "--speed-kmh", "3", "--out", report, "--overwrite",
                  env={"CIRCLE_TEST_PAUSE_BEFORE_RENAME": "4"})
    time.sleep(0.5)
    second = circle("coverage", "--speed-kmh", "5", "--out", report, "--overwrite")
    first.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert whole(report) in (3.0, 5.0)


def test_a_second_run_gives_up_with_one_line_when_the_lock_is_held(report):
    before = sorted(p.name for p in report.iterdir())
    first = popen("coverage", "--speed-kmh", "3", "--out", report, "--overwrite",
                  env={"CIRCLE_TEST_PAUSE_BEFORE_RENAME": "30"})
    try:
        deadline = time.monotonic() + 120
        while not list(report.glob(".circle-*")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = circle("-q", "coverage", "--speed-kmh", "5", "--out", report, "--overwrite",
                        env={"CIRCLE_LOCK_WAIT_S": "1"})
    finally:
        first.kill()
        first.communicate()
    assert second.returncode == 1
    one_line(second.stderr, "another circle run is still writing to this folder")
    left = sorted(p.name for p in report.iterdir() if not p.name.startswith(".circle-"))
    assert left == before and whole_ignoring_staging(report) == 4.0


def whole_ignoring_staging(folder: Path) -> float:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    return manifest["job"]["config"]["walk_speed_kmh"]


def test_sigkill_in_the_middle_of_the_commit_is_rolled_back_by_the_next_run(report):
    proc = popen("coverage", "--speed-kmh", "3", "--out", report, "--overwrite",
                 env={"CIRCLE_TEST_PAUSE_MID_COMMIT": "2"})
    deadline = time.monotonic() + 300
    seen = ""
    while "files moved, pausing" not in seen:
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += proc.stderr.readline()
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert list(report.glob(".circle-*"))  # nothing could clean up
    res = circle("coverage", "--speed-kmh", "5", "--out", report, "--overwrite",
                 env={"CIRCLE_TEST_FAIL_RENAME": "1"})  # recovers, then fails its own move
    assert res.returncode == 1
    assert "left behind by an interrupted circle run" in res.stderr
    assert "put back as they were" in res.stderr
    assert whole(report) == 4.0


def test_a_staging_folder_left_by_a_killed_run_is_removed_and_reported(report):
    """SIGKILL with every file staged, none moved: the previous run stays; the next run removes
    the staging folder, says so, and writes its own run whole."""
    proc = popen("coverage", "--speed-kmh", "3", "--out", report, "--overwrite",
                 env={"CIRCLE_TEST_PAUSE_BEFORE_RENAME": "600"})
    deadline = time.monotonic() + 300
    seen = ""
    while "pausing" not in seen:
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += proc.stderr.readline()
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    (left,) = report.glob(".circle-*")
    assert whole_ignoring_staging(report) == 4.0
    res = circle("coverage", "--speed-kmh", "5", "--out", report, "--overwrite")
    assert res.returncode == 0, res.stderr
    assert f"removed {left.name}, left behind by an interrupted circle run" in res.stderr
    assert whole(report) == 5.0


# ---- one line instead of a traceback -------------------------------------------------------------


def test_a_read_only_out_is_one_line(report):
    subprocess.run(["chattr", "+i", str(report)], check=True)
    try:
        res = circle("-q", "coverage", "--speed-kmh", "3", "--out", report, "--overwrite")
    finally:
        subprocess.run(["chattr", "-i", str(report)], check=True)
    assert res.returncode == 1
    one_line(res.stderr, "cannot write in the output folder")
    assert whole(report) == 4.0


def test_a_full_disk_is_one_line(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        res = circle("-q", "coverage", "--out", disk / "report")
        assert res.returncode == 1
        one_line(res.stderr, "No space left on device", "nothing was changed")
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_300_character_name_is_one_line(tmp_path):
    res = circle("-q", "coverage", "--out", tmp_path / ("x" * 300))
    assert res.returncode == 1
    one_line(res.stderr, "File name too long")


def test_a_sweep_scenario_named_comparison_is_refused_up_front(tmp_path):
    scenarios = tmp_path / "s.toml"
    scenarios.write_text('[[scenario]]\nname = "baseline"\n[[scenario]]\nname = "comparison"\n')
    res = circle("-q", "sweep", scenarios, "--out", tmp_path / "out")
    assert res.returncode == 1
    one_line(res.stderr, "'comparison' is reserved")
    assert not (tmp_path / "out").exists()
