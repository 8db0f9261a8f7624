"""The package's shape, checked: one-way imports between layers, a light start, typed code, and
modules and functions of a readable size."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "circle"

#: libraries that `import circle` and `circle --help` must not load (issue 17)
HEAVY = (
    "folium",
    "numba",
    "scipy.optimize",
    "networkx",
    "rasterio",
    "matplotlib",
    "dask",
    "sqlalchemy",
)

#: functions allowed over the size limit, (module, function) -> the reason; none today
LONG_FUNCTIONS: dict[tuple[str, str], str] = {}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 700


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _loaded_after(code: str) -> list[str]:
    """The heavy libraries in sys.modules after running `code` in a fresh interpreter."""
    probe = (
        "import sys, json\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except SystemExit:\n    pass\n"
        f"sys.stderr.write('\\nLOADED=' + json.dumps([m for m in {list(HEAVY)!r} "
        "if m in sys.modules]) + '\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), check=False
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED=")]
    assert line, done.stderr
    return json.loads(line[-1].removeprefix("LOADED="))


@pytest.mark.parametrize(
    "code",
    [
        "import circle",
        "import circle.cli\nsys.argv = ['circle', '--help']\ncircle.cli.main()",
        "import circle.cli\nsys.argv = ['circle', '--version']\ncircle.cli.main()",
        "import circle.cli\nsys.argv = ['circle', 'coverage', '--help']\ncircle.cli.main()",
    ],
    ids=["import", "help", "version", "coverage-help"],
)
def test_start_loads_no_heavy_library(code):
    assert _loaded_after(code) == []


def test_public_names_load_on_first_use():
    import circle

    for name in circle.__all__:
        assert getattr(circle, name) is not None, name
    assert "StudyArea" in dir(circle)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = circle.nothing_here


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    assert lint, "import-linter is in the test extra"
    env = _env()
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [lint, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_layers_contract_holds():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_layers_contract_fails_when_a_lower_layer_imports_a_higher_one(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "circle", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "circle" / "io" / "datums.py"
    target.write_text(target.read_text() + "\nfrom ..report import coverage as _upward\n")
    done = _lint_imports(tmp_path)
    assert done.returncode == 1
    assert "circle.io.datums -> circle.report.coverage" in done.stdout


def test_mypy_finds_no_error():
    mypy_api = pytest.importorskip("mypy.api")
    stdout, stderr, status = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml")])
    assert status == 0, stdout + stderr


def _sizes():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_vendor" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        yield rel, None, len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # lines of the body after the docstring: the code a reader has to hold
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:]
                start = body[0].lineno if body else node.lineno
                yield rel, node.name, node.end_lineno - start + 1


def test_modules_and_functions_have_a_readable_size():
    too_long = []
    for rel, name, lines in _sizes():
        if name is None and lines > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {lines} lines")
        elif name is not None and lines > MAX_FUNCTION_LINES and (rel, name) not in LONG_FUNCTIONS:
            too_long.append(f"{rel}::{name}: {lines} lines")
    assert too_long == []
