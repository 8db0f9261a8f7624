"""Hills: per-direction walk costs from a digital elevation model, by Tobler's hiking function.

Elevations are sampled along every edge at a fixed spacing (both ends included; an edge of
length L gets ``ceil(L / spacing)`` equal pieces), so a street over a crest or through a dip
costs its climbs, not only the difference between its ends. Each piece of horizontal length
``l`` and slope ``s = dz / l`` (rise over run, in the walking direction) costs
``l * tobler(0) / tobler(s)`` flat-equivalent metres, with Tobler's hiking function
``tobler(s) = 6 exp(-3.5 |s + 0.05|)`` km/h (Tobler 1993, *Three presentations on geographical
analysis and modeling*, NCGIA Technical Report 93-1). Only the ratio is used, as r5 does
(conveyal/r5, ``com.conveyal.r5.rastercost.ToblerCalculator``: Tobler normalised to 1 on flat
ground, so the profile's own flat speed scales it): the walk is then ``cost / speed``. A
gentle downhill (-5 %) is the fastest, about 16 % cheaper than flat; 10 % downhill costs what
flat ground does, 10 % uphill or 20 % downhill 1.42 times, 20 % uphill 2.01 times.
A street's round trip never gets cheaper when its slope steepens, but one direction can (a
flat street tilted to -5 % gets faster downhill).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import PROFILES
from ..errors import InputDataError
from ..io.dem import implausible, read_dem
from ..io.waytags import WHEELCHAIR_NO
from .load import file_sha256
from .walk import WalkNetwork, with_edge_costs

__all__ = [
    "DEFAULT_SPACING_M",
    "EdgeSlopes",
    "edge_slopes",
    "for_profile",
    "tobler_factor",
    "tobler_kmh",
    "walk_network",
    "with_dem",
]

logger = logging.getLogger(__name__)

#: default spacing of the elevation samples along an edge, metres (SRTM/Copernicus cells are
#: about 30 m: finer sampling follows the bilinear surface, coarser would skip crests)
DEFAULT_SPACING_M = 10.0
#: edges per block of sampling (bounds the memory of the sample arrays)
_EDGES_PER_BLOCK = 200_000


def tobler_kmh(slope):
    """Tobler's hiking function: walking speed (km/h) on a slope (rise over run, signed).

    Parameters
    ----------
    slope
        dz/dx in the walking direction (0.1 = 10 % uphill).

    Returns
    -------
    float or numpy.ndarray
    """
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(slope, np.float64) + 0.05))


def tobler_factor(slope):
    """Cost per metre on a slope relative to flat ground: ``tobler(0) / tobler(slope)``."""
    return np.exp(3.5 * (np.abs(np.asarray(slope, np.float64) + 0.05) - 0.05))


@dataclass(frozen=True)
class EdgeSlopes:
    """What the DEM says about every edge.

    Attributes
    ----------
    fw_m, bw_m
        Tobler cost each way (flat-equivalent metres); the edge's length where it has no
        elevation.
    max_slope
        The steepest piece of each edge (absolute rise over run); ``nan`` without elevation.
    has_elevation
        Whether every sample of the edge fell on DEM data.
    """

    fw_m: np.ndarray
    bw_m: np.ndarray
    max_slope: np.ndarray
    has_elevation: np.ndarray


def edge_slopes(
    network: WalkNetwork, sample, spacing_m: float = DEFAULT_SPACING_M, node_xy=None
) -> EdgeSlopes:
    """Sample elevations along every edge and cost each direction by Tobler's function.

    Parameters
    ----------
    network
        The walking network.
    sample
        Function from points (k, 2) to elevations in metres (``nan``: no data), e.g.
        ``lambda xy: dem.sample(xy, network.crs)``.
    spacing_m
        Largest distance between two samples along an edge.
    node_xy
        The nodes' coordinates in the CRS `sample` takes (default: the network's own); samples
        are spaced evenly between an edge's ends in that CRS (an edge is short enough that a
        projection is linear along it: this reprojects the nodes, not every sample).

    Returns
    -------
    EdgeSlopes
    """
    m = network.n_edges
    fw, bw = network.edge_length_m.copy(), network.edge_length_m.copy()
    steepest = np.full(m, np.nan)
    has = np.zeros(m, bool)
    node_xy = network.xy if node_xy is None else node_xy
    for lo in range(0, m, _EDGES_PER_BLOCK):
        hi = min(m, lo + _EDGES_PER_BLOCK)
        _block(network, node_xy, sample, spacing_m, lo, hi, fw, bw, steepest, has)
    return EdgeSlopes(fw, bw, steepest, has)


def _block(network, node_xy, sample, spacing_m, lo, hi, fw, bw, steepest, has) -> None:
    length = network.edge_length_m[lo:hi]
    pieces = np.maximum(np.ceil(length / spacing_m), 1).astype(np.int64)
    counts = pieces + 1
    edge = np.repeat(np.arange(hi - lo), counts)
    first = np.cumsum(counts) - counts
    frac = (np.arange(edge.size) - first[edge]) / pieces[edge]
    a = node_xy[network.edge_u[lo:hi]]
    b = node_xy[network.edge_v[lo:hi]]
    z = sample(a[edge] + frac[:, None] * (b - a)[edge])
    # piece i of an edge: samples i and i + 1 of it
    not_last = np.ones(edge.size, bool)
    not_last[first + counts - 1] = False
    start = np.flatnonzero(not_last)
    dz = z[start + 1] - z[start]
    p_edge = edge[start]
    run = (length / pieces)[p_edge]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(run > 0, dz / np.where(run > 0, run, 1.0), 0.0)
    bad = np.isnan(slope)
    ok = np.bincount(p_edge, weights=bad, minlength=hi - lo) == 0
    slope = np.where(bad, 0.0, slope)
    cost_fw = np.bincount(p_edge, weights=run * tobler_factor(slope), minlength=hi - lo)
    cost_bw = np.bincount(p_edge, weights=run * tobler_factor(-slope), minlength=hi - lo)
    top = np.zeros(hi - lo)
    np.maximum.at(top, p_edge, np.abs(slope))
    fw[lo:hi] = np.where(ok, cost_fw, length)
    bw[lo:hi] = np.where(ok, cost_bw, length)
    steepest[lo:hi] = np.where(ok, top, np.nan)
    has[lo:hi] = ok


def with_dem(
    network: WalkNetwork,
    dem_path: str | Path,
    *,
    spacing_m: float = DEFAULT_SPACING_M,
) -> tuple[WalkNetwork, EdgeSlopes]:
    """The network with Tobler costs from a DEM (see the module's text), and the edge slopes.

    Parameters
    ----------
    network
        The walking network (flat).
    dem_path
        Any GDAL raster of elevations in metres, in any CRS.
    spacing_m
        Largest distance between two elevation samples along an edge.

    Returns
    -------
    network, slopes
        The network's `source` gains ``"dem"``: file, sha256, CRS, spacing and how many edges
        carry a slope cost.

    Raises
    ------
    InputDataError
        As `circle.io.dem.read_dem`; and when no edge of the network falls on DEM data.
    """
    if not spacing_m > 0:
        msg = f"the DEM sampling spacing must be > 0 m, got {spacing_m!r}"
        raise InputDataError(msg)
    path = Path(dem_path)
    x, y = network.xy[:, 0], network.xy[:, 1]
    bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
    dem = read_dem(path, bounds, network.crs)
    node_xy = dem.to_dem_crs(network.xy, network.crs)  # once per node, not per sample
    slopes = edge_slopes(network, dem.sample_native, spacing_m, node_xy)
    n_has = int(slopes.has_elevation.sum())
    if n_has == 0:
        msg = (
            f"{path}: no street of the network lies on the DEM's data (outside it, or only "
            "no-data cells); give the tile(s) that cover the study area"
        )
        raise InputDataError(msg)
    missing = network.n_edges - n_has
    if missing:
        km = float(network.edge_length_m[~slopes.has_elevation].sum()) / 1000
        logger.warning(
            "dem: %d of %d edges (%.1f km) lie outside %s or on cells without data; they cost "
            "their length (flat)", missing, network.n_edges, km, path.name,
        )
    odd = implausible(dem.z)
    if odd or np.nanmax(slopes.max_slope) > 1.0:
        logger.warning(
            "dem: %s: %s; are its elevations in metres and its CRS right?", path.name,
            odd or "slopes steeper than 100 % on some streets",
        )
    moved = slopes.has_elevation & (
        (slopes.fw_m != network.edge_length_m) | (slopes.bw_m != network.edge_length_m)
    )
    info = {
        **dem.info,
        "sha256": file_sha256(path),
        "spacing_m": spacing_m,
        "edges": network.n_edges,
        "edges_with_slope": int(moved.sum()),
        "edges_without_elevation": missing,
        "cost": "Tobler (1993) hiking function, relative to flat ground (as r5)",
    }
    source_note = {"dem": info}
    fw_m, bw_m = slopes.fw_m, slopes.bw_m
    if network.edge_fw_m is not None and network.edge_bw_m is not None:
        # directions already closed (a bike network's one-way streets) stay closed
        fw_m = np.where(np.isinf(network.edge_fw_m), np.inf, fw_m)
        bw_m = np.where(np.isinf(network.edge_bw_m), np.inf, bw_m)
    out = with_edge_costs(network, fw_m, bw_m, note=source_note)
    out = dataclasses.replace(out, edge_slope=slopes.max_slope)
    logger.info(
        "dem: %s, %d of %d edges carry a slope cost", path.name, info["edges_with_slope"],
        network.n_edges,
    )
    return out, slopes


def walk_network(network: WalkNetwork, config) -> WalkNetwork:
    """The network a run walks on: with Tobler costs when ``config.dem`` is set (see
    `with_dem`), else `network` itself.

    Parameters
    ----------
    network
        The loaded (flat) network.
    config
        The run's `circle.config.CircleConfig`.

    Returns
    -------
    WalkNetwork
    """
    if config.dem is not None:
        network = with_dem(network, config.dem, spacing_m=config.dem_spacing_m)[0]
    return for_profile(network, config.walk_profile)


def for_profile(network: WalkNetwork, profile: str | None) -> WalkNetwork:
    """The network as a walking profile may use it: a step-free profile (``wheelchair``) loses
    steps (``highway=steps``) and ways tagged ``wheelchair=no``, and with a DEM every street
    whose steepest piece exceeds the profile's ``max_slope``; closed streets cost ``inf`` both
    ways (they stay in the network: points still snap to their nearest street, and a point
    whose only street is closed is `unreachable`).

    Parameters
    ----------
    network
        The network (a network a profile already changed starts again from its `base`).
    profile
        A name of `circle.config.PROFILES`, or ``None`` for the network as read.

    Returns
    -------
    WalkNetwork
        Its `source` gains ``"profile"``: the name and how many edges were closed for steps,
        wheelchair=no and slope.
    """
    base = network.base or network
    rules = PROFILES[profile] if profile else None
    if rules is None or not rules.changes_network:
        return base
    steps = base.edge_highway == "steps"
    no_wheel = (
        np.zeros(base.n_edges, bool)
        if base.edge_flags is None
        else (base.edge_flags & WHEELCHAIR_NO) != 0
    )
    if not rules.step_free:
        steps[:] = no_wheel[:] = False
    steep = np.zeros(base.n_edges, bool)
    if rules.max_slope is not None and base.edge_slope is not None:
        with np.errstate(invalid="ignore"):
            steep = base.edge_slope > rules.max_slope
    closed = steps | no_wheel | steep
    fw = base.edge_length_m if base.edge_fw_m is None else base.edge_fw_m
    bw = base.edge_length_m if base.edge_bw_m is None else base.edge_bw_m
    note = {
        "profile": {
            "name": rules.name,
            "closed_steps": int(steps.sum()),
            "closed_wheelchair_no": int((no_wheel & ~steps).sum()),
            "closed_steeper_than": rules.max_slope if base.edge_slope is not None else None,
            "closed_steep": int((steep & ~steps & ~no_wheel).sum()),
        }
    }
    out = with_edge_costs(
        base, np.where(closed, np.inf, fw), np.where(closed, np.inf, bw), note=note
    )
    logger.info(
        "profile %s: %d of %d edges closed (steps, wheelchair=no, too steep)",
        rules.name, int(closed.sum()), base.n_edges,
    )
    return dataclasses.replace(out, base=base)
