"""Which columns of a layer circle reads: the names a user gives, and their renaming."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from ..errors import ConfigError, InputDataError

__all__ = ["LayerColumns", "rename_columns"]


@dataclass(frozen=True, slots=True)
class LayerColumns:
    """Names of the columns circle reads from a layer.

    Parameters
    ----------
    id, name, type, population
        Column names of the feature id, its display name, the centre type and the population.
    lon, lat
        Coordinate columns of CSV and Excel tables; ``None`` finds them among common names
        (lon, lng, longitude, x, 经度 / lat, latitude, y, 纬度; case-insensitive).
    """

    id: str = "id"
    name: str = "name"
    type: str = "type"
    population: str = "population"
    lon: str | None = None
    lat: str | None = None


def rename_columns(
    gdf: gpd.GeoDataFrame, columns: LayerColumns, path: Path | str, *, need_id: bool = True
) -> gpd.GeoDataFrame:
    """Rename a layer's id/name/type/population columns to circle's names (one error if absent)."""
    mapping = {}
    geometry = gdf.geometry.name if gdf._geometry_column_name in gdf.columns else None
    for target in ("id", "name", "type", "population"):
        if getattr(columns, target) == geometry:
            msg = (
                f"--{target}-column {geometry!r}: that is the layer's geometry, not a column of "
                f"values; name a column of {path}: {[c for c in gdf.columns if c != geometry]!r}"
            )
            raise ConfigError(msg)
        source = getattr(columns, target)
        if source != target and source in gdf.columns:
            if target in gdf.columns:
                gdf = gdf.drop(columns=[target])
            mapping[source] = target
        elif source != target and source not in gdf.columns and target != "id":
            msg = (
                f"{path}: no column {source!r} (asked for as the {target}); found "
                f"{list(gdf.columns)!r}"
            )
            raise InputDataError(msg)
    gdf = gdf.rename(columns=mapping)
    if "id" not in gdf.columns and need_id:
        if columns.id != "id":
            msg = f"{path}: no id column {columns.id!r}; found columns {list(gdf.columns)!r}"
            raise InputDataError(msg)
        msg = (
            f"{path}: no 'id' column; name the id column with --id-column (ids name the "
            f"communities and centres in the report); found columns {list(gdf.columns)!r}"
        )
        raise InputDataError(msg)
    return gdf
