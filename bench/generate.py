"""Generated street-like networks for the benchmark, written as arrays or as an OSM .pbf file.

A jittered grid with gaps looks like a city's walking network to a shortest-path search: blocks of
about `spacing_m`, edges of 70-130 m, dead ends and detours where streets are missing. Everything
here is *generated* (no real place); `replay_extract` tiles a real extract (the bundled Helsinki
by default) instead, for balls as dense as a real city's.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from circle.network.walk import WalkNetwork, network_from_arrays

__all__ = [
    "CRS",
    "X0",
    "Y0",
    "grid_edges",
    "jittered_grid",
    "random_layers",
    "replay_extract",
    "write_grid_pbf",
    "write_layers",
]

#: generated networks live in UTM 51N (which covers Shenyang), south-west corner at X0, Y0
CRS = "EPSG:32651"
X0, Y0 = 400_000.0, 4_600_000.0


def grid_edges(
    n_side: int,
    *,
    spacing_m: float = 100.0,
    gap_frac: float = 0.15,
    jitter_m: float = 15.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node coordinates and all grid edges, with a mask of the edges that are gaps.

    Parameters
    ----------
    n_side, spacing_m, gap_frac, jitter_m, seed
        As in `jittered_grid`.

    Returns
    -------
    xy, u, v, gap
        Coordinates (``n_side**2`` rows, row-major), both ends of every horizontal then vertical
        grid edge, and True where the edge is missing from the street network.
    """
    rng = np.random.default_rng(seed)
    ij = np.indices((n_side, n_side)).reshape(2, -1).T  # row i, column j
    xy = np.column_stack([X0 + ij[:, 1] * spacing_m, Y0 + ij[:, 0] * spacing_m])
    xy += rng.uniform(-jitter_m, jitter_m, xy.shape)
    pos = np.arange(n_side * n_side).reshape(n_side, n_side)
    u = np.concatenate([pos[:, :-1].ravel(), pos[:-1, :].ravel()])
    v = np.concatenate([pos[:, 1:].ravel(), pos[1:, :].ravel()])
    gap = rng.random(u.size) < gap_frac
    return xy, u, v, gap


def jittered_grid(
    n_side: int,
    *,
    spacing_m: float = 100.0,
    gap_frac: float = 0.15,
    jitter_m: float = 15.0,
    seed: int = 0,
) -> WalkNetwork:
    """A generated street-like network: an ``n_side`` x ``n_side`` jittered grid with gaps.

    Node ``k`` (row ``k // n_side``, column ``k % n_side``) has OSM-style id ``k + 1``, the id
    `write_grid_pbf` gives it, so the network read back from that file is this one.

    Parameters
    ----------
    n_side
        Nodes per side (``n_side**2`` nodes before fragments are dropped).
    spacing_m
        Grid spacing in metres.
    gap_frac
        Share of grid edges left out (missing streets).
    jitter_m
        Each node moves by up to this many metres in x and in y (uniform).
    seed
        Random seed; the same arguments give the same network.

    Returns
    -------
    WalkNetwork
        In EPSG:32651, with fragments under 250 m dropped (as for an OSM file).
    """
    xy, u, v, gap = grid_edges(
        n_side, spacing_m=spacing_m, gap_frac=gap_frac, jitter_m=jitter_m, seed=seed
    )
    return network_from_arrays(
        xy,
        u[~gap],
        v[~gap],
        crs=CRS,
        node_ids=np.arange(1, xy.shape[0] + 1, dtype=np.int64),
        edge_way=np.zeros((~gap).sum(), np.int64),
        edge_highway=np.full((~gap).sum(), "residential", dtype=object),
        source={"file": f"generated jittered_grid({n_side}, seed={seed})"},
    )


