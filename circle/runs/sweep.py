"""Scenario sweeps: the scenarios file, the per-scenario tables and the comparison across them."""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..config import CircleConfig, default_search_limit_min, get_mode, get_profile
from ..coverage.core import CoverageResult, coverage_report, summarise
from ..coverage.hours import parse_at
from ..errors import ConfigError, InputDataError
from ..io.columns import LayerColumns
from ..network.walk import WalkNetwork
from ..report.coverage import coverage_table_for_output
from ..report.csvfiles import write_csv
from ..report.siting import proposals_for_output
from ..siting.result import SitingResult
from ..siting.site import site_new_centres
from .candidates import gather, scenario_sources
from .outputs import Files, write_result_folder

__all__ = [
    "COMPARISON_COLUMNS",
    "Scenario",
    "comparison_table",
    "comparison_text",
    "read_scenarios",
    "run_siting_scenario",
    "scenario_candidates",
    "write_sweep_outputs",
]

#: keys a scenario may set, mapped to `CircleConfig` fields
_CONFIG_KEYS = {
    "speed_kmh": "walk_speed_kmh",
    "minutes": "thresholds_min",
    "max_snap_m": "max_snap_m",
    "search_limit_min": "search_limit_min",
    "mode": "mode",
    "within_km": "within_km",
}
#: keys of the scenario matrix (issue 22): a season's walking profile and the --at times
_AXIS_KEYS = ("profile", "at")
#: the axes a [matrix] table crosses every scenario with
_MATRIX_AXES = ("mode", "profile", "at")
#: keys of siting scenarios: K new centres (`circle site --add K`) and where they may go
_SITING_KEYS = ("add", "candidates")
_NAME = re.compile(r"^[\w][\w.-]*$")
#: scenario names whose output file would clash with a file the sweep itself writes
RESERVED_NAMES = ("comparison", "manifest")
_GRID = re.compile(r"^grid:(.+)$")

COMPARISON_COLUMNS = [
    "scenario",
    "mode",
    "profile",
    "at",
    "speed_kmh",
    "max_snap_m",
    "search_limit_min",
    "minutes",
    "walk_m",
    "communities_covered",
    "communities_share",
    "population_covered",
    "population_share",
    "new_sites",
]


