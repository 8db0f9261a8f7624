"""The planner's map as folium object and rendered HTML: offline, escaped, complete, GCJ-02."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from circle.bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from circle.coverage.core import coverage_report
from circle.coverage.isochrones import walk_isochrones
from circle.errors import ConfigError
from circle.io.datums import wgs84_to_gcj02
from circle.io.files import read_layer
from circle.maps.coverage_map import (
    OSM_ATTRIBUTION,
    TILE_PROVIDERS,
    UNCOVERED_OUTLINE,
    coverage_map,
    map_html,
    safe_text,
    tile_provider,
    to_map_datum,
)
from circle.network.load import load_network

from .conftest import make_network, points
from .test_datums import EVILTRANSFORM, metres

HOSTILE = {
    "img": "<img src=x onerror=alert(1)>",
    "template": "${alert(2)}",
    "backtick": "back`tick",
    "script": "</script><script>alert(3)</script>",
}

# a tag that loads a resource from the network (links in text, such as Leaflet's attribution
# <a href="https://leafletjs.com">, load nothing)
_URL = r"[\"']?(https?:)?//[^\s\"'>)]*"
NETWORK_REFERENCES = [
    re.compile(r"<(script|img|iframe|audio|video|source|embed)\b[^>]*\bsrc\s*=\s*" + _URL, re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*" + _URL, re.I),
    re.compile(r"url\(\s*" + _URL, re.I),
    re.compile(r"@import", re.I),
]


def network_references(text: str) -> list[str]:
    return [m.group(0) for pattern in NETWORK_REFERENCES for m in pattern.finditer(text)]


def geojson_layers(text: str) -> list[dict]:
    """The GeoJSON data embedded in a rendered folium map, in drawing order."""
    return [json.loads(m) for m in re.findall(r"_add\((\{.*?\})\);\n", text)]


@pytest.fixture(scope="module")
def helsinki_map_inputs():
    """Bundled data with hostile names on two communities and one centre."""
    net = load_network(DEFAULT_NETWORK)
    centres = read_layer(DEFAULT_CENTRES)
    communities = read_layer(DEFAULT_COMMUNITIES)
    communities.loc[0, "name"] = HOSTILE["img"]
    communities.loc[1, "name"] = HOSTILE["template"] + HOSTILE["backtick"]
    centres.loc[0, "name"] = HOSTILE["script"]
    result = coverage_report(communities, centres, net)
    iso = walk_isochrones(net, centres, config=result.config, per_centre=False)
    return result, iso, net


@pytest.fixture(scope="module")
def offline_html(helsinki_map_inputs):
    result, iso, net = helsinki_map_inputs
    return map_html(coverage_map(result, isochrones=iso, network=net))


def test_offline_map_loads_nothing_from_the_network(offline_html):
    assert network_references(offline_html) == []
    # the assets are inlined instead, with their licence headers, after the charset
    assert "Leaflet 1.9.4" in offline_html and "jQuery v3.7.1" in offline_html
    assert "sourceMappingURL" not in offline_html
    assert "url(images/" not in offline_html and "data:image/png;base64," in offline_html
    assert re.search(r"<meta[^>]+charset", offline_html[:1024], re.I)


def test_the_network_check_catches_cdn_links(helsinki_map_inputs):
    result, iso, _ = helsinki_map_inputs
    online = map_html(coverage_map(result, isochrones=iso, offline=False))
    refs = network_references(online)
    assert any("leaflet" in r for r in refs) and any("jquery" in r for r in refs)
    assert "Leaflet 1.9.4, a JS library" not in online  # nothing inlined


def test_names_from_data_files_are_text_never_html(offline_html):
    for payload in HOSTILE.values():
        assert payload not in offline_html
    assert "<img src=x" not in offline_html
    names = {
        f["properties"]["name"]
        for layer in geojson_layers(offline_html)
        for f in layer["features"]
        if "name" in f["properties"]
    }
    # escaped for innerHTML (tooltips, popups) and for JavaScript template literals
    assert "&lt;img src=x onerror=alert(1)&gt;" in names
    assert "&#36;{alert(2)}back&#96;tick" in names
    assert "&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in names
    assert safe_text(HOSTILE["img"]) == "&lt;img src=x onerror=alert(1)&gt;"


def test_layers_features_legend_and_attribution(helsinki_map_inputs, offline_html):
    result, _, _ = helsinki_map_inputs
    layers = geojson_layers(offline_html)
    streets, bands, comm, cents = layers[0], layers[1:4], layers[4], layers[5:]
    assert streets["features"][0]["geometry"]["type"] in ("LineString", "MultiLineString")
    assert all(b["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon") for b in bands)
    # one drawn feature per community and per centre
    assert len(comm["features"]) == len(result.table) == 13
    assert sum(len(c["features"]) for c in cents) == len(result.centres) == 4
    # uncovered ones are the ones styled to stand out
    uncovered = [f["properties"]["style_band"] < 0 for f in comm["features"]]
    assert sum(uncovered) == int((~result.table["covered"]).sum()) == 4
    assert offline_html.count(UNCOVERED_OUTLINE) >= 2  # the style and the legend swatch
    for text in (
        "Walk to the nearest centre",
        "≤ 5 min",
        "5–10 min",
        "10–15 min",
        "not covered: over 15 min or no path",
        "Centres",
        "community",
        "other",
    ):
        assert text in offline_html, text
    for name in (
        "Streets",
        "5-min walk area (isochrone)",
        "Communities by walk time",
        "Centres: community (3)",
        "Centres: other (1)",
    ):
        assert name in offline_html, name
    assert json.dumps(OSM_ATTRIBUTION) in offline_html
    assert "9 of 13 communities (69%) within 15 min" in offline_html
    # tooltips carry name, population, walk minutes and nearest centre
    props = comm["features"][2]["properties"]
    assert {"name", "population", "walk", "nearest"} <= set(props)
    row = result.table.iloc[2]
    assert f"{row.walk_min:.1f} min" in props["walk"]
    assert "(estimate)" in props["population"]


def test_same_inputs_give_the_same_html(helsinki_map_inputs, offline_html):
    result, iso, net = helsinki_map_inputs
    assert map_html(coverage_map(result, isochrones=iso, network=net)) == offline_html


def test_gcj02_shift_matches_published_references_within_a_metre():
    # EVILTRANSFORM: Shanghai, Shenzhen, Beijing (googollee/eviltransform python/test.py)
    wgs = gpd.GeoDataFrame(
        geometry=shapely.points([(lon, lat) for lon, lat, _, _ in EVILTRANSFORM]), crs="EPSG:4326"
    )
    drawn = shapely.get_coordinates(to_map_datum(wgs, "gcj02").geometry)
    published = np.array([(glon, glat) for _, _, glon, glat in EVILTRANSFORM])
    assert metres(drawn[:, 0], drawn[:, 1], published[:, 0], published[:, 1]).max() < 1.0
    unshifted = shapely.get_coordinates(to_map_datum(wgs, "wgs84").geometry)
    np.testing.assert_allclose(unshifted, shapely.get_coordinates(wgs.geometry), atol=1e-7)


@pytest.fixture(scope="module")
def shenyang_result():
    """Generated: a 3 x 3 grid of 200 m blocks in Shenyang (UTM 51N), one centre, 2 communities."""
    nodes = {(i, j): (200.0 * i, 200.0 * j) for i in range(3) for j in range(3)}
    ids = {k: n for n, k in enumerate(sorted(nodes))}
    edges = [(ids[(i, j)], ids[(i + 1, j)]) for i in range(2) for j in range(3)]
    edges += [(ids[(i, j)], ids[(i, j + 1)]) for i in range(3) for j in range(2)]
    net = make_network({ids[k]: v for k, v in nodes.items()}, edges)
    centres = points([("c1", 0.0, 10.0, "Centre", "community")], ("id", "x", "y", "name", "type"))
    communities = points(
        [("a", 390.0, 400.0, "A"), ("b", 100.0, 190.0, "B")], ("id", "x", "y", "name")
    )
    return coverage_report(communities, centres, net), net


def drawn_centre(html: str) -> np.ndarray:
    layer = next(g for g in geojson_layers(html) if g["features"][0]["properties"].get("type"))
    return np.array(layer["features"][0]["geometry"]["coordinates"])


@pytest.mark.filterwarnings("ignore:the base map tiles")  # no internet here (issue 18)
@pytest.mark.parametrize(
    ("tiles", "datum"), [("amap", "gcj02"), ("tencent", "gcj02"), ("osm", "wgs84")]
)
def test_map_shifts_to_gcj02_only_on_gcj02_tiles(shenyang_result, tiles, datum):
    result, net = shenyang_result
    html = map_html(coverage_map(result, network=net, offline=False, tiles=tiles))
    wgs = shapely.get_coordinates(result.centres.to_crs("EPSG:4326").geometry)[0]
    expected = np.array(wgs84_to_gcj02(*wgs)) if datum == "gcj02" else wgs
    drawn = drawn_centre(html)
    assert metres(*drawn, *expected) < 0.05
    assert TILE_PROVIDERS[tiles].url.split("{s}")[-1][:20] in html
    if datum == "gcj02":
        assert 300 < metres(*drawn, *wgs) < 700  # Shenyang's offset is hundreds of metres


def test_local_tile_template_is_allowed_offline(shenyang_result):
    result, _ = shenyang_result
    url = "http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png"
    html = map_html(coverage_map(result, tiles=url, tiles_datum="gcj02"))
    assert url in html
    wgs = shapely.get_coordinates(result.centres.to_crs("EPSG:4326").geometry)[0]
    assert metres(*drawn_centre(html), *wgs84_to_gcj02(*wgs)) < 0.05


@pytest.mark.parametrize(
    ("tiles", "datum", "offline", "message"),
    [
        ("amap", None, True, "loaded from the internet"),
        ("osm", None, True, "loaded from the internet"),
        ("google", None, False, "URL template"),
        ("none", "bd09", True, "`tiles_datum`"),
    ],
)
def test_bad_tile_choices(tiles, datum, offline, message):
    with pytest.raises(ConfigError, match=message):
        tile_provider(tiles, datum, offline)


def test_band_layers_are_drawn_largest_first_and_not_interactive(offline_html):
    names = re.findall(r"(\d+)-min walk area", offline_html)
    assert names[:3] == ["15", "10", "5"]
    assert offline_html.count('"interactive": false') >= 4  # streets and three bands


def test_chinese_map_draws_the_same_features_with_chinese_words(helsinki_map_inputs, offline_html):
    result, iso, net = helsinki_map_inputs
    zh = map_html(coverage_map(result, isochrones=iso, network=net, lang="zh"))
    en_layers, zh_layers = geojson_layers(offline_html), geojson_layers(zh)
    assert len(zh_layers) == len(en_layers)
    for a, b in zip(en_layers, zh_layers, strict=True):
        assert [f["geometry"] for f in a["features"]] == [f["geometry"] for f in b["features"]]
    def walks(layers):
        layer = next(g for g in layers if "walk" in g["features"][0]["properties"])
        return [f["properties"]["walk"] for f in layer["features"]]

    # the same figures, Chinese units: "12.3 min (987 m)" -> "12.3 分钟（987 米）"
    en_walks, zh_walks = walks(en_layers), walks(zh_layers)
    assert [re.findall(r"[\d.,]+", w) for w in zh_walks] == [
        re.findall(r"[\d.,]+", w) for w in en_walks
    ]
    assert all("分钟" in w for w in zh_walks if re.search(r"\d", w))
    assert "到最近就业服务站的步行时间" in zh and "Walk to the nearest centre" not in zh
    # layer names reach the layer control as JSON strings (\u escapes, shown as characters)
    assert json.dumps("社区（按步行时间）") in zh and "Communities by walk time" not in zh
    # the hostile names stay escaped in Chinese too
    assert HOSTILE["img"] not in zh
