"""Which columns of a layer circle reads: the names a user gives, the Chinese and English
headers found without flags, and their renaming."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from ..errors import ConfigError, InputDataError

__all__ = ["HEADER_NAMES", "LayerColumns", "find_field_column", "rename_columns"]

#: the fields whose column is found by its header when left at the default name: the exact
#: headers (case-insensitive) and the endings (社区编码, 站点名称, 机构类型) that name it
HEADER_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "id": (("id", "编号", "编码", "代码", "序号"), ("编码", "编号")),
    "name": (("name", "名称", "名字"), ("名称",)),
    "type": (("type", "类型"), ("类型",)),
    "population": (("population", "人口", "常住人口", "户籍人口", "人数"), ()),
}
#: the layers with their own ``--LAYER-FIELD-column`` options
PER_LAYER_KINDS = ("centres", "communities")


@dataclass(frozen=True, slots=True)
class LayerColumns:
    """Names of the columns circle reads from a layer.

    Parameters
    ----------
    id, name, type, population
        Column names of the feature id, its display name, the centre type and the population.
        Left at their defaults, the column is found by its header: ids from id, ID, 编号, 编码,
        代码, 序号 or a header ending in 编码/编号 (社区编码); names from name, 名称, 名字 or a
        header ending in 名称 (站点名称); types from type, 类型 or a header ending in 类型;
        population from population, 人口, 常住人口, 户籍人口, 人数. Two such headers in one layer
        are refused, naming both.
    lon, lat
        Coordinate columns of CSV and Excel tables; ``None`` finds them among common names
        (lon, lng, longitude, x, 经度 / lat, latitude, y, 纬度; case-insensitive).
    per_layer
        ``(layer, field, column)`` triples that apply to one layer only, e.g.
        ``("centres", "id", "编号")`` (``--centres-id-column 编号``); they take precedence.
    """

    id: str = "id"
    name: str = "name"
    type: str = "type"
    population: str = "population"
    lon: str | None = None
    lat: str | None = None
    per_layer: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:  # JSON (a manifest) gives lists
        object.__setattr__(self, "per_layer", tuple(tuple(t) for t in self.per_layer))

    def for_kind(self, kind: str | None) -> LayerColumns:
        """The columns of one layer (``kind``: centres, communities, …): its own names applied.

        Returns
        -------
        LayerColumns
            Without `per_layer`.
        """
        own = {field: column for k, field, column in self.per_layer if k == kind}
        return dataclasses.replace(self, per_layer=(), **own)


def _option(field: str, kind: str | None) -> str:
    if kind in PER_LAYER_KINDS:
        return f"--{kind}-{field}-column"
    return f"--{field}-column"


def find_field_column(
    header: Iterable[object], field: str, given: str, path: Path | str, kind: str | None = None
) -> str | None:
    """The column of `field` (id, name, type, population) in a layer's header.

    Parameters
    ----------
    header
        The layer's column names.
    field
        {"id", "name", "type", "population"}
    given
        The column named by the user; the default (the field's own name) means: find it.
    path, kind
        Name the file and the layer in messages.

    Returns
    -------
    str or None
        The column, or ``None`` when the layer has none.

    Raises
    ------
    InputDataError
        Two candidate columns.
    """
    names = [c for c in header if isinstance(c, str)]
    if given != field:
        return given if given in names else None
    exact, endings = HEADER_NAMES[field]
    found = [
        c for c in names
        if c.strip().lower() in exact or (c.strip().endswith(endings) if endings else False)
    ]
    if len(found) > 1:
        msg = (
            f"{path}: two columns could be the {field}: {found[0]!r} and {found[1]!r}; "
            f"name the one to use with {_option(field, kind)}"
        )
        raise InputDataError(msg)
    return found[0] if found else None


def rename_columns(
    gdf: gpd.GeoDataFrame,
    columns: LayerColumns,
    path: Path | str,
    *,
    need_id: bool = True,
    kind: str | None = None,
) -> gpd.GeoDataFrame:
    """Rename a layer's id/name/type/population columns to circle's names (one error if absent).

    Columns left at their default names are found by their headers (`LayerColumns`).
    """
    own = {field for k, field, _ in columns.per_layer if k == kind}
    columns = columns.for_kind(kind)
    mapping = {}
    geometry = gdf.geometry.name if gdf._geometry_column_name in gdf.columns else None
    for target in ("id", "name", "type", "population"):
        given = getattr(columns, target)
        if given == geometry:
            msg = (
                f"{_option(target, kind if target in own else None)} {geometry!r}: that is the "
                f"layer's geometry, not a column of values; name a column of {path}: "
                f"{[c for c in gdf.columns if c != geometry]!r}"
            )
            raise ConfigError(msg)
        source = find_field_column(gdf.columns, target, given, path, kind)
        if source is None and given != target and target != "id":
            msg = (
                f"{path}: no column {given!r} (asked for as the {target}); found "
                f"{list(gdf.columns)!r}"
            )
            raise InputDataError(msg)
        if source is not None and source != target:
            if target in gdf.columns:
                gdf = gdf.drop(columns=[target])
            mapping[source] = target
    gdf = gdf.rename(columns=mapping)
    if "id" not in gdf.columns and need_id:
        if columns.id != "id":
            msg = (
                f"{path}: no id column {columns.id!r}; found columns {list(gdf.columns)!r}"
            )
            raise InputDataError(msg)
        msg = (
            f"{path}: no id column (id, 编号, 编码, 代码, 序号 or a name ending in 编码/编号); "
            f"name it with {_option('id', kind)} (ids name the communities and centres in the "
            f"report); found columns {list(gdf.columns)!r}"
        )
        raise InputDataError(msg)
    return gdf
