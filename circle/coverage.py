"""Coverage: every community's walk to its nearest centre, its status and band, and the summary numbers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ._validate import natural_key, validate_layer
from .config import DEFAULT_CONFIG, CircleConfig
from .engine import NearestResult, nearest_centres, nearest_centres_networkx
from .errors import InputDataError, NetworkError
from .network import WalkNetwork
from .snap import Snapped, build_search_graph, snap_points

__all__ = [
    "COLUMNS",
    "STATUS_BEYOND_LIMIT",
    "STATUS_OFF_NETWORK",
    "STATUS_OK",
    "STATUS_UNREACHABLE",
    "CoverageResult",
    "coverage_report",
    "prepare_layer",
    "summarise",
]

logger = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_OFF_NETWORK = "off_network"
STATUS_UNREACHABLE = "unreachable"
STATUS_BEYOND_LIMIT = "beyond_limit"

#: per-community output columns, in order (geometry last)
COLUMNS = [
    "community_id",
    "name",
    "population",
    "population_source",
    "nearest_centre_id",
    "nearest_centre_name",
    "nearest_centre_type",
    "walk_m",
    "walk_min",
    "covered",
    "band_min",
    "snap_m",
    "status",
]
CENTRE_COLUMNS = ["centre_id", "name", "type", "snap_m", "status"]


@dataclass(frozen=True)
class CoverageResult:
    """The outcome of a coverage run.

    Attributes
    ----------
    table
        One row per community (columns `COLUMNS` + geometry, in the network's CRS), sorted by
        community id.
    centres
        One row per centre (`CENTRE_COLUMNS` + point geometry), sorted by centre id.
    config
        The run parameters.
    sources
        Provenance of the network and of both layers.
    """

    table: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    config: CircleConfig
    sources: dict = field(default_factory=dict)


def prepare_layer(
    layer: gpd.GeoDataFrame, network: WalkNetwork, *, kind: str
) -> tuple[gpd.GeoDataFrame, np.ndarray, int]:
    """Validate a layer, sort it by id and project it to the network's CRS.

    Parameters
    ----------
    layer
        Centres, communities or candidates, as read by `circle.io.read_layer` or built in code.
    network
        The walking network (gives the CRS).
    kind
        {"centres", "communities", "candidates"}

    Returns
    -------
    layer, xy, repaired
        The validated layer in the network's CRS (sorted by id, index reset), the coordinates of
        each feature's representative point (inside its polygon), and the number of repaired
        geometries.
    """
    source = layer.attrs.get("source", f"{kind} layer")
    row_label = layer.attrs.get("row_label", "row")
    if layer.crs is None:
        msg = f"{source}: the {kind} layer has no CRS; set one (e.g. layer.set_crs('EPSG:4326'))"
        raise InputDataError(msg)
    checked, repaired = validate_layer(layer, kind=kind, source=source, row_label=row_label)
    checked = checked.to_crs(network.crs)
    keys = [natural_key(i) for i in checked["id"].tolist()]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    checked = checked.iloc[order].reset_index(drop=True)
    checked.attrs.update(layer.attrs)
    pts = shapely.point_on_surface(checked.geometry.values)
    xy = shapely.get_coordinates(pts)
    return checked, xy, repaired


def _check_on_network(
    layer: gpd.GeoDataFrame,
    original: gpd.GeoDataFrame,
    snapped: Snapped,
    network: WalkNetwork,
    config: CircleConfig,
    kind: str,
) -> None:
    if snapped.on_network.any():
        return
    source = layer.attrs.get("source", f"{kind} layer")
    hint = "check the coordinates and CRS, or raise --max-snap-m"
    if original.crs is not None and original.crs.is_geographic:
        # would the points land on the network with longitude and latitude exchanged?
        ll = shapely.get_coordinates(
            shapely.point_on_surface(original.to_crs("EPSG:4326").geometry.values)
        )
        swapped = ll[:, ::-1]
        if (np.abs(swapped[:, 1]) <= 90).all():
            t = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
            sx, sy = t.transform(swapped[:, 0], swapped[:, 1])
            if snap_points(
                network, np.column_stack([sx, sy]), max_snap_m=config.max_snap_m
            ).on_network.any():
                hint = (
                    "longitude and latitude look swapped (with them exchanged the points fall on "
                    "the network): put longitude first or name the columns with "
                    "--lon-column/--lat-column"
                )
                raise InputDataError(f"{source}: no {kind} within the network; {hint}")
    where = network.source.get("file", "the network")
    msg = (
        f"{source}: none of the {len(layer)} {kind} is within max_snap_m={config.max_snap_m:g} m "
        f"of the walking network of {where}; {hint}"
    )
    raise NetworkError(msg)


def coverage_report(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
    engine: Literal["scipy", "networkx"] = "scipy",
) -> CoverageResult:
    """Walk from every community to its nearest centre, and whether it is within the circle.

    Parameters
    ----------
    communities
        Polygons or points with ``id`` (``name``, ``population``, ``population_source``
        optional). Walks start at each polygon's representative point.
    centres
        Points or polygons with ``id`` (``name``, ``type`` optional).
    network
        The walking network.
    config
        Speed, thresholds, snapping and search limits.
    engine
        {"scipy", "networkx"} The fast array search (default) or the networkx reference.

    Returns
    -------
    CoverageResult
        ``table`` holds, per community: ``walk_m`` (access leg + network + centre's access leg),
        ``walk_min``, ``covered`` (walk time ≤ the largest threshold), ``band_min`` (smallest
        threshold met), ``snap_m`` and ``status`` (ok, off_network, unreachable,
        beyond_limit).
    """
    comm, comm_xy, comm_repaired = prepare_layer(communities, network, kind="communities")
    cent, cent_xy, cent_repaired = prepare_layer(centres, network, kind="centres")
    comm_snap = snap_points(network, comm_xy, max_snap_m=config.max_snap_m)
    cent_snap = snap_points(network, cent_xy, max_snap_m=config.max_snap_m)
    _check_on_network(cent, centres, cent_snap, network, config, "centres")
    _check_on_network(comm, communities, comm_snap, network, config, "communities")

    if engine == "scipy":
        graph = build_search_graph(network, cent_snap, comm_snap)
        cent_nodes, comm_nodes = graph.point_node
        nearest = nearest_centres(
            graph,
            cent_nodes,
            cent_snap.snap_m,
            comm_nodes,
            comm_snap.snap_m,
            limit_m=config.search_limit_m,
        )
    elif engine == "networkx":
        nearest = nearest_centres_networkx(
            network, cent_snap, comm_snap, limit_m=config.search_limit_m
        )
    else:
        msg = f"`engine` must be 'scipy' or 'networkx', got {engine!r}"
        raise ValueError(msg)

    table = _community_table(comm, cent, comm_snap, cent_snap, nearest, network, config)
    centre_table = gpd.GeoDataFrame(
        {
            "centre_id": cent["id"],
            "name": cent["name"],
            "type": cent["type"],
            "snap_m": cent_snap.snap_m,
            "status": np.where(cent_snap.on_network, STATUS_OK, STATUS_OFF_NETWORK),
        },
        geometry=gpd.GeoSeries(shapely.points(cent_xy), crs=network.crs),
    )
    sources = {
        "network": dict(network.source),
        "centres": {
            "file": centres.attrs.get("source", "centres layer"),
            "features": len(cent),
            "repaired_geometries": cent_repaired,
        },
        "communities": {
            "file": communities.attrs.get("source", "communities layer"),
            "features": len(comm),
            "repaired_geometries": comm_repaired,
        },
    }
    counts = table["status"].value_counts().to_dict()
    logger.info(
        "coverage: %d communities, %d covered within %g min; statuses %s",
        len(table),
        int(table["covered"].sum()),
        config.threshold_min,
        counts,
    )
    return CoverageResult(table=table, centres=centre_table, config=config, sources=sources)


def _community_table(
    comm: gpd.GeoDataFrame,
    cent: gpd.GeoDataFrame,
    comm_snap: Snapped,
    cent_snap: Snapped,
    nearest: NearestResult,
    network: WalkNetwork,
    config: CircleConfig,
) -> gpd.GeoDataFrame:
    walk = nearest.walk_m
    found = np.isfinite(walk)
    # statuses: off the network, no centre in its connected piece, or beyond the search limit
    comp = network.component
    usable_comps = set(comp[network.edge_u[cent_snap.edge[cent_snap.on_network]]].tolist())
    comm_comp = np.where(
        comm_snap.on_network, comp[network.edge_u[np.maximum(comm_snap.edge, 0)]], -1
    )
    status = np.full(len(comm), STATUS_OK, dtype=object)
    status[~found] = STATUS_BEYOND_LIMIT
    status[~found & ~np.isin(comm_comp, list(usable_comps))] = STATUS_UNREACHABLE
    status[~comm_snap.on_network] = STATUS_OFF_NETWORK

    walk_min = np.where(found, walk / (60.0 * config.walk_speed_mps), np.nan)
    bands = np.array(config.thresholds_min)
    # compare in metres, the unit of the search, so a walk exactly on a threshold is covered
    band_m = np.array([config.minutes_to_metres(b) for b in bands])
    met = found[:, None] & (walk[:, None] <= band_m[None, :] + 1e-9)
    band_min = np.where(met.any(axis=1), bands[np.argmax(met, axis=1)], np.nan)
    idx = nearest.centre
    has = idx >= 0

    def centre_col(col: str) -> np.ndarray:
        values = np.full(len(comm), None, dtype=object)
        values[has] = cent[col].to_numpy()[idx[has]]
        return values

    if "population" in comm.columns:
        population = comm["population"].to_numpy(float)
        if "population_source" in comm.columns:
            pop_source = comm["population_source"].fillna("").astype(str).to_numpy()
        else:
            pop_source = np.where(
                np.isnan(population), "", f"column 'population' of {comm.attrs.get('source')}"
            )
    else:
        population = np.full(len(comm), np.nan)
        pop_source = np.full(len(comm), "", dtype=object)
    table = gpd.GeoDataFrame(
        {
            "community_id": comm["id"].to_numpy(),
            "name": comm["name"].to_numpy(),
            "population": population,
            "population_source": pop_source,
            "nearest_centre_id": centre_col("id"),
            "nearest_centre_name": centre_col("name"),
            "nearest_centre_type": centre_col("type"),
            "walk_m": np.where(found, walk, np.nan),
            "walk_min": walk_min,
            "covered": met[:, -1],
            "band_min": band_min,
            "snap_m": comm_snap.snap_m,
            "status": status,
        },
        geometry=comm.geometry.values,
        crs=network.crs,
    )
    return table


def summarise(result: CoverageResult, *, top: int | None = None) -> dict:
    """The summary numbers of a coverage run, JSON-ready.

    Shares are of all communities (and of all population), off-network ones included.

    Parameters
    ----------
    result
        A coverage result.
    top
        Keep only this many uncovered communities (largest population first); all by default.

    Returns
    -------
    dict
        ``parameters``, ``data`` (provenance), ``communities`` (counts by status),
        ``population`` (total, sources), ``thresholds`` (covered count, share, population per
        band), ``by_centre_type`` and ``uncovered`` (ranked by population).
    """
    t = result.table
    cfg = result.config
    pop = t["population"].to_numpy(float)
    has_pop = bool(np.isfinite(pop).any())
    total_pop = float(np.nansum(pop)) if has_pop else None
    n = len(t)

    def share(a: float, b: float | None) -> float | None:
        return round(a / b, 4) if b else None

    bands = []
    for minutes in cfg.thresholds_min:
        inside = (t["band_min"] <= minutes).to_numpy()
        covered_pop = float(np.nansum(pop[inside])) if has_pop else None
        bands.append(
            {
                "minutes": minutes,
                "walk_m": round(cfg.minutes_to_metres(minutes), 1),
                "communities_covered": int(inside.sum()),
                "communities_share": share(int(inside.sum()), n),
                "population_covered": covered_pop,
                "population_share": share(covered_pop, total_pop) if has_pop else None,
            }
        )
    by_type = []
    cent = result.centres
    covered = t["covered"].to_numpy()
    for ctype in sorted(set(cent["type"])):
        served = covered & (t["nearest_centre_type"] == ctype).to_numpy()
        by_type.append(
            {
                "type": ctype,
                "centres": int((cent["type"] == ctype).sum()),
                "centres_on_network": int(
                    ((cent["type"] == ctype) & (cent["status"] == STATUS_OK)).sum()
                ),
                "communities_covered": int(served.sum()),
                "population_covered": float(np.nansum(pop[served])) if has_pop else None,
            }
        )
    # uncovered: largest population first (unknown last), then by community id
    rows = np.flatnonzero(~covered)
    ids = t["community_id"].to_numpy()[rows].tolist()
    unc_pop = np.nan_to_num(pop[rows], nan=-1.0).tolist()
    keys = [(-p, natural_key(i)) for p, i in zip(unc_pop, ids)]
    rank = sorted(range(len(rows)), key=keys.__getitem__)[:top]
    rows = rows[np.array(rank, dtype=np.int64)]
    columns = {c: t[c].to_numpy()[rows].tolist() for c in ("community_id", "name", "population",
                                                           "walk_min", "status",
                                                           "nearest_centre_id")}
    uncovered = [
        {
            "community_id": cid,
            "name": name,
            "population": _num(p),
            "walk_min": _num(w, 2),
            "status": status,
            "nearest_centre_id": centre,
        }
        for cid, name, p, w, status, centre in zip(*columns.values())
    ]
    statuses = t["status"].value_counts()
    return {
        "title": "15-minute employment circle: coverage",
        "parameters": cfg.as_dict(),
        "data": result.sources,
        "communities": {
            "total": n,
            "by_status": {
                s: int(statuses.get(s, 0))
                for s in (STATUS_OK, STATUS_BEYOND_LIMIT, STATUS_UNREACHABLE, STATUS_OFF_NETWORK)
            },
        },
        "centres": {
            "total": len(cent),
            "off_network": sorted(
                cent.loc[cent["status"] != STATUS_OK, "centre_id"].tolist(), key=natural_key
            ),
        },
        "population": {
            "available": has_pop,
            "total": total_pop,
            "communities_without_population": int(np.isnan(pop).sum()),
            "sources": sorted({s for s in t["population_source"] if s}),
        },
        "thresholds": bands,
        "by_centre_type": by_type,
        "uncovered": uncovered,
    }


def _num(x, digits: int = 1):
    if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x):
        return None
    return round(float(x), digits)
