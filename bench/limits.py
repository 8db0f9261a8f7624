"""Bench: what hostile or huge inputs cost — time and peak memory of the process that refuses or
runs them. Not part of the test suite (the 1M-feature runs take minutes).

    python -m bench.limits            # all cases, prints a Markdown table (bench/LIMITS_RESULTS.md)
    python -m bench.limits --quick    # without the two 1,000,000-feature runs

Inputs are generated in a temporary folder: a 10,000,000-row centres CSV (250 MB, unique ids),
1,000,000 random points inside the bundled Helsinki network's area, the billion-laughs .osm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_hostile_input import PEAK_RSS, billion_laughs  # noqa: E402

HEL = "24.9527,60.1680"


def ten_million_rows(path: Path) -> float:
    start = time.perf_counter()
    block = "".join(f"X{i:07d},{HEL}\n" for i in range(1_000_000)).encode()
    with open(path, "wb") as f:
        f.write(b"id,lon,lat\n")
        for prefix in b"ABCDEFGHIJ":
            f.write(block.replace(b"X", bytes([prefix])))
    return time.perf_counter() - start


def million_points(path: Path) -> None:
    rng = np.random.default_rng(0)
    lon = rng.uniform(24.936, 24.952, 1_000_000)
    lat = rng.uniform(60.165, 60.178, 1_000_000)
    with open(path, "w") as f:
        f.write("id,lon,lat\n")
        rows = enumerate(zip(lon, lat, strict=True))
        f.writelines(f"p{i},{a:.6f},{b:.6f}\n" for i, (a, b) in rows)


def measure(*args, env=None) -> tuple[int, float, float, str]:
    start = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "-q", "coverage", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})},
    )
    took = time.perf_counter() - start
    lines = res.stderr.strip().splitlines()
    peak = float(lines[-1].split()[1])
    return res.returncode, took, peak, (lines[0] if len(lines) > 1 else "")[:70]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-feature runs")
    opts = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        rows.append(("bundled demo (reference)", *measure()))
        laughs = folder / "laughs.osm"
        laughs.write_text(billion_laughs())
        rows.append(("billion laughs .osm", *measure("--network", laughs)))
        big = folder / "centres_10m.csv"
        made = ten_million_rows(big)
        print(f"generated {big.stat().st_size / 1e6:.0f} MB in {made:.1f} s", file=sys.stderr)
        rows.append(("10,000,000-row centres CSV", *measure("--centres", big)))
        big.unlink()
        if not opts.quick:
            points = folder / "points_1m.csv"
            million_points(points)
            env = {"CIRCLE_MAX_FEATURES": "2000000"}
            rows.append(
                ("1,000,000 centres (limit raised)", *measure("--centres", points, env=env))
            )
            rows.append(
                ("1,000,000 communities (limit raised)", *measure("--communities", points, env=env))
            )
    print("| input | exit | wall s | peak RSS MB | first line |")
    print("|---|---:|---:|---:|---|")
    for name, code, took, peak, line in rows:
        print(f"| {name} | {code} | {took:.1f} | {peak:.0f} | {line} |")


if __name__ == "__main__":
    main()
