"""Drawing helpers of the notebook results: HTML summary tables and static matplotlib maps."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from .._extras import require
from ..config import CircleConfig

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from ..network.walk import WalkNetwork

#: colours of proposed sites and existing centres on maps and plots
PROPOSAL_COLOUR = "#6a3d9a"
CENTRE_COLOUR = "#2166ac"


def html_table(title: str, header: list[str], rows: list[list[str]], notes: list[str]) -> str:
    """A compact HTML table; every text is escaped."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    foot = "".join(f"<div>{e(n)}</div>" for n in notes)
    return (
        f'<div class="circle-summary"><strong>{e(title)}</strong>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f'<div style="font-size:90%">{foot}</div></div>'
    )


def axes(ax):
    plt = require("matplotlib.pyplot", "plot", "figures (.plot())")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 8))
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def plot_streets(ax, network: WalkNetwork) -> None:
    from matplotlib.collections import LineCollection

    lines: Any = np.stack((network.xy[network.edge_u], network.xy[network.edge_v]), axis=1)
    ax.add_collection(LineCollection(lines, colors="#b0b0b0", linewidths=0.5))
    ax.autoscale_view()


def plot_communities(ax, table: gpd.GeoDataFrame, config: CircleConfig) -> list:
    """Draw communities by walk-time band, the uncovered grey outlined red; legend handles."""
    from matplotlib.patches import Patch

    from ..maps.coverage_map import UNCOVERED_FILL, UNCOVERED_OUTLINE, band_colours

    bands = list(config.thresholds_min)
    colours = band_colours(len(bands))
    covered = table["covered"].to_numpy(bool)
    handles = []
    for minutes, colour in zip(bands, colours, strict=True):
        part = table[covered & (table["band_min"] == minutes).to_numpy()]
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor="#252525", linewidth=0.6)
        handles.append(
            Patch(facecolor=colour, edgecolor="#252525", label=f"within {minutes:g} min")
        )
    out = table[~covered]
    if len(out):
        out.plot(ax=ax, color=UNCOVERED_FILL, edgecolor=UNCOVERED_OUTLINE, linewidth=2)
    label = f"not within {config.threshold_min:g} min"
    handles.append(Patch(facecolor=UNCOVERED_FILL, edgecolor=UNCOVERED_OUTLINE, label=label))
    return handles


def plot_points(ax, points: gpd.GeoSeries, *, label: str, **style):
    """Scatter points (polygons at a point inside); the legend handle."""
    pts = points.representative_point()
    return ax.scatter(pts.x, pts.y, label=label, edgecolor="white", zorder=6, **style)


def mark_proposals(m: folium.Map, proposals: gpd.GeoDataFrame, options: dict) -> folium.Map:
    """Mark the proposed sites on a coverage map (rank, name and gain in tooltips and popups)."""
    import folium
    import geopandas as gpd

    from .._text import fmt_int
    from ..maps.coverage_map import in_pane, safe_text, tile_provider, to_map_datum, walk_elements

    provider = tile_provider(
        options.get("tiles", "none"), options.get("tiles_datum"), options.get("offline", True)
    )
    p = proposals
    shown = gpd.GeoDataFrame(
        {
            "name": [safe_text(n or i) for n, i in zip(p["name"], p["site_id"], strict=True)],
            "id": [safe_text(i) for i in p["site_id"]],
            "rank": [str(r) for r in p["rank"]],
            "gain": [
                safe_text(f"{fmt_int(pop)} people, {n} communities")
                for pop, n in zip(
                    p["population_newly_covered"], p["communities_newly_covered"], strict=True
                )
            ],
        },
        geometry=p.geometry.values,
        crs=p.crs,
    )
    folium.GeoJson(
        to_map_datum(shown, provider.datum if provider else "wgs84").__geo_interface__,
        name=f"Proposed sites ({len(p)})",
        marker=in_pane(
            folium.CircleMarker(
                radius=10,
                color="#ffffff",
                weight=3,
                fill=True,
                fill_color=PROPOSAL_COLOUR,
                fill_opacity=1.0,
            ),
            "centres",
        ),
        tooltip=folium.GeoJsonTooltip(
            fields=["rank", "name", "gain"], aliases=["Proposal", "Site", "Newly covers"]
        ),
        popup=folium.GeoJsonPopup(
            fields=["rank", "name", "id", "gain"],
            aliases=["Proposal", "Site", "Id", "Newly covers"],
            localize=False,
        ),
        pane="centres",
    ).add_to(m)
    for i, element in enumerate(walk_elements(m.get_root())):  # stable names, as coverage_map
        element._id = f"{i:06d}"
    return m

