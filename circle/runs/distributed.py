"""Running coverage part by part on a Dask cluster: tasks, retries, progress, resumable work folder.

The driver (this process) holds the whole network once: it drops fragments and labels connected
pieces on the whole network, snaps every point, cuts one network per part with its halo
(`circle.partition`) and writes each cut into the work folder. A task reads only its part's cut
from that folder, so the folder must be a path every worker sees (the same local disk for a
LocalCluster; a shared file system for a multi-machine cluster). Results come back to the
driver, which writes each part's output atomically and records it in ``manifest.json``; a rerun
of the same job skips the parts whose outputs are complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .._extras import require
from .._progress import iterate
from ..config import CircleConfig
from ..coverage.core import CoverageResult, finish_coverage, prepare_coverage
from ..errors import CircleError, ConfigError, PartFailedError
from ..network.engine import NearestResult
from ..network.partition import (
    Part,
    PartPoints,
    area_parts,
    assign_to_parts,
    cut_network,
    halo_m,
    load_part_network,
    part_points,
    save_part_network,
    search_part,
    tile_parts,
)
from ..network.walk import WalkNetwork

__all__ = [
    "Partitioning",
    "dask_client",
    "run_coverage_parts",
    "run_partitioned_coverage",
]

logger = logging.getLogger(__name__)

#: bump when a task's output format or meaning changes, so old work folders are not reused
WORK_VERSION = 1
#: a task that raises is tried this many more times before the job fails
RETRIES = 2

Progress = Callable[[int, int, str], None]


def _import_distributed():
    return require("distributed", "dask", "partitioned runs and sweeps")


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None) -> Iterator[Any]:
    """A Dask client: connected to `scheduler`, or to a LocalCluster started (and stopped) here.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); None starts a LocalCluster of
        worker processes on this machine.
    n_workers
        Worker processes of the LocalCluster (default: one per core); ignored with `scheduler`.

    Yields
    ------
    distributed.Client
    """
    distributed = _import_distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except OSError as err:
            msg = f"cannot reach the Dask scheduler {scheduler} ({err}); is it running?"
            raise CircleError(msg) from err
        with client:
            yield client
        return
    with (
        distributed.LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@dataclass(frozen=True)
class Partitioning:
    """How to cut the study area: square tiles, or the areas of a layer (e.g. cities).

    Parameters
    ----------
    tile_m
        Tile side in metres.
    areas, column
        An areas layer (polygons) and the column naming each part; features sharing a value
        form one part.

    Notes
    -----
    Give either `tile_m` or `areas` with `column`; neither gives one part (the whole area).
    """

    tile_m: float | None = None
    areas: gpd.GeoDataFrame | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        if self.tile_m is not None and self.areas is not None:
            msg = "partition by tiles or by areas, not both"
            raise ConfigError(msg)
        if (self.areas is None) != (self.column is None):
            msg = "partitioning by areas needs both the areas layer and the column naming parts"
            raise ConfigError(msg)

    def parts(self, xy: np.ndarray, crs: str) -> list[Part]:
        """The parts covering communities at `xy` (network CRS)."""
        if self.areas is not None and self.column is not None:
            return area_parts(self.areas, self.column, crs=crs)
        if self.tile_m is not None:
            return tile_parts(xy, tile_m=self.tile_m)
        x0, y0 = np.min(xy, axis=0)
        x1, y1 = np.max(xy, axis=0)
        return [Part("all", shapely.box(x0, y0, x1, y1))]


@dataclass(frozen=True)
class _Task:
    key: str
    label: str
    scenario: str
    network_path: str
    points: PartPoints
    limit_m: float


def _task_key(label: str, network_path: Path, points: PartPoints, limit_m: float) -> str:
    h = hashlib.sha256(
        json.dumps([WORK_VERSION, label, network_path.name, points.digest(), limit_m]).encode()
    )
    return h.hexdigest()[:24]


def _run_task(network_path: str, points: PartPoints, limit_m: float):
    """What a worker runs: read the part's cut, search it (module level, so workers import it)."""
    return search_part(load_part_network(network_path), points, limit_m=limit_m)


