"""Comparison runs: two result folders, who is gained and lost, written as one folder."""

from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import CircleWarning
from ..report.compare import COMPARE_FILES, Comparison, compare_runs, read_run, write_compare_files
from .outputs import Files, text_files, write_result_folder

__all__ = ["run_compare"]


def run_compare(
    base: str | Path,
    new: str | Path,
    *,
    out_dir: str | Path | None = None,
    overwrite: bool = False,
    lang: str = "en",
) -> Comparison:
    """Compare two ``circle coverage --out`` runs; with `out_dir`, write compare.csv,
    compare.md, compare.json, report.xlsx, report.pdf and compare_map.html there (all or none).

    Returns
    -------
    circle.report.compare.Comparison
    """
    from ..maps.compare_map import COMPARE_MAP_FILE, compare_map
    from ..maps.coverage_map import map_html
    from .reports import compare_report_files

    base_run, new_run = read_run(base), read_run(new)
    comparison = compare_runs(base_run, new_run)
    if out_dir is not None:
        network, centres, problem = _streets_and_centres(new_run.folder)
        m = compare_map(comparison, base_run, new_run, network=network, centres=centres, lang=lang)
        if problem:  # said once the map is drawn: a run that cannot be mapped says only that
            warnings.warn(problem, CircleWarning, stacklevel=2)
        html = map_html(m)
        parts = [
            Files(COMPARE_FILES, lambda d: write_compare_files(comparison, d, lang=lang)),
            compare_report_files(comparison, lang=lang),
            text_files({COMPARE_MAP_FILE: html}),
        ]
        write_result_folder(out_dir, parts, overwrite=overwrite)
    return comparison


def _streets_and_centres(folder: Path):
    """The network and centres of a run, read again from the files its manifest names, to
    orient the compare map by, and ``None``; ``(None, None, why)`` when they cannot be read."""
    import json

    from ..errors import CircleError
    from .inputs import read_inputs
    from .job import CoverageJob

    manifest = folder / "manifest.json"
    try:
        job = CoverageJob.from_dict(json.loads(manifest.read_text(encoding="utf-8"))["job"])
        if job.place is not None or job.bbox is not None:
            return None, None, None  # a download: not read again for a map
        inputs = read_inputs(job, need_communities=False)
    except (OSError, ValueError, KeyError, TypeError, CircleError) as err:
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, None, (
            f"{manifest}: the compare map is drawn without streets and centres (cannot read the "
            f"run's inputs again: {why})"
        )
    return inputs.network, inputs.centres, None
