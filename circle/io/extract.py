"""Layers derived from OSM tags: centres, communities, candidates, gates, population estimate."""

from __future__ import annotations

import json
import logging
import re
import tomllib
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .._validate import natural_key
from ..errors import CircleWarning, InputDataError
from .datums import local_utm_crs
from .osm import read_tagged_features

__all__ = [
    "GATE_BARRIERS",
    "LAYER_NAMES",
    "POPULATION_METHOD",
    "OsmPresets",
    "estimate_population",
    "extract_layers",
    "extract_osm_layers",
    "gates_from_features",
    "layers_from_osm",
    "presets_from_file",
]

logger = logging.getLogger(__name__)

#: the layers `extract_osm_layers` returns (and `circle extract` writes), in order
LAYER_NAMES = ("centres", "communities", "candidates", "gates")
#: OSM ``barrier=*`` values that are ways through a compound's fence or wall
GATE_BARRIERS = ("gate", "lift_gate", "swing_gate", "sliding_gate", "turnstile", "kissing_gate")


@dataclass(frozen=True)
class OsmPresets:
    """Which OSM tags make centres, communities, candidates and gates; how population is estimated.

    A tag value ``"*"`` matches any value of the key.

    Parameters
    ----------
    centre_tags
        ``(key, value) -> centre type``. Defaults: community centres (``amenity=community_centre``)
        are where a community employment station sits (type ``community``); town halls
        (``amenity=townhall``) and job centres (``office=employment_agency``) are public service
        points (type ``other``).
    community_tags
        ``(key, value)`` pairs of residential areas (default ``landuse=residential``).
    candidate_tags
        ``(key, value) -> centre type`` of places that could host a new employment station:
        government offices (``office=government``, e.g. street offices), libraries, social
        facilities and social centres, post offices; all type ``community``. Features that are
        already centres are left out.
    gate_tags
        ``(key, value)`` pairs of gate nodes: ``entrance=*`` and ``barrier=`` each of
        `GATE_BARRIERS` (gate, lift_gate, swing_gate, sliding_gate, turnstile, kissing_gate).
    gate_exclude
        ``(key, value)`` pairs that rule a gate node out: doors residents do not use
        (``entrance=no``, ``entrance=emergency``) and closed gates (``access=no``,
        ``locked=yes``).
    gate_distance_m
        `circle extract` keeps the gate nodes within this distance (metres) of a community's
        outline.
    residential_buildings
        ``building=*`` values counted as homes (``yes`` included: inside a residential area an
        untyped building is most often housing).
    default_levels
        Storeys assumed when a building has no ``building:levels`` tag.
    floor_m2_per_person
        Residential floor area per resident, m².
    """

    centre_tags: dict = field(
        default_factory=lambda: {
            ("amenity", "community_centre"): "community",
            ("amenity", "townhall"): "other",
            ("office", "employment_agency"): "other",
        }
    )
    community_tags: tuple = (("landuse", "residential"),)
    candidate_tags: dict = field(
        default_factory=lambda: {
            ("office", "government"): "community",
            ("amenity", "library"): "community",
            ("amenity", "social_facility"): "community",
            ("amenity", "social_centre"): "community",
            ("amenity", "post_office"): "community",
        }
    )
    gate_tags: tuple = (("entrance", "*"), *(("barrier", b) for b in GATE_BARRIERS))
    gate_exclude: tuple = (
        ("entrance", "no"),
        ("entrance", "emergency"),
        ("access", "no"),
        ("locked", "yes"),
    )
    gate_distance_m: float = 1.0
    residential_buildings: tuple = (
        "yes",
        "residential",
        "apartments",
        "house",
        "detached",
        "semidetached_house",
        "terrace",
        "dormitory",
    )
    default_levels: float = 3.0
    floor_m2_per_person: float = 40.0

    def keys(self) -> tuple[str, ...]:
        """The OSM tag keys these presets read."""
        # (gate_exclude needs no key of its own: a feature's tags come whole)
        pairs = [*self.centre_tags, *self.community_tags, *self.candidate_tags, *self.gate_tags]
        return tuple(sorted({k for k, _ in pairs} | {"building"}))

    def population_method(self) -> str:
        """One sentence stating how population is estimated."""
        return (
            "estimate, not a census figure: residential floor area of the OSM buildings whose "
            f"representative point lies in the community (footprint × building:levels, "
            f"{self.default_levels:g} storeys when untagged) ÷ {self.floor_m2_per_person:g} m² "
            "per person"
        )


