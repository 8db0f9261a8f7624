"""Isochrones that tell the truth: the reached parts of streets, cut exactly and buffered a little.

One multi-source search gives the walk from the nearest centre to every node. For each piece of
street and each threshold T, the reached part is what lies within T of either end: the whole
piece, or its ends cut at the remaining distance. Those lines, buffered by
`CircleConfig.isochrone_buffer_m` (the walk from the street to a door) and unioned, are the
isochrone polygons — never convex hulls, which swallow rivers and rail yards, and never grid
contours.

Bands nest by construction: the polygon of a band is the union of the next smaller band's
polygon with the buffered pieces reached between the two thresholds.

Per centre, each street point belongs to its *nearest* centre (the partition the search already
gives, split mid-way along a street two centres reach from opposite ends): a centre's polygon is
the area it serves first within T, so per-centre polygons of one band do not overlap beyond the
buffer margin, and together they make the merged ("all") polygon.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import DEFAULT_CONFIG, CircleConfig
from ..network.engine import NodeReach, reach_from_centres
from ..network.snap import SearchGraph, Snapped, build_search_graph, snap_points
from ..network.walk import WalkNetwork
from .layers import check_on_network, prepare_layer

__all__ = ["ALL_CENTRES", "ISOCHRONE_COLUMNS", "reached_segments", "walk_isochrones"]

logger = logging.getLogger(__name__)

#: `centre_id` of the merged polygons (every centre together)
ALL_CENTRES = "all"
#: attribute columns of `isochrones` (geometry last)
ISOCHRONE_COLUMNS = ["centre_id", "centre_name", "minutes", "walk_m", "area_m2"]


def reached_segments(
    graph: SearchGraph,
    reach: NodeReach,
    walk_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reached part of every piece of street at one walk distance, as intervals.

    A point at distance ``s`` from end ``a`` of a piece of length ``L`` is reached at walk
    ``min(walk[a] + s, walk[b] + L - s)``; it belongs to the centre that gives the minimum. So
    end ``a``'s centre reaches ``[0, ea]`` and end ``b``'s centre reaches ``[sb, L]``, cut at the
    remaining distance and at the point where both walks are equal.

    Parameters
    ----------
    graph
        The search graph the search ran on.
    reach
        Walk from the nearest centre to every node of `graph`.
    walk_m
        The walk distance (metres), access leg of the centre included.

    Returns
    -------
    ea, sb, owner_a, owner_b
        Per piece (in ``graph.pieces_*`` order): reached interval ``[0, ea]`` from end a and
        ``[sb, L]`` from end b (``ea = 0``, ``sb = L`` when nothing), and the rank of the centre
        owning each.
    """
    length = graph.pieces_length_m
    da = reach.walk_m[graph.pieces_a]
    db = reach.walk_m[graph.pieces_b]
    if graph.pieces_ab_m is not None and graph.pieces_ba_m is not None:
        ab, ba = graph.pieces_ab_m, graph.pieces_ba_m
        ea, sb = _reached_directed(length, ab, ba, da, db, walk_m)
        return ea, sb, reach.centre[graph.pieces_a], reach.centre[graph.pieces_b]
    with np.errstate(invalid="ignore"):
        # the meeting point of the two walks along the piece
        meet = np.where(
            np.isfinite(da) & np.isfinite(db),
            np.clip((db + length - da) / 2.0, 0.0, length),
            np.where(np.isfinite(da), length, 0.0),
        )
    ea = np.where(da <= walk_m, np.minimum(np.clip(walk_m - da, 0.0, length), meet), 0.0)
    sb = np.where(
        db <= walk_m, np.maximum(length - np.clip(walk_m - db, 0.0, length), meet), length
    )
    return ea, sb, reach.centre[graph.pieces_a], reach.centre[graph.pieces_b]


