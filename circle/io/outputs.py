"""Writing results: atomic result folders and layer files (GeoJSON, GeoPackage)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd

from ..errors import OutputError

__all__ = [
    "atomic_output_dir",
    "geojson_options",
    "write_geojson",
    "write_layer_file",
    "write_layer_geojson",
    "write_layers_geopackage",
]

logger = logging.getLogger(__name__)


#: testing hook (not for production use): seconds to pause once every output file is staged and
#: before any is moved into place, so the interruption tests can signal a run at that moment
PAUSE_BEFORE_RENAME_ENV = "CIRCLE_TEST_PAUSE_BEFORE_RENAME"


@contextlib.contextmanager
def atomic_output_dir(out_dir: str | Path, names: list[str], *, overwrite: bool) -> Iterator[Path]:
    """Write output files into a staging folder, then move them into `out_dir` together.

    Nothing appears in `out_dir` unless the whole block succeeds; files already there are
    replaced only with `overwrite`, and files circle did not write are never touched. Each file
    is flushed to disk and then renamed over its target, so a reader sees the old file or the
    new one, never a truncated one. In the main thread, SIGTERM and SIGHUP unwind the block like
    Ctrl-C (SIGINT) does, so an interrupted run removes its staging folder; the renames at the
    end are shielded from those signals, which take effect once the files are in place. Output
    folders the block created are removed again when it fails.

    Parameters
    ----------
    out_dir
        Destination folder (created if missing).
    names
        The file names the block will write.
    overwrite
        Replace existing files of those names.

    Yields
    ------
    staging
        The folder to write into.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"{out_dir}: exists and is not a folder; give a folder for --out"
        raise OutputError(msg)
    _check_clashes(out_dir, names, overwrite)
    with _unwind_on_termination():
        created: list[Path] = []  # folders this block makes, deepest first
        committed = False
        staging = None
        try:
            with _signals_deferred():  # a signal here would leave a folder nobody removes
                created = [p for p in (out_dir, *out_dir.parents) if not p.exists()]
                try:
                    out_dir.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    msg = f"{out_dir}: cannot create the output folder ({err.strerror})"
                    raise OutputError(msg) from err
                staging = Path(tempfile.mkdtemp(prefix=".circle-", dir=out_dir))
            yield staging
            for name in names:
                _fsync(staging / name)
            pause = os.environ.get(PAUSE_BEFORE_RENAME_ENV)
            if pause:
                logger.warning(
                    "testing hook %s: pausing %s s before moving files into place",
                    PAUSE_BEFORE_RENAME_ENV,
                    pause,
                )
                # short naps: a signal delivered to another thread must not wait out the pause
                deadline = time.monotonic() + float(pause)
                while time.monotonic() < deadline:
                    time.sleep(0.05)
            with _signals_deferred():
                _check_clashes(out_dir, names, overwrite)  # a file may have appeared meanwhile
                try:
                    for name in names:
                        os.replace(staging / name, out_dir / name)
                except OSError as err:
                    msg = f"{out_dir}: cannot move {name} into place ({err.strerror})"
                    raise OutputError(msg) from err
                committed = True
                _fsync(out_dir)
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            for folder in created if not committed else []:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty: never removes a file


