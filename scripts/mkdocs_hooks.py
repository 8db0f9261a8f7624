"""mkdocs hooks of the documentation site (mkdocs.yml): the Python API page from circle's
public names, the command-line reference in English whatever the builder's locale, and the guide
pages made of the README's sections.

A guide page names README sections by heading, one marker a line::

    <!-- circle:readme ## Reliability -->
    <!-- circle:readme ## `circle site` > ### Bad input -->

and the section (its heading, text and subsections) takes the marker's place, its heading moved
to level 2. The README's links are rewritten for the site: ``docs/x.png`` becomes ``x.png``, an
anchor ``#section`` points to the page that now holds that section, and a link to a file outside
``docs/`` (``bench/RESULTS.md``) keeps its text without the link (the site has no copy of it);
the notebooks are pages of the site (``notebooks/*.ipynb``, rendered by mkdocs-jupyter). The
README stays the one source of that text: a page cannot drift from it.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from pymdownx.slugs import slugify

ROOT = Path(__file__).resolve().parents[1]
README_MARKER = re.compile(r"^<!-- circle:readme (.+?) -->$", re.M)
_HEADING = re.compile(r"^(#{1,6}) (.+)$")
_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
#: heading slugs as on GitHub, so that the README's own anchors work on the site (mkdocs.yml: toc)
_slug = slugify(case="lower")

#: where docs/api.md lists the public API (one mkdocstrings block per public name)
API_MARKER = "<!-- circle:public-api -->"


def on_config(config, **kwargs):
    # the help texts go through gettext (circle.i18n): the reference is the English one
    os.environ["CIRCLE_LANG"] = "en"
    return config


def readme_sections(text: str) -> list[tuple[list[str], int, int]]:
    """Every section of the README as (heading path, first line, end line), code blocks skipped."""
    lines = text.split("\n")
    heads: list[tuple[int, int, str]] = []  # (line, level, heading line)
    fence = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            fence = None if fence == mark else (fence or mark)
            continue
        m = _HEADING.match(line)
        if m and fence is None:
            heads.append((i, len(m.group(1)), line.strip()))
    sections, stack = [], []  # stack: the enclosing headings (level, heading line)
    for k, (i, level, line) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        end = next((j for j, lv, _ in heads[k + 1:] if lv <= level), len(lines))
        sections.append(([h for _, h in stack] + [line], i, end))
        stack.append((level, line))
    return sections


def readme_section(text: str, wanted: str) -> str:
    """The README section named by `wanted` (``## A`` or ``## A > ### B``), its heading at level 2;
    ``body: ## A`` leaves the heading out (the page has its own) and its subsections at level 3;
    ``intro: ## A`` is its text before its first subsection, without the heading."""
    intro = wanted.startswith("intro: ")
    body_only = intro or wanted.startswith("body: ")
    parts = [p.strip() for p in wanted.split(": ", 1)[-1].split(" > ")] if body_only else [
        p.strip() for p in wanted.split(" > ")]
    lines = text.split("\n")
    found = [(i, end) for path, i, end in readme_sections(text) if path[-len(parts):] == parts]
    if len(found) != 1:
        msg = f"README.md has {len(found)} sections {wanted!r} (a guide page names exactly one)"
        raise ValueError(msg)
    i, end = found[0]
    if intro:
        end = min([j for _, j, _ in readme_sections(text) if i < j < end], default=end)
    shift = len(_HEADING.match(lines[i]).group(1)) - 2 - body_only
    body, fence = [], None
    for line in lines[i + body_only:end]:
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            fence = None if fence == mark else (fence or mark)
        m = _HEADING.match(line) if fence is None else None
        if m:
            line = "#" * max(2, len(m.group(1)) - shift) + " " + m.group(2)
        body.append(line)
    return "\n".join(body).rstrip() + "\n"


def _heading_slugs(markdown: str) -> set[str]:
    fence, slugs = None, set()
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            fence = None if fence == mark else (fence or mark)
        m = _HEADING.match(line) if fence is None else None
        if m:
            slugs.add(_slug(m.group(2), "-"))
    return slugs


_README: dict[str, str] = {}  # the page's source path -> its markdown, README sections included
_ANCHORS: dict[str, str] = {}  # heading slug -> the page that holds it


def _expand(markdown: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return README_MARKER.sub(lambda m: readme_section(readme, m.group(1)), markdown)


@event_priority(50)  # before mkdocs-jupyter's on_files, which makes pages of the notebooks
def on_files(files, config, **kwargs):
    # the notebooks live in notebooks/ (the tests run them there): the site takes them from there
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files.append(File(f"notebooks/{notebook.name}", src_dir=str(ROOT),
                          dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    _README.clear()
    _ANCHORS.clear()
    for f in files.documentation_pages():
        source = Path(f.abs_src_path).read_text(encoding="utf-8")
        if README_MARKER.search(source):
            _README[f.src_uri] = _expand(source)
        for slug in _heading_slugs(_README.get(f.src_uri, source)):
            _ANCHORS.setdefault(slug, f.src_uri)
    return files


def _relink(markdown: str, page_uri: str, files) -> str:
    def one(m: re.Match) -> str:
        bang, text, target = m.groups()
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            return m.group(0)
        if target.startswith("#"):
            page = _ANCHORS.get(target[1:])
            if page is None:
                return text  # a section no page holds
            return m.group(0) if page == page_uri else f"{bang}[{text}]({page}{target})"
        path, _, anchor = target.partition("#")
        if files.get_file_from_path(path) is not None:  # a notebook
            return m.group(0)
        if path.startswith("docs/") and files.get_file_from_path(path[5:]) is not None:
            return f"{bang}[{text}]({path[5:]}{'#' + anchor if anchor else ''})"
        return text  # a file of the repository outside docs/: the text stays, the link goes
    return _LINK.sub(one, markdown)


def public_api_markdown() -> str:
    """A section per defining module, a mkdocstrings block per public name of `circle`."""
    import circle

    by_module: dict[str, list[str]] = defaultdict(list)
    for name, module in circle._PUBLIC.items():  # the registry of public names
        by_module[module].append(name)
    parts = []
    for module in sorted(by_module):
        parts.append(f"## `circle.{module}`\n")
        parts.extend(f"::: circle.{name}\n" for name in sorted(by_module[module]))
    return "\n".join(parts)


def on_page_markdown(markdown, page, config, files, **kwargs):
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, public_api_markdown())
    if page.file.src_uri in _README:
        markdown = _relink(_README[page.file.src_uri], page.file.src_uri, files)
    return markdown


#: the "Examples:" block of a command's help, which click keeps as written (``\b``) and Markdown
#: would run together into one paragraph
_EXAMPLES = re.compile(r"<p>Examples:\n(.*?)</p>", re.S)


def on_page_content(html, page, config, files, **kwargs):
    return _EXAMPLES.sub(lambda m: f"<p>Examples:</p>\n<pre><code>{m.group(1)}</code></pre>", html)