POPULATION_METHOD = OsmPresets().population_method()

#: keys of a presets file and the OsmPresets field each sets
_PRESET_KEYS = {
    "centres": "centre_tags",
    "communities": "community_tags",
    "candidates": "candidate_tags",
    "gates": "gate_tags",
    "gates_exclude": "gate_exclude",
    "gate_distance_m": "gate_distance_m",
    "residential_buildings": "residential_buildings",
    "default_levels": "default_levels",
    "floor_m2_per_person": "floor_m2_per_person",
}


def presets_from_file(path: str | Path) -> OsmPresets:
    """Read tag presets from a TOML or JSON file; keys left out keep their defaults.

    The file's keys: ``centres`` and ``candidates`` (tables of ``"key=value" = "type"``),
    ``communities``, ``gates`` and ``gates_exclude`` (lists of ``"key=value"``; ``"key=*"``
    for any value),
    ``gate_distance_m``, ``residential_buildings`` (list of building values),
    ``default_levels`` and ``floor_m2_per_person`` (numbers). A key given replaces the default.

    Parameters
    ----------
    path
        A ``.toml`` or ``.json`` file.

    Returns
    -------
    OsmPresets
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except FileNotFoundError as err:
        msg = f"{path}: file not found"
        raise InputDataError(msg) from err
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError, TOMLDecodeError
        fmt = "JSON" if path.suffix.lower() == ".json" else "TOML"
        msg = f"{path}: cannot read the presets as {fmt} ({err})"
        raise InputDataError(msg) from err
    if not isinstance(data, dict):
        msg = f"{path}: the presets must be a table of keys ({', '.join(_PRESET_KEYS)})"
        raise InputDataError(msg)
    unknown = sorted(set(data) - set(_PRESET_KEYS))
    if unknown:
        msg = f"{path}: unknown preset key(s) {unknown!r}; use {', '.join(_PRESET_KEYS)}"
        raise InputDataError(msg)
    changes = {}
    for key, value in data.items():
        name = _PRESET_KEYS[key]
        try:
            changes[name] = _preset_value(name, value)
        except (TypeError, ValueError) as err:
            msg = f"{path}: bad value for {key!r}: {err}"
            raise InputDataError(msg) from err
    return replace(OsmPresets(), **changes)


def _preset_value(name: str, value):
    wanted = {
        "centre_tags": (dict, 'a table of "key=value" = "type"'),
        "candidate_tags": (dict, 'a table of "key=value" = "type"'),
        "community_tags": (list, 'a list of "key=value"'),
        "gate_tags": (list, 'a list of "key=value"'),
        "gate_exclude": (list, 'a list of "key=value"'),
        "residential_buildings": (list, "a list of building=* values"),
    }
    if name in wanted and not isinstance(value, wanted[name][0]):
        msg = f"give {wanted[name][1]}"
        raise TypeError(msg)
    if name in ("centre_tags", "candidate_tags"):
        return {_tag(k): str(v) for k, v in value.items()}
    if name in ("community_tags", "gate_tags", "gate_exclude"):
        return tuple(_tag(t) for t in value)
    if name == "residential_buildings":
        return tuple(str(v) for v in value)
    number = float(value)
    limit = 100.0 if name == "gate_distance_m" else np.inf
    if not (np.isfinite(number) and 0 < number <= limit):
        bound = " up to 100" if np.isfinite(limit) else ""
        msg = f"must be a positive number{bound}, got {value!r}"
        raise ValueError(msg)
    return number


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = str(text).partition("=")
    if not sep or not key.strip() or not value.strip():
        msg = f'{text!r} is not "key=value" (use "key=*" for any value)'
        raise ValueError(msg)
    return key.strip(), value.strip()


def _matches(tags: dict, key: str, value: str) -> bool:
    return key in tags if value == "*" else tags.get(key) == value


def _point(geom):
    return geom if geom.geom_type == "Point" else geom.representative_point()


def extract_osm_layers(
    path: str | Path, *, presets: OsmPresets | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Derive editable centres, communities, candidates and gates layers from an OSM file.

    Parameters
    ----------
    path
        An .osm, .osm.bz2, .osm.gz or .osm.pbf file.
    presets
        Tag lists and population assumptions (default `OsmPresets()`).

    Returns
    -------
    dict
        `LAYER_NAMES` → WGS84 GeoDataFrame; see `extract_layers`.
    """
    presets = presets or OsmPresets()
    path = Path(path)
    features = read_tagged_features(path, presets.keys())
    layers = extract_layers(features, presets=presets, source=path.name, allow_empty=True)
    empty = [name for name, layer in layers.items() if layer.empty]
    if empty:
        warnings.warn(
            f"{path.name}: no features for the {', '.join(empty)} layer(s) by the tag presets; "
            "written empty (fill them in QGIS, or give such layers with --centres/--communities)",
            CircleWarning,
            stacklevel=2,
        )
    return layers


