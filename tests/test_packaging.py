"""The distribution: its own name, metadata files, a version from tags, and a lean base install
whose optional features each say which extra they need (issue 25)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from circle._extras import DISTRIBUTION, EXTRAS

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DATA = ROOT / "data"

# Runs circle's CLI with some top-level packages made unimportable (as in a base install).
BLOCKED_RUN = """
import sys, importlib.abc
BLOCKED = set(sys.argv[1].split(","))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Block())
if sys.argv[2] == "-c":
    exec(sys.argv[3])
else:
    from circle.cli import main
    sys.argv = ["circle", *sys.argv[2:]]
    main()
"""


def _run_without(blocked: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CIRCLE_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, blocked, *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False,
    )


def test_distribution_name_is_not_the_taken_circle():
    assert PYPROJECT["project"]["name"] == DISTRIBUTION == "circle-planner"
    assert PYPROJECT["project"]["scripts"] == {"circle": "circle.cli:main"}


def test_every_install_hint_names_the_distribution():
    """No message or doc tells users to `pip install circle…` (that fetches circle 1.1, 2013)."""
    wrong = re.compile(r"pip install ['\"]?circle(?![-\w])")
    files = [*ROOT.glob("circle/**/*.py"), *ROOT.glob("circle/locale/**/*.po"),
             ROOT / "README.md", *ROOT.glob("docs/**/*.md")]
    offenders = [f"{p.relative_to(ROOT)}" for p in files if wrong.search(p.read_text("utf-8"))]
    assert offenders == []


def test_metadata_files_and_fields():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["source"] == "vcs"
    assert PYPROJECT["tool"]["hatch"]["version"]["fallback-version"]  # no tags, no git: still builds
    assert "MIT License" in (ROOT / "LICENSE").read_text("utf-8")
    assert project["license-files"] == ["LICENSE"]
    assert any(c.startswith("License :: OSI Approved :: MIT") for c in project["classifiers"])
    assert project["urls"]
    cff = (ROOT / "CITATION.cff").read_text("utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M)
    assert re.search(r"^title: ", cff, re.M) and re.search(r"^authors:", cff, re.M)
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text("utf-8")


def test_base_install_is_lean_and_extras_complete():
    base = " ".join(PYPROJECT["project"]["dependencies"])
    # matplotlib is in the base install: every --out run draws report.pdf's map (issue 19); so is
    # tqdm (pure Python, no dependencies): every command's progress bars (issue 23)
    assert "tqdm" in base
    for heavy in ("rasterio", "pyarrow"):
        assert heavy not in base
    assert "matplotlib" in base
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    assert extras["all"] == [f"{DISTRIBUTION}[{','.join(['raster', 'plot', 'parquet', 'db', 'dask'])}]"]
    assert any(req.startswith(f"{DISTRIBUTION}[all") for req in extras["test"])


@pytest.fixture(scope="module")
def parquet_centres(tmp_path_factory) -> Path:
    import geopandas as gpd

    path = tmp_path_factory.mktemp("pq") / "centres.parquet"
    gpd.read_file(DATA / "helsinki_centres.geojson").to_parquet(path)
    return path


@pytest.mark.parametrize(
    ("blocked", "extra", "args"),
    [
        ("rasterio", "raster", ["coverage", "--population-raster", "{tmp}/people.tif"]),
        ("pyarrow", "parquet", ["coverage", "--centres", "{parquet}"]),
        ("sqlalchemy,psycopg,geoalchemy2", "db",
         ["coverage", "--centres", "postgresql://localhost/x?table=centres"]),
        ("distributed,dask", "dask", ["coverage", "--partition", "tiles", "--gates", "none", "--out", "{tmp}/parts"]),
        ("matplotlib", "plot", ["-c", "import circle; circle.StudyArea.bundled().coverage().plot()"]),
    ],
)
def test_a_feature_without_its_extra_exits_1_naming_it(
    tmp_path, parquet_centres, blocked, extra, args
):
    (tmp_path / "people.tif").write_bytes(b"")  # never opened: the extra is checked first
    args = [a.format(tmp=tmp_path, parquet=parquet_centres) for a in args]
    result = _run_without(blocked, *args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert f"{DISTRIBUTION}[{extra}]" in result.stderr
    assert "Traceback" not in result.stderr or args[0] == "-c"


def test_the_cache_follows_xdg_cache_home(tmp_path, monkeypatch):
    from circle.network.load import cache_dir

    monkeypatch.delenv("CIRCLE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache_dir() == tmp_path / "xdg" / "circle"
    monkeypatch.setenv("CIRCLE_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