@dataclass(frozen=True)
class Scenario:
    """One scenario of a sweep: a name (also its output file's name) and its run parameters.

    A siting scenario (``add`` set) first chooses ``add`` new centres among ``candidates``
    (``"osm"``, ``"grid:SPACING"`` or a file path) and is then covered with them added.
    """

    name: str
    config: CircleConfig
    add: int | None = None
    candidates: str | None = None
    profile: str | None = None
    at: tuple[str, ...] = ()


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
    largest band if larger); ``mode`` (walk, bike, ebike: its network and default speed),
    ``within_km`` (a distance rule), ``profile`` (a season's walking profile: its speed, scaled
    for bike and ebike by the mode's speed over 4 km/h) and ``at`` (times, as ``--at``: only
    the centres open then). A ``[matrix]`` table with lists of ``mode``, ``profile`` and ``at``
    runs every scenario for every combination, named ``<scenario>_<mode>_<profile>_<time>``;
    for a siting scenario ``add`` (K new centres, as ``circle site
    --add K``) and ``candidates``: ``"osm"`` (the default: the network file's OSM tags),
    ``"grid:SPACING"`` (one street node per SPACING-metre square) or a candidate file (a path
    relative to the scenarios file).

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
    unknown = sorted(set(data) - {"defaults", "scenario", "matrix"})
    if unknown:
        msg = f"{path}: unknown table(s) {unknown}; use [defaults], [matrix] and [[scenario]]"
        raise InputDataError(msg)
    defaults = data.get("defaults", {})
    rows = _crossed(path, data.get("scenario", []), data.get("matrix"))
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
        if any(s.name.casefold() == name.casefold() for s in scenarios):
            msg = (
                f"{path}: two scenarios are named {name!r} (names differing only in case clash "
                "on Windows and macOS); names must be unique"
            )
            raise InputDataError(msg)
        if name.casefold() in RESERVED_NAMES or name.casefold().endswith(".proposals"):
            msg = (
                f"{path}: {where}: the name {name!r} is reserved (the sweep writes "
                "comparison.csv and <scenario>.proposals.csv); rename the scenario"
            )
            raise InputDataError(msg)
        params = {**defaults, **{k: v for k, v in row.items() if k != "name"}}
        _check_keys(path, where, params)
        add, candidates = _siting_keys(path, where, params)
        profile, at = _axis_keys(path, where, params)
        config = _scenario_config(
            path, where,
            {k: v for k, v in params.items() if k not in (*_SITING_KEYS, *_AXIS_KEYS)},
        )
        if profile is not None:
            config = _with_profile(config, profile, "speed_kmh" in params)
        scenarios.append(Scenario(name, config, add, candidates, profile, at))
    return scenarios


def _crossed(path: Path, rows: list, matrix: dict | None) -> list:
    """The scenario rows crossed with the ``[matrix]`` axes (each a list), or as they are."""
    if matrix is None:
        return rows
    unknown = sorted(set(matrix) - set(_MATRIX_AXES))
    if unknown or not isinstance(rows, list):
        msg = f"{path}: [matrix]: unknown key(s) {unknown}; use {list(_MATRIX_AXES)}"
        raise InputDataError(msg)
    axes = [(k, matrix[k] if isinstance(matrix[k], list) else [matrix[k]]) for k in
            _MATRIX_AXES if k in matrix]
    out = []
    for row in rows:
        for values in itertools.product(*(v for _, v in axes)):
            parts = [str(row.get("name")), *(re.sub(r"[^\w]", "", str(v)) for v in values)]
            out.append({**row, **dict(zip([k for k, _ in axes], values, strict=True)),
                        "name": "_".join(parts)})
    return out


def _axis_keys(path: Path, where: str, params: dict) -> tuple[str | None, tuple[str, ...]]:
    """``profile`` and ``at`` checked (a bad name or time names the scenario)."""
    profile, at = params.get("profile"), params.get("at", ())
    at = (at,) if isinstance(at, str) else tuple(at)
    try:
        if profile is not None:
            get_profile(profile)
        for text in at:
            parse_at(text)
    except ConfigError as err:
        msg = f"{path}: {where}: {err}"
        raise InputDataError(msg) from err
    return profile, at


def _with_profile(config: CircleConfig, profile: str, speed_given: bool) -> CircleConfig:
    """A season's walking profile: its speed on foot; by bike or e-bike the mode's speed scaled
    by the profile's share of the default walking speed (an assumption: no cycling source); a
    scenario's own speed_kmh wins."""
    if speed_given:
        return config
    ratio = get_profile(profile).speed_kmh / get_profile("default").speed_kmh
    speed = get_mode(config.mode).speed_kmh * ratio
    return replace(config, walk_speed_kmh=round(speed, 3))


def _check_keys(path: Path, where: str, params: dict) -> None:
    known = {*_CONFIG_KEYS, *_SITING_KEYS, *_AXIS_KEYS}
    unknown = sorted(set(params) - known - {"name"})
    if unknown:
        msg = f"{path}: {where}: unknown key(s) {unknown}; use {sorted(known)}"
        raise InputDataError(msg)


def _siting_keys(path: Path, where: str, params: dict) -> tuple[int | None, str | None]:
    """``add`` and ``candidates`` checked; a candidate file's path made absolute."""
    add, candidates = params.get("add"), params.get("candidates")
    problem = None
    if add is not None and (isinstance(add, bool) or not isinstance(add, int) or add < 1):
        problem = f"`add` must be a whole number of new centres >= 1, got {add!r}"
    elif candidates is not None and add is None:
        problem = "`candidates` needs `add = K` (how many new centres to choose)"
    elif candidates is not None and not isinstance(candidates, str):
        problem = f'`candidates` must be "osm", "grid:SPACING" or a file, got {candidates!r}'
    elif candidates is not None and (m := _GRID.match(candidates)):
        try:
            ok = float(m[1]) > 0
        except ValueError:
            ok = False
        if not ok:
            problem = f"`candidates` {candidates!r}: SPACING must be metres > 0, e.g. grid:200"
    elif candidates not in (None, "osm"):
        file = path.parent / candidates
        if not file.is_file():
            problem = f"`candidates`: no file {file} (a path is relative to {path.name})"
        candidates = str(file.resolve())
    if problem:
        msg = f"{path}: {where}: {problem}"
        raise InputDataError(msg)
    return add, ("osm" if add is not None and candidates is None else candidates)


def scenario_candidates(
    spec: str,
    network: WalkNetwork,
    network_path: str | Path,
    centres: gpd.GeoDataFrame,
    *,
    columns: LayerColumns | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """The candidate sites a siting scenario names.

    Parameters
    ----------
    spec
        ``"osm"`` (the network file's OSM tags, `circle.siting.CANDIDATE_TAGS`, the centres
        left out), ``"grid:SPACING"`` (`circle.siting.candidates_on_grid`) or a file path.
    network, network_path
        The walking network and the file it was read from.
    centres
        The existing centres (not candidates).
    columns, crs
        How to read a candidate file, as for `circle.io.read_layer`.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    sources = scenario_sources(spec, columns=columns, crs=crs)
    return gather(network_path, network, centres, sources)


def run_siting_scenario(
    scenario: Scenario,
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    candidates: gpd.GeoDataFrame,
) -> tuple[CoverageResult, SitingResult]:
    """Choose a siting scenario's new centres and cover the study area with them added.

    Siting runs on the whole study area in one process (`circle.siting.site_new_centres`),
    never per part: the best K sites depend on every community at once.

    Parameters
    ----------
    scenario
        A scenario with ``add``.
    communities, centres, network
        As for `circle.coverage.coverage_report`.
    candidates
        From `scenario_candidates`.

    Returns
    -------
    after, siting
        Coverage with the proposals appended to the centres (its covered column equals
        ``siting.communities["covered_after"]`` at the main threshold), and the siting result.
    """
    siting = site_new_centres(
        communities, centres, candidates, network, add=scenario.add, config=scenario.config
    )
    added = siting.proposals.rename(columns={"site_id": "id"})[["id", "name", "type", "geometry"]]
    with_new = pd.concat(
        [centres, added.to_crs(centres.crs)[[c for c in added.columns if c in centres.columns]]],
        ignore_index=True,
    )
    with_new = gpd.GeoDataFrame(with_new, geometry=centres.geometry.name, crs=centres.crs)
    with_new.attrs = {
        **centres.attrs,
        "source": f"{centres.attrs.get('source', 'centres')} + {len(added)} proposed sites",
    }
    return coverage_report(communities, with_new, network, config=scenario.config), siting


def _scenario_config(path: Path, where: str, params: dict) -> CircleConfig:
    kwargs = {_CONFIG_KEYS[k]: v for k, v in params.items()}
    if "mode" in kwargs and "walk_speed_kmh" not in kwargs:
        try:
            kwargs["walk_speed_kmh"] = get_mode(kwargs["mode"]).speed_kmh
        except ConfigError as err:
            msg = f"{path}: {where}: {err}"
            raise InputDataError(msg) from err
    if "thresholds_min" in kwargs:
        bands = kwargs["thresholds_min"]
        kwargs["thresholds_min"] = tuple(bands) if isinstance(bands, list) else (bands,)
    if "search_limit_min" not in kwargs:
        bands = kwargs.get("thresholds_min", CircleConfig().thresholds_min)
        kwargs["search_limit_min"] = default_search_limit_min(bands)
    try:
        return CircleConfig(**kwargs)
    except (ConfigError, TypeError) as err:
        msg = f"{path}: {where}: {err}"
        raise InputDataError(msg) from err


def comparison_table(
    results: dict[str, CoverageResult],
    sitings: dict[str, SitingResult] | None = None,
    scenarios: list[Scenario] | None = None,
) -> pd.DataFrame:
    """Coverage share per band of every scenario, one row per (scenario, band).

    Parameters
    ----------
    results
        Scenario name → coverage result, in the order to report (for a siting scenario: the
        coverage after its new centres).
    sitings
        Scenario name → siting result, for the siting scenarios.
    scenarios
        The scenarios (their ``profile`` and ``at`` fill those columns; the matrix as one
        table).

    Returns
    -------
    pandas.DataFrame
        Columns `COMPARISON_COLUMNS`; ``new_sites`` lists a siting scenario's proposed site
        ids (``;``-separated, best first), empty otherwise.
    """
    sitings = sitings or {}
    axes = {s.name: s for s in scenarios or []}
    rows = []
    for name, result in results.items():
        cfg = result.config
        scenario = axes.get(name)
        sites = sitings[name].proposals["site_id"].tolist() if name in sitings else []
        for band in summarise(result, top=0)["thresholds"]:
            rows.append(
                {
                    "scenario": name,
                    "mode": cfg.mode,
                    "profile": (scenario.profile if scenario else None) or "",
                    "at": "; ".join(scenario.at) if scenario else "",
                    "speed_kmh": cfg.walk_speed_kmh,
                    "max_snap_m": cfg.max_snap_m,
                    "search_limit_min": cfg.search_limit_min,
                    **{k: band[k] for k in COMPARISON_COLUMNS[7:-1]},
                    "new_sites": ";".join(sites),
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison as a short terminal table (shares in per cent)."""
    lines = [f"{'scenario':<20} {'km/h':>5} {'within':>8} {'communities':>12} {'population':>11}"]
    for r in table.itertuples():
        pop = "–" if pd.isna(r.population_share) else f"{100 * r.population_share:.1f} %"
        sites = f"  + {len(r.new_sites.split(';'))} new: {r.new_sites}" if r.new_sites else ""
        lines.append(
            f"{r.scenario:<20} {r.speed_kmh:>5g} {r.minutes:>4g} min "
            f"{100 * r.communities_share:>10.1f} % {pop:>11}{sites}"
        )
    return "\n".join(lines) + "\n"


def write_sweep_outputs(
    results: dict[str, CoverageResult],
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    sitings: dict[str, SitingResult] | None = None,
    lang: str = "en",
    scenarios: list[Scenario] | None = None,
) -> list[Path]:
    """Write ``<scenario>.csv`` per scenario and ``comparison.csv``, together or not at all.

    A siting scenario also gets ``<scenario>.proposals.csv`` (its proposed sites, as
    ``circle site`` writes proposals.csv).

    Parameters
    ----------
    results
        Scenario name → coverage result.
    out_dir
        Destination folder (created if missing).
    overwrite
        Replace existing files of the same names.
    sitings
        Scenario name → siting result, for the siting scenarios.
    lang
        {"en", "zh"} Under ``zh`` the CSV files carry a UTF-8 byte-order mark (for Excel).

    Returns
    -------
    list of Path
        The written files.
    """
    sitings = sitings or {}
    names = [f"{name}.csv" for name in results] + ["comparison.csv"]
    names += [f"{name}.proposals.csv" for name in sitings]

    def write(staging: Path) -> None:
        for name, result in results.items():
            table = coverage_table_for_output(result).drop(columns="geometry")
            write_csv(pd.DataFrame(table), staging / f"{name}.csv", lang=lang)
        for name, siting in sitings.items():
            proposals = proposals_for_output(siting)
            table = pd.DataFrame(proposals.drop(columns="geometry"))
            table["lon"], table["lat"] = proposals.geometry.x, proposals.geometry.y
            write_csv(table, staging / f"{name}.proposals.csv", lang=lang)
        write_csv(
            comparison_table(results, sitings, scenarios), staging / "comparison.csv", lang=lang
        )

    return write_result_folder(out_dir, [Files(names, write)], overwrite=overwrite)