def extract_layers(
    features: list[dict], *, presets: OsmPresets, source: str, allow_empty: bool = False
) -> dict[str, gpd.GeoDataFrame]:
    """Centres, communities, candidates and gates from tagged OSM features.

    Parameters
    ----------
    features
        Dicts with ``osm_id``, ``tags`` and a WGS84 ``geometry``, as
        `circle.io.osm.read_tagged_features` gives.
    presets
        Tag lists and population assumptions.
    source
        Name of the data in messages.
    allow_empty
        Return empty communities and gates layers when the data has no residential areas
        (``circle extract``), instead of refusing (a coverage run needs communities).

    Returns
    -------
    dict
        WGS84 GeoDataFrames. ``centres`` and ``candidates``: ``id`` (``node/…``, ``way/…``),
        ``name``, ``type``, ``osm_tag``, point geometry (areas give their representative point).
        ``communities``: ``id``, ``name``, ``population`` (estimated, rounded; empty where no
        building is mapped), ``population_source``, ``buildings``, polygon geometry. ``gates``
        (`gates_from_features` within `presets.gate_distance_m` of a community outline):
        ``id``, ``name``, ``communities`` (ids of the communities whose outline it lies on,
        joined by ``;``; for people: ``circle coverage`` links gates to outlines by distance),
        ``osm_tag``, ``access``, point geometry.
    """
    centres: list[dict] = []
    candidates: list[dict] = []
    communities: list[dict] = []
    for f in features:
        tags, geom = f["tags"], f["geometry"]
        centre = _first_match(tags, presets.centre_tags)
        candidate = None if centre else _first_match(tags, presets.candidate_tags)
        for found, out in ((centre, centres), (candidate, candidates)):
            if found:
                (k, _), ctype = found
                out.append(
                    {
                        "id": f["osm_id"],
                        "name": tags.get("name", ""),
                        "type": ctype,
                        "osm_tag": f"{k}={tags[k]}",
                        "geometry": _point(geom),
                    }
                )
        polygonal = geom.geom_type == "MultiPolygon"
        if polygonal and any(_matches(tags, k, v) for k, v in presets.community_tags):
            communities.append({"id": f["osm_id"], "name": tags.get("name", ""), "geometry": geom})
    if not communities and not allow_empty:
        msg = (
            f"{source}: no residential areas ({_tag_list(presets.community_tags)}) in the data; "
            "give a communities layer with --communities"
        )
        raise InputDataError(msg)
    point_columns = ["id", "name", "type", "osm_tag", "geometry"]
    centres_gdf = gpd.GeoDataFrame(centres or None, columns=point_columns, crs="EPSG:4326")
    candidates_gdf = gpd.GeoDataFrame(candidates or None, columns=point_columns, crs="EPSG:4326")
    if communities:
        comm = _community_layer(communities, features, presets)
        gates = _gates_on_outlines(
            gates_from_features(features, presets=presets, source=source), comm,
            presets.gate_distance_m,
        )
    else:
        comm = gpd.GeoDataFrame(
            columns=["id", "name", "population", "population_source", "buildings", "geometry"],
            geometry="geometry", crs="EPSG:4326",
        )
        gates = gpd.GeoDataFrame(
            columns=["id", "name", "communities", "osm_tag", "access", "geometry"],
            geometry="geometry", crs="EPSG:4326",
        )
    logger.info(
        "extract: %d centres, %d communities, %d candidate sites, %d gates from %s",
        len(centres_gdf),
        len(comm),
        len(candidates_gdf),
        len(gates),
        source,
    )
    return {
        "centres": centres_gdf,
        "communities": comm,
        "candidates": candidates_gdf,
        "gates": gates,
    }


