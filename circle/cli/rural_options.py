"""The options of issue 22 (villages and hours): the travel mode and distance rule of every
command with `run_options`, and the opening-hours options of coverage, map and site (which
centres count, by their OSM ``opening_hours`` at the ``--at`` times; the coverage-by-hour
table)."""

from __future__ import annotations

from typing import Any

import click

from ..config import MODE_NAMES
from ..i18n import default_lang, translator

__all__ = ["MODE_OPTIONS", "hours_from", "hours_options"]

_h = translator(default_lang())

#: --mode and --within-km, added to `circle.cli.options.run_options`
MODE_OPTIONS = [
    click.option(
        "--mode",
        type=click.Choice(MODE_NAMES),
        default="walk",
        show_default=True,
        help=_h(
            "Travel mode: walk, bike (osmnx's bike network, one-way streets one-way, "
            "15 km/h) or ebike (the bike network at 20 km/h; GB 17761-2018 caps e-bikes "
            "at 25 km/h). --speed-kmh replaces the mode's speed."
        ),
    ),
    click.option(
        "--within-km",
        type=float,
        metavar="KM",
        help=_h(
            "A distance rule instead of minutes: covered within this network distance "
            "(e.g. 3 for Anhui's 3 km employment circle); replaces --minutes."
        ),
    ),
]


def hours_options(f):
    """--at, --hours-column, --hours-unparsed, --hours-day, --hours-range, --holidays-country:
    the centres counted by their opening hours (`hours_from`)."""
    options = [
        click.option(
            "--at",
            "at",
            multiple=True,
            metavar='"Mo 05:00"',
            help=_h(
                "Count only the centres open at this time (weekday and time, or a date such as "
                "'2026-10-01 09:00' for its public holidays), from the centres' OSM "
                "opening_hours column; repeat: open at every time given."
            ),
        ),
        click.option(
            "--hours-column",
            default="opening_hours",
            show_default=True,
            metavar="COLUMN",
            help=_h(
                "Centres column with OSM opening_hours values (e.g. Mo-Fr 08:00-17:00; PH off); "
                "a blank cell is open at all times."
            ),
        ),
        click.option(
            "--hours-unparsed",
            type=click.Choice(["closed", "open"]),
            default="closed",
            show_default=True,
            help=_h(
                "How to count a centre whose opening_hours cannot be parsed (each is named in a "
                "warning): closed, or open at all times."
            ),
        ),
        click.option(
            "--hours-day",
            metavar="DAY",
            help=_h(
                "Add a table of coverage hour by hour on this weekday (Mo … Su) or date "
                "(2026-10-01) to the report and summary.json."
            ),
        ),
        click.option(
            "--hours-range",
            default="4-22",
            show_default=True,
            metavar="FIRST-LAST",
            help=_h("The hours of the --hours-day table (whole hours, 0-23)."),
        ),
        click.option(
            "--holidays-country",
            default="CN",
            show_default=True,
            metavar="CODE",
            help=_h(
                "Country whose public holidays PH means (ISO code) for dated --at times."
            ),
        ),
    ]
    for option in options:
        f = option(f)
    return f


def hours_from(ctx: click.Context, opts: dict[str, Any]) -> Any:
    """The `HoursOptions` of the `hours_options` (popped from `opts`), or ``None`` when neither
    --at nor --hours-day is given; a bad time is a usage error (exit 2)."""
    from ..coverage.hours import HoursOptions
    from ..errors import ConfigError

    at, day = tuple(opts.pop("at")), opts.pop("hours_day")
    column, unparsed = opts.pop("hours_column"), opts.pop("hours_unparsed")
    span, country = opts.pop("hours_range"), opts.pop("holidays_country")
    if not at and day is None:
        return None
    try:
        first, _, last = span.partition("-")
        return HoursOptions(
            column=column, at=at, unparsed_open=unparsed == "open", country=country,
            day=day if day is None or len(day) > 2 else day.capitalize(),
            first_hour=int(first), last_hour=int(last),
        )
    except (ConfigError, ValueError) as err:
        msg = str(err)
        if not isinstance(err, ConfigError):
            msg = f"--hours-range {span!r}: give two whole hours, e.g. 4-22"
        raise click.UsageError(msg, ctx=ctx) from err
