"""`--place` / `--bbox` downloads: fail fast offline, cache what was downloaded.

No test here touches the internet. The offline failure is real (a closed local port stands in for
Overpass). The download path is exercised with osmnx's two download functions replaced by
GENERATED data shaped like theirs (the Shenyang grid and three tagged features), so the
conversion, the cache and the derived layers run for real.
"""

from __future__ import annotations

import json

import geopandas as gpd
import osmnx as ox
import pandas as pd
import pyproj
import pytest
import shapely

from circle import StudyArea
from circle.errors import ConfigError, NetworkError
from circle.network import online
from circle.network.online import features_from_frame, fetch_osm, parse_bbox
from circle.report.coverage import summary_json

from .conftest import CRS, SHENYANG_SW


@pytest.fixture
def no_server(monkeypatch):
    """Point osmnx at a closed port on this machine: a connection is refused at once."""
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/")


def test_offline_fails_fast_naming_the_offline_way(cli_runner, no_server):
    res = cli_runner(["coverage", "--place", "和平区, 沈阳市"])
    assert res.exit_code == 1, res.output
    message = res.output.strip().splitlines()[-1]
    assert message.startswith("Error: cannot reach 127.0.0.1 to download OpenStreetMap data")
    assert "--network FILE.osm.pbf" in message


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--place", "x", "--network", "a.osm"], "give one of --network, --place and --bbox"),
        (["--place", "x", "--bbox", "1,2,3,4"], "give one of --network, --place and --bbox"),
        (["--bbox", "123.5,41.8,123.4,41.9"], "is not WEST<EAST"),
        (["--bbox", "a,b"], "bbox must be WEST,SOUTH,EAST,NORTH"),
    ],
)
def test_online_usage_errors(cli_runner, args, expect):
    res = cli_runner(["coverage", *args])
    assert res.exit_code == 2 and expect in res.output


def test_parse_bbox():
    assert parse_bbox("123.38,41.76,123.50,41.84") == (123.38, 41.76, 123.50, 41.84)
    with pytest.raises(ConfigError):
        parse_bbox("0,0,0,0")


def generated_download(shenyang):
    """Generated stand-ins for osmnx's downloads: the Shenyang grid as a WGS84 graph, and a
    features frame as ``ox.features_from_bbox`` returns it (indexed by element and id)."""
    net = shenyang[0]
    G = net.to_networkx()
    to_ll = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
    for _, d in G.nodes(data=True):
        d["x"], d["y"] = to_ll.transform(d["x"], d["y"])
    G.graph["crs"] = "EPSG:4326"
    x0, y0 = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(*SHENYANG_SW)
    block = shapely.box(x0 + 15, y0 + 15, x0 + 365, y0 + 305)
    house = shapely.box(x0 + 100, y0 + 100, x0 + 140, y0 + 120)  # 40 × 20 m, 6 storeys
    geoms = gpd.GeoSeries([shapely.Point(x0 + 200, y0 + 5), block, house], crs=CRS).to_crs(4326)
    index = pd.MultiIndex.from_tuples(
        [("node", 1), ("way", 2), ("way", 3)], names=["element", "id"]
    )
    features = gpd.GeoDataFrame(
        {
            "amenity": ["community_centre", None, None],
            "name": ["社区服务中心", "幸福小区", None],
            "landuse": [None, "residential", None],
            "building": [None, None, "apartments"],
            "building:levels": [None, None, "6"],
        },
        geometry=geoms.values,
        index=index,
        crs=4326,
    )
    return G, features


def test_download_is_converted_cached_and_reused_offline(
    shenyang, monkeypatch, cli_runner, no_server
):
    G, features = generated_download(shenyang)
    calls = []
    monkeypatch.setattr(online, "_check_reachable", lambda url: None)
    monkeypatch.setattr(ox, "graph_from_bbox", lambda bbox, **kw: calls.append(bbox) or G)
    monkeypatch.setattr(ox, "features_from_bbox", lambda bbox, tags: features)
    bbox = (123.39, 41.77, 123.43, 41.80)
    net, feats = fetch_osm(bbox=bbox)
    assert calls == [bbox] and net.n_edges == shenyang[0].n_edges
    assert net.source["file"] == "OpenStreetMap download of bbox 123.39,41.77,123.43,41.8"
    assert [f["osm_id"] for f in feats] == ["node/1", "way/2", "way/3"]
    assert feats[1]["geometry"].geom_type == "MultiPolygon"
    assert feats[2]["tags"] == {"building": "apartments", "building:levels": "6"}
    # offline again (the real check, against the closed port): the cache answers
    monkeypatch.undo()
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    again, feats2 = fetch_osm(bbox=bbox)
    assert again.n_edges == net.n_edges and len(feats2) == 3
    with pytest.raises(NetworkError, match=r"cannot reach 127\.0\.0\.1"):
        fetch_osm(bbox=(123.0, 41.0, 123.1, 41.1))  # not cached
    # the CLI derives the layers from the cached tags
    res = cli_runner(["coverage", "--bbox", "123.39,41.77,123.43,41.80", "--format", "json"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["communities"]["total"] == 1 and s["centres"]["total"] == 1
    # population by hand: 40 m × 20 m × 6 storeys ÷ 40 m² = 120 (UTM area; ~0.1 % scale)
    assert s["population"]["total"] == pytest.approx(120, abs=1)
    assert "derived from OpenStreetMap download of bbox" in s["data"]["communities"]["file"]
    # the notebook API downloads through the same reader (cached) and gives the same summary
    study = StudyArea.download(bbox=(123.39, 41.77, 123.43, 41.80))
    assert study.network_file is None and study.gates is not None  # auto: the OSM gates
    assert json.loads(summary_json(study.coverage().summary)) == s


def test_features_from_frame_skips_empty_tags():
    frame = gpd.GeoDataFrame(
        {"amenity": ["townhall", float("nan")], "name": [None, "x"]},
        geometry=[shapely.Point(1, 2), shapely.box(0, 0, 1, 1)],
        index=pd.MultiIndex.from_tuples([("node", 5), ("relation", 6)]),
        crs=4326,
    )
    got = features_from_frame(frame)
    assert got[0]["osm_id"] == "node/5" and got[0]["tags"] == {"amenity": "townhall"}
    assert got[1]["osm_id"] == "relation/6" and got[1]["tags"] == {"name": "x"}
