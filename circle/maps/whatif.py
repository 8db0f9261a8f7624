"""The what-if map: the planner switches candidate sites on and off and sees who gains.

One self-contained HTML file (offline as `circle.maps.coverage_map`, no server): the coverage
map of the existing centres plus every candidate site of a siting run, with, embedded as
compact JSON, the communities each candidate would *newly* cover (those no existing centre
covers, within the threshold walk; the sparse reach sets of `circle.siting.site.site_new_centres`)
and each community's population. A click on a candidate toggles it; the communities the chosen
sites newly cover are recoloured and a panel keeps the running totals (each community counted
once, however many chosen sites reach it). "Export selection" downloads the chosen sites as
GeoJSON, which `circle coverage --centres` reads appended to the existing centres.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from .._validate import CENTRE_TYPES
from ..config import DEFAULT_CONFIG, CircleConfig
from ..coverage.core import STATUS_OK, CoverageResult
from ..errors import ConfigError
from ..i18n import N_, translator
from ..network.walk import WalkNetwork
from ..siting.reach import pattern as _pattern
from ..siting.result import SitingResult
from ..siting.site import site_new_centres
from .coverage_map import FONT_STACK, coverage_map, map_root, tile_provider, to_map_datum

if TYPE_CHECKING:
    import folium

__all__ = ["WHATIF_COLOURS", "explore_candidates", "whatif_data", "whatif_map"]

#: colours of the what-if layer: chosen and idle candidates, newly covered communities
WHATIF_COLOURS = {
    "chosen": "#6a3d9a",
    "idle": "#ffffff",
    "idle_outline": "#6a3d9a",
    "useless_outline": "#969696",
    "proposal_ring": "#ff7f00",
    "newly_fill": "#9e9ac8",
    "newly_outline": "#3f007d",
}
_COMMUNITY_LAYER = "Communities by walk time"


def _lonlat(gdf: gpd.GeoDataFrame, datum: str) -> list[float]:
    """Point coordinates as one flat ``[lon, lat, lon, lat, ...]`` list, 1e-7° (about 1 cm)."""
    points = to_map_datum(gdf[["geometry"]], datum).geometry
    xy = np.column_stack([points.x, points.y])
    return [round(float(v), 7) for v in xy.ravel()]


def whatif_data(result: SitingResult, *, datum: str = "wgs84") -> dict:
    """The compact data the what-if map embeds.

    Parameters
    ----------
    result
        A siting run (`circle.siting.site.site_new_centres`).
    datum
        {"wgs84", "gcj02"} Datum of the drawn positions (``pos``); ``lonlat`` is always WGS84
        (what the export writes).

    Returns
    -------
    dict
        ``population`` (per community, in the order of ``result.communities``; None when
        unknown), ``covered`` (1 when an existing centre covers it), ``candidates`` with
        ``id``, ``name``, ``type``, ``lonlat`` (flat WGS84 pairs), ``pos`` (flat drawn pairs,
        only when the datum is not WGS84), ``newly`` (per candidate, the positions of the
        communities it would newly cover) and ``proposed`` (candidate positions of the
        optimiser's proposals, best first), and ``threshold_min``. Only candidates on the
        network are listed.
    """
    comm = result.communities
    pop = comm["population"].to_numpy(float)
    covered = comm["covered_before"].to_numpy(bool)
    on = np.flatnonzero(result.candidates["status"].to_numpy() == STATUS_OK)
    cand = result.candidates.iloc[on]
    reach = _pattern(result.reach)[on].tocsr()
    reach.sort_indices()
    newly = []
    for j in range(reach.shape[0]):
        cols = reach.indices[reach.indptr[j] : reach.indptr[j + 1]]
        newly.append([int(i) for i in cols[~covered[cols]]])
    rank = cand["rank"].to_numpy()
    proposed = [int(j) for j in np.flatnonzero(rank > 0)[np.argsort(rank[rank > 0])]]
    candidates = {
        "id": [str(v) for v in cand["candidate_id"]],
        "name": [
            "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            for v in cand["name"]
        ],
        "type": [str(v) for v in cand["type"]],
        "lonlat": _lonlat(cand, "wgs84"),
        "newly": newly,
        "proposed": proposed,
    }
    if datum != "wgs84":
        candidates["pos"] = _lonlat(cand, datum)
    return {
        "population": [None if not math.isfinite(p) else float(p) for p in pop],
        "covered": [int(c) for c in covered],
        "candidates": candidates,
        "threshold_min": float(result.config.threshold_min),
    }


def explore_candidates(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    config: CircleConfig = DEFAULT_CONFIG,
    baseline: CoverageResult | None = None,
) -> SitingResult:
    """Reach sets of every candidate, for a what-if map when no optimum was asked for.

    A siting run in set-covering mode with the lazy greedy (fast): its proposals are the
    fewest sites (greedily) that newly cover every community a candidate can reach, which the
    map's Reset switches on (`whatif_map` with ``start_with_proposals=False``).

    Parameters
    ----------
    communities, centres, candidates, network, config
        As for `circle.siting.site.site_new_centres`.
    baseline
        A coverage run the map must agree with (e.g. one with gates): its covered communities
        must be those of this run's existing centres.

    Returns
    -------
    SitingResult

    Raises
    ------
    ConfigError
        The coverage of the existing centres differs from `baseline`'s.
    """
    result = site_new_centres(
        communities, centres, candidates, network, cover_all=True, config=config, solver="greedy"
    )
    if baseline is not None and not np.array_equal(
        result.before.table["covered"].to_numpy(bool), baseline.table["covered"].to_numpy(bool)
    ):
        msg = (
            "the what-if map walks without gates and derived populations, and its coverage "
            "differs from this run's: add --gates none"
        )
        raise ConfigError(msg)
    return result


def _script_json(data: dict) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def whatif_map(
    result: SitingResult,
    *,
    network=None,
    isochrones: gpd.GeoDataFrame | None = None,
    offline: bool = True,
    tiles: str = "none",
    tiles_datum: str | None = None,
    title: str | None = None,
    start_with_proposals: bool = True,
    lang: str = "en",
) -> folium.Map:
    """A what-if map of a siting run: click candidate sites to see who they bring in.

    The coverage map of the existing centres (`circle.maps.coverage_map`) plus one marker per
    candidate site on the network and a panel: centres added, communities and population
    newly covered, the share covered now and the chosen sites, with buttons to reset to the
    optimiser's proposals, clear all, and export the selection as GeoJSON.

    Parameters
    ----------
    result
        A siting run.
    network, isochrones, offline, tiles, tiles_datum
        As for `circle.maps.coverage_map` (the isochrones are those of the existing centres).
    title
        Title shown on the map.
    start_with_proposals
        Open with the optimiser's proposals switched on (else with none).
    lang
        {"en", "zh"} Language of every text of the map: the coverage map's and the panel's.

    Returns
    -------
    folium.Map
    """
    import folium

    from ._elements import RawHtml

    _ = translator(lang)
    provider = tile_provider(tiles, tiles_datum, offline)
    datum = provider.datum if provider is not None else "wgs84"
    m = coverage_map(
        result.before,
        isochrones=isochrones,
        network=network,
        offline=offline,
        tiles=tiles,
        tiles_datum=tiles_datum,
        title=title or _("15-minute employment circle: what if?"),
        lang=lang,
    )
    layer = next(
        child
        for child in m._children.values()
        if isinstance(child, folium.GeoJson) and child.layer_name == _(_COMMUNITY_LAYER)
    )
    data = whatif_data(result, datum=datum)
    # keep the drawing clear of the panel (left), the layer list and the legend (right)
    shown = [result.communities.to_crs("EPSG:4326"), result.candidates.to_crs("EPSG:4326")]
    b = np.vstack([g.total_bounds for g in shown if len(g)])
    m.fit_bounds(
        [[b[:, 1].min(), b[:, 0].min()], [b[:, 3].max(), b[:, 2].max()]],
        padding_top_left=(320, 60),
        padding_bottom_right=(250, 10),
    )
    data["start"] = "proposals" if start_with_proposals else "none"
    data["has_population"] = result.objective == "population"
    root = map_root(m)
    root.html.add_child(RawHtml(_panel_html(_)), name="whatif_panel")
    root.html.add_child(
        RawHtml(
            '<script type="application/json" id="circle-whatif-data">'
            + _script_json(data)
            + "</script>\n<script>"
            + _SCRIPT.replace("__MAP__", m.get_name())
            .replace("__COMMUNITIES__", layer.get_name())
            .replace("__COLOURS__", json.dumps(WHATIF_COLOURS))
            .replace("__TEXTS__", _script_json(_script_texts(_)))
            + "</script>"
        ),
        name="whatif_script",
    )
    return m


def _script_texts(_) -> dict:
    """The texts the what-if script writes, in the map's language."""
    return {
        "reach": _("{type} · reaches {n} communities not yet covered"),
        "reach_people": _("{type} · reaches {n} communities, {people} people not yet covered"),
        "unknown": _("unknown"),
        "share": _("{n} of {total} ({share})"),
        "proposed": _("{name} (proposed)"),
        "types": {t: _(t) for t in CENTRE_TYPES},
    }


def _panel_html(_) -> str:
    """The what-if panel: running totals, the chosen sites and the three buttons."""
    row = "<tr><td>{}</td><td><b id=\"{}\"{}>{}</b></td></tr>"
    rows = "".join(
        row.format(_(text), ident, "", value)
        for text, ident, value in (
            (N_("Centres added"), "whatif-added", "0"),
            (N_("Communities newly covered"), "whatif-communities", "0"),
            (N_("Population newly covered"), "whatif-population", "0"),
            (N_("Communities covered now"), "whatif-share", "–"),
            (N_("Population covered now"), "whatif-pop-share", "–"),
        )
    )
    newly, chosen = WHATIF_COLOURS["newly_fill"], WHATIF_COLOURS["chosen"]
    newly_line, ring = WHATIF_COLOURS["newly_outline"], WHATIF_COLOURS["proposal_ring"]
    return f"""
<div class="circle-whatif" id="whatif-panel" style="position:fixed;top:84px;left:10px;
z-index:1000;background:rgba(255,255,255,0.95);padding:8px 12px;border-radius:4px;
box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.5 {FONT_STACK};width:290px;max-height:75vh;
overflow:auto">
<div style="font-weight:bold;font-size:14px">{_("What if? Click candidate sites")}</div>
<style>#whatif-panel td + td {{text-align:right;white-space:nowrap}}</style>
<table style="border-collapse:collapse;width:100%">{rows}</table>
<div style="margin:4px 0 2px"><span style="display:inline-block;width:12px;height:12px;
vertical-align:-2px;margin-right:5px;background:{newly};
border:2px solid {newly_line}"></span>{_("newly covered by the chosen sites")}</div>
<div style="margin:2px 0"><span style="display:inline-block;width:11px;height:11px;
vertical-align:-2px;margin-right:5px;border-radius:50%;background:{chosen};
border:2px solid {ring}"></span>{_("chosen site (orange ring: proposed)")}
</div>
<div style="font-weight:bold;margin-top:4px">{_("Chosen sites")}</div>
<ol id="whatif-list" style="margin:2px 0 6px 18px;padding:0"></ol>
<button id="whatif-reset" type="button">{_("Reset to optimum")}</button>
<button id="whatif-clear" type="button">{_("Clear all")}</button>
<button id="whatif-export" type="button">{_("Export selection")}</button>
</div>
"""

# plain JavaScript, emitted verbatim; every data text goes in through textContent (never HTML)
_SCRIPT = r"""
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const data = JSON.parse(document.getElementById("circle-whatif-data").textContent);
  const map = window["__MAP__"], communities = window["__COMMUNITIES__"];
  const colours = __COLOURS__;
  const texts = __TEXTS__;
  const fill = (t, v) => t.replace(/\{(\w+)\}/g, (m, k) => String(v[k]));
  const cand = data.candidates, n = cand.id.length, nComm = data.population.length;
  const pos = cand.pos || cand.lonlat;
  const count = new Int32Array(nComm);   // chosen sites newly covering each community
  const chosen = new Set();
  const pop = i => data.population[i] || 0;
  const proposed = new Set(cand.proposed);
  const fmt = v => Math.round(v).toLocaleString("en-US");
  const pct = (a, b) => b > 0 ? (100 * a / b).toFixed(1) + " %" : "–";
  const baseCount = data.covered.reduce((a, c) => a + c, 0);
  let basePop = 0, totalPop = 0;
  for (let i = 0; i < nComm; i++) { totalPop += pop(i); if (data.covered[i]) basePop += pop(i); }

  const baseStyle = communities.options.style;
  communities.options.style = function (feature) {
    if (count[+feature.id] > 0) {
      return {fill: true, color: colours.newly_outline, weight: 2.5, opacity: 1,
              fillColor: colours.newly_fill, fillOpacity: 0.85};
    }
    return baseStyle(feature);
  };

  const pane = map.createPane("candidates");
  pane.style.zIndex = 415;
  const markers = [];
  function markerStyle(j) {
    const on = chosen.has(j);
    return {
      radius: on ? 8 : 5, weight: proposed.has(j) ? 3 : 1.5, fill: true, fillOpacity: 1,
      fillColor: on ? colours.chosen : colours.idle,
      color: proposed.has(j) ? colours.proposal_ring
        : (cand.newly[j].length ? colours.idle_outline : colours.useless_outline),
    };
  }
  function label(j) { return cand.name[j] || cand.id[j]; }
  function aloneText(j) {
    let p = 0;
    for (const i of cand.newly[j]) p += pop(i);
    const v = {type: texts.types[cand.type[j]] || cand.type[j], n: cand.newly[j].length,
               people: fmt(p)};
    return fill(data.has_population ? texts.reach_people : texts.reach, v);
  }
  for (let j = 0; j < n; j++) {
    const mk = L.circleMarker([pos[2 * j + 1], pos[2 * j]],
      Object.assign({pane: "candidates", className: "circle-candidate"}, markerStyle(j)));
    const tip = document.createElement("div");
    const head = document.createElement("b");
    head.textContent = label(j);
    const line = document.createElement("div");
    line.textContent = aloneText(j);
    tip.append(head, line);
    mk.bindTooltip(tip, {sticky: true});
    mk.on("click", function (e) { L.DomEvent.stopPropagation(e); toggle(j); });
    mk.addTo(map);
    const el = mk.getElement();
    el.setAttribute("data-candidate", String(j));
    el.setAttribute("data-candidate-id", cand.id[j]);
    markers.push(mk);
  }

  function setOn(j, on) {
    if (on === chosen.has(j)) return;
    const d = on ? 1 : -1;
    for (const i of cand.newly[j]) count[i] += d;
    if (on) chosen.add(j); else chosen.delete(j);
    markers[j].setStyle(markerStyle(j));
    if (on) markers[j].bringToFront();
  }
  function refresh() {
    communities.setStyle(communities.options.style);
    let nc = 0, np = 0;
    for (let i = 0; i < nComm; i++) if (count[i] > 0) { nc += 1; np += pop(i); }
    const put = (id, text, value) => {
      const el = document.getElementById(id);
      el.textContent = text;
      el.setAttribute("data-value", String(value));
    };
    put("whatif-added", String(chosen.size), chosen.size);
    put("whatif-communities", String(nc), nc);
    put("whatif-population", data.has_population ? fmt(np) : texts.unknown, np);
    put("whatif-share", fill(texts.share, {n: baseCount + nc, total: nComm,
                                            share: pct(baseCount + nc, nComm)}), baseCount + nc);
    put("whatif-pop-share", data.has_population ? pct(basePop + np, totalPop) : texts.unknown,
        basePop + np);
    const list = document.getElementById("whatif-list");
    list.replaceChildren();
    for (const j of chosen) {
      const li = document.createElement("li");
      li.textContent = proposed.has(j) ? fill(texts.proposed, {name: label(j)}) : label(j);
      li.setAttribute("data-candidate", String(j));
      list.append(li);
    }
  }
  function toggle(j) { setOn(j, !chosen.has(j)); refresh(); }
  function clearAll() { for (const j of Array.from(chosen)) setOn(j, false); }
  function reset() { clearAll(); for (const j of cand.proposed) setOn(j, true); refresh(); }
  function exportSelection() {
    const features = Array.from(chosen, j => ({
      type: "Feature",
      properties: {id: cand.id[j], name: cand.name[j], type: cand.type[j]},
      geometry: {type: "Point", coordinates: [cand.lonlat[2 * j], cand.lonlat[2 * j + 1]]},
    }));
    const text = JSON.stringify({type: "FeatureCollection", features: features}, null, 1);
    const url = URL.createObjectURL(new Blob([text], {type: "application/geo+json"}));
    const a = document.createElement("a");
    a.href = url;
    a.download = "chosen_sites.geojson";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  document.getElementById("whatif-reset").addEventListener("click", reset);
  document.getElementById("whatif-clear").addEventListener("click",
    function () { clearAll(); refresh(); });
  document.getElementById("whatif-export").addEventListener("click", exportSelection);
  L.DomEvent.disableClickPropagation(document.getElementById("whatif-panel"));
  L.DomEvent.disableScrollPropagation(document.getElementById("whatif-panel"));
  if (data.start === "proposals") reset(); else refresh();
});
"""
