"""Reading input layers (GeoJSON, GeoPackage, GeoParquet, Shapefile, CSV, Excel, PostGIS)."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .._extras import require
from .._text import first_line
from .._validate import id_text
from ..errors import CircleWarning, ConfigError, InputDataError
from . import _limits
from .columns import LayerColumns, find_field_column, rename_columns
from .datums import DATUMS, TO_WGS84
from .db import is_db_url, read_db_layer

__all__ = [
    "DATUMS",
    "LayerColumns",
    "read_layer",
]

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES = (
    ".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb",
    ".kml", ".kmz",  # Google Earth (GDAL's LIBKML or KML driver)
    ".gdb",  # an Esri file geodatabase folder (GDAL's OpenFileGDB driver)
    ".zip", ".shz",  # a zipped shapefile (.shp.zip), or any zip GDAL reads through /vsizip/
)
#: the columns GDAL's LIBKML driver adds to every KML layer (dropped when they hold nothing)
KML_STYLE_COLUMNS = (
    "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
    "visibility", "drawOrder", "icon",
)
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")

#: map datums of lon/lat inputs: WGS84 (GPS, OSM), GCJ-02 (AMap/Gaode, Tencent), BD-09 (Baidu)


def read_layer(
    path: str | Path,
    *,
    columns: LayerColumns | Sequence[str] | None = None,
    crs: str | None = None,
    layer: str | None = None,
    kind: str | None = None,
    datum: str = "wgs84",
    max_features: int | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    where: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a centres, communities, candidates or areas layer from a file.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf, KML/KMZ, an Esri file
        geodatabase folder (``.gdb``), a zipped shapefile (``.shp.zip``, or any
        ``/vsizip/…`` path GDAL reads), or a CSV or Excel (.xlsx) table with lon/lat columns; or
        a PostGIS table or query, ``postgresql://USER@HOST/DB?table=NAME`` (see
        `circle.io.db.read_db_layer`).
    columns
        Which columns hold the id, name, type, population and (tables) coordinates
        (`LayerColumns`); or, like pyogrio, a list of the columns to read (the others are not
        loaded; the id, name, type and population columns must be among them to be used).
    crs
        CRS of the coordinates when the file does not declare one (tables default: EPSG:4326).
    layer
        Layer of a GeoPackage, or sheet of an Excel workbook. Default: the layer (sheet) named
        like `kind` when there is one, else the file's only layer (only non-empty sheets
        count); a file with several and none named like `kind` is refused.
    kind
        What the layer is ({"centres", "communities", "candidates", "gates", "areas"}): names
        the default layer of a multi-layer file and the option given in messages.
    datum
        {"wgs84", "gcj02", "bd09"} Map datum of longitude/latitude coordinates: GCJ-02 (AMap,
        Tencent) and BD-09 (Baidu) exports are converted to WGS84 right after reading. Needs a
        geographic CRS (lon/lat); outside China the conversion changes nothing.
    max_features
        Refuse a layer with more features than this, checked before loading (a streaming count
        of CSV lines or Excel rows). Default: ``$CIRCLE_MAX_FEATURES``, else 1,000,000.
    bbox
        ``(minx, miny, maxx, maxy)``: read only the features that intersect this box, in the
        layer's own CRS (like pyogrio; lon/lat for tables).
    where
        An SQL WHERE clause (OGR SQL, like pyogrio's ``where=``), e.g. ``"type = 'village'"``;
        vector files only.

    Returns
    -------
    layer
        A GeoDataFrame with columns ``id``, ``name``, ``type``, ``population`` (those present),
        any other columns unchanged, and ``geometry``. ``attrs["source"]`` holds the file name,
        ``attrs["row_label"]`` how messages name its rows and ``attrs["datum"]`` the datum the
        file was read in.
    """

    if datum not in DATUMS:
        msg = f"`datum` must be one of {', '.join(DATUMS)}, got {datum!r}"
        raise ConfigError(msg)
    if is_db_url(path):
        layer_columns = columns if isinstance(columns, LayerColumns) else LayerColumns()
        return _read_db(path, layer_columns.for_kind(kind), crs, datum)
    path = Path(_vsi_braced(str(path)))
    subset = ReadFilter(bbox, where, None)
    if columns is not None and not isinstance(columns, LayerColumns):
        subset = ReadFilter(bbox, where, [str(c) for c in columns])
        columns = None
    columns = columns or LayerColumns()
    if not str(path).startswith("/vsi"):  # GDAL's virtual paths (/vsizip/…) are not files
        _check_regular_file(path)
    limit = _limits.max_features() if max_features is None else max_features
    gdf, row_label = _read_by_suffix(path, columns, crs, layer, kind, limit, subset)
    if len(gdf) > limit:  # a count the pre-check could not know (e.g. quoted line breaks)
        raise _limits.too_many_features(path, limit)
    gdf = _to_wgs84(gdf, datum, path)
    if kind not in (None, "communities"):
        # --population-column names the communities' column; other layers have none
        columns = dataclasses.replace(columns, population="population")
    gdf = rename_columns(gdf, columns, path, need_id=kind != "areas", kind=kind)
    gdf.attrs["source"] = path.name
    gdf.attrs["row_label"] = row_label
    gdf.attrs["datum"] = datum
    logger.info("read %d features from %s (datum %s)", len(gdf), path.name, datum)
    return gdf


