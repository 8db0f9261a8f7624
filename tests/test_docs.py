"""The documentation site (issue 25): `mkdocs build --strict` succeeds, the command-line reference
is generated from the click commands and names every command and option, and the API reference
documents every public name of `circle`."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

import circle
from circle.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _build(root: Path, out: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the site whose mkdocs.yml is in `root`, offline (the theme and
    the plugins need no network)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1",
           "CIRCLE_LANG": "zh"}  # the hook makes the reference English whatever the locale
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(root / "mkdocs.yml"), "--site-dir", str(out)],
        # cwd: mkdocs-jupyter keeps a .cache/ folder there, so not in the checkout
        capture_output=True, text=True, cwd=out.parent, env=env, timeout=300, check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built for real in strict mode: a warning (a broken link or anchor, a docstring
    griffe cannot read) fails the build."""
    out = tmp_path_factory.mktemp("site")
    result = _build(ROOT, out)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "WARNING" not in result.stderr, result.stderr[-4000:]
    return out


def test_a_broken_link_fails_the_build(tmp_path):
    """The strict build is a check, not a formality: a copy of the sources with one broken
    link and one broken anchor does not build."""
    for name in ("mkdocs.yml", "README.md", "scripts/mkdocs_hooks.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("*.png"))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    for png in (ROOT / "docs").glob("*.png"):
        (tmp_path / "docs" / png.name).write_bytes(b"")
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text("utf-8") + "\n[gone](no-such-page.md), "
                     "[nowhere](install.md#no-such-section)\n", encoding="utf-8")
    result = _build(tmp_path, tmp_path / "site")
    assert result.returncode != 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2, result.stderr[-4000:]  # these two, nothing else
    assert "no-such-page.md" in warnings[0] and "no-such-section" in warnings[1]


def test_guide_pages_are_the_readme_sections(site):
    """The pages the issue names exist and hold the README's text (made from it at build time:
    README.md stays the one source)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = {p: html.unescape((site / p / "index.html").read_text(encoding="utf-8"))
             for p in ("semantics", "bad-input", "reliability", "benchmarks", "bureau",
                       "notebooks", "data", "siting", "maps", "compare", "scale")}
    assert "中文" in pages["bureau"] and "报告" in pages["bureau"]
    listed = set(re.findall(r"`hostile\[(\w+)\]`", readme))
    assert listed and {c for c in listed if f"hostile[{c}]" not in pages["bad-input"]} == set()
    assert "Walking speed 4.0 km/h" in pages["semantics"]
    assert "10^6 nodes" in pages["benchmarks"]
    # the README's pictures are the site's: docs/x.png becomes x.png next to the pages
    assert 'src="../report_zh.png"' in pages["bureau"]
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):  # rendered (mkdocs-jupyter)
        assert "StudyArea" in (site / "notebooks" / notebook.stem / "index.html").read_text("utf-8")


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    """Every command under `group`, as (full name, command), subgroups walked."""
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, full))
    return found


def _sections(page: str) -> dict[str, str]:
    """The text of the CLI reference page per heading id (a command's section ends at the next
    heading), tags removed and entities unescaped."""
    marks = list(re.finditer(r'<h[1-6][^>]*\bid="([^"]+)"', page))
    sections = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(page)
        text = re.sub(r"<[^>]+>", "", page[mark.end():end])
        sections[mark.group(1)] = html.unescape(text)
    return sections


def _mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_cli_reference_names_every_command_and_option(site):
    sections = _sections((site / "cli" / "index.html").read_text(encoding="utf-8"))
    commands = [("circle", cli), *_commands(cli, "circle")]
    assert len(commands) >= 9  # the group and its eight commands at least
    missing = []
    for full, command in commands:
        anchor = full.replace(" ", "-")
        if anchor not in sections:
            missing.append(full)
            continue
        text = sections[anchor]
        first_line = (command.help or "").split("\n")[0].replace("`", "").strip()
        if first_line not in text:  # the section is this command's (Markdown takes the backticks)
            missing.append(f"{full}: its help text")
        for param in command.get_params(click.Context(command, info_name=full)):
            if isinstance(param, click.Option) and not param.hidden:
                names = [*param.opts, *param.secondary_opts]
                missing.extend(f"{full} {n}" for n in names if not _mentions(text, n))
            elif isinstance(param, click.Argument):
                metavar = param.make_metavar(click.Context(command))
                if metavar not in text:
                    missing.append(f"{full} argument {metavar}")
    assert missing == []


def test_cli_reference_is_generated_not_copied():
    """The page asks mkdocs-click for the commands; no option list is written by hand."""
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "::: mkdocs-click" in page and ":module: circle.cli" in page
    assert ":command: cli" in page
    assert "--network" not in page


def test_api_reference_documents_every_public_name(site):
    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="(circle\.\w+)"', page))
    assert [name for name in circle.__all__
            if name != "__version__" and f"circle.{name}" not in ids] == []


def test_docs_extra_builds_the_site_and_the_tests_install_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", req)[0] for req in extras["docs"]}
    assert {"mkdocs", "mkdocs-material", "mkdocs-click", "mkdocstrings-python",
            "mkdocs-jupyter"} <= names
    assert "circle-planner[docs]" in extras["test"]
