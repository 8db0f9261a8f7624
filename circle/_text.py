"""Text shared by the reports: Markdown escaping, one-line data strings, number formats."""

from __future__ import annotations

import math

__all__ = ["first_line", "fmt_int", "fmt_num", "fmt_pct", "md", "md_code", "md_row", "plain"]


def fmt_num(x: float | None, digits: int = 0) -> str:
    """A number with thousands separators, or "–" when missing."""
    return "–" if x is None else f"{x:,.{digits}f}"


def fmt_int(x: float | None) -> str:
    """A count or population, rounded, with thousands separators; "–" when missing."""
    return fmt_num(x, 0)


def fmt_pct(x: float | None) -> str:
    """A share (0-1) as a percentage with one decimal; "–" when missing."""
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def first_line(err: BaseException | str) -> str:
    """The first line of an exception's message, or its class name when it has none."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def md_row(cells: list[str]) -> str:
    """A Markdown table row."""
    return "| " + " | ".join(cells) + " |"


#: Markdown and HTML characters in data strings, made literal: summary.md is shown by Markdown
#: viewers that pass HTML through, so a name like ``<img onerror=...>`` must stay text
MD_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
        "#": "\\#",
    }
)
#: control characters (line breaks, terminal escape sequences) in data strings become spaces
CONTROL = str.maketrans({c: " " for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]})


def md(text) -> str:
    """A data string (name, id, file name) as inert Markdown text on one line."""
    return plain(text).translate(MD_ESCAPES)


def md_code(text) -> str:
    """A data string for inside a Markdown code span: one line, no backtick to close the span."""
    return plain(text).replace("`", "'")


def plain(text) -> str:
    """A data string on one line without control characters (safe to print to a terminal)."""
    return str(text).translate(CONTROL)
