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
from .errors import (
    CircleError,
    CircleWarning,
    ConfigError,
    InputDataError,
    MissingDependencyError,
    NetworkError,
    OutputError,
    SolverError,
)
from .extract import OsmPresets, layers_from_osm
from .io import LayerColumns, read_layer
from .network import WalkNetwork, load_network, network_from_arrays, network_from_graph

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
    "MissingDependencyError",
    "NetworkError",
    "OsmPresets",
    "OutputError",
    "SolverError",
    "WalkNetwork",
    "__version__",
    "coverage_report",
    "layers_from_osm",
    "load_network",
    "network_from_arrays",
    "network_from_db",
    "network_from_graph",
    "read_db_layer",
    "read_layer",
    "summarise",
    "write_db_tables",
]
