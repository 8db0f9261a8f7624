"""Shared fixtures: hand-built networks whose answers are known by hand, and the bundled data."""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from circle.bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from circle.network.walk import network_from_arrays

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


def invoke_cli(args, **kwargs):
    """Run ``circle ARGS`` in this process (click's CliRunner); each arg is made a str."""
    from circle.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


@pytest.fixture(scope="session")
def cli_runner():
    """The one CLI runner of the tests: ``cli_runner(["coverage", "--out", tmp_path])`` returns
    click's Result (`invoke_cli`; keywords such as ``catch_exceptions``, ``env`` pass on)."""
    return invoke_cli


@pytest.fixture(scope="session")
def bundled():
    """The bundled real data: (network path, centres path, communities path)."""
    return DEFAULT_NETWORK, DEFAULT_CENTRES, DEFAULT_COMMUNITIES


@pytest.fixture(scope="session")
def helsinki_buildings(bundled):
    """The bundled network and every building polygon of the extract (446) as its point on
    surface, in the network's CRS (issue 20's "every building as a community")."""
    import pyproj

    from circle.io.osm import read_tagged_features
    from circle.network.load import network_from_osm

    net = network_from_osm(bundled[0])
    feats = read_tagged_features(bundled[0], ("building",))
    polys = [f["geometry"] for f in feats if f["geometry"].geom_type == "MultiPolygon"]
    pts = shapely.point_on_surface(np.array(polys))
    tr = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    return net, np.column_stack(tr.transform(shapely.get_x(pts), shapely.get_y(pts)))


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
    """The generated Shenyang grid (`shenyang_grid`): network, centres, communities."""
    return shenyang_grid()


def shenyang_grid():
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


# ---- a throw-away PostgreSQL/PostGIS server (real Debian binaries, loopback, temporary dir) ------


@dataclass(frozen=True)
class PgServer:
    """A running test server: TCP on 127.0.0.1 with password auth, and a socket dir for setup."""

    host: str
    port: int
    user: str
    password: str
    socket_dir: str
    bin_dir: str
    run_as: str | None

    def url(self, dbname: str = "postgres", *, password: str | None = None) -> str:
        """A ``postgresql://`` URL (the form planners type) to one of the server's databases."""
        pw = self.password if password is None else password
        return f"postgresql://{self.user}:{pw}@{self.host}:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket (no password needed there)."""
        out = subprocess.run(
            [f"{self.bin_dir}/psql", "-h", self.socket_dir, "-p", str(self.port), "-U", self.user,
             "-d", dbname, "-v", "ON_ERROR_STOP=1", "-Atq", "-c", sql],
            user=self.run_as, cwd=self.socket_dir, check=True, capture_output=True, text=True,
        )
        return out.stdout.strip()


def _postgis_bin_dir() -> str | None:
    """The bin dir of the newest PostgreSQL version that has PostGIS installed."""
    for control in sorted(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))[::-1]:
        bin_dir = f"/usr/lib/postgresql/{Path(control).parents[1].name}/bin"
        if os.path.exists(f"{bin_dir}/initdb"):
            return bin_dir
    return None


@pytest.fixture(scope="session")
def pg_server():
    """Generated: an empty PostgreSQL server with PostGIS, started for this test session.

    initdb in a temporary dir under /tmp (or under ``$CIRCLE_PG_TMPDIR``, which ``.ci/run`` sets so
    that it can stop a server left behind by a killed run), a free loopback port, password
    (scram) authentication over TCP, trust over the Unix socket for set-up. The database
    ``template_postgis`` has the extension; `pg_url` copies it for each test.
    """
    bin_dir = _postgis_bin_dir()
    if bin_dir is None:
        msg = "PostgreSQL/PostGIS binaries missing: apt-get install postgresql-15-postgis-3"
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(msg)
        pytest.skip(msg)
    run_as = "postgres" if os.geteuid() == 0 else None  # initdb/postgres refuse to run as root
    d = tempfile.mkdtemp(prefix="pgtest-", dir=os.environ.get("CIRCLE_PG_TMPDIR", "/tmp"))
    if run_as:
        shutil.chown(d, run_as, run_as)

    def run(*args):
        return subprocess.run(
            [f"{bin_dir}/{args[0]}", *args[1:]], user=run_as, cwd=d, check=True,
            capture_output=True, text=True,
        )

    password = secrets.token_urlsafe(12)
    run("initdb", "-D", f"{d}/data", "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N")
    for _attempt in range(3):  # the free port can be taken between the probe and the bind
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {d} -c fsync=off"
        try:
            run("pg_ctl", "-D", f"{d}/data", "-l", f"{d}/log", "-o", opts, "-w", "start")
            break
        except subprocess.CalledProcessError:
            if "could not bind" not in Path(f"{d}/log").read_text(errors="replace"):
                raise
    server = PgServer("127.0.0.1", port, "postgres", password, d, bin_dir, run_as)
    try:
        server.psql(f"ALTER USER postgres PASSWORD '{password}'")
        server.psql("CREATE DATABASE template_postgis")
        server.psql("CREATE EXTENSION postgis", dbname="template_postgis")
        yield server
    finally:
        run("pg_ctl", "-D", f"{d}/data", "-m", "fast", "-w", "stop")
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pg_db(pg_server, request):
    """Generated: a fresh, empty PostGIS database for one test; returns its name."""
    name = "t_" + re.sub(r"\W", "_", request.node.name)[:40].lower() + "_" + secrets.token_hex(3)
    pg_server.psql(f'CREATE DATABASE "{name}" TEMPLATE template_postgis')
    return name


@pytest.fixture
def pg_url(pg_server, pg_db):
    """``postgresql://postgres:PASSWORD@127.0.0.1:PORT/DB`` of a fresh PostGIS database."""
    return pg_server.url(pg_db)


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
    origin = np.array([X0, Y0])  # both grids placed from the same corner, whatever the generator's
    city_xy = city.xy - city.xy.min(axis=0) + origin
    island_xy = island.xy - island.xy.min(axis=0) + origin
    net = network_from_arrays(
        np.vstack([city_xy, island_xy + shift]),
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


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian chromium for the whole session (never a downloaded browser)."""
    from .browser import CHROMIUM, launch

    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: scripts/install-system-deps.sh installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()
# issue 12: the tests expect English texts whatever the machine's locale (LANG=zh_CN… would
# switch circle's default language); tests of Chinese output ask for it explicitly. Set before
# any test module imports circle.cli, whose --help texts are chosen at import time.
os.environ["CIRCLE_LANG"] = "en"