def _vsi_braced(path: str) -> str:
    """``/vsizip//abs/a.zip/b.shp`` as ``/vsizip/{/abs/a.zip}/b.shp`` (GDAL's braces), which
    survives pathlib's collapsing of ``//``; any other path unchanged."""
    m = re.match(r"^(/vsi\w+/)(/?[^{].*?\.(?:zip|shz|gz|tgz|tar|7z))(/.*)?$", path, re.I)
    if m is None:
        return path
    archive = m[2]
    if not archive.startswith("/") and not Path(archive).exists() and Path("/" + archive).exists():
        archive = "/" + archive  # the // of an absolute path was collapsed on the way here
    return f"{m[1]}{{{archive}}}{m[3] or ''}" if archive.startswith("/") else path


def _read_db(
    url: str, columns: LayerColumns | None, crs: str | None, datum: str
) -> gpd.GeoDataFrame:
    """A layer from a PostGIS table or query, in WGS84 (``attrs["datum"]``: the datum read)."""
    gdf = read_db_layer(url, columns=columns, crs=crs)
    attrs = {**gdf.attrs, "datum": datum}
    gdf = _to_wgs84(gdf, datum, gdf.attrs.get("source", "database layer"))
    gdf.attrs.update(attrs)
    return gdf


def _check_regular_file(path: Path) -> None:
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    if path.is_dir() and path.suffix.lower() != ".gdb":  # a file geodatabase is a folder
        msg = f"{path}: is a folder; give a layer file (GeoJSON, GeoPackage, GeoParquet, CSV, …)"
        raise InputDataError(msg)
    if not path.is_file() and not path.is_dir():  # a pipe or device would block or never end
        msg = f"{path}: not a regular file; give a layer file saved on disk"
        raise InputDataError(msg)


