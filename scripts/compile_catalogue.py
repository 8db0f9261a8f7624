"""Compile circle/locale/*/LC_MESSAGES/circle.po into circle.mo (run after editing a .po file).

    python scripts/compile_catalogue.py

tests/test_i18n.py fails when a committed .mo differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from circle.i18n import LOCALE_DIR, compile_po

for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
    mo = po.with_suffix(".mo")
    mo.write_bytes(compile_po(po))
    print(f"{po.relative_to(LOCALE_DIR.parent)} -> {mo.name}")