def _community_layer(
    communities: list[dict], features: list[dict], presets: OsmPresets
) -> gpd.GeoDataFrame:
    """The residential areas, named, with the population estimated from their buildings."""
    comm = gpd.GeoDataFrame(communities, crs="EPSG:4326")
    unnamed = comm["name"] == ""
    comm.loc[unnamed, "name"] = "Residential area " + comm.loc[unnamed, "id"]
    pop, count = estimate_population(comm, features, presets=presets)
    comm["population"] = pop
    comm["population_source"] = np.where(
        np.isnan(pop), "no buildings mapped", presets.population_method()
    )
    comm["buildings"] = count
    return comm[["id", "name", "population", "population_source", "buildings", "geometry"]]


def _first_match(tags: dict, table: dict):
    for (k, v), ctype in table.items():
        if _matches(tags, k, v):
            return (k, v), ctype
    return None


def gates_from_features(
    features: list[dict], *, presets: OsmPresets | None = None, source: str = "OSM"
) -> gpd.GeoDataFrame:
    """The gate and entrance nodes among tagged OSM features.

    Kept: nodes matching one of `presets.gate_tags` and none of `presets.gate_exclude`
    (defaults: ``entrance=*`` except ``no`` and ``emergency``, or ``barrier=`` one of
    `GATE_BARRIERS`; not ``access=no`` or ``locked=yes``).

    Parameters
    ----------
    features
        Tagged OSM features, as `circle.io.osm.read_tagged_features` gives.
    presets
        The gate tags (default `OsmPresets()`).
    source
        Name of the OSM data, for ``attrs["source"]``.

    Returns
    -------
    gates
        WGS84 points with ``id`` (``node/…``), ``name``, ``osm_tag`` (the matching tag) and
        ``access``; ``attrs`` name the source and mark the layer as derived from OSM.
    """
    presets = presets or OsmPresets()
    rows = []
    for f in features:
        tags = f["tags"]
        if not f["osm_id"].startswith("node/"):
            continue
        if any(_matches(tags, k, v) for k, v in presets.gate_exclude):
            continue
        gate = next(((k, v) for k, v in presets.gate_tags if _matches(tags, k, v)), None)
        if gate is None:
            continue
        rows.append(
            {
                "id": f["osm_id"],
                "name": tags.get("name", ""),
                "osm_tag": f"{gate[0]}={tags[gate[0]]}",
                "access": tags.get("access", ""),
                "geometry": f["geometry"],
            }
        )
    gates = gpd.GeoDataFrame(
        rows or None, columns=["id", "name", "osm_tag", "access", "geometry"], crs="EPSG:4326"
    )
    gates.attrs.update(
        source=f"gates derived from {source} (OSM tags)", row_label="feature", osm_derived=True
    )
    return gates


