"""Checks on input layers: every problem named with its file and row, reported at once."""

from __future__ import annotations

import math
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import CircleWarning, InputDataError

__all__ = [
    "CENTRE_TYPES",
    "TYPE_SYNONYMS",
    "centre_type",
    "count_problems",
    "id_text",
    "natural_key",
    "natural_order",
    "validate_layer",
]

CENTRE_TYPES = (
    "community",
    "village",
    "enterprise",
    "industrial_park",
    "college",
    "business_district",
    "other",
)

#: type values (Chinese or English, as bureaus write them) → the six types of Action Plan 3.0
TYPE_SYNONYMS = {
    "社区": "community",
    "村": "village",
    "行政村": "village",
    "企业": "enterprise",
    "园区": "industrial_park",
    "产业园区": "industrial_park",
    "工业园区": "industrial_park",
    "高校": "college",
    "大学": "college",
    "学院": "college",
    "商圈": "business_district",
    "商业区": "business_district",
    "其他": "other",
    "其它": "other",
}

_MAX_LISTED = 5


_DIGITS = re.compile(r"(\d+)")


def natural_key(value: str) -> tuple:
    """Sort key that orders ``"c2"`` before ``"c10"``."""
    # split with a group: the odd parts are the runs of digits
    return tuple(
        (0, int(part), "") if i % 2 else (1, 0, part)
        for i, part in enumerate(_DIGITS.split(str(value)))
        if part
    )


def natural_order(values: list) -> np.ndarray:
    """Positions that sort `values` by `natural_key`, ties in their order (``sorted``'s).

    With pyarrow (the ``parquet`` extra), ids that all have one shape, an optional text prefix
    and a number of up to 18 ASCII digits ("r12", "c7", "社区1024"), are ordered in bulk (prefix,
    then number: what `natural_key` compares for them); anything else key by key.
    """
    texts = [str(v) for v in values]
    order = _prefix_number_order(texts)
    if order is None:
        keys = [natural_key(t) for t in texts]
        order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    return order


def _prefix_number_order(texts: list[str]) -> np.ndarray | None:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    pattern = r"^(?P<p>[^\p{Nd}\x00]*)(?P<n>[0-9]{1,18})$"  # RE2: \p{Nd} is Python's \d
    parts = pc.extract_regex(pa.array(texts, pa.string()), pattern)
    if parts.null_count:
        return None
    prefix = parts.field("p").to_numpy(zero_copy_only=False).astype(str)
    number = pc.cast(parts.field("n"), pa.int64()).to_numpy()
    return np.lexsort((np.arange(len(texts)), number, prefix)).astype(np.int64)


def _rows(mask: np.ndarray, label: str) -> str:
    rows = (np.flatnonzero(mask) + 1).tolist()
    shown = ", ".join(str(r) for r in rows[:_MAX_LISTED])
    more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
    return f"{label} {shown}{more}"


def count_problems(raw: pd.Series, what: str, row_label: str) -> tuple[list[str], pd.Series]:
    """Check a column of counts: numbers >= 0 or empty.

    Parameters
    ----------
    raw
        The column as read.
    what
        How messages name the values (``"population"``, ``"count in column 'veterans'"``).
    row_label
        How messages name rows.

    Returns
    -------
    problems, counts
        The problems found (non-numeric or infinite, negative), and the column as floats (empty
        cells ``nan``).
    """
    num = _numbers(raw)
    problems = []
    finite = np.isfinite(num.fillna(0).to_numpy(float))
    huge = finite & (num.abs() > MAX_COUNT).fillna(False).to_numpy()  # 1e308, 400 digits
    bad = ((raw.notna() & num.isna()) | ~np.isfinite(num.fillna(0).to_numpy(float))) & ~huge
    if bad.any():
        problems.append(f"non-numeric {what} in {_rows(bad.to_numpy(), row_label)}")
    if huge.any():
        problems.append(
            f"{what} beyond {MAX_COUNT:,} in {_rows(huge, row_label)} (more people than any "
            "city has: a wrong column, or a broken cell?)"
        )
    neg = ((num < 0) & ~bad & ~huge).fillna(False).to_numpy()
    if neg.any():
        problems.append(f"negative {what} in {_rows(neg, row_label)}")
    return problems, num.astype(float)


#: the largest population (or key-group count) of one community that circle accepts
MAX_COUNT = 100_000_000


def _numbers(raw: pd.Series) -> pd.Series:
    """The column as floats (``nan`` where not a number); numbers too large for a float (a
    400-digit integer) become 1e300 (refused as beyond `MAX_COUNT`), never an OverflowError."""
    try:
        return pd.to_numeric(raw, errors="coerce").astype(float)
    except OverflowError:
        return raw.map(_number).astype(float)


def _number(value) -> float:
    try:
        return float(value)
    except OverflowError:
        return 1e300
    except (TypeError, ValueError):
        return math.nan


