"""The message catalogue with Babel: extract the texts, compile circle.po into circle.mo.

    python scripts/compile_catalogue.py            # compile every circle.po into circle.mo
    python scripts/compile_catalogue.py --check    # list texts without a translation, stale ones

Run it after editing a .po file; tests/test_i18n.py fails when a committed .mo differs from what
this writes, or when a text in the code has no translation. The runtime (`circle.i18n`) reads the
.mo with the standard library's gettext: Babel is needed here and in the tests only.

Extraction goes through Babel (`extract_from_dir`) with a small AST method: Babel's own
``python`` method does not see ``_()`` calls inside f-strings before Python 3.12, and circle
uses them in its maps and reports.
"""

from __future__ import annotations

import ast
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "circle"
LOCALE_DIR = PACKAGE / "locale"
#: the functions whose literal argument is a message id (gettext's ``_``, click help ``_h``,
#: deferred ``N_``)
KEYWORDS = {"_": None, "_h": None, "N_": None}


def extract_python_ast(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """A Babel extraction method: the literal first argument of each keyword call (f-strings
    included), as ``(lineno, funcname, message, comments)``."""
    tree = ast.parse(fileobj.read().decode("utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in keywords
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.func.id, node.args[0].value, []


def extract_messages(package_dir: Path = PACKAGE) -> dict[str, list[str]]:
    """Every message id in the package -> where it is used (``circle/x.py:line``)."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _, _ in sorted(
        extract_from_dir(
            str(package_dir),
            method_map=[("**.py", extract_python_ast)],  # type: ignore[list-item]
            keywords=KEYWORDS,
        )
    ):
        found.setdefault(message, []).append(f"{package_dir.name}/{filename}:{lineno}")
    return found


def read_catalogue(po: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (Babel's reader), the header (msgid ``""``) left out."""
    with po.open("rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po file (Babel's writer; untranslated entries left out)."""
    with po.open("rb") as f:
        catalog = read_po(f)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def main(argv: list[str]) -> int:
    pos = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    if "--check" in argv:
        used = extract_messages()
        bad = 0
        for po in pos:
            known = read_catalogue(po)
            for text in used:
                if not known.get(text):
                    print(f"{po.relative_to(ROOT)}: no translation of {text!r}")
                    bad += 1
            for text in sorted(set(known) - set(used)):
                print(f"{po.relative_to(ROOT)}: stale {text!r}")
                bad += 1
        return 1 if bad else 0
    for po in pos:
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_po(po))
        print(f"{po.relative_to(ROOT)} -> {mo.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
