"""The files a bureau hands on, in every result folder: report.xlsx, report.pdf, coverage.gpkg.

Each function returns a `circle.runs.outputs.Files` part written after the run's own files, so
the workbook and the PDF read the summary back from the staged summary.json (compare.json):
their figures are the JSON's by construction. coverage and site folders get all three files
(the GeoPackage of a siting run has the proposals as a layer); compare folders get the workbook
and the PDF (a comparison has no geometries of its own).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..coverage.core import CoverageResult
from ..coverage.isochrones import walk_isochrones
from ..maps.geopackage import GPKG_FILE, write_geopackage
from ..maps.static import static_map_png
from ..network.walk import WalkNetwork
from ..report.compare import Comparison
from ..report.coverage import coverage_table_for_output
from ..report.printable import PDF_FILE, write_printable
from ..report.workbook import (
    WORKBOOK_FILE,
    compare_sheets,
    coverage_sheets,
    siting_sheets,
    write_workbook,
)
from ..siting.result import SitingResult
from .outputs import Files

__all__ = [
    "COMPARE_REPORT_FILES",
    "REPORT_FILES",
    "compare_report_files",
    "coverage_report_files",
    "siting_report_files",
]

#: the bureau's files of a coverage or siting folder
REPORT_FILES = [WORKBOOK_FILE, PDF_FILE, GPKG_FILE]
#: the bureau's files of a comparison folder
COMPARE_REPORT_FILES = [WORKBOOK_FILE, PDF_FILE]
#: resolution of the map picture in the PDF (sharp on A4 paper)
PDF_MAP_DPI = 150
#: street segments above which the bands are not drawn for the bureau's files: walking them takes
#: about 4 s per 40,000 segments (bench/reports.py), too long for a province-sized run
BAND_EDGE_LIMIT = 250_000

logger = logging.getLogger(__name__)


def _bands(network: WalkNetwork | None, centres: gpd.GeoDataFrame | None, result: CoverageResult):
    """The merged isochrone bands of the centres: None without a network, or on a network
    larger than `BAND_EDGE_LIMIT` (a province: the picture and the GeoPackage go without)."""
    if network is None or centres is None or not len(centres):
        return None
    if len(network.edge_u) > BAND_EDGE_LIMIT:
        logger.info(
            "report.pdf and coverage.gpkg without isochrone bands: %s streets is more than %s",
            f"{len(network.edge_u):,}",
            f"{BAND_EDGE_LIMIT:,}",
        )
        return None
    return walk_isochrones(network, centres, config=result.config, per_centre=False)


def _read_json(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def coverage_report_files(
    result: CoverageResult,
    network: WalkNetwork | None,
    centres: gpd.GeoDataFrame | None,
    *,
    lang: str = "en",
) -> Files:
    """report.xlsx, report.pdf and coverage.gpkg of a coverage run.

    Parameters
    ----------
    result
        The coverage result.
    network, centres
        The walking network and the centres as read: the isochrone bands of the picture and of
        the GeoPackage are walked from them (no bands without them).
    lang
        {"en", "zh"} Language of the three files.

    Returns
    -------
    Files
        Written after summary.json, which they read.
    """

    def write(folder: Path) -> None:
        summary = _read_json(folder, "summary.json")
        table = coverage_table_for_output(result, geometry=False)
        write_workbook(coverage_sheets(summary, table, lang=lang), folder / WORKBOOK_FILE)
        bands = _bands(network, centres, result)
        png = static_map_png(result, isochrones=bands, network=network, lang=lang, dpi=PDF_MAP_DPI)
        write_printable(folder / PDF_FILE, "coverage", summary, table=table, map_png=png, lang=lang)
        write_geopackage(folder / GPKG_FILE, result, isochrones=bands, lang=lang)

    return Files(list(REPORT_FILES), write)


def siting_report_files(
    result: SitingResult,
    network: WalkNetwork | None,
    centres: gpd.GeoDataFrame | None,
    *,
    lang: str = "en",
) -> Files:
    """report.xlsx, report.pdf and coverage.gpkg of a siting run (the proposals on the map and
    as a layer; the per-community outcomes as a sheet).

    Parameters
    ----------
    result
        The siting result.
    network, centres
        The walking network and the existing centres (for the isochrone bands).
    lang
        {"en", "zh"} Language of the three files.

    Returns
    -------
    Files
        Written after summary.json, which they read.
    """

    def write(folder: Path) -> None:
        summary = _read_json(folder, "summary.json")
        communities = pd.DataFrame(result.communities.drop(columns="geometry"))
        write_workbook(siting_sheets(summary, communities, lang=lang), folder / WORKBOOK_FILE)
        bands = _bands(network, centres, result.before)
        png = static_map_png(
            result.before,
            isochrones=bands,
            network=network,
            proposals=result.proposals,
            lang=lang,
            dpi=PDF_MAP_DPI,
        )
        write_printable(folder / PDF_FILE, "site", summary, map_png=png, lang=lang)
        write_geopackage(
            folder / GPKG_FILE,
            result.before,
            isochrones=bands,
            proposals=result.proposals,
            lang=lang,
        )

    return Files(list(REPORT_FILES), write)


def compare_report_files(comparison: Comparison, *, lang: str = "en") -> Files:
    """report.xlsx and report.pdf of a comparison (written after compare.json, which they read).

    Parameters
    ----------
    comparison
        The comparison.
    lang
        {"en", "zh"} Language of the two files.

    Returns
    -------
    Files
    """

    def write(folder: Path) -> None:
        summary = _read_json(folder, "compare.json")
        changes = comparison.changes
        write_workbook(compare_sheets(summary, changes, lang=lang), folder / WORKBOOK_FILE)
        write_printable(folder / PDF_FILE, "compare", summary, table=changes, lang=lang)

    return Files(list(COMPARE_REPORT_FILES), write)