def validate_layer(layer: gpd.GeoDataFrame, *, kind: str, source: str, row_label: str = "row"):
    """Check and normalise a centres or communities layer.

    Refuses (with one `InputDataError` naming `source` and the rows): an empty layer, null or
    empty geometries, wrong geometry types, duplicate or missing ids, non-numeric or negative
    population, coordinates out of range or apparently swapped. Repairs invalid polygons with
    ``make_valid`` when the result is still a polygon, and counts them.

    Parameters
    ----------
    layer
        The layer with ``id`` and ``geometry`` columns (``name``, ``type``, ``population``
        optional), in any CRS.
    kind
        {"centres", "communities", "candidates"}
    source
        File name used in messages.
    row_label
        How rows are named in messages ("row" for tables, "feature" for vector files).

    Returns
    -------
    layer, repaired
        A normalised copy (string ids, names, types, float population, WGS84 unchanged CRS)
        and the number of repaired geometries.
    """
    if len(layer) == 0:
        msg = f"{source}: the {kind} layer is empty; it needs at least one feature"
        raise InputDataError(msg)
    layer = layer.copy()
    geom = layer.geometry.values
    problems, missing, nonfinite, polys = _geometry_problems(geom, kind, row_label)
    id_problems, layer["id"] = _id_problems(layer["id"], row_label)
    problems += id_problems
    if "population" in layer.columns:
        found, layer["population"] = count_problems(layer["population"], "population", row_label)
        problems += found
    problems += _nul_problems(layer, row_label)
    if layer.crs is not None and layer.crs.is_geographic and not missing.all():
        problems += _coordinate_problems(geom, nonfinite, row_label)
    if problems:
        msg = f"{source}: " + "; ".join(problems)
        raise InputDataError(msg)
    layer, repaired = _repair_polygons(layer, geom, polys, source, row_label)
    # text columns
    layer["name"] = _texts(layer["name"]) if "name" in layer.columns else ""
    if kind != "communities":
        if "type" in layer.columns:
            layer["type"] = _centre_types(layer["type"], source)
        else:
            layer["type"] = "other"
    return layer, repaired


