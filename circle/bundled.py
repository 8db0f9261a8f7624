"""Paths of the bundled demo data (real OpenStreetMap extracts; see data/README.md)."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DEFAULT_CENTRES",
    "DEFAULT_COMMUNITIES",
    "DEFAULT_NETWORK",
    "bundled_path",
    "default_layers",
]


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


def default_layers(network_path, centres, communities):
    """The bundled demo layers go with the bundled network when no layer is given.

    Parameters
    ----------
    network_path
        The network file.
    centres, communities
        Layer files or ``None``.

    Returns
    -------
    centres, communities
        The given files; for the bundled network, the bundled layers in place of ``None``.
    """
    if Path(network_path) == DEFAULT_NETWORK:
        return centres or str(DEFAULT_CENTRES), communities or str(DEFAULT_COMMUNITIES)
    return centres, communities
