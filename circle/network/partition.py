"""Cutting a study area into parts with a halo so each part's walks are exact, and merging them.

The halo rule. A walk is never shorter than the straight line between its ends, so a community
whose walk to its nearest centre is ``W`` metres touches only streets within ``W`` of its
point, and that centre's street is within ``W`` too. A part therefore keeps every street that
crosses its core's bounding box widened by ``halo_m = search_limit_m + max_snap_m``: all walks
up to the search limit, plus the access legs' reach. Points are snapped once, on the whole
network, and every snapped point on a kept street splits it as in the single-process run, so
a part's walks equal the single-process walks to the last bit. Statuses use the whole
network's connected pieces (see `circle.coverage.core.finish_coverage`), never the cut's.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import shapely

from ..config import CircleConfig
from ..errors import InputDataError
from .engine import nearest_centres
from .snap import Snapped, build_search_graph
from .walk import WalkNetwork

__all__ = [
    "Part",
    "PartPoints",
    "area_parts",
    "assign_to_parts",
    "cut_network",
    "halo_m",
    "load_part_network",
    "part_points",
    "save_part_network",
    "search_part",
    "tile_parts",
]


def halo_m(config: CircleConfig, min_cost_ratio: float = 1.0) -> float:
    """Width of the halo a part needs for exact walks: search limit + ``max_snap_m``, metres.

    With directed costs a walk may be cheaper than its length (downhill): a walk costing the
    search limit then covers at most ``search_limit_m / min_cost_ratio`` metres of street.

    Parameters
    ----------
    config
        The run parameters.
    min_cost_ratio
        The network's smallest cost per metre (`WalkNetwork.min_cost_ratio`; 1 when flat).

    Returns
    -------
    float
    """
    if min_cost_ratio >= 1.0:
        return config.search_limit_m + config.max_snap_m
    if min_cost_ratio <= 0.0:
        return math.inf
    return config.search_limit_m / min_cost_ratio + config.max_snap_m


@dataclass(frozen=True)
class Part:
    """One part of a study area.

    Attributes
    ----------
    name
        Tile name (``r003c012``: row, column) or the value of the areas' column.
    core
        The part's own area in the network's CRS: a community belongs to the first part whose
        core covers its representative point.
    """

    name: str
    core: shapely.Geometry

    def cut_bounds(self, halo: float) -> tuple[float, float, float, float]:
        """The core's bounding box expanded by `halo` metres on every side."""
        x0, y0, x1, y1 = shapely.bounds(self.core).tolist()
        return (x0 - halo, y0 - halo, x1 + halo, y1 + halo)


def tile_parts(xy: np.ndarray, *, tile_m: float) -> list[Part]:
    """Square tiles of `tile_m` metres over the points' extent; only tiles holding a point.

    Parameters
    ----------
    xy
        Community points in the network's CRS, shape (k, 2).
    tile_m
        Tile side in metres.

    Returns
    -------
    list of Part
        Named ``r{row}c{col}`` from the south-west corner, in row then column order.
    """
    if not (math.isfinite(tile_m) and tile_m > 0):
        msg = f"`tile_m` must be > 0, got {tile_m!r}"
        raise InputDataError(msg)
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    origin = np.floor(xy.min(axis=0) / tile_m) * tile_m
    cell = np.floor((xy - origin) / tile_m).astype(np.int64)
    parts = []
    for row, col in sorted({(int(r), int(c)) for c, r in cell.tolist()}):
        x0, y0 = origin[0] + col * tile_m, origin[1] + row * tile_m
        parts.append(
            Part(f"r{row:03d}c{col:03d}", shapely.box(x0, y0, x0 + tile_m, y0 + tile_m))
        )
    return parts


def area_parts(areas: gpd.GeoDataFrame, column: str, *, crs: str) -> list[Part]:
    """One part per value of an areas layer's column (e.g. a city or district name).

    Parameters
    ----------
    areas
        Polygons, for example the cities of a province.
    column
        The column whose values name the parts; features sharing a value are merged.
    crs
        The network's CRS.

    Returns
    -------
    list of Part
        Sorted by name.
    """
    source = areas.attrs.get("source", "areas layer")
    if column not in areas.columns:
        msg = (
            f"{source}: no column {column!r} to partition by; found columns "
            f"{[c for c in areas.columns if c != 'geometry']!r}"
        )
        raise InputDataError(msg)
    if areas.crs is None:
        msg = f"{source}: the areas layer has no CRS; give one with --layer-crs"
        raise InputDataError(msg)
    values = areas[column]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 1
        msg = f"{source}: empty {column!r} in feature {row}; every area needs a name"
        raise InputDataError(msg)
    projected = areas.to_crs(crs)
    geoms = projected.geometry.values
    bad = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if bad.size:
        msg = f"{source}: empty or missing geometry in feature {int(bad[0]) + 1}"
        raise InputDataError(msg)
    names = values.astype(str).to_numpy()
    return [
        Part(name, shapely.union_all(shapely.make_valid(geoms[names == name])))
        for name in sorted(set(names))
    ]


