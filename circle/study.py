"""The analyst's API: a study area, its coverage and its new sites, as objects that show themselves.

The same engine as the CLI, for notebooks::

    study = StudyArea.bundled()                 # or StudyArea.from_files("shenhe.osm.pbf", ...)
    cov = study.coverage(walk_speed_kmh=4.5)    # a Coverage: .table, .summary, .map(), .plot()
    sites = study.site(add=3)                   # a Siting: .proposals, .before, .after, .map()

In Jupyter both results render a summary table; ``.map()`` (or ``.explore()``) gives the CLI's
offline folium map, ``.plot()`` a static matplotlib figure, ``.to_files(dir)`` the CLI's files.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ._text import fmt_int, fmt_pct
from .bundled import DEFAULT_NETWORK, default_layers
from .config import DEFAULT_CONFIG, CircleConfig
from .coverage.core import CoverageResult, coverage_report, summarise
from .coverage.isochrones import walk_isochrones
from .errors import ConfigError
from .io.columns import LayerColumns
from .io.files import read_layer
from .io.osm import OSM_SUFFIXES
from .maps.coverage_map import (
    UNCOVERED_FILL,
    UNCOVERED_OUTLINE,
    band_colours,
    coverage_map,
    in_pane,
    map_html,
    safe_text,
    tile_provider,
    to_map_datum,
    walk_elements,
)
from .network.load import load_network
from .network.walk import WalkNetwork
from .report.coverage import write_coverage_outputs
from .report.siting import write_siting_outputs
from .runs.job import load_layers
from .siting.core import (
    SitingResult,
    candidates_from_osm,
    candidates_on_grid,
    combine_candidates,
    site_new_centres,
    siting_summary,
)

__all__ = ["Coverage", "Siting", "StudyArea"]

#: colours of proposed sites and existing centres on maps and plots
PROPOSAL_COLOUR = "#6a3d9a"
CENTRE_COLOUR = "#2166ac"


@dataclass(frozen=True, eq=False, repr=False)
class StudyArea:
    """A walking network with its employment service centres and communities.

    Parameters
    ----------
    network
        The walking network.
    centres, communities
        The layers, as read by `circle.io.read_layer` (any CRS).
    network_file
        The network's file, when it has one: candidate sites can then come from its OSM tags.
    """

    network: WalkNetwork
    centres: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    network_file: Path | None = None

    def __repr__(self) -> str:
        where = f" from {self.network_file.name}" if self.network_file else ""
        return (
            f"<StudyArea{where}: {len(self.network.node_ids):,} street nodes, "
            f"{len(self.centres)} centres, {len(self.communities)} communities>"
        )

    @classmethod
    def bundled(cls) -> StudyArea:
        """The bundled demo district (OSM data of central Helsinki), as ``circle coverage``.

        Returns
        -------
        StudyArea
        """
        return cls.from_files(DEFAULT_NETWORK)

    @classmethod
    def from_files(
        cls,
        network: str | Path,
        centres: str | Path | None = None,
        communities: str | Path | None = None,
        *,
        columns: LayerColumns | None = None,
        layer_crs: str | None = None,
        datum: str = "wgs84",
        min_component_m: float = DEFAULT_CONFIG.min_component_m,
    ) -> StudyArea:
        """Read a study area from files, as ``circle coverage --network --centres --communities``.

        Parameters
        ----------
        network
            Street network file (.osm, .osm.bz2, .osm.pbf or .graphml).
        centres, communities
            Layer files; ``None`` derives the layer from the network's OSM tags (with the
            bundled network: the bundled layers).
        columns
            Column names of the layers (`circle.io.LayerColumns`).
        layer_crs
            CRS of layers that declare none (CSV: EPSG:4326).
        datum
            {"wgs84", "gcj02", "bd09"} Map datum of lon/lat layer files.
        min_component_m
            Connected pieces of network with less street than this are dropped.

        Returns
        -------
        StudyArea
        """
        network = Path(network)
        centres, communities = default_layers(
            network,
            None if centres is None else str(centres),
            None if communities is None else str(communities),
        )
        net = load_network(network, min_component_m=min_component_m)
        centre_layer, community_layer = load_layers(
            network, centres, communities, columns=columns, crs=layer_crs, datum=datum
        )
        return cls(net, centre_layer, community_layer, network_file=network)

    def coverage(self, config: CircleConfig = DEFAULT_CONFIG, **changes) -> Coverage:
        """Walk every community to its nearest centre (``circle coverage``).

        Parameters
        ----------
        config
            Run parameters.
        **changes
            Fields of `config` to change, e.g. ``walk_speed_kmh=4.5, thresholds_min=(10,)``.

        Returns
        -------
        Coverage
        """
        config = dataclasses.replace(config, **changes) if changes else config
        return Coverage(
            coverage_report(self.communities, self.centres, self.network, config=config), self
        )

    def candidates(
        self,
        *,
        file: str | Path | gpd.GeoDataFrame | None = None,
        from_osm: bool | None = None,
        grid_m: float | None = None,
        columns: LayerColumns | None = None,
    ) -> gpd.GeoDataFrame:
        """Candidate sites for new centres, from a layer, the OSM tags and/or a street grid.

        Parameters
        ----------
        file
            A candidate layer (file or GeoDataFrame with ``id``, ``name``, ``type``).
        from_osm
            Take candidates from the network file's OSM tags (`circle.siting.CANDIDATE_TAGS`),
            the existing centres left out. Default: only when no other source is given, as
            ``circle site``.
        grid_m
            Also one candidate per `grid_m` metre square of street network.
        columns
            Column names of `file`.

        Returns
        -------
        geopandas.GeoDataFrame
        """
        if from_osm is None:
            from_osm = file is None and grid_m is None
        sources = []
        if isinstance(file, gpd.GeoDataFrame):
            sources.append(file)
        elif file is not None:
            sources.append(read_layer(file, columns=columns, kind="candidates"))
        if from_osm:
            if self.network_file is None or not self.network_file.name.lower().endswith(
                OSM_SUFFIXES
            ):
                msg = (
                    "candidate sites from OSM tags need a study area read from an OSM file; "
                    "give `file` or `grid_m`"
                )
                raise ConfigError(msg)
            centre_ids = {str(i) for i in self.centres["id"]}
            sources.append(candidates_from_osm(self.network_file, exclude_ids=centre_ids))
        if grid_m:
            sources.append(candidates_on_grid(self.network, grid_m))
        if not sources:
            msg = "no candidate sites: give `file`, `from_osm=True` or `grid_m`"
            raise ConfigError(msg)
        return combine_candidates(*sources)

    def site(
        self,
        add: int | None = None,
        *,
        cover_all: bool = False,
        candidates: gpd.GeoDataFrame | None = None,
        config: CircleConfig = DEFAULT_CONFIG,
        solver: str = "milp",
        time_limit_s: float = 60.0,
        **changes,
    ) -> Siting:
        """Choose new centre sites (``circle site``): ``add=K`` or ``cover_all=True``.

        Parameters
        ----------
        add
            Propose up to this many sites, newly covering the most people.
        cover_all
            The fewest sites that newly cover every community a candidate can reach.
        candidates
            Candidate sites (default: `candidates` with its defaults: the OSM tags).
        config
            Run parameters; the circle is its largest threshold.
        solver
            {"milp", "greedy"}
        time_limit_s
            Time limit of the MILP, seconds.
        **changes
            Fields of `config` to change, e.g. ``thresholds_min=(5,)``.

        Returns
        -------
        Siting
        """
        config = dataclasses.replace(config, **changes) if changes else config
        if candidates is None:
            candidates = self.candidates()
        result = site_new_centres(
            self.communities,
            self.centres,
            candidates,
            self.network,
            add=add,
            cover_all=cover_all,
            config=config,
            solver=solver,
            time_limit_s=time_limit_s,
        )
        return Siting(result, self)


@dataclass(frozen=True, eq=False, repr=False)
class _Run:
    """A run of a study area: the library's result and the study it ran on."""

    result: CoverageResult | SitingResult
    study: StudyArea

    @property
    def config(self) -> CircleConfig:
        """The run parameters."""
        return self.result.config

    def map(self, **options) -> folium.Map:
        raise NotImplementedError

    def explore(self, **options) -> folium.Map:
        """The same as `map` (the name geopandas uses)."""
        return self.map(**options)


