"""Scenario sweeps: the scenarios file, the per-scenario tables and the comparison across them."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import CircleConfig
from .coverage import CoverageResult, summarise
from .errors import ConfigError, InputDataError
from .io import atomic_output_dir
from .report import coverage_table_for_output

__all__ = [
    "COMPARISON_COLUMNS",
    "Scenario",
    "comparison_table",
    "comparison_text",
    "read_scenarios",
    "write_sweep_outputs",
]

#: keys a scenario may set, mapped to `CircleConfig` fields
_CONFIG_KEYS = {
    "speed_kmh": "walk_speed_kmh",
    "minutes": "thresholds_min",
    "max_snap_m": "max_snap_m",
    "search_limit_min": "search_limit_min",
}
#: keys kept for siting scenarios (new centres), refused until `circle site` joins the sweep
_SITING_KEYS = ("add", "candidates")
_NAME = re.compile(r"^[\w][\w.-]*$")

COMPARISON_COLUMNS = [
    "scenario",
    "speed_kmh",
    "max_snap_m",
    "search_limit_min",
    "minutes",
    "walk_m",
    "communities_covered",
    "communities_share",
    "population_covered",
    "population_share",
]


@dataclass(frozen=True)
class Scenario:
    """One scenario of a sweep: a name (also its output file's name) and its run parameters."""

    name: str
    config: CircleConfig


def read_scenarios(path: str | Path) -> list[Scenario]:
    """Read a scenarios file (TOML).

    ::

        [defaults]              # optional: applies to every scenario
        speed_kmh = 4.0
        minutes = [5, 10, 15]

        [[scenario]]
        name = "baseline"

        [[scenario]]
        name = "slow-walkers"
        speed_kmh = 3.0
        max_snap_m = 300

    Keys: ``speed_kmh``, ``minutes``, ``max_snap_m``, ``search_limit_min`` (default: 60, or the
    largest band if larger). ``add`` and ``candidates`` (new centres) are reserved for siting
    scenarios and refused for now.

    Parameters
    ----------
    path
        The ``.toml`` file.

    Returns
    -------
    list of Scenario
        In file order.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        msg = f"{path}: file not found; give a scenarios .toml file"
        raise InputDataError(msg) from err
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        msg = f"{path}: cannot read as TOML ({err})"
        raise InputDataError(msg) from err
    unknown = sorted(set(data) - {"defaults", "scenario"})
    if unknown:
        msg = f"{path}: unknown table(s) {unknown}; use [defaults] and [[scenario]]"
        raise InputDataError(msg)
    defaults = data.get("defaults", {})
    rows = data.get("scenario", [])
    if not isinstance(defaults, dict) or not isinstance(rows, list) or not rows:
        msg = f"{path}: no scenarios; add at least one [[scenario]] table with a name"
        raise InputDataError(msg)
    _check_keys(path, "[defaults]", defaults)
    scenarios: list[Scenario] = []
    for i, row in enumerate(rows, start=1):
        where = f"scenario {i}"
        name = row.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            msg = (
                f"{path}: {where} needs a name of letters, digits, '_', '-' or '.' (it names "
                f"the scenario's output file), got {name!r}"
            )
            raise InputDataError(msg)
        where = f"scenario {name!r}"
        if any(s.name == name for s in scenarios):
            msg = f"{path}: two scenarios are named {name!r}; names must be unique"
            raise InputDataError(msg)
        params = {**defaults, **{k: v for k, v in row.items() if k != "name"}}
        _check_keys(path, where, params)
        scenarios.append(Scenario(name, _scenario_config(path, where, params)))
    return scenarios


def _check_keys(path: Path, where: str, params: dict) -> None:
    for key in _SITING_KEYS:
        if key in params:
            msg = (
                f"{path}: {where}: `{key}` (new centres) is not yet supported in sweeps; "
                "sweeps vary speed_kmh, minutes, max_snap_m and search_limit_min for now"
            )
            raise InputDataError(msg)
    unknown = sorted(set(params) - set(_CONFIG_KEYS) - {"name"})
    if unknown:
        msg = f"{path}: {where}: unknown key(s) {unknown}; use {sorted(_CONFIG_KEYS)}"
        raise InputDataError(msg)


def _scenario_config(path: Path, where: str, params: dict) -> CircleConfig:
    kwargs = {_CONFIG_KEYS[k]: v for k, v in params.items()}
    if "thresholds_min" in kwargs:
        bands = kwargs["thresholds_min"]
        kwargs["thresholds_min"] = tuple(bands) if isinstance(bands, list) else (bands,)
    if "search_limit_min" not in kwargs:
        bands = kwargs.get("thresholds_min", CircleConfig().thresholds_min)
        kwargs["search_limit_min"] = max(60.0, *bands)
    try:
        return CircleConfig(**kwargs)
    except (ConfigError, TypeError) as err:
        msg = f"{path}: {where}: {err}"
        raise InputDataError(msg) from err


def comparison_table(results: dict[str, CoverageResult]) -> pd.DataFrame:
    """Coverage share per band of every scenario, one row per (scenario, band).

    Parameters
    ----------
    results
        Scenario name → coverage result, in the order to report.

    Returns
    -------
    pandas.DataFrame
        Columns `COMPARISON_COLUMNS`.
    """
    rows = []
    for name, result in results.items():
        cfg = result.config
        for band in summarise(result, top=0)["thresholds"]:
            rows.append(
                {
                    "scenario": name,
                    "speed_kmh": cfg.walk_speed_kmh,
                    "max_snap_m": cfg.max_snap_m,
                    "search_limit_min": cfg.search_limit_min,
                    **{k: band[k] for k in COMPARISON_COLUMNS[4:]},
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison as a short terminal table (shares in per cent)."""
    lines = [f"{'scenario':<20} {'km/h':>5} {'within':>8} {'communities':>12} {'population':>11}"]
    for r in table.itertuples():
        pop = "–" if pd.isna(r.population_share) else f"{100 * r.population_share:.1f} %"
        lines.append(
            f"{r.scenario:<20} {r.speed_kmh:>5g} {r.minutes:>4g} min "
            f"{100 * r.communities_share:>10.1f} % {pop:>11}"
        )
    return "\n".join(lines) + "\n"


def write_sweep_outputs(
    results: dict[str, CoverageResult], out_dir: str | Path, *, overwrite: bool = False
) -> list[Path]:
    """Write ``<scenario>.csv`` per scenario and ``comparison.csv``, together or not at all.

    Parameters
    ----------
    results
        Scenario name → coverage result.
    out_dir
        Destination folder (created if missing).
    overwrite
        Replace existing files of the same names.

    Returns
    -------
    list of Path
        The written files.
    """
    names = [f"{name}.csv" for name in results] + ["comparison.csv"]
    with atomic_output_dir(out_dir, names, overwrite=overwrite) as staging:
        for name, result in results.items():
            table = coverage_table_for_output(result).drop(columns="geometry")
            pd.DataFrame(table).to_csv(staging / f"{name}.csv", index=False, lineterminator="\n")
        comparison_table(results).to_csv(
            staging / "comparison.csv", index=False, lineterminator="\n"
        )
    return [Path(out_dir) / n for n in names]
