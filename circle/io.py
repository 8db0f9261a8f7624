"""Reading input layers (GeoJSON, GeoPackage, GeoParquet, Shapefile, CSV) and writing outputs atomically."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from . import _limits
from .errors import CircleWarning, InputDataError, OutputError

__all__ = [
    "LayerColumns",
    "atomic_output_dir",
    "read_layer",
    "write_layer_geojson",
]

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb")
TABLE_SUFFIXES = (".csv", ".txt")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")


@dataclass(frozen=True, slots=True)
class LayerColumns:
    """Names of the columns circle reads from a layer.

    Parameters
    ----------
    id, name, type, population
        Column names of the feature id, its display name, the centre type and the population.
    lon, lat
        Coordinate columns of CSV tables; ``None`` finds them among common names
        (lon, lng, longitude, x / lat, latitude, y, case-insensitive).
    """

    id: str = "id"
    name: str = "name"
    type: str = "type"
    population: str = "population"
    lon: str | None = None
    lat: str | None = None


def read_layer(
    path: str | Path,
    *,
    columns: LayerColumns | None = None,
    crs: str | None = None,
    layer: str | None = None,
    max_features: int | None = None,
) -> gpd.GeoDataFrame:
    """Read a centres, communities or candidates layer from a file.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf, or CSV with lon/lat columns.
    columns
        Which columns hold the id, name, type, population and (CSV) coordinates.
    crs
        CRS of the coordinates when the file does not declare one (CSV default: EPSG:4326).
    layer
        Layer name inside a multi-layer file (GeoPackage).
    max_features
        Refuse a layer with more features than this, checked before loading (a streaming line
        count for CSV). Default: ``$CIRCLE_MAX_FEATURES``, else 1,000,000.

    Returns
    -------
    layer
        A GeoDataFrame with columns ``id``, ``name``, ``type``, ``population`` (those present),
        any other columns unchanged, and ``geometry``. ``attrs["source"]`` holds the file name
        and ``attrs["row_label"]`` how messages name its rows.
    """
    path = Path(path)
    columns = columns or LayerColumns()
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder; give a layer file (GeoJSON, GeoPackage, GeoParquet, CSV, …)"
        raise InputDataError(msg)
    if not path.is_file():  # a pipe or device would block or never end
        msg = f"{path}: not a regular file; give a layer file saved on disk"
        raise InputDataError(msg)
    suffix = path.suffix.lower()
    limit = _limits.max_features() if max_features is None else max_features
    if suffix in TABLE_SUFFIXES:
        _limits.check_layer_size(path, "table", limit)
        gdf = _read_table(path, columns, crs)
        row_label = "row"
    elif suffix in VECTOR_SUFFIXES:
        _limits.check_layer_size(path, "vector", limit, layer)
        gdf = _read_vector(path, crs, layer)
        row_label = "feature"
    else:
        msg = (
            f"{path}: unknown layer format {suffix!r}; use GeoJSON, GeoPackage, GeoParquet, "
            "Shapefile, FlatGeobuf or CSV with lon/lat columns"
        )
        raise InputDataError(msg)
    if len(gdf) > limit:  # a count the pre-check could not know (e.g. quoted line breaks)
        raise _limits.too_many_features(path, limit)
    gdf = _rename(gdf, columns, path)
    gdf.attrs["source"] = path.name
    gdf.attrs["row_label"] = row_label
    logger.info("read %d features from %s", len(gdf), path.name)
    return gdf


def _read_vector(path: Path, crs: str | None, layer: str | None) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if path.suffix.lower() in (".parquet", ".geoparquet"):
                gdf = gpd.read_parquet(path)
            else:
                gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = f"{path}: cannot read as a vector layer ({_first_line(err)})"
        raise InputDataError(msg) from err
    except shapely.errors.ShapelyError as err:  # GDAL passed on a geometry GEOS refuses
        msg = f"{path}: cannot read as a vector layer (invalid geometry: {_first_line(err)})"
        raise InputDataError(msg) from err
    except UnicodeDecodeError as err:
        msg = (
            f"{path}: text that is not UTF-8 ({err.reason}); save the layer "
            "as UTF-8 (GeoJSON is always UTF-8)"
        )
        raise InputDataError(msg) from err
    except (ValueError, OSError) as err:
        msg = f"{path}: cannot read as a vector layer ({_first_line(err)})"
        raise InputDataError(msg) from err
    _reissue(caught, path)
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        msg = f"{path}: the file has no geometry column"
        raise InputDataError(msg)
    if crs is not None:
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        gdf = _assume_wgs84(gdf, path)
    return gdf


def _reissue(caught: list[warnings.WarningMessage], path: Path) -> None:
    """GDAL's warnings while reading (a dropped geometry, a bad field) as one line each, once."""
    seen = dict.fromkeys(_first_line(w.message) for w in caught)
    for text in list(seen)[:3]:
        warnings.warn(f"{path}: {text}", CircleWarning, stacklevel=4)
    if len(seen) > 3:
        warnings.warn(f"{path}: {len(seen) - 3} more warnings", CircleWarning, stacklevel=4)


