"""circle: the 15-minute employment circle planner.

Which communities can reach an employment service centre within a 15-minute walk, and where
should the next centres go?

``import circle`` loads nothing heavy: each public name below is imported from its module the
first time it is used (PEP 562), so the command line and notebooks start at once.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

#: public name -> the module (under circle) that defines it
_PUBLIC: dict[str, str] = {
    "CircleConfig": "config",
    "DEFAULT_CONFIG": "config",
    "PROFILES": "config",
    "WalkProfile": "config",
    "get_profile": "config",
    "assign_areas": "coverage.areas",
    "CoverageResult": "coverage.core",
    "coverage_report": "coverage.core",
    "summarise": "coverage.core",
    "DEFAULT_GROUP_COLUMNS": "coverage.groups",
    "group_coverage": "coverage.groups",
    "walk_isochrones": "coverage.isochrones",
    "CircleError": "errors",
    "CircleWarning": "errors",
    "ConfigError": "errors",
    "InputDataError": "errors",
    "MissingDependencyError": "errors",
    "NetworkError": "errors",
    "OutputError": "errors",
    "PartFailedError": "errors",
    "ReproducibilityError": "errors",
    "SolverError": "errors",
    "default_lang": "i18n",
    "translator": "i18n",
    "LayerColumns": "io.columns",
    "bd09_to_gcj02": "io.datums",
    "bd09_to_wgs84": "io.datums",
    "gcj02_to_bd09": "io.datums",
    "gcj02_to_wgs84": "io.datums",
    "wgs84_to_bd09": "io.datums",
    "wgs84_to_gcj02": "io.datums",
    "read_db_layer": "io.db",
    "write_db_tables": "io.db",
    "OsmPresets": "io.extract",
    "extract_layers": "io.extract",
    "extract_osm_layers": "io.extract",
    "layers_from_osm": "io.extract",
    "presets_from_file": "io.extract",
    "read_layer": "io.files",
    "write_layers_geopackage": "io.outputs",
    "fill_population": "io.population",
    "population_from_raster": "io.population",
    "compare_map": "maps.compare_map",
    "coverage_map": "maps.coverage_map",
    "map_html": "maps.coverage_map",
    "write_map": "maps.coverage_map",
    "explore_candidates": "maps.whatif",
    "whatif_data": "maps.whatif",
    "whatif_map": "maps.whatif",
    "DatumFit": "network.datum_check",
    "check_datum": "network.datum_check",
    "datum_fit": "network.datum_check",
    "reach_within": "network.engine",
    "network_from_db": "network.from_db",
    "gates_from_osm": "network.gates",
    "load_network": "network.load",
    "fetch_osm": "network.online",
    "Part": "network.partition",
    "halo_m": "network.partition",
    "tile_parts": "network.partition",
    "WalkNetwork": "network.walk",
    "network_from_arrays": "network.walk",
    "network_from_graph": "network.walk",
    "compare_runs": "report.compare",
    "profile_table": "report.compare",
    "read_run": "report.compare",
    "summary_markdown": "report.coverage",
    "summary_text": "report.coverage",
    "write_csv": "report.csvfiles",
    "use_cjk_font": "report.fonts",
    "siting_tables": "report.siting",
    "write_siting_outputs": "report.siting",
    "Partitioning": "runs.distributed",
    "dask_client": "runs.distributed",
    "run_coverage_parts": "runs.distributed",
    "run_partitioned_coverage": "runs.distributed",
    "CoverageJob": "runs.job",
    "rerun": "runs.job",
    "run_job": "runs.job",
    "write_job_outputs": "runs.job",
    "Scenario": "runs.sweep",
    "comparison_table": "runs.sweep",
    "read_scenarios": "runs.sweep",
    "write_sweep_outputs": "runs.sweep",
    "SitingResult": "siting.result",
    "candidates_from_osm": "siting.candidates",
    "candidates_on_grid": "siting.candidates",
    "check_candidate_sources": "siting.candidates",
    "combine_candidates": "siting.candidates",
    "gather_candidates": "siting.candidates",
    "site_new_centres": "siting.site",
    "siting_summary": "siting.summary",
    "Coverage": "study",
    "Siting": "study",
    "StudyArea": "study",
}

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load on first use
    from .config import (
        DEFAULT_CONFIG as DEFAULT_CONFIG,
    )
    from .config import (
        PROFILES as PROFILES,
    )
    from .config import (
        CircleConfig as CircleConfig,
    )
    from .config import (
        WalkProfile as WalkProfile,
    )
    from .config import (
        get_profile as get_profile,
    )
    from .coverage.areas import (
        assign_areas as assign_areas,
    )
    from .coverage.core import (
        CoverageResult as CoverageResult,
    )
    from .coverage.core import (
        coverage_report as coverage_report,
    )
    from .coverage.core import (
        summarise as summarise,
    )
    from .coverage.groups import (
        DEFAULT_GROUP_COLUMNS as DEFAULT_GROUP_COLUMNS,
    )
    from .coverage.groups import (
        group_coverage as group_coverage,
    )
    from .coverage.isochrones import (
        walk_isochrones as walk_isochrones,
    )
    from .errors import (
        CircleError as CircleError,
    )
    from .errors import (
        CircleWarning as CircleWarning,
    )
    from .errors import (
        ConfigError as ConfigError,
    )
    from .errors import (
        InputDataError as InputDataError,
    )
    from .errors import (
        MissingDependencyError as MissingDependencyError,
    )
    from .errors import (
        NetworkError as NetworkError,
    )
    from .errors import (
        OutputError as OutputError,
    )
    from .errors import (
        PartFailedError as PartFailedError,
    )
    from .errors import (
        ReproducibilityError as ReproducibilityError,
    )
    from .errors import (
        SolverError as SolverError,
    )
    from .i18n import (
        default_lang as default_lang,
    )
    from .i18n import (
        translator as translator,
    )
    from .io.columns import (
        LayerColumns as LayerColumns,
    )
    from .io.datums import (
        bd09_to_gcj02 as bd09_to_gcj02,
    )
    from .io.datums import (
        bd09_to_wgs84 as bd09_to_wgs84,
    )
    from .io.datums import (
        gcj02_to_bd09 as gcj02_to_bd09,
    )
    from .io.datums import (
        gcj02_to_wgs84 as gcj02_to_wgs84,
    )
    from .io.datums import (
        wgs84_to_bd09 as wgs84_to_bd09,
    )
    from .io.datums import (
        wgs84_to_gcj02 as wgs84_to_gcj02,
    )
    from .io.db import (
        read_db_layer as read_db_layer,
    )
    from .io.db import (
        write_db_tables as write_db_tables,
    )
    from .io.extract import (
        OsmPresets as OsmPresets,
    )
    from .io.extract import (
        extract_layers as extract_layers,
    )
    from .io.extract import (
        extract_osm_layers as extract_osm_layers,
    )
    from .io.extract import (
        layers_from_osm as layers_from_osm,
    )
    from .io.extract import (
        presets_from_file as presets_from_file,
    )
    from .io.files import (
        read_layer as read_layer,
    )
    from .io.outputs import (
        write_layers_geopackage as write_layers_geopackage,
    )
    from .io.population import (
        fill_population as fill_population,
    )
    from .io.population import (
        population_from_raster as population_from_raster,
    )
    from .maps.compare_map import (
        compare_map as compare_map,
    )
    from .maps.coverage_map import (
        coverage_map as coverage_map,
    )
    from .maps.coverage_map import (
        map_html as map_html,
    )
    from .maps.coverage_map import (
        write_map as write_map,
    )
    from .maps.whatif import (
        explore_candidates as explore_candidates,
    )
    from .maps.whatif import (
        whatif_data as whatif_data,
    )
    from .maps.whatif import (
        whatif_map as whatif_map,
    )
    from .network.datum_check import (
        DatumFit as DatumFit,
    )
    from .network.datum_check import (
        check_datum as check_datum,
    )
    from .network.datum_check import (
        datum_fit as datum_fit,
    )
    from .network.engine import (
        reach_within as reach_within,
    )
    from .network.from_db import (
        network_from_db as network_from_db,
    )
    from .network.gates import (
        gates_from_osm as gates_from_osm,
    )
    from .network.load import (
        load_network as load_network,
    )
    from .network.online import (
        fetch_osm as fetch_osm,
    )
    from .network.partition import (
        Part as Part,
    )
    from .network.partition import (
        halo_m as halo_m,
    )
    from .network.partition import (
        tile_parts as tile_parts,
    )
    from .network.walk import (
        WalkNetwork as WalkNetwork,
    )
    from .network.walk import (
        network_from_arrays as network_from_arrays,
    )
    from .network.walk import (
        network_from_graph as network_from_graph,
    )
    from .report.compare import (
        compare_runs as compare_runs,
    )
    from .report.compare import (
        profile_table as profile_table,
    )
    from .report.compare import (
        read_run as read_run,
    )
    from .report.coverage import (
        summary_markdown as summary_markdown,
    )
    from .report.coverage import (
        summary_text as summary_text,
    )
    from .report.csvfiles import (
        write_csv as write_csv,
    )
    from .report.fonts import (
        use_cjk_font as use_cjk_font,
    )
    from .report.siting import (
        siting_tables as siting_tables,
    )
    from .report.siting import (
        write_siting_outputs as write_siting_outputs,
    )
    from .runs.distributed import (
        Partitioning as Partitioning,
    )
    from .runs.distributed import (
        dask_client as dask_client,
    )
    from .runs.distributed import (
        run_coverage_parts as run_coverage_parts,
    )
    from .runs.distributed import (
        run_partitioned_coverage as run_partitioned_coverage,
    )
    from .runs.job import (
        CoverageJob as CoverageJob,
    )
    from .runs.job import (
        rerun as rerun,
    )
    from .runs.job import (
        run_job as run_job,
    )
    from .runs.job import (
        write_job_outputs as write_job_outputs,
    )
    from .runs.sweep import (
        Scenario as Scenario,
    )
    from .runs.sweep import (
        comparison_table as comparison_table,
    )
    from .runs.sweep import (
        read_scenarios as read_scenarios,
    )
    from .runs.sweep import (
        write_sweep_outputs as write_sweep_outputs,
    )
    from .siting.candidates import candidates_from_osm as candidates_from_osm
    from .siting.candidates import candidates_on_grid as candidates_on_grid
    from .siting.candidates import check_candidate_sources as check_candidate_sources
    from .siting.candidates import combine_candidates as combine_candidates
    from .siting.candidates import gather_candidates as gather_candidates
    from .siting.result import SitingResult as SitingResult
    from .siting.site import site_new_centres as site_new_centres
    from .siting.summary import siting_summary as siting_summary
    from .study import (
        Coverage as Coverage,
    )
    from .study import (
        Siting as Siting,
    )
    from .study import (
        StudyArea as StudyArea,
    )

try:
    __version__ = version("circle-planner")  # the distribution's name (circle._extras)
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
