"""PostGIS sources and outputs, against a real PostgreSQL/PostGIS server (conftest `pg_server`)."""

from __future__ import annotations

import dataclasses

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from circle import MissingDependencyError, load_network, read_layer
from circle.errors import InputDataError, OutputError
from circle.io.db import db_source, mask_url, write_db_tables
from circle.network.from_db import network_from_db

from .conftest import CRS, X0, Y0

ROOT = Path(__file__).resolve().parents[1]


def engine(url: str):
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def run(cli_runner, *args):
    return cli_runner(["coverage", *map(str, args)], catch_exceptions=False)


def run_ok(cli_runner, *args):
    res = run(cli_runner, *args)
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def bundled_db(pg_url, bundled):
    """The bundled layers and the bundled network's segments as PostGIS tables.

    Centres stay in WGS84 as in their file; communities go in as UTM 35N (EPSG:32635) so the
    CRS must come from PostGIS metadata; roads are the network's straight segments in its own
    CRS, with `walkable` all true and a `oneway` column that must be ignored.
    """
    net_path, centres, communities = bundled
    con = engine(pg_url)
    gpd.read_file(centres).to_postgis("centres", con)
    gpd.read_file(communities).to_crs("EPSG:32635").to_postgis("communities", con)
    net = load_network(net_path)
    rng = np.random.default_rng(1)
    gpd.GeoDataFrame(
        {
            "id": np.arange(net.n_edges),
            "walkable": True,
            "oneway": rng.random(net.n_edges) < 0.3,
        },
        geometry=net.segments,
        crs=net.crs,
    ).to_postgis("roads", con)
    con.dispose()
    return net


# ---- round trips ---------------------------------------------------------------------------------


def test_layers_from_postgis_give_the_same_coverage_table_as_the_files(
    cli_runner, tmp_path, pg_url, bundled_db
):
    run_ok(cli_runner, "--out", tmp_path / "files")
    run_ok(
        cli_runner,
        "--centres", f"{pg_url}?table=centres",
        "--communities", f"{pg_url}?table=public.communities",
        "--out", tmp_path / "db",
    )
    for name in ("coverage.csv", "coverage.geojson"):
        assert (tmp_path / "files" / name).read_bytes() == (tmp_path / "db" / name).read_bytes()
    data = json.loads((tmp_path / "db" / "summary.json").read_text())["data"]
    assert data["centres"]["file"] == mask_url(f"{pg_url}?table=centres")
    # the --db form and a query read the same rows
    run_ok(
        cli_runner,
        "--db", pg_url,
        "--centres-query", "SELECT * FROM centres WHERE osm_tag LIKE 'amenity=%'",
        "--communities-table", "communities",
        "--out", tmp_path / "query",
    )
    assert (tmp_path / "files" / "coverage.csv").read_bytes() == (
        tmp_path / "query" / "coverage.csv"
    ).read_bytes()


def test_network_from_an_edges_table_gives_the_same_coverage_table(
    cli_runner, tmp_path, pg_url, bundled_db, bundled
):
    net_file = bundled_db
    net_db = load_network(f"{pg_url}?table=roads")
    # nodes merge where coordinates agree to the cm: count such groups in the file network
    _, counts = np.unique(np.round(net_file.xy / 0.01), axis=0, return_counts=True)
    assert net_db.n_nodes == net_file.n_nodes - int((counts - 1).sum())
    assert net_db.n_edges == net_file.n_edges
    assert net_db.total_length_m == pytest.approx(net_file.total_length_m, abs=1e-6)
    assert net_db.crs == net_file.crs
    _, centres, communities = bundled
    run_ok(
        cli_runner,
        "--network", f"{pg_url}?table=roads",
        "--centres", centres,
        "--communities", communities,
        "--out", tmp_path / "db",
    )
    # an edges table carries no tunnel/bridge tags (README: every street counts as on the
    # ground), so the reference is the file's network with its tag flags dropped
    from circle.coverage.core import coverage_report

    flat = dataclasses.replace(net_file, edge_flags=None)
    ref = coverage_report(gpd.read_file(communities), gpd.read_file(centres), flat).table
    got = pd.read_csv(tmp_path / "db" / "coverage.csv", dtype={"community_id": str})
    got = got.set_index("community_id").loc[ref["community_id"]]
    assert got["nearest_centre_id"].tolist() == ref["nearest_centre_id"].tolist()
    np.testing.assert_allclose(got["walk_m"], ref["walk_m"], atol=0.05)  # written to 0.1 m
    assert got["covered"].tolist() == ref["covered"].tolist()