def _reached_directed(
    length: np.ndarray,
    ab: np.ndarray,
    ba: np.ndarray,
    da: np.ndarray,
    db: np.ndarray,
    walk_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """`reached_segments` with directed costs: a point ``s`` metres from end a walks to a at
    ``s * ba / L`` and to b at ``(L - s) * ab / L`` (each direction's share of the piece's
    cost); a closed direction (``inf``) reaches nothing from that side."""
    safe = np.where(length > 0, length, 1.0)
    to_a, to_b = ba / safe, ab / safe  # cost per metre walking towards a, towards b
    via_a = np.isfinite(da) & np.isfinite(to_a)
    via_b = np.isfinite(db) & np.isfinite(to_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        meet = np.where(
            via_a & via_b,
            np.clip((db - da + to_b * length) / (to_a + to_b), 0.0, length),
            np.where(via_a, length, 0.0),
        )
        # 0 / 0 (a piece of no cost, no budget left): the whole piece
        reach_a = np.clip(np.where(np.isnan(r := (walk_m - da) / to_a), length, r), 0.0, length)
        reach_b = np.clip(np.where(np.isnan(r := (walk_m - db) / to_b), length, r), 0.0, length)
    ea = np.where(via_a & (da <= walk_m), np.minimum(reach_a, meet), 0.0)
    sb = np.where(via_b & (db <= walk_m), np.maximum(length - reach_b, meet), length)
    return ea, sb


def _sub_lines(start: np.ndarray, end: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Segments between fractions t0 and t1 of the straight pieces start→end."""
    d = end - start
    return shapely.linestrings(np.stack([start + t0[:, None] * d, start + t1[:, None] * d], axis=1))


def walk_isochrones(
    network: WalkNetwork,
    centres: gpd.GeoDataFrame,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
    per_centre: bool = True,
) -> gpd.GeoDataFrame:
    """Isochrone polygons of every walk-time band, merged and per centre, from ONE search.

    Parameters
    ----------
    network
        The walking network.
    centres
        Points or polygons with ``id`` (``name`` optional), as for `circle.coverage_report`.
    config
        Speed, bands (``thresholds_min``), snapping and the buffer margin
        (``isochrone_buffer_m``, default 25 m).
    per_centre
        Also return one polygon per centre and band: the streets that centre serves first
        (its nearest-centre catchment) within the band.

    Returns
    -------
    geopandas.GeoDataFrame
        In the network's CRS, one row per (centre, band): ``centre_id`` (``"all"`` for every
        centre together, else the centre's id as text), ``centre_name``, ``minutes``, ``walk_m``
        (the band's walk distance), ``area_m2`` and the (multi)polygon. Merged rows come first,
        then centres in id order; bands ascend. Centres off the network have no rows.
    """
    cent, cent_xy, _ = prepare_layer(centres, network, kind="centres")
    snapped = snap_points(network, cent_xy, max_snap_m=config.max_snap_m)
    check_on_network(cent, centres, snapped, network, config, "centres")
    graph = build_search_graph(network, snapped)
    bands_m = [config.minutes_to_metres(t) for t in config.thresholds_min]
    reach = reach_from_centres(graph, graph.point_node[0], snapped.snap_m, limit_m=bands_m[-1])

    on = np.flatnonzero(snapped.on_network)
    owners = [ALL_CENTRES, *on.tolist()] if per_centre else [ALL_CENTRES]
    rows = _band_polygons(network, graph, reach, snapped, cent_xy, bands_m, config, owners)
    table = _isochrone_table(rows, owners, cent, network.crs)
    merged = table[table["centre_id"] == ALL_CENTRES]
    logger.info(
        "isochrones: %d centres on the network; merged areas %s km²",
        on.size,
        ", ".join(
            f"{m:g} min {a / 1e6:.2f}"
            for m, a in zip(merged["minutes"], merged["area_m2"], strict=True)
        ),
    )
    return table


def _band_polygons(
    network: WalkNetwork,
    graph: SearchGraph,
    reach: NodeReach,
    snapped: Snapped,
    cent_xy: np.ndarray,
    bands_m: list[float],
    config: CircleConfig,
    owners: list[Any],
) -> list[tuple[Any, float, float, Any]]:
    """The polygon of every owner and band, each band grown from the one before.

    Rows are (owner: ALL_CENTRES or a centre position, minutes, walk metres, polygon).
    """
    on = np.flatnonzero(snapped.on_network)
    xy = np.vstack([network.xy, graph.inserted_xy])
    a_xy, b_xy = xy[graph.pieces_a], xy[graph.pieces_b]
    length = graph.pieces_length_m
    safe_len = np.where(length > 0, length, 1.0)
    foot = xy[graph.point_node[0][on]]
    leg = snapped.snap_m[on]
    safe_leg = np.where(leg > 0, leg, 1.0)
    buffer_m = config.isochrone_buffer_m

    previous = {o: shapely.Polygon() for o in owners}
    prev_ea, prev_sb, prev_leg = np.zeros(length.size), length.copy(), np.zeros(on.size)
    rows: list[tuple[Any, float, float, Any]] = []
    for minutes, walk_m in zip(config.thresholds_min, bands_m, strict=True):
        ea, sb, own_a, own_b = reached_segments(graph, reach, walk_m)
        leg_reach = np.clip(walk_m, 0.0, leg)
        # only what this band adds to the previous one; the union with it keeps the bands nested
        grow_a = ea > prev_ea
        grow_b = sb < prev_sb
        grow_leg = leg_reach > prev_leg
        lines = np.concatenate(
            [
                _sub_lines(
                    a_xy[grow_a],
                    b_xy[grow_a],
                    prev_ea[grow_a] / safe_len[grow_a],
                    ea[grow_a] / safe_len[grow_a],
                ),
                _sub_lines(
                    a_xy[grow_b],
                    b_xy[grow_b],
                    sb[grow_b] / safe_len[grow_b],
                    prev_sb[grow_b] / safe_len[grow_b],
                ),
                _sub_lines(
                    cent_xy[on][grow_leg],
                    foot[grow_leg],
                    prev_leg[grow_leg] / safe_leg[grow_leg],
                    leg_reach[grow_leg] / safe_leg[grow_leg],
                ),
            ]
        )
        owner = np.concatenate([own_a[grow_a], own_b[grow_b], on[grow_leg]])
        areas = shapely.buffer(lines, buffer_m)
        for o in owners:
            mine = areas if o == ALL_CENTRES else areas[owner == o]
            geom = shapely.union_all([previous[o], *mine]) if mine.size else previous[o]
            previous[o] = geom
            rows.append((o, minutes, walk_m, geom))
        prev_ea, prev_sb, prev_leg = ea, sb, leg_reach

    return rows


def _isochrone_table(
    rows: list[tuple[Any, float, float, Any]], owners: list[Any], cent: gpd.GeoDataFrame, crs: str
) -> gpd.GeoDataFrame:
    """The rows as a table: merged rows first, then centres in id order; bands ascend."""
    ids = cent["id"].to_numpy()
    names = cent["name"].to_numpy() if "name" in cent.columns else np.full(len(cent), None)
    order = {o: i for i, o in enumerate(owners)}
    rows.sort(key=lambda r: (order[r[0]], r[1]))
    geoms = [shapely.normalize(r[3]) for r in rows]
    table = gpd.GeoDataFrame(
        {
            "centre_id": [ALL_CENTRES if r[0] == ALL_CENTRES else str(ids[r[0]]) for r in rows],
            "centre_name": [None if r[0] == ALL_CENTRES else names[r[0]] for r in rows],
            "minutes": [float(r[1]) for r in rows],
            "walk_m": [round(float(r[2]), 3) for r in rows],
            "area_m2": [float(shapely.area(g)) for g in geoms],
        },
        geometry=gpd.GeoSeries(geoms, crs=crs),
    )
    table["centre_name"] = (
        table["centre_name"].astype(object).where(pd.notna(table["centre_name"]), None)
    )
    return table