def _read_by_suffix(
    path: Path,
    columns: LayerColumns,
    crs: str | None,
    layer: str | None,
    kind: str | None,
    limit: int,
    subset: ReadFilter,
) -> tuple[gpd.GeoDataFrame, str]:
    """The layer read by the reader for its file type, and how messages name its rows."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        if subset.where is not None:
            msg = f"{path}: `where` filters vector files only; filter the table itself"
            raise ConfigError(msg)
        _limits.check_layer_size(path, "table", limit)
        return subset.apply(_read_table(path, columns, crs, layer, kind), path), "row"
    if suffix in VECTOR_SUFFIXES:
        _limits.check_layer_size(path, "vector", limit, layer)
        return _read_vector(path, crs, layer, kind, subset), "feature"
    if suffix == ".xls":
        msg = f"{path}: old Excel format (.xls) is not read; save it as .xlsx or UTF-8 CSV"
        raise InputDataError(msg)
    msg = (
        f"{path}: unknown layer format {suffix!r}; use GeoJSON, GeoPackage, GeoParquet, "
        "Shapefile, FlatGeobuf, or CSV or Excel (.xlsx) with lon/lat columns"
    )
    raise InputDataError(msg)


def _to_wgs84(gdf: gpd.GeoDataFrame, datum: str, path: Path | str) -> gpd.GeoDataFrame:
    """Convert GCJ-02 / BD-09 lon/lat coordinates to WGS84 (a no-op for WGS84)."""
    if datum == "wgs84":
        return gdf
    if gdf.crs is None or not gdf.crs.is_geographic:
        msg = (
            f"{path}: datum {datum} applies to longitude/latitude, but the layer is in "
            f"{gdf.crs.to_string() if gdf.crs else 'no CRS'} (projected); give a lon/lat file or "
            "leave the datum at wgs84"
        )
        raise InputDataError(msg)
    gdf = gdf.to_crs("EPSG:4326")  # e.g. CGCS2000 lon/lat (EPSG:4490): the same within cm
    convert = TO_WGS84[datum]

    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(convert(xy[:, 0], xy[:, 1]))

    return gdf.set_geometry(
        gpd.GeoSeries(shapely.transform(gdf.geometry.values, shift), index=gdf.index, crs=gdf.crs)
    )


def _choose_layer(
    path: Path, names: list[str], usable: list[str], layer: str | None, kind: str | None, what: str
) -> str:
    """The layer (sheet) to read: as asked, else the one named like `kind`, else the only one."""
    option = f"--{kind}-layer" if kind else "`layer`"
    if layer is not None:
        if layer not in names:
            msg = f"{path}: no {what} {layer!r}; its {what}s are {', '.join(map(repr, names))}"
            raise InputDataError(msg)
        return layer
    if kind in usable:
        return kind
    if len(usable) == 1:
        return usable[0]
    if not usable:
        msg = f"{path}: no {what} with data in the file"
        raise InputDataError(msg)
    msg = (
        f"{path}: has {len(usable)} {what}s ({', '.join(map(repr, usable))}) and none is named "
        f"{kind!r}; choose one with {option}"
    )
    raise InputDataError(msg)


@dataclasses.dataclass(frozen=True)
class ReadFilter:
    """What part of a layer to read: pyogrio's ``bbox=``, ``where=`` and ``columns=``."""

    bbox: tuple[float, float, float, float] | None
    where: str | None
    columns: list[str] | None

    def kwargs(self) -> dict:
        """The keywords of ``gpd.read_file`` (pyogrio) for this filter."""
        kw: dict = {"bbox": tuple(self.bbox) if self.bbox is not None else None}
        if self.where is not None:
            kw["where"] = self.where
        if self.columns is not None:
            kw["columns"] = self.columns
        return kw

    def apply(self, gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
        """The filter applied after reading (tables and GeoParquet)."""
        if self.bbox is not None:
            gdf = gdf[gdf.intersects(shapely.box(*self.bbox))]
        if self.columns is not None:
            missing = [c for c in self.columns if c not in gdf.columns]
            if missing:
                msg = f"{path}: no column(s) {missing!r}; found {list(gdf.columns)!r}"
                raise InputDataError(msg)
            keep = [c for c in gdf.columns if c in self.columns or c == gdf.geometry.name]
            gdf = gdf[keep]
        return gdf


def _read_vector(
    path: Path, crs: str | None, layer: str | None, kind: str | None, subset: ReadFilter
) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if path.suffix.lower() in (".parquet", ".geoparquet"):
                require("pyarrow", "parquet", f"{path.name}: GeoParquet layers")
                if subset.where is not None:
                    msg = f"{path}: `where` is not read from GeoParquet; use `bbox` or `columns`"
                    raise ConfigError(msg)
                gdf = subset.apply(gpd.read_parquet(path), path)
            else:
                listed = pyogrio.list_layers(path)
                names = [str(n) for n, _ in listed]
                spatial = [str(n) for n, g in listed if g is not None]
                chosen = _choose_layer(path, names, spatial, layer, kind, "layer")
                gdf = gpd.read_file(path, layer=chosen, engine="pyogrio", **subset.kwargs())
                if path.suffix.lower() in (".kml", ".kmz"):
                    gdf = _from_kml(gdf)
    except (InputDataError, ConfigError):
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = f"{path}: cannot read as a vector layer ({first_line(err)})"
        raise InputDataError(msg) from err
    except shapely.errors.ShapelyError as err:  # GDAL passed on a geometry GEOS refuses
        msg = f"{path}: cannot read as a vector layer (invalid geometry: {first_line(err)})"
        raise InputDataError(msg) from err
    except UnicodeDecodeError as err:
        msg = (
            f"{path}: text that is not UTF-8 ({err.reason}); save the layer "
            "as UTF-8 (GeoJSON is always UTF-8)"
        )
        raise InputDataError(msg) from err
    except (ValueError, OSError) as err:
        msg = f"{path}: cannot read as a vector layer ({first_line(err)})"
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


def _from_kml(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A KML layer as the other formats give it: ``Name`` as ``name``, 2D geometries, and
    without the style columns that GDAL adds when they hold nothing."""
    if "Name" in gdf.columns and "name" not in gdf.columns:
        gdf = gdf.rename(columns={"Name": "name"})
    unused = [c for c in KML_STYLE_COLUMNS if c in gdf and gdf[c].nunique(dropna=True) <= 1]
    gdf = gdf.drop(columns=unused)
    return gdf.set_geometry(shapely.force_2d(gdf.geometry.values), crs=gdf.crs)


def _reissue(caught: list[warnings.WarningMessage], path: Path) -> None:
    """GDAL's warnings while reading (a dropped geometry, a bad field) as one line each, once."""
    seen = dict.fromkeys(first_line(w.message) for w in caught)
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


def _read_table(
    path: Path, columns: LayerColumns, crs: str | None, sheet: str | None, kind: str | None
) -> gpd.GeoDataFrame:
    if path.suffix.lower() in EXCEL_SUFFIXES:
        table = _read_excel(path, columns.for_kind(kind), sheet, kind)
    elif sheet is not None:
        msg = f"{path}: a CSV file has no layers or sheets; leave out the layer name {sheet!r}"
        raise InputDataError(msg)
    else:
        table = _read_csv(path, columns.for_kind(kind), kind)
    lon = _find_column(table, columns.lon, LON_NAMES)
    lat = _find_column(table, columns.lat, LAT_NAMES)
    if lon is None or lat is None:
        wanted = []
        if lon is None:
            wanted.append(
                repr(columns.lon)
                if columns.lon
                else "a longitude column (lon, lng, longitude, x, 经度)"
            )
        if lat is None:
            wanted.append(
                repr(columns.lat) if columns.lat else "a latitude column (lat, latitude, y, 纬度)"
            )
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


def _read_csv(path: Path, columns: LayerColumns, kind: str | None) -> pd.DataFrame:
    """A CSV table in UTF-8 (BOM or not), else GB18030 (Chinese Windows) with a warning; ids
    kept as text (``007``)."""
    try:
        try:
            text = path.read_bytes().decode("utf-8-sig")  # a CR inside a field stays a CR
        except UnicodeDecodeError as err:
            text = _decode_chinese_windows(path, err)
        header = pd.read_csv(io.StringIO(text), nrows=0).columns
        id_column = find_field_column(header, "id", columns.id, path, kind) or columns.id
        return pd.read_csv(io.StringIO(text), dtype={id_column: str})
    except InputDataError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        msg = f"{path}: cannot read as CSV ({first_line(err)})"
        raise InputDataError(msg) from err


def _decode_chinese_windows(path: Path, utf8_error: UnicodeDecodeError) -> str:
    """The text of a CSV that is not UTF-8: GB18030 (GBK) as Chinese Windows and Excel save
    it, or a refusal.

    GB18030 is accepted only when every character decodes into the common GB2312 set, so that
    Latin-1 text (``Töölö``, which GB18030 also decodes, into rare characters) is refused rather
    than read as wrong Chinese.
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
    except UnicodeDecodeError as err:
        msg = f"{path}: neither UTF-8 nor GB18030 text ({err.reason} at byte {err.start}); {how}"
        raise InputDataError(msg) from utf8_error
    rare = next((c for c in text if ord(c) > 127 and not _in_gb2312(c)), None)
    if rare is not None:
        msg = (
            f"{path}: neither UTF-8 nor common Chinese GB18030 text (it would read {rare!r}; "
            f"Latin-1 or another encoding?); {how}"
        )
        raise InputDataError(msg) from utf8_error
    warnings.warn(
        f"{path}: not UTF-8; read as GB18030 (the Chinese Windows encoding, which includes GBK); "
        "check the names, or save it as UTF-8",
        CircleWarning,
        stacklevel=5,
    )
    return text


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


#: what a broken workbook raises in zipfile, zlib, openpyxl and xml.etree (ParseError is a
#: SyntaxError; encrypted entries raise RuntimeError, unknown compressions NotImplementedError)
_EXCEL_ERRORS = (
    ValueError, OSError, KeyError, EOFError, SyntaxError, RuntimeError, NotImplementedError,
    zipfile.BadZipFile, zlib.error,
)


def _read_excel(
    path: Path, columns: LayerColumns, sheet: str | None, kind: str | None
) -> pd.DataFrame:
    """A sheet as a table: title rows above the header skipped, empty rows and columns dropped,
    ids kept as text."""
    try:
        sheets = pd.read_excel(
            path, sheet_name=None, header=None, dtype=object, engine="openpyxl"
        )
    except _EXCEL_ERRORS as err:
        msg = f"{path}: cannot read as an Excel workbook ({first_line(err)})"
        raise InputDataError(msg) from err
    names = [str(n) for n in sheets]
    filled = [str(n) for n, t in sheets.items() if not t.dropna(how="all").empty]
    chosen = _choose_layer(path, names, filled, sheet, kind, "sheet")
    return _with_header(sheets[chosen].dropna(how="all"), columns, path, kind)


def _looks_like_header(cells: pd.Series) -> bool:
    """A row of column names: at least two filled cells, all text and none a number."""
    filled = [c for c in cells if c is not None and not (isinstance(c, float) and np.isnan(c))]
    if len(filled) < 2 or not all(isinstance(c, str) and c.strip() for c in filled):
        return False
    return pd.to_numeric(pd.Series(filled), errors="coerce").isna().all()


def _with_header(
    raw: pd.DataFrame, columns: LayerColumns, path: Path, kind: str | None
) -> pd.DataFrame:
    """The table below its header row: the first row that looks like column names (a title
    row, merged or not, has one filled cell and is skipped)."""
    at = next((i for i, (_, row) in enumerate(raw.iterrows()) if _looks_like_header(row)), None)
    if at is None:
        msg = f"{path}: no header row (a row of column names) found in the sheet"
        raise InputDataError(msg)
    header = [str(c).strip() if isinstance(c, str) else None for c in raw.iloc[at]]
    body = raw.iloc[at + 1 :].copy()
    body.columns = [h if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]
    body = body.loc[:, [h is not None or body.iloc[:, i].notna().any() for i, h in
                        enumerate(header)]]
    table = body.reset_index(drop=True).infer_objects()
    id_column = find_field_column(table.columns, "id", columns.id, path, kind)
    if id_column is not None:
        ids = table[id_column].map(id_text).astype(object)
        table[id_column] = ids.where(ids.notna(), None)
    return table


def _find_column(table: pd.DataFrame, name: str | None, candidates: tuple[str, ...]) -> str | None:
    if name is not None:
        return name if name in table.columns else None
    lower = {str(c).strip().lower(): c for c in table.columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None
