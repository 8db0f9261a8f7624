"""`circle compare --out` writes compare_map.html: offline, one feature per community, escaped."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pandas as pd
import pytest

from circle.maps.compare_map import CHANGE_STYLES

from .conftest import invoke_cli
from .test_maps import HOSTILE, geojson_layers, network_references

EVIL = HOSTILE["img"]


def expected_changes(base_csv, new_csv) -> dict:
    """change per community, straight from the two coverage.csv files."""
    b = pd.read_csv(base_csv, dtype={"community_id": str}).set_index("community_id")["covered"]
    n = pd.read_csv(new_csv, dtype={"community_id": str}).set_index("community_id")["covered"]
    out = {}
    for cid in set(b.index) | set(n.index):
        if cid not in n.index:
            out[cid] = "only_in_base"
        elif cid not in b.index:
            out[cid] = "only_in_new"
        else:
            key = (bool(b[cid]), bool(n[cid]))
            out[cid] = {
                (False, True): "gained",
                (True, False): "lost",
                (True, True): "still_covered",
                (False, False): "still_uncovered",
            }[key]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory, bundled):
    """Two real runs on the bundled data: a 10-minute circle without the town hall, and a
    15-minute circle with the town hall alone (so some communities are gained, some lost)."""
    root = tmp_path_factory.mktemp("cmpmap")
    centres = gpd.read_file(bundled[1])
    hall = centres["id"] == "way/24337154"
    centres[~hall].to_file(root / "without_hall.geojson")
    centres[hall].to_file(root / "hall.geojson")
    for name, args in (
        ("base", ["-m", "10", "--centres", str(root / "without_hall.geojson")]),
        ("new", ["--centres", str(root / "hall.geojson")]),
    ):
        res = invoke_cli(
            ["coverage", *args, "--out", str(root / name)], catch_exceptions=False
        )
        assert res.exit_code == 0, res.output
    # one name with markup, as a careless export might carry, in a copy of the new run
    evil = root / "new_evil"
    shutil.copytree(root / "new", evil)
    t = pd.read_csv(evil / "coverage.csv", dtype=str, keep_default_na=False)
    t.loc[0, "name"] = EVIL
    t.to_csv(evil / "coverage.csv", index=False, lineterminator="\n")
    return root


def test_compare_map_classes_and_colours(cli_runner, runs, tmp_path):
    out = tmp_path / "cmp"
    res = cli_runner(
        ["compare", str(runs / "base"), str(runs / "new_evil"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    html = (out / "compare_map.html").read_text(encoding="utf-8")
    # offline: no script or stylesheet loaded from the network
    assert network_references(html) == []
    want = expected_changes(runs / "base" / "coverage.csv", runs / "new_evil" / "coverage.csv")
    layers = geojson_layers(html)
    got = [f["properties"] for layer in layers for f in layer["features"]
           if "change" in f["properties"]]
    # the streets and the centres are drawn too, to orient by (issue 18)
    assert any(f["geometry"]["type"] == "MultiLineString" for layer in layers
               for f in layer["features"])
    assert sum(f["properties"].get("type") is not None and "change" not in f["properties"]
               for layer in layers for f in layer["features"]) == 1  # new: the hall
    assert len(got) == len(want)  # one feature per community
    assert {f["id"]: f["change"] for f in got} == want
    for f in got:
        assert f["colour"] == CHANGE_STYLES[f["change"]][1]
    counts = pd.Series(list(want.values())).value_counts()
    assert counts.get("gained", 0) > 0 and counts.get("lost", 0) > 0  # both sides shown
    # the legend names each class present with its count, in its colour
    legend = html[html.index('class="circle-legend"') :]
    for change, n in counts.items():
        label, fill, _ = CHANGE_STYLES[change]
        assert f"{fill};" in legend and f"{label}: {n}</div>" in legend
    # escaped: the markup shows as text, never as an element
    assert EVIL not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in {f["name"] for f in got}
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.csv",
        "compare.json",
        "compare.md",
        "compare_map.html",
        "report.pdf",
        "report.xlsx",
    ]


def test_compare_map_needs_the_geojson(cli_runner, runs, tmp_path):
    broken = tmp_path / "no_shapes"
    shutil.copytree(runs / "new", broken)
    (broken / "coverage.geojson").unlink()
    out = tmp_path / "cmp"
    res = cli_runner(["compare", str(runs / "base"), str(broken), "--out", str(out)])
    assert res.exit_code == 1 and "coverage.geojson" in res.output
    assert not out.exists()  # no partial output
    # without --out no map is drawn, so the comparison itself still works
    res = cli_runner(["compare", str(runs / "base"), str(broken)])
    assert res.exit_code == 0, res.output
