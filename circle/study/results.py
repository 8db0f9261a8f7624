"""The notebook results: a coverage run and a siting run of a study area, shown as tables and
maps, written as the CLI's files."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from .._text import fmt_int, fmt_pct
from ..config import CircleConfig
from ..errors import ConfigError
from ._draw import (
    CENTRE_COLOUR,
    PROPOSAL_COLOUR,
    axes,
    html_table,
    plot_communities,
    plot_points,
    plot_streets,
)

if TYPE_CHECKING:
    import folium

    from ..coverage.core import CoverageResult
    from ..siting.result import SitingResult
    from .area import StudyArea

__all__ = ["Coverage", "Siting"]


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
    profiles
        The coverage at each asked-for walking profile's speed (profiles.csv), or None.
    """

    result: CoverageResult
    profiles: pd.DataFrame | None = None

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
        from ..coverage.core import summarise

        return summarise(self.result)

    @property
    def capacity(self) -> pd.DataFrame | None:
        """Per centre: capacity, people served, capacity per 10,000, 2SFCA ratio, crowded
        (centres_capacity.csv); None without a capacity column."""
        cap = self.result.capacity
        return None if cap is None else cap.centres

    @property
    def equity(self) -> dict | None:
        """Gini, Palma and Lorenz curves, key-group gaps (summary.json's ``equity``), or None."""
        return self.summary.get("equity")

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

    @property
    def areas(self) -> pd.DataFrame | None:
        """The roll-up by area (``by=``/``areas=`` of `StudyArea.from_files`), as areas.csv."""
        from ..report.coverage import areas_table

        return areas_table(self.summary) if "areas" in self.summary else None

    def isochrones(self, *, per_centre: bool = False) -> gpd.GeoDataFrame:
        """Walk-time isochrones of the centres (`circle.isochrones.walk_isochrones`)."""
        from ..coverage.isochrones import walk_isochrones

        return walk_isochrones(
            self.study.network, self.study.centres, config=self.config, per_centre=per_centre
        )

    def map(self, **options: Any) -> folium.Map:
        """The CLI's offline folium map (``circle coverage --map``).

        Parameters
        ----------
        **options
            Passed to `circle.maps.coverage_map` (``tiles``, ``offline``, ``title`` ...).

        Returns
        -------
        folium.Map
        """
        from ..runs.maps import draw_coverage_map

        return draw_coverage_map(
            self.result, self.study.network, self.study.centres, self.config, **options
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
        ax = axes(ax)
        if streets:
            plot_streets(ax, self.study.network)
        handles = plot_communities(ax, self.table, self.config)
        handles.append(
            plot_points(
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

    def to_files(
        self,
        out_dir: str | Path,
        *,
        overwrite: bool = False,
        map: bool = False,
        lang: str = "en",
        csv_header: str = "en",
    ) -> list[Path]:
        """Write the CLI's files: coverage.csv, coverage.geojson, summary.md, summary.json
        (areas.csv with a roll-up, profiles.csv/.md/.json with profiles), report.xlsx,
        report.pdf and coverage.gpkg.

        Parameters
        ----------
        out_dir
            Destination folder (created if missing).
        overwrite
            Replace existing files of the same names.
        map
            Also write map.html, together with the other files.
        lang, csv_header
            {"en", "zh"} Language of the Markdown files and of the CSV headers, as ``--lang``
            and ``--csv-header``.

        Returns
        -------
        list of Path
        """
        from ..maps.coverage_map import map_html
        from ..runs.job import coverage_files
        from ..runs.outputs import text_files, write_result_folder
        from ..runs.reports import coverage_report_files

        parts = coverage_files(self.result, self.profiles, lang=lang, csv_header=csv_header)
        parts.append(
            coverage_report_files(self.result, self.study.network, self.study.centres, lang=lang)
        )
        if map:
            parts.append(text_files({"map.html": map_html(self.map(lang=lang))}))
        return write_result_folder(out_dir, parts, overwrite=overwrite)

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
        return html_table(
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
        from ..siting.summary import siting_summary

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
        from ._draw import mark_proposals

        return mark_proposals(self.before.map(**options), self.proposals, options)

    def whatif_map(self, **options: Any) -> folium.Map:
        """The what-if map (``circle site --map``): clicking candidate sites shows who each
        brings within the circle; the proposals start switched on.

        Parameters
        ----------
        **options
            Passed to `circle.maps.whatif_map` (``tiles``, ``lang``, ``start_with_proposals``).

        Returns
        -------
        folium.Map
        """
        from ..runs.maps import draw_whatif_map

        return draw_whatif_map(
            self.result, self.study.network, self.study.centres, self.config, **options
        )

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
            plot_points(
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

    def to_files(
        self,
        out_dir: str | Path,
        *,
        overwrite: bool = False,
        map: bool = False,
        lang: str = "en",
        csv_header: str = "en",
    ) -> list[Path]:
        """Write the CLI's files: proposals.csv, proposals.geojson, summary.md, summary.json,
        report.xlsx, report.pdf and coverage.gpkg.

        Parameters
        ----------
        out_dir
            Destination folder (created if missing).
        overwrite
            Replace existing files of the same names.
        map
            Also write the what-if map.html (`whatif_map`), as ``circle site --map``.
        lang, csv_header
            {"en", "zh"} Language of summary.md and of the CSV header.

        Returns
        -------
        list of Path
        """
        from ..maps.coverage_map import map_html
        from ..runs.site import write_siting_folder

        extra = {"map.html": map_html(self.whatif_map())} if map else None
        return write_siting_folder(
            self.result, out_dir, overwrite=overwrite, extra_files=extra, lang=lang,
            csv_header=csv_header, network=self.study.network, centres=self.study.centres,
        )

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
        gain = s["gain"]
        rows.append(["gain", f"+{gain['communities']}", "+" + fmt_int(gain["population"])])
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
        return html_table(
            f"{s['title']} — {question}, within {self.config.threshold_min:g} min at "
            f"{self.config.walk_speed_kmh:g} km/h, {s['candidates']['total']} candidates",
            [f"within {self.config.threshold_min:g} min", "communities", "population"],
            rows,
            notes,
        )


