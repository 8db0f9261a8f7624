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


#: proper names and units that are no English words to translate
_ALLOWED = {"Leaflet", "OpenStreetMap", "ODbL", "km", "ft", "mi"}
#: an English word of the interface: three or more Latin letters
_WORD = r"[A-Za-z]{3,}"


def _english_words(page, data_values: set[str]) -> set[str]:
    """The Latin words of everything the page shows (text, layer list, tooltips' aliases)
    once the data values (names, ids, folder names) are taken out."""
    import re

    text = page.evaluate("() => document.body.innerText")
    for value in sorted(data_values, key=len, reverse=True):
        text = text.replace(value, " ")
    return set(re.findall(_WORD, text)) - _ALLOWED


def _data_values(*folders) -> set[str]:
    import pandas as pd

    values: set[str] = set()
    for folder in folders:
        values.add(folder.name)
        for name in ("coverage.csv", "proposals.csv"):
            path = folder / name
            if path.exists():
                table = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
                for col in ("community_id", "name", "nearest_centre_id", "nearest_centre_name",
                            "site_id", "社区编号", "名称", "站点编号"):
                    if col in table.columns:
                        values |= set(table[col])
    centres = gpd.read_file(__import__("circle").bundled.DEFAULT_CENTRES)
    values |= set(centres["name"].dropna()) | set(centres["id"])
    return {v for v in values if v}


def _visible_english(chromium, html, data_values):
    blocked: list[str] = []
    context, page = _open(chromium, html, blocked)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(html.resolve().as_uri())
        page.wait_for_selector(".circle-legend", timeout=15_000)
        page.wait_for_timeout(300)
        assert not errors and not blocked
        return _english_words(page, data_values), page.title()
    finally:
        context.close()


def test_whatif_and_compare_maps_in_chinese_show_no_english(chromium, cli_runner, tmp_path):
    site = tmp_path / "选址"
    res = cli_runner(["-q", "site", "--add", "2", "--lang", "zh", "--map", "--out", site],
                     catch_exceptions=False)
    assert res.exit_code == 0, res.output
    left, title = _visible_english(chromium, site / "map.html", _data_values(site))
    assert not left, left
    assert title == "15分钟就业服务圈：如果……？"

    for name, args in (("基准", ["-m", "10"]), ("新方案", [])):
        res = cli_runner(["-q", "coverage", *args, "--out", tmp_path / name],
                         catch_exceptions=False)
        assert res.exit_code == 0, res.output
    out = tmp_path / "对比"
    res = cli_runner(["compare", tmp_path / "基准", tmp_path / "新方案", "--lang", "zh",
                      "--out", out], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    left, title = _visible_english(
        chromium, out / "compare_map.html", _data_values(tmp_path / "基准", tmp_path / "新方案")
    )
    assert not left, left
    assert title == "15分钟就业服务圈：变化情况"
    # the check sees English where there is some: the same comparison in English
    res = cli_runner(["compare", tmp_path / "基准", tmp_path / "新方案", "--lang", "en",
                      "--out", tmp_path / "en"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    left, _ = _visible_english(
        chromium, tmp_path / "en" / "compare_map.html",
        _data_values(tmp_path / "基准", tmp_path / "新方案"),
    )
    assert {"Communities", "changed", "contributors"} <= left
