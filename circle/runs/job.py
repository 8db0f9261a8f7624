"""Coverage runs from files, their manifest, and reruns that prove a report reproduces exactly.

A `CoverageJob` holds everything a ``circle coverage`` run depends on besides the bytes of its
input files. `run_job` reads the inputs and computes; `write_job_outputs` writes the result
files and ``manifest.json``: the job, every input file with its sha256, the versions of circle,
Python and the libraries, the network's newest edit, and every output file's sha256. `rerun`
runs a manifest's job again, refusing inputs whose bytes changed, and checks that every output
is byte-identical.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import platform
import shutil
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._extras import DISTRIBUTION
from ..config import DEFAULT_CONFIG, CircleConfig, parse_profiles
from ..coverage.capacity import CapacityOptions, with_capacity
from ..coverage.core import CoverageResult, coverage_report
from ..coverage.hours import HoursOptions, centre_hours
from ..coverage.rural import coverage_by_mode, hours_section, open_centres, with_rural_columns
from ..errors import ConfigError, InputDataError, ReproducibilityError
from ..io.columns import LayerColumns
from ..io.db import is_db_url, mask_url, untrusted_sources
from ..network.load import file_sha256, load_network
from ..network.slope import for_profile
from ..network.walk import WalkNetwork
from ..report.compare import PROFILE_FILES, profile_table, write_profile_files
from ..report.coverage import coverage_file_names, write_coverage_files
from .inputs import Stage, load_layers, read_inputs
from .manifest import (
    MANIFEST_VERSION,
    database_inputs,
    printable,
    read_manifest,
)
from .outputs import MANIFEST_NAME, Files, text_files, write_result_folder

__all__ = [
    "MANIFEST_NAME",
    "CoverageJob",
    "JobOutcome",
    "RerunReport",
    "compute_coverage",
    "coverage_files",
    "load_layers",
    "rerun",
    "run_job",
    "write_job_outputs",
]

logger = logging.getLogger(__name__)

#: libraries whose versions can change the numbers or the bytes of the outputs
_LIBRARIES = (
    "numpy",
    "scipy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "osmium",
    "networkx",
)


@dataclass(frozen=True)
class CoverageJob:
    """Everything a coverage run depends on, besides the bytes of its input files.

    Parameters
    ----------
    network
        Street network file (.osm, .osm.pbf, ... or .graphml).
    centres, communities
        Layer files; ``None`` derives the layer from the network's OSM tags.
    add_centres
        More centres run with `centres`, e.g. the proposals.csv of ``circle site`` or the
        what-if map's exported selection (WGS84; ids must differ from the centres' ids).
    gates
        ``"auto"`` (the network's OSM gates when the communities are derived from it, else
        none), ``"none"``, ``"osm"`` (the network's OSM gate and entrance nodes) or a layer file.
    columns
        Column names of the layers.
    layer_crs
        CRS of layers that declare none.
    config
        Run parameters.
    group_columns
        Key-group count columns; ``None`` finds the documented names.
    profiles
        Walking profiles for the side-by-side table (``()``: no table).
    datum, centres_datum, communities_datum
        Map datum of the layer files (`circle.io.DATUMS`): `datum` for every file, the other
        two for one file each (``None``: `datum`).
    centres_layer, communities_layer
        GeoPackage layer or Excel sheet of each file (``None``: named after it, or the only one).
    presets
        TOML/JSON file of OSM tag presets (`circle.extract.presets_from_file`).
    population_raster
        Population raster summed over communities without a population figure.
    population_from_osm
        Estimate missing populations from the OSM buildings of the network's OSM file.
    by, areas, areas_name_column, areas_layer
        Roll-up: a communities column, or an area polygon file with its name column and layer.
    place, bbox
        Download the network and tags (`circle.online.fetch_osm`) instead of reading
        `network`.
    capacity
        Capacity and equity measures (`circle.coverage.capacity.CapacityOptions`; ``None``:
        none, and the manifest holds no ``capacity`` key).
    mode_column
        Communities column naming each community's travel mode (`circle.coverage.rural`;
        ``None``: every community travels by ``config.mode``).
    hours
        Count only the centres open at given times, and coverage hour by hour
        (`circle.coverage.hours.HoursOptions`; ``None``: every centre, at all hours).
    """

    network: str
    centres: str | None = None
    communities: str | None = None
    add_centres: str | None = None
    gates: str = "auto"
    columns: LayerColumns = LayerColumns()  # noqa: RUF009 (frozen, so one shared default is safe)
    layer_crs: str | None = None
    config: CircleConfig = DEFAULT_CONFIG
    group_columns: tuple[str, ...] | None = None
    profiles: tuple[str, ...] = ()
    datum: str = "wgs84"
    centres_datum: str | None = None
    communities_datum: str | None = None
    centres_layer: str | None = None
    communities_layer: str | None = None
    presets: str | None = None
    population_raster: str | None = None
    population_from_osm: bool = False
    by: str | None = None
    areas: str | None = None
    areas_name_column: str = "name"
    areas_layer: str | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    capacity: CapacityOptions | None = None
    mode_column: str | None = None
    hours: HoursOptions | None = None

    def as_dict(self) -> dict:
        """The job as JSON-ready values (`from_dict` reads it back)."""
        return {  # database passwords never reach a manifest
            "network": _masked(self.network),
            "centres": _masked(self.centres),
            "communities": _masked(self.communities),
            "gates": self.gates,
            "columns": dataclasses.asdict(self.columns),
            "layer_crs": self.layer_crs,
            "config": self.config.as_dict(),
            "group_columns": None if self.group_columns is None else list(self.group_columns),
            "profiles": list(self.profiles),
            **{name: getattr(self, name) for name in _INPUT_OPTIONS},
            "bbox": None if self.bbox is None else list(self.bbox),
            **({} if self.capacity is None else {"capacity": self.capacity.as_dict()}),
            **({} if self.mode_column is None else {"mode_column": self.mode_column}),
            **({} if self.hours is None else {"hours": self.hours.as_dict()}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> CoverageJob:
        """A job from `as_dict` output."""
        names = {f.name for f in dataclasses.fields(CircleConfig)}
        cfg = {k: v for k, v in data["config"].items() if k in names}
        cfg["thresholds_min"] = tuple(cfg["thresholds_min"])
        groups = data.get("group_columns")
        return cls(
            network=data["network"],
            centres=data.get("centres"),
            communities=data.get("communities"),
            gates=data.get("gates", "auto"),
            columns=LayerColumns(**data["columns"]),
            layer_crs=data.get("layer_crs"),
            config=CircleConfig(**cfg),
            group_columns=None if groups is None else tuple(groups),
            profiles=tuple(data.get("profiles") or ()),
            **{name: data[name] for name in _INPUT_OPTIONS if name in data},
            bbox=None if data.get("bbox") is None else tuple(data["bbox"]),
            capacity=CapacityOptions(**data["capacity"]) if data.get("capacity") else None,
            mode_column=data.get("mode_column"),
            hours=HoursOptions.from_dict(data["hours"]) if data.get("hours") else None,
        )


#: CoverageJob fields of issue 7 (input formats, datums, population, roll-ups, downloads)
_INPUT_OPTIONS = (
    "add_centres",
    "datum",
    "centres_datum",
    "communities_datum",
    "centres_layer",
    "communities_layer",
    "presets",
    "population_raster",
    "population_from_osm",
    "by",
    "areas",
    "areas_name_column",
    "areas_layer",
    "place",
)


@dataclass(frozen=True)
class JobOutcome:
    """What a job computed.

    Attributes
    ----------
    result
        The coverage result.
    profiles
        The profile table (`circle.scenarios.profile_table`), or ``None``.
    inputs
        The files read, by role (network, centres, communities, gates).
    network, centres, communities
        The walking network and the layers as read (the what-if map reuses them).
    """

    result: CoverageResult
    profiles: pd.DataFrame | None
    inputs: dict[str, Path | str]
    network: WalkNetwork
    centres: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame | None = None


def _masked(value: str | None) -> str | None:
    return mask_url(value) if value is not None and is_db_url(value) else value


def compute_coverage(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
    gates: gpd.GeoDataFrame | None = None,
    groups: tuple[str, ...] | None = None,
    profiles: tuple[str, ...] = (),
    stage: Stage | None = None,
    coverage: Callable[..., CoverageResult] | None = None,
    capacity: CapacityOptions | None = None,
    mode_column: str | None = None,
    network_for: Callable[[str], WalkNetwork] | None = None,
    hours: HoursOptions | None = None,
) -> tuple[CoverageResult, pd.DataFrame | None]:
    """The coverage of a study area (and its table of walking profiles), as `circle coverage`.

    Parameters
    ----------
    communities, centres, network, config, gates, groups
        As for `circle.coverage.coverage_report`.
    profiles
        Walking profile names for the side-by-side table (`circle.config.PROFILES`; ``()``:
        none).
    stage
        A context-manager factory called with a description of each step (progress messages).
    coverage
        The coverage computation (default `circle.coverage.coverage_report`; a partitioned run
        passes its own, with the same signature).
    capacity
        Capacity and equity measures (``None``: none).
    mode_column, network_for
        Communities column naming each one's travel mode, and the network of a mode
        (`circle.coverage.rural.coverage_by_mode`; default: `network` for every mode).
    hours
        Count only the centres open at ``hours.at``; coverage at each time (``None``: all).

    Returns
    -------
    result, profiles
        The coverage, and the profile table (`circle.report.compare.profile_table`) or None.
    """
    stage = stage or (lambda text: nullcontext())
    walks = parse_profiles(",".join(profiles)) if profiles else ()
    network = for_profile(network, config.walk_profile)  # as read_inputs does: for the API
    run = coverage or coverage_report

    def cover(cents: gpd.GeoDataFrame) -> CoverageResult:
        if mode_column is None:
            return run(communities, cents, network, config=config, gates=gates, groups=groups)
        return coverage_by_mode(
            communities, cents, network_for or (lambda mode: network), config=config,
            column=mode_column, coverage=run, gates=gates, groups=groups,
        )

    all_centres = centres
    if hours is not None:
        parsed = centre_hours(centres, hours)
        centres, hours_info = open_centres(centres, hours, parsed)
        if centres.empty:
            msg = f"no centre is open at {' and '.join(hours.at)}; give other --at times"
            raise ConfigError(msg)
    with stage("walking to the nearest centre"):
        result = cover(centres)
    if hours is not None:
        with stage("coverage at each time of day"):
            rows = hours_section(communities, all_centres, hours, cover, parsed)
        result = dataclasses.replace(result, hours={**hours_info, "by_time": rows})
    result = with_rural_columns(result)
    if capacity is not None:
        with stage("capacity per resident and 2SFCA scores"):
            result = with_capacity(result, centres, network, capacity, communities)
    table = None
    if walks:
        with stage(f"walking at {len(walks)} profiles' speeds"):
            table = profile_table(
                communities, centres, network, profiles=walks, config=config, gates=gates,
                groups=groups,
            )
    return result, table


def run_job(
    job: CoverageJob,
    *,
    stage: Stage | None = None,
    coverage: Callable[..., CoverageResult] | None = None,
) -> JobOutcome:
    """Read a job's inputs (`circle.runs.inputs.read_inputs`) and compute its coverage and
    profile table (`compute_coverage`).

    Parameters
    ----------
    job
        The run.
    stage
        A context-manager factory called with a description of each step (progress messages).
    coverage
        As for `compute_coverage`.

    Returns
    -------
    JobOutcome
    """
    if job.profiles:
        parse_profiles(",".join(job.profiles))  # a bad name fails before any reading
    inputs = read_inputs(job, stage=stage)

    def network_for(mode: str) -> WalkNetwork:
        if mode == job.config.mode:
            return inputs.network
        return load_network(
            inputs.files["network"], min_component_m=job.config.min_component_m, mode=mode
        )

    result, table = compute_coverage(
        inputs.communities, inputs.centres, inputs.network, config=job.config,
        gates=inputs.gates, groups=job.group_columns, profiles=job.profiles, stage=stage,
        coverage=coverage, capacity=job.capacity, mode_column=job.mode_column,
        network_for=network_for, hours=job.hours,
    )
    centres = inputs.centres
    if result.hours is not None:  # the centres counted (the what-if map starts from them)
        centres = centres.loc[~centres["id"].astype(str).isin(result.hours["closed"])]
    return JobOutcome(
        result=result, profiles=table, inputs=inputs.files, network=inputs.network,
        centres=centres, communities=inputs.communities,
    )


def coverage_files(
    result: CoverageResult,
    profiles: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    csv_header: str = "en",
) -> list[Files]:
    """coverage.csv, coverage.geojson, summary.md, summary.json (areas.csv with a roll-up) and,
    with a profile table, profiles.csv/.md/.json (`lang`: the Markdown files' language)."""
    parts = [
        Files(
            coverage_file_names(result),
            lambda d: write_coverage_files(result, d, lang=lang, csv_header=csv_header),
        ),
    ]
    if profiles is not None:
        parts.append(Files(PROFILE_FILES, lambda d: write_profile_files(profiles, d, lang=lang)))
    return parts


def input_sha256(path: Path) -> str:
    """sha256 of an input file; a shapefile's digest also covers its .shx, .dbf, .prj and .cpg."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return file_sha256(path)
    parts = sorted(
        p
        for p in path.parent.glob(f"{path.stem}.*")
        if p.suffix.lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")
    )
    h = hashlib.sha256()
    for p in parts:
        h.update(f"{p.suffix.lower()}:{file_sha256(p)}\n".encode())
    return h.hexdigest()


def _versions() -> dict:
    import pyogrio
    import pyproj
    import shapely

    def v(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "circle": v(DISTRIBUTION),
        "python": platform.python_version(),
        **{name: v(name) for name in _LIBRARIES},
        "gdal": pyogrio.__gdal_version_string__,
        "geos": shapely.geos_version_string,
        "proj": pyproj.proj_version_str,
    }


def write_job_outputs(
    job: CoverageJob,
    outcome: JobOutcome,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    extra_files: dict[str, str] | None = None,
    lang: str = "en",
    csv_header: str = "en",
) -> list[Path]:
    """Write the result files, the bureau's files (report.xlsx, report.pdf, coverage.gpkg:
    `circle.runs.reports`) and ``manifest.json`` into `out_dir`, together or not at all.

    Parameters
    ----------
    job, outcome
        The job and what `run_job` computed.
    out_dir
        Destination folder (created if missing).
    overwrite
        Replace existing files of the same names.
    extra_files
        More files written together with them, name -> UTF-8 text (e.g. ``map.html``); they are
        not part of the manifest's checked outputs (a rerun does not redraw them).
    lang, csv_header
        Language of summary.md and of coverage.csv's header (see `write_coverage_files`);
        recorded in the manifest, so a rerun writes the same bytes.

    Returns
    -------
    list of Path
        The written files, the manifest last.
    """
    from .reports import coverage_report_files

    result = outcome.result
    parts = coverage_files(result, outcome.profiles, lang=lang, csv_header=csv_header)
    parts.append(coverage_report_files(result, outcome.network, outcome.centres, lang=lang))
    checked = [name for part in parts for name in part.names]
    parts.append(text_files(extra_files or {}))

    def manifest(staging: Path) -> dict:
        return {
            "circle_manifest": MANIFEST_VERSION,
            "command": "coverage",
            "job": job.as_dict(),
            "inputs": {role: _input_record(role, path, outcome)
                       for role, path in outcome.inputs.items()},
            "network": {
                k: result.sources["network"].get(k) for k in ("file", "sha256", "newest_way_edit")
            },
            "versions": _versions(),
            "presentation": {"lang": lang, "csv_header": csv_header},
            "outputs": {name: file_sha256(staging / name) for name in checked},
            "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    return write_result_folder(out_dir, parts, overwrite=overwrite, manifest=manifest)


def _input_record(role: str, path: Path | str, outcome: JobOutcome) -> dict:
    if is_db_url(path):  # a database table has no file bytes to hash; the outputs are still checked
        return {"path": mask_url(str(path)), "sha256": None}
    # the network's digest was taken when it was loaded; do not read a large file twice
    known = outcome.result.sources["network"].get("sha256") if role == "network" else None
    return {"path": str(Path(path).resolve()), "sha256": known or input_sha256(Path(path))}


@dataclass(frozen=True)
class RerunReport:
    """A rerun that reproduced its manifest.

    Attributes
    ----------
    manifest
        The manifest file.
    outputs
        The output files checked (all byte-identical).
    out_dir
        Where the rerun wrote its files, ``None`` when they went to a removed temporary folder.
    """

    manifest: Path
    outputs: list[str]
    out_dir: Path | None


def rerun(
    manifest_path: str | Path,
    *,
    out_dir: str | Path | None = None,
    overwrite: bool = False,
    allow_queries: bool = False,
    notice: Callable[[str], None] | None = None,
) -> RerunReport:
    """Run a manifest's job again and check every output is byte-identical.

    The manifest is untrusted input: it is checked against what circle writes before anything
    runs (`circle.runs.manifest.read_manifest`).

    Parameters
    ----------
    manifest_path
        A ``manifest.json`` (or the folder holding it).
    out_dir
        Keep the rerun's files here; by default they go to a temporary folder, removed after
        the check.
    overwrite
        Replace files in `out_dir`.
    allow_queries
        Run the SQL queries the manifest holds (each one read-only statement in a read-only
        transaction); without it a manifest with a query is refused.
    notice
        Called with one line per database input before it is read (the CLI prints them).

    Returns
    -------
    RerunReport
        Raises `InputDataError` when the manifest is malformed or an input file is missing or
        its sha256 changed (nothing is run), and `ReproducibilityError` naming every output
        that differs.
    """
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    where = printable(manifest_path)
    _check_input_files(manifest, where)
    data = dict(manifest["job"])
    for line in database_inputs(data, allow_queries=allow_queries, where=where):
        (notice or logger.info)(
            f"the manifest reads {line}; with your own credentials for that host"
        )
    try:
        job = CoverageJob.from_dict(data)
    except (ValueError, TypeError) as err:  # checked already; a last guard
        msg = f"{where}: the job cannot be read ({printable(err)})"
        raise InputDataError(msg) from err
    with untrusted_sources():
        outcome = run_job(job)
    target = (
        Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="circle-rerun-"))
    )
    try:
        write_job_outputs(
            job, outcome, target, overwrite=overwrite or out_dir is None,
            **manifest.get("presentation", {}),
        )
        differing = []
        for name, digest in manifest["outputs"].items():
            got = file_sha256(target / name) if (target / name).exists() else "missing"
            if got != digest:
                differing.append(f"{name} (sha256 {digest[:12]}… in the manifest, {got[:12]}… now)")
    finally:
        if out_dir is None:
            shutil.rmtree(target, ignore_errors=True)
    if differing:
        then, current = manifest.get("versions", {}), _versions()
        changed = [f"{k} {then.get(k)} → {v}" for k, v in current.items() if then.get(k) != v]
        hint = f"; versions differ: {', '.join(changed)}" if changed else ""
        msg = f"{where}: the rerun differs in {'; '.join(differing)}{printable(hint, 400)}"
        raise ReproducibilityError(msg)
    return RerunReport(
        manifest=manifest_path,
        outputs=list(manifest["outputs"]),
        out_dir=Path(out_dir) if out_dir is not None else None,
    )


def _check_input_files(manifest: dict, where: str) -> None:
    """Every input file exists with the bytes the manifest records (nothing runs otherwise)."""
    for role, rec in manifest["inputs"].items():
        if rec["sha256"] is None:  # a database source: no file bytes to hash
            continue
        path = Path(rec["path"])
        shown = printable(path)
        try:
            now = input_sha256(path)
        except FileNotFoundError:
            msg = f"{where}: the {role} input {shown} is missing; the run cannot be reproduced"
            raise InputDataError(msg) from None
        except OSError as err:
            msg = f"{where}: cannot read the {role} input {shown} ({err.strerror})"
            raise InputDataError(msg) from None
        if now != rec["sha256"]:
            msg = (
                f"{shown}: changed since the manifest was written (sha256 {rec['sha256'][:12]}… "
                f"then, {now[:12]}… now); the {role} input must be the same bytes to reproduce "
                "the run — restore it, or run `circle coverage` afresh"
            )
            raise InputDataError(msg)
