"""Elevations from a digital elevation model (any GDAL raster in any CRS): SRTM, ALOS, Copernicus
tiles or a bureau's own survey, read once over the network's extent and sampled bilinearly."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyproj

from ..errors import InputDataError
from .population import open_raster

__all__ = ["Dem", "implausible", "read_dem"]

logger = logging.getLogger(__name__)

#: vertical units that are feet (GDAL band units, case-insensitive)
_FEET = {
    "ft", "foot", "feet", "us-ft", "ftus", "us survey foot", "us_survey_foot", "international foot"
}


@dataclass(frozen=True, eq=False)
class Dem:
    """The part of a DEM under a network, as an array with its georeferencing.

    Attributes
    ----------
    z
        Elevations in metres (float64), ``nan`` where the DEM has no data.
    transform
        The window's north-up georeferencing in the DEM's CRS: (a, c, e, f) = (pixel width,
        west edge, -pixel height, north edge).
    crs
        The DEM's CRS (WKT or EPSG text).
    info
        Provenance: file, sha256, CRS, resolution, vertical units.
    """

    z: np.ndarray
    transform: tuple[float, float, float, float]
    crs: str
    info: dict = field(default_factory=dict)

    def sample(self, xy: np.ndarray, xy_crs: str) -> np.ndarray:
        """Bilinear elevations (metres) at points given in `xy_crs`; ``nan`` outside the DEM or
        next to a cell without data.

        Parameters
        ----------
        xy
            Points, shape (k, 2).
        xy_crs
            Their CRS (the network's).

        Returns
        -------
        numpy.ndarray
        """
        return self.sample_native(self.to_dem_crs(xy, xy_crs))

    def to_dem_crs(self, xy: np.ndarray, xy_crs: str) -> np.ndarray:
        """Points given in `xy_crs`, in the DEM's CRS (shape (k, 2))."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        if pyproj.CRS.from_user_input(xy_crs) == pyproj.CRS.from_user_input(self.crs):
            return xy
        tr = pyproj.Transformer.from_crs(xy_crs, self.crs, always_xy=True)
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    def sample_native(self, xy: np.ndarray) -> np.ndarray:
        """`sample` of points already in the DEM's CRS."""
        x, y = xy[:, 0], xy[:, 1]
        a, c, e, f = self.transform
        # pixel centres are at half-integer positions: shift so that they are whole numbers
        col = (np.asarray(x) - c) / a - 0.5
        row = (np.asarray(y) - f) / e - 0.5
        h, w = self.z.shape
        c0 = np.floor(col).astype(np.int64)
        r0 = np.floor(row).astype(np.int64)
        fc, fr = col - c0, row - r0
        # a point beyond the outer pixel centres (within half a pixel) takes the edge value
        c0 = np.clip(c0, 0, w - 1)
        r0 = np.clip(r0, 0, h - 1)
        c1 = np.minimum(c0 + 1, w - 1)
        r1 = np.minimum(r0 + 1, h - 1)
        fc = np.clip(fc, 0.0, 1.0)
        fr = np.clip(fr, 0.0, 1.0)
        z = self.z
        out = (
            z[r0, c0] * (1 - fc) * (1 - fr)
            + z[r0, c1] * fc * (1 - fr)
            + z[r1, c0] * (1 - fc) * fr
            + z[r1, c1] * fc * fr
        )
        outside = (col < -0.5) | (col > w - 0.5) | (row < -0.5) | (row > h - 0.5)
        out[outside] = np.nan
        return out


def read_dem(path: str | Path, bounds: tuple[float, float, float, float], bounds_crs: str) -> Dem:
    """Read the part of a DEM that covers `bounds` (plus two pixels).

    Parameters
    ----------
    path
        Any raster GDAL reads (GeoTIFF, .hgt, .img, ...), one band of elevations.
    bounds
        (xmin, ymin, xmax, ymax) of the network in `bounds_crs`.
    bounds_crs
        The network's CRS.

    Returns
    -------
    Dem

    Raises
    ------
    InputDataError
        Missing or unreadable file, no CRS, a rotated raster, elevations in feet, or a DEM that
        does not meet the network at all.
    """
    path = Path(path)
    src = open_raster(path, "--dem (elevation rasters)", "SRTM and Copernicus tiles are EPSG:4326")
    from rasterio.windows import Window

    with src:
        _check_dem(path, src)
        dem_crs = src.crs.to_wkt()
        tr = pyproj.Transformer.from_crs(bounds_crs, dem_crs, always_xy=True)
        box = tr.transform_bounds(*bounds, densify_pts=21)
        t = src.transform
        cols = sorted(((box[0] - t.c) / t.a, (box[2] - t.c) / t.a))
        rows = sorted(((box[3] - t.f) / t.e, (box[1] - t.f) / t.e))
        col0 = max(math.floor(cols[0]) - 2, 0)
        row0 = max(math.floor(rows[0]) - 2, 0)
        col1 = min(math.ceil(cols[1]) + 2, src.width)
        row1 = min(math.ceil(rows[1]) + 2, src.height)
        if col0 >= col1 or row0 >= row1:
            msg = (
                f"{path}: the DEM does not cover the network (DEM bounds {_fmt(src.bounds)}, "
                f"network bounds {_fmt(box)} in the DEM's CRS); give the tile(s) of the study area"
            )
            raise InputDataError(msg)
        window = Window(col0, row0, col1 - col0, row1 - row0)
        z = src.read(1, window=window, masked=True).astype(np.float64).filled(np.nan)
        transform = (t.a, t.c + col0 * t.a, t.e, t.f + row0 * t.e)
        info = {
            "file": path.name,
            "crs": src.crs.to_string(),
            "resolution": [abs(src.transform.a), abs(src.transform.e)],
            "units": src.units[0] or "m (assumed)",
        }
    return Dem(z, transform, dem_crs, info)


def _check_dem(path: Path, src) -> None:
    if (src.units[0] or "").strip().lower() in _FEET or _vertical_feet(src.crs):
        msg = (
            f"{path}: the DEM's elevations are in {src.units[0] or 'feet'!r}; circle needs "
            "metres: convert it (gdal_calc.py -A in.tif --calc='A*0.3048' --outfile out.tif) "
            "and set its units to m"
        )
        raise InputDataError(msg)


def _vertical_feet(crs) -> bool:
    """Whether a compound CRS puts its heights in feet."""
    try:
        c = pyproj.CRS.from_wkt(crs.to_wkt())
    except pyproj.exceptions.CRSError:
        return False
    for sub in c.sub_crs_list:
        if sub.is_vertical and any("foot" in a.unit_name.lower() for a in sub.axis_info):
            return True
    return False


def _fmt(b) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in b) + ")"


def implausible(z: np.ndarray) -> str | None:
    """Why sampled elevations look wrong (e.g. feet in a file that says nothing), or None."""
    ok = z[np.isfinite(z)]
    if ok.size == 0:
        return None
    if ok.min() < -500 or ok.max() > 9000:
        return f"elevations from {ok.min():.0f} to {ok.max():.0f}: not metres above sea level?"
    return None

