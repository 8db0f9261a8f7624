"""Gates of gated compounds (小区): residents leave through them; the walk starts at the best gate.

A community with gates walks, for each of its gates, the straight line from its representative
point to the gate (the walk inside the compound), then the gate's access leg, the streets and
the centre's access leg; its walk is the best of these, and its nearest centre is that of the
best gate. A community without gates walks from its representative point as before.

Gates come from a layer (points, linked to their community by a ``community_id`` column or by
lying within a tolerance of its boundary) or from an OSM file's gate and entrance nodes.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .._validate import id_text, natural_key, validate_layer
from ..errors import CircleWarning, InputDataError
from ..io.extract import GATE_BARRIERS, OsmPresets, gates_from_features
from ..io.osm import read_tagged_features
from .engine import TIE_TOLERANCE_M
from .snap import Snapped
from .walk import WalkNetwork

__all__ = [
    "GATE_BARRIERS",
    "GateLinks",
    "StartWalks",
    "gates_from_osm",
    "link_gates",
    "walk_through_gates",
]

logger = logging.getLogger(__name__)

def gates_from_osm(path: str | Path, *, presets: OsmPresets | None = None) -> gpd.GeoDataFrame:
    """Gate and entrance nodes of an OSM file.

    Kept: nodes tagged ``entrance=*`` (except ``no`` and ``emergency``) or ``barrier=`` one of
    `GATE_BARRIERS`, unless tagged ``access=no`` or ``locked=yes`` (the defaults of
    `circle.io.extract.OsmPresets`; see `circle.io.extract.gates_from_features`). Which community a
    node belongs to is decided by `link_gates` (within the tolerance of a boundary); the others
    (building doors inside a compound, gates of parks) are not used.

    Parameters
    ----------
    path
        An .osm, .osm.bz2, .osm.gz or .osm.pbf file.
    presets
        The gate tags (default `circle.io.extract.OsmPresets()`).

    Returns
    -------
    gates
        WGS84 points with ``id`` (``node/…``), ``name``, ``osm_tag`` and ``access``.
    """
    presets = presets or OsmPresets()
    path = Path(path)
    keys = tuple(sorted({k for k, _ in presets.gate_tags}))
    return gates_from_features(
        read_tagged_features(path, keys), presets=presets, source=path.name
    )


@dataclass(frozen=True)
class GateLinks:
    """The gates, and which community may leave through which gate.

    Attributes
    ----------
    gate_id
        Gate ids in natural order (``g2`` before ``g10``); a gate's position is its rank in ties.
    xy
        Gate coordinates in the network's CRS.
    pair_community, pair_gate
        One entry per (community position, gate position) link.
    inside_m
        The walk inside the compound for each link: the straight line from the community's
        representative point to the gate, metres.
    source
        Provenance: file, features, links, unlinked gates, tolerance.
    """

    gate_id: np.ndarray
    xy: np.ndarray
    pair_community: np.ndarray
    pair_gate: np.ndarray
    inside_m: np.ndarray
    source: dict


def link_gates(
    gates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    community_xy: np.ndarray,
    network: WalkNetwork,
    *,
    tolerance_m: float,
) -> GateLinks:
    """Link every gate to its community (or communities).

    With a ``community_id`` column, each gate belongs to the community of that id (every row
    must name one). Without it, a gate belongs to every polygon community whose boundary lies
    within `tolerance_m` of it (a gate in a wall shared by two compounds serves both); gates
    near no boundary are not used (counted, and a warning for layers not derived from OSM,
    where most entrance nodes are building doors).

    Parameters
    ----------
    gates
        Points with ``id`` (and optionally ``community_id``), in any CRS.
    communities, community_xy
        The prepared communities layer (`circle.coverage.layers.prepare_layer`: sorted, in the
        network's CRS) and its representative points.
    network
        The walking network (gives the CRS).
    tolerance_m
        Largest distance from a gate to a community boundary, metres.

    Returns
    -------
    GateLinks
    """
    source = gates.attrs.get("source", "gates layer")
    row_label = gates.attrs.get("row_label", "row")
    info = {"file": source, "features": len(gates), "tolerance_m": tolerance_m}
    empty = _no_links(info)
    if len(gates) == 0:
        return empty
    if gates.crs is None:
        msg = f"{source}: the gates layer has no CRS; set one (e.g. layer.set_crs('EPSG:4326'))"
        raise InputDataError(msg)
    checked, _ = validate_layer(gates, kind="gates", source=source, row_label=row_label)
    _check_points(checked, source, row_label)
    if "community_id" in checked.columns:
        gate_comm = _named_communities(checked, communities, source, row_label)
    checked = checked.to_crs(network.crs)
    order = sorted(range(len(checked)), key=lambda i: natural_key(checked["id"].iloc[i]))
    gate_id = checked["id"].to_numpy(object)[order]
    xy = shapely.get_coordinates(checked.geometry.values)[order]
    if "community_id" in checked.columns:
        pc, pg = gate_comm[order], np.arange(len(order))
    else:
        pc, pg = _boundary_pairs(communities, xy, tolerance_m)
    linked = np.unique(pg).size
    unlinked = len(gate_id) - linked
    if unlinked and not gates.attrs.get("osm_derived"):
        warnings.warn(
            f"{source}: {unlinked} of {len(gate_id)} gates lie farther than {tolerance_m:g} m "
            "from every community boundary and are not used",
            CircleWarning,
            stacklevel=3,
        )
    inside = np.hypot(*(community_xy[pc] - xy[pg]).T) if pc.size else np.empty(0)
    info.update(
        linked_gates=int(linked),
        unlinked_gates=int(unlinked),
        communities_with_gates=int(np.unique(pc).size),
    )
    logger.info(
        "gates: %d of %d gates linked to %d communities",
        linked,
        len(gate_id),
        info["communities_with_gates"],
    )
    return replace(
        empty, gate_id=gate_id, xy=xy, pair_community=pc, pair_gate=pg, inside_m=inside, source=info
    )



def _no_links(info: dict) -> GateLinks:
    return GateLinks(
        gate_id=np.empty(0, object),
        xy=np.empty((0, 2)),
        pair_community=np.empty(0, np.int64),
        pair_gate=np.empty(0, np.int64),
        inside_m=np.empty(0),
        source={**info, "linked_gates": 0, "unlinked_gates": 0, "communities_with_gates": 0},
    )


def _check_points(checked: gpd.GeoDataFrame, source: str, row_label: str) -> None:
    not_point = shapely.get_type_id(checked.geometry.values) != 0
    if not_point.any():
        rows = (np.flatnonzero(not_point) + 1).tolist()[:5]
        where = f"{row_label} {', '.join(map(str, rows))}"
        msg = f"{source}: gates must be points; not a point in {where}"
        raise InputDataError(msg)


def _named_communities(
    checked: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, source: str, row_label: str
) -> np.ndarray:
    """The position of the community each gate names in its ``community_id`` column."""
    by_id = {cid: i for i, cid in enumerate(communities["id"])}
    given = checked["community_id"].map(id_text)
    unknown = given.map(lambda c: c not in by_id).to_numpy()
    if unknown.any():
        rows = (np.flatnonzero(unknown) + 1).tolist()
        values = sorted({str(v) for v in given[unknown]}, key=natural_key)[:5]
        msg = (
            f"{source}: community_id {values!r} in {row_label} "
            f"{', '.join(map(str, rows[:5]))} is not a community id (empty, or not in the "
            "communities layer); give every gate the id of its community, or drop the "
            "community_id column to link gates by boundary"
        )
        raise InputDataError(msg)
    return given.map(by_id).to_numpy(np.int64)


def _boundary_pairs(
    communities: gpd.GeoDataFrame, xy: np.ndarray, tolerance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(community, gate) pairs of the gates within `tolerance_m` of a polygon's boundary."""
    geom = communities.geometry.values
    polygonal = np.isin(shapely.get_type_id(geom), [3, 6])
    rings = np.where(polygonal, shapely.boundary(geom), None)
    tree = shapely.STRtree(rings)
    pg, pc = tree.query(shapely.points(xy), predicate="dwithin", distance=tolerance_m)
    keep = np.lexsort((pg, pc))
    return pc[keep].astype(np.int64), pg[keep].astype(np.int64)


@dataclass(frozen=True)
class StartWalks:
    """Where each community's walk starts, and the walk found from there.

    Attributes
    ----------
    walk_m
        Whole walk (inside walk + access leg + streets + centre's access leg), ``inf`` if none.
    centre
        Position of the nearest centre, -1 if none.
    snap_m
        Access leg of the start (representative point, or the gate used).
    on_network
        Whether the start (any gate, for gated communities) joined the network.
    reachable
        Whether a start lies in a piece of network that holds a usable centre.
    via_gate
        Id of the gate used, "" for communities without gates (or when no gate leads anywhere).
    """

    walk_m: np.ndarray
    centre: np.ndarray
    snap_m: np.ndarray
    on_network: np.ndarray
    reachable: np.ndarray
    via_gate: np.ndarray


def walk_through_gates(
    walks: StartWalks,
    links: GateLinks,
    gate_walk_m: np.ndarray,
    gate_centre: np.ndarray,
    gate_snap: Snapped,
    gate_reachable: np.ndarray,
    *,
    limit_m: float,
) -> StartWalks:
    """Replace the walks of gated communities by their best gate's.

    For each community with gates: walk = min over its gates of (inside walk + the gate's walk to
    its nearest centre). Walks within `circle.network.engine.TIE_TOLERANCE_M` of the best are ties,
    won by the gate with the smallest id (natural order). A whole walk longer than `limit_m` is not
    found. Communities whose gates are all off the network are off the network themselves
    (they are not walked from their representative point instead).

    Parameters
    ----------
    walks
        The walks from the representative points.
    links
        Gates and their communities.
    gate_walk_m, gate_centre
        Each gate's walk (access leg + streets + centre's leg) and nearest centre.
    gate_snap
        The gates' snapping.
    gate_reachable
        Whether each gate lies in a piece of network with a usable centre.
    limit_m
        The search limit, metres.

    Returns
    -------
    StartWalks
    """
    n = walks.walk_m.size
    pc, pg = links.pair_community, links.pair_gate
    if pc.size == 0:
        return walks
    total = links.inside_m + gate_walk_m[pg]
    total = np.where(np.isfinite(total) & (total <= limit_m), total, np.inf)
    best = np.full(n, np.inf)
    np.minimum.at(best, pc, total)
    tied = np.isfinite(total) & (total <= best[pc] + TIE_TOLERANCE_M)
    choice = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(choice, pc[tied], pg[tied])
    chosen = tied & (pg == choice[pc])

    gated = np.zeros(n, bool)
    gated[pc] = True
    on = gate_snap.on_network[pg]
    walk = np.where(gated, np.inf, walks.walk_m)
    centre = np.where(gated, -1, walks.centre)
    via = np.where(gated, "", walks.via_gate).astype(object)
    snap = np.where(gated, np.nan, walks.snap_m)
    # a gated community that reaches no centre reports its gates' shortest access leg
    np.fmin.at(snap, pc[on], gate_snap.snap_m[pg[on]])
    c, g = pc[chosen], pg[chosen]
    walk[c] = total[chosen]
    centre[c] = gate_centre[g]
    via[c] = links.gate_id[g]
    snap[c] = gate_snap.snap_m[g]
    on_network = walks.on_network & ~gated
    on_network[pc[on]] = True
    reachable = walks.reachable & ~gated
    reachable[pc[on & gate_reachable[pg]]] = True
    return StartWalks(walk, centre, snap, on_network, reachable, via)