def test_results_written_to_postgis_read_back_identical(cli_runner, tmp_path, pg_url, pg_server):
    out = f"{pg_url}?schema=circle"
    run_ok(cli_runner, "--out", tmp_path, "--format", "json")
    res = run_ok(cli_runner, "--out", out)
    assert "circle: writing postgresql://postgres:***@" in res.output
    assert pg_server.password not in res.output
    con = engine(pg_url)
    back = gpd.read_postgis("SELECT * FROM circle.coverage", con, geom_col="geometry")
    csv = pd.read_csv(tmp_path / "coverage.csv", dtype={"community_id": str})
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")).fillna(np.nan),
        csv.fillna(np.nan),
        check_dtype=False,
    )
    geojson = gpd.read_file(tmp_path / "coverage.geojson")
    assert back.crs.to_epsg() == 4326
    assert shapely.equals_exact(back.geometry.values, geojson.geometry.values, 1e-7).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    bands = pd.read_sql("SELECT * FROM circle.coverage_bands", con)
    assert bands.to_dict("records") == summary["thresholds"]
    stored = pd.read_sql("SELECT summary FROM circle.coverage_summary", con)
    assert stored["summary"].tolist() == [summary]
    with con.connect() as c:
        index = c.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'circle' AND tablename = 'coverage'"
        ).scalars().all()
        srid = c.exec_driver_sql("SELECT Find_SRID('circle', 'coverage', 'geometry')").scalar()
    assert srid == 4326
    assert len(index) == 1 and "USING gist (geometry)" in index[0]
    con.dispose()


# ---- --if-exists and the single transaction ------------------------------------------------------


def table_rows(url: str, table: str) -> pd.DataFrame:
    con = engine(url)
    try:
        return pd.read_sql(f"SELECT * FROM {table}", con)
    finally:
        con.dispose()


def test_if_exists_fail_replace_append(cli_runner, pg_url):
    out = f"{pg_url}?schema=circle"
    run_ok(cli_runner, "--out", out)
    before = table_rows(pg_url, "circle.coverage")
    res = run(cli_runner, "--out", out, "--speed-kmh", 3)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "Traceback" not in res.output
    tables = "circle.coverage, circle.coverage_bands, circle.coverage_summary"
    assert f"{tables} already exist;" in lines[-1]
    assert "--if-exists replace" in lines[-1]
    pd.testing.assert_frame_equal(table_rows(pg_url, "circle.coverage"), before)

    run_ok(cli_runner, "--out", out, "--speed-kmh", 3, "--if-exists", "replace")
    after = table_rows(pg_url, "circle.coverage")
    assert len(after) == len(before) and (after["walk_min"] > before["walk_min"]).any()
    assert table_rows(pg_url, "circle.coverage_summary")["summary"][0]["parameters"][
        "walk_speed_kmh"
    ] == 3

    run_ok(cli_runner, "--out", out, "--if-exists", "append")
    both = table_rows(pg_url, "circle.coverage")
    assert len(both) == 2 * len(before)
    assert len(table_rows(pg_url, "circle.coverage_summary")) == 2


def test_a_failing_table_rolls_back_the_tables_written_before_it(pg_url):
    first = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(1, 2)], crs="EPSG:4326")
    url = f"{pg_url}?schema=s1"
    write_db_tables(url, {"one": first, "two": pd.DataFrame({"x": [1]})})
    more = gpd.GeoDataFrame({"id": ["b"]}, geometry=[shapely.Point(3, 4)], crs="EPSG:4326")
    # "two" gets a column the table does not have: the append fails after "one" was appended
    with pytest.raises(OutputError, match=r"writing s1\.two failed .*nothing was written") as err:
        write_db_tables(
            url, {"one": more, "two": pd.DataFrame({"y": [2]})}, if_exists="append"
        )
    assert "***" in str(err.value) and os.path.basename(pg_url) in str(err.value)
    assert table_rows(pg_url, "s1.one")["id"].tolist() == ["a"]
    # a new schema is created inside the transaction too: nothing is left after a failure
    with pytest.raises(OutputError):
        write_db_tables(f"{pg_url}?schema=s2", {"bad": pd.DataFrame({"x": [object()]})})
    con = engine(pg_url)
    with con.connect() as c:
        assert c.exec_driver_sql("SELECT to_regnamespace('s2')").scalar() is None
    con.dispose()


