"""Writing results: atomic result folders and layer files (GeoJSON, GeoPackage)."""

from __future__ import annotations

import contextlib
import json
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


#: testing hook (not for production use): make the Nth rename that moves a file into place
#: fail (1 = the first), as a file held open by another program does on Windows
FAIL_RENAME_ENV = "CIRCLE_TEST_FAIL_RENAME"
#: testing hook (not for production use): after N files are moved into place, pause 600 s (so
#: a test can SIGKILL the run in the middle of its commit)
PAUSE_MID_COMMIT_ENV = "CIRCLE_TEST_PAUSE_MID_COMMIT"
#: seconds a run waits for another run writing the same folder before giving up (default 300)
LOCK_WAIT_ENV = "CIRCLE_LOCK_WAIT_S"
#: prefix of staging folders inside the output folder
STAGING_PREFIX = ".circle-"
#: inside a staging folder: the commit journal and the links to the files being replaced
_JOURNAL = ".circle-commit.json"
_PREVIOUS = ".circle-previous"


@contextlib.contextmanager
def atomic_output_dir(out_dir: str | Path, names: list[str], *, overwrite: bool) -> Iterator[Path]:
    """Write output files into a staging folder, then move them into `out_dir` as one unit.

    Nothing appears in `out_dir` unless the whole block succeeds; files already there are
    replaced only with `overwrite`, and files circle did not write are never touched (which is
    why the files, not the folder, are swapped). The commit is journalled: before the first
    file moves, the files it replaces are hard-linked into the staging folder and a journal is
    flushed to disk; if a move fails (a file held open by another program), the moved files are
    put back, so the folder holds the previous run, whole. A run killed during the moves
    (SIGKILL, power loss) leaves the journal behind, and the next run writing the folder rolls
    the half-moved files back and reports it; staging folders of runs killed earlier are removed
    and reported the same way. A lock on the folder (flock) keeps two runs from committing
    into it at once: the second waits (``CIRCLE_LOCK_WAIT_S`` seconds, default 300), then
    fails with one line.

    In the main thread, SIGTERM and SIGHUP unwind the block like Ctrl-C (SIGINT) does, so an
    interrupted run removes its staging folder; the commit is shielded from those signals,
    which take effect once the files are in place. Output folders the block created are removed
    again when it fails. An OSError while writing (a full disk, a name too long) becomes one
    `OutputError`.

    Parameters
    ----------
    out_dir
        Destination folder (created if missing).
    names
        The file names the block will write (plain names, no folders).
    overwrite
        Replace existing files of those names.

    Yields
    ------
    staging
        The folder to write into.
    """
    out_dir = Path(out_dir)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            msg = f"{out_dir}: exists and is not a folder; give a folder for --out"
            raise OutputError(msg)
    except OSError as err:  # a name too long, a loop of links, ...
        msg = f"{out_dir}: cannot use this output folder ({_reason(err)}); choose another --out"
        raise OutputError(msg) from err
    _check_names(out_dir, names)
    _check_clashes(out_dir, names, overwrite)
    with _unwind_on_termination():
        created: list[Path] = []  # folders this block makes, deepest first
        committed = False
        staging = None
        lock = None
        try:
            with _signals_deferred():  # a signal here would leave a folder nobody removes
                created = [p for p in (out_dir, *out_dir.parents) if not p.exists()]
                _make_folder(out_dir)
            lock = _lock(out_dir)
            with _signals_deferred():
                _recover(out_dir)
                staging = _make_staging(out_dir)
            try:
                yield staging
                for name in names:
                    _fsync(staging / name)
            except OSError as err:  # a full disk, a name too long, ...
                msg = f"{out_dir}: cannot write the outputs ({_reason(err)}); nothing was changed"
                raise OutputError(msg) from err
            _pause_for_tests()
            with _signals_deferred():
                _check_clashes(out_dir, names, overwrite)  # a file may have appeared meanwhile
                _commit(staging, out_dir, names)
                committed = True
                _fsync(out_dir)
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if lock is not None:
                os.close(lock)  # releases the flock
            for folder in created if not committed else []:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty: never removes a file


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _check_names(out_dir: Path, names: list[str]) -> None:
    bad = [n for n in names if not n or Path(n).name != n or n in (".", "..")]
    if bad or any(n.startswith(STAGING_PREFIX) for n in names):
        msg = f"{out_dir}: output names must be plain file names, got {(bad or names)[0]!r}"
        raise OutputError(msg)


