"""The planner's map: one self-contained folium HTML file with isochrones, centres and communities.

Offline by default: Leaflet and jQuery are inlined from copies shipped in ``circle/_vendor`` (with
their licences), and no base tiles are drawn unless asked for, so the file opens on an office
computer with no internet. Every text taken from data files is escaped, so a community named
``<img src=x onerror=alert(1)>`` shows as exactly that. On GCJ-02 base maps (AMap/Gaode,
Tencent) every drawn geometry is shifted from WGS84 to GCJ-02 so that it lines up with the tiles.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import shapely

from ..config import CircleConfig
from ..coverage.core import STATUS_OFF_NETWORK, STATUS_UNREACHABLE, CoverageResult
from ..coverage.isochrones import ALL_CENTRES
from ..errors import CircleWarning
from ..i18n import N_, translator
from ..io.datums import wgs84_to_gcj02
from ..io.outputs import atomic_output_dir
from ..network.walk import WalkNetwork
from .colours import BAND_PALETTE as _BAND_PALETTE
from .colours import (
    CENTRE_TYPE_COLOURS,
    STREET_COLOUR,
    UNCOVERED_FILL,
    UNCOVERED_OUTLINE,
    band_colours,
)
from .tiles import (
    OSM_ATTRIBUTION,
    TILE_PROVIDERS,
    TileProvider,
    is_internet_provider,
    offline_assets,
    tile_provider,
    tiles_reachable,
)

if TYPE_CHECKING:
    import folium
    from branca.element import Figure

__all__ = [
    "CENTRE_TYPE_COLOURS",
    "FONT_STACK",
    "OSM_ATTRIBUTION",
    "TILE_PROVIDERS",
    "TileProvider",
    "add_streets",
    "band_colours",
    "coverage_map",
    "map_html",
    "safe_text",
    "tile_provider",
    "to_map_datum",
    "write_map",
]

#: fonts of the map's texts: common Chinese fonts on macOS, Windows and Linux, then any sans-serif
FONT_STACK = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif"
TIP_STYLE = f"font: 12px/1.4 {FONT_STACK};"
#: the centre types' names, translated when shown
_TYPE_NAMES = [
    N_("community"),
    N_("village"),
    N_("enterprise"),
    N_("industrial_park"),
    N_("college"),
    N_("business_district"),
    N_("other"),
]
#: Leaflet panes, bottom to top (above tiles at 200, below markers at 600)
PANES = {"streets": 380, "isochrones": 390, "communities": 410, "centres": 420}


def safe_text(value: object) -> str:
    """Text from a data file, made safe to show in a folium map as literal text.

    HTML-escaped (tooltips and popups are set as HTML), plus backtick and ``$`` as entities
    (folium puts tooltip and popup text inside JavaScript template literals).

    Parameters
    ----------
    value
        Any value; ``None`` becomes an empty string.

    Returns
    -------
    str
    """
    text = "" if value is None else str(value)
    return html.escape(text).replace("`", "&#96;").replace("$", "&#36;")


def to_map_datum(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """A layer in the base map's datum: WGS84 lon/lat, shifted to GCJ-02 for GCJ-02 tiles.

    Parameters
    ----------
    gdf
        Any layer with a CRS.
    datum
        {"wgs84", "gcj02"} GCJ-02 shifts points inside China (see `circle.io.datums`).

    Returns
    -------
    geopandas.GeoDataFrame
        Coordinates rounded to 1e-7° (about 1 cm).
    """
    out = gdf.to_crs("EPSG:4326")
    if datum == "gcj02":

        def shift(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

        out = out.set_geometry(shapely.transform(out.geometry.values, shift))
    # 1e-7° is about 1 cm: enough for a map, and it keeps the file small
    return out.set_geometry(shapely.set_precision(out.geometry.values, 1e-7, mode="pointwise"))


def _fmt_minutes(minutes: float, _=str) -> str:
    return _("{minutes:g} min").format(minutes=minutes)


def _type_name(ctype: str, _) -> str:
    """A centre type as shown in layer names and the legend (words, not an identifier)."""
    return safe_text(_(ctype).replace("_", " "))


def _community_properties(
    table: gpd.GeoDataFrame, config: CircleConfig, _=str
) -> gpd.GeoDataFrame:
    """The community layer as drawn: escaped display texts and a style key per feature."""
    bands = list(config.thresholds_min)
    rows = []
    for r in table.itertuples():
        if r.status == STATUS_OFF_NETWORK:
            walk = _("off the street network (farther than the snapping distance)")
        elif r.status == STATUS_UNREACHABLE:
            walk = _("no path to any centre")
        elif not np.isfinite(r.walk_min):
            walk = _("beyond the search limit")
        else:
            walk = _("{minutes:.1f} min ({metres:,.0f} m)").format(
                minutes=r.walk_min, metres=r.walk_m
            )
        if np.isfinite(r.population):
            estimate = "estimate" in str(r.population_source).lower()
            population = f"{r.population:,.0f}" + (_(" (estimate)") if estimate else "")
        else:
            population = _("unknown")
        if r.nearest_centre_id is not None:
            nearest = f"{r.nearest_centre_name or r.nearest_centre_id} ({_(r.nearest_centre_type)})"
        else:
            nearest = _("none")
        band = bands.index(r.band_min) if r.covered else -1
        rows.append(
            {
                "name": safe_text(r.name or r.community_id),
                "id": safe_text(r.community_id),
                "population": safe_text(population),
                "walk": safe_text(walk),
                "nearest": safe_text(nearest),
                "band": safe_text(
                    _("within {band}").format(band=_fmt_minutes(r.band_min, _))
                    if r.covered
                    else _("not covered within {band}").format(
                        band=_fmt_minutes(config.threshold_min, _)
                    )
                ),
                "status": safe_text(_(r.status)),
                "style_band": band,
            }
        )
    return gpd.GeoDataFrame(rows, geometry=table.geometry.values, crs=table.crs)


def in_pane(marker: folium.CircleMarker, pane: str) -> folium.CircleMarker:
    # folium's path options drop `pane`; GeoJson's point layers take the marker's options as is
    marker.options["pane"] = pane
    return marker


def map_root(m: folium.Map) -> Figure:
    """The map's HTML document, with its ``header`` and ``html`` sections."""
    return cast("Figure", m.get_root())


