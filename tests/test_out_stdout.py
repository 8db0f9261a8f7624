"""`--out -` (issue 25): `circle coverage` writes coverage.csv's bytes to stdout; every other
command refuses it with one line and exit 2 (never a folder named `-`)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_coverage_out_dash_writes_the_csv_table_to_stdout(cli_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli_runner(["-q", "coverage", "--out", "-"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert not Path("-").exists()
    ref = cli_runner(["-q", "coverage", "--out", tmp_path / "ref"], catch_exceptions=False)
    assert ref.exit_code == 0
    assert res.stdout_bytes == (tmp_path / "ref" / "coverage.csv").read_bytes()


@pytest.mark.parametrize(
    "args",
    [
        ["isochrones", "--out", "-"],
        ["map", "--out", "-"],
        ["site", "--add", "1", "--out", "-"],
        ["extract", "data.osm.pbf", "--out", "-"],
        ["coverage", "--out", "-", "--map"],
        ["coverage", "--out", "-", "--overwrite"],
    ],
)
def test_other_outputs_refuse_dash_with_one_line(cli_runner, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    res = cli_runner(args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert not Path("-").exists()
