"""Input layers made ready for a search: validated, sorted by id, in the network's CRS; and the
error when none of them lies on the network."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .._validate import natural_order, validate_layer
from ..config import CircleConfig
from ..errors import InputDataError, NetworkError
from ..network.snap import Snapped, snap_points
from ..network.walk import WalkNetwork

__all__ = ["check_on_network", "prepare_layer"]


def prepare_layer(
    layer: gpd.GeoDataFrame, network: WalkNetwork, *, kind: str
) -> tuple[gpd.GeoDataFrame, np.ndarray, int]:
    """Validate a layer, sort it by id and project it to the network's CRS.

    Parameters
    ----------
    layer
        Centres, communities or candidates, as read by `circle.io.files.read_layer` or built in
        code.
    network
        The walking network (gives the CRS).
    kind
        {"centres", "communities", "candidates"}

    Returns
    -------
    layer, xy, repaired
        The validated layer in the network's CRS (sorted by id, index reset), the coordinates of
        each feature's representative point (inside its polygon), and the number of repaired
        geometries.
    """
    source = layer.attrs.get("source", f"{kind} layer")
    row_label = layer.attrs.get("row_label", "row")
    if layer.crs is None:
        msg = f"{source}: the {kind} layer has no CRS; set one (e.g. layer.set_crs('EPSG:4326'))"
        raise InputDataError(msg)
    checked, repaired = validate_layer(layer, kind=kind, source=source, row_label=row_label)
    checked = checked.to_crs(network.crs)
    order = natural_order(checked["id"].tolist())
    checked = checked.iloc[order].reset_index(drop=True)
    checked.attrs.update(layer.attrs)
    pts = shapely.point_on_surface(checked.geometry.values)
    xy = shapely.get_coordinates(pts)
    return checked, xy, repaired


def check_on_network(
    layer: gpd.GeoDataFrame,
    original: gpd.GeoDataFrame,
    snapped: Snapped,
    network: WalkNetwork,
    config: CircleConfig,
    kind: str,
) -> None:
    if snapped.on_network.any():
        return
    source = layer.attrs.get("source", f"{kind} layer")
    hint = "check the coordinates and CRS, or raise --max-snap-m"
    if original.crs is not None and original.crs.is_geographic:
        # would the points land on the network with longitude and latitude exchanged?
        ll = shapely.get_coordinates(
            shapely.point_on_surface(original.to_crs("EPSG:4326").geometry.values)
        )
        swapped = ll[:, ::-1]
        if (np.abs(swapped[:, 1]) <= 90).all():
            t = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
            sx, sy = t.transform(swapped[:, 0], swapped[:, 1])
            if snap_points(
                network, np.column_stack([sx, sy]), max_snap_m=config.max_snap_m
            ).on_network.any():
                hint = (
                    "longitude and latitude look swapped (with them exchanged the points fall on "
                    "the network): put longitude first or name the columns with "
                    "--lon-column/--lat-column"
                )
                msg = f"{source}: no {kind} within the network; {hint}"
                raise InputDataError(msg)
    where = network.source.get("file", "the network")
    msg = (
        f"{source}: none of the {len(layer)} {kind} is within max_snap_m={config.max_snap_m:g} m "
        f"of the walking network of {where}; {hint}"
    )
    raise NetworkError(msg)