def walk_elements(element) -> Iterator:
    yield element
    for child in element._children.values():
        yield from walk_elements(child)


def coverage_map(
    result: CoverageResult,
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    network: WalkNetwork | None = None,
    offline: bool = True,
    tiles: str = "none",
    tiles_datum: str | None = None,
    title: str | None = None,
    lang: str = "en",
) -> folium.Map:
    """A folium map of a coverage run: isochrone bands, centres by type, communities by walk time.

    Layers (each can be switched on and off): the streets (when `network` is given), one layer
    per isochrone band (merged polygons), the communities coloured by walk-time band (not covered:
    grey, outlined red), and one layer per centre type. Tooltips show name, population, walk time
    and nearest centre; a click opens the details. A legend explains the colours.

    Parameters
    ----------
    result
        A coverage result.
    isochrones
        Polygons from `circle.coverage.isochrones.walk_isochrones` (only the merged ``"all"`` rows
        are drawn).
    network
        The walking network, drawn thinly as the streets layer (an offline base map).
    offline
        Inline Leaflet and jQuery from the copies shipped with circle, so that the file loads
        nothing from the network. ``False`` links them from public CDNs (a smaller file).
    tiles
        {"none", "osm", "amap", "tencent"} or a URL template with ``{z}``, ``{x}``, ``{y}`` (for
        example a local tile server). The named providers are on the internet: not with `offline`.
    tiles_datum
        {"wgs84", "gcj02"} The datum of the tiles; default: GCJ-02 for amap and tencent, WGS84
        otherwise. On GCJ-02 tiles every geometry is shifted to GCJ-02 (inside China only).
    title
        Title shown on the map; a summary line is added below it.
    lang
        {"en", "zh"} Language of the layer names, legend, tooltips, popups and title line.

    Returns
    -------
    folium.Map
    """
    _ = translator(lang)
    config = result.config
    provider = tile_provider(tiles, tiles_datum, offline)
    datum = provider.datum if provider is not None else "wgs84"
    m = _base_map(provider, offline, _)
    bands = list(config.thresholds_min)
    colours = band_colours(len(bands))
    bounds = []
    if network is not None:
        add_streets(m, network, datum, _)
    if isochrones is not None:
        bounds += _add_isochrones(m, isochrones, bands, colours, datum, _)
    communities = to_map_datum(_community_properties(result.table, config, _), datum)
    bounds.append(communities.total_bounds)
    _add_communities(m, communities, colours, _)
    centre_types, centre_bounds = _add_centres(m, result, datum, _)
    bounds += centre_bounds
    crowded = _add_crowded(m, result, datum, _)
    legend = _legend_html(bands, colours, centre_types, _, crowded=crowded)
    heading = title or _("15-minute employment circle")
    _finish_map(m, bounds, _title_html(result, heading, _), legend, heading, _)
    return m


