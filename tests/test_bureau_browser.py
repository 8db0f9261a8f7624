"""The bureau's maps in real headless Chromium (Debian's), with the network blocked: point
communities filled and hoverable, a <title>, and --tiles amap falling back to the offline base.

The point roster is GENERATED from the bundled real Helsinki communities (their representative
points), the form a bureau's lon/lat roster takes.
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from .browser import block_network, watch


@pytest.fixture
def point_roster(tmp_path, bundled):
    _, _, communities_path = bundled
    polygons = gpd.read_file(communities_path)
    points = polygons.set_geometry(polygons.representative_point())
    path = tmp_path / "roster_points.geojson"
    points.to_file(path, driver="GeoJSON")
    return path, len(points)


def _open(chromium, html_path, blocked):
    context = chromium.new_context(viewport={"width": 1200, "height": 800}, service_workers="block")
    block_network(context, blocked)
    page = context.new_page()
    return context, page


def test_point_communities_are_filled_and_hoverable(chromium, point_roster, cli_runner, tmp_path):
    roster, n = point_roster
    out = tmp_path / "map.html"
    res = cli_runner(["map", "--communities", roster, "--lang", "zh", "--out", out],
                     catch_exceptions=False)
    assert res.exit_code == 0, res.output
    blocked, failed, console_errors, page_errors, dialogs = [], [], [], [], []
    context, page = _open(chromium, out, blocked)
    watch(page, failed, console_errors, page_errors, dialogs)
    try:
        page.goto(out.resolve().as_uri())
        markers = page.locator(".leaflet-communities-pane path.leaflet-interactive")
        page.wait_for_function(
            "n => document.querySelectorAll('.leaflet-communities-pane path').length >= n",
            arg=n, timeout=15_000,
        )
        assert markers.count() == n
        fills = markers.evaluate_all("ps => ps.map(p => [p.getAttribute('fill'), "
                                     "getComputedStyle(p).fillOpacity])")
        assert all(f not in (None, "none") and float(o) > 0.5 for f, o in fills), fills[:3]
        # hovering inside the disc (not on its stroke) opens the tooltip
        box = markers.first.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
        assert "社区" in page.locator(".leaflet-tooltip").inner_text()
        assert page.title() == "15分钟就业服务圈"
        assert not page_errors and not console_errors and not blocked
    finally:
        context.close()


def test_amap_tiles_without_internet_fall_back_with_a_notice(chromium, cli_runner, tmp_path):
    out = tmp_path / "amap.html"
    res = cli_runner(["map", "--tiles", "amap", "--title", "沈河区", "--out", out],
                     catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "cannot be reached" in res.output  # the warning on stderr
    blocked, failed, console_errors, page_errors, dialogs = [], [], [], [], []
    context, page = _open(chromium, out, blocked)
    watch(page, failed, console_errors, page_errors, dialogs)
    try:
        page.goto(out.resolve().as_uri())
        page.wait_for_selector(".circle-tiles-notice", timeout=15_000)
        notice = page.locator(".circle-tiles-notice").inner_text()
        assert "could not be loaded" in notice
        assert page.locator(".leaflet-streets-pane path").count() >= 1  # the offline base
        assert page.locator(".leaflet-tile-pane img").count() == 0
        assert any("autonavi" in url for url in blocked)  # it did try the tiles
        assert page.title() == "沈河区"
        assert not page_errors
    finally:
        context.close()
