"""Regenerate docs/lorenz.png: the Lorenz curves of walk time and 2SFCA score that
``circle coverage --capacity-column staff`` writes (lorenz.png) on the bundled data.

The bundled Helsinki centres have no capacity column: this script gives them GENERATED staff
numbers (3, 1, 4, 2, the ones the tests use; not real staffing) in a temporary copy, then runs
the CLI on it with the enhanced 2SFCA (``--decay step``).

Run from the repository root: ``python docs/make_lorenz_picture.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: generated capacities of the four bundled centres, in the file's order
STAFF = [3.0, 1.0, 4.0, 2.0]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from circle import read_layer
    from circle.bundled import DEFAULT_CENTRES

    with tempfile.TemporaryDirectory() as tmp:
        centres = read_layer(DEFAULT_CENTRES)
        centres["staff"] = STAFF
        path = Path(tmp) / "centres_staff.geojson"
        centres.to_file(path)
        out = Path(tmp) / "run"
        subprocess.run(
            [sys.executable, "-m", "circle", "-q", "coverage", "--centres", str(path),
             "--capacity-column", "staff", "--capacity-unit", "staff", "--decay", "step",
             "--out", str(out)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.copyfile(out / "lorenz.png", ROOT / "docs" / "lorenz.png")
    print("docs/lorenz.png")


if __name__ == "__main__":
    main()
