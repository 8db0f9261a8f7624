"""Coverage: every community's walk to its nearest centre, its status and band, and the summary
numbers."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._progress import steps
from .._validate import natural_key, natural_order
from ..config import DEFAULT_CONFIG, CircleConfig, get_profile, profile_for_speed
from ..io.population import POPULATION_NONE
from ..network.datum_check import check_datum
from ..network.engine import NearestResult, nearest_centres, nearest_centres_networkx
from ..network.gates import StartWalks, link_gates, walk_through_gates
from ..network.snap import Snapped, build_search_graph, concat_snapped, snap_points
from ..network.walk import WalkNetwork
from .areas import AREA_COLUMN
from .capacity import CapacityResult, capacity_summary
from .equity import equity_section
from .groups import group_coverage, resolve_group_columns
from .layers import check_on_network, prepare_layer
from .rural import rural_sections

__all__ = [
    "COLUMNS",
    "STATUS_BEYOND_LIMIT",
    "STATUS_OFF_NETWORK",
    "STATUS_OK",
    "STATUS_UNREACHABLE",
    "UNASSIGNED_AREA",
    "CoverageResult",
    "PreparedCoverage",
    "coverage_report",
    "finish_coverage",
    "prepare_coverage",
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
    "via_gate",
]
#: the roll-up row of communities in no area
UNASSIGNED_AREA = "(no area)"
#: uncovered communities named per area in the roll-up
WORST_GAPS = 3


@dataclass(frozen=True)
class CoverageResult:
    """The outcome of a coverage run.

    Attributes
    ----------
    table
        One row per community (columns `COLUMNS`, the group columns, geometry, in the network's
        CRS), sorted by community id.
    centres
        One row per centre (``centre_id``, ``name``, ``type``, ``snap_m``, ``status``, point
        geometry), sorted by centre id.
    config
        The run parameters.
    sources
        Provenance of the network, of both layers and of the gates.
    groups
        The key-group count columns of `table` (after `COLUMNS`).
    capacity
        Capacity measures (`circle.coverage.capacity.capacity_analysis`), or ``None``.
    equity
        Whether the summary measures equity (always with a capacity).
    denominators
        Coverage by population, residential buildings and land
        (`circle.coverage.equity.denominators`), or ``None``.
    hours
        The centres counted by their opening hours and the coverage at each time
        (`circle.coverage.rural`), or ``None``.
    """

    table: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    config: CircleConfig
    sources: dict = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    capacity: CapacityResult | None = None
    equity: bool = False
    denominators: dict | None = None
    hours: dict | None = None


@dataclass(frozen=True)
class PreparedCoverage:
    """Validated layers snapped to the network: everything a coverage search starts from.

    Attributes
    ----------
    communities, centres
        The validated layers in the network's CRS, sorted by id (see `prepare_layer`).
    community_snap, centre_snap
        Where each community and centre joins the network.
    community_xy, centre_xy
        Representative point of each community and centre (network CRS).
    sources
        Provenance of the network and of both layers.
    targets
        The search's targets: the communities, then the gates (when there are gates).
    gates
        Gates linked to their communities, and where they join the network (or ``None``).
    groups
        The key-group count columns of the communities.
    """

    communities: gpd.GeoDataFrame
    centres: gpd.GeoDataFrame
    community_snap: Snapped
    centre_snap: Snapped
    community_xy: np.ndarray
    centre_xy: np.ndarray
    sources: dict
    targets: Snapped
    gates: tuple | None = None
    groups: tuple[str, ...] = ()


def prepare_coverage(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
    gates: gpd.GeoDataFrame | None = None,
    groups: tuple[str, ...] | list[str] | None = None,
) -> PreparedCoverage:
    """Validate both layers (and gates) and snap them to the network: the first half of
    `coverage_report`.

    Parameters
    ----------
    communities, centres, gates, groups
        As for `coverage_report`.
    network
        The walking network.
    config
        Gives ``max_snap_m`` and ``gate_tolerance_m``.

    Returns
    -------
    PreparedCoverage
    """
    group_columns = resolve_group_columns(
        communities, groups, reserved=("id", *COLUMNS, "geometry")
    )
    comm, comm_xy, comm_repaired = prepare_layer(communities, network, kind="communities")
    cent, cent_xy, cent_repaired = prepare_layer(centres, network, kind="centres")
    check_datum(comm, network, kind="communities")
    check_datum(cent, network, kind="centres")
    comm_snap = snap_points(
        network, comm_xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
    )
    cent_snap = snap_points(
        network, cent_xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
    )
    linked = None
    targets = comm_snap
    if gates is not None:
        links = link_gates(gates, comm, comm_xy, network, tolerance_m=config.gate_tolerance_m)
        gate_snap = snap_points(
            network, links.xy, max_snap_m=config.max_snap_m, slack_m=config.access_slack_m,
        )
        linked = (links, gate_snap)
        # one search for both: communities first, then gates
        targets = concat_snapped(comm_snap, gate_snap)
    check_on_network(cent, centres, cent_snap, network, config, "centres")
    check_on_network(comm, communities, targets, network, config, "communities")
    sources = {
        "network": dict(network.source),
        "centres": {
            "file": centres.attrs.get("source", "centres layer"),
            "datum": centres.attrs.get("datum", "wgs84"),
            "features": len(cent),
            "repaired_geometries": cent_repaired,
            "snapped_off_surface": cent_snap.n_off_surface,
        },
        "communities": {
            "file": communities.attrs.get("source", "communities layer"),
            "datum": communities.attrs.get("datum", "wgs84"),
            "features": len(comm),
            "repaired_geometries": comm_repaired,
            "snapped_off_surface": comm_snap.n_off_surface,
        },
    }
    if "areas" in communities.attrs:
        sources["communities"]["areas"] = communities.attrs["areas"]
    return PreparedCoverage(
        comm, cent, comm_snap, cent_snap, comm_xy, cent_xy, sources, targets, linked,
        group_columns,
    )


def coverage_report(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
    engine: Literal["scipy", "networkx"] = "scipy",
    gates: gpd.GeoDataFrame | None = None,
    groups: tuple[str, ...] | list[str] | None = None,
) -> CoverageResult:
    """Walk from every community to its nearest centre, and whether it is within the circle.

    Parameters
    ----------
    communities
        Polygons or points with ``id`` (``name``, ``population``, ``population_source``
        optional, and key-group count columns). Walks start at each polygon's representative
        point, or at its best gate.
    centres
        Points or polygons with ``id`` (``name``, ``type`` optional).
    network
        The walking network.
    config
        Speed, thresholds, snapping and search limits, gate tolerance.
    engine
        {"scipy", "networkx"} The fast array search (default) or the networkx reference.
    gates
        Gates of gated compounds (points with ``id``, optionally ``community_id``): a
        community with gates walks from its best gate (`circle.network.gates`). ``None``: no gates.
    groups
        Key-group count columns of `communities` (``None``: those of
        `circle.coverage.groups.DEFAULT_GROUP_COLUMNS` that are present).

    Returns
    -------
    CoverageResult
        ``table`` holds, per community: ``walk_m`` (inside walk to the gate, if any + access
        leg + network + centre's access leg), ``walk_min``, ``covered`` (walk time ≤ the largest
        threshold), ``band_min`` (smallest threshold met), ``snap_m``, ``status`` (ok,
        off_network, unreachable, beyond_limit), ``via_gate`` and the group columns.
    """
    if engine not in ("scipy", "networkx"):
        msg = f"`engine` must be 'scipy' or 'networkx', got {engine!r}"
        raise ValueError(msg)
    with steps("coverage", ("snapping", "searching", "table")) as start:
        start("snapping")
        prepared = prepare_coverage(
            communities, centres, network, config=config, gates=gates, groups=groups
        )
        cent_snap, targets = prepared.centre_snap, prepared.targets
        start("searching")
        if engine == "scipy":
            graph = build_search_graph(network, cent_snap, targets)
            cent_nodes, target_nodes = graph.point_node
            nearest = nearest_centres(
                graph,
                cent_nodes,
                cent_snap.snap_m,
                target_nodes,
                targets.snap_m,
                limit_m=config.search_limit_m,
            )
        else:
            nearest = nearest_centres_networkx(
                network, cent_snap, targets, limit_m=config.search_limit_m
            )
        start("table")
        return finish_coverage(prepared, nearest, network, config=config)


def finish_coverage(
    prepared: PreparedCoverage,
    nearest: NearestResult,
    network: WalkNetwork,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
) -> CoverageResult:
    """Turn the nearest centre of every target into the coverage result (the second half).

    Statuses come from the whole `network`'s connected pieces, so a partitioned run that
    searched cut parts of the network still tells `unreachable` from `beyond_limit` as the
    single-process run does.

    Parameters
    ----------
    prepared
        The snapped layers, from `prepare_coverage`.
    nearest
        Walk and centre rank of every target, in the order of ``prepared.targets``
        (communities, then gates).
    network
        The whole walking network.
    config
        The run parameters.

    Returns
    -------
    CoverageResult
    """
    walks, sources = _start_walks(prepared, nearest, network, config)
    table = _community_table(
        prepared.communities, prepared.centres, walks, network, config, prepared.groups
    )
    centre_table = _centre_table(prepared, network)
    counts = table["status"].value_counts().to_dict()
    logger.info(
        "coverage: %d communities, %d covered within %g min; statuses %s",
        len(table),
        int(table["covered"].sum()),
        config.threshold_min,
        counts,
    )
    return CoverageResult(
        table=table, centres=centre_table, config=config, sources=sources, groups=prepared.groups
    )


def _start_walks(
    prepared: PreparedCoverage, nearest: NearestResult, network: WalkNetwork, config: CircleConfig
) -> tuple[StartWalks, dict]:
    """Each community's walk (through a gate when that is shorter), and the sources' record."""
    cent_snap, targets, comm_snap = prepared.centre_snap, prepared.targets, prepared.community_snap
    # a start can reach a centre only in a piece of network that holds one
    comp = network.component
    usable = np.unique(comp[network.edge_u[cent_snap.edge[cent_snap.on_network]]])
    reachable = targets.on_network & np.isin(
        comp[network.edge_u[np.maximum(targets.edge, 0)]], usable
    )
    n = len(prepared.communities)
    walks = StartWalks(
        walk_m=nearest.walk_m[:n],
        centre=nearest.centre[:n],
        snap_m=comm_snap.snap_m,
        on_network=comm_snap.on_network,
        reachable=reachable[:n],
        via_gate=np.full(n, "", dtype=object),
    )
    sources = dict(prepared.sources)
    if prepared.gates is not None:
        links, gate_snap = prepared.gates
        walks = walk_through_gates(
            walks,
            links,
            nearest.walk_m[n:],
            nearest.centre[n:],
            gate_snap,
            reachable[n:],
            limit_m=config.search_limit_m,
        )
        sources["gates"] = {
            **links.source,
            "off_network": int((~gate_snap.on_network).sum()),
            "communities_walking_via_gate": int((walks.via_gate != "").sum()),
        }
    return walks, sources


def _centre_table(prepared: PreparedCoverage, network: WalkNetwork) -> gpd.GeoDataFrame:
    cent, cent_snap = prepared.centres, prepared.centre_snap
    return gpd.GeoDataFrame(
        {
            "centre_id": cent["id"],
            "name": cent["name"],
            "type": cent["type"],
            "snap_m": cent_snap.snap_m,
            "status": np.where(cent_snap.on_network, STATUS_OK, STATUS_OFF_NETWORK),
        },
        geometry=gpd.GeoSeries(shapely.points(prepared.centre_xy), crs=network.crs),
    )


def _community_table(
    comm: gpd.GeoDataFrame,
    cent: gpd.GeoDataFrame,
    walks: StartWalks,
    network: WalkNetwork,
    config: CircleConfig,
    groups: tuple[str, ...],
) -> gpd.GeoDataFrame:
    walk = walks.walk_m
    found = np.isfinite(walk)
    # statuses: off the network, no centre in its connected piece, or beyond the search limit
    status = np.full(len(comm), STATUS_OK, dtype=object)
    status[~found] = STATUS_BEYOND_LIMIT
    status[~found & ~walks.reachable] = STATUS_UNREACHABLE
    status[~walks.on_network] = STATUS_OFF_NETWORK

    walk_min = np.where(found, config.metres_to_minutes(walk), np.nan)
    bands = np.array(config.thresholds_min)
    # compare in metres, the unit of the search, so a walk exactly on a threshold is covered
    band_m = np.array([config.minutes_to_metres(b) for b in bands])
    met = found[:, None] & (walk[:, None] <= band_m[None, :] + 1e-9)
    band_min = np.where(met.any(axis=1), bands[np.argmax(met, axis=1)], np.nan)
    idx = walks.centre
    has = idx >= 0

    def centre_col(col: str) -> np.ndarray:
        values = np.full(len(comm), None, dtype=object)
        values[has] = cent[col].to_numpy()[idx[has]]
        return values

    if "population" in comm.columns:
        population = comm["population"].to_numpy(float)
        if "population_source" in comm.columns:
            pop_source = comm["population_source"].fillna("").astype(str).to_numpy(object)
        else:
            pop_source = np.full(
                len(comm), f"column 'population' of {comm.attrs.get('source')}", dtype=object
            )
        pop_source[np.isnan(population) & (pop_source == "")] = POPULATION_NONE
    else:
        population = np.full(len(comm), np.nan)
        pop_source = np.full(len(comm), POPULATION_NONE, dtype=object)
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
            "snap_m": walks.snap_m,
            "status": status,
            "via_gate": walks.via_gate,
            **{g: pd.to_numeric(comm[g], errors="coerce").to_numpy(float) for g in groups},
        },
        geometry=comm.geometry.values,
        crs=network.crs,
    )
    if AREA_COLUMN in comm.columns:
        table.insert(2, AREA_COLUMN, comm[AREA_COLUMN].to_numpy())
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
        band), ``by_centre_type``, ``groups`` (per key group: total, covered, uncovered, share,
        communities without a figure) and ``uncovered`` (ranked by population).
    """
    t = result.table
    cfg = result.config
    pop = t["population"].to_numpy(float)
    has_pop = bool(np.isfinite(pop).any())
    total_pop = float(np.nansum(pop)) if has_pop else None
    n = len(t)

    bands = _band_rows(t, cfg, pop, total_pop)
    cent = result.centres
    by_type = _centre_type_rows(t, cent, pop, has_pop)
    groups = group_coverage(t, result.groups).to_dict("records")
    ranked = _ranked_uncovered(t)
    gap_groups = result.groups if groups else ()
    uncovered = _gaps(ranked if top is None else ranked.head(top), gap_groups)
    statuses = t["status"].value_counts()
    profile = get_profile(cfg.walk_profile) if cfg.walk_profile else profile_for_speed(
        cfg.walk_speed_kmh
    )
    summary = {
        "title": "15-minute employment circle: coverage",
        "parameters": {**cfg.as_dict(), "walk_profile": profile.name if profile else None},
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
        "groups": groups,
        "uncovered": uncovered,
    }
    if AREA_COLUMN in t.columns:
        summary["areas"] = _by_area(t, ranked, pop, has_pop, result.sources, gap_groups)
    if result.capacity is not None:
        summary["capacity"] = capacity_summary(result.capacity, t)
    if result.equity or result.capacity is not None:
        summary["equity"] = equity_section(t, result.groups, result.capacity)
    if result.denominators is not None:
        summary["denominators"] = result.denominators
    summary.update(rural_sections(result))  # issue 22: by mode, station inside, hours
    return summary


