"""WGS84 ↔ GCJ-02 ↔ BD-09 against published reference values, round trips, the China rectangle."""

from __future__ import annotations

import numpy as np
import pytest

from circle.io.datums import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

#: (wgs lon, wgs lat, gcj lon, gcj lat). Source: googollee/eviltransform, python/test.py (TESTS:
#: Shanghai, Shenzhen, Beijing; the file lists lat before lon), commit 3416646a.
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
#: Source: hujiulong/gcoord, test/unit/crs/{WGS84,GCJ02,BD09}.spec.ts (8 decimals published)
GCOORD_POINT = (123.0, 45.0)
GCOORD = {
    "wgs84_to_gcj02": (123.00607541, 45.00197815),
    "gcj02_to_wgs84": (122.99395597, 44.99804071),
    "gcj02_to_bd09": (123.00636499, 45.00636899),
    "bd09_to_gcj02": (122.99363304, 44.99365430),
    "wgs84_to_bd09": (123.0124491, 45.0083293),
    "bd09_to_wgs84": (122.98762210, 44.99171540),
}
FUNCTIONS = {
    "wgs84_to_gcj02": wgs84_to_gcj02,
    "gcj02_to_wgs84": gcj02_to_wgs84,
    "gcj02_to_bd09": gcj02_to_bd09,
    "bd09_to_gcj02": bd09_to_gcj02,
    "wgs84_to_bd09": wgs84_to_bd09,
    "bd09_to_wgs84": bd09_to_wgs84,
}


def metres(lon1, lat1, lon2, lat2):
    """Great-circle distance (haversine, R = 6371 km): independent of the module's constants."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(h))


@pytest.mark.parametrize("wlon, wlat, glon, glat", EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform_references(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert metres(lon, lat, glon, glat) < 0.001  # published to ~1e-14°: agree to a millimetre
    # and the shift itself is the hundreds of metres that make the conversion necessary
    assert 300 < metres(wlon, wlat, glon, glat) < 700


@pytest.mark.parametrize("wlon, wlat, glon, glat", EVILTRANSFORM)
def test_gcj02_to_wgs84_is_exact_on_eviltransform_references(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, wlon, wlat) < 0.01


@pytest.mark.parametrize("name", sorted(GCOORD))
def test_matches_gcoord_references(name):
    lon, lat = FUNCTIONS[name](*GCOORD_POINT)
    ref_lon, ref_lat = GCOORD[name]
    # forward formulas agree to the 8 published decimals (~1 mm); gcoord's inverses are the
    # approximate one-step ones (ours are exact), which still agree to well under a metre
    assert metres(lon, lat, ref_lon, ref_lat) < 0.1
    if name in ("wgs84_to_gcj02", "gcj02_to_bd09", "wgs84_to_bd09"):
        assert abs(lon - ref_lon) < 1e-7 and abs(lat - ref_lat) < 1e-7


def test_round_trips_are_below_a_centimetre_everywhere_in_china():
    rng = np.random.default_rng(0)
    lon = rng.uniform(74, 135, 20_000)
    lat = rng.uniform(4, 53, 20_000)
    for forward, inverse in (
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (gcj02_to_bd09, bd09_to_gcj02),
        (wgs84_to_bd09, bd09_to_wgs84),
    ):
        back = inverse(*forward(lon, lat))
        assert metres(lon, lat, *back).max() < 0.01
        moved = metres(lon, lat, *forward(lon, lat))
        assert moved.min() > 1  # every point in China is really shifted


def test_outside_china_nothing_moves():
    lon = np.array([24.94, -74.0, 183.0, 139.7, 100.0])  # Helsinki, New York, beyond, Tokyo, S.
    lat = np.array([60.17, 40.7, 45.0, 35.7, -5.0])
    assert not in_china(lon, lat).any()
    for f in FUNCTIONS.values():
        out_lon, out_lat = f(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_vectorised_shapes_and_scalars():
    lon = np.array([[121.5272106, 24.94], [113.912316, 116.377817]])
    lat = np.array([[31.1774276, 60.17], [22.543847, 39.911954]])
    out_lon, out_lat = wgs84_to_gcj02(lon, lat)
    assert out_lon.shape == (2, 2) and out_lat.shape == (2, 2)
    assert (out_lon[0, 0], out_lat[0, 0]) == wgs84_to_gcj02(121.5272106, 31.1774276)
    assert out_lon[0, 1] == 24.94
    assert isinstance(wgs84_to_gcj02(121.5, 31.2)[0], float)
    # inputs are never modified in place
    assert lon[0, 0] == 121.5272106
