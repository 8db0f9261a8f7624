"""`circle site --out postgresql://…`: proposals and the siting summary in PostGIS (real server)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .test_db import engine, table_rows


def site(cli_runner, *args):
    return cli_runner(["site", "--add", "3", *map(str, args)], catch_exceptions=False)


def test_proposals_written_to_postgis_read_back_equal_the_csv(
    cli_runner, tmp_path, pg_url, pg_server
):
    out = f"{pg_url}?schema=circle"
    res = site(cli_runner, "--out", tmp_path)
    assert res.exit_code == 0, res.output
    res = site(cli_runner, "--out", out)
    assert res.exit_code == 0, res.output
    assert "circle: writing postgresql://postgres:***@" in res.output
    assert pg_server.password not in res.output
    con = engine(pg_url)
    try:
        back = gpd.read_postgis(
            "SELECT * FROM circle.proposals ORDER BY rank", con, geom_col="geometry"
        )
        stored = pd.read_sql("SELECT summary FROM circle.siting_summary", con)
        with con.connect() as c:
            srid = c.exec_driver_sql("SELECT Find_SRID('circle', 'proposals', 'geometry')").scalar()
    finally:
        con.dispose()
    csv = pd.read_csv(tmp_path / "proposals.csv")
    assert len(csv) >= 1
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")).fillna(np.nan),
        csv.drop(columns=["lon", "lat"]).fillna(np.nan),
        check_dtype=False,
    )
    assert srid == 4326
    # the points are the CSV's lon/lat, to the last bit written
    assert np.array_equal(
        shapely.get_coordinates(back.geometry.values), csv[["lon", "lat"]].to_numpy()
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert stored["summary"].tolist() == [summary]


def test_site_if_exists(cli_runner, pg_url, tmp_path):
    out = f"{pg_url}?schema=circle"
    assert site(cli_runner, "--out", out).exit_code == 0
    before = table_rows(pg_url, "circle.proposals")
    res = site(cli_runner, "--out", out, "-m", "10")
    assert res.exit_code == 1
    assert "circle.proposals, circle.siting_summary already exist;" in res.output
    pd.testing.assert_frame_equal(table_rows(pg_url, "circle.proposals"), before)
    assert site(cli_runner, "--out", out, "-m", "10", "--if-exists", "replace").exit_code == 0
    summary = table_rows(pg_url, "circle.siting_summary")["summary"]
    assert len(summary) == 1 and summary[0]["parameters"]["threshold_min"] == 10
    assert site(cli_runner, "--out", out, "--if-exists", "append").exit_code == 0
    assert len(table_rows(pg_url, "circle.siting_summary")) == 2
    # usage errors: --if-exists is for a database, --overwrite for a folder
    res = site(cli_runner, "--out", tmp_path / "x", "--if-exists", "replace")
    assert res.exit_code == 2 and "--if-exists is for an --out database" in res.output
    res = site(cli_runner, "--out", out, "--overwrite")
    assert res.exit_code == 2 and "use --if-exists" in res.output