def _geometry_problems(
    geom: np.ndarray, kind: str, row_label: str
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Missing, non-finite and wrongly typed geometries; and the masks of the missing, the
    non-finite and the polygons."""
    problems = []
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    if missing.any():
        problems.append(f"empty or missing geometry in {_rows(missing, row_label)}")
    coords, owner = shapely.get_coordinates(geom, return_index=True)
    nonfinite = np.zeros(len(geom), bool)
    nonfinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    if nonfinite.any():
        problems.append(f"NaN or infinite coordinates in {_rows(nonfinite, row_label)}")
    types = shapely.get_type_id(geom)
    points = np.isin(types, [0, 4])  # Point, MultiPoint
    polys = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    wrong = ~missing & ~points & ~polys
    if wrong.any():
        problems.append(
            f"{kind} must be points or polygons; lines or collections in {_rows(wrong, row_label)}"
        )
    # a MultiPoint of several points has no one place: refused, never reduced to one of them
    several = (types == 4) & (shapely.get_num_geometries(geom) > 1)
    if several.any():
        problems.append(
            f"a MultiPoint of several points in {_rows(several, row_label)}; give each point "
            "its own feature and id (QGIS: Multipart to Singleparts)"
        )
    return problems, missing, nonfinite, polys


def _nul_problems(layer: gpd.GeoDataFrame, row_label: str) -> list[str]:
    """NUL characters in the text columns: a broken export, and names would be cut at them."""
    problems = []
    for column in ("id", "name", "type"):
        if column in layer.columns:
            values = layer[column]
            if isinstance(values.dtype, pd.StringDtype):  # in bulk
                nul = values.str.contains("\x00", regex=False).fillna(False).to_numpy(bool)
            else:
                nul = values.map(lambda v: isinstance(v, str) and "\x00" in v).to_numpy(bool)
            if nul.any():
                problems.append(
                    f"a NUL character in {column!r} in {_rows(nul, row_label)}; remove it "
                    "(a broken export?)"
                )
    return problems


def _id_problems(raw: pd.Series, row_label: str) -> tuple[list[str], pd.Series]:
    """Missing and duplicate ids, and the ids as text."""
    problems = []
    if raw.isna().any():
        problems.append(f"missing id in {_rows(raw.isna().to_numpy(), row_label)}")
    ids = _id_texts(raw)
    dup = ids.duplicated(keep=False) & raw.notna()
    if dup.any():
        values = sorted(set(ids[dup]), key=natural_key)[:_MAX_LISTED]
        problems.append(
            f"duplicate ids {values!r} in {_rows(dup.to_numpy(), row_label)}; ids must be unique"
        )
    return problems, ids


def _coordinate_problems(geom: np.ndarray, nonfinite: np.ndarray, row_label: str) -> list[str]:
    """Longitudes and latitudes out of range, or apparently swapped."""
    b = shapely.bounds(geom)
    minx, miny, maxx, maxy = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    with np.errstate(invalid="ignore"):
        lat_bad = (np.abs(miny) > 90) | (np.abs(maxy) > 90)
        lon_bad = (np.abs(minx) > 180) | (np.abs(maxx) > 180)
    lat_bad &= ~nonfinite
    lon_bad &= ~nonfinite
    if lat_bad.any() and not lon_bad.any() and (np.abs(b[:, [0, 2]]) <= 90).all():
        return [
            f"latitude beyond ±90° in {_rows(lat_bad, row_label)} while every longitude is "
            "within ±90°: longitude and latitude look swapped (give lon first, or name the "
            "columns with --lon-column/--lat-column)"
        ]
    if (lat_bad | lon_bad).any():
        return [
            f"coordinates out of range for longitude/latitude in "
            f"{_rows(lat_bad | lon_bad, row_label)}; is the CRS right?"
        ]
    return []


def _repair_polygons(
    layer: gpd.GeoDataFrame, geom: np.ndarray, polys: np.ndarray, source: str, row_label: str
) -> tuple[gpd.GeoDataFrame, int]:
    """Repair invalid polygons where it is safe: the repaired shape must still be a polygon."""
    repaired = 0
    invalid = polys & ~shapely.is_valid(geom)
    if invalid.any():
        fixed = shapely.make_valid(geom[invalid])
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        refused = np.array([g is None or g.is_empty for g in fixed])
        if refused.any():
            rows = np.zeros(len(layer), bool)
            rows[np.flatnonzero(invalid)[refused]] = True
            msg = (
                f"{source}: invalid polygon that cannot be repaired in {_rows(rows, row_label)}; "
                "fix it in a GIS (e.g. QGIS 'Fix geometries')"
            )
            raise InputDataError(msg)
        new_geom = geom.copy()
        new_geom[invalid] = fixed
        layer = layer.set_geometry(gpd.GeoSeries(new_geom, index=layer.index, crs=layer.crs))
        repaired = int(invalid.sum())
        warnings.warn(
            f"{source}: repaired {repaired} invalid polygon(s) with make_valid",
            CircleWarning,
            stacklevel=3,  # the caller of validate_layer
        )
    return layer, repaired


def _polygonal(g):
    if g is None:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def id_text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _id_texts(raw: pd.Series) -> pd.Series:
    """``raw.map(id_text)``; a text column without a value that begins or ends with white space
    (Python's: `str.isspace`) as it is, without a call per row."""
    if _nan_text(raw):
        ends = pd.concat([raw.str[:1], raw.str[-1:]]).dropna().unique()
        if not any(c.isspace() for c in ends):
            return raw.copy()
    return raw.map(id_text)


def _texts(values: pd.Series) -> pd.Series:
    """``values.map(_text)``; a text column in bulk (missing values become "")."""
    if _nan_text(values):
        return values.fillna("")
    return values.map(_text)


def _nan_text(values: pd.Series) -> bool:
    # pandas' default text dtype ("str"), whose missing value is NaN (as `_text` expects), with
    # at least one value (`map` gives an empty or all-missing column another dtype)
    return (
        isinstance(values.dtype, pd.StringDtype)
        and values.dtype.na_value is np.nan
        and bool(values.notna().any())
    )


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def centre_type(value) -> str | None:
    """One of `CENTRE_TYPES` for a type value in Chinese or English (社区, 高校, industrial
    park, …); ``"other"`` for an empty value, ``None`` for a value that names none of them."""
    text = _text(value).strip()
    if not text:
        return "other"
    key = text.lower().replace(" ", "_").replace("-", "_")
    if key in CENTRE_TYPES:
        return key
    return TYPE_SYNONYMS.get(text)


def _centre_types(values: pd.Series, source: str) -> pd.Series:
    """The values as `CENTRE_TYPES`; the unrecognised ones become "other", counted in one
    warning that lists them (how the planner sees a type the report would misfile)."""
    mapped = values.map(centre_type)
    unknown = mapped.isna()
    if unknown.any():
        counts = values[unknown].map(lambda v: _text(v).strip()).value_counts()
        listed = ", ".join(f"{v!r} ({n})" for v, n in counts.head(10).items())
        more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
        warnings.warn(
            f"{source}: {int(unknown.sum())} type value(s) are none of the six types "
            f"(社区 community, 村 village, 企业 enterprise, 园区 industrial_park, 高校 college, "
            f"商圈 business_district) and are counted as other: {listed}{more}",
            CircleWarning,
            stacklevel=4,
        )
    return mapped.fillna("other")