def _base_map(provider: TileProvider | None, offline: bool, _: Any = str) -> folium.Map:
    """An empty map: fonts, the inlined scripts when offline, the base tiles and the panes.

    An internet base map (amap, osm, tencent) also gets the inlined scripts, and falls back to
    the offline base (the streets) with a notice on the map when its tiles cannot be loaded;
    a warning says so at once when the tile server cannot be reached now.
    """
    import folium

    from ._elements import RawHtml, TileFallback

    internet = is_internet_provider(provider)
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    map_root(m).header.add_child(RawHtml(_font_css()), name="circle_fonts")
    if offline or internet:
        # instance attributes shadow folium's CDN lists (never edit the shared class lists)
        m.default_js, m.default_css = [], []
        map_root(m).header.add_child(RawHtml(offline_assets()), name="offline_assets", index=1)
    if provider is not None:
        layer = folium.TileLayer(
            tiles=provider.url,
            attr=provider.attribution,
            name=_("Base map"),
            subdomains=provider.subdomains,
            max_zoom=provider.max_zoom,
            tms=provider.tms,
            overlay=False,
        ).add_to(m)
        if internet:
            notice = _(
                "The base map tiles could not be loaded (no internet?); the map shows the "
                "streets of the offline data instead."
            )
            layer.add_child(TileFallback(notice))
            if not tiles_reachable(provider):
                warnings.warn(
                    _(
                        "the base map tiles ({url}) cannot be reached from this computer; the "
                        "map falls back to the streets of the offline data"
                    ).format(url=provider.url.split("/")[2].replace("{s}", provider.subdomains[0])),
                    CircleWarning,
                    stacklevel=4,
                )
    for name, z in PANES.items():
        interactive = name in ("communities", "centres")
        folium.map.CustomPane(name, z_index=z, pointer_events=interactive).add_to(m)
    return m


def add_streets(m: folium.Map, network: WalkNetwork, datum: str, _: Any = str) -> None:
    """The streets layer: the network drawn thinly (an offline base map)."""
    import folium

    streets = gpd.GeoDataFrame(
        geometry=[shapely.line_merge(shapely.multilinestrings(network.segments))],
        crs=network.crs,
    )
    streets = to_map_datum(streets, datum)
    folium.GeoJson(
        streets.__geo_interface__,
        name=_("Streets"),
        style_function=lambda _: {"color": STREET_COLOUR, "weight": 1, "opacity": 0.8},
        pane="streets",
        interactive=False,
    ).add_to(m)


