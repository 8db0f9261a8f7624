"""GCJ-02 and BD-09 inputs end to end: round trips through every reader, and the datum sanity check.

GCJ-02 and BD-09 are the identity outside China, so these tests run on a GENERATED street grid
placed in Shenyang (the `shenyang` fixture), not on the bundled Helsinki data, where they would
prove nothing. The real Helsinki data shows the check stays quiet, and that its rule separates a
shifted copy from the original on real streets.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from circle import coverage_report, load_network, read_layer
from circle.errors import CircleWarning
from circle.io.datums import gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from circle.network.datum_check import _fit, _probes, check_datum, datum_fit


def shifted(layer, convert):
    out = layer.copy()
    out["geometry"] = shapely.transform(
        layer.geometry.values, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))
    )
    return out


def write_tables(tmp_path, centres):
    """The same centres as GeoJSON (WGS84), CSV (GCJ-02, Chinese columns, 6 decimals as AMap
    exports them) and XLSX (BD-09, lng/lat as Baidu names them)."""
    paths = {"geojson": tmp_path / "centres.geojson"}
    centres.to_file(paths["geojson"])
    g_lon, g_lat = wgs84_to_gcj02(centres.geometry.x.to_numpy(), centres.geometry.y.to_numpy())
    paths["csv"] = tmp_path / "amap.csv"
    pd.DataFrame(
        {
            "id": centres["id"],
            "name": centres["name"],
            "type": centres["type"],
            "经度": np.round(g_lon, 6),
            "纬度": np.round(g_lat, 6),
        }
    ).to_csv(paths["csv"], index=False)
    b_lon, b_lat = wgs84_to_bd09(centres.geometry.x.to_numpy(), centres.geometry.y.to_numpy())
    paths["xlsx"] = tmp_path / "baidu.xlsx"
    pd.DataFrame(
        {
            "id": centres["id"],
            "name": centres["name"],
            "type": centres["type"],
            "lng": b_lon,
            "lat": b_lat,
        }
    ).to_excel(paths["xlsx"], index=False, sheet_name="服务站")
    return paths


def test_round_trip_geojson_csv_gcj02_xlsx_bd09_same_coverage(tmp_path, shenyang):
    """Acceptance: the same centres as GeoJSON (WGS84), CSV (GCJ-02) and XLSX (BD-09) give the
    same coverage table within 1 m of walk."""
    net, centres, communities = shenyang
    paths = write_tables(tmp_path, centres)
    layers = {
        "geojson": read_layer(paths["geojson"]),
        "csv": read_layer(paths["csv"], datum="gcj02"),
        "xlsx": read_layer(paths["xlsx"], datum="bd09"),
    }
    tables = {k: coverage_report(communities, v, net).table for k, v in layers.items()}
    base = tables["geojson"]
    assert base["covered"].any() and not base["covered"].all()  # a real test: both outcomes
    for name in ("csv", "xlsx"):
        t = tables[name]
        np.testing.assert_allclose(t["walk_m"], base["walk_m"], atol=1.0, rtol=0)
        same = [
            "community_id",
            "nearest_centre_id",
            "nearest_centre_name",
            "covered",
            "band_min",
            "status",
        ]
        pd.testing.assert_frame_equal(pd.DataFrame(t[same]), pd.DataFrame(base[same]))
    # and without the conversion the CSV gives another answer: the datum matters here
    raw = read_layer(paths["csv"])
    with pytest.warns(CircleWarning, match="probably gcj02"):
        wrong = coverage_report(communities, raw, net).table
    assert np.nanmax(np.abs(wrong["walk_m"] - base["walk_m"])) > 100


def test_round_trip_through_the_cli(tmp_path, shenyang, shenyang_files, cli_runner):
    _, centres, _ = shenyang
    graphml, _, comm = shenyang_files
    paths = write_tables(tmp_path, centres)
    common = ["coverage", "--network", graphml, "--communities", comm, "--format", "json"]
    runs = {
        "geojson": ["--centres", paths["geojson"]],
        "csv": ["--centres", paths["csv"], "--centres-datum", "gcj02"],
        "xlsx": [
            "--centres",
            paths["xlsx"],
            "--datum",
            "bd09",
            "--communities-datum",
            "wgs84",
            "--centres-layer",
            "服务站",
        ],
    }
    out = {}
    for name, args in runs.items():
        res = cli_runner(
            [*map(str, common), *map(str, args), "--out", str(tmp_path / name)]
        )
        assert res.exit_code == 0, res.output
        out[name] = pd.read_csv(tmp_path / name / "coverage.csv")
        summary = json.loads(res.stdout)
        assert summary["data"]["communities"]["datum"] == "wgs84"
    assert summary["data"]["centres"]["datum"] == "bd09"
    for name in ("csv", "xlsx"):
        np.testing.assert_allclose(out[name]["walk_m"], out["geojson"]["walk_m"], atol=1.0)
        pd.testing.assert_frame_equal(
            out[name].drop(columns=["walk_m", "walk_min"]),
            out["geojson"].drop(columns=["walk_m", "walk_min"]),
        )


# ---- the datum sanity check --------------------------------------------------------------------


def test_check_fires_on_gcj02_read_as_wgs84_and_names_the_file(shenyang):
    net, centres, communities = shenyang
    for layer, kind in ((communities, "communities"), (centres, "centres")):
        wrong = shifted(layer, wgs84_to_gcj02)
        wrong.attrs.update(source=f"amap_{kind}.csv", datum="wgs84")
        with pytest.warns(
            CircleWarning,
            match=rf"amap_{kind}\.csv: read as WGS84, .*probably gcj02: read it with "
            rf"--{kind}-datum gcj02",
        ):
            fit = check_datum(wrong, net, kind=kind)
        assert fit.likely == "gcj02"
        assert fit.median_snap_m["gcj02"] < 20 < fit.median_snap_m["wgs84"] - 20


def test_check_names_bd09_and_the_reverse_mistake(shenyang):
    net, _, communities = shenyang
    baidu = shifted(communities, wgs84_to_bd09)
    assert datum_fit(baidu, net, declared="wgs84").likely == "bd09"
    # a WGS84 file declared GCJ-02: read_layer shifted it the wrong way; the check says wgs84
    wrongly_converted = shifted(communities, gcj02_to_wgs84)
    fit = datum_fit(wrongly_converted, net, declared="gcj02")
    assert fit.suspicious and fit.likely == "wgs84"


def test_check_stays_quiet_on_correct_files(shenyang, bundled, recwarn):
    net, centres, communities = shenyang
    for layer in (centres, communities):
        fit = check_datum(layer, net)
        assert fit is not None and not fit.suspicious
    # the real Helsinki file: outside China the datums coincide, nothing to check
    hel = load_network(bundled[0])
    assert check_datum(read_layer(bundled[2]), hel) is None
    assert not [w for w in recwarn if issubclass(w.category, CircleWarning)]


def test_check_rule_on_real_streets(bundled):
    """Real data: the Helsinki communities' outlines against the real streets, and a copy moved
    by the GCJ-02 offset at Shenyang (+508 m east, +272 m north): the rule keeps the real file
    and recognises the moved one."""
    network, _, communities = bundled
    net = load_network(network)
    xy = _probes(read_layer(communities).to_crs(net.crs).geometry.values)
    offset = np.array([508.0, 272.0])
    real = _fit({"wgs84": xy, "gcj02": xy - offset}, net, "wgs84")
    assert not real.suspicious and real.median_snap_m["wgs84"] < 10
    moved = _fit({"wgs84": xy + offset, "gcj02": xy}, net, "wgs84")
    assert moved.likely == "gcj02"


def test_check_ignores_too_few_points(shenyang):
    net, centres, _ = shenyang
    assert datum_fit(shifted(centres.iloc[:2], wgs84_to_gcj02), net) is None


def test_isochrones_read_gcj02_centres(tmp_path, shenyang, shenyang_files, cli_runner):
    """`--datum` reaches every command that reads layers: the isochrones of the GCJ-02 CSV
    equal those of the WGS84 GeoJSON (areas within 0.1 %: the CSV's 6 decimals move a centre
    by up to 0.1 m), and differ without the conversion."""
    import geopandas as gpd

    graphml = shenyang_files[0]
    paths = write_tables(tmp_path, shenyang[1])
    areas = {}
    runs = (("geojson", "geojson", []), ("csv", "csv", ["--datum", "gcj02"]), ("raw", "csv", []))
    for name, source, extra in runs:
        out = tmp_path / f"iso_{name}.geojson"
        args = ["isochrones", "--network", graphml, "--centres", paths[source], *extra,
                "--merged-only", "--out", out]  # fmt: skip
        res = cli_runner([str(a) for a in args])
        assert res.exit_code == 0, res.output
        areas[name] = gpd.read_file(out).to_crs(32651).area.to_numpy()
    np.testing.assert_allclose(areas["csv"], areas["geojson"], rtol=1e-3)
    assert np.abs(areas["raw"] - areas["geojson"]).max() > 0.01 * areas["geojson"].max()
