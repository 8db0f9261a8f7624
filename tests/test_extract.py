"""`circle extract`: editable layers from the bundled OSM file, taken by `circle coverage` as is."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from circle.errors import InputDataError
from circle.io.extract import OsmPresets, extract_osm_layers, presets_from_file
from circle.io.osm import read_tagged_features

from .conftest import invoke_cli


@pytest.fixture(scope="module")
def extracted(bundled, tmp_path_factory):
    out = tmp_path_factory.mktemp("extract") / "layers.gpkg"
    res = invoke_cli(["extract", str(bundled[0]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res


def test_extract_writes_four_layers(extracted):
    out, res = extracted
    assert [str(n) for n, _ in pyogrio.list_layers(out)] == [
        "centres",
        "communities",
        "candidates",
        "gates",
    ]
    assert "gates" in res.stdout and "written:" in res.stdout
    comm = gpd.read_file(out, layer="communities")
    assert len(comm) == 13 and comm["population_source"].str.startswith("estimate").all()


def test_extracted_layers_give_the_default_table(extracted, cli_runner, tmp_path):
    """Acceptance: `circle coverage` accepts the extracted GeoPackage unchanged (it picks the
    layers named centres and communities) and gives the table of the default run."""
    out, _ = extracted
    args = ["coverage", "--centres", str(out), "--communities", str(out), "--out"]
    assert cli_runner([*args, str(tmp_path / "gpkg")]).exit_code == 0
    assert cli_runner(["coverage", "--out", str(tmp_path / "default")]).exit_code == 0
    a = pd.read_csv(tmp_path / "gpkg" / "coverage.csv")
    b = pd.read_csv(tmp_path / "default" / "coverage.csv")
    # the default layers are GeoJSON at 7 decimals (~1 cm); the GeoPackage keeps full precision
    np.testing.assert_allclose(a["walk_m"], b["walk_m"], atol=0.11)
    pd.testing.assert_frame_equal(
        a.drop(columns=["walk_m", "walk_min", "snap_m"]),
        b.drop(columns=["walk_m", "walk_min", "snap_m"]),
    )


def test_gates_lie_on_community_outlines(extracted, bundled):
    """Independent check: the gates are exactly the usable gate nodes (entrance=* but not
    no/emergency, or a barrier of the gate kinds; not access=no or locked=yes) within 1 m of a
    community outline, each naming the communities whose outline it is on."""
    out, _ = extracted
    gates = gpd.read_file(out, layer="gates").to_crs(32635)
    comm = gpd.read_file(out, layer="communities").to_crs(32635).set_index("id")
    assert len(gates) > 0
    for g in gates.itertuples():
        for cid in g.communities.split(";"):
            assert comm.loc[cid].geometry.boundary.distance(g.geometry) <= 1.0

    def usable(tags):
        if tags.get("access") == "no" or tags.get("locked") == "yes":
            return False
        if "entrance" in tags:
            return tags["entrance"] not in ("no", "emergency")
        return tags.get("barrier") in (
            "gate",
            "lift_gate",
            "swing_gate",
            "sliding_gate",
            "turnstile",
            "kissing_gate",
        )

    nodes = [
        f
        for f in read_tagged_features(bundled[0], ("entrance", "barrier"))
        if f["osm_id"].startswith("node/") and usable(f["tags"])
    ]
    pts = gpd.GeoSeries([f["geometry"] for f in nodes], crs=4326).to_crs(32635)
    outline = comm.geometry.boundary.union_all()
    near = {f["osm_id"] for f, p in zip(nodes, pts, strict=True) if outline.distance(p) <= 1.0}
    assert near == set(gates["id"])


def test_candidates_are_the_preset_pois_and_not_centres(extracted):
    out, _ = extracted
    cand = gpd.read_file(out, layer="candidates")
    centres = gpd.read_file(out, layer="centres")
    wanted = {f"{k}={v}" for k, v in OsmPresets().candidate_tags}
    assert len(cand) > 0 and set(cand["osm_tag"]) <= wanted
    assert not set(cand["id"]) & set(centres["id"])


def test_presets_file_overrides(tmp_path, bundled):
    toml = tmp_path / "tags.toml"
    toml.write_text(
        'centres = { "amenity=library" = "community" }\n'
        'gates = ["barrier=gate"]\n'
        "floor_m2_per_person = 20\n",
        encoding="utf-8",
    )
    presets = presets_from_file(toml)
    assert presets.centre_tags == {("amenity", "library"): "community"}
    assert presets.community_tags == OsmPresets().community_tags  # left out: default
    layers = extract_osm_layers(bundled[0], presets=presets)
    assert set(layers["centres"]["osm_tag"]) == {"amenity=library"}
    assert set(layers["gates"]["osm_tag"]) == {"barrier=gate"}
    default = extract_osm_layers(bundled[0])
    # half the floor area per person: twice the people (up to rounding)
    np.testing.assert_allclose(
        layers["communities"]["population"], 2 * default["communities"]["population"], atol=1
    )
    as_json = tmp_path / "tags.json"
    as_json.write_text(json.dumps({"centres": {"amenity=library": "community"}}))
    assert presets_from_file(as_json).centre_tags == presets.centre_tags


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("centers = {}\n", "unknown preset key(s) ['centers']"),
        (
            'communities = ["landuse"]\n',
            "bad value for 'communities': 'landuse' is not \"key=value\"",
        ),
        ("default_levels = -1\n", "bad value for 'default_levels': must be a positive number"),
        ("centres = [\n", "cannot read the presets as TOML"),
    ],
)
def test_bad_presets_are_refused(tmp_path, bundled, cli_runner, text, expect):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(InputDataError, match=re.escape(expect)):
        presets_from_file(p)
    res = cli_runner(
        ["extract", str(bundled[0]), "--out", str(tmp_path / "x.gpkg"), "--presets", str(p)]
    )
    assert res.exit_code == 1 and expect in res.output
    assert not (tmp_path / "x.gpkg").exists()


def test_extract_refuses_to_overwrite_and_bad_targets(extracted, bundled, cli_runner, tmp_path):
    out, _ = extracted
    before = out.read_bytes()
    res = cli_runner(["extract", str(bundled[0]), "--out", str(out)])
    assert res.exit_code == 1 and "layers.gpkg already exist; pass --overwrite" in res.output
    assert out.read_bytes() == before
    res = cli_runner(["extract", str(bundled[0]), "--out", str(tmp_path / "x.geojson")])
    assert res.exit_code == 1 and "must be a GeoPackage file ending in .gpkg" in res.output
    res = cli_runner(
        ["extract", str(tmp_path / "none.osm.pbf"), "--out", str(tmp_path / "y.gpkg")]
    )
    assert res.exit_code == 1 and "none.osm.pbf: file not found" in res.output
    assert not list(tmp_path.glob("*.gpkg"))


def test_extracted_gates_feed_back(extracted, cli_runner):
    """`--gates layers.gpkg` picks the gates layer; every extracted gate lies on an outline, so
    every one links to a community (coverage's 5 m tolerance covers extract's 1 m)."""
    out, _ = extracted
    args = ["coverage", "--centres", out, "--communities", out, "--gates", out, "--format", "json"]
    res = cli_runner([str(a) for a in args])
    assert res.exit_code == 0, res.output
    gates = json.loads(res.stdout)["data"]["gates"]
    n = len(gpd.read_file(out, layer="gates"))
    assert gates["features"] == gates["linked_gates"] == n and gates["unlinked_gates"] == 0
    assert gates["communities_walking_via_gate"] > 0


def test_the_readme_presets_example_parses(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("**Presets**", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    p = tmp_path / "presets.toml"
    p.write_text(block, encoding="utf-8")
    presets = presets_from_file(p)
    assert presets.gate_tags == (("entrance", "main"), ("barrier", "gate"))
    assert presets.floor_m2_per_person == 40