def _add_isochrones(
    m: folium.Map,
    isochrones: gpd.GeoDataFrame,
    bands: list[float],
    colours: list[str],
    datum: str,
    _: Any = str,
) -> list[np.ndarray]:
    """One layer per band of the merged isochrones; returns the bounds of each."""
    import folium

    bounds = []
    merged = isochrones[isochrones["centre_id"] == ALL_CENTRES]
    # largest first, so the nearer bands are drawn on top (darker where they overlap)
    for minutes in sorted(merged["minutes"].unique(), reverse=True):
        rows = merged[merged["minutes"] == minutes].copy()
        rows["geometry"] = rows.geometry.simplify(0.5)
        shape = to_map_datum(rows[["geometry"]], datum)
        colour = colours[bands.index(minutes)] if minutes in bands else _BAND_PALETTE[-1]
        folium.GeoJson(
            shape.__geo_interface__,
            name=_("{minutes:g}-min walk area (isochrone)").format(minutes=minutes),
            style_function=lambda _, c=colour: {
                "color": c,
                "weight": 1.5,
                "opacity": 0.9,
                "fillColor": c,
                "fillOpacity": 0.22,
            },
            pane="isochrones",
            interactive=False,
        ).add_to(m)
        bounds.append(shape.total_bounds)
    return bounds


def _add_communities(
    m: folium.Map, communities: gpd.GeoDataFrame, colours: list[str], _: Any = str
) -> None:
    """The communities coloured by walk-time band (not covered: grey, outlined red)."""
    import folium

    def community_style(feature: dict) -> dict:
        band = feature["properties"]["style_band"]
        if band < 0:
            return {
                "fill": True,  # point communities are circle markers, hollow unless told
                "color": UNCOVERED_OUTLINE,
                "weight": 3.5,
                "opacity": 1.0,
                "fillColor": UNCOVERED_FILL,
                "fillOpacity": 0.65,
            }
        return {
            "fill": True,
            "color": "#252525",
            "weight": 1,
            "opacity": 0.9,
            "fillColor": colours[band],
            "fillOpacity": 0.8,
        }

    fields = ["name", "population", "walk", "nearest"]
    aliases = [_("Community"), _("Population"), _("Walk to nearest centre"), _("Nearest centre")]
    folium.GeoJson(
        communities.__geo_interface__,
        name=_("Communities by walk time"),
        style_function=community_style,
        highlight_function=lambda _: {"weight": 4, "fillOpacity": 0.95},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True, style=TIP_STYLE),
        popup=folium.GeoJsonPopup(
            fields=["name", "id", "population", "walk", "band", "nearest", "status"],
            aliases=[
                _("Community"),
                _("Id"),
                _("Population"),
                _("Walk"),
                _("Circle"),
                _("Nearest centre"),
                _("Status"),
            ],
            localize=False,
        ),
        marker=in_pane(folium.CircleMarker(radius=7, fill=True), "communities"),
        pane="communities",
    ).add_to(m)


def _shown_centres(
    group: gpd.GeoDataFrame, ctype: str, served: Any, config: CircleConfig, _: Any = str
) -> gpd.GeoDataFrame:
    """The centres of one type with the texts their tooltips and popups show."""
    return gpd.GeoDataFrame(
        {
            "name": [
                safe_text(n or i)
                for n, i in zip(group["name"], group["centre_id"], strict=True)
            ],
            "id": [safe_text(i) for i in group["centre_id"]],
            "type": safe_text(_(ctype)),
            "served": [
                safe_text(
                    _("{n} communities within {band}").format(
                        n=int(served.get(i, 0)), band=_fmt_minutes(config.threshold_min, _)
                    )
                )
                for i in group["centre_id"]
            ],
            "status": [safe_text(_(s)) for s in group["status"]],
        },
        geometry=group.geometry.values,
        crs=group.crs,
    )