def test_a_run_killed_while_writing_leaves_the_earlier_tables_intact(cli_runner, pg_url):
    """A child `circle coverage --if-exists replace` is SIGKILLed in the middle of its transaction.

    To stop it at a known point without any hook in circle, this test holds a lock on the last
    of the three tables: the child replaces `coverage` (DROP, CREATE, COPY), then waits for the
    lock. The test checks that the child holds the dropped table's lock (so it is mid-write),
    kills it, releases the lock, and finds every earlier table as it was.
    """
    out = f"{pg_url}?schema=circle"
    run_ok(cli_runner, "--out", out)
    before = {t: table_rows(pg_url, f"circle.{t}") for t in ("coverage", "coverage_bands")}
    con = engine(pg_url)
    watcher = con.connect()
    oid = watcher.exec_driver_sql("SELECT 'circle.coverage'::regclass::oid").scalar()
    watcher.commit()
    holder = con.connect()
    holder.exec_driver_sql("LOCK TABLE circle.coverage_summary IN ACCESS EXCLUSIVE MODE")
    with subprocess.Popen(
        [sys.executable, "-m", "circle", "-q", "coverage", "--speed-kmh", "3",
         "--out", out, "--if-exists", "replace"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as child:
        try:
            deadline = time.monotonic() + 120
            backend = None
            while backend is None and time.monotonic() < deadline and child.poll() is None:
                backend = watcher.exec_driver_sql(
                    "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                    "WHERE a.application_name = 'circle' AND a.wait_event_type = 'Lock' "
                    f"AND l.relation = {oid} AND l.mode = 'AccessExclusiveLock' AND l.granted"
                ).scalar()
                watcher.commit()
                time.sleep(0.1)
            assert backend is not None, child.stdout.read() if child.poll() is not None else ""
            child.send_signal(signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
            holder.rollback()
            holder.close()
    # the orphaned backend aborts its transaction once it notices its client is gone
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = watcher.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'circle'"
        ).scalar()
        watcher.commit()
        if left == 0:
            break
        time.sleep(0.1)
    assert left == 0
    watcher.close()
    con.dispose()
    for table, rows in before.items():
        pd.testing.assert_frame_equal(table_rows(pg_url, f"circle.{table}"), rows)
    assert table_rows(pg_url, "circle.coverage_summary")["summary"][0]["parameters"][
        "walk_speed_kmh"
    ] == 4
    # nothing left locked
    run_ok(cli_runner, "--out", out, "--if-exists", "replace", "--speed-kmh", 3)


# ---- a generated edges table whose walks are known by hand -------------------------------------


def grid_edges() -> gpd.GeoDataFrame:
    """Generated: street centre-lines as a bureau might keep them (metres; offset X0, Y0).

    ::

        G(-100,100) <=1w= D(0,100) ---2--- E(100,100) ---2--- F(200,100)
                            |                |     .  <- 6: C-E, walkable = false
                            3                4  .          7: a bridge at x=150 crossing
                            |                |.               both streets, no shared vertex
                          A(0,0) ----1----- B(100,0) --1--- C(200,0)

    1 is one LineString through B; 2 a MultiLineString (walkable NULL); 4 ends 3 mm east of
    E (merged on the 1 cm grid); 5 (D->G) is a oneway drawn from D, walked from G.
    """
    rows = [
        (1, shapely.LineString([(0, 0), (100, 0), (200, 0)]), True, False),
        (
            2,
            shapely.MultiLineString([[(0, 100), (100, 100)], [(100, 100), (200, 100)]]),
            None,
            None,
        ),
        (3, shapely.LineString([(0, 0), (0, 100)]), True, False),
        (4, shapely.LineString([(100, 0), (100.003, 100)]), True, False),
        (5, shapely.LineString([(0, 100), (-100, 100)]), True, True),
        (6, shapely.LineString([(200, 0), (100, 100)]), False, False),
        (7, shapely.LineString([(150, -50), (150, 150)]), True, False),
    ]
    geom = [shapely.affinity.translate(g, X0, Y0) for _, g, _, _ in rows]
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "walkable": pd.array([r[2] for r in rows], dtype="boolean"),
            "oneway": pd.array([r[3] for r in rows], dtype="boolean"),
        },
        geometry=geom,
        crs=CRS,
    )


