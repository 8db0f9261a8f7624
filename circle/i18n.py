"""Texts for people in English or Chinese: Python's standard `gettext` over circle's catalogue.

The English texts are the message ids; ``circle/locale/zh/LC_MESSAGES/circle.po`` holds their
Chinese translations, compiled into ``circle.mo`` next to it by
``python scripts/compile_catalogue.py`` with Babel (a test checks the .mo is up to date); the
runtime needs only the standard library. The planning terms
follow ``circle/locale/GLOSSARY.md``.
Only texts change with the language: numbers, file names, JSON keys and CSV columns stay the same.
"""

from __future__ import annotations

import gettext
import os
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
    "default_lang",
    "display_width",
    "pad",
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
