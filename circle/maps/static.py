"""The static map picture (PNG): the HTML map's bands, communities and centres, for print.

Drawn with matplotlib's Agg canvas (no pyplot, no window), in the colours of the HTML map
(`circle.maps.colours`), with the texts in English or Chinese; Chinese needs a CJK font
(`circle.report.fonts.use_cjk_font`). The same inputs give the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..coverage.core import CoverageResult
from ..coverage.isochrones import ALL_CENTRES
from ..i18n import N_, translator
from ..network.walk import WalkNetwork
from ..report.fonts import figure_font
from .colours import (
    CENTRE_OUTLINE,
    COMMUNITY_OUTLINE,
    ISOCHRONE_FILL_OPACITY,
    PROPOSAL_COLOUR,
    PROPOSAL_RING,
    STREET_COLOUR,
    UNCOVERED_FILL,
    UNCOVERED_OUTLINE,
    band_colours,
    centre_colour,
)

__all__ = ["PNG_FILE", "static_map", "static_map_png", "write_static_map"]

#: the picture's name in a result folder
PNG_FILE = "map.png"
ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL)"
_TEXTS = [N_("Proposed sites"), N_("{n} m")]


def static_map(
    result: CoverageResult,
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    network: WalkNetwork | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    lang: str = "en",
    size_in: tuple[float, float] = (8.0, 7.0),
):
    """A static map of a coverage run as a matplotlib figure.

    Parameters
    ----------
    result
        A coverage result (its communities by walk-time band, the uncovered grey outlined red,
        and its centres by type).
    isochrones
        Polygons from `circle.coverage.isochrones.walk_isochrones` (the merged rows are drawn).
    network
        The walking network, drawn thinly underneath.
    proposals
        Proposed sites (`SitingResult.proposals`), drawn as rings on top.
    title
        The heading; default: the HTML map's ("15-minute employment circle").
    lang
        {"en", "zh"} Language of the title, the summary line and the legend.
    size_in
        Width and height in inches.

    Returns
    -------
    matplotlib.figure.Figure
        A figure with an Agg canvas (save it with ``savefig``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _ = translator(lang)
    figure_font(lang)
    fig = Figure(figsize=size_in, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.set_axis_off()
    crs = result.table.crs
    if network is not None:
        _draw_streets(ax, network)
    bands = list(result.config.thresholds_min)
    colours = band_colours(len(bands))
    if isochrones is not None and len(isochrones):
        _draw_isochrones(ax, isochrones.to_crs(crs) if crs else isochrones, bands, colours)
    handles = _draw_communities(ax, result, bands, colours, _)
    handles += _draw_centres(ax, result.centres.to_crs(crs) if crs else result.centres, _)
    if proposals is not None and len(proposals):
        handles.append(_draw_proposals(ax, proposals.to_crs(crs) if crs else proposals, _))
    _frame(ax, result, isochrones, crs)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.suptitle(title or _("15-minute employment circle"), fontsize=14)
    ax.set_title(_summary_line(result, _), fontsize=9)
    _scale_bar(ax, crs, _)
    ax.annotate(
        ATTRIBUTION, xy=(1.0, 0.0), xycoords="axes fraction", ha="right", va="top", fontsize=6
    )
    return fig


def _draw_streets(ax, network: WalkNetwork) -> None:
    """The streets as ONE path of separate segments (fast to draw, whatever the network's size)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    n = len(network.edge_u)
    vertices = np.empty((2 * n, 2))
    vertices[0::2], vertices[1::2] = network.xy[network.edge_u], network.xy[network.edge_v]
    codes = np.tile(np.array([MplPath.MOVETO, MplPath.LINETO], dtype=np.uint8), n)
    patch = PathPatch(
        MplPath(vertices, codes), fill=False, edgecolor=STREET_COLOUR, linewidth=0.3, zorder=1
    )
    ax.add_artist(patch)  # not add_patch: the view is set by `_frame`, no limits to update


def _polygon_path(geometry):
    """One matplotlib path of a (multi)polygon, holes included: the shells counter-clockwise and
    the holes clockwise, so that matplotlib's non-zero filling leaves the holes empty."""
    from matplotlib.path import Path as MplPath
    from shapely.geometry.polygon import orient

    rings = []
    for part in (orient(p, 1.0) for p in shapely.get_parts(geometry)):
        rings.append(shapely.get_exterior_ring(part))
        rings += list(shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part))))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    splits = np.flatnonzero(np.diff(index)) + 1
    return MplPath.make_compound_path(
        *(MplPath(ring, closed=True) for ring in np.split(coords, splits) if len(ring) > 2)
    )


def _draw_isochrones(ax, isochrones: gpd.GeoDataFrame, bands: list, colours: list) -> None:
    from matplotlib.collections import PathCollection

    merged = isochrones[isochrones["centre_id"] == ALL_CENTRES]
    # largest first, so the nearer bands are drawn on top, as on the HTML map
    for minutes in sorted(merged["minutes"].unique(), reverse=True):
        colour = colours[bands.index(minutes)] if minutes in bands else colours[-1]
        shapes = merged.loc[merged["minutes"] == minutes].geometry.array
        paths = [_polygon_path(g) for g in shapes if not g.is_empty]
        ax.add_collection(
            PathCollection(
                paths, facecolors=colour, alpha=ISOCHRONE_FILL_OPACITY, linewidths=0, zorder=2
            )
        )
        ax.add_collection(
            PathCollection(paths, facecolors="none", edgecolors=colour, linewidths=1.0, zorder=2)
        )


def _outlines(geometries: np.ndarray) -> list[np.ndarray]:
    """The outer rings of (multi)polygons as coordinate arrays, one per part (for a fast
    PolyCollection: at print scale the holes of a community do not show)."""
    parts = shapely.get_parts(geometries)
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    return np.split(coords, np.flatnonzero(np.diff(index)) + 1)


