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
