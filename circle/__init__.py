"""circle: the 15-minute employment circle planner.

Which communities can reach an employment service centre within a 15-minute walk, and where
should the next centres go?
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from .config import DEFAULT_CONFIG, CircleConfig
from .coverage import CoverageResult, coverage_report, summarise
from .db import network_from_db, read_db_layer, write_db_tables
from .datums import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from .distributed import Partitioning, dask_client, run_coverage_parts, run_partitioned_coverage
from .engine import reach_within
from .errors import (
    CircleError,
    CircleWarning,
    ConfigError,
    InputDataError,
    MissingDependencyError,
    NetworkError,
    OutputError,
    PartFailedError,
    SolverError,
)
from .extract import OsmPresets, layers_from_osm
from .io import LayerColumns, read_layer
from .isochrones import walk_isochrones
from .maps import coverage_map, map_html, write_map
from .network import WalkNetwork, load_network, network_from_arrays, network_from_graph
from .errors import ReproducibilityError
from .gates import gates_from_osm
from .groups import DEFAULT_GROUP_COLUMNS, group_coverage
from .profiles import PROFILES, WalkProfile, get_profile
from .runs import CoverageJob, rerun, run_job, write_job_outputs
from .scenarios import compare_runs, profile_table, read_run
from .partition import Part, halo_m, tile_parts
from .sweep import Scenario, comparison_table, read_scenarios, write_sweep_outputs

# planners' own data in (issue 7): formats and datums, extract, population, roll-ups, online
from .areas import assign_areas
from .datum_check import DatumFit, check_datum, datum_fit
from .extract import extract_layers, extract_osm_layers, presets_from_file
from .io import write_layers_geopackage
from .online import fetch_osm
from .population import fill_population, population_from_raster
from .siting import (
    SitingResult,
    candidates_from_osm,
    candidates_on_grid,
    check_candidate_sources,
    combine_candidates,
    gather_candidates,
    site_new_centres,
    siting_summary,
)
from .siting_report import write_siting_outputs
from .whatif import explore_candidates, whatif_data, whatif_map

# the analyst's API for notebooks (issue 9)
from .study import Coverage, Siting, StudyArea
# wiring: compare map, siting tables for PostGIS
from .compare_map import compare_map
from .siting_report import siting_tables

try:
    __version__ = version("circle")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# issue 12: texts in Chinese (--lang zh), Chinese fonts for figures
from .fonts import use_cjk_font
from .i18n import default_lang, translator
from .report import summary_markdown, summary_text, write_csv

__all__ = [
    "DEFAULT_CONFIG",
    "CircleConfig",
    "CircleError",
    "CircleWarning",
    "ConfigError",
    "CoverageResult",
    "InputDataError",
    "LayerColumns",
    "MissingDependencyError",
    "NetworkError",
    "OsmPresets",
    "OutputError",
    "Part",
    "PartFailedError",
    "Partitioning",
    "Scenario",
    "SolverError",
    "WalkNetwork",
    "__version__",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "coverage_map",
    "SitingResult",
    "candidates_from_osm",
    "candidates_on_grid",
    "combine_candidates",
    "coverage_report",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "comparison_table",
    "dask_client",
    "halo_m",
    "layers_from_osm",
    "load_network",
    "map_html",
    "network_from_arrays",
    "network_from_db",
    "network_from_graph",
    "read_db_layer",
    "read_layer",
    "read_scenarios",
    "run_coverage_parts",
    "run_partitioned_coverage",
    "summarise",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    # issue 7
    "DatumFit",
    "assign_areas",
    "check_datum",
    "datum_fit",
    "extract_layers",
    "extract_osm_layers",
    "fetch_osm",
    "fill_population",
    "population_from_raster",
    "presets_from_file",
    "write_layers_geopackage",
    # issue 10: gates, walking profiles, key groups, manifests, scenarios
    "DEFAULT_GROUP_COLUMNS",
    "PROFILES",
    "CoverageJob",
    "ReproducibilityError",
    "WalkProfile",
    "compare_runs",
    "gates_from_osm",
    "get_profile",
    "group_coverage",
    "profile_table",
    "read_run",
    "rerun",
    "run_job",
    "write_job_outputs",
    "write_db_tables",
    "walk_isochrones",
    "write_map",
    "tile_parts",
    "write_sweep_outputs",
    "reach_within",
    "site_new_centres",
    "siting_summary",
    "write_siting_outputs",
    # issue 9: notebooks
    "Coverage",
    "Siting",
    "StudyArea",
    "compare_map",
    "siting_tables",
    "check_candidate_sources",
    "gather_candidates",
    "explore_candidates",
    "whatif_data",
    "whatif_map",
    # issue 12: texts in Chinese, Chinese fonts for figures
    "default_lang",
    "summary_markdown",
    "summary_text",
    "translator",
    "use_cjk_font",
    "write_csv",
]
