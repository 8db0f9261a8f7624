"""``circle extract``: editable layers from an OSM file."""

from __future__ import annotations

from pathlib import Path

import click

from .common import Progress, handle_errors
from .options import _h, out_path

_EXTRACT_HELP = (
    _h("Derive editable layers from an OpenStreetMap file, by documented tag presets.")
    + "\n\n"
    + _h(
        "Writes one GeoPackage with four layers: centres (community centres, town halls, job "
        "centres), communities (residential areas, population estimated from OSM buildings, with "
        "its source), candidates (possible sites for new stations: government offices, libraries, "
        "social facilities, post offices) and gates (entrance and gate nodes on a community's "
        "outline). Correct them in QGIS, then feed them back: "
        "`circle coverage --centres layers.gpkg --communities layers.gpkg --gates layers.gpkg` "
        "(each option picks the layer named after it)."
    )
    + """

\b
Examples:
  $ circle extract shenhe.osm.pbf --out layers.gpkg
  $ circle extract shenhe.osm.pbf --out layers.gpkg --presets my_tags.toml --overwrite
"""
)


@click.command(
    help=_EXTRACT_HELP,
    short_help=_h("Write editable layers (centres, communities, candidates, gates) from OSM."),
)
@click.argument("osm_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=out_path(dir_okay=False),
    help=_h("GeoPackage to write (layers centres, communities, candidates, gates)."),
)
@click.option(
    "--presets",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_h("TOML or JSON file overriding the tag presets (see the README)."),
)
@click.option(
    "--overwrite/--no-overwrite",
    default=False,
    show_default=True,
    help=_h("Replace the GeoPackage if it exists."),
)
@handle_errors
@click.pass_context
def extract(ctx: click.Context, osm_file: Path, out: Path, presets: Path | None, overwrite: bool):
    """Derive editable layers from an OpenStreetMap file (the help is `_EXTRACT_HELP`)."""
    from ..io.extract import extract_osm_layers, presets_from_file
    from ..io.outputs import write_layers_geopackage

    progress = Progress.of(ctx)
    with progress.stage(f"reading the tags of {osm_file.name}"):
        tag_presets = presets_from_file(presets) if presets is not None else None
        layers = extract_osm_layers(osm_file, presets=tag_presets)
    with progress.stage(f"writing {out}"):
        write_layers_geopackage(layers, out, overwrite=overwrite)
    for name, layer in layers.items():
        click.echo(f"{name:<12} {len(layer):>6} features")
    click.echo(f"written: {out}")