def _gates_on_outlines(
    gates: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, max_m: float
) -> gpd.GeoDataFrame:
    """The gates within `max_m` of a community outline, with those communities' ids."""
    columns = ["id", "name", "communities", "osm_tag", "access", "geometry"]
    if gates.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs="EPSG:4326")
    c = communities.geometry.representative_point().iloc[0]
    crs = local_utm_crs(c.x, c.y)
    outlines = shapely.boundary(communities.to_crs(crs).geometry.values)
    points = gates.to_crs(crs).geometry.values
    g_idx, c_idx = shapely.STRtree(outlines).query(points, predicate="dwithin", distance=max_m)
    ids = communities["id"].to_numpy()
    on: dict[int, list] = {}
    for g, c_i in zip(g_idx.tolist(), c_idx.tolist(), strict=True):
        on.setdefault(g, []).append(ids[c_i])
    keep = sorted(on)
    out = gates.iloc[keep].reset_index(drop=True)
    out["communities"] = [";".join(sorted(on[g], key=natural_key)) for g in keep]
    return out[columns]


def layers_from_osm(
    path: str | Path, *, presets: OsmPresets | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Derive the centres and communities layers from an OSM file's tags.

    Parameters
    ----------
    path
        An .osm, .osm.bz2 or .osm.pbf file.
    presets
        Tag lists and population assumptions (default `OsmPresets()`).

    Returns
    -------
    centres, communities
        See `extract_layers`.
    """
    layers = extract_osm_layers(path, presets=presets)
    return layers["centres"], layers["communities"]


def estimate_population(
    communities: gpd.GeoDataFrame, features: list[dict], *, presets: OsmPresets | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Population estimated from the residential floor area of OSM buildings in each community.

    A building counts for the community that contains its representative point; its floor area
    is footprint × ``building:levels`` (`presets.default_levels` when untagged), and the
    estimate is floor area ÷ `presets.floor_m2_per_person`, rounded.

    Parameters
    ----------
    communities
        Polygons, any CRS.
    features
        Tagged OSM features (``tags``, WGS84 ``geometry``); buildings are those whose
        ``building`` value is in `presets.residential_buildings`.
    presets
        The assumptions (default `OsmPresets()`).

    Returns
    -------
    population, buildings
        Per community: the estimate (``nan`` where no building is mapped) and the number of
        buildings counted.
    """
    presets = presets or OsmPresets()
    buildings = [
        (f["geometry"], _levels(f["tags"].get("building:levels")))
        for f in features
        if f["geometry"].geom_type == "MultiPolygon"
        and f["tags"].get("building") in presets.residential_buildings
    ]
    return _estimate_population(communities.to_crs("EPSG:4326"), buildings, presets)


def _estimate_population(
    communities: gpd.GeoDataFrame, buildings: list, presets: OsmPresets
) -> tuple[np.ndarray, np.ndarray]:
    pop = np.full(len(communities), np.nan)
    count = np.zeros(len(communities), dtype=np.int64)
    if not buildings:
        return pop, count
    c = communities.geometry.representative_point().iloc[0]
    crs = local_utm_crs(c.x, c.y)
    geoms = gpd.GeoSeries([g for g, _ in buildings], crs="EPSG:4326").to_crs(crs)
    levels = np.array([lv for _, lv in buildings], dtype=float)
    levels = np.where(np.isnan(levels), presets.default_levels, levels)
    floor = geoms.area.to_numpy() * levels
    points = geoms.representative_point()
    areas = communities.geometry.to_crs(crs)
    tree = shapely.STRtree(areas.values)
    b_idx, a_idx = tree.query(points.values, predicate="within")
    sums = np.bincount(a_idx, weights=floor[b_idx], minlength=len(communities))
    count = np.bincount(a_idx, minlength=len(communities))
    has = count > 0
    pop[has] = np.round(sums[has] / presets.floor_m2_per_person)
    return pop, count


def _levels(value: str | None) -> float:
    if not value:
        return np.nan
    m = re.match(r"\s*(\d+(?:\.\d+)?)", value)
    return float(m.group(1)) if m else np.nan


def _tag_list(tags) -> str:
    return ", ".join(f"{k}={v}" for k, v in tags)
