"""Regenerate docs/qgis.png: coverage.gpkg of ``circle site --add 3`` on the bundled data, opened
and drawn by QGIS itself with the styles stored in the GeoPackage (no style set by this script).

Run from the repository root with Debian's QGIS (``apt-get install python3-qgis qgis-providers``,
QGIS 3.22, about 100 MB; not needed by the tests):

    python docs/make_qgis_picture.py            # runs circle, then /usr/bin/python3 for QGIS
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: run by Debian's python3, which has QGIS's bindings
QGIS_SCRIPT = """
import sys
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform,
                       QgsMapRendererParallelJob, QgsMapSettings, QgsProject, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
layers = []
for name in ("proposals", "centres", "communities", "bands"):  # top first
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    message, ok = layer.loadDefaultStyle()
    assert layer.isValid() and ok and layer.renderer().type() == "RuleRenderer", (name, message)
    layers.append(layer)
crs = QgsCoordinateReferenceSystem("EPSG:3857")
settings = QgsMapSettings()
settings.setLayers(layers)
settings.setDestinationCrs(crs)
to_map = QgsCoordinateTransform(layers[3].crs(), crs, QgsProject.instance())
extent = to_map.transformBoundingBox(layers[3].extent())
extent.combineExtentWith(to_map.transformBoundingBox(layers[2].extent()))
extent.scale(1.05)
settings.setExtent(extent)
settings.setOutputSize(QSize(800, 800))
settings.setBackgroundColor(QColor("white"))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
job.renderedImage().save(sys.argv[2], "png")
import os
os._exit(0)  # QGIS 3.22 may crash while tearing down; the picture is saved
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        subprocess.run(
            [sys.executable, "-m", "circle", "-q", "site", "--add", "3", "--out", str(out)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("PYTHONPATH", None)
        subprocess.run(
            ["/usr/bin/python3", "-c", QGIS_SCRIPT, str(out / "coverage.gpkg"),
             str(ROOT / "docs" / "qgis.png")],
            check=True,
            env=env,
        )
    print("docs/qgis.png")


if __name__ == "__main__":
    main()