def _assume_wgs84(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    geom = gdf.geometry.values
    present = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    b = shapely.bounds(geom[present]) if present.any() else np.zeros((0, 4))
    if b.size and (np.abs(b[:, [0, 2]]).max() > 180 or np.abs(b[:, [1, 3]]).max() > 90):
        msg = (
            f"{path}: the layer has no CRS and its coordinates look projected (for example "
            f"x={b[0, 0]:.0f}, y={b[0, 1]:.0f}); give its CRS with --layer-crs EPSG:XXXX or "
            "save it with one"
        )
        raise InputDataError(msg)
    warnings.warn(
        f"{path}: no CRS declared; the coordinates look like longitude/latitude, read as WGS84 "
        "(EPSG:4326)",
        CircleWarning,
        stacklevel=3,
    )
    return gdf.set_crs("EPSG:4326")


def _read_table(path: Path, columns: LayerColumns, crs: str | None) -> gpd.GeoDataFrame:
    try:
        try:
            table = pd.read_csv(path, dtype={columns.id: str}, encoding="utf-8-sig")
        except UnicodeDecodeError as err:
            text = _decode_chinese_excel(path, err)
            table = pd.read_csv(io.StringIO(text), dtype={columns.id: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        if isinstance(err, InputDataError):
            raise
        msg = f"{path}: cannot read as CSV ({_first_line(err)})"
        raise InputDataError(msg) from err
    lon = _find_column(table, columns.lon, LON_NAMES)
    lat = _find_column(table, columns.lat, LAT_NAMES)
    if lon is None or lat is None:
        wanted = []
        if lon is None:
            wanted.append(repr(columns.lon) if columns.lon else "a longitude column (lon, lng, longitude, x)")
        if lat is None:
            wanted.append(repr(columns.lat) if columns.lat else "a latitude column (lat, latitude, y)")
        msg = (
            f"{path}: missing {' and '.join(wanted)}; found columns {list(table.columns)!r}; "
            "name them with --lon-column/--lat-column"
        )
        raise InputDataError(msg)
    x = pd.to_numeric(table[lon], errors="coerce")
    y = pd.to_numeric(table[lat], errors="coerce")
    bad = x.isna() | y.isna() | ~np.isfinite(x.fillna(0)) | ~np.isfinite(y.fillna(0))
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        msg = (
            f"{path}: missing or non-numeric coordinates in row {', '.join(map(str, rows[:5]))}"
            f"{' and more' if len(rows) > 5 else ''} (columns {lon!r}, {lat!r})"
        )
        raise InputDataError(msg)
    table = table.drop(columns=[lon, lat])
    return gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(x, y), crs=crs or "EPSG:4326"
    )


def _decode_chinese_excel(path: Path, utf8_error: UnicodeDecodeError) -> str:
    """Text of a CSV that is not UTF-8: GBK (GB18030) as Chinese Excel saves it, or a refusal.

    GB18030 is accepted only when every character decodes into the common GB2312 set, so that
    Latin-1 text (``Töölö``) is refused rather than read as wrong Chinese characters.
    """
    raw = path.read_bytes()
    how = (
        "save it as UTF-8 CSV (Excel: Save As, 'CSV UTF-8 (Comma delimited)' / "
        "'CSV UTF-8 (逗号分隔)')"
    )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        msg = f"{path}: UTF-16 text (Excel's 'Unicode text'), not a UTF-8 CSV; {how}"
        raise InputDataError(msg) from utf8_error
    try:
        text = raw.decode("gb18030")
        text.encode("gb2312")
    except UnicodeError:
        msg = (
            f"{path}: not UTF-8 text ({utf8_error.reason} at byte {utf8_error.start}); {how}"
        )
        raise InputDataError(msg) from utf8_error
    warnings.warn(
        f"{path}: not UTF-8; read as GBK (GB18030), the encoding Chinese Excel gives CSV "
        "files. Check the names in the report, or save the file as 'CSV UTF-8' to avoid this "
        "guess",
        CircleWarning,
        stacklevel=4,
    )
    return text


def _find_column(table: pd.DataFrame, name: str | None, candidates: tuple[str, ...]) -> str | None:
    if name is not None:
        return name if name in table.columns else None
    lower = {str(c).strip().lower(): c for c in table.columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _rename(gdf: gpd.GeoDataFrame, columns: LayerColumns, path: Path) -> gpd.GeoDataFrame:
    mapping = {}
    for target in ("id", "name", "type", "population"):
        source = getattr(columns, target)
        if source != target and source in gdf.columns:
            if target in gdf.columns:
                gdf = gdf.drop(columns=[target])
            mapping[source] = target
        elif source != target and source not in gdf.columns and target != "id":
            msg = f"{path}: no column {source!r} (asked for as the {target}); found {list(gdf.columns)!r}"
            raise InputDataError(msg)
    gdf = gdf.rename(columns=mapping)
    if "id" not in gdf.columns:
        if columns.id != "id":
            msg = f"{path}: no id column {columns.id!r}; found columns {list(gdf.columns)!r}"
            raise InputDataError(msg)
        msg = (
            f"{path}: no 'id' column; name the id column with --id-column (ids name the "
            f"communities and centres in the report); found columns {list(gdf.columns)!r}"
        )
        raise InputDataError(msg)
    return gdf


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
                time.sleep(float(pause))
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


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


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
        layer.to_crs("EPSG:4326").to_file(
            tmp,
            layer=path.stem,
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={"COORDINATE_PRECISION": 7, "WRITE_BBOX": "NO"},
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
