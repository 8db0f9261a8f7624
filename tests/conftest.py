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
def generated_city():
    """Generated, city-sized: a 150 × 150 jittered grid (about 15 × 15 km, 100 m blocks, 15 %
    of streets missing) plus an island grid 2 km east of it with no centre; 3,000 random
    communities (some on the island, some far off every street) and 40 random centres.

    Returns (network, communities, centres).
    """
    from bench.generate import jittered_grid

    city = jittered_grid(150, seed=3)
    island = jittered_grid(6, seed=4)
    shift = np.array([17_000.0, 5_000.0])
    net = network_from_arrays(
        np.vstack([city.xy, island.xy + shift]),
        np.concatenate([city.edge_u, island.edge_u + city.n_nodes]),
        np.concatenate([city.edge_v, island.edge_v + city.n_nodes]),
        crs=CRS,
        source={"file": "generated city with an island"},
    )
    rng = np.random.default_rng(5)
    xy = np.vstack(
        [
            rng.uniform([X0 - 400, Y0 - 400], [X0 + 15_300, Y0 + 15_300], size=(2_950, 2)),
            rng.uniform((X0 + 17_000, Y0 + 5_000), (X0 + 17_500, Y0 + 5_500), size=(30, 2)),
            rng.uniform([X0 + 15_500, Y0 + 10_000], [X0 + 16_500, Y0 + 12_000], size=(20, 2)),
        ]
    )
    communities = gpd.GeoDataFrame(
        {
            "id": [f"c{i}" for i in range(len(xy))],
            "population": rng.integers(50, 3_000, len(xy)).astype(float),
        },
        geometry=shapely.points(xy),
        crs=CRS,
    )
    cxy = rng.uniform([X0, Y0], [X0 + 15_000, Y0 + 15_000], size=(40, 2))
    centres = gpd.GeoDataFrame(
        {"id": [f"k{i:02d}" for i in range(40)], "type": "community"},
        geometry=shapely.points(cxy),
        crs=CRS,
    )
    return net, communities, centres


def need_dask():
    """Import dask.distributed, or skip the test (fail under CI=true, where it must be there)."""
    import os

    try:
        import distributed
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("dask.distributed is not installed (pip install 'circle[dask]')")
    return distributed


@pytest.fixture(scope="session")
def dask_cluster():
    """A real Dask LocalCluster of 2 worker processes (1 thread each), closed after the session."""
    distributed = need_dask()
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        yield cluster
    finally:
        cluster.close()