def assign_to_parts(
    xy: np.ndarray, parts: list[Part], *, source: str = "communities"
) -> np.ndarray:
    """The part of every point: the first part whose core covers it.

    Parameters
    ----------
    xy
        Points in the network's CRS, shape (k, 2).
    parts
        The parts.
    source
        Names the points in the error message.

    Returns
    -------
    numpy.ndarray
        Position in `parts` of each point's part; each point belongs to exactly one part.
    """
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    part_of = np.full(len(xy), -1, np.int64)
    for i, part in enumerate(parts):
        todo = np.flatnonzero(part_of < 0)
        if todo.size == 0:
            break
        inside = shapely.intersects_xy(part.core, xy[todo, 0], xy[todo, 1])
        part_of[todo[inside]] = i
    outside = np.flatnonzero(part_of < 0)
    if outside.size:
        msg = (
            f"{source}: {outside.size} of {len(xy)} communities lie outside every area (first: "
            f"row {int(outside[0]) + 1}); extend the areas layer or partition by tiles"
        )
        raise InputDataError(msg)
    return part_of


def cut_network(
    network: WalkNetwork, bounds: tuple[float, float, float, float]
) -> tuple[WalkNetwork, np.ndarray]:
    """The streets whose bounding box meets a box, whole, with their lengths copied unchanged.

    Every street that crosses the box is kept (and a few that only pass near its corners,
    which is harmless: a part may hold more streets than it needs, never fewer).

    Parameters
    ----------
    network
        The whole network (its fragments already dropped).
    bounds
        (xmin, ymin, xmax, ymax) in the network's CRS.

    Returns
    -------
    sub, edges
        The cut network (nodes and edges in the whole network's order) and the position in
        `network` of each of its edges.
    """
    edges = np.sort(network.edge_tree.query(shapely.box(*bounds)))
    u, v = network.edge_u[edges], network.edge_v[edges]
    nodes = np.sort(np.concatenate([u, v]))  # the whole network's order, so u < v stays true
    nodes = nodes[np.r_[True, nodes[1:] != nodes[:-1]][: nodes.size]]
    sub = WalkNetwork(
        node_ids=network.node_ids[nodes],
        xy=network.xy[nodes],
        edge_u=np.searchsorted(nodes, u),
        edge_v=np.searchsorted(nodes, v),
        edge_length_m=network.edge_length_m[edges],
        edge_way=network.edge_way[edges],
        edge_highway=network.edge_highway[edges],
        crs=network.crs,
        source={"cut_of": network.source.get("file", "network"), "bounds": list(bounds)},
        edge_fw_m=None if network.edge_fw_m is None else network.edge_fw_m[edges],
        edge_bw_m=None if network.edge_bw_m is None else network.edge_bw_m[edges],
    )
    return sub, edges


def save_part_network(sub: WalkNetwork, folder: Path) -> Path:
    """Write the arrays a part's search needs into `folder`, named by their content.

    Parameters
    ----------
    sub
        A cut network.
    folder
        Destination folder (must exist).

    Returns
    -------
    Path
        ``net-<sha256 prefix>.npz``; an existing file of that name already holds these arrays.
    """
    arrays = {
        "xy": sub.xy,
        "edge_u": sub.edge_u,
        "edge_v": sub.edge_v,
        "edge_length_m": sub.edge_length_m,
    }
    if sub.edge_fw_m is not None and sub.edge_bw_m is not None:
        arrays.update(edge_fw_m=sub.edge_fw_m, edge_bw_m=sub.edge_bw_m)
    h = hashlib.sha256(sub.crs.encode())
    for name, a in arrays.items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(a).tobytes())
    path = Path(folder) / f"net-{h.hexdigest()[:24]}.npz"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            # the stubs read ``**arrays`` as savez's own keywords (allow_pickle: bool)
            np.savez(f, crs=np.array(sub.crs), **cast("dict[str, Any]", arrays))
        tmp.replace(path)
    return path


