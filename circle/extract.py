"""Layers derived from an OSM file's tags: service centres, residential communities, population estimate."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .errors import InputDataError
from .network import local_utm_crs
from .osm import read_tagged_features

__all__ = ["OsmPresets", "POPULATION_METHOD", "layers_from_osm"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OsmPresets:
    """Which OSM tags make centres and communities, and how population is estimated.

    Parameters
    ----------
    centre_tags
        ``(key, value) -> centre type``. Defaults: community centres (``amenity=community_centre``)
        are where a community employment station sits (type ``community``); town halls
        (``amenity=townhall``) and job centres (``office=employment_agency``) are public service
        points (type ``other``).
    community_tags
        ``(key, value)`` pairs of residential areas (default ``landuse=residential``).
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

    def population_method(self) -> str:
        """One sentence stating how population is estimated."""
        return (
            "estimate, not a census figure: residential floor area of the OSM buildings whose "
            f"representative point lies in the community (footprint × building:levels, "
            f"{self.default_levels:g} storeys when untagged) ÷ {self.floor_m2_per_person:g} m² "
            "per person"
        )


POPULATION_METHOD = OsmPresets().population_method()


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
        WGS84 GeoDataFrames. Centres: ``id`` (``node/…``, ``way/…``), ``name``, ``type``,
        ``osm_tag``, point geometry (areas give their representative point). Communities:
        ``id``, ``name``, ``population`` (estimated, rounded; empty where no building is
        mapped), ``population_source``, ``buildings``, polygon geometry.
    """
    presets = presets or OsmPresets()
    path = Path(path)
    keys = tuple(
        sorted(
            {k for k, _ in presets.centre_tags}
            | {k for k, _ in presets.community_tags}
            | {"building"}
        )
    )
    features = read_tagged_features(path, keys)
    centres, communities, buildings = [], [], []
    for f in features:
        tags = f["tags"]
        for (k, v), ctype in presets.centre_tags.items():
            if tags.get(k) == v:
                centres.append(
                    {
                        "id": f["osm_id"],
                        "name": tags.get("name", ""),
                        "type": ctype,
                        "osm_tag": f"{k}={v}",
                        "geometry": f["geometry"].representative_point()
                        if f["geometry"].geom_type != "Point"
                        else f["geometry"],
                    }
                )
                break
        polygonal = f["geometry"].geom_type == "MultiPolygon"
        if polygonal and any(tags.get(k) == v for k, v in presets.community_tags):
            communities.append(
                {"id": f["osm_id"], "name": tags.get("name", ""), "geometry": f["geometry"]}
            )
        if polygonal and tags.get("building") in presets.residential_buildings:
            buildings.append((f["geometry"], _levels(tags.get("building:levels"))))
    if not communities:
        msg = (
            f"{path}: no residential areas ({_tag_list(presets.community_tags)}) in the file; "
            "give a communities layer with --communities"
        )
        raise InputDataError(msg)
    centres_gdf = gpd.GeoDataFrame(
        centres or None, columns=["id", "name", "type", "osm_tag", "geometry"], crs="EPSG:4326"
    )
    comm = gpd.GeoDataFrame(communities, crs="EPSG:4326")
    for i, row in comm.iterrows():
        if not row["name"]:
            comm.at[i, "name"] = f"Residential area {row['id']}"
    pop, count = _estimate_population(comm, buildings, presets)
    comm["population"] = pop
    comm["population_source"] = np.where(
        np.isnan(pop), "no buildings mapped", presets.population_method()
    )
    comm["buildings"] = count
    comm = comm[["id", "name", "population", "population_source", "buildings", "geometry"]]
    logger.info(
        "extract: %d centres and %d residential communities from %s",
        len(centres_gdf),
        len(comm),
        path.name,
    )
    return centres_gdf, comm


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
