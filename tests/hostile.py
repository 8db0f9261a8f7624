"""Hostile strings for any output that shows data to people (Markdown, HTML maps, terminal).

Reuse them in tests of every output built from names, ids, types or file names::

    from .hostile import HOSTILE_NAMES, assert_inert_html, assert_no_raw_markup

`assert_no_raw_markup` suits HTML that legitimately holds scripts (folium maps): no hostile
string may appear verbatim. `assert_inert_html` is stricter, for documents that should hold no
active content at all (rendered Markdown): only the allowed tags, no event handlers or
``javascript:`` links, and every hostile string visible as plain text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: names a planner's spreadsheet (or an attacker's) may contain
HOSTILE_NAMES = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[click me](javascript:alert(1))",
    "Tom & Jerry &amp; &#60;b&#62;",
    "a | b | c",
    "`code` **bold** _em_ ~~gone~~",
    "# heading\nnew line\r\nand\ttab",
    "\x1b[31mred\x1b[0m terminal escape",
    "沈阳市<b>就业</b>服务中心",
    "'; DROP TABLE centres; --",
    "back\\slash \\| pipe",
]

#: tags a rendered circle Markdown report may contain (headings, paragraphs, lists, tables)
REPORT_TAGS = {"h1", "h2", "p", "ul", "li", "strong", "table", "thead", "tbody", "tr", "th", "td"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def visible(text: str) -> str:
    """How a string reads on screen: control characters as spaces, whitespace collapsed."""
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text)
    return " ".join(text.split())


def assert_inert_html(html: str, names: list[str], allowed_tags: set[str]) -> None:
    """Only `allowed_tags`, no event handlers or script links, and each name shown as text."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in allowed_tags, f"unexpected <{tag}> in the rendered output"
        for key, value in attrs:
            assert not key.startswith("on"), f"event handler {key} on <{tag}>"
            assert "javascript:" not in (value or "").lower(), f"script link on <{tag}>"
    shown = visible("".join(parser.text))
    for name in names:
        assert visible(name) in shown, f"{name!r} is not shown literally"


def assert_no_raw_markup(html: str, names: list[str]) -> None:
    """No hostile string holding a tag (``<``) appears verbatim, i.e. unescaped, in `html`."""
    for name in names:
        if "<" in name:
            assert name not in html, f"{name!r} appears unescaped"