def test_network_from_a_generated_edges_table_walks_as_computed_by_hand(pg_url):
    from circle import coverage_report

    from .conftest import points

    con = engine(pg_url)
    grid_edges().to_postgis("streets", con)
    grid_edges().to_crs("EPSG:4326").rename_geometry("geom").to_postgis("streets_ll", con)
    con.dispose()
    net = network_from_db(f"{pg_url}?table=streets", min_component_m=0)
    # A..G and the bridge's two ends; AB BC DE EF AD BE DG and the bridge; C-E dropped
    assert (net.n_nodes, net.n_edges) == (9, 8)
    assert net.total_length_m == pytest.approx(7 * 100 + 200, abs=1e-6)
    assert net.crs == CRS and net.source["edge_rows_not_walkable"] == 1

    centres = points([("c1", 100, 110)])  # joins at E, access leg 10 m
    communities = points(
        [
            ("h1", -100, 110),  # G: against the oneway D->G, then D-E: 10 + 100 + 100 + 10
            ("h2", 200, -10),  # C: C-B, then B-E across the 3 mm gap: 10 + 100 + 100 + 10
            ("h3", 155, -45),  # nearest street is the bridge, which joins nothing: unreachable
        ]
    )
    table = coverage_report(communities, centres, net).table.set_index("community_id")
    assert table.loc["h1", "walk_m"] == pytest.approx(220, abs=1e-6)
    assert table.loc["h2", "walk_m"] == pytest.approx(220, abs=1e-6)  # not 160 (C-E is dropped)
    assert table.loc["h3", "status"] == "unreachable"
    assert table.loc["h3", "snap_m"] == pytest.approx(5)

    ll = network_from_db(f"{pg_url}?table=streets_ll", min_component_m=0)
    assert ll.crs == "EPSG:32651"  # a lon/lat table is projected to its UTM zone
    assert (ll.n_nodes, ll.n_edges) == (9, 8)
    assert ll.total_length_m == pytest.approx(900, abs=1e-3)


# ---- credentials ---------------------------------------------------------------------------------


