"""``circle map``: the coverage map, one HTML file that works offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import Progress, handle_errors, layers_job
from .options import (
    _h,
    buffer_option,
    hours_from,
    hours_options,
    input_options,
    lang_option,
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


_MAP_HELP = (
    _h("Draw communities by walk time, the centres by type and the walk-time bands on one map.")
    + "\n\n"
    + _h(
        "Layers can be switched on and off; hovering a community shows its name, population, walk "
        "time and nearest centre; communities left outside the circle are outlined in red. The "
        "file is self-contained: send it by e-mail, open it in any browser, also with no internet."
    )
    + """

\b
Examples:
  $ circle map
  $ circle map --network district.osm.pbf --centres centres.csv --out district.html
  $ circle map --tiles amap --title "Shenhe district, 15-minute circle"
  $ circle map --tiles "http://tiles.local/{z}/{x}/{y}.png" --tiles-datum gcj02
  $ circle map --lang zh --title "沈河区 15分钟就业服务圈" --out shenhe.html
  $ circle map --png --lang zh --out shenhe.png
"""
)


@click.command(
    "map",
    help=_MAP_HELP,
    short_help=_h("Draw the coverage map: one HTML file that works offline."),
)
@input_options
@run_options
@buffer_option
@layer_options
@click.option(
    "--out",
    type=out_path(dir_okay=False),
    default=Path("map.html"),
    show_default=True,
    help=_h("The HTML file to write."),
)
@click.option(
    "--offline/--online",
    default=None,
    help=_h("--offline (the default, unless --tiles names an internet base map): Leaflet and "
    "jQuery are inlined, so the file loads nothing from the network and opens on a computer "
    "with no internet. --online links them from public CDNs (a smaller file)."),
)
@click.option(
    "--tiles",
    default="none",
    show_default=True,
    metavar="{none,osm,amap,tencent,URL}",
    help=_h("Base map: none (the streets are drawn from the network), OpenStreetMap, AMap "
    "(Gaode) or Tencent (both GCJ-02: every geometry is shifted to line up), or a tile URL "
    "template with {z}/{x}/{y}, e.g. of a tile server on your own network."),
)
@click.option(
    "--tiles-datum",
    type=click.Choice(["wgs84", "gcj02"]),
    help=_h("Datum of the base map tiles (default: gcj02 for amap and tencent, else wgs84); "
    "give gcj02 for a local copy of Chinese tiles."),
)
@click.option("--title", metavar="TEXT", help=_h("Title shown on the map."))
@click.option(
    "--png",
    "png",
    is_flag=True,
    help=_h(
        "Write the static picture of the map (PNG, for print and documents) instead of the "
        "HTML file; --out defaults to map.png."
    ),
)
@overwrite_file_option
@hours_options
@lang_option
@pass_config(isochrone_buffer_m="buffer_m")
@pass_columns
@handle_errors
@click.pass_context
def map_command(
    ctx: click.Context,
    network: Path,
    centres: str | None,
    communities: str | None,
    config: CircleConfig,
    columns: LayerColumns,
    layer_crs: str | None,
    datum: str,
    out: Path,
    offline: bool | None,
    tiles: str,
    tiles_datum: str | None,
    title: str | None,
    png: bool,
    overwrite: bool,
    lang: str,
    **hours: Any,
) -> None:
    """Draw the coverage map (the help is `_MAP_HELP`)."""
    from ..i18n import translator
    from ..maps.coverage_map import TILE_PROVIDERS, tile_provider, write_map
    from ..runs.maps import run_map

    if png:
        _write_png(ctx, network, centres, communities, config, columns, layer_crs, datum,
                   out=out, title=title, overwrite=overwrite, lang=lang)
        return
    if offline is None:
        offline = tiles not in TILE_PROVIDERS
    tile_provider(tiles, tiles_datum, offline)  # a bad --tiles is a usage error before reading
    job = layers_job(
        network, centres, communities, columns=columns, layer_crs=layer_crs, datum=datum,
        config=config, hours=hours_from(ctx, hours),
    )
    result, m = run_map(
        job, stage=Progress.of(ctx).stage,
        offline=offline, tiles=tiles, tiles_datum=tiles_datum, title=title, lang=lang,
    )
    write_map(m, out, overwrite=overwrite)
    _ = translator(lang)
    size_kb = out.stat().st_size / 1024
    mode = _("offline: loads nothing from the network") if offline else _("online")
    click.echo(
        _("map of {communities} communities and {centres} centres -> {out} ({kb:,.0f} KB, {mode})")
        .format(
            communities=len(result.table), centres=len(result.centres), out=out, kb=size_kb,
            mode=mode,
        )
    )


def _write_png(ctx, network, centres, communities, config, columns, layer_crs, datum, *, out,
               title, overwrite, lang) -> None:
    """``--png``: the static picture alone, written atomically (map.png by default)."""
    from ..i18n import translator
    from ..io.outputs import atomic_output_dir
    from ..runs.maps import run_static_map

    if out == Path("map.html"):  # the HTML default
        out = Path("map.png")
    if out.suffix.lower() != ".png":
        msg = f"{out}: --png writes a .png file"
        raise click.BadParameter(msg, ctx=ctx, param_hint="--out")
    job = layers_job(
        network, centres, communities, columns=columns, layer_crs=layer_crs, datum=datum,
        config=config,
    )
    result, picture = run_static_map(job, stage=Progress.of(ctx).stage, title=title, lang=lang)
    with atomic_output_dir(out.parent, [out.name], overwrite=overwrite) as staging:
        (staging / out.name).write_bytes(picture)
    _ = translator(lang)
    click.echo(
        _("picture of {communities} communities and {centres} centres -> {out} ({kb:,.0f} KB)")
        .format(communities=len(result.table), centres=len(result.centres), out=out,
                kb=out.stat().st_size / 1024)
    )