def load_part_network(path: str | Path) -> WalkNetwork:
    """Read a cut network written by `save_part_network` (the search needs no ids or tags).

    Parameters
    ----------
    path
        The ``net-*.npz`` file.

    Returns
    -------
    WalkNetwork
    """
    with np.load(path, allow_pickle=False) as z:
        n_edges = z["edge_u"].size
        return WalkNetwork(
            node_ids=np.arange(z["xy"].shape[0], dtype=np.int64),
            xy=z["xy"],
            edge_u=z["edge_u"],
            edge_v=z["edge_v"],
            edge_length_m=z["edge_length_m"],
            edge_way=np.zeros(n_edges, np.int64),
            edge_highway=np.full(n_edges, "", object),
            crs=str(z["crs"]),
            source={"file": Path(path).name},
            edge_fw_m=z["edge_fw_m"] if "edge_fw_m" in z else None,
            edge_bw_m=z["edge_bw_m"] if "edge_bw_m" in z else None,
        )


@dataclass(frozen=True)
class PartPoints:
    """The snapped points of one part, in the cut network's edge positions.

    Attributes
    ----------
    centres
        Every centre of the run, in rank order (edge -1 when not on the cut), so ties and leaf
        weights are those of the single-process run.
    communities
        The communities snapped to the cut's streets: the part's own and those of neighbouring
        parts, which split the streets as in the single-process run.
    community_index
        Position of each of `communities` in the whole run.
    own
        Which of `communities` belong to this part (their walks are the part's result).
    """

    centres: Snapped
    communities: Snapped
    community_index: np.ndarray
    own: np.ndarray

    def digest(self) -> str:
        """Hex sha256 of the arrays (names a part's output in a work folder)."""
        h = hashlib.sha256()
        for s in (self.centres, self.communities):
            for a in (s.edge, s.offset_m, s.snap_m):
                h.update(np.ascontiguousarray(a).tobytes())
        h.update(self.community_index.tobytes())
        h.update(self.own.tobytes())
        return h.hexdigest()


def _on_cut(snapped: Snapped, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask of points snapped to one of `edges`, their positions among `edges`)."""
    if edges.size == 0:
        return np.zeros(snapped.edge.size, bool), np.zeros(snapped.edge.size, np.int64)
    pos = np.minimum(np.searchsorted(edges, snapped.edge), edges.size - 1)
    hit = (snapped.edge >= 0) & (edges[pos] == snapped.edge)
    return hit, pos


def part_points(
    edges: np.ndarray,
    centre_snap: Snapped,
    community_snap: Snapped,
    part_of: np.ndarray,
    part: int,
) -> PartPoints:
    """Re-express the whole run's snapped points on one cut network.

    Parameters
    ----------
    edges
        Position in the whole network of each edge of the cut (from `cut_network`).
    centre_snap, community_snap
        All centres and communities, snapped on the whole network.
    part_of
        Part of every community (from `assign_to_parts`).
    part
        This part's position.

    Returns
    -------
    PartPoints
    """
    hit, pos = _on_cut(centre_snap, edges)
    centres = Snapped(
        np.where(hit, pos, -1),
        np.where(hit, centre_snap.offset_m, 0.0),
        np.where(hit, centre_snap.snap_m, np.nan),
    )
    hit, pos = _on_cut(community_snap, edges)
    idx = np.flatnonzero(hit)
    communities = Snapped(pos[idx], community_snap.offset_m[idx], community_snap.snap_m[idx])
    own = part_of[idx] == part
    missing = np.flatnonzero((part_of == part) & community_snap.on_network & ~hit)
    if missing.size:  # cannot happen when the cut's halo is at least max_snap_m
        msg = f"part {part}: community {int(missing[0])} snapped outside the cut; widen the halo"
        raise AssertionError(msg)
    return PartPoints(centres, communities, idx.astype(np.int64), own)


def search_part(
    sub: WalkNetwork, points: PartPoints, *, limit_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest centre of the part's own communities on its cut network.

    Parameters
    ----------
    sub
        The part's cut network.
    points
        Its snapped points (from `part_points`).
    limit_m
        Search limit in metres.

    Returns
    -------
    community_index, walk_m, centre
        For each of the part's own on-network communities: its position in the whole run, its
        walk in metres (``inf`` beyond the limit) and the rank of its nearest centre (-1 none).
    """
    graph = build_search_graph(sub, points.centres, points.communities)
    centre_nodes, community_nodes = graph.point_node
    nearest = nearest_centres(
        graph,
        centre_nodes,
        points.centres.snap_m,
        community_nodes,
        points.communities.snap_m,
        limit_m=limit_m,
    )
    own = points.own
    return points.community_index[own], nearest.walk_m[own], nearest.centre[own]