@dataclass(frozen=True, eq=False, repr=False)
class Coverage(_Run):
    """A coverage run of a study area, for notebooks.

    Parameters
    ----------
    result
        The run (`circle.coverage.CoverageResult`).
    study
        The study area it ran on.
    """

    result: CoverageResult

    @property
    def table(self) -> gpd.GeoDataFrame:
        """One row per community (`circle.coverage.COLUMNS` + geometry), network CRS."""
        return self.result.table

    @property
    def centres(self) -> gpd.GeoDataFrame:
        """One row per centre with its snapping status."""
        return self.result.centres

    @cached_property
    def summary(self) -> dict:
        """The summary numbers (`circle.coverage.summarise`), as in summary.json."""
        return summarise(self.result)

    @property
    def uncovered(self) -> gpd.GeoDataFrame:
        """The communities beyond the circle, largest population first."""
        t = self.table[~self.table["covered"]]
        return t.sort_values("population", ascending=False, na_position="last", kind="stable")

    def share_covered(self, minutes: float | None = None, *, by: str = "population") -> float:
        """Share of population (or communities) within `minutes` (default: the circle).

        Parameters
        ----------
        minutes
            One of the run's bands; default the largest.
        by
            {"population", "communities"}

        Returns
        -------
        float
        """
        minutes = self.config.threshold_min if minutes is None else float(minutes)
        for band in self.summary["thresholds"]:
            if band["minutes"] == minutes:
                share = band[f"{by}_share"]
                return float("nan") if share is None else share
        msg = f"`minutes` must be one of the bands {list(self.config.thresholds_min)}"
        raise ConfigError(msg)

    def isochrones(self, *, per_centre: bool = False) -> gpd.GeoDataFrame:
        """Walk-time isochrones of the centres (`circle.isochrones.walk_isochrones`)."""
        return walk_isochrones(
            self.study.network, self.study.centres, config=self.config, per_centre=per_centre
        )

    def map(self, **options) -> folium.Map:
        """The CLI's offline folium map (``circle coverage --map``).

        Parameters
        ----------
        **options
            Passed to `circle.maps.coverage_map` (``tiles``, ``offline``, ``title`` ...).

        Returns
        -------
        folium.Map
        """
        return coverage_map(
            self.result, isochrones=self.isochrones(), network=self.study.network, **options
        )

    def plot(self, ax=None, *, streets: bool = True):
        """A static map: communities by walk-time band, the uncovered outlined, the centres.

        Parameters
        ----------
        ax
            Matplotlib axes to draw on (default: a new figure).
        streets
            Draw the street network thinly underneath.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax, handles = self._draw(ax, streets)
        s = self.summary["thresholds"][-1]
        share = (
            s["population_share"] if s["population_share"] is not None else s["communities_share"]
        )
        ax.set_title(
            f"{self.config.threshold_min:g}-minute walk at {self.config.walk_speed_kmh:g} km/h: "
            f"{fmt_pct(share)} covered"
        )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        return ax

    def _draw(self, ax, streets: bool):
        """Streets, communities and centres on `ax` (or new axes); the legend handles."""
        ax = _axes(ax)
        if streets:
            _plot_streets(ax, self.study.network)
        handles = _plot_communities(ax, self.table, self.config)
        handles.append(
            _plot_points(
                ax,
                self.centres.geometry,
                label="centre",
                marker="o",
                s=70,
                color=CENTRE_COLOUR,
                linewidth=1.5,
            )
        )
        return ax, handles

    def to_files(self, out_dir: str | Path, *, overwrite: bool = False, map: bool = False):
        """Write the CLI's files: coverage.csv, coverage.geojson, summary.md, summary.json.

        Parameters
        ----------
        out_dir
            Destination folder (created if missing).
        overwrite
            Replace existing files of the same names.
        map
            Also write map.html, together with the other files.

        Returns
        -------
        list of Path
        """
        extra = {"map.html": map_html(self.map())} if map else None
        return write_coverage_outputs(self.result, out_dir, overwrite=overwrite, extra_files=extra)

    def __repr__(self) -> str:
        b = self.summary["thresholds"][-1]
        return (
            f"<Coverage: {b['communities_covered']} of {len(self.table)} communities, "
            f"{fmt_int(b['population_covered'])} people ({fmt_pct(b['population_share'])}) within "
            f"{self.config.threshold_min:g} min at {self.config.walk_speed_kmh:g} km/h>"
        )

    def _repr_html_(self) -> str:
        s = self.summary
        cfg = self.config
        rows = [
            [
                f"{b['minutes']:g} min",
                f"{b['walk_m']:,.0f} m",
                f"{b['communities_covered']} ({fmt_pct(b['communities_share'])})",
                f"{fmt_int(b['population_covered'])} ({fmt_pct(b['population_share'])})",
            ]
            for b in s["thresholds"]
        ]
        statuses = ", ".join(f"{k} {v}" for k, v in s["communities"]["by_status"].items())
        left = [
            f"{g['name'] or g['community_id']} ({fmt_int(g['population'])})"
            for g in s["uncovered"][:5]
        ]
        more = len(s["uncovered"]) - len(left)
        notes = [f"statuses: {statuses}"]
        if left:
            notes.append(
                f"left out beyond {cfg.threshold_min:g} min: {len(s['uncovered'])} — "
                + ", ".join(left)
                + (f" and {more} more" if more > 0 else "")
            )
        return _html_table(
            f"{s['title']} — walking {cfg.walk_speed_kmh:g} km/h, "
            f"{s['communities']['total']} communities, {s['centres']['total']} centres",
            ["within", "walk", "communities", "population"],
            rows,
            notes,
        )


@dataclass(frozen=True, eq=False, repr=False)
class Siting(_Run):
    """A siting run of a study area, for notebooks.

    Parameters
    ----------
    result
        The run (`circle.siting.SitingResult`).
    study
        The study area it ran on.
    """

    result: SitingResult

    @property
    def table(self) -> gpd.GeoDataFrame:
        """One row per community: covered before and after, the new site, the outcome."""
        return self.result.communities

    @property
    def proposals(self) -> gpd.GeoDataFrame:
        """The proposed sites, best first, with what each adds to those above it."""
        return self.result.proposals

    @cached_property
    def summary(self) -> dict:
        """The summary numbers (`circle.siting.siting_summary`), as in summary.json."""
        return siting_summary(self.result)

    @property
    def before(self) -> Coverage:
        """Coverage by the existing centres."""
        return Coverage(self.result.before, self.study)

    @cached_property
    def after(self) -> Coverage:
        """Coverage with the proposed sites added to the centres (a fresh coverage run)."""
        cols = ["id", "name", "type", "geometry"]
        # the centres as the run read them (ids, names, types, points in the network's CRS)
        old = self.result.before.centres.rename(columns={"centre_id": "id"})[cols]
        new = self.proposals.rename(columns={"site_id": "id"})[cols]
        centres = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), crs=old.crs)
        centres.attrs = dict(self.study.centres.attrs)
        return dataclasses.replace(self.study, centres=centres).coverage(self.config)

    def map(self, **options) -> folium.Map:
        """The coverage map before the new sites, with the proposals marked (gain in popups).

        Parameters
        ----------
        **options
            Passed to `circle.maps.coverage_map` (``tiles``, ``offline``, ``title`` ...).

        Returns
        -------
        folium.Map
        """
        m = self.before.map(**options)
        provider = tile_provider(
            options.get("tiles", "none"), options.get("tiles_datum"), options.get("offline", True)
        )
        p = self.proposals
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

    def plot(self, ax=None, *, streets: bool = True):
        """A static map: coverage before, the proposals, the newly covered communities outlined.

        Parameters
        ----------
        ax
            Matplotlib axes to draw on (default: a new figure).
        streets
            Draw the street network thinly underneath.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from matplotlib.patches import Patch

        ax, handles = self.before._draw(ax, streets)
        new = self.table[self.table["outcome"] == "newly_covered"]
        if len(new):
            new.plot(ax=ax, facecolor="none", edgecolor=PROPOSAL_COLOUR, linewidth=2.5, zorder=4)
        handles.append(
            Patch(facecolor="none", edgecolor=PROPOSAL_COLOUR, linewidth=2.5, label="newly covered")
        )
        p = self.proposals
        handles.append(
            _plot_points(
                ax,
                p.geometry,
                label="proposed site",
                marker="*",
                s=260,
                color=PROPOSAL_COLOUR,
                linewidth=1,
            )
        )
        for r in p.itertuples():
            ax.annotate(
                str(r.rank),
                (r.geometry.x, r.geometry.y),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=9,
                color=PROPOSAL_COLOUR,
                zorder=7,
            )
        g = self.summary["gain"]
        gain = f"{fmt_int(g['population'])} people, " if g["population"] is not None else ""
        ax.set_title(
            f"{len(p)} proposed site(s) newly cover {gain}{g['communities']} communities "
            f"within {self.config.threshold_min:g} min"
        )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        return ax

    def to_files(self, out_dir: str | Path, *, overwrite: bool = False):
        """Write the CLI's files: proposals.csv, proposals.geojson, summary.md, summary.json.

        Parameters
        ----------
        out_dir
            Destination folder (created if missing).
        overwrite
            Replace existing files of the same names.

        Returns
        -------
        list of Path
        """
        return write_siting_outputs(self.result, out_dir, overwrite=overwrite)

    def __repr__(self) -> str:
        g = self.summary["gain"]
        return (
            f"<Siting: {len(self.proposals)} proposed site(s) newly cover "
            f"{fmt_int(g['population'])} people, {g['communities']} communities within "
            f"{self.config.threshold_min:g} min>"
        )

    def _repr_html_(self) -> str:
        s = self.summary
        rows = [
            [
                label,
                f"{s[key]['communities_covered']} ({fmt_pct(s[key]['communities_share'])})",
                f"{fmt_int(s[key]['population_covered'])} ({fmt_pct(s[key]['population_share'])})",
            ]
            for label, key in (("before", "before"), ("after", "after"))
        ]
        rows.append(["gain", f"+{s['gain']['communities']}", "+" + fmt_int(s["gain"]["population"])])
        proposals = [
            f"{p['rank']}. {p['name'] or p['site_id']} (+{fmt_int(p['population_newly_covered'])})"
            for p in s["proposals"]
        ]
        question = (
            f"add {s['parameters']['add']}" if s["parameters"]["mode"] == "add" else ("cover all")
        )
        notes = [
            "proposals: " + ("; ".join(proposals) or "none"),
            f"solver: {s['solver']['method']}, {s['solver'].get('status', '')}",
            f"still left out: {len(s['left_out'])}",
        ]
        return _html_table(
            f"{s['title']} — {question}, within {self.config.threshold_min:g} min at "
            f"{self.config.walk_speed_kmh:g} km/h, {s['candidates']['total']} candidates",
            [f"within {self.config.threshold_min:g} min", "communities", "population"],
            rows,
            notes,
        )


# ---- drawing helpers -----------------------------------------------------------------------------


def _html_table(title: str, header: list[str], rows: list[list[str]], notes: list[str]) -> str:
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


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 8))
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _plot_streets(ax, network: WalkNetwork) -> None:
    from matplotlib.collections import LineCollection

    lines = np.stack((network.xy[network.edge_u], network.xy[network.edge_v]), axis=1)
    ax.add_collection(LineCollection(lines, colors="#b0b0b0", linewidths=0.5))
    ax.autoscale_view()


def _plot_communities(ax, table: gpd.GeoDataFrame, config: CircleConfig) -> list:
    """Draw communities by walk-time band, the uncovered grey outlined red; legend handles."""
    from matplotlib.patches import Patch

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


def _plot_points(ax, points: gpd.GeoSeries, *, label: str, **style):
    """Scatter points (polygons at a point inside); the legend handle."""
    pts = points.representative_point()
    return ax.scatter(pts.x, pts.y, label=label, edgecolor="white", zorder=6, **style)
