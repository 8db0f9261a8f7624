"""The map of a comparison: communities gained, lost and unchanged between two coverage runs.

One self-contained HTML file, offline like `circle.maps.coverage_map` (Leaflet and jQuery inlined,
no base tiles), every text from the data escaped with `circle.maps.coverage_map.safe_text`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors

from ..errors import InputDataError
from ..i18n import N_, translator
from ..network.walk import WalkNetwork
from ..report.compare import Comparison, RunOutputs
from .coverage_map import (
    CENTRE_TYPE_COLOURS,
    FONT_STACK,
    PANES,
    TIP_STYLE,
    add_streets,
    map_root,
    safe_text,
    stable_element_names,
    to_map_datum,
)
from .tiles import OSM_ATTRIBUTION, offline_assets

if TYPE_CHECKING:
    import folium

__all__ = ["CHANGE_STYLES", "COMPARE_MAP_FILE", "compare_map", "run_geometries"]

#: the file `circle compare --out` writes beside compare.md
COMPARE_MAP_FILE = "compare_map.html"

#: change -> (legend label, fill colour, outline colour); gains and losses stand out, the rest
#: is muted. Drawn in this order (the muted ones first, underneath).
CHANGE_STYLES = {
    "still_covered": (N_("still covered"), "#c6dbef", "#6b8fb3"),
    "still_uncovered": (N_("still not covered"), "#f7f7f7", "#8c8c8c"),
    "only_in_base": (N_("only in the base run"), "#fdf6e3", "#a89f84"),
    "only_in_new": (N_("only in the new run"), "#fdf6e3", "#a89f84"),
    "lost": (N_("lost: covered before, not now"), "#d7191c", "#7f0000"),
    "gained": (N_("gained: newly covered"), "#1a9850", "#00441b"),
}


def run_geometries(run: RunOutputs) -> gpd.GeoDataFrame:
    """The communities' shapes of a run, from the ``coverage.geojson`` beside its coverage.csv.

    Parameters
    ----------
    run
        A run read with `circle.report.compare.read_run`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``community_id`` and geometry (WGS84).
    """
    path = run.folder / "coverage.geojson"
    try:
        gdf = gpd.read_file(path, columns=["community_id"])
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = (
            f"{path}: cannot read the communities' shapes ({err}); the map of the differences "
            "needs the coverage.geojson that `circle coverage --out` writes"
        )
        raise InputDataError(msg) from err
    if "community_id" not in gdf.columns:
        msg = (
            f"{path}: no column 'community_id'; the map of the differences needs the "
            "coverage.geojson that `circle coverage --out` writes (run it again)"
        )
        raise InputDataError(msg)
    gdf["community_id"] = gdf["community_id"].astype(str)
    return gdf.to_crs("EPSG:4326")


def compare_map(
    comparison: Comparison,
    base: RunOutputs,
    new: RunOutputs,
    *,
    network: WalkNetwork | None = None,
    centres: gpd.GeoDataFrame | None = None,
    lang: str = "en",
):
    """A folium map of the changes: one feature per community of either run.

    Gained communities are green, lost ones red, unchanged ones (and those in one run only)
    muted; tooltips show name, change, population and walk before and after; a legend explains
    the colours with their counts. Shapes come from NEW's coverage.geojson (BASE's for
    communities only in BASE).

    Parameters
    ----------
    comparison
        The output of `circle.report.compare.compare_runs`.
    base, new
        The two runs compared.
    network
        The new run's walking network, drawn as the streets (to orient by).
    centres
        The new run's centres, drawn by type.
    lang
        {"en", "zh"} Language of every text of the map.

    Returns
    -------
    folium.Map
    """
    import folium

    from ._elements import AddAttribution, RawHtml

    _ = translator(lang)
    shown = _shown_changes(comparison.changes, base, new, _)
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    m.default_js, m.default_css = [], []
    map_root(m).header.add_child(RawHtml(offline_assets()), name="offline_assets", index=1)
    for pane, z in PANES.items():
        folium.map.CustomPane(pane, z_index=z, pointer_events=pane != "streets").add_to(m)
    if network is not None:
        add_streets(m, network, "wgs84", _)
    _add_change_layers(m, shown, _)
    if centres is not None and len(centres):
        _add_centre_points(m, centres, _)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(AddAttribution(_(OSM_ATTRIBUTION)))
    title = _("15-minute employment circle: what changed")
    map_root(m).title = safe_text(title)
    heading = _heading(comparison, base, new, title, _)
    map_root(m).html.add_child(RawHtml(heading), name="circle_title")
    counts = comparison.changes["change"].value_counts()
    map_root(m).html.add_child(RawHtml(_legend(counts, _)), name="circle_legend")
    b = shown.total_bounds
    if np.isfinite(b).all():
        m.fit_bounds([[b[1], b[0]], [b[3], b[2]]], padding_top_left=(10, 60))
    stable_element_names(m)
    return m


def _shown_changes(
    ch: pd.DataFrame, base: RunOutputs, new: RunOutputs, _: Any = str
) -> gpd.GeoDataFrame:
    """The changed communities with their shapes and the texts their tooltips show."""
    shapes = pd.concat([run_geometries(new), run_geometries(base)], ignore_index=True)
    shapes = shapes.drop_duplicates("community_id").set_index("community_id")
    missing = sorted(set(ch["community_id"]) - set(shapes.index))
    if missing:
        msg = f"{new.folder}: no shape in coverage.geojson for community ids {missing[:5]!r}"
        raise InputDataError(msg)

    def walk(x) -> str:
        return "–" if pd.isna(x) else _("{minutes} min").format(minutes=f"{x:.1f}")

    shown = gpd.GeoDataFrame(
        {
            "name": [
                safe_text(n or i) for n, i in zip(ch["name"], ch["community_id"], strict=True)
            ],
            "id": [safe_text(i) for i in ch["community_id"]],
            "change": ch["change"].to_numpy(),
            "label": [safe_text(_(CHANGE_STYLES[c][0])) for c in ch["change"]],
            "colour": [CHANGE_STYLES[c][1] for c in ch["change"]],
            "population": [
                _("unknown") if pd.isna(p) else f"{p:,.0f}"
                for p in ch["population"].to_numpy(float)
            ],
            "walk": [
                safe_text(f"{walk(b)} → {walk(n)}")
                for b, n in zip(ch["base_walk_min"], ch["new_walk_min"], strict=True)
            ],
        },
        geometry=shapes.loc[ch["community_id"]].geometry.values,
        crs="EPSG:4326",
    )
    return to_map_datum(shown, "wgs84")


def _add_change_layers(m: folium.Map, shown: gpd.GeoDataFrame, _: Any = str) -> None:
    """One layer per kind of change, in the order of `CHANGE_STYLES` (muted ones underneath)."""
    import folium

    for change, (label, fill, outline) in CHANGE_STYLES.items():
        rows = shown[shown["change"] == change]
        if rows.empty:
            continue
        strong = change in ("gained", "lost")
        folium.GeoJson(
            rows.__geo_interface__,
            name=f"{safe_text(_(label))} ({len(rows)})",
            style_function=lambda _, f=fill, o=outline, s=strong: {
                "fill": True,
                "color": o,
                "weight": 2.5 if s else 1,
                "opacity": 1.0 if s else 0.7,
                "fillColor": f,
                "fillOpacity": 0.85 if s else 0.5,
            },
            highlight_function=lambda _: {"weight": 4, "fillOpacity": 0.95},
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "label", "population", "walk"],
                aliases=[_("Community"), _("Change"), _("Population"), _("Walk before → after")],
                sticky=True,
                style=TIP_STYLE,
            ),
            marker=folium.CircleMarker(radius=7, fill=True),
            pane="communities",
        ).add_to(m)


def _add_centre_points(m: folium.Map, centres: gpd.GeoDataFrame, _: Any = str) -> None:
    """The centres, coloured by type, with their name and type as the tooltip."""
    import folium

    shown = gpd.GeoDataFrame(
        {
            "name": [safe_text(n or i) for n, i in zip(centres["name"], centres["id"],
                                                        strict=True)],
            "type": [safe_text(_(t if t in CENTRE_TYPE_COLOURS else "other"))
                     for t in centres["type"]],
            "colour": [CENTRE_TYPE_COLOURS.get(t, CENTRE_TYPE_COLOURS["other"])
                       for t in centres["type"]],
        },
        geometry=centres.to_crs("EPSG:4326").geometry.values,
        crs="EPSG:4326",
    )
    folium.GeoJson(
        shown.__geo_interface__,
        name=_("Centres ({n})").format(n=len(shown)),
        marker=folium.CircleMarker(radius=8, color="#ffffff", weight=2, fill=True,
                                   fill_opacity=1.0),
        style_function=lambda f: {"fillColor": f["properties"]["colour"]},
        tooltip=folium.GeoJsonTooltip(fields=["name", "type"],
                                      aliases=[_("Centre"), _("Type")], style=TIP_STYLE),
        pane="centres",
    ).add_to(m)


def _heading(
    comparison: Comparison, base: RunOutputs, new: RunOutputs, title: str, _: Any = str
) -> str:
    c = comparison.summary["communities"]
    line = _("{base} → {new}: {gained} communities gained, {lost} lost").format(
        base=base.folder.name or base.folder, new=new.folder.name or new.folder,
        gained=c["gained"], lost=c["lost"],
    )
    return (
        '<div class="circle-title" style="position:fixed;top:10px;left:60px;z-index:1000;'
        "background:rgba(255,255,255,0.92);padding:6px 12px;border-radius:4px;"
        f'box-shadow:0 1px 4px rgba(0,0,0,0.35);font:13px/1.35 {FONT_STACK};max-width:45%">'
        f'<div style="font-size:16px;font-weight:bold">{safe_text(title)}'
        f"</div><div>{safe_text(line)}</div></div>"
    )


def _legend(counts: pd.Series, _: Any = str) -> str:
    lines = [f'<div style="font-weight:bold;margin-bottom:3px">{_("Communities")}</div>']
    for change in reversed(CHANGE_STYLES):
        n = int(counts.get(change, 0))
        if not n:
            continue
        label, fill, outline = CHANGE_STYLES[change]
        lines.append(
            '<div><span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
            f"vertical-align:-2px;background:{fill};border:2px solid {outline};"
            f'border-radius:2px"></span>{safe_text(_(label))}: {n}</div>'
        )
    return (
        '<div class="circle-legend" style="position:fixed;bottom:26px;right:10px;z-index:1000;'
        "background:rgba(255,255,255,0.92);padding:8px 10px;border-radius:4px;"
        f'box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.5 {FONT_STACK}">'
        + "".join(lines)
        + "</div>"
    )
