"""Villages and hours (issue 22): communities reached by different travel modes, the station
inside a village, and coverage by the centres open at given times.

- Travel mode per community: communities may carry a column naming their mode (``walk``,
  ``bike``, ``ebike``; e.g. villages by e-bike, urban communities on foot). Each group is walked
  (or cycled) on its mode's network at its mode's speed, and the table gains a ``mode`` column;
  the summary's ``by_mode`` splits coverage by it.
- Station in the community: a community given as a polygon that contains a centre
  (``station_inside``), the village target of the Ministry of Human Resources' Action Plan 3.0;
  the summary's ``station_inside`` counts them.
- Opening hours: only the centres open at the ``--at`` times count
  (`circle.coverage.hours`); the summary's ``opening_hours`` holds the coverage at each of
  those times and, with a chosen day, hour by hour.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from .._validate import natural_key
from ..config import MODE_NAMES, CircleConfig, get_mode
from ..errors import InputDataError
from .hours import CentreHours, HoursOptions, centre_hours, day_times, open_mask

if TYPE_CHECKING:
    import geopandas as gpd

    from ..network.walk import WalkNetwork
    from .core import CoverageResult

__all__ = [
    "MODE_COLUMN",
    "RURAL_COLUMNS",
    "STATION_INSIDE",
    "config_for_mode",
    "coverage_by_mode",
    "hours_section",
    "open_centres",
    "rural_sections",
    "with_rural_columns",
]

logger = logging.getLogger(__name__)

#: per-community columns this module adds (after the group columns)
MODE_COLUMN = "mode"
STATION_INSIDE = "station_inside"
RURAL_COLUMNS = (MODE_COLUMN, STATION_INSIDE)

Coverage = Callable[..., "CoverageResult"]


def config_for_mode(config: CircleConfig, mode: str) -> CircleConfig:
    """The run's parameters for communities of another mode: that mode's speed (the run's own
    mode keeps the run's speed), the same minutes or, with ``within_km``, the same distance."""
    if mode == config.mode:
        return config
    return dataclasses.replace(config, mode=mode, walk_speed_kmh=get_mode(mode).speed_kmh)


def _community_modes(communities: gpd.GeoDataFrame, column: str, default: str) -> np.ndarray:
    """Each community's mode (blank: the run's), or one error naming the first bad row."""
    if column not in communities.columns:
        source = communities.attrs.get("source", "communities")
        msg = (
            f"{source}: no column {column!r} naming each community's travel mode; add it or "
            "drop --mode-column"
        )
        raise InputDataError(msg)
    values = communities[column].astype("string").str.strip().str.lower().fillna("")
    modes = np.where(values == "", default, values).astype(object)
    bad = [i for i, m in enumerate(modes) if m not in MODE_NAMES]
    if bad:
        source = communities.attrs.get("source", "communities")
        row = communities.iloc[bad[0]]
        msg = (
            f"{source}: community {row.get('id', bad[0])}: {column} {row[column]!r} is not a "
            f"travel mode; use {', '.join(MODE_NAMES)} (blank: the run's --mode)"
        )
        raise InputDataError(msg)
    return modes


def coverage_by_mode(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network_for: Callable[[str], WalkNetwork],
    *,
    config: CircleConfig,
    column: str,
    coverage: Coverage,
    **options: Any,
) -> CoverageResult:
    """Coverage of communities that name their own travel mode in `column`.

    Parameters
    ----------
    communities, centres
        The layers.
    network_for
        The network of a mode (`circle.network.load_network` with ``mode=``).
    config
        The run's parameters (its mode applies to blank cells).
    column
        The communities' mode column.
    coverage
        The coverage computation (`circle.coverage.coverage_report` or a partitioned one).
    **options
        Passed on to `coverage` (gates, groups).

    Returns
    -------
    CoverageResult
        The groups' tables in one (sorted by community id, with a ``mode`` column); centres,
        sources and parameters of the run's own mode (or of the first mode present).
    """
    modes = _community_modes(communities, column, config.mode)
    present = [m for m in MODE_NAMES if (modes == m).any()]
    results = {}
    for mode in present:
        part = communities.loc[modes == mode]
        result = coverage(
            part, centres, network_for(mode), config=config_for_mode(config, mode), **options
        )
        result.table[MODE_COLUMN] = mode
        results[mode] = result
    main = results.get(config.mode, results[present[0]])
    table = pd.concat([r.table for r in results.values()], ignore_index=True)
    order = sorted(range(len(table)), key=lambda i: natural_key(table["community_id"].iat[i]))
    table = table.iloc[order].reset_index(drop=True)
    return dataclasses.replace(main, table=table, config=config)


def with_rural_columns(result: CoverageResult) -> CoverageResult:
    """The result with ``station_inside`` (a polygon community containing a counted centre)
    and, for a run not on foot, the ``mode`` column."""
    table = result.table.copy()
    if MODE_COLUMN not in table.columns and result.config.mode != "walk":
        table[MODE_COLUMN] = result.config.mode
    polygons = np.isin(shapely.get_type_id(table.geometry.values), (3, 6))
    inside = np.zeros(len(table), dtype=bool)
    if polygons.any() and len(result.centres):
        tree = shapely.STRtree(result.centres.geometry.values)
        pairs = tree.query(table.geometry.values[polygons], predicate="contains")
        hit = np.zeros(int(polygons.sum()), dtype=bool)
        hit[np.unique(pairs[0])] = True
        inside[polygons] = hit
    if polygons.any():
        table[STATION_INSIDE] = inside
    return dataclasses.replace(result, table=table)


def open_centres(
    centres: gpd.GeoDataFrame, options: HoursOptions, parsed: CentreHours | None = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """The centres open at every one of ``options.at`` (all centres when none is given), and
    what the summary says about them (`parsed`: their hours, if already parsed)."""
    parsed = parsed or centre_hours(centres, options)
    keep = open_mask(parsed, options.at) if options.at else np.ones(len(centres), bool)
    info = {
        "column": options.column,
        "at": list(options.at),
        "centres_open": int(keep.sum()),
        "closed": sorted(map(str, centres.loc[~keep, "id"].tolist()), key=natural_key),
        "unparsed": [{"centre_id": c, "value": v} for c, v in parsed.unparsed],
        "unparsed_counted_as": "open" if options.unparsed_open else "closed",
        "public_holidays": options.country,
    }
    return centres.loc[keep], info


def hours_section(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    options: HoursOptions,
    run: Callable[[gpd.GeoDataFrame], CoverageResult],
    parsed: CentreHours | None = None,
) -> list[dict]:
    """Coverage at each time of ``options.at`` and of the chosen day's hours: one row per time
    (centres open, communities and population covered). `run` computes the coverage of a
    centres subset; runs with the same open centres are computed once."""
    parsed = parsed or centre_hours(centres, options)
    times = list(options.at)
    if options.day is not None:
        times += day_times(options.day, options.first_hour, options.last_hour)
    total_pop = pd.to_numeric(communities.get("population"), errors="coerce")
    done: dict[bytes, tuple[int, float]] = {}
    rows = []
    for time in times:
        keep = open_mask(parsed, [time])
        key = keep.tobytes()
        if key not in done:
            if keep.any():
                t = run(centres.loc[keep]).table
                pop = t["population"].to_numpy(float)
                covered = t["covered"].to_numpy(bool)
                done[key] = (int(covered.sum()), float(np.nansum(pop[covered])))
            else:
                done[key] = (0, 0.0)
        n, pop_cov = done[key]
        has_pop = total_pop is not None and bool(total_pop.notna().any())
        pop_total = float(total_pop.sum()) if has_pop else None
        rows.append(
            {
                "time": time,
                "centres_open": int(keep.sum()),
                "communities_covered": n,
                "communities_share": _share(n, len(communities)),
                "population_covered": pop_cov if has_pop else None,
                "population_share": _share(pop_cov, pop_total) if has_pop else None,
            }
        )
    return rows


def _share(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else round(part / whole, 4)


def rural_sections(result: CoverageResult) -> dict:
    """The summary sections of this module: ``by_mode``, ``station_inside`` and
    ``opening_hours`` (each only when it applies)."""
    t = result.table
    out: dict[str, Any] = {}
    pop = t["population"].to_numpy(float)
    if MODE_COLUMN in t.columns:
        rows = []
        for mode in MODE_NAMES:
            here = (t[MODE_COLUMN] == mode).to_numpy()
            if not here.any():
                continue
            covered = here & t["covered"].to_numpy(bool)
            has_pop = bool(np.isfinite(pop[here]).any())
            rows.append(
                {
                    "mode": mode,
                    "communities": int(here.sum()),
                    "communities_covered": int(covered.sum()),
                    "communities_share": _share(int(covered.sum()), int(here.sum())),
                    "population_covered": float(np.nansum(pop[covered])) if has_pop else None,
                    "population_share": (
                        _share(float(np.nansum(pop[covered])), float(np.nansum(pop[here])))
                        if has_pop
                        else None
                    ),
                }
            )
        out["by_mode"] = rows
    if STATION_INSIDE in t.columns:
        inside = t[STATION_INSIDE].to_numpy(bool)
        out["station_inside"] = {
            "communities_with_area": int(np.isin(
                shapely.get_type_id(t.geometry.values), (3, 6)
            ).sum()),
            "with_station_inside": int(inside.sum()),
            "community_ids": sorted(map(str, t.loc[inside, "community_id"]), key=natural_key),
        }
    if result.hours is not None:
        out["opening_hours"] = result.hours
    return out
