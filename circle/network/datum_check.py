"""Datum sanity check: does a layer fit the streets markedly better in another Chinese datum?"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..errors import CircleWarning
from ..io.datums import DATUMS, FROM_WGS84, TO_WGS84, in_china
from .snap import snap_points
from .walk import WalkNetwork

__all__ = ["DatumFit", "check_datum", "datum_fit"]

logger = logging.getLogger(__name__)

#: a probe farther than this from every street counts as this far (metres)
SEARCH_M = 1000.0
#: "markedly closer": the median distance must fall by more than this share ...
MIN_GAIN_SHARE = 0.5
#: ... and by more than this many metres
MIN_GAIN_M = 20.0
#: fewer probe points than this and the check stays silent (one point proves nothing)
MIN_PROBES = 3
#: at most this many probe points, evenly spread over the layer
MAX_PROBES = 2000
#: polygon outlines are sampled every this many metres
OUTLINE_STEP_M = 25.0

_DATUM_NAMES = {"wgs84": "WGS84", "gcj02": "GCJ-02 (AMap/Gaode, Tencent)", "bd09": "BD-09 (Baidu)"}


@dataclass(frozen=True)
class DatumFit:
    """How well a layer fits the street network read in each datum.

    Attributes
    ----------
    declared
        The datum the layer was read in.
    median_snap_m
        Per datum: median distance (metres) from the layer's probe points (points; polygon
        outlines sampled every 25 m) to the nearest street, reading the file's coordinates in
        that datum. Probes farther than 1,000 m count as 1,000 m.
    likely
        The datum the layer most probably is in: `declared`, unless another datum brings the
        probes markedly closer (median down by more than half and by more than 20 m).
    probes
        Number of probe points.
    """

    declared: str
    median_snap_m: dict
    likely: str
    probes: int

    @property
    def suspicious(self) -> bool:
        """Whether the layer is probably in another datum than declared."""
        return self.likely != self.declared


def datum_fit(
    layer: gpd.GeoDataFrame, network: WalkNetwork, *, declared: str | None = None
) -> DatumFit | None:
    """Compare how close a layer lies to the streets when read in WGS84, GCJ-02 and BD-09.

    A GCJ-02 export read as WGS84 sits 300-700 m off the streets it was drawn along; converted
    to WGS84 it falls back onto them. Points (centres) are compared as they are; polygons
    (communities, whose outlines mostly follow streets) by their outlines.

    Parameters
    ----------
    layer
        A layer in WGS84 as read (after the declared datum's conversion), any CRS.
    network
        The walking network.
    declared
        {"wgs84", "gcj02", "bd09"} The datum the layer was read in; default its
        ``attrs["datum"]``, else ``"wgs84"``.

    Returns
    -------
    DatumFit or None
        None when the layer lies outside China (where the datums coincide) or has fewer than
        3 probe points.
    """
    declared = declared or layer.attrs.get("datum", "wgs84")
    xy = _probes(layer.to_crs(network.crs).geometry.values)
    if len(xy) < MIN_PROBES:
        return None
    to_ll = pyproj.Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
    if not in_china(lon, lat).any():
        return None
    raw = (lon, lat) if declared == "wgs84" else FROM_WGS84[declared](lon, lat)
    from_ll = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    candidates = {}
    for datum in DATUMS:
        ll = raw if datum == "wgs84" else TO_WGS84[datum](*raw)
        candidates[datum] = np.column_stack(from_ll.transform(*ll))
    return _fit(candidates, network, declared)


def _fit(candidates: dict, network: WalkNetwork, declared: str) -> DatumFit:
    """Pick the datum whose probe positions lie markedly closest to the streets."""
    medians = {}
    for datum, xy in candidates.items():
        snapped = snap_points(network, xy, max_snap_m=SEARCH_M)
        medians[datum] = float(np.median(np.where(snapped.on_network, snapped.snap_m, SEARCH_M)))
    best = min(medians, key=lambda d: (medians[d], d != declared))
    here, there = medians[declared], medians[best]
    marked = here - there > MIN_GAIN_M and there < (1 - MIN_GAIN_SHARE) * here
    n = len(next(iter(candidates.values())))
    return DatumFit(declared, medians, best if marked else declared, n)


def check_datum(
    layer: gpd.GeoDataFrame, network: WalkNetwork, *, kind: str = "layer"
) -> DatumFit | None:
    """Warn (`CircleWarning`) when a layer is probably in another datum than it was read in.

    Parameters
    ----------
    layer
        A layer as read by `circle.io.files.read_layer` (its ``attrs`` name the file and datum).
    network
        The walking network.
    kind
        {"centres", "communities", "candidates", ...} Names the option in the message.

    Returns
    -------
    DatumFit or None
        See `datum_fit`.
    """
    fit = datum_fit(layer, network)
    if fit is None:
        return None
    logger.info("datum check of %s: median distance to a street %s", kind, fit.median_snap_m)
    if fit.suspicious:
        source = layer.attrs.get("source", f"{kind} layer")
        m = fit.median_snap_m
        warnings.warn(
            f"{source}: read as {_DATUM_NAMES[fit.declared]}, but its {kind} lie markedly closer "
            f"to the streets read as {_DATUM_NAMES[fit.likely]} (median distance to the nearest "
            f"street {m[fit.likely]:.0f} m instead of {m[fit.declared]:.0f} m); the file is "
            f"probably {fit.likely}: read it with --{kind}-datum {fit.likely}",
            CircleWarning,
            stacklevel=2,
        )
    return fit


def _probes(geoms: np.ndarray) -> np.ndarray:
    """Probe coordinates: points as they are, polygon outlines sampled every 25 m."""
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    kinds = shapely.get_type_id(present)
    polygons = np.isin(kinds, [3, 6])
    outlines = shapely.segmentize(shapely.boundary(present[polygons]), OUTLINE_STEP_M)
    xy = np.vstack([shapely.get_coordinates(present[~polygons]), shapely.get_coordinates(outlines)])
    if len(xy) > MAX_PROBES:
        xy = xy[np.linspace(0, len(xy) - 1, MAX_PROBES).astype(int)]
    return xy
