"""The walking network from a PostGIS table of street centre-lines."""

from __future__ import annotations

import hashlib

import numpy as np
import pyproj
import shapely

from ..io.datums import local_utm_crs
from ..io.db import SNAP_GRID_M, read_street_lines
from .walk import WalkNetwork, network_from_arrays

__all__ = ["network_from_db"]


def network_from_db(
    source: str,
    *,
    min_component_m: float = 250.0,
    crs: str | None = None,
    snap_grid_m: float = SNAP_GRID_M,
) -> WalkNetwork:
    """Build the walking network from a PostGIS table (or query) of street centre-lines.

    Columns: ``geometry`` (any name; LineString or MultiLineString), optional ``walkable``
    (boolean: rows with false are dropped, NULL counts as walkable) and optional ``oneway``
    (read but ignored: walking is two-way). Every line is exploded into its straight segments;
    segment ends that round to the same point of a `snap_grid_m` grid become one node, so
    streets connect where they share a vertex (to the centimetre), never where they merely
    cross (bridges, tunnels).

    Parameters
    ----------
    source
        ``postgresql://USER@HOST/DB?table=roads`` or ``...?query=SELECT…``.
    min_component_m
        Fragments with less street than this (metres) are dropped.
    crs
        Projected CRS to work in; default: the table's CRS when it is projected in metres,
        else the UTM zone of the network's centre.
    snap_grid_m
        Grid (metres) on which end points are merged.

    Returns
    -------
    WalkNetwork
    """
    edges, label, walkable = read_street_lines(source)
    if crs is None:
        table_crs = pyproj.CRS.from_user_input(edges.crs)
        metric = table_crs.is_projected and table_crs.axis_info[0].unit_name in ("metre", "meter")
        if metric:
            crs = edges.crs
        else:
            lon0, lat0, lon1, lat1 = edges.to_crs("EPSG:4326").total_bounds
            crs = local_utm_crs((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    lines = edges.loc[walkable].to_crs(crs).geometry.values
    coords, part = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
    seg = np.flatnonzero(part[:-1] == part[1:])
    key = np.round(coords / snap_grid_m).astype(np.int64)
    _, first, node = np.unique(key, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    crs_text = pyproj.CRS.from_user_input(crs).to_string()
    return network_from_arrays(
        coords[first],
        node[seg],
        node[seg + 1],
        crs=crs_text,
        min_component_m=min_component_m,
        source={
            "file": label,
            # digest of the segments read (coordinates in `crs`), like a file's sha256
            "sha256": hashlib.sha256(coords.tobytes() + part.tobytes()).hexdigest(),
            "edge_rows": len(edges),
            "edge_rows_not_walkable": int((~walkable).sum()),
            "snap_grid_m": snap_grid_m,
            "min_component_m": min_component_m,
        },
    )
