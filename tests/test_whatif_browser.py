"""The what-if map (`circle site --map`) in real headless Chromium, with the network blocked.

Clicks candidate sites on the bundled (real, Helsinki) data and checks the panel against
`coverage_report` reruns with those sites appended to the centres, computed here independently
of the map's reach sets; exports the selection and feeds it back through `circle coverage`.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from circle.coverage.core import coverage_report
from circle.io.files import read_layer
from circle.maps.whatif import WHATIF_COLOURS
from circle.network.load import load_network
from circle.siting.candidates import candidates_from_osm
from circle.siting.site import site_new_centres
from circle.siting.summary import siting_summary

from .browser import block_network, watch
from .conftest import invoke_cli

ROOT = Path(__file__).resolve().parents[1]
CIRCLE = [sys.executable, "-m", "circle", "-q"]
HOSTILE = "<img src=x onerror=alert(1)>"
#: three candidates of the bundled data: a library (renamed to the hostile name), a university
#: building reaching two uncovered communities (one of them also the library's), and a museum
PICKS = ["node/369550855", "way/17359264", "way/8042215"]


@pytest.fixture(scope="module")
def whatif_run(tmp_path_factory, bundled):
    """`circle site --add 3 --map` with the network's OSM candidates, one named hostilely."""
    tmp = tmp_path_factory.mktemp("whatif")
    network, centres_path, communities_path = bundled
    centres = read_layer(centres_path)
    candidates = candidates_from_osm(network, exclude_ids={str(i) for i in centres["id"]})
    candidates.loc[candidates["id"] == PICKS[0], "name"] = HOSTILE
    candidates = candidates.drop(columns="osm_tag")
    cand_path = tmp / "candidates.geojson"
    candidates.to_file(cand_path, driver="GeoJSON")
    out = tmp / "sites"
    res = invoke_cli(
                ["site", "--add", "3", "--candidates", str(cand_path), "--out", str(out), "--map"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    net = load_network(network)
    communities = read_layer(communities_path)
    siting = site_new_centres(communities, centres, candidates, net, add=3)
    return {
        "html": out / "map.html",
        "net": net,
        "centres": centres,
        "communities": communities,
        "candidates": candidates,
        "siting": siting,
        "tmp": tmp,
        "centres_path": centres_path,
    }


def _covered_population(run, extra_ids) -> float:
    """Population covered by coverage_report with the given candidates appended as centres."""
    extra = run["candidates"][run["candidates"]["id"].isin(extra_ids)]
    centres = gpd.GeoDataFrame(
        pd.concat([run["centres"], extra], ignore_index=True), crs=run["centres"].crs
    )
    table = coverage_report(run["communities"], centres, run["net"]).table
    return math.fsum(table.loc[table["covered"], "population"].fillna(0))


def _panel(page) -> dict:
    value = {}
    for key in ("added", "communities", "population"):
        value[key] = float(page.locator(f"#whatif-{key}").get_attribute("data-value"))
    value["chosen"] = page.locator("#whatif-list li").all_inner_texts()
    return value


def test_whatif_map_in_chromium(chromium, whatif_run):
    run = whatif_run
    siting = run["siting"]
    summary = siting_summary(siting)
    n_candidates = int((siting.candidates["status"] == "ok").sum())
    base = _covered_population(run, [])
    assert base == pytest.approx(summary["before"]["population_covered"])

    blocked, failed, console_errors, page_errors, dialogs = [], [], [], [], []
    context = chromium.new_context(
        viewport={"width": 1200, "height": 800}, service_workers="block", accept_downloads=True
    )
    block_network(context, blocked)
    page = context.new_page()
    watch(page, failed, console_errors, page_errors, dialogs)
    try:
        page.goto(run["html"].resolve().as_uri())
        page.wait_for_function(
            "n => document.querySelectorAll('path.circle-candidate').length === n",
            arg=n_candidates,
            timeout=15_000,
        )
        # opens on the optimiser's proposals, with its gain
        start = _panel(page)
        assert start["added"] == len(siting.proposals) == 2
        assert start["population"] == pytest.approx(summary["gain"]["population"])
        assert start["communities"] == summary["gain"]["communities"]

        page.click("#whatif-clear")
        assert _panel(page)["added"] == 0 and _panel(page)["population"] == 0

        def marker(cid):
            return page.locator(f'path.circle-candidate[data-candidate-id="{cid}"]')

        for cid in PICKS:
            marker(cid).click()
        three = _panel(page)
        expected = _covered_population(run, PICKS) - base
        assert expected > 0
        assert three["added"] == 3
        assert three["population"] == pytest.approx(expected)
        # each community once: the sum of the sites' own gains is larger
        alone = sum(_covered_population(run, [c]) - base for c in PICKS)
        assert alone > expected
        # the hostile name is literal text in the list and in the tooltip, never HTML
        assert any(HOSTILE in t for t in three["chosen"])
        assert page.locator("#whatif-list img").count() == 0
        page.mouse.move(0, 0)
        marker(PICKS[0]).hover()
        tooltip = page.locator(".leaflet-tooltip").last
        tooltip.wait_for(state="visible", timeout=5_000)
        assert HOSTILE in tooltip.inner_text()
        assert tooltip.locator("img").count() == 0
        page.mouse.move(0, 0)
        # the newly covered communities are recoloured
        fills = page.locator(".leaflet-communities-pane path.leaflet-interactive").evaluate_all(
            "ps => ps.map(p => p.getAttribute('fill'))"
        )
        assert fills.count(WHATIF_COLOURS["newly_fill"]) == three["communities"]

        # export the selection, then feed it back through `circle coverage`
        with page.expect_download() as download_info:
            page.click("#whatif-export")
        exported = run["tmp"] / "chosen_sites.geojson"
        download_info.value.save_as(exported)

        # clicking one again removes exactly its unique contribution
        marker(PICKS[1]).click()
        two = _panel(page)
        unique = _covered_population(run, PICKS) - _covered_population(run, [PICKS[0], PICKS[2]])
        assert 0 < unique < _covered_population(run, [PICKS[1]]) - base
        assert three["population"] - two["population"] == pytest.approx(unique)
        assert two["added"] == 2

        # reset restores the optimiser's choice and its figure
        page.click("#whatif-reset")
        again = _panel(page)
        assert again["population"] == pytest.approx(summary["gain"]["population"])
        assert again["added"] == len(siting.proposals)
        names = [str(n) for n in siting.proposals["name"]]
        assert [t.removesuffix(" (proposed)") for t in again["chosen"]] == names
        page.wait_for_timeout(300)  # time for any onerror handler to fire
    finally:
        context.close()
    assert blocked == []
    assert failed == []
    assert console_errors == []
    assert page_errors == []
    assert dialogs == []

    # the export: the three sites, in WGS84, appended to the centres file -> the same totals
    fc = json.loads(exported.read_text(encoding="utf-8"))
    assert sorted(f["properties"]["id"] for f in fc["features"]) == sorted(PICKS)
    assert {f["geometry"]["type"] for f in fc["features"]} == {"Point"}
    centres_fc = json.loads(Path(run["centres_path"]).read_text(encoding="utf-8"))
    n_before = len(centres_fc["features"])
    centres_fc["features"] += fc["features"]
    combined = run["tmp"] / "centres_plus_chosen.geojson"
    combined.write_text(json.dumps(centres_fc, ensure_ascii=False), encoding="utf-8")
    res = subprocess.run(
        [*CIRCLE, "coverage", "--centres", str(combined), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    after = json.loads(res.stdout)
    assert after["centres"]["total"] == n_before + 3
    top = after["thresholds"][-1]
    assert top["population_covered"] == pytest.approx(base + three["population"])
    assert (
        top["communities_covered"]
        == summary["before"]["communities_covered"] + three["communities"]
    )
