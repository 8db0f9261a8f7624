"""Comparison runs: two result folders, who is gained and lost, written as one folder."""

from __future__ import annotations

from pathlib import Path

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
        html = map_html(compare_map(comparison, base_run, new_run))
        parts = [
            Files(COMPARE_FILES, lambda d: write_compare_files(comparison, d, lang=lang)),
            compare_report_files(comparison, lang=lang),
            text_files({COMPARE_MAP_FILE: html}),
        ]
        write_result_folder(out_dir, parts, overwrite=overwrite)
    return comparison
