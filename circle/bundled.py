"""Paths of the bundled demo data (real OpenStreetMap extracts; see data/README.md)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_CENTRES", "DEFAULT_COMMUNITIES", "DEFAULT_NETWORK", "bundled_path"]


def bundled_path(name: str) -> Path:
    """Path of a bundled data file, in a checkout (``data/``) or an installed wheel.

    Parameters
    ----------
    name
        File name inside ``data/``.

    Returns
    -------
    Path
    """
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "data", here / "_bundled_data"):
        if (folder / name).exists():
            return folder / name
    return here.parent / "data" / name


DEFAULT_NETWORK = bundled_path("helsinki_centre.osm.pbf")
DEFAULT_CENTRES = bundled_path("helsinki_centres.geojson")
DEFAULT_COMMUNITIES = bundled_path("helsinki_communities.geojson")
