"""The options of issue 20's walks: --dem, --dem-spacing-m, --access-slack-m (kept out of
`options` for its size; `options` re-exports them)."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import default_lang, translator

__all__ = ["walk_config", "walk_options"]

_h = translator(default_lang())


def walk_options(f):
    """--dem, --dem-spacing-m and --access-slack-m (issue 20: hills and near-equal streets)."""
    options = [
        click.option(
            "--access-slack-m",
            type=float,
            default=0.0,
            show_default=True,
            metavar="M",
            help=_h(
                "Also let a point join every other street on the ground whose access leg is at "
                "most this many metres longer than its nearest; the walk takes the best."
            ),
        ),
        click.option(
            "--dem-spacing-m",
            type=float,
            default=10.0,
            show_default=True,
            metavar="M",
            help=_h("Distance between elevation samples along a street, with --dem."),
        ),
        click.option(
            "--dem",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            help=_h(
                "Elevation raster (GeoTIFF, SRTM .hgt, ...; any CRS, metres): walks cost time "
                "uphill and downhill by Tobler's hiking function. Needs the raster extra."
            ),
        ),
    ]
    for option in options:
        f = option(f)
    return f


def walk_config(kwargs: dict) -> dict:
    """The `CircleConfig` fields of the `walk_options` (taken out of a command's keywords)."""
    dem = kwargs.pop("dem", None)
    return {
        "dem": None if dem is None else str(Path(dem).absolute()),
        "dem_spacing_m": kwargs.pop("dem_spacing_m", 10.0),
        "access_slack_m": kwargs.pop("access_slack_m", 0.0),
    }