def _add_centres(
    m: folium.Map, result: CoverageResult, datum: str, _: Any = str
) -> tuple[list[str], list[np.ndarray]]:
    """One layer per centre type; returns the types drawn and the bounds of each layer."""
    import folium

    bounds = []
    centres = result.centres.copy()
    served = result.table[result.table["covered"]].groupby("nearest_centre_id").size()
    centres["type"] = centres["type"].where(
        centres["type"].isin(list(CENTRE_TYPE_COLOURS)), "other"
    )
    for ctype, group in sorted(centres.groupby("type"), key=lambda kv: kv[0]):
        shown = to_map_datum(_shown_centres(group, ctype, served, result.config, _), datum)
        bounds.append(shown.total_bounds)
        colour = CENTRE_TYPE_COLOURS[ctype]
        folium.GeoJson(
            shown.__geo_interface__,
            name=_("Centres: {type} ({n})").format(type=_type_name(ctype, _), n=len(group)),
            marker=in_pane(
                folium.CircleMarker(
                    radius=9,
                    color="#ffffff",
                    weight=2.5,
                    fill=True,
                    fill_color=colour,
                    fill_opacity=1.0,
                ),
                "centres",
            ),
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "type", "served"],
                aliases=[_("Centre"), _("Type"), _("Serves")],
                style=TIP_STYLE,
            ),
            popup=folium.GeoJsonPopup(
                fields=["name", "id", "type", "served", "status"],
                aliases=[_("Centre"), _("Id"), _("Type"), _("Serves"), _("Status")],
                localize=False,
            ),
            pane="centres",
        ).add_to(m)
    return sorted(set(centres["type"])), bounds


#: the ring drawn around a crowded centre
CROWDED_RING = "#d7301f"


def _add_crowded(m: folium.Map, result: CoverageResult, datum: str, _: Any = str) -> bool:
    """A layer of rings around the crowded centres (capacity per 10,000 people served below the
    run's rule), when the run measured capacity and some centre is crowded; True when drawn."""
    import folium

    cap = getattr(result, "capacity", None)
    if cap is None or not cap.centres["crowded"].any():
        return False
    mask = cap.centres["crowded"].to_numpy(bool)
    rows = cap.centres.loc[mask]
    unit = cap.unit or cap.column
    shown = gpd.GeoDataFrame(
        {
            "name": [safe_text(n or i) for n, i in zip(rows["name"], rows["centre_id"],
                                                       strict=True)],
            "capacity": [
                safe_text(_("{value} {unit} per 10,000 people served").format(
                    value=f"{v:,.2f}", unit=unit))
                for v in rows["capacity_per_10k"]
            ],
        },
        geometry=result.centres.geometry.to_numpy()[mask],
        crs=result.centres.crs,
    )
    shown = to_map_datum(shown, datum)
    folium.GeoJson(
        shown.__geo_interface__,
        name=_("Crowded centres ({n})").format(n=len(shown)),
        marker=in_pane(
            folium.CircleMarker(radius=14, color=CROWDED_RING, weight=3, fill=False),
            "centres",
        ),
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "capacity"], aliases=[_("Crowded centre"), _("Capacity")],
            style=TIP_STYLE,
        ),
        pane="centres",
    ).add_to(m)
    return True


def _finish_map(
    m: folium.Map,
    bounds: list[np.ndarray],
    title_html: str,
    legend_html: str,
    title: str,
    _: Any = str,
) -> None:
    """Layer list, attribution, title (on the map and as the page's <title>) and legend; the
    view fitted; stable element names."""
    import folium

    from ._elements import AddAttribution, RawHtml

    map_root(m).title = safe_text(title)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(AddAttribution(_(OSM_ATTRIBUTION)))
    map_root(m).html.add_child(RawHtml(title_html), name="circle_title")
    map_root(m).html.add_child(RawHtml(legend_html), name="circle_legend")
    b = np.vstack(bounds)
    # keep the drawing clear of the title (top left), the layer list and the legend (right)
    m.fit_bounds(
        [[b[:, 1].min(), b[:, 0].min()], [b[:, 3].max(), b[:, 2].max()]],
        padding_top_left=(10, 60),
        padding_bottom_right=(250, 10),
    )
    stable_element_names(m)


def stable_element_names(m: folium.Map) -> None:
    """Name the map's elements by their position in the tree: same inputs, same HTML."""
    for i, element in enumerate(walk_elements(m.get_root())):
        element._id = f"{i:06d}"


def _font_css() -> str:
    return (
        "<style>html, body, .leaflet-container, .leaflet-tooltip, .leaflet-popup-content, "
        f".leaflet-control-layers {{font-family: {FONT_STACK};}}</style>"
    )