class _Manifest:
    """``manifest.json``: which task outputs in the work folder are complete (with sha256)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "manifest.json"
        self.tasks: dict[str, dict] = self._read()

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return dict(data["tasks"]) if data.get("version") == WORK_VERSION else {}
        except (OSError, ValueError, KeyError, TypeError) as err:
            logger.warning("work folder: ignoring unreadable %s (%s)", self.path, err)
            return {}

    def output(self, key: str) -> Path:
        return self.folder / f"out-{key}.npz"

    def complete(self, key: str) -> bool:
        entry = self.tasks.get(key)
        if not entry:
            return False
        path = self.output(key)
        return path.exists() and _sha256(path) == entry["sha256"]

    def record(self, task: _Task, result: tuple[np.ndarray, ...]) -> None:
        path = self.output(task.key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        index, walk, centre = result
        with open(tmp, "wb") as f:
            np.savez(f, community_index=index, walk_m=walk, centre=centre)
        tmp.replace(path)
        self.tasks.update(self._read())  # keep what another job sharing the folder recorded
        self.tasks[task.key] = {
            "part": task.label,
            "network": Path(task.network_path).name,
            "output": path.name,
            "sha256": _sha256(path),
        }
        tmp = self.path.with_name(f".manifest.json.{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"version": WORK_VERSION, "tasks": self.tasks}, indent=1, sort_keys=True),
            encoding="utf-8",
        )
        tmp.replace(self.path)

    def load(self, key: str) -> tuple[np.ndarray, ...]:
        with np.load(self.output(key), allow_pickle=False) as z:
            return z["community_index"], z["walk_m"], z["centre"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _execute(
    tasks: list[_Task],
    manifest: _Manifest,
    client: Any,
    progress: Progress | None,
) -> None:
    """Run the tasks whose outputs are not complete yet; record each output as it arrives."""
    total = len(tasks)
    todo = [t for t in tasks if not manifest.complete(t.key)]
    done = total - len(todo)
    if done and progress:
        progress(done, total, f"{done} parts already complete in {manifest.folder}")
    if client is None:
        for t in iterate(todo, "parts", unit="parts"):
            try:
                result = _run_task(t.network_path, t.points, t.limit_m)
            except Exception as err:
                raise _failure(t, err, tries=1) from err
            manifest.record(t, result)
            done += 1
            if progress:
                progress(done, total, t.label)
        return
    distributed = _import_distributed()
    futures = {
        client.submit(
            _run_task,
            t.network_path,
            t.points,
            t.limit_m,
            key=f"circle-part-{t.key}",
            retries=RETRIES,
            pure=False,
        ): t
        for t in todo
    }
    try:
        for future in iterate(distributed.as_completed(futures), "parts", total=len(futures),
                              unit="parts"):
            t = futures[future]
            try:
                result = future.result()
            except Exception as err:
                raise _failure(t, err, tries=RETRIES + 1) from err
            manifest.record(t, result)
            done += 1
            if progress:
                progress(done, total, t.label)
    finally:
        client.cancel(list(futures))


def _failure(task: _Task, err: BaseException, *, tries: int) -> PartFailedError:
    """The error naming the failed part; its input is removed so a rerun writes it afresh."""
    Path(task.network_path).unlink(missing_ok=True)
    lines = str(err).strip().splitlines()
    reason = lines[0] if lines else ""
    msg = (
        f"part {task.label} failed after {tries} {'try' if tries == 1 else 'tries'}: "
        f"{type(err).__name__}: {reason} (input {Path(task.network_path).name}, removed); "
        "rerun the same command to run only the unfinished parts"
    )
    return PartFailedError(msg)


def _prepare_parts(
    network: WalkNetwork, xy: np.ndarray, partitioning: Partitioning, halo: float, folder: Path
) -> tuple[list[Part], list[tuple[Path, np.ndarray]], np.ndarray]:
    parts = partitioning.parts(xy, network.crs)
    part_of = assign_to_parts(xy, parts)
    used = sorted(set(part_of.tolist()))
    parts = [parts[i] for i in used]
    part_of = np.searchsorted(np.array(used), part_of)
    cuts = []
    for part in iterate(parts, "cutting the network into parts", unit="parts"):
        sub, edges = cut_network(network, part.cut_bounds(halo))
        cuts.append((save_part_network(sub, folder), edges))
    logger.info(
        "partition: %d parts with a %.0f m halo; %d to %d edges per part",
        len(parts),
        halo,
        min(e.size for _, e in cuts),
        max(e.size for _, e in cuts),
    )
    return parts, cuts, part_of


@contextlib.contextmanager
def _work_folder(work_dir: str | Path | None) -> Iterator[Path]:
    if work_dir is None:
        folder = Path(tempfile.mkdtemp(prefix="circle-parts-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    folder = Path(work_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{folder}: cannot create the work folder ({err.strerror})"
        raise CircleError(msg) from err
    yield folder


def run_coverage_parts(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    configs: dict[str, CircleConfig],
    partitioning: Partitioning,
    client: Any = None,
    work_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, CoverageResult]:
    """Coverage for several configurations (scenarios), one task per (part, scenario).

    Every part is cut once, with the widest halo any scenario needs; each scenario's result
    equals `circle.coverage_report` with that configuration, community by community.

    Parameters
    ----------
    communities, centres
        As for `circle.coverage_report`.
    network
        The whole walking network (fragments dropped on the whole network).
    configs
        Scenario name → run parameters.
    partitioning
        How to cut the study area into parts.
    client
        A ``distributed.Client`` (see `dask_client`); None runs the tasks one by one here.
    work_dir
        Folder for the parts' networks, outputs and ``manifest.json``, seen by every worker;
        a rerun with the same folder skips complete parts. None: a temporary folder.
    progress
        Called as ``progress(done, total, label)`` after each finished part.

    Returns
    -------
    dict
        Scenario name → `CoverageResult`.
    """
    if not configs:
        msg = "no scenarios to run"
        raise ConfigError(msg)
    started = time.perf_counter()
    prepared = {
        name: prepare_coverage(communities, centres, network, config=cfg)
        for name, cfg in configs.items()
    }
    first = next(iter(prepared.values()))
    xy = first.community_xy
    halo = max(halo_m(cfg, network.min_cost_ratio) for cfg in configs.values())
    with _work_folder(work_dir) as folder:
        parts, cuts, part_of = _prepare_parts(network, xy, partitioning, halo, folder)
        tasks = []
        for name, prep in prepared.items():
            limit = configs[name].search_limit_m
            for i, (part, (path, edges)) in enumerate(zip(parts, cuts, strict=True)):
                points = part_points(edges, prep.centre_snap, prep.community_snap, part_of, i)
                if not points.own.any():  # its communities are all off the network
                    continue
                label = part.name if len(configs) == 1 else f"{part.name} / scenario {name}"
                key = _task_key(label, path, points, limit)
                tasks.append(_Task(key, label, name, str(path), points, limit))
        manifest = _Manifest(folder)
        cut = time.perf_counter()
        _execute(tasks, manifest, client, progress)
        ran = time.perf_counter()
        results = {}
        n = len(first.communities)
        for name, prep in prepared.items():
            walk = np.full(n, np.inf)
            centre = np.full(n, -1, np.int64)
            filled = np.zeros(n, np.int64)
            for t in tasks:
                if t.scenario == name:
                    index, w, c = manifest.load(t.key)
                    walk[index], centre[index] = w, c
                    filled[index] += 1
            expected = prep.community_snap.on_network.astype(np.int64)
            if not np.array_equal(filled, expected):  # every community from exactly one part
                msg = "partitioned run: a community was searched by no part or by two parts"
                raise AssertionError(msg)
            results[name] = finish_coverage(
                prep, NearestResult(walk, centre), network, config=configs[name]
            )
            results[name].sources["partition"] = {
                "parts": len(parts),
                "halo_m": halo,
                "tile_m": partitioning.tile_m,
                "area_column": partitioning.column,
            }
    logger.info(
        "partition: %d tasks; %.1f s to snap and cut, %.1f s to run, %.1f s to merge",
        len(tasks),
        cut - started,
        ran - cut,
        time.perf_counter() - ran,
    )
    return results


def run_partitioned_coverage(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    config: CircleConfig,
    partitioning: Partitioning,
    client: Any = None,
    work_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> CoverageResult:
    """`circle.coverage_report`, computed part by part (on a Dask cluster when given a client).

    Parameters
    ----------
    communities, centres, network, config
        As for `circle.coverage_report`.
    partitioning, client, work_dir, progress
        As for `run_coverage_parts`.

    Returns
    -------
    CoverageResult
        Equal to the single-process result for every community (same walk metres to the
        last bit, same nearest centre, same status); ``sources["partition"]`` tells the parts.
    """
    return run_coverage_parts(
        communities,
        centres,
        network,
        configs={"coverage": config},
        partitioning=partitioning,
        client=client,
        work_dir=work_dir,
        progress=progress,
    )["coverage"]
