"""circle: the 15-minute employment circle planner.

Which communities can reach an employment service centre within a 15-minute walk, and where
should the next centres go?
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from .config import DEFAULT_CONFIG, CircleConfig
from .coverage import CoverageResult, coverage_report, summarise
from .datums import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from .errors import (
    CircleError,
    CircleWarning,
    ConfigError,
    InputDataError,
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
    "NetworkError",
    "OsmPresets",
    "OutputError",
    "SolverError",
    "WalkNetwork",
    "__version__",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "coverage_report",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "layers_from_osm",
    "load_network",
    "network_from_arrays",
    "network_from_graph",
    "read_layer",
    "summarise",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
