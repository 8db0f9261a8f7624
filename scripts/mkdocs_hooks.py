"""mkdocs hooks of the documentation site (mkdocs.yml): the Python API page from circle's
public names, and the command-line reference in English whatever the builder's locale."""

from __future__ import annotations

import os
import re
from collections import defaultdict

#: where docs/api.md lists the public API (one mkdocstrings block per public name)
API_MARKER = "<!-- circle:public-api -->"


def on_config(config, **kwargs):
    # the help texts go through gettext (circle.i18n): the reference is the English one
    os.environ["CIRCLE_LANG"] = "en"
    return config


def public_api_markdown() -> str:
    """A section per defining module, a mkdocstrings block per public name of `circle`."""
    import circle

    by_module: dict[str, list[str]] = defaultdict(list)
    for name, module in circle._PUBLIC.items():  # noqa: SLF001 (the registry of public names)
        by_module[module].append(name)
    parts = []
    for module in sorted(by_module):
        parts.append(f"## `circle.{module}`\n")
        parts.extend(f"::: circle.{name}\n" for name in sorted(by_module[module]))
    return "\n".join(parts)


def on_page_markdown(markdown, page, config, files, **kwargs):
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, public_api_markdown())
    return markdown


#: the "Examples:" block of a command's help, which click keeps as written (``\b``) and Markdown
#: would run together into one paragraph
_EXAMPLES = re.compile(r"<p>Examples:\n(.*?)</p>", re.S)


def on_page_content(html, page, config, files, **kwargs):
    return _EXAMPLES.sub(lambda m: f"<p>Examples:</p>\n<pre><code>{m.group(1)}</code></pre>", html)
