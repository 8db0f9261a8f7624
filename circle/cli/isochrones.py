"""``circle isochrones``: walk-time polygons around the centres."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import Progress, handle_errors, layers_job
from .options import (
    _check_suffix,
    _h,
    buffer_option,
    centre_input_options,
    layer_options,
    out_path,
    overwrite_file_option,
    pass_columns,
    pass_config,
    run_options,
)

if TYPE_CHECKING:
    from ..config import CircleConfig
    from ..io.columns import LayerColumns


_ISOCHRONES_HELP = (
    _h("Polygons of the area within each walk time of the centres, from one network search.")
    + "\n\n"
    + _h(
        "Each polygon is made of the streets reached within the time (the last street cut exactly "
        "where the time runs out), widened by --buffer-m: no convex hulls across rivers or rail "
        "yards. The bands nest: the 10-minute polygon lies inside the 15-minute one. Rows: "
        'centre_id ("all" for every centre together, else one centre\'s catchment), centre_name, '
        "minutes, walk_m, area_m2."
    )
    + """

\b
Examples:
  $ circle isochrones
  $ circle isochrones --network district.osm.pbf --centres centres.csv -m 10 -m 15 \\
      --out isochrones.gpkg --merged-only
"""
)


@click.command(
    "isochrones",
    help=_ISOCHRONES_HELP,
    short_help=_h("Write walk-time polygons around the centres."),
)
@centre_input_options
@run_options
@buffer_option
@layer_options
@click.option(
    "--out",
    type=out_path(dir_okay=False),
    default=Path("isochrones.geojson"),
    show_default=True,
    callback=_check_suffix,
    help=_h("Output file: .geojson (WGS84) or .gpkg (in the network's metric CRS)."),
)
@click.option(
    "--per-centre/--merged-only",
    default=True,
    show_default=True,
    help=_h("Also write one polygon per centre and band: the streets it serves first (the "
    "nearest centre) within the band."),
)
@overwrite_file_option
@pass_config(isochrone_buffer_m="buffer_m")
@pass_columns
@handle_errors
@click.pass_context
def isochrones(
    ctx: click.Context,
    network: Path,
    centres: str | None,
    config: CircleConfig,
    columns: LayerColumns,
    layer_crs: str | None,
    datum: str,
    out: Path,
    per_centre: bool,
    overwrite: bool,
) -> None:
    """Walk-time polygons around the centres (the help is `_ISOCHRONES_HELP`)."""
    from ..coverage.isochrones import ALL_CENTRES
    from ..io.outputs import write_layer_file
    from ..runs.maps import run_isochrones

    progress = Progress.of(ctx)
    job = layers_job(
        network, centres, None, columns=columns, layer_crs=layer_crs, datum=datum, config=config
    )
    table = run_isochrones(job, per_centre=per_centre, stage=progress.stage)
    with progress.stage(f"writing {out}"):
        write_layer_file(table, out, overwrite=overwrite)
    merged = table[table["centre_id"] == ALL_CENTRES]
    click.echo(f"isochrones of {table['centre_id'].nunique() - 1 if per_centre else 'all'} "
               f"centres, {len(table)} polygons, buffer {config.isochrone_buffer_m:g} m -> {out}")
    for r in merged.itertuples():
        click.echo(f"  {r.minutes:>5g} min  {r.walk_m:>7.0f} m  {r.area_m2 / 1e6:8.3f} km²")
