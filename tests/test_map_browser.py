"""The --offline map in real headless Chromium (Debian's), with the network blocked."""

from __future__ import annotations

import os

import geopandas as gpd
import pytest

from .browser import block_network, watch

HOSTILE = "<img src=x onerror=alert(1)>"
TEMPLATE = "${alert(2)}back`tick"

# a point of each drawn path that is inside its fill and on top (not under a centre marker), in
# page coordinates; null when there is none
POINT_ON_PATH = """
(path) => {
    const box = path.getBBox();
    const m = path.getScreenCTM();
    for (let i = 1; i < 12; i++) {
        for (let j = 1; j < 12; j++) {
            const p = new DOMPoint(box.x + box.width * i / 12, box.y + box.height * j / 12);
            if (!path.isPointInFill(p)) continue;
            const s = p.matrixTransform(m);
            if (document.elementFromPoint(s.x, s.y) === path) return [s.x, s.y];
        }
    }
    return null;
}
"""


@pytest.fixture
def offline_map(tmp_path, cli_runner, bundled):
    """`circle map --offline` on the bundled data, two communities renamed to hostile names."""
    _, _, communities_path = bundled
    communities = gpd.read_file(communities_path)
    communities.loc[3, "name"] = HOSTILE
    communities.loc[7, "name"] = TEMPLATE
    hostile = tmp_path / "communities.geojson"
    communities.to_file(hostile, driver="GeoJSON")
    out = tmp_path / "map.html"
    res = cli_runner(
                ["map", "--communities", str(hostile), "--offline", "--out", str(out)],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    return out, len(communities)


def test_offline_map_in_chromium(chromium, offline_map, tmp_path):
    html_path, n_communities = offline_map
    n_centres = 4
    blocked, failed, console_errors, page_errors, dialogs = [], [], [], [], []
    context = chromium.new_context(viewport={"width": 1200, "height": 800}, service_workers="block")
    block_network(context, blocked)
    page = context.new_page()
    watch(page, failed, console_errors, page_errors, dialogs)
    try:
        page.goto(html_path.resolve().as_uri())
        page.wait_for_function(
            "n => window.L && document.querySelectorAll('path.leaflet-interactive').length >= n",
            arg=n_communities + n_centres,
            timeout=15_000,
        )
        # one drawn (interactive) feature per community and per centre, nothing else interactive
        communities = page.locator(".leaflet-communities-pane path.leaflet-interactive")
        centres = page.locator(".leaflet-centres-pane path.leaflet-interactive")
        assert communities.count() == n_communities
        assert centres.count() == n_centres
        assert page.locator("path.leaflet-interactive").count() == n_communities + n_centres
        # the isochrone bands and the streets are drawn too (not interactive)
        assert page.locator(".leaflet-isochrones-pane path").count() == 3
        assert page.locator(".leaflet-streets-pane path").count() >= 1

        legend = page.locator(".circle-legend")
        assert legend.is_visible()
        legend_text = legend.inner_text()
        for label in ("Walk to the nearest centre", "≤ 5 min", "10–15 min", "not covered"):
            assert label in legend_text
        attribution = page.locator(".leaflet-control-attribution").inner_text()
        assert "OpenStreetMap contributors" in attribution

        # hover every community: each shows its own tooltip; the hostile names are literal text
        tooltips = []
        for i in range(n_communities):
            page.mouse.move(0, 0)
            point = communities.nth(i).evaluate(POINT_ON_PATH)
            assert point is not None, f"community path {i} has no visible point"
            page.mouse.move(*point)
            tooltip = page.locator(".leaflet-tooltip").last
            tooltip.wait_for(state="visible", timeout=5_000)
            tooltips.append(tooltip.inner_text())
            if HOSTILE in tooltips[-1]:
                assert tooltip.locator("img").count() == 0
        page.mouse.move(0, 0)
        assert sum(HOSTILE in t for t in tooltips) == 1
        assert sum(TEMPLATE in t for t in tooltips) == 1
        assert all("Walk to nearest centre" in t and "Nearest centre" in t for t in tooltips)
        assert len(set(tooltips)) == n_communities

        # a click on a centre opens its popup (the inlined scripts work)
        centres.first.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5_000)
        assert "Centre" in popup.inner_text() and "Serves" in popup.inner_text()
        page.keyboard.press("Escape")

        # the layer control switches the communities off and on again
        toggle = page.get_by_label("Communities by walk time")
        toggle.uncheck()
        assert communities.count() == 0
        toggle.check()
        assert communities.count() == n_communities

        page.screenshot(path=tmp_path / "map.png")
        page.wait_for_timeout(300)  # time for any onerror handler to fire
    finally:
        context.close()
    assert (tmp_path / "map.png").stat().st_size > 10_000
    assert blocked == []
    assert failed == []
    assert console_errors == []
    assert page_errors == []
    assert dialogs == []


def test_chinese_map_in_chromium(chromium, cli_runner, tmp_path):
    """`circle map --lang zh`: the legend, layer names and tooltips are rendered Chinese text.

    The screenshot goes to tmp_path; with CIRCLE_SCREENSHOT_DIR set it is also saved there
    (docs/map_zh.png in the README comes from ``CIRCLE_SCREENSHOT_DIR=docs``).
    """
    out = tmp_path / "map_zh.html"
    res = cli_runner(
        ["map", "--lang", "zh", "--offline", "--out", str(out)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "到最近就业服务站的步行时间" in html  # written as characters, not as &#...; entities
    assert "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei'" in html
    context = chromium.new_context(viewport={"width": 1000, "height": 700}, service_workers="block")
    blocked, page_errors = [], []
    block_network(context, blocked)
    page = context.new_page()
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    try:
        page.goto(out.resolve().as_uri())
        page.wait_for_function(
            "() => window.L && document.querySelectorAll('path.leaflet-interactive').length >= 17",
            timeout=15_000,
        )
        legend = page.locator(".circle-legend").inner_text()
        for label in ("到最近就业服务站的步行时间", "≤ 5 分钟", "10–15 分钟", "未覆盖", "等时圈"):
            assert label in legend
        assert "&#" not in legend and "Walk to" not in legend
        font = page.locator(".circle-legend").evaluate("e => getComputedStyle(e).fontFamily")
        assert "WenQuanYi Micro Hei" in font
        assert "15分钟就业服务圈" in page.locator(".circle-title").inner_text()
        assert page.get_by_label("社区（按步行时间）").is_checked()
        community = page.locator(".leaflet-communities-pane path.leaflet-interactive").first
        page.mouse.move(*community.evaluate(POINT_ON_PATH))
        tooltip = page.locator(".leaflet-tooltip").last
        tooltip.wait_for(state="visible", timeout=5_000)
        assert "到最近服务站步行" in tooltip.inner_text() and "分钟" in tooltip.inner_text()
        page.mouse.move(0, 0)
        shot = tmp_path / "map_zh.png"
        page.screenshot(path=shot)
    finally:
        context.close()
    assert blocked == [] and page_errors == []
    assert 10_000 < shot.stat().st_size < 300_000
    if os.environ.get("CIRCLE_SCREENSHOT_DIR"):
        target = os.path.join(os.environ["CIRCLE_SCREENSHOT_DIR"], shot.name)
        with open(target, "wb") as f:
            f.write(shot.read_bytes())