def _draw_communities(ax, result: CoverageResult, bands: list, colours: list, _) -> list:
    """Communities by band, the uncovered grey outlined red; their legend handles."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    table = result.table
    covered = table["covered"].to_numpy(bool)
    points = bool(len(table)) and (table.geom_type == "Point").all()
    handles = []

    def draw(part: gpd.GeoDataFrame, fill: str, edge: str, width: float) -> None:
        if not len(part):
            return
        if points:
            ax.scatter(
                part.geometry.x,
                part.geometry.y,
                s=6,
                c=fill,
                edgecolors=edge,
                linewidths=width * 0.4,
                zorder=4,
            )
        else:
            polygons = _outlines(part.geometry.values)
            ax.add_collection(
                PolyCollection(
                    polygons, facecolors=fill, edgecolors=edge, linewidths=width, zorder=4
                )
            )

    for minutes, colour in zip(bands, colours, strict=True):
        draw(
            table[covered & (table["band_min"] == minutes).to_numpy()],
            colour,
            COMMUNITY_OUTLINE,
            0.5,
        )
        label = _("≤ {minutes:g} min").format(minutes=minutes)
        handles.append(Patch(facecolor=colour, edgecolor=COMMUNITY_OUTLINE, label=label))
    draw(table[~covered], UNCOVERED_FILL, UNCOVERED_OUTLINE, 1.6)
    label = _("not covered: over {minutes:g} min or no path").format(
        minutes=result.config.threshold_min
    )
    handles.append(Patch(facecolor=UNCOVERED_FILL, edgecolor=UNCOVERED_OUTLINE, label=label))
    return handles


def _draw_centres(ax, centres: gpd.GeoDataFrame, _) -> list:
    from matplotlib.lines import Line2D

    handles = []
    pts = centres.geometry.representative_point()
    for ctype in sorted(set(centres["type"].fillna("other").astype(str))):
        inside = (centres["type"].fillna("other").astype(str) == ctype).to_numpy()
        colour = centre_colour(ctype)
        ax.scatter(
            pts.x[inside],
            pts.y[inside],
            s=70,
            c=colour,
            edgecolors=CENTRE_OUTLINE,
            linewidths=1.5,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=8,
                markerfacecolor=colour,
                markeredgecolor=CENTRE_OUTLINE,
                label=_("Centres: {type} ({n})").format(type=_(ctype), n=int(inside.sum())),
            )
        )
    return handles


def _draw_proposals(ax, proposals: gpd.GeoDataFrame, _):
    from matplotlib.lines import Line2D

    pts = proposals.geometry.representative_point()
    ax.scatter(
        pts.x,
        pts.y,
        s=110,
        marker="*",
        c=PROPOSAL_COLOUR,
        edgecolors=PROPOSAL_RING,
        linewidths=1.5,
        zorder=7,
    )
    return Line2D(
        [],
        [],
        marker="*",
        linestyle="",
        markersize=11,
        markerfacecolor=PROPOSAL_COLOUR,
        markeredgecolor=PROPOSAL_RING,
        label=_("Proposed sites"),
    )


def _frame(ax, result: CoverageResult, isochrones, crs) -> None:
    """Fit the view to the communities and centres (and the isochrones), with a margin."""
    boxes = [
        result.table.total_bounds,
        result.centres.to_crs(crs).total_bounds if crs else result.centres.total_bounds,
    ]
    if isochrones is not None and len(isochrones):
        boxes.append(isochrones.to_crs(crs).total_bounds if crs else isochrones.total_bounds)
    b = np.vstack([x for x in boxes if np.isfinite(x).all()] or [[0.0, 0.0, 1.0, 1.0]])
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.04 * max(x1 - x0, y1 - y0, 1.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)


def _summary_line(result: CoverageResult, _) -> str:
    t, cfg = result.table, result.config
    covered = int(t["covered"].sum())
    return _(
        "{covered} of {total} communities ({share:.0%}) within {band} walking at {speed:g} km/h"
        " · {centres} centres"
    ).format(
        covered=covered,
        total=len(t),
        share=covered / len(t) if len(t) else 0.0,
        band=_("{minutes:g} min").format(minutes=cfg.threshold_min),
        speed=cfg.walk_speed_kmh,
        centres=len(result.centres),
    )


def _scale_bar(ax, crs, _) -> None:
    """A scale bar of a round length, bottom left (in a metric CRS only)."""
    if crs is None or not crs.is_projected:
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    length = max(
        v for v in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000) if v <= max(target, 50)
    )
    x, y = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    ax.plot(
        [x, x + length], [y, y], color="#000000", linewidth=2.5, zorder=8, solid_capstyle="butt"
    )
    ax.text(
        x + length / 2,
        y + 0.012 * (y1 - y0),
        _("{n} m").format(n=f"{length:,}"),
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=8,
    )


def static_map_png(result: CoverageResult, *, dpi: int = 150, **options) -> bytes:
    """The static map as PNG bytes.

    Parameters
    ----------
    result
        A coverage result.
    dpi
        Resolution: 150 dots per inch is sharp on paper at the default size.
    **options
        Passed to `static_map` (``isochrones``, ``network``, ``proposals``, ``title``,
        ``lang``, ``size_in``).

    Returns
    -------
    bytes
    """
    fig = static_map(result, **options)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def write_static_map(result: CoverageResult, path: str | Path, **options) -> Path:
    """Write the static map as a PNG file (see `static_map_png`).

    Parameters
    ----------
    result
        A coverage result.
    path
        Target ``.png`` file (replaced if it exists).
    **options
        Passed to `static_map_png`.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.write_bytes(static_map_png(result, **options))
    return path
