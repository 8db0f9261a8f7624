"""Regenerate examples/bureau/: the GENERATED files of the README's section for the bureau.

Run from the repository root: ``python scripts/make_bureau_example.py``. The builder is
tests/bureau_example.py (shared with tests/test_bureau.py, which checks that the committed files
equal what it writes): a generated street grid placed in Shenyang (街道.graphml), a GB18030 CSV of
seven stations headed 编号/名称/类型/经度/纬度 (站点.csv) and an .xlsx community roster with a
title row (社区名册.xlsx), both in GCJ-02. None of it is real data.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.bureau_example import write_bureau_example

    for role, path in write_bureau_example(ROOT / "examples" / "bureau").items():
        print(f"{role}: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
