"""Texts for people in English or Chinese: Python's standard `gettext` over circle's catalogue.

The English texts are the message ids; ``circle/locale/zh/LC_MESSAGES/circle.po`` holds their
Chinese translations, compiled into ``circle.mo`` next to it by
``python scripts/compile_catalogue.py`` (a test checks the .mo is up to date). The planning terms
follow ``circle/locale/GLOSSARY.md``.
Only texts change with the language: numbers, file names, JSON keys and CSV columns stay the same.
"""

from __future__ import annotations

import ast
import gettext
import os
import struct
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path

from .errors import ConfigError

__all__ = [
    "CATALOGUE",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "compile_po",
    "default_lang",
    "display_width",
    "extract_messages",
    "pad",
    "read_po",
    "resolve_lang",
    "translator",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CATALOGUE = "circle"
#: languages of the texts; "en" is the message ids themselves
LANGUAGES = ("en", "zh")


def N_(text: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a text for the catalogue where it is translated later (``_(variable)``)."""
    return text


def display_width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, align: str = ">") -> str:
    """`text` padded with spaces to `width` terminal columns (``>`` right, ``<`` left aligned)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if align == ">" else text + fill


def default_lang(environ: dict | None = None) -> str:
    """The language from the environment: CIRCLE_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG).

    Parameters
    ----------
    environ
        Environment variables (default: `os.environ`).

    Returns
    -------
    str
        "zh" when the first of those set starts with ``zh``, else "en".
    """
    env = os.environ if environ is None else environ
    for name in ("CIRCLE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def resolve_lang(lang: str | None) -> str:
    """A checked language code; None means `default_lang`.

    Raises
    ------
    ConfigError
        A language circle has no texts in.
    """
    if lang is None:
        return default_lang()
    if lang not in LANGUAGES:
        msg = f"`lang` must be one of {', '.join(LANGUAGES)}, got {lang!r}"
        raise ConfigError(msg)
    return lang


@cache
def translator(lang: str | None = "en") -> Callable[[str], str]:
    """The function translating an English text into `lang` (conventionally bound to ``_``).

    Parameters
    ----------
    lang
        {"en", "zh"} or None for `default_lang`.

    Returns
    -------
    callable
        ``str -> str``; English returns its argument.
    """
    lang = resolve_lang(lang)
    if lang == "en":
        return str
    find = gettext.translation(CATALOGUE, localedir=LOCALE_DIR, languages=[lang]).gettext
    # gettext("") is the catalogue's header: an empty text (e.g. a blank type) stays empty
    return lambda text: find(text) if text else text


def _unquote(token: str) -> str:
    return ast.literal_eval(token)  # a .po string is a valid Python string literal


def read_po(path: str | Path) -> dict[str, str]:
    """The translations of a .po file (msgid -> msgstr; no plurals or contexts are used).

    Parameters
    ----------
    path
        A .po file (UTF-8).

    Returns
    -------
    dict
        Every entry, the header included (msgid ``""``), in file order.
    """
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None

    def flush() -> None:
        if "msgid" in current:
            entries[current["msgid"]] = current.get("msgstr", "")
        current.clear()

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            key, rest = "msgid", line[6:]
        elif line.startswith("msgstr "):
            key, rest = "msgstr", line[7:]
        elif line.startswith('"') and key is not None:
            rest = line
        else:
            msg = f"{path}: cannot read the line {raw!r}"
            raise ValueError(msg)
        current[key] = current.get(key, "") + _unquote(rest)
    flush()
    return entries


def compile_po(path: str | Path) -> bytes:
    """The GNU .mo file of a .po file, as ``msgfmt`` writes it (keys sorted, no hash table).

    Parameters
    ----------
    path
        A .po file.

    Returns
    -------
    bytes
    """
    entries = {k: v for k, v in read_po(path).items() if v or k == ""}
    keys = sorted(entries)
    ids = strs = b""
    offsets = []
    for k in keys:
        kb, vb = k.encode("utf-8"), entries[k].encode("utf-8")
        offsets.append((len(ids), len(kb), len(strs), len(vb)))
        ids += kb + b"\0"
        strs += vb + b"\0"
    n = len(keys)
    key_start = 7 * 4 + 16 * n
    value_start = key_start + len(ids)
    table = []
    for key_offset, key_len, _, _ in offsets:
        table += [key_len, key_offset + key_start]
    for _, _, value_offset, value_len in offsets:
        table += [value_len, value_offset + value_start]
    # no hash table (size 0); its offset points after the tables, as GNU msgfmt --no-hash writes
    header = struct.pack("Iiiiiii", 0x950412DE, 0, n, 7 * 4, 7 * 4 + n * 8, 0, key_start)
    return header + struct.pack(f"{len(table)}i", *table) + ids + strs


#: names of the functions whose literal argument is a message id
MARKERS = ("_", "_h", "N_")


def extract_messages(package_dir: str | Path | None = None) -> dict[str, list[str]]:
    """Every message id in circle's code: the string literals passed to ``_``, ``_h`` or ``N_``.

    Parameters
    ----------
    package_dir
        The folder of the ``circle`` package (default: this one).

    Returns
    -------
    dict
        Message id -> where it is used (``file:line``), in order of first use.
    """
    root = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parent
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in MARKERS
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                found.setdefault(node.args[0].value, []).append(where)
    return found
