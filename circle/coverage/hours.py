"""Opening hours of the centres: which stations are open at a given time (OSM ``opening_hours``
syntax, parsed by the maintained opening-hours-py package), and coverage hour by hour.

A time is ``"Mo 05:00"`` (a weekday of a reference week without public holidays) or
``"2026-10-01 09:00"`` (a date: its public holidays apply, from the package's calendar of
`HoursOptions.country`, China by default). A centre with no hours value is open at all times;
one whose value cannot be parsed is named in a warning and counted closed, or open at all times
when the user says so (`HoursOptions.unparsed_open`, ``--hours-unparsed open``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._text import first_line
from ..errors import ConfigError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "REFERENCE_MONDAY",
    "WEEKDAYS",
    "CentreHours",
    "HoursOptions",
    "centre_hours",
    "day_times",
    "open_mask",
    "parse_at",
]

logger = logging.getLogger(__name__)

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
#: Monday of the week a weekday time (``"Mo 05:00"``) falls in: 9-15 March 2026 holds no
#: public holiday in China (nor in most calendars), so ``PH off`` never applies to it
REFERENCE_MONDAY = dt.date(2026, 3, 9)

_WEEKDAY_TIME = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su)\s+(\d{1,2}):(\d{2})")
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class HoursOptions:
    """Which centres count, by their opening hours.

    Parameters
    ----------
    column
        Centres column holding OSM ``opening_hours`` values (``--hours-column``).
    at
        Times (`parse_at`) at which a centre must be open to count (``--at``, repeatable:
        open at every one of them); ``()``: every centre counts.
    unparsed_open
        A value that cannot be parsed counts as open at all times (default: as closed).
    country
        ISO country code of the public-holiday calendar (``PH``) for dated times.
    day
        Weekday (``"Mo"``) or date (``"2026-10-01"``) of the coverage-by-hour table; ``None``:
        no table.
    first_hour, last_hour
        The table's hours, e.g. 4 to 22 (whole hours, both included).
    """

    column: str = "opening_hours"
    at: tuple[str, ...] = ()
    unparsed_open: bool = False
    country: str = "CN"
    day: str | None = None
    first_hour: int = 4
    last_hour: int = 22

    def __post_init__(self) -> None:
        for text in self.at:
            parse_at(text)
        if self.day is not None:
            day_times(self.day, self.first_hour, self.last_hour)

    def as_dict(self) -> dict:
        """JSON-ready values (``HoursOptions(**d)`` reads them back)."""
        return {**dataclasses.asdict(self), "at": list(self.at)}

    @classmethod
    def from_dict(cls, data: dict) -> HoursOptions:
        """Options from `as_dict` output."""
        return cls(**{**data, "at": tuple(data.get("at") or ())})


def parse_at(text: str) -> dt.datetime:
    """The moment of a time given as ``"Mo 05:00"`` (in `REFERENCE_MONDAY`'s week) or
    ``"2026-10-01 09:00"``.

    Parameters
    ----------
    text
        A weekday and time, or a date and time.

    Returns
    -------
    datetime.datetime
    """
    text = str(text).strip()
    m = _WEEKDAY_TIME.fullmatch(text)
    try:
        if m:
            day = REFERENCE_MONDAY + dt.timedelta(days=WEEKDAYS.index(m[1]))
            return dt.datetime.combine(day, dt.time(int(m[2]), int(m[3])))
        m = _DATE_TIME.fullmatch(text)
        if m:
            year, month, date, hour, minute = (int(g) for g in m.groups())
            return dt.datetime(year, month, date, hour, minute)
    except ValueError:
        pass
    msg = (
        f"time {text!r}: give a weekday and time such as 'Mo 05:00' (Mo Tu We Th Fr Sa Su, "
        "24-hour clock) or a date and time such as '2026-10-01 09:00'"
    )
    raise ConfigError(msg)


def day_times(day: str, first_hour: int = 4, last_hour: int = 22) -> list[str]:
    """The times of a coverage-by-hour table: ``day`` at every whole hour from `first_hour` to
    `last_hour`."""
    if not 0 <= first_hour <= last_hour <= 23:
        msg = f"hours {first_hour}-{last_hour}: give whole hours 0-23, the first not after the last"
        raise ConfigError(msg)
    times = [f"{day} {h:02d}:00" for h in range(first_hour, last_hour + 1)]
    parse_at(times[0])
    return times


@dataclass(frozen=True)
class CentreHours:
    """The parsed hours of a centres layer, row by row.

    Attributes
    ----------
    hours
        A parsed ``OpeningHours`` per row, ``None`` where the row counts as always open (no
        value, or unparseable with `unparsed_open`), ``False`` where it counts as closed.
    unparsed
        ``(centre id, value)`` of each value that could not be parsed.
    """

    hours: list[Any]
    unparsed: list[tuple[str, str]]


def centre_hours(centres: gpd.GeoDataFrame, options: HoursOptions) -> CentreHours:
    """Parse the centres' opening hours; every unparseable value is a warning naming its row.

    Parameters
    ----------
    centres
        The centres (``id`` and the hours column; without that column every centre is always
        open).
    options
        The hours options.

    Returns
    -------
    CentreHours
    """
    from opening_hours import OpeningHours

    if options.column not in centres.columns:
        return CentreHours([None] * len(centres), [])
    source = centres.attrs.get("source", "centres")
    hours: list[Any] = []
    unparsed = []
    for cid, value in zip(centres["id"].tolist(), centres[options.column].tolist(), strict=True):
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        text = str(text).strip()
        if not text:
            hours.append(None)
            continue
        try:
            hours.append(OpeningHours(text, country=options.country))
        except Exception as err:  # ParserError, and anything the Rust side raises
            unparsed.append((str(cid), text))
            counted = "always open" if options.unparsed_open else "closed"
            logger.warning(
                "%s: centre %s: %s %r cannot be parsed (%s); counted as %s%s",
                source, cid, options.column, text, first_line(err).strip(" :"), counted,
                "" if options.unparsed_open else " (--hours-unparsed open counts it open)",
            )
            hours.append(None if options.unparsed_open else False)
    return CentreHours(hours, unparsed)


def open_mask(parsed: CentreHours, times: tuple[str, ...] | list[str]) -> np.ndarray:
    """Which centres are open at every one of `times` (`parse_at`)."""
    moments = [parse_at(t) for t in times]
    out = np.ones(len(parsed.hours), dtype=bool)
    for i, oh in enumerate(parsed.hours):
        if oh is False:
            out[i] = False
        elif oh is not None:
            out[i] = all(oh.is_open(m) for m in moments)
    return out
