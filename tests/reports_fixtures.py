"""Results for the report-file tests (report.xlsx, report.pdf, map.png, coverage.gpkg): coverage,
siting and comparison runs on the generated Shenyang grid (Chinese names), read back from the
files circle writes, so the tests compare against summary.json and compare.json themselves."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from circle.config import DEFAULT_CONFIG
from circle.coverage.core import CoverageResult, coverage_report
from circle.coverage.isochrones import walk_isochrones
from circle.report.compare import Comparison, compare_runs, read_run, write_compare_files
from circle.report.coverage import write_coverage_files
from circle.report.siting import write_siting_outputs
from circle.siting.candidates import candidates_on_grid
from circle.siting.result import SitingResult
from circle.siting.site import site_new_centres


@dataclass(frozen=True)
class Runs:
    """The three runs and their folders (each with summary.json, or compare.json)."""

    coverage: CoverageResult
    isochrones: gpd.GeoDataFrame
    siting: SitingResult
    comparison: Comparison
    coverage_dir: Path
    site_dir: Path
    compare_dir: Path
    network: object

    def summary(self, kind: str) -> dict:
        folder = {"coverage": self.coverage_dir, "site": self.site_dir}.get(kind, self.compare_dir)
        name = "compare.json" if kind == "compare" else "summary.json"
        return json.loads((folder / name).read_text(encoding="utf-8"))

    def table(self, kind: str) -> pd.DataFrame | None:
        if kind == "coverage":
            return pd.read_csv(self.coverage_dir / "coverage.csv")
        if kind == "compare":
            return pd.read_csv(self.compare_dir / "compare.csv")
        return None


def make_runs(shenyang, folder: Path) -> Runs:
    """Coverage (5/10/15 min), a siting run (add 2 on a 300 m grid) and coverage at 10 minutes
    compared with coverage at 15, written as circle writes them."""
    net, centres, communities = shenyang
    cov = coverage_report(communities, centres, net)
    iso = walk_isochrones(net, centres, config=DEFAULT_CONFIG, per_centre=False)
    candidates = candidates_on_grid(net, 300.0)
    siting = site_new_centres(communities, centres, candidates, net, add=2)
    cov10 = coverage_report(
        communities,
        centres,
        net,
        config=dataclasses.replace(DEFAULT_CONFIG, thresholds_min=(10.0,)),
    )
    dirs = {k: folder / k for k in ("coverage", "coverage10", "site", "compare")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    write_coverage_files(cov, dirs["coverage"])
    write_coverage_files(cov10, dirs["coverage10"])
    write_siting_outputs(siting, dirs["site"], overwrite=True)
    comparison = compare_runs(read_run(dirs["coverage"]), read_run(dirs["coverage10"]))
    write_compare_files(comparison, dirs["compare"])
    return Runs(cov, iso, siting, comparison, dirs["coverage"], dirs["site"], dirs["compare"], net)
