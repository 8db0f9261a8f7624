"""The distribution's name and its optional features (extras): one message names the extra.

The base install (``pip install circle-planner``) is what ``circle coverage`` needs. Population
rasters, static figures, GeoParquet, PostGIS and Dask are extras; a feature whose extra is missing
raises `MissingDependencyError` (exit 1 on the command line) naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["DISTRIBUTION", "EXTRAS", "install_hint", "require"]

#: the name on PyPI (``circle`` there is an unrelated package); the import name stays ``circle``
DISTRIBUTION = "circle-planner"

#: extra -> what it brings (the packages named in pyproject.toml)
EXTRAS: dict[str, str] = {
    "raster": "rasterio",
    "plot": "matplotlib",
    "parquet": "pyarrow",
    "db": "SQLAlchemy, psycopg, GeoAlchemy2",
    "dask": "dask[distributed]",
}


def install_hint(extra: str) -> str:
    """The install command of one extra, e.g. ``pip install 'circle-planner[raster]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module`, or raise `MissingDependencyError` naming `extra` and the `feature`.

    Parameters
    ----------
    module
        The module to import (``"rasterio"``, ``"matplotlib.pyplot"``, …).
    extra
        The extra that installs it (a key of `EXTRAS`).
    feature
        What needs it, as the message's subject (``"population rasters"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = (
            f"{feature}: needs the `{extra}` extra ({EXTRAS[extra]}), which is not installed: "
            f"{install_hint(extra)}"
        )
        raise MissingDependencyError(msg) from err