def _band_rows(
    t: pd.DataFrame, cfg: CircleConfig, pop: np.ndarray, total_pop: float | None
) -> list[dict]:
    """Per walk-time band: communities and population covered, and their shares."""
    has_pop = total_pop is not None
    n = len(t)
    bands = []
    for minutes in cfg.thresholds_min:
        inside = (t["band_min"] <= minutes).to_numpy()
        covered_pop = float(np.nansum(pop[inside])) if has_pop else None
        bands.append(
            {
                "minutes": minutes,
                "walk_m": round(cfg.minutes_to_metres(minutes), 1),
                "communities_covered": int(inside.sum()),
                "communities_share": _share(int(inside.sum()), n),
                "population_covered": covered_pop,
                "population_share": _share(covered_pop, total_pop) if has_pop else None,
            }
        )
    return bands


def _centre_type_rows(
    t: pd.DataFrame, cent: gpd.GeoDataFrame, pop: np.ndarray, has_pop: bool
) -> list[dict]:
    """Per centre type: centres, those on the network, and whom they cover as the nearest."""
    by_type = []
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
    return by_type


def _share(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def _ranked_uncovered(t: gpd.GeoDataFrame) -> pd.DataFrame:
    """The uncovered communities, largest population first (then by id)."""
    unc = pd.DataFrame(t.loc[~t["covered"]].drop(columns="geometry"))
    unc["_pop"] = unc["population"].fillna(-1)
    rank = np.empty(len(unc), np.int64)
    rank[natural_order(unc["community_id"].tolist())] = np.arange(len(unc))
    unc["_key"] = rank
    return unc.sort_values(["_pop", "_key"], ascending=[False, True], kind="stable")


def _gaps(ranked: pd.DataFrame, groups: tuple[str, ...]) -> list[dict]:
    """The uncovered communities as the summary lists them, built from whole columns."""
    text = {c: ranked[c].tolist() for c in ("community_id", "name", "status", "nearest_centre_id")}
    via = ranked["via_gate"].tolist()
    pop, walk = _rounded_column(ranked["population"]), _rounded_column(ranked["walk_min"], 2)
    counts = {g: _rounded_column(ranked[g]) for g in groups}
    out = []
    for i in range(len(ranked)):
        row = {
            "community_id": text["community_id"][i],
            "name": text["name"][i],
            "population": pop[i],
            "walk_min": walk[i],
            "status": text["status"][i],
            "nearest_centre_id": text["nearest_centre_id"][i],
        }
        if via[i]:
            row["via_gate"] = via[i]
        if groups:
            row["groups"] = {g: counts[g][i] for g in groups}
        out.append(row)
    return out


def _rounded_column(column: pd.Series, digits: int = 1) -> list:
    """`_rounded` of every value of a numeric column."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return [round(x, digits) if math.isfinite(x) else None for x in values.tolist()]


def _by_area(
    t: gpd.GeoDataFrame,
    ranked: pd.DataFrame,
    pop: np.ndarray,
    has_pop: bool,
    sources: dict,
    groups: tuple[str, ...],
) -> dict:
    """Per area: communities, population, covered counts and shares, the worst gaps; and the
    key groups per area (``groups``: one row per area and group, areas in the rows' order)."""
    area = t[AREA_COLUMN].to_numpy(object)
    covered = t["covered"].to_numpy()
    names = sorted(set(area) - {""}, key=natural_key) + ([""] if (area == "").any() else [])
    rows = []
    for name in names:
        inside = area == name
        n, n_cov = int(inside.sum()), int((inside & covered).sum())
        total = float(np.nansum(pop[inside])) if has_pop else None
        cov_pop = float(np.nansum(pop[inside & covered])) if has_pop else None
        gaps = ranked.loc[ranked[AREA_COLUMN] == name].head(WORST_GAPS)
        rows.append(
            {
                "area": name or UNASSIGNED_AREA,
                "communities": n,
                "communities_covered": n_cov,
                "communities_share": _share(n_cov, n),
                "population": total,
                "population_covered": cov_pop,
                "population_share": _share(cov_pop, total),
                "uncovered": n - n_cov,
                "worst_gaps": _gaps(gaps, groups),
            }
        )
    group_rows = []
    if groups:
        per_area = group_coverage(t, groups, by=AREA_COLUMN)
        group_rows = [
            {**r, "area": name or UNASSIGNED_AREA, "share": _share(r["covered"], r["total"])}
            for name in names
            for r in per_area.loc[per_area["area"] == name].to_dict("records")
        ]
    return {
        "by": sources.get("communities", {}).get("areas", ""),
        "rows": rows,
        "groups": group_rows,
        "unassigned": sorted(t.loc[area == "", "community_id"].tolist(), key=natural_key),
    }


def _rounded(x, digits: int = 1):
    if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x):
        return None
    return round(float(x), digits)
