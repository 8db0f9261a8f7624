"""Regenerate docs/report.png and docs/report_zh.png: page 1 of report.pdf from ``circle coverage``
on the bundled data (English and ``--lang zh``), rendered by poppler's pdftoppm.

Run from the repository root: ``python docs/make_report_pictures.py`` (needs poppler-utils).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DPI = 80


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for lang, name in (("en", "report.png"), ("zh", "report_zh.png")):
            out = Path(tmp) / lang
            subprocess.run(
                [sys.executable, "-m", "circle", "-q", "coverage", "--lang", lang, "--out",
                 str(out)],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            subprocess.run(
                ["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile",
                 str(out / "report.pdf"), str(ROOT / "docs" / Path(name).stem)],
                check=True,
            )
            print(f"docs/{name}")


if __name__ == "__main__":
    main()
