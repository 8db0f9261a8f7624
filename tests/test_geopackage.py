"""coverage.gpkg (issue 19): opens with pyogrio layer by layer, and has a QGIS ``layer_styles``
table with one default style per layer, in the colours of the HTML map (read with sqlite3)."""

from __future__ import annotations

import hashlib
import sqlite3
import xml.etree.ElementTree as ET

import pyogrio
import pytest

from circle.i18n import translator
from circle.maps.colours import (
    CENTRE_TYPE_COLOURS,
    PROPOSAL_COLOUR,
    UNCOVERED_FILL,
    UNCOVERED_OUTLINE,
    band_colours,
    rgb,
)
from circle.maps.geopackage import STYLE_TABLE, write_geopackage
from tests.reports_fixtures import make_runs

LAYERS = ["communities", "centres", "bands", "proposals"]


@pytest.fixture(scope="module")
def runs(shenyang, tmp_path_factory):
    return make_runs(shenyang, tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def gpkg(runs, tmp_path_factory):
    path = tmp_path_factory.mktemp("gpkg") / "coverage.gpkg"
    return write_geopackage(
        path, runs.coverage, isochrones=runs.isochrones, proposals=runs.siting.proposals, lang="zh"
    )


def _styles(path) -> dict[str, tuple]:
    with sqlite3.connect(path) as con:
        rows = con.execute(
            f"SELECT f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault "
            f"FROM {STYLE_TABLE}"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _rules(qml: str) -> dict[str, dict]:
    """filter -> {label, fill, outline} of a rule-based QML style."""
    root = ET.fromstring(qml)
    symbols = {}
    for symbol in root.iter("symbol"):
        opts = {o.get("name"): o.get("value") for o in symbol.iter("Option") if o.get("name")}
        symbols[symbol.get("name")] = opts
    return {
        rule.get("filter"): {"label": rule.get("label"), **symbols[rule.get("symbol")]}
        for rule in root.iter("rule")
    }


def _rgba(colour: str) -> str:
    return ",".join(map(str, rgb(colour)))


def test_layers_open_with_pyogrio(runs, gpkg):
    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    assert names[: len(LAYERS)] == LAYERS
    sizes = {
        "communities": len(runs.coverage.table),
        "centres": len(runs.coverage.centres),
        "proposals": len(runs.siting.proposals),
    }
    for name in LAYERS:
        layer = pyogrio.read_dataframe(gpkg, layer=name)
        assert layer.crs.to_epsg() == 4326
        if name in sizes:
            assert len(layer) == sizes[name], name
    communities = pyogrio.read_dataframe(gpkg, layer="communities")
    assert list(communities["community_id"]) == list(runs.coverage.table["community_id"])
    bands = pyogrio.read_dataframe(gpkg, layer="bands")
    assert sorted(bands["minutes"]) == list(runs.coverage.config.thresholds_min)


def test_one_default_style_per_layer_in_the_maps_colours(runs, gpkg):
    styles = _styles(gpkg)
    assert sorted(styles) == sorted(LAYERS)
    assert all(s[0] == "geom" and s[3] == 1 for s in styles.values())
    _ = translator("zh")
    bands = list(runs.coverage.config.thresholds_min)
    communities = _rules(styles["communities"][1])
    for minutes, colour in zip(bands, band_colours(len(bands)), strict=True):
        rule = communities[f'"band_min" = {minutes:g}']
        assert rule["color"].startswith(_rgba(colour))
        assert rule["label"] == _("≤ {minutes:g} min").format(minutes=minutes)
    assert communities["ELSE"]["color"].startswith(_rgba(UNCOVERED_FILL))
    assert communities["ELSE"]["outline_color"].startswith(_rgba(UNCOVERED_OUTLINE))
    centres = _rules(styles["centres"][1])
    assert centres["\"type\" = 'community'"]["color"].startswith(
        _rgba(CENTRE_TYPE_COLOURS["community"])
    )
    assert centres["ELSE"]["color"].startswith(_rgba(CENTRE_TYPE_COLOURS["other"]))
    band_rules = _rules(styles["bands"][1])
    assert [r["color"].rsplit(",", 1)[0] for r in band_rules.values()] == [
        _rgba(c) for c in band_colours(len(bands))
    ]
    assert _rules(styles["proposals"][1])["ELSE"]["color"].startswith(_rgba(PROPOSAL_COLOUR))
    for _name, (_geom, _qml, sld, _default) in styles.items():
        ET.fromstring(sld)  # well-formed SLD beside the QML


def test_same_inputs_same_bytes(runs, tmp_path):
    digests = {
        hashlib.sha256(
            write_geopackage(tmp_path / f"{n}.gpkg", runs.coverage).read_bytes()
        ).hexdigest()
        for n in "ab"
    }
    assert len(digests) == 1


QGIS_CHECK = """
import sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
for name in sys.argv[2:]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    message, ok = layer.loadDefaultStyle()
    rules = layer.renderer().rootRule().children()
    print(name, ok, layer.renderer().type(), *[r.symbol().color().name() for r in rules])
sys.stdout.flush()
import os
os._exit(0)
"""


def test_qgis_opens_every_layer_with_its_style(runs, gpkg):
    """With Debian's QGIS installed (python3-qgis, not a test dependency: ~100 MB), QGIS itself
    loads each layer's default style from layer_styles: a rule-based renderer in our colours."""
    import os
    import subprocess

    python = "/usr/bin/python3"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    probe = (
        subprocess.run(
            [python, "-c", "import qgis.core"], capture_output=True, env=env, check=False
        )
        if os.path.exists(python)
        else None
    )
    if probe is None or probe.returncode != 0:
        pytest.skip("QGIS is not installed (apt-get install python3-qgis qgis-providers)")
    done = subprocess.run(
        [python, "-c", QGIS_CHECK, str(gpkg), *LAYERS],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()}
    assert all(lines[name][:2] == ["True", "RuleRenderer"] for name in LAYERS), done.stdout
    bands = list(runs.coverage.config.thresholds_min)
    assert lines["communities"][2:] == [*band_colours(len(bands)), UNCOVERED_FILL]
    assert lines["proposals"][2:] == [PROPOSAL_COLOUR]
