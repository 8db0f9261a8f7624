"""Population per community, from the first source with a figure: column, raster, OSM, count."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._extras import require
from ..errors import InputDataError
from ._limits import MAX_PIXELS_ENV, max_pixels
from .extract import OsmPresets, estimate_population

__all__ = ["POPULATION_NONE", "fill_population", "population_from_raster", "raster_method"]

logger = logging.getLogger(__name__)

#: `population_source` of a community with no population figure (it counts as one community)
POPULATION_NONE = "none: no population figure; counted as one community"


def raster_method(name: str) -> str:
    """The `population_source` text of a raster sum."""
    return (
        f"raster {name}: pixel values summed over the community, each pixel weighted by the "
        "share of its area inside (nodata counts 0)"
    )


def population_from_raster(communities: gpd.GeoDataFrame, path: str | Path) -> np.ndarray:
    """Sum a population raster (people per pixel, e.g. WorldPop) over each community polygon.

    Every pixel contributes its value times the share of its area inside the polygon, so a
    community smaller than a pixel gets its part of the pixel. Band 1 is read; nodata pixels
    count 0 (declared nodata and NaN).

    Parameters
    ----------
    communities
        Polygons, any CRS (reprojected to the raster's).
    path
        A GeoTIFF (or any raster GDAL reads) with a CRS and a north-up grid.

    Returns
    -------
    numpy.ndarray
        One sum per community; ``nan`` for points and for polygons wholly outside the raster.
    """
    path = Path(path)
    with open_raster(path) as src:
        t = src.transform
        geoms = communities.to_crs(src.crs).geometry.values
        sums = np.full(len(geoms), np.nan)
        pixel_area = abs(t.a * t.e)
        budget = max_pixels()
        for i, g in enumerate(geoms):
            if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
                continue
            window = _window(g.bounds, t, src.width, src.height)
            if window is None:
                continue
            (r0, r1), (c0, c1) = window
            _check_pixels(path, i, (r1 - r0) * (c1 - c0), budget)
            data = src.read(1, window=((r0, r1), (c0, c1)), masked=True).astype(float)
            values = data.filled(0.0)
            values[~np.isfinite(values)] = 0.0  # undeclared NaN nodata
            rows, cols = np.indices(values.shape)
            x0 = t.c + (c0 + cols.ravel()) * t.a
            y0 = t.f + (r0 + rows.ravel()) * t.e
            boxes = shapely.box(x0, y0, x0 + t.a, y0 + t.e)
            shapely.prepare(g)
            share = np.where(shapely.contains_properly(g, boxes), 1.0, 0.0)
            edge = (share == 0) & shapely.intersects(g, boxes)
            share[edge] = shapely.area(shapely.intersection(boxes[edge], g)) / pixel_area
            sums[i] = float(np.dot(share, values.ravel()))
    logger.info(
        "population raster %s: %d of %d communities inside",
        path.name,
        np.isfinite(sums).sum(),
        len(sums),
    )
    return sums


def _check_pixels(path: Path, feature: int, pixels: int, budget: int) -> None:
    """Refuse a window of more than `budget` pixels before it is read (the window is already
    bounded by the community's extent: a community as large as a country asks for this)."""
    if pixels > budget:
        msg = (
            f"{path}: community {feature + 1} covers {pixels:,} pixels of the raster, more than "
            f"the {budget:,} circle reads under one community ({pixels * 8 / 2**30:,.1f} GiB); "
            f"is the community layer in the right CRS, or the raster much finer than needed? "
            f"Resample the raster (gdalwarp -tr), or raise the limit with {MAX_PIXELS_ENV}=N"
        )
        raise InputDataError(msg)


def open_raster(
    path: Path,
    feature: str = "population rasters",
    crs_hint: str = "WorldPop rasters are EPSG:4326",
):
    """Open a raster, refusing what cannot be read as a north-up grid: missing, unreadable, no
    CRS, rotated. `feature` names what needs the `raster` extra; `crs_hint` where a CRS comes
    from."""
    rasterio = require("rasterio", "raster", feature)
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as err:
        msg = f"{path}: cannot read as a raster ({str(err).splitlines()[0]})"
        raise InputDataError(msg) from err
    problem = None
    if src.crs is None:
        problem = f"the raster has no CRS; save it with one ({crs_hint})"
    elif src.transform.b != 0 or src.transform.d != 0:
        problem = "rotated rasters are not read; warp it north-up first (gdalwarp)"
    if problem:
        src.close()
        msg = f"{path}: {problem}"
        raise InputDataError(msg)
    return src


def _window(bounds, t, width: int, height: int):
    """Row and column ranges of the pixels under a bounding box, or None when outside."""
    minx, miny, maxx, maxy = bounds
    cols = sorted(((minx - t.c) / t.a, (maxx - t.c) / t.a))
    rows = sorted(((maxy - t.f) / t.e, (miny - t.f) / t.e))
    c0, c1 = max(0, math.floor(cols[0])), min(width, math.ceil(cols[1]))
    r0, r1 = max(0, math.floor(rows[0])), min(height, math.ceil(rows[1]))
    if c0 >= c1 or r0 >= r1:
        return None
    return (r0, r1), (c0, c1)


def fill_population(
    communities: gpd.GeoDataFrame,
    *,
    raster: str | Path | None = None,
    osm_features: list[dict] | None = None,
    osm_source: str = "OSM",
    presets: OsmPresets | None = None,
) -> gpd.GeoDataFrame:
    """Give every community a population figure from the first source that has one.

    In order: the layer's ``population`` column (where it has a value); the population
    `raster` summed over the community; an estimate from the OSM buildings in
    `osm_features`; else none (the community counts as one). ``population_source`` says which,
    per community.

    Parameters
    ----------
    communities
        The communities layer (``population`` and ``population_source`` optional).
    raster
        A population raster (people per pixel), see `population_from_raster`.
    osm_features
        Tagged OSM features holding buildings, as `circle.io.osm.read_tagged_features` gives.
    osm_source
        Name of the OSM data, stated in the source of estimates.
    presets
        Building values and floor-area assumptions of the estimate.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``population`` (float, ``nan`` where no source has a figure) and
        ``population_source``; ``attrs`` kept.
    """
    out = communities.copy()
    source = communities.attrs.get("source", "the communities layer")
    n = len(out)
    # rows with a value keep it as given (validation later refuses non-numeric ones)
    pop = out["population"].to_numpy(object) if "population" in out.columns else np.full(n, None)
    missing = pd.isna(pop)
    how = np.full(n, POPULATION_NONE, dtype=object)
    stated = (
        out["population_source"].fillna("").astype(str).to_numpy(object)
        if "population_source" in out.columns
        else np.full(n, "", dtype=object)
    )
    how[~missing] = np.where(stated == "", f"column 'population' of {source}", stated)[~missing]
    if raster is not None:
        open_raster(Path(raster)).close()  # refuse a bad raster even when no row needs it
    if raster is not None and missing.any():
        sums = population_from_raster(out.loc[missing], raster)
        found = np.flatnonzero(missing)[np.isfinite(sums)]
        pop[found] = sums[np.isfinite(sums)]
        how[found] = raster_method(Path(raster).name)
        missing[found] = False
    if osm_features is not None and missing.any():
        presets = presets or OsmPresets()
        est, _ = estimate_population(out.loc[missing], osm_features, presets=presets)
        found = np.flatnonzero(missing)[np.isfinite(est)]
        pop[found] = est[np.isfinite(est)]
        how[found] = f"{presets.population_method()} ({osm_source})"
        missing[found] = False
    out["population"] = pd.Series(pop, index=out.index).infer_objects()
    out["population_source"] = how
    out.attrs.update(communities.attrs)
    counts = {s: int((how == s).sum()) for s in dict.fromkeys(how.tolist())}
    logger.info("population sources: %s", counts)
    return out
