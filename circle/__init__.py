"""circle: the 15-minute employment circle planner.

Which communities can reach an employment service centre within a 15-minute walk, and where
should the next centres go?
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from .config import DEFAULT_CONFIG, CircleConfig
from .coverage import CoverageResult, coverage_report, summarise
from .engine import reach_within
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
from .siting import (
    SitingResult,
    candidates_from_osm,
    candidates_on_grid,
    combine_candidates,
    site_new_centres,
    siting_summary,
)
from .siting_report import write_siting_outputs

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
    "SitingResult",
    "SolverError",
    "WalkNetwork",
    "__version__",
    "candidates_from_osm",
    "candidates_on_grid",
    "combine_candidates",
    "coverage_report",
    "layers_from_osm",
    "load_network",
    "network_from_arrays",
    "network_from_graph",
    "reach_within",
    "read_layer",
    "site_new_centres",
    "siting_summary",
    "summarise",
    "write_siting_outputs",
]