def test_credentials_from_pg_environment_and_a_service_file(
    cli_runner, monkeypatch, pg_server, pg_db, tmp_path, bundled
):
    """libpq fills in what the URL leaves out: PGPASSWORD, or a service file with everything."""
    con = engine(pg_server.url(pg_db))
    gpd.read_file(bundled[1]).to_postgis("centres", con)
    con.dispose()
    expect = len(gpd.read_file(bundled[1]))
    no_password = f"postgresql://{pg_server.user}@{pg_server.host}:{pg_server.port}/{pg_db}"
    res = run(cli_runner, "--format", "json", "--centres", f"{no_password}?table=centres")
    assert res.exit_code == 1 and "no password supplied" in res.output
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    res = run_ok(cli_runner, "--format", "json", "--centres", f"{no_password}?table=centres")
    assert json.loads(res.stdout)["centres"]["total"] == expect
    monkeypatch.delenv("PGPASSWORD")
    service = tmp_path / "pg_service.conf"
    service.write_text(
        f"[circle_test]\nhost={pg_server.host}\nport={pg_server.port}\nuser={pg_server.user}\n"
        f"password={pg_server.password}\ndbname={pg_db}\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(service))
    res = cli_runner(
        [
            "-v",
            "coverage",
            "--format",
            "json",
            "--db",
            "postgresql:///?service=circle_test",
            "--centres-table",
            "centres",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["centres"]["total"] == expect
    assert pg_server.password not in res.output


def test_wrong_credentials_one_line_exit_1_password_masked(pg_server, pg_db):
    wrong = "Wr0ng-s3cret"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "circle",
            "-vv",
            "coverage",
            "--centres",
            pg_server.url(pg_db, password=wrong) + "?table=centres",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    both = out.stdout + out.stderr
    assert wrong not in both and pg_server.password not in both
    assert "Traceback" not in both
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: postgresql://postgres:***@127.0.0.1:{pg_server.port}/{pg_db}")
    assert 'password authentication failed for user "postgres"' in last


# ---- bad input -----------------------------------------------------------------------------------


@pytest.fixture
def bad_tables(pg_server, pg_db):
    pg_server.psql(
        "CREATE TABLE plain (id text, lon float, lat float);"
        "INSERT INTO plain VALUES ('c1', 24.95, 60.17);"
        "CREATE TABLE nosrid (id text, geom geometry(Point));"
        "INSERT INTO nosrid VALUES ('c1', ST_MakePoint(24.9527, 60.1680));"
        "CREATE TABLE pois (id int, geom geometry(Point, 4326));"
        "INSERT INTO pois VALUES (1, ST_SetSRID(ST_MakePoint(24.95, 60.17), 4326));",
        dbname=pg_db,
    )
    return pg_server.url(pg_db)


@pytest.mark.parametrize(
    ("option", "table", "expect"),
    [
        (
            "--centres",
            "nope",
            "no table or view 'nope' for the layer (tables with geometry: "
            "public.nosrid, public.pois)",
        ),
        ("--centres", "plain", "public.plain has no geometry column"),
        ("--centres", "nosrid", "the geometry column 'geom' has SRID 0 (no CRS)"),
        ("--network", "pois", "not a (multi)line in id 1"),
    ],
)
def test_bad_database_input_one_line_exit_1(
    cli_runner, tmp_path, bundled, bad_tables, option, table, expect
):
    url = bad_tables
    extra = ["--centres", bundled[1], "--communities", bundled[2]]
    res = run(cli_runner, *extra, option, f"{url}?table={table}", "--out", tmp_path / "out")
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("Error: postgresql://postgres:***@") and expect in last, last
    assert url.split(":")[2].split("@")[0] not in res.output  # the password
    assert not (tmp_path / "out").exists()


def test_srid_0_with_layer_crs_reads(bad_tables):
    layer = read_layer(f"{bad_tables}?table=nosrid", crs="EPSG:4326")
    assert layer.crs.to_epsg() == 4326 and layer["id"].tolist() == ["c1"]


def test_bad_query_and_unreachable_server(bad_tables, pg_server):
    with pytest.raises(InputDataError, match=r"reading the layer failed \(.*syntax error"):
        read_layer(db_source(bad_tables, query="SELECT FROM WHERE nonsense"))
    with pytest.raises(InputDataError, match=r"must be one SELECT statement \(it starts with 'SELEC'"):
        read_layer(db_source(bad_tables, query="SELEC nonsense"))
    with pytest.raises(InputDataError, match=r"must return one geometry column \(it returns none"):
        read_layer(db_source(bad_tables, query="SELECT id FROM plain"))
    closed = pg_server.url("x", password="pw").replace(str(pg_server.port), "1")
    with pytest.raises(InputDataError, match=r"postgres:\*\*\*@127\.0\.0\.1:1/x\?table=t: cannot"):
        read_layer(f"{closed}?table=t")


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--centres-table", "c"], "--centres-table needs --db URL"),
        (["--db", "postgresql://u@h/d"], "--db needs a --centres-table"),
        (["--db", "x.gpkg", "--centres-table", "c"], "postgresql://USER@HOST/DB"),
        (
            ["--db", "postgresql://u@h/d", "--centres-table", "c", "--centres-query", "SELECT 1"],
            "--centres-table or --centres-query, not both",
        ),
        (
            ["--db", "postgresql://u@h/d", "--centres-table", "c", "--centres", "c.csv"],
            "give --centres or a --db table/query for it, not both",
        ),
        (["--out", "postgresql://u@h/d", "--overwrite"], "use --if-exists"),
        (["--out", "folder", "--if-exists", "replace"], "use --overwrite"),
        (["--if-exists", "keep"], "--if-exists"),
    ],
)
def test_database_usage_errors_exit_2(cli_runner, args, expect):
    res = run(cli_runner, *args)
    assert res.exit_code == 2, res.output
    assert expect in res.output


# ---- without a server ----------------------------------------------------------------------------


def test_mask_url():
    assert (
        mask_url("postgresql://u:s3cr%40t@h:5432/db?table=t")
        == "postgresql://u:***@h:5432/db?table=t"
    )
    assert mask_url("postgres://u@h/db?password=x&sslmode=require") == (
        "postgres://u@h/db?password=***&sslmode=require"
    )
    assert mask_url("postgresql:///db?service=s") == "postgresql:///db?service=s"
    assert (
        mask_url("postgresql+psycopg://u:a/b:c@[::1]/db") == "postgresql+psycopg://u:***@[::1]/db"
    )
    assert mask_url("postgresql://u:pw@[bad/db") == "postgresql://u:***@[bad/db"


def test_db_source_round_trips_a_query_through_the_url():
    from circle.io.db import _parse

    sql = "SELECT * FROM t WHERE name LIKE 'a%&b' AND x = 1"
    src = _parse(db_source("postgresql://u:pw@h/db?sslmode=disable", query=sql), InputDataError)
    assert src.query == sql and src.table is None
    assert src.url.query == {"sslmode": "disable"}
    assert src.url.drivername == "postgresql+psycopg"
    assert "pw" not in src.label


def test_missing_db_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "geoalchemy2", None)
    with pytest.raises(MissingDependencyError, match=r"circle-planner\[db\]"):
        read_layer("postgresql://u@h/db?table=t")
    assert issubclass(MissingDependencyError, ImportError)
