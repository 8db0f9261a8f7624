"""Shared fixtures: hand-built networks whose answers are known by hand, and the bundled data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from circle.bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from circle.network import network_from_arrays

#: a projected CRS for generated networks (UTM 51N, which covers Shenyang); origin offset below
CRS = "EPSG:32651"
X0, Y0 = 500_000.0, 4_600_000.0


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    """Prepared networks go to a throw-away cache, never the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CIRCLE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


def make_network(nodes: dict, edges: list, *, min_component_m: float = 0.0):
    """A generated network from ``{id: (x, y)}`` in metres (offset by X0, Y0) and id pairs."""
    ids = sorted(nodes)
    pos = {n: i for i, n in enumerate(ids)}
    xy = np.array([(X0 + nodes[n][0], Y0 + nodes[n][1]) for n in ids])
    u = np.array([pos[a] for a, _ in edges])
    v = np.array([pos[b] for _, b in edges])
    return network_from_arrays(
        xy, u, v, crs=CRS, node_ids=np.array(ids), min_component_m=min_component_m
    )


def points(rows: list[tuple], columns=("id", "x", "y")) -> gpd.GeoDataFrame:
    """A layer of points given in local metres: rows of (id, x, y, *other columns)."""
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    geom = shapely.points(np.array(data.pop("x")) + X0, np.array(data.pop("y")) + Y0)
    return gpd.GeoDataFrame(data, geometry=geom, crs=CRS)


@pytest.fixture
def line_network():
    """Generated: a straight street of four 100 m blocks.

    ::

        0 ---- 1 ---- 2 ---- 3 ---- 4      x = 0, 100, 200, 300, 400 m; y = 0
    """
    nodes = {i: (100.0 * i, 0.0) for i in range(5)}
    return make_network(nodes, [(i, i + 1) for i in range(4)])


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def bundled():
    """The bundled real data: (network path, centres path, communities path)."""
    return DEFAULT_NETWORK, DEFAULT_CENTRES, DEFAULT_COMMUNITIES


@pytest.fixture(scope="session")
def communities_with_groups(tmp_path_factory, bundled):
    """The bundled communities plus GENERATED key-group counts (random, not real figures):
    graduates, migrant_workers, veterans (one empty cell), unemployed, low_income."""
    gdf = gpd.read_file(bundled[2])
    rng = np.random.default_rng(10)
    for name, top in [
        ("graduates", 60), ("migrant_workers", 90), ("veterans", 12), ("unemployed", 40),
        ("low_income", 30),
    ]:
        gdf[name] = rng.integers(0, top, len(gdf)).astype(float)
    gdf.loc[3, "veterans"] = np.nan
    path = tmp_path_factory.mktemp("groups") / "communities_groups.geojson"
    gdf.to_file(path)
    return path


#: generated Shenyang street grid: irregular superblocks (m), south-west corner at this WGS84 point
SHENYANG_SW = (123.400, 41.780)
SHENYANG_COLS = (0.0, 380.0, 690.0, 1140.0, 1430.0, 1850.0, 2200.0)
SHENYANG_ROWS = (0.0, 320.0, 770.0, 1060.0, 1480.0, 1810.0)


@pytest.fixture(scope="session")
def shenyang():
    """Generated, not real: a street grid of irregular superblocks placed in Shenyang.

    Streets run along ``SHENYANG_COLS`` (x) and ``SHENYANG_ROWS`` (y), metres from the south-west
    corner ``SHENYANG_SW`` (WGS84), in UTM 51N. Communities are the blocks inset by 15 m (ids
    b<col><row>, population 100 × (col + 1) + row); centres are three points 10 m off a street.
    Everything is WGS84 (what a GPS survey or OSM gives); GCJ-02/BD-09 copies are made in tests.

    Returns
    -------
    network, centres, communities
    """
    import pyproj

    to_utm = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x0, y0 = to_utm.transform(*SHENYANG_SW)
    nx_, ny_ = len(SHENYANG_COLS), len(SHENYANG_ROWS)
    xy = np.array([(x0 + x, y0 + y) for y in SHENYANG_ROWS for x in SHENYANG_COLS])
    pos = lambda i, j: j * nx_ + i  # noqa: E731
    edges = [(pos(i, j), pos(i + 1, j)) for j in range(ny_) for i in range(nx_ - 1)]
    edges += [(pos(i, j), pos(i, j + 1)) for j in range(ny_ - 1) for i in range(nx_)]
    u, v = np.array(edges).T
    net = network_from_arrays(xy, u, v, crs=CRS, source={"file": "generated Shenyang grid"})
    blocks, ids, pops = [], [], []
    for i in range(nx_ - 1):
        for j in range(ny_ - 1):
            blocks.append(
                shapely.box(
                    x0 + SHENYANG_COLS[i] + 15, y0 + SHENYANG_ROWS[j] + 15,
                    x0 + SHENYANG_COLS[i + 1] - 15, y0 + SHENYANG_ROWS[j + 1] - 15,
                )
            )
            ids.append(f"b{i}{j}")
            pops.append(100 * (i + 1) + j)
    communities = gpd.GeoDataFrame(
        {"id": ids, "name": [f"社区{k}" for k in ids], "population": pops},
        geometry=blocks, crs=CRS,
    ).to_crs("EPSG:4326")
    centres = gpd.GeoDataFrame(
        {"id": ["c1", "c2", "c3"], "name": ["街道服务站", "社区服务站", "人社局"],
         "type": ["community", "community", "other"]},
        geometry=shapely.points(
            [(x0 + 200, y0 + 330), (x0 + 1140 + 10, y0 + 900), (x0 + 2000, y0 + 1480 - 10)]
        ),
        crs=CRS,
    ).to_crs("EPSG:4326")
    return net, centres, communities


@pytest.fixture(scope="session")
def shenyang_files(shenyang, tmp_path_factory):
    """The generated Shenyang grid as files: (network .graphml, centres, communities GeoJSON)."""
    import osmnx as ox

    net, centres, communities = shenyang
    folder = tmp_path_factory.mktemp("shenyang")
    ox.save_graphml(net.to_networkx(), folder / "grid.graphml")
    centres.to_file(folder / "centres.geojson")
    communities.to_file(folder / "communities.geojson")
    return folder / "grid.graphml", folder / "centres.geojson", folder / "communities.geojson"