def _check_clashes(out_dir: Path, names: list[str], overwrite: bool) -> None:
    clash = [n for n in names if os.path.lexists(out_dir / n)]
    if clash and not overwrite:
        msg = f"{out_dir}: {', '.join(clash)} already exist; pass --overwrite to replace them"
        raise OutputError(msg)
    folders = [n for n in clash if (out_dir / n).is_dir()]
    if folders:
        msg = f"{out_dir}: {', '.join(folders)} is a folder; circle replaces only files"
        raise OutputError(msg)


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() and hasattr(os, "O_DIRECTORY") else 0)
    with contextlib.suppress(OSError):  # e.g. folders on Windows; the rename still happens
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_TERMINATION_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_system_exit(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _unwind_on_termination() -> Iterator[None]:
    """SIGTERM/SIGHUP raise SystemExit(128 + signal) instead of killing the process outright,
    so `finally` blocks run. Only where the default action is in force, in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in _TERMINATION_SIGNALS:
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, _raise_system_exit)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP while the block runs; deliver them when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: received.append(signum))
        for sig in (signal.SIGINT, *_TERMINATION_SIGNALS)
        # None: set outside Python and not restorable; SIG_IGN: nothing to defer
        if signal.getsignal(sig) not in (None, signal.SIG_IGN)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(received):
            signal.raise_signal(sig)


def geojson_options(precision: int = 7) -> dict[str, object]:
    """GDAL's GeoJSON layer options for RFC 7946 files: WGS84, counter-clockwise outer rings
    (clockwise holes), no ``crs`` member, `precision` decimals, no bounding boxes."""
    return {"RFC7946": "YES", "COORDINATE_PRECISION": precision, "WRITE_BBOX": "NO"}


def write_geojson(table: gpd.GeoDataFrame, path: str | Path, precision: int = 7, **kw) -> None:
    """Write `table` to `path` as RFC 7946 GeoJSON (every GeoJSON circle writes goes through here).

    Parameters
    ----------
    table
        Any GeoDataFrame with a CRS (reprojected to WGS84).
    path
        The file to write (not atomic: see `write_layer_geojson`).
    precision
        Decimals of the coordinates (7: about 1 cm).
    **kw
        Passed to `GeoDataFrame.to_file` (``layer=`` names the collection).
    """
    table.to_file(
        path, driver="GeoJSON", engine="pyogrio", layer_options=geojson_options(precision), **kw
    )


def write_layer_geojson(layer: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a layer as GeoJSON in WGS84, atomically, with 7-decimal coordinates.

    Parameters
    ----------
    layer
        Any GeoDataFrame with a CRS.
    path
        Target file; replaced when it exists.

    Returns
    -------
    Path
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_geojson(layer.to_crs("EPSG:4326"), tmp, layer=path.stem)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


#: output formats of `write_layer_file`, by suffix
OUTPUT_SUFFIXES = (".geojson", ".gpkg")


def write_layer_file(layer: gpd.GeoDataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a layer as GeoJSON (WGS84) or GeoPackage (in the layer's own CRS), atomically.

    Parameters
    ----------
    layer
        Any GeoDataFrame with a CRS.
    path
        Target file, ``.geojson`` or ``.gpkg`` (the layer inside is named after the file).
    overwrite
        Replace the file when it exists.

    Returns
    -------
    Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        msg = f"{path}: unknown output format {suffix!r}; use .geojson or .gpkg"
        raise OutputError(msg)
    with atomic_output_dir(path.parent, [path.name], overwrite=overwrite) as staging:
        target = staging / path.name
        if suffix == ".geojson":
            write_layer_geojson(layer, target)
        else:
            layer.to_file(target, layer=path.stem, driver="GPKG", engine="pyogrio")
    return path


def write_layers_geopackage(
    layers: dict[str, gpd.GeoDataFrame], path: str | Path, *, overwrite: bool = False
) -> Path:
    """Write several layers into one GeoPackage (WGS84), atomically.

    The file appears complete or not at all; an existing file is replaced only with
    `overwrite`. Empty layers are written with their columns, as point layers.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame with a CRS.
    path
        Target ``.gpkg`` file.
    overwrite
        Replace the file if it exists.

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        msg = f"{path}: the output must be a GeoPackage file ending in .gpkg"
        raise OutputError(msg)
    with atomic_output_dir(path.parent, [path.name], overwrite=overwrite) as staging:
        for name, layer in layers.items():
            layer.to_crs("EPSG:4326").to_file(
                staging / path.name,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type=None if len(layer) else "Point",
            )
    return path
