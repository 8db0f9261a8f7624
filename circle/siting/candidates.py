"""Candidate sites for new centres: from a file, from OSM tags, on a grid over the streets."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import ConfigError
from ..io.columns import LayerColumns
from ..io.db import is_db_url, mask_url
from ..io.files import read_layer
from ..io.osm import OSM_SUFFIXES, read_tagged_features
from ..network.walk import WalkNetwork
from .tags import CANDIDATE_TAGS, DEFAULT_GRID_SPACING_M

__all__ = [
    "CANDIDATE_TAGS",
    "DEFAULT_GRID_SPACING_M",
    "candidates_from_osm",
    "candidates_on_grid",
    "check_candidate_sources",
    "combine_candidates",
    "gather_candidates",
]

logger = logging.getLogger(__name__)

def candidates_from_osm(
    path: str | Path,
    *,
    tags: dict[tuple[str, str], str] | None = None,
    exclude_ids=(),
) -> gpd.GeoDataFrame:
    """Candidate sites from an OSM file's tagged features (points and areas).

    Parameters
    ----------
    path
        An .osm, .osm.bz2 or .osm.pbf file (typically the network's own file).
    tags
        ``(key, value) -> centre type``; default `CANDIDATE_TAGS`. A feature matching several
        takes the type of the first.
    exclude_ids
        Feature ids to leave out (``"node/…"``, ``"way/…"``): the existing centres when they
        come from the same file, since a centre cannot be its own new site.

    Returns
    -------
    candidates
        WGS84 points with ``id`` (``node/…``, ``way/…``, ``relation/…``), ``name``, ``type`` and
        ``osm_tag``; areas and cut outlines give a point on themselves. Empty when nothing
        matches.
    """
    tags = CANDIDATE_TAGS if tags is None else tags
    path = Path(path)
    keys = tuple(sorted({k for k, _ in tags}))
    exclude = set(exclude_ids)
    rows = []
    for f in read_tagged_features(path, keys):
        if f["osm_id"] in exclude:
            continue
        match = next(((k, v) for k, v in tags if f["tags"].get(k) == v), None)
        if match is None:
            continue
        geom = f["geometry"]
        rows.append(
            {
                "id": f["osm_id"],
                "name": f["tags"].get("name", ""),
                "type": tags[match],
                "osm_tag": f"{match[0]}={match[1]}",
                "geometry": geom if geom.geom_type == "Point" else geom.representative_point(),
            }
        )
    out = gpd.GeoDataFrame(
        rows or None, columns=["id", "name", "type", "osm_tag", "geometry"], crs="EPSG:4326"
    )
    out.attrs["source"] = f"candidates derived from {path.name} (OSM tags)"
    out.attrs["row_label"] = "feature"
    logger.info("candidates: %d OSM features of %s", len(out), path.name)
    return out


def candidates_on_grid(
    network: WalkNetwork, spacing_m: float = DEFAULT_GRID_SPACING_M
) -> gpd.GeoDataFrame:
    """Candidate sites spread over the street network: one street node per square cell.

    The plane is cut into `spacing_m` squares aligned on multiples of `spacing_m` in the
    network's CRS; every square holding street nodes gives one candidate, the node nearest the
    square's centre (the lowest node position on a tie). The result depends on the network only.

    Parameters
    ----------
    network
        The walking network.
    spacing_m
        Side of the squares, metres (default `DEFAULT_GRID_SPACING_M`).

    Returns
    -------
    candidates
        Points in the network's CRS with ``id`` ``grid/<node id>``, ``name`` and ``type``
        (``other``).
    """
    if not (isinstance(spacing_m, (int, float)) and math.isfinite(spacing_m) and spacing_m > 0):
        msg = f"`spacing_m` (--candidates-grid-m) must be > 0 metres, got {spacing_m!r}"
        raise ConfigError(msg)
    xy = network.xy
    cell = np.floor(xy / spacing_m)
    d = np.hypot(*(xy - (cell + 0.5) * spacing_m).T)
    order = np.lexsort((np.arange(len(xy)), d, cell[:, 1], cell[:, 0]))
    first = np.r_[True, (np.diff(cell[order], axis=0) != 0).any(axis=1)]
    pick = np.sort(order[first])
    node_ids = network.node_ids[pick]
    out = gpd.GeoDataFrame(
        {
            "id": [f"grid/{n}" for n in node_ids],
            "name": [f"street node {n}" for n in node_ids],
            "type": "other",
        },
        geometry=shapely.points(xy[pick]),
        crs=network.crs,
    )
    out.attrs["source"] = f"street-network grid every {spacing_m:g} m"
    out.attrs["row_label"] = "site"
    logger.info("candidates: %d grid sites every %g m", len(out), spacing_m)
    return out


def combine_candidates(*layers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidates from several sources (a file, OSM tags, the grid) as one layer.

    Parameters
    ----------
    *layers
        Candidate layers, each with ``id`` (``name``, ``type`` optional) and a CRS.

    Returns
    -------
    candidates
        One WGS84 layer with ``id``, ``name``, ``type`` and ``geometry``, the sources named
        together in ``attrs["source"]``. Ids must stay unique across the sources.
    """
    if len(layers) == 1:
        return layers[0]
    parts = [
        layer[[c for c in ("id", "name", "type") if c in layer.columns] + ["geometry"]].to_crs(
            "EPSG:4326"
        )
        for layer in layers
    ]
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    out.attrs["source"] = " + ".join(layer.attrs.get("source", "candidates") for layer in layers)
    out.attrs["row_label"] = "candidate"
    return out


def check_candidate_sources(
    network_source: str | Path,
    *,
    candidates_file: str | Path | None = None,
    from_osm: bool = False,
    tags: dict[tuple[str, str], str] | None = None,
    grid_m: float | None = None,
) -> bool:
    """Check the candidate sources asked for (before any reading), as `gather_candidates`.

    Returns
    -------
    bool
        Whether candidates come from the network's OSM tags (asked for, implied by `tags`, or
        the default when no source is given).

    Raises
    ------
    ConfigError
        OSM candidates asked for (or implied) but the network is not an OSM file.
    """
    from_osm = from_osm or tags is not None or not (candidates_file or grid_m)
    source = str(network_source)
    if from_osm and (is_db_url(source) or not Path(source).name.lower().endswith(OSM_SUFFIXES)):
        label = mask_url(source) if is_db_url(source) else Path(source).name
        msg = (
            f"{label}: a .graphml or database network has no tags to take candidate sites "
            "from; give --candidates FILE or --candidates-grid-m SPACING"
        )
        raise ConfigError(msg)
    return from_osm


def gather_candidates(
    network_source: str | Path,
    network: WalkNetwork,
    centres: gpd.GeoDataFrame,
    *,
    candidates_file: str | Path | None = None,
    from_osm: bool = False,
    tags: dict[tuple[str, str], str] | None = None,
    grid_m: float | None = None,
    columns: LayerColumns | None = None,
    layer_crs: str | None = None,
    datum: str = "wgs84",
) -> gpd.GeoDataFrame:
    """Candidate sites from every source asked for, as one layer.

    Parameters
    ----------
    network_source
        The network's file (or database URL): OSM candidates come from its tags.
    network
        The walking network (for grid candidates).
    centres
        The existing centres: an OSM feature that is already a centre is not a candidate.
    candidates_file
        A layer of candidate sites (read with `circle.io.read_layer`).
    from_osm
        Take candidates from the network file's OSM tags; also when `tags` are given, and
        the default when no source is given at all.
    tags
        ``(key, value) -> centre type`` instead of `CANDIDATE_TAGS`.
    grid_m
        Spacing of grid candidates (`candidates_on_grid`), metres; None for none.
    columns, layer_crs, datum
        How to read `candidates_file`, as for `circle.io.read_layer`.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates (`combine_candidates`).

    Raises
    ------
    ConfigError
        OSM candidates asked for (or implied) but the network is not an OSM file.
    """
    from_osm = check_candidate_sources(
        network_source,
        candidates_file=candidates_file,
        from_osm=from_osm,
        tags=tags,
        grid_m=grid_m,
    )
    source = str(network_source)
    layers = []
    if candidates_file:
        layers.append(
            read_layer(
                candidates_file,
                columns=columns or LayerColumns(),
                crs=layer_crs,
                kind="candidates",
                datum=datum,
            )
        )
    if from_osm:
        centre_ids = {str(i) for i in centres["id"]}
        layers.append(candidates_from_osm(source, tags=tags, exclude_ids=centre_ids))
    if grid_m:
        layers.append(candidates_on_grid(network, grid_m))
    return combine_candidates(*layers)