def _make_folder(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{out_dir}: cannot create the output folder ({_reason(err)}); choose another --out"
        raise OutputError(msg) from err


def _make_staging(out_dir: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as err:
        msg = (
            f"{out_dir}: cannot write in the output folder ({_reason(err)}); make it writable "
            "or choose another --out"
        )
        raise OutputError(msg) from err


def _lock(out_dir: Path) -> int | None:
    """Hold an exclusive flock on the folder (waiting for another run); None without flock."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks on folders; the journal still applies
        return None
    fd = os.open(out_dir, os.O_RDONLY)
    wait = float(os.environ.get(LOCK_WAIT_ENV) or 300)
    deadline = time.monotonic() + wait
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    msg = (
                        f"{out_dir}: another circle run is still writing to this folder after "
                        f"{wait:g} s; wait for it to finish or choose another --out"
                    )
                    raise OutputError(msg) from None
                if not told:
                    logger.warning("%s: another circle run is writing here; waiting", out_dir)
                    told = True
                time.sleep(0.05)
    except BaseException:
        os.close(fd)
        raise


def _pause_for_tests() -> None:
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


def _pause_mid_commit(moved: int) -> None:
    """Testing hook: ``CIRCLE_TEST_PAUSE_MID_COMMIT=N`` sleeps (SIGKILL time) after N moves."""
    if os.environ.get(PAUSE_MID_COMMIT_ENV) == str(moved):
        logger.warning("testing hook %s: %d files moved, pausing", PAUSE_MID_COMMIT_ENV, moved)
        time.sleep(600)


def _commit(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Move the staged files into place, all of them or (after a failure) none."""
    previous = staging / _PREVIOUS
    previous.mkdir()
    existed = []
    try:
        for name in names:
            if os.path.lexists(out_dir / name):
                _keep(out_dir / name, previous / name)
                existed.append(name)
        journal = staging / _JOURNAL
        journal.write_text(json.dumps({"names": names, "existed": existed}), encoding="utf-8")
        _fsync(journal)
        _fsync(previous)
        _fsync(staging)
    except OSError as err:
        msg = f"{out_dir}: cannot prepare the outputs ({_reason(err)}); nothing was changed"
        raise OutputError(msg) from err
    fail_at = int(os.environ.get(FAIL_RENAME_ENV) or 0)
    name = ""
    try:
        for i, name in enumerate(names, start=1):
            if i == fail_at:
                raise PermissionError(13, f"testing hook {FAIL_RENAME_ENV}")
            os.replace(staging / name, out_dir / name)
            _pause_mid_commit(i)
        (staging / _JOURNAL).unlink()  # committed: nothing for a later run to roll back
    except OSError as err:
        restored = _roll_back(staging, out_dir)
        state = "the previous files are back in place" if restored else (
            "putting the previous files back failed too; see the warnings above"
        )
        msg = f"{out_dir}: cannot move {name} into place ({_reason(err)}); {state}"
        raise OutputError(msg) from err


def _keep(target: Path, link: Path) -> None:
    """A second name for the file about to be replaced (a hard link; a copy where links fail)."""
    try:
        os.link(target, link, follow_symlinks=False)
    except OSError:
        shutil.copy2(target, link, follow_symlinks=False)


def _roll_back(staging: Path, out_dir: Path) -> bool:
    """Undo a journalled commit: put back the replaced files, remove the new ones."""
    journal = json.loads((staging / _JOURNAL).read_text(encoding="utf-8"))
    previous = staging / _PREVIOUS
    ok = True
    for name in journal["names"]:
        if os.path.lexists(staging / name):
            continue  # never moved: the target is as it was
        target = out_dir / name
        try:
            if name in journal["existed"]:
                os.replace(previous / name, target)
            else:
                target.unlink(missing_ok=True)
        except OSError as err:
            logger.warning("%s: cannot put %s back (%s)", out_dir, name, _reason(err))
            ok = False
    _fsync(out_dir)
    return ok


def _recover(out_dir: Path) -> None:
    """Remove staging folders left by killed runs (rolling back a half-done commit), and say so.

    Runs under the folder's lock, so no live run owns them.
    """
    for left in sorted(out_dir.glob(f"{STAGING_PREFIX}*")):
        if not left.is_dir() or left.is_symlink():
            continue
        rolled = ""
        if (left / _JOURNAL).is_file():
            try:
                _roll_back(left, out_dir)
                rolled = "; the files it was moving into place were put back as they were"
            except (OSError, ValueError, KeyError, TypeError) as err:
                logger.warning("%s: cannot read the journal of %s (%s)", out_dir, left.name, err)
        shutil.rmtree(left, ignore_errors=True)
        logger.warning(
            "%s: removed %s, left behind by an interrupted circle run%s", out_dir, left.name,
            rolled,
        )


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
