"""The options naming the columns and coordinates of the input layers, made one `LayerColumns`
(`layer_options`, `pass_columns`; re-exported by `circle.cli.options`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..i18n import N_, default_lang, translator
from ..io.datums import DATUMS

if TYPE_CHECKING:
    from ..io.columns import LayerColumns

__all__ = ["COLUMN_FIELDS", "columns_from", "layer_options", "pass_columns"]

_h = translator(default_lang())
#: the `LayerColumns` fields set by the ``--FIELD-column`` options of `layer_options`
COLUMN_FIELDS = ("id", "name", "type", "population", "lon", "lat")
#: the layers and fields of the ``--LAYER-FIELD-column`` options (`LayerColumns.per_layer`)
PER_LAYER_KINDS = ("centres", "communities")
PER_LAYER_FIELDS = ("id", "name", "type", "population")


def _check_crs(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A CRS pyproj knows, else a usage error (exit 2) instead of pyproj's traceback later."""
    if value is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError as err:
        detail = str(err).split("(", 1)[0].strip().rstrip(":")
        msg = (
            f"{value!r} is not a CRS that PROJ knows ({detail}); give one like EPSG:4326 or "
            "EPSG:32651"
        )
        raise click.BadParameter(msg, ctx=ctx, param=param) from err
    return value


def layer_options(f):
    options = [
        click.option(
            "--datum",
            type=click.Choice(DATUMS),
            default="wgs84",
            show_default=True,
            help=_h("Map datum of lon/lat input files: wgs84 (GPS, OSM), gcj02 (AMap/Gaode, "
            "Tencent exports), bd09 (Baidu); converted to WGS84 on reading. Per file (coverage): "
            "--centres-datum, --communities-datum."),
        ),
        click.option(
            "--layer-crs",
            metavar="CRS",
            callback=_check_crs,
            help=_h("CRS of layers that declare none (CSV default EPSG:4326), e.g. EPSG:32651."),
        ),
        click.option(
            "--lat-column",
            metavar="NAME",
            help=_h("CSV/Excel latitude column (default: lat/latitude/y/纬度)."),
        ),
        click.option(
            "--lon-column",
            metavar="NAME",
            help=_h("CSV/Excel longitude column (default: lon/lng/longitude/x/经度)."),
        ),
        click.option(
            "--population-column",
            default="population",
            show_default=True,
            metavar="NAME",
            help=_h("Communities' population column (leave absent to count communities only)."),
        ),
        click.option(
            "--type-column",
            default="type",
            show_default=True,
            metavar="NAME",
            help=_h("Centres' type column (community, village, enterprise, industrial_park, "
            "college, business_district, other)."),
        ),
        click.option(
            "--name-column", default="name", show_default=True, metavar="NAME",
            help=_h("Name column of both layers (default: found by header: name, 名称, 名字, "
            "…名称)."),
        ),
        click.option(
            "--id-column", default="id", show_default=True, metavar="NAME",
            help=_h("Id column of both layers, ids unique (default: found by header: id, 编号, "
            "编码, 代码, 序号, …编码, …编号)."),
        ),
        *_per_layer_column_options(),
    ]
    for option in options:
        f = option(f)
    return f


#: help of the ``--LAYER-FIELD-column`` options (`LayerColumns.per_layer`)
_PER_LAYER_HELP = {
    ("centres", "id"): N_("Id column of the centres layer only (overrides --id-column)."),
    ("centres", "name"): N_("Name column of the centres layer only (overrides --name-column)."),
    ("centres", "type"): N_("Type column of the centres layer only (overrides --type-column)."),
    ("communities", "id"): N_(
        "Id column of the communities layer only (overrides --id-column)."
    ),
    ("communities", "name"): N_(
        "Name column of the communities layer only (overrides --name-column)."
    ),
    ("communities", "population"): N_(
        "Population column of the communities layer only (overrides --population-column)."
    ),
}


def _per_layer_column_options() -> list[Callable]:
    """``--centres-id-column``, ``--communities-name-column``, …: a column of one layer only."""
    return [
        click.option(f"--{kind}-{field}-column", metavar="NAME", help=_h(text))
        for (kind, field), text in reversed(_PER_LAYER_HELP.items())
    ]


def columns_from(options: dict[str, Any]) -> LayerColumns:
    """The `layer_options` column values (popped from `options`) as one `LayerColumns`."""
    from ..io.columns import LayerColumns

    per_layer = []
    for kind in PER_LAYER_KINDS:
        for field in PER_LAYER_FIELDS:
            value = options.pop(f"{kind}_{field}_column", None)
            if value is not None:
                per_layer.append((kind, field, value))
    return LayerColumns(
        **{name: options.pop(f"{name}_column") for name in COLUMN_FIELDS},
        per_layer=tuple(per_layer),
    )


def pass_columns(f: Callable) -> Callable:
    """Hand the command one `LayerColumns` as ``columns`` instead of the six column options."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["columns"] = columns_from(kwargs)
        return f(*args, **kwargs)

    return wrapper
