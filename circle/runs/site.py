"""Siting runs: read the study area, gather the candidates, choose the sites, write the files.

`circle site` and `circle.study.StudyArea.site` call these.
"""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from ..coverage.rural import open_centres
from ..io.outputs import write_geojson
from ..network.walk import WalkNetwork
from ..report.coverage import summary_json
from ..report.csvfiles import write_csv
from ..report.siting import SITING_FILES, proposals_for_output, siting_markdown
from ..siting.result import SitingResult
from ..siting.site import site_new_centres
from ..siting.summary import siting_summary
from .candidates import CandidateSources, gather
from .inputs import Stage, read_inputs
from .job import CoverageJob
from .outputs import Files, text_files, write_result_folder

__all__ = ["SitingOutcome", "run_siting", "siting_files", "write_siting_folder"]


@dataclass(frozen=True)
class SitingOutcome:
    """What `run_siting` read and chose."""

    result: SitingResult
    network: WalkNetwork
    centres: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame


def run_siting(
    job: CoverageJob,
    sources: CandidateSources,
    *,
    add: int | None = None,
    cover_all: bool = False,
    solver: Literal["milp", "greedy"] = "milp",
    time_limit_s: float = 60.0,
    mip_gap: float = 0.0,
    lp_bound: bool = False,
    demand: str | None = None,
    memory_budget_gb: float | None = None,
    stage: Stage | None = None,
) -> SitingOutcome:
    """Read the job's study area, gather the candidate sites and choose new sites among them.

    Parameters
    ----------
    job
        The inputs and the run parameters (``job.config``; the circle is its largest band).
    sources
        Where the candidate sites come from.
    add, cover_all, solver, time_limit_s, mip_gap, lp_bound, demand, memory_budget_gb
        As for `circle.siting.site_new_centres`.
    stage
        A context-manager factory called with a description of each step (progress messages).

    Returns
    -------
    SitingOutcome
    """
    inputs = read_inputs(
        job, stage=stage, layers_stage="reading centres, communities and candidate sites"
    )
    candidates = gather(job.network, inputs.network, inputs.centres, sources)
    if job.hours is not None:  # --at: only the centres open then serve
        inputs = dataclasses.replace(inputs, centres=open_centres(inputs.centres, job.hours)[0])
    with (stage or (lambda text: nullcontext()))("choosing sites"):
        result = site_new_centres(
            inputs.communities,
            inputs.centres,
            candidates,
            inputs.network,
            add=add,
            cover_all=cover_all,
            config=job.config,
            solver=solver,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
            lp_bound=lp_bound,
            demand=demand,
            memory_budget_gb=memory_budget_gb,
        )
    return SitingOutcome(result, inputs.network, inputs.centres, candidates)


def siting_files(result: SitingResult, *, lang: str = "en", csv_header: str = "en") -> Files:
    """proposals.csv, proposals.geojson, summary.md and summary.json of a siting result.

    proposals.csv has ``lon`` and ``lat`` (full precision) after the proposal columns; the
    GeoJSON keeps 15 decimals; `lang` is summary.md's language and `csv_header` the CSV's.
    """

    def write(folder: Path) -> None:
        summary = siting_summary(result)
        table = proposals_for_output(result)
        csv = pd.DataFrame(table.drop(columns="geometry"))
        csv["lon"], csv["lat"] = table.geometry.x, table.geometry.y
        write_csv(csv, folder / SITING_FILES[0], header=csv_header, lang=lang)
        write_geojson(table, folder / SITING_FILES[1], precision=15)
        (folder / "summary.md").write_text(siting_markdown(summary, lang=lang), encoding="utf-8")
        (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")

    return Files(SITING_FILES, write)


def write_siting_folder(
    result: SitingResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    extra_files: dict[str, str] | None = None,
    lang: str = "en",
    csv_header: str = "en",
    network: WalkNetwork | None = None,
    centres: gpd.GeoDataFrame | None = None,
) -> list[Path]:
    """Write `siting_files`, the bureau's files (`circle.runs.reports.siting_report_files`:
    report.xlsx, report.pdf, coverage.gpkg; the isochrone bands need `network` and the existing
    `centres`) and `extra_files` (name -> text) into `out_dir`, all or none."""
    from .reports import siting_report_files

    parts = [
        siting_files(result, lang=lang, csv_header=csv_header),
        siting_report_files(result, network, centres, lang=lang),
        text_files(extra_files or {}),
    ]
    return write_result_folder(out_dir, parts, overwrite=overwrite)