def _title_html(result: CoverageResult, title: str | None, _=str) -> str:
    t = result.table
    cfg = result.config
    covered = int(t["covered"].sum())
    share = covered / len(t) if len(t) else 0.0
    summary = _(
        "{covered} of {total} communities ({share:.0%}) within {band} walking at {speed:g} km/h"
        " · {centres} centres"
    ).format(
        covered=covered,
        total=len(t),
        share=share,
        band=_fmt_minutes(cfg.threshold_min, _),
        speed=cfg.walk_speed_kmh,
        centres=len(result.centres),
    )
    heading = title or _("15-minute employment circle")
    return (
        '<div class="circle-title" style="position:fixed;top:10px;left:60px;z-index:1000;'
        "background:rgba(255,255,255,0.92);padding:6px 12px;border-radius:4px;"
        f'box-shadow:0 1px 4px rgba(0,0,0,0.35);font:13px/1.35 {FONT_STACK};max-width:45%">'
        f'<div style="font-size:16px;font-weight:bold">{safe_text(heading)}</div>'
        f"<div>{safe_text(summary)}</div></div>"
    )


def _legend_html(
    bands: list[float], colours: list[str], centre_types: list[str], _=str, *, crowded=False
) -> str:
    def swatch(fill: str, outline: str = "#252525", width: int = 1, round_: bool = False) -> str:
        radius = "50%" if round_ else "2px"
        return (
            f'<span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
            f"vertical-align:-2px;background:{fill};border:{width}px solid {outline};"
            f'border-radius:{radius}"></span>'
        )

    lines = [
        '<div style="font-weight:bold;margin-bottom:3px">'
        f"{safe_text(_('Walk to the nearest centre'))}</div>"
    ]
    previous = 0.0
    for minutes, colour in zip(bands, colours, strict=True):
        label = (
            _("≤ {minutes:g} min").format(minutes=minutes)
            if previous == 0
            else _("{low:g}–{high:g} min").format(low=previous, high=minutes)
        )
        lines.append(f"<div>{swatch(colour)}{safe_text(label)}</div>")
        previous = minutes
    not_covered = _("not covered: over {minutes:g} min or no path").format(minutes=bands[-1])
    lines.append(
        f"<div>{swatch(UNCOVERED_FILL, UNCOVERED_OUTLINE, 3)}{safe_text(not_covered)}</div>"
    )
    shaded = safe_text(_("Shaded: within each walk time\nof a centre (isochrones)"))
    lines.append(f'<div style="margin-top:4px;color:#444">{shaded.replace(chr(10), "<br>")}</div>')
    lines.append(
        f'<div style="font-weight:bold;margin:6px 0 3px">{safe_text(_("Centres"))}</div>'
    )
    for ctype in centre_types:
        lines.append(
            f"<div>{swatch(CENTRE_TYPE_COLOURS[ctype], '#ffffff', 2, round_=True)}"
            f"{_type_name(ctype, _)}</div>"
        )
    if crowded:
        ring = swatch("transparent", CROWDED_RING, 3, round_=True)
        lines.append(f"<div>{ring}{safe_text(_('crowded (capacity below the rule)'))}</div>")
    return (
        '<div class="circle-legend" style="position:fixed;bottom:26px;right:10px;z-index:1000;'
        "background:rgba(255,255,255,0.92);padding:8px 10px;border-radius:4px;"
        f'box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.5 {FONT_STACK}">'
        + "".join(lines)
        + "</div>"
    )


def map_html(m: folium.Map) -> str:
    """The complete HTML of a map, as written by `write_map`.

    Parameters
    ----------
    m
        A map from `coverage_map`.

    Returns
    -------
    str
    """
    return m.get_root().render()


def write_map(m: folium.Map, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a map as one HTML file, atomically.

    Parameters
    ----------
    m
        A map from `coverage_map`.
    path
        Target ``.html`` file.
    overwrite
        Replace the file when it exists.

    Returns
    -------
    Path
    """
    path = Path(path)
    with atomic_output_dir(path.parent, [path.name], overwrite=overwrite) as staging:
        (staging / path.name).write_text(map_html(m), encoding="utf-8")
    return path
