"""Areas for roll-ups: which street office (街道) or district each community belongs to."""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import shapely

from .._validate import natural_key
from ..errors import CircleWarning, InputDataError

__all__ = ["AREA_COLUMN", "assign_areas"]

logger = logging.getLogger(__name__)

#: the communities' column (and output column) naming each community's area
AREA_COLUMN = "area"


def assign_areas(
    communities: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    name_column: str = "name",
) -> gpd.GeoDataFrame:
    """Name the area (street office, district, …) of every community, for the roll-up tables.

    Parameters
    ----------
    communities
        The communities layer.
    by
        A column of `communities` that names the area (e.g. ``street`` or ``街道``).
    areas
        Area polygons (any CRS, e.g. street offices read with `circle.io.files.read_layer`): a
        community belongs to the area containing its representative point (a point inside its
        polygon). A point in two overlapping areas goes to the first by name, with a warning.
    name_column
        The column of `areas` holding the area names.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of `communities` with an ``area`` column ("" where no area contains the community
        or the `by` value is empty); ``attrs["areas"]`` describes where the areas came from.
    """
    if (by is None) == (areas is None):
        msg = "give exactly one of `by` (a column) and `areas` (polygons)"
        raise ValueError(msg)
    source = communities.attrs.get("source", "communities layer")
    out = communities.copy()
    if by is not None:
        if by not in communities.columns:
            cols = [c for c in communities.columns if c != communities.geometry.name]
            msg = f"{source}: no column {by!r} to roll up by; found columns {cols!r}"
            raise InputDataError(msg)
        out[AREA_COLUMN] = [_name(v) for v in communities[by]]
        out.attrs["areas"] = f"column {by!r} of {source}"
    else:
        assert areas is not None  # exactly one of `by` and `areas`, checked above
        out[AREA_COLUMN] = _areas_containing(communities, areas, name_column)
        out.attrs["areas"] = (
            f"{areas.attrs.get('source', 'areas layer')} (names from column {name_column!r})"
        )
    unassigned = out[AREA_COLUMN] == ""
    if unassigned.any():
        logger.info("areas: %d communities in no area", int(unassigned.sum()))
    return out


def _areas_containing(
    communities: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, name_column: str
) -> list[str]:
    source = areas.attrs.get("source", "areas layer")
    label = areas.attrs.get("row_label", "feature")
    if len(areas) == 0:
        msg = f"{source}: the areas layer is empty"
        raise InputDataError(msg)
    if name_column not in areas.columns:
        cols = [c for c in areas.columns if c != areas.geometry.name]
        msg = (
            f"{source}: no area name column {name_column!r}; found columns {cols!r}; name it "
            "with --areas-name-column"
        )
        raise InputDataError(msg)
    if areas.crs is None:
        msg = f"{source}: the areas layer has no CRS"
        raise InputDataError(msg)
    geom = areas.geometry.values
    polygonal = np.isin(shapely.get_type_id(geom), [3, 6])
    if not polygonal.all():
        rows = (np.flatnonzero(~polygonal) + 1).tolist()[:5]
        msg = (
            f"{source}: areas must be polygons; missing geometry, points or lines in {label} "
            f"{', '.join(map(str, rows))}"
        )
        raise InputDataError(msg)
    names = np.array([_name(v) for v in areas[name_column]], dtype=object)
    if (names == "").any():
        rows = (np.flatnonzero(names == "") + 1).tolist()[:5]
        msg = f"{source}: empty area name in {label} {', '.join(map(str, rows))}"
        raise InputDataError(msg)
    geom = shapely.make_valid(geom)
    points = shapely.point_on_surface(communities.to_crs(areas.crs).geometry.values)
    p_idx, a_idx = shapely.STRtree(geom).query(points, predicate="intersects")
    found: dict[int, list[str]] = {}
    for p, a in zip(p_idx.tolist(), a_idx.tolist(), strict=False):
        found.setdefault(p, []).append(names[a])
    overlapping = [p for p, hits in found.items() if len(set(hits)) > 1]
    if overlapping:
        ids = communities["id"].iloc[sorted(overlapping)].astype(str).tolist()[:5]
        warnings.warn(
            f"{source}: {len(overlapping)} communities ({', '.join(ids)}) lie in more than one "
            "area (the areas overlap); each counts once, in the first area by name",
            CircleWarning,
            stacklevel=3,
        )
    return [min(found[i], key=natural_key) if i in found else "" for i in range(len(communities))]


def _name(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