def write_grid_pbf(
    path: str | Path,
    n_side: int,
    *,
    spacing_m: float = 100.0,
    gap_frac: float = 0.15,
    jitter_m: float = 15.0,
    seed: int = 0,
    building_frac: float = 0.25,
) -> Path:
    """Write the generated grid of `jittered_grid` as an OSM .pbf file (WGS84, osmium).

    Every grid row and column becomes ways: streets (highway=residential) between gaps, and the
    gaps themselves as ``highway=cycleway`` ways, which the walk filter must drop. A share of the
    blocks get a closed ``building=yes`` way, so that the reader skips non-street data as in a
    real extract. Reading the file with `circle.load_network` gives the network of
    `jittered_grid` with the same arguments (coordinates to the precision of OSM, 1e-7 degrees).

    Parameters
    ----------
    path
        Target ``.osm.pbf`` file (replaced).
    n_side, spacing_m, gap_frac, jitter_m, seed
        As in `jittered_grid`.
    building_frac
        Share of blocks holding one building.

    Returns
    -------
    Path
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    path = Path(path)
    xy, u, v, gap = grid_edges(
        n_side, spacing_m=spacing_m, gap_frac=gap_frac, jitter_m=jitter_m, seed=seed
    )
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
    rng = np.random.default_rng(seed + 1)
    blocks = np.indices((n_side - 1, n_side - 1)).reshape(2, -1).T
    blocks = blocks[rng.random(len(blocks)) < building_frac]
    # a 30 m square in the middle of each chosen block
    cx = X0 + (blocks[:, 1] + 0.5) * spacing_m
    cy = Y0 + (blocks[:, 0] + 0.5) * spacing_m
    corners = np.array([(-15, -15), (15, -15), (15, 15), (-15, 15)], dtype=float)
    bx = (cx[:, None] + corners[None, :, 0]).ravel()
    by = (cy[:, None] + corners[None, :, 1]).ravel()
    blon, blat = to_ll.transform(bx, by)

    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    try:
        n = xy.shape[0]
        for k, (x, y) in enumerate(zip(lon.tolist(), lat.tolist()), start=1):
            writer.add_node(Node(id=k, location=(x, y)))
        for k, (x, y) in enumerate(zip(blon.tolist(), blat.tolist()), start=n + 1):
            writer.add_node(Node(id=k, location=(x, y)))
        way_id = 1
        n_h = n_side * (n_side - 1)
        for kind, lines in (("h", range(n_side)), ("v", range(n_side))):
            for line in lines:
                # the edges of one grid row (or column), in order along it
                first = (line * (n_side - 1)) if kind == "h" else n_h + line
                step = 1 if kind == "h" else n_side
                idx = first + step * np.arange(n_side - 1)
                is_gap = gap[idx]
                breaks = np.flatnonzero(np.diff(is_gap.astype(np.int8))) + 1
                for run in np.split(np.arange(n_side - 1), breaks):
                    refs = [int(u[idx[run[0]]]) + 1, *(int(v[idx[r]]) + 1 for r in run)]
                    tag = "cycleway" if is_gap[run[0]] else "residential"
                    writer.add_way(Way(id=way_id, nodes=refs, tags={"highway": tag}))
                    way_id += 1
        for b in range(len(blocks)):
            refs = [n + 1 + 4 * b + c for c in range(4)]
            writer.add_way(Way(id=way_id, nodes=[*refs, refs[0]], tags={"building": "yes"}))
            way_id += 1
    finally:
        writer.close()
    return path


def replay_extract(network: WalkNetwork, copies: int) -> WalkNetwork:
    """A real network tiled ``copies`` x ``copies`` times side by side, to reach a given size.

    Streets keep the real extract's density and shape (real balls hold more nodes than a grid's),
    and each tile is joined to its neighbours by the nearest pair of nodes across the seam so the
    whole is one walking network.

    Parameters
    ----------
    network
        A real network, e.g. the bundled Helsinki extract.
    copies
        Tiles per side.

    Returns
    -------
    WalkNetwork
    """
    n = network.n_nodes
    lo = network.xy.min(axis=0)
    size = network.xy.max(axis=0) - lo + 50.0  # 50 m between tiles
    xy, us, vs = [], [], []
    for t in range(copies * copies):
        ti, tj = divmod(t, copies)
        xy.append(network.xy + size * np.array([tj, ti]))
        us.append(network.edge_u + t * n)
        vs.append(network.edge_v + t * n)
    # seams: the east-most (north-most) node joins the nearest node of the next tile
    east = int(np.argmax(network.xy[:, 0]))
    west = int(np.argmin(np.hypot(*(network.xy + np.array([size[0], 0.0]) - network.xy[east]).T)))
    north = int(np.argmax(network.xy[:, 1]))
    south = int(np.argmin(np.hypot(*(network.xy + np.array([0.0, size[1]]) - network.xy[north]).T)))
    for t in range(copies * copies):
        ti, tj = divmod(t, copies)
        if tj + 1 < copies:
            us.append(np.array([t * n + east]))
            vs.append(np.array([(t + 1) * n + west]))
        if ti + 1 < copies:
            us.append(np.array([t * n + north]))
            vs.append(np.array([(t + copies) * n + south]))
    return network_from_arrays(
        np.concatenate(xy),
        np.concatenate(us),
        np.concatenate(vs),
        crs=network.crs,
        min_component_m=0.0,
        source={"file": f"{network.source.get('file', 'extract')} tiled {copies}x{copies}"},
    )


def random_layers(
    network: WalkNetwork, n_centres: int, n_communities: int, *, seed: int = 0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Generated centres (points) and communities (60 m squares) spread over a network's extent.

    Parameters
    ----------
    network
        Gives the extent and the CRS.
    n_centres, n_communities
        How many of each.
    seed
        Random seed.

    Returns
    -------
    centres, communities
        ``id``, ``name``, ``type`` / ``population`` columns, in the network's CRS.
    """
    rng = np.random.default_rng(seed)
    lo, hi = network.xy.min(axis=0), network.xy.max(axis=0)
    c_xy = rng.uniform(lo, hi, (n_centres, 2))
    centres = gpd.GeoDataFrame(
        {
            "id": [f"c{i + 1}" for i in range(n_centres)],
            "name": [f"Centre {i + 1}" for i in range(n_centres)],
            "type": rng.choice(["community", "village", "enterprise"], n_centres),
        },
        geometry=shapely.points(c_xy),
        crs=network.crs,
    )
    m_xy = rng.uniform(lo, hi, (n_communities, 2))
    communities = gpd.GeoDataFrame(
        {
            "id": [f"r{i + 1}" for i in range(n_communities)],
            "name": [f"Community {i + 1}" for i in range(n_communities)],
            "population": rng.integers(200, 5000, n_communities).astype(float),
        },
        geometry=shapely.box(m_xy[:, 0] - 30, m_xy[:, 1] - 30, m_xy[:, 0] + 30, m_xy[:, 1] + 30),
        crs=network.crs,
    )
    return centres, communities


def write_layers(
    centres: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, folder: str | Path
) -> tuple[Path, Path]:
    """Write centres as a lon/lat CSV and communities as GeoParquet (WGS84), as a bureau might.

    Parameters
    ----------
    centres, communities
        Layers from `random_layers`.
    folder
        Target folder (created if missing); the files are ``centres.csv`` and
        ``communities.parquet``.

    Returns
    -------
    centres_path, communities_path
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c = centres.to_crs("EPSG:4326")
    table = pd.DataFrame(c.drop(columns="geometry"))
    table["lon"], table["lat"] = c.geometry.x.round(7), c.geometry.y.round(7)
    centres_path = folder / "centres.csv"
    table.to_csv(centres_path, index=False)
    communities_path = folder / "communities.parquet"
    communities.to_crs("EPSG:4326").to_parquet(communities_path)
    return centres_path, communities_path
