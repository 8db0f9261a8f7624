"""Reading input layers (GeoJSON, GeoPackage, GeoParquet, Shapefile, CSV) and writing outputs atomically."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .errors import CircleWarning, InputDataError, OutputError

__all__ = [
    "LayerColumns",
    "atomic_output_dir",
    "read_layer",
    "write_layer_file",
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
) -> gpd.GeoDataFrame:
    """Read a centres, communities or candidates layer from a file.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf, or CSV with lon/lat columns; or
        a PostGIS table or query, ``postgresql://USER@HOST/DB?table=NAME`` (see
        `circle.db.read_db_layer`).
    columns
        Which columns hold the id, name, type, population and (CSV) coordinates.
    crs
        CRS of the coordinates when the file does not declare one (CSV default: EPSG:4326).
    layer
        Layer name inside a multi-layer file (GeoPackage).

    Returns
    -------
    layer
        A GeoDataFrame with columns ``id``, ``name``, ``type``, ``population`` (those present),
        any other columns unchanged, and ``geometry``. ``attrs["source"]`` holds the file name
        and ``attrs["row_label"]`` how messages name its rows.
    """
    from .db import is_db_url, read_db_layer  # here, not at the top: db builds on this module

    if is_db_url(path):
        return read_db_layer(path, columns=columns, crs=crs)
    path = Path(path)
    columns = columns or LayerColumns()
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder; give a layer file (GeoJSON, GeoPackage, GeoParquet, CSV, …)"
        raise InputDataError(msg)
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        gdf = _read_table(path, columns, crs)
        row_label = "row"
    elif suffix in VECTOR_SUFFIXES:
        gdf = _read_vector(path, crs, layer)
        row_label = "feature"
    else:
        msg = (
            f"{path}: unknown layer format {suffix!r}; use GeoJSON, GeoPackage, GeoParquet, "
            "Shapefile, FlatGeobuf or CSV with lon/lat columns"
        )
        raise InputDataError(msg)
    gdf = _rename(gdf, columns, path)
    gdf.attrs["source"] = path.name
    gdf.attrs["row_label"] = row_label
    logger.info("read %d features from %s", len(gdf), path.name)
    return gdf


def _read_vector(path: Path, crs: str | None, layer: str | None) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = f"{path}: cannot read as a vector layer ({_first_line(err)})"
        raise InputDataError(msg) from err
    except (ValueError, OSError) as err:
        msg = f"{path}: cannot read as a vector layer ({_first_line(err)})"
        raise InputDataError(msg) from err
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        msg = f"{path}: the file has no geometry column"
        raise InputDataError(msg)
    if crs is not None:
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        gdf = _assume_wgs84(gdf, path)
    return gdf


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
        table = pd.read_csv(path, dtype={columns.id: str}, encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        msg = f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8 CSV"
        raise InputDataError(msg) from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
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


@contextlib.contextmanager
def atomic_output_dir(out_dir: str | Path, names: list[str], *, overwrite: bool) -> Iterator[Path]:
    """Write output files into a staging folder, then move them into `out_dir` together.

    Nothing appears in `out_dir` unless the whole block succeeds; files already there are
    replaced only with `overwrite`, and files circle did not write are never touched.

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
    clash = [n for n in names if (out_dir / n).exists()]
    if clash and not overwrite:
        msg = f"{out_dir}: {', '.join(clash)} already exist; pass --overwrite to replace them"
        raise OutputError(msg)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{out_dir}: cannot create the output folder ({err.strerror})"
        raise OutputError(msg) from err
    staging = Path(tempfile.mkdtemp(prefix=".circle-", dir=out_dir))
    try:
        yield staging
        for name in names:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
