"""The what-if map's data and HTML (no browser: see test_whatif_browser.py for the clicks)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest

from circle.config import CircleConfig
from circle.errors import ConfigError
from circle.maps.coverage_map import map_html
from circle.maps.whatif import whatif_data, whatif_map
from circle.siting.candidates import gather_candidates
from circle.siting.site import site_new_centres

from .conftest import points

HOSTILE = "</script><script>alert(1)</script>"
DATA = re.compile(r'<script type="application/json" id="circle-whatif-data">(.*?)</script>', re.S)


@pytest.fixture
def line_run(line_network):
    """Generated: the straight street (0-400 m), a 3-minute circle (200 m at 4 km/h).

    The centre at x=0 covers c1 (50 m) and c2 (150 m); c3 (300 m) and c4 (400 m) are not
    covered. Candidate a (x=330) reaches c2, c3, c4, so it newly covers c3 and c4; b (x=120)
    reaches c1, c2, c3: newly c3; z (x=10) reaches only covered ones: nothing new.
    """
    communities = points(
        [("c1", 50, 0, 10.0), ("c2", 150, 0, 20.0), ("c3", 300, 0, 40.0), ("c4", 400, 0, 80.0)],
        columns=("id", "x", "y", "population"),
    )
    centres = points([("k", 0, 0, "community")], columns=("id", "x", "y", "type"))
    candidates = points(
        [("a", 330, 0, HOSTILE), ("b", 120, 0, "library"), ("z", 10, 0, "hall")],
        columns=("id", "x", "y", "name"),
    )
    config = CircleConfig(thresholds_min=(3.0,))
    result = site_new_centres(communities, centres, candidates, line_network, add=1, config=config)
    return result, candidates


def test_data_lists_what_each_candidate_newly_covers(line_run):
    result, candidates = line_run
    data = whatif_data(result)
    assert data["covered"] == [1, 1, 0, 0]
    assert data["population"] == [10.0, 20.0, 40.0, 80.0]
    cand = data["candidates"]
    assert cand["id"] == ["a", "b", "z"]
    assert cand["newly"] == [[2, 3], [2], []]
    assert cand["proposed"] == [0]  # a: 120 people, the best single site
    assert cand["name"][0] == HOSTILE
    lonlat = np.array(cand["lonlat"]).reshape(-1, 2)
    wgs = candidates.to_crs("EPSG:4326").geometry
    np.testing.assert_allclose(lonlat, np.column_stack([wgs.x, wgs.y]), atol=1e-7)
    assert "pos" not in cand
    assert data["threshold_min"] == 3.0


def test_map_embeds_the_data_safely_and_loads_nothing(line_run, line_network):
    result, _ = line_run
    html = map_html(whatif_map(result, network=line_network))
    assert HOSTILE not in html
    assert "<script>alert(1)" not in html
    data = json.loads(DATA.search(html)[1])
    assert data == {
        **whatif_data(result),
        "start": "proposals",
        "has_population": True,
    }
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=[\"']?(https?:)?//", html)
    assert not re.search(r"<link[^>]*\shref=[\"']?(https?:)?//", html)
    for element in ("whatif-added", "whatif-population", "whatif-reset", "whatif-export"):
        assert f'id="{element}"' in html
    none = map_html(whatif_map(result, start_with_proposals=False))
    assert json.loads(DATA.search(none)[1])["start"] == "none"


def test_gcj02_maps_draw_shifted_but_export_wgs84(line_run):
    result, _ = line_run
    data = whatif_data(result, datum="gcj02")
    # the generated street is in UTM 51N, inside China: GCJ-02 moves it by some hundred metres
    shift = np.array(data["candidates"]["pos"]) - np.array(data["candidates"]["lonlat"])
    assert np.all(np.abs(shift) > 1e-4)


def test_gather_candidates_combines_sources(bundled, tmp_path, helsinki_net):
    network, centres_path, _ = bundled
    centres = gpd.read_file(centres_path)
    grid = gather_candidates(network, helsinki_net, centres, grid_m=400.0)
    osm = gather_candidates(network, helsinki_net, centres)  # the default: OSM tags
    both = gather_candidates(network, helsinki_net, centres, from_osm=True, grid_m=400.0)
    assert len(both) == len(grid) + len(osm)
    assert not set(osm["id"]) & set(centres["id"])
    graphml = tmp_path / "district.graphml"
    with pytest.raises(ConfigError, match="no tags to take candidate sites from"):
        gather_candidates(graphml, helsinki_net, centres)


@pytest.fixture(scope="module")
def helsinki_net(bundled):
    from circle.network.load import load_network

    return load_network(bundled[0])


def test_map_options_need_an_out_folder(cli_runner):
    res = cli_runner(["site", "--add", "1", "--map"])
    assert res.exit_code == 2 and "give --out DIR" in res.output
    res = cli_runner(["coverage", "--whatif"])
    assert res.exit_code == 2 and "give --out DIR" in res.output


def test_coverage_whatif_writes_a_map_that_starts_empty(cli_runner, tmp_path):
    out = tmp_path / "report"
    res = cli_runner(
        ["-q", "coverage", "--whatif", "--out", str(out)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    data = json.loads(DATA.search((out / "whatif.html").read_text(encoding="utf-8"))[1])
    assert data["start"] == "none"
    # Reset switches on the fewest sites covering every coverable community (the bundled
    # data: all four uncovered communities)
    uncovered = {i for i, c in enumerate(data["covered"]) if not c}
    newly = data["candidates"]["newly"]
    assert set().union(*(newly[j] for j in data["candidates"]["proposed"])) == uncovered
    assert len(data["candidates"]["proposed"]) == 2  # no single candidate reaches all four
    assert not any(set(n) == uncovered for n in newly)


def test_coverage_whatif_uses_the_communities_layer_option(cli_runner, tmp_path, bundled):
    """Regression: --whatif read the layers a second time without --communities-layer
    ("none is named 'communities'"); it now reuses the layers the run read."""
    path = tmp_path / "layers.gpkg"
    gpd.read_file(bundled[2]).to_file(path, layer="comms")
    gpd.read_file(bundled[1]).to_file(path, layer="hubs")  # neither is named 'communities'
    out = tmp_path / "report"
    res = cli_runner(
                ["-q", "coverage", "--communities", str(path), "--communities-layer", "comms",
         "--whatif", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(DATA.search((out / "whatif.html").read_text(encoding="utf-8"))[1])
    table = gpd.read_file(out / "coverage.geojson")
    assert data["covered"] == [int(c) for c in table["covered"]]
    assert sum(data["covered"]) == 9  # as the bundled run: 9 of 13 communities covered


def test_coverage_whatif_uses_the_communities_datum_option(cli_runner, tmp_path, shenyang_files):
    """Regression: --whatif read the communities again as WGS84 despite --communities-datum
    gcj02 (hundreds of metres off in China); it now reuses the layers the run read."""
    import shapely

    from circle.io.datums import wgs84_to_gcj02

    graphml, centres, communities = shenyang_files
    amap = gpd.read_file(communities)
    amap["geometry"] = shapely.transform(
        amap.geometry.values, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    path = tmp_path / "communities_gcj02.geojson"
    amap.to_file(path)
    runs = {
        "wgs84": ["--communities", str(communities)],
        "gcj02": ["--communities", str(path), "--communities-datum", "gcj02"],
    }
    covered = {}
    for name, args in runs.items():
        out = tmp_path / name
        res = cli_runner(
                        ["-q", "coverage", "--network", str(graphml), "--centres", str(centres), *args,
             "-m", "5", "--whatif", "--candidates-grid-m", "300", "--out", str(out)],
        )
        assert res.exit_code == 0, res.output
        data = json.loads(DATA.search((out / "whatif.html").read_text(encoding="utf-8"))[1])
        table = gpd.read_file(out / "coverage.geojson")
        assert data["covered"] == [int(c) for c in table["covered"]]
        covered[name] = data["covered"]
    assert covered["gcj02"] == covered["wgs84"]
    assert 0 < sum(covered["wgs84"]) < len(covered["wgs84"])
