"""circle: the 15-minute employment circle planner.

Which communities can reach an employment service centre within a 15-minute walk, and where
should the next centres go?
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from .config import DEFAULT_CONFIG, CircleConfig
from .coverage import CoverageResult, coverage_report, summarise
from .distributed import Partitioning, dask_client, run_coverage_parts, run_partitioned_coverage
from .errors import (
    CircleError,
    CircleWarning,
    ConfigError,
    InputDataError,
    NetworkError,
    OutputError,
    PartFailedError,
    SolverError,
)
from .extract import OsmPresets, layers_from_osm
from .io import LayerColumns, read_layer
from .network import WalkNetwork, load_network, network_from_arrays, network_from_graph
from .partition import Part, halo_m, tile_parts
from .sweep import Scenario, comparison_table, read_scenarios, write_sweep_outputs

try:
    __version__ = version("circle")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_CONFIG",
    "CircleConfig",
    "CircleError",
    "CircleWarning",
    "ConfigError",
    "CoverageResult",
    "InputDataError",
    "LayerColumns",
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
    "comparison_table",
    "coverage_report",
    "dask_client",
    "halo_m",
    "layers_from_osm",
    "load_network",
    "network_from_arrays",
    "network_from_graph",
    "read_layer",
    "read_scenarios",
    "run_coverage_parts",
    "run_partitioned_coverage",
    "summarise",
    "tile_parts",
    "write_sweep_outputs",
]
