"""Siting-model runs (``circle site --model``, `circle.study.StudyArea.site_model`): read the
study area, gather the candidates, solve the model, write the files."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pandas as pd

from ..report.coverage import summary_json, write_csv
from ..report.models import CURVE_FILES, curve_png, model_markdown, model_summary
from ..report.siting import SITING_FILES
from ..siting.models import ModelResult, site_model
from .candidates import CandidateSources, gather
from .inputs import Stage, read_inputs
from .job import CoverageJob
from .outputs import Files, text_files, write_result_folder

__all__ = ["model_files", "run_model", "write_model_folder"]


def run_model(
    job: CoverageJob,
    sources: CandidateSources,
    *,
    model: str,
    add: int | None = None,
    stage: Stage | None = None,
    **options,
) -> ModelResult:
    """Read the job's study area and candidates and solve a siting model.

    Parameters
    ----------
    job
        The inputs and run parameters.
    sources
        Where the candidate sites come from.
    model, add
        As for `circle.siting.models.site_model`.
    stage
        A context-manager factory called with a description of each step.
    **options
        ``capacity_column``, ``capacity_scale``, ``new_capacity``, ``max_add``,
        ``time_limit_s``, ``demand`` (`circle.siting.models.site_model`).
    """
    inputs = read_inputs(
        job, stage=stage, layers_stage="reading centres, communities and candidate sites"
    )
    candidates = gather(job.network, inputs.network, inputs.centres, sources)
    with (stage or (lambda text: nullcontext()))(f"solving the {model} model"):
        return site_model(
            inputs.communities, inputs.centres, candidates, inputs.network, model=model,
            add=add, config=job.config, **options,
        )


def model_files(result: ModelResult, *, lang: str = "en", csv_header: str = "en") -> Files:
    """proposals.csv, proposals.geojson, summary.md, summary.json (and curve.csv, curve.png)."""
    names = [*SITING_FILES, *(CURVE_FILES if result.curve is not None else [])]

    def write(folder: Path) -> None:
        summary = model_summary(result)
        table = result.proposals
        csv = pd.DataFrame(table.drop(columns="geometry"))
        csv["lon"], csv["lat"] = table.geometry.x, table.geometry.y
        write_csv(csv, folder / SITING_FILES[0], header=csv_header)
        table.to_file(
            folder / SITING_FILES[1], driver="GeoJSON", engine="pyogrio",
            layer_options={"COORDINATE_PRECISION": 15, "WRITE_BBOX": "NO"},
        )
        (folder / "summary.md").write_text(model_markdown(summary, lang=lang), encoding="utf-8")
        (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")
        if result.curve is not None:
            write_csv(result.curve, folder / CURVE_FILES[0], header=csv_header)
            (folder / CURVE_FILES[1]).write_bytes(curve_png(summary, lang=lang))

    return Files(names, write)


def write_model_folder(
    result: ModelResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    lang: str = "en",
    csv_header: str = "en",
) -> list[Path]:
    """Write `model_files` into `out_dir`, all or none."""
    parts = [model_files(result, lang=lang, csv_header=csv_header), text_files({})]
    return write_result_folder(out_dir, parts, overwrite=overwrite)
