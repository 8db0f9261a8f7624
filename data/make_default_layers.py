"""Regenerate the bundled default layers from the bundled OSM extract.

    python data/make_default_layers.py

Writes helsinki_centres.geojson and helsinki_communities.geojson beside this script, derived
only from the tags of helsinki_centre.osm.pbf by circle's documented OSM presets
(`circle.extract.OsmPresets`). tests/test_bundled.py checks that the committed files equal a
fresh derivation, so they cannot drift from the OSM data.
"""

from pathlib import Path

from circle.io.extract import layers_from_osm
from circle.io.outputs import write_layer_geojson

here = Path(__file__).resolve().parent
centres, communities = layers_from_osm(here / "helsinki_centre.osm.pbf")
write_layer_geojson(centres, here / "helsinki_centres.geojson")
write_layer_geojson(communities, here / "helsinki_communities.geojson")
print(f"{len(centres)} centres, {len(communities)} communities")
