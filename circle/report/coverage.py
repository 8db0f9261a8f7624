"""Coverage results as files and text: the per-community table (CSV, GeoJSON) and the summary
(Markdown, JSON, terminal)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._text import fmt_int, fmt_pct, md, md_row, plain
from ..config import PROFILES, CircleConfig
from ..coverage.areas import AREA_COLUMN
from ..coverage.core import COLUMNS, CoverageResult, summarise
from ..coverage.rural import RURAL_COLUMNS
from ..i18n import N_, pad, translator
from ..io.outputs import atomic_output_dir, write_geojson
from .areas import areas_markdown, areas_table
from .capacity import (
    CAPACITY_FILE,
    LORENZ_FILE,
    capacity_markdown,
    capacity_table,
    denominators_markdown,
    equity_markdown,
    lorenz_png,
)
from .csvfiles import write_csv
from .rural import rural_markdown

__all__ = [
    "AREAS_FILE",
    "OUTPUT_FILES",
    "areas_table",
    "coverage_file_names",
    "coverage_table_for_output",
    "coverage_tables",
    "summary_json",
    "summary_markdown",
    "summary_text",
    "write_coverage_files",
    "write_coverage_outputs",
    "write_csv",
    "write_report_files",
]

OUTPUT_FILES = ["coverage.csv", "coverage.geojson", "summary.md", "summary.json"]
#: written beside them when the communities have areas (--by / --areas)
AREAS_FILE = "areas.csv"
ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL 1.0)"

#: decimals kept in output files (metres to the decimetre, minutes to the hundredth)
_DECIMALS = {"walk_m": 1, "walk_min": 2, "snap_m": 1, "population": 1}


def coverage_table_for_output(
    result: CoverageResult, *, geometry: bool = True
) -> gpd.GeoDataFrame | pd.DataFrame:
    """The per-community table as written to files: WGS84, rounded, stable column order;
    without `geometry`, a plain table without the geometry column (for CSV and sheets: nothing
    is reprojected)."""
    area = [AREA_COLUMN] if AREA_COLUMN in result.table.columns else []
    rural = [c for c in RURAL_COLUMNS if c in result.table.columns]  # issue 22
    columns = [*COLUMNS[:2], *area, *COLUMNS[2:], *result.groups, *rural]
    if geometry:
        t = result.table.to_crs("EPSG:4326")[[*columns, "geometry"]].copy()
    else:
        t = pd.DataFrame(result.table[columns]).copy()
    for col, digits in _DECIMALS.items():
        t[col] = t[col].round(digits)
    t["covered"] = t["covered"].astype(bool)
    if result.capacity is not None:
        t.insert(len(columns), "access_2sfca_per_10k", np.round(result.capacity.score, 4))
    return t


def summary_json(summary: dict) -> str:
    """The summary as indented, key-sorted JSON text (UTF-8, no escapes)."""
    return json.dumps(_clean(summary), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else round(float(x), 4)
    return x


#: texts of the summary's machine values, translated when shown
_TITLES = [N_("15-minute employment circle: coverage")]
_STATUSES = [N_("ok"), N_("off_network"), N_("unreachable"), N_("beyond_limit")]


def summary_markdown(summary: dict, *, top: int = 20, lang: str = "en") -> str:
    """The summary as a Markdown report for people.

    Parameters
    ----------
    summary
        The output of `circle.coverage.core.summarise`.
    top
        Uncovered communities listed (largest population first).
    lang
        {"en", "zh"} Language of the texts (the numbers are the same).

    Returns
    -------
    str
    """
    _ = translator(lang)
    minutes = summary["parameters"]["threshold_min"]
    lines = _band_lines(summary, _)
    lines += _population_lines(summary, _)
    lines += _centre_type_lines(summary, _)
    lines += denominators_markdown(summary, _)
    lines += capacity_markdown(summary, _)
    lines += equity_markdown(summary, _)
    lines += rural_markdown(summary, _)  # issue 22: modes, distance rule, villages, hours
    lines += _uncovered_lines(summary["uncovered"], minutes, top, _)
    if "areas" in summary:
        lines += areas_markdown(summary["areas"], minutes, _)
    lines += _data_lines(summary["data"], _)
    return "\n".join(lines)


def _band_lines(summary: dict, _=str) -> list[str]:
    """Title, walking parameters and the table of coverage by walk time."""
    p = summary["parameters"]
    speed, minutes = p["walk_speed_kmh"], p["threshold_min"]
    rule = _(
        "Walking at **{speed:g} km/h**; the circle is **{minutes:g} minutes** ({metres:.0f} m "
        "of walking). Points farther than {snap:g} m from a walkable street are off the "
        "network."
    )
    if p.get("mode", "walk") != "walk":  # issue 22: by bicycle or e-bike
        rule = _(
            "Cycling at **{speed:g} km/h**; the circle is **{minutes:g} minutes** ({metres:.0f} m "
            "of cycling). Points farther than {snap:g} m from a cyclable street are off the "
            "network."
        )
    lines = [
        f"# {_(summary['title'])}",
        "",
        rule.format(
            speed=speed,
            minutes=minutes,
            metres=CircleConfig.walk_metres(speed, minutes),
            snap=p["max_snap_m"],
        ),
        *_profile_lines(p, _),
        "",
        "## " + _("Coverage by walk time"),
        "",
        md_row([_("within"), _("walk"), _("communities"), _("share"), _("population"), _("share")]),
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for b in summary["thresholds"]:
        lines.append(
            f"| {b['minutes']:g} {_('min')} | {b['walk_m']:.0f} m | {b['communities_covered']} | "
            f"{fmt_pct(b['communities_share'])} | {fmt_int(b['population_covered'])} | "
            f"{fmt_pct(b['population_share'])} |"
        )
    return lines


def _population_lines(summary: dict, _=str) -> list[str]:
    """Communities by status, and the population and where it comes from."""
    c = summary["communities"]
    pop = summary["population"]
    statuses = _(", ").join(
        _("{n} {status}").format(n=v, status=_(k).replace("_", " "))
        for k, v in c["by_status"].items()
    )
    lines = [
        "",
        _("{n} communities: {statuses}.").format(n=c["total"], statuses=statuses),
        "",
    ]
    if pop["available"]:
        lines.append(
            _("Population in the study area: {n}. Source:").format(n=fmt_int(pop["total"]))
        )
        lines += [f"- {md(s)}" for s in pop["sources"]]
        if pop["communities_without_population"]:
            lines.append(
                "- "
                + _("{n} communities have no population figure and count as 0.").format(
                    n=pop["communities_without_population"]
                )
            )
    else:
        lines.append(_("No population figures were given: shares are of communities only."))
    return lines


def _centre_type_lines(summary: dict, _=str) -> list[str]:
    """Coverage by type of nearest centre, by group, and the centres off the network."""
    lines = [
        "",
        "## " + _("By type of nearest centre"),
        "",
        md_row(
            [
                _("centre type"),
                _("centres"),
                _("on network"),
                _("communities covered"),
                _("population covered"),
            ]
        ),
        "|---|---:|---:|---:|---:|",
    ]
    for r in summary["by_centre_type"]:
        lines.append(
            f"| {md(_(r['type']))} | {r['centres']} | {r['centres_on_network']} | "
            f"{r['communities_covered']} | {fmt_int(r['population_covered'])} |"
        )
    lines += _group_lines(summary, _)
    off = summary["centres"]["off_network"]
    if off:
        lines += [
            "",
            _("Centres off the network (not used): {ids}.").format(ids=", ".join(map(md, off))),
        ]
    return lines


def _uncovered_lines(unc: list[dict], minutes: float, top: int, _=str) -> list[str]:
    """The communities left out, the `top` first."""
    lines = [
        "",
        "## "
        + _("Left out: {n} communities beyond {minutes:g} minutes").format(
            n=len(unc), minutes=minutes
        ),
        "",
    ]
    if unc:
        lines += [
            md_row(
                [
                    _("community"),
                    _("name"),
                    _("population"),
                    _("walk (min)"),
                    _("status"),
                    _("nearest centre"),
                ]
            ),
            "|---|---|---:|---:|---|---|",
        ]
        for r in unc[:top]:
            walk = "–" if r["walk_min"] is None else f"{r['walk_min']:.1f}"
            lines.append(
                f"| {md(r['community_id'])} | {md(r['name'])} | {fmt_int(r['population'])} | "
                f"{walk} | {_(r['status'])} | "
                f"{md(r['nearest_centre_id'] or '–')} |"
            )
        if len(unc) > top:
            more = _("… and {n} more in summary.json and coverage.csv.").format(n=len(unc) - top)
            lines.append("\n" + more)
    return lines


def _data_lines(data: dict, _=str) -> list[str]:
    """Where the network, centres, communities and gates came from."""
    net = data["network"]
    edit = net.get("newest_way_edit")
    newest = (
        _("; newest edit of its ways {date}.").format(date=net["newest_way_edit"][:10])
        if edit
        else "."
    )
    cen, com = data["centres"], data["communities"]
    layer = _("- {label}: {file} ({n} features, {repaired} geometries repaired).")
    return [
        "",
        "## " + _("Data"),
        "",
        _(
            "- Network: {file} (sha256 {sha}…), {dropped} fragments under {min_m:g} m dropped"
        ).format(
            file=md(net.get("file")),
            sha=str(net.get("sha256", ""))[:12],
            dropped=net.get("fragments_dropped", 0),
            min_m=net.get("min_component_m", 0),
        )
        + newest,
        layer.format(
            label=_("Centres"),
            file=md(cen["file"]),
            n=cen["features"],
            repaired=cen["repaired_geometries"],
        ),
        layer.format(
            label=_("Communities"),
            file=md(com["file"]),
            n=com["features"],
            repaired=com["repaired_geometries"],
        ),
        *_gate_lines(data.get("gates"), _),
        *walk_network_lines(data, _),
        "- "
        + _("{attribution} where the data comes from OpenStreetMap.").format(
            attribution=ATTRIBUTION
        ),
        "",
    ]


def walk_network_lines(data: dict, _=str) -> list[str]:
    """Surface access (points that joined a tunnel or bridge for lack of a street on the ground)
    and the slope cost's DEM, when there is something to say."""
    lines = []
    off = {k: (data.get(k) or {}).get("snapped_off_surface", 0) for k in ("communities", "centres")}
    if any(off.values()):
        lines.append(
            _(
                "- Surface access: {com} communities and {cen} centres joined a tunnel, bridge "
                "or other level because no street on the ground was within reach."
            ).format(com=off["communities"], cen=off["centres"])
        )
    dem = (data.get("network") or {}).get("dem")
    if dem:
        lines.append(
            _(
                "- Slope: elevations from {file} (sha256 {sha}…, {crs}), sampled every "
                "{step:g} m; {n} of {total} edges cost more or less than their length "
                "(Tobler's hiking function)."
            ).format(
                file=md(dem.get("file")),
                sha=str(dem.get("sha256", ""))[:12],
                crs=dem.get("crs"),
                step=dem.get("spacing_m", 0),
                n=dem.get("edges_with_slope", 0),
                total=dem.get("edges", 0),
            )
        )
    closed = (data.get("network") or {}).get("profile")
    if closed:
        lines.append(
            _(
                "- Profile {name}: {steps} steps, {no} ways tagged wheelchair=no and {steep} "
                "streets steeper than the profile's limit are closed."
            ).format(
                name=closed["name"], steps=closed["closed_steps"],
                no=closed["closed_wheelchair_no"], steep=closed["closed_steep"],
            )
        )
    return lines


def _profile_lines(p: dict, _=str) -> list[str]:
    profile = PROFILES.get(p.get("walk_profile") or "")
    if profile is None:
        return []
    return [
        "",
        _("Walking profile **{name}** ({label}): {source}.").format(
            name=profile.name, label=profile.label, source=profile.source
        ),
    ]


def _group_lines(summary: dict, _=str) -> list[str]:
    groups = summary.get("groups") or []
    if not groups:
        return []
    p = summary["parameters"]
    lines = [
        "",
        "## " + _("Key groups within {minutes:g} minutes").format(minutes=p["threshold_min"]),
        "",
        md_row(
            [
                _("group"),
                _("people"),
                _("covered"),
                _("left out"),
                _("share covered"),
                _("communities without a figure"),
            ]
        ),
        "|---|---:|---:|---:|---:|---:|",
    ]
    for g in groups:
        lines.append(
            f"| {md(g['group'])} | {fmt_int(g['total'])} | {fmt_int(g['covered'])} | "
            f"{fmt_int(g['uncovered'])} | {fmt_pct(g['share'])} | "
            f"{g['communities_without_figure']} |"
        )
    return lines


def _gate_lines(gates: dict | None, _=str) -> list[str]:
    if not gates:
        return []
    return [
        _(
            "- Gates: {file} ({features} features, {linked} linked to {communities} communities "
            "within {tolerance:g} m, {unlinked} not linked, {off} off the network); {via} "
            "communities walk out through a gate."
        ).format(
            file=md(gates["file"]),
            features=gates["features"],
            linked=gates["linked_gates"],
            communities=gates["communities_with_gates"],
            tolerance=gates["tolerance_m"],
            unlinked=gates["unlinked_gates"],
            off=gates["off_network"],
            via=gates["communities_walking_via_gate"],
        )
    ]


def summary_text(summary: dict, *, lang: str = "en") -> str:
    """A short plain-text summary table for the terminal.

    Parameters
    ----------
    summary
        The output of `circle.coverage.core.summarise`.
    lang
        {"en", "zh"} Language of the texts (the numbers are the same).

    Returns
    -------
    str
    """
    _ = translator(lang)
    p = summary["parameters"]
    c = summary["communities"]
    head = _(
        "15-minute employment circle — walking {speed:g} km/h, {communities} communities, "
        "{centres} centres"
    )
    if p.get("mode", "walk") != "walk":  # issue 22
        head = _(
            "15-minute employment circle — cycling {speed:g} km/h, {communities} communities, "
            "{centres} centres"
        )
    lines = [
        head.format(
            speed=p["walk_speed_kmh"], communities=c["total"], centres=summary["centres"]["total"]
        ),
        "",
        f"{pad(_('within'), 8)}  {pad(_('walk'), 7)}  {pad(_('communities'), 13)}  "
        f"{pad(_('population'), 18)}",
    ]
    for b in summary["thresholds"]:
        comm = f"{b['communities_covered']} ({fmt_pct(b['communities_share'])})"
        popn = _covered_cell(b["population_covered"], b["population_share"])
        within = f"{b['minutes']:>4g} {_('min')}"
        lines.append(f"{pad(within, 8)}  {b['walk_m']:>5.0f} m  {comm:>13}  {popn:>18}")
    lines.append("")
    lines.append(_("statuses: ") + _(", ").join(f"{_(k)} {v}" for k, v in c["by_status"].items()))
    groups = summary.get("groups") or []
    if groups:
        lines.append(
            _("key groups covered: ")
            + _(", ").join(
                _("{group} {share} ({n} left out)").format(
                    group=plain(g["group"]), share=fmt_pct(g["share"]), n=fmt_int(g["uncovered"])
                )
                for g in groups
            )
        )
    unc = summary["uncovered"]
    if unc:
        names = _(", ").join(
            f"{plain(r['name'] or r['community_id'])} ({fmt_int(r['population'])})"
            for r in unc[:5]
        )
        lines.append(
            _("left out beyond {minutes:g} min: {n} — largest: {names}").format(
                minutes=p["threshold_min"], n=len(unc), names=names
            )
        )
    if "areas" in summary:
        lines += [
            "",
            f"{pad(_('area'), 28, '<')}  {pad(_('covered'), 18)}  "
            f"{pad(_('population covered'), 22)}",
        ]
        for r in summary["areas"]["rows"]:
            share = fmt_pct(r["communities_share"])
            comm = f"{r['communities_covered']}/{r['communities']} ({share})"
            popn = _covered_cell(r["population_covered"], r["population_share"])
            lines.append(f"{pad(plain(r['area'])[:28], 28, '<')}  {comm:>18}  {popn:>22}")
    return "\n".join(lines) + "\n"


def _covered_cell(covered: float | None, share: float | None) -> str:
    return "–" if covered is None else f"{fmt_int(covered)} ({fmt_pct(share)})"


def coverage_file_names(result: CoverageResult) -> list[str]:
    """The files `write_coverage_files` writes: `OUTPUT_FILES`, and areas.csv with areas
    (centres_capacity.csv with a capacity, lorenz.png with equity)."""
    names = list(OUTPUT_FILES) + ([AREAS_FILE] if AREA_COLUMN in result.table.columns else [])
    names += [CAPACITY_FILE] if result.capacity is not None else []
    return names + ([LORENZ_FILE] if result.equity else [])


def write_coverage_files(
    result: CoverageResult, folder: str | Path, *, lang: str = "en", csv_header: str = "en"
) -> list[str]:
    """Write coverage.csv, coverage.geojson, summary.md, summary.json (areas.csv) into a folder.

    `write_coverage_outputs` wraps this in an atomic, overwrite-checked output folder.

    Parameters
    ----------
    result
        A coverage result.
    folder
        An existing folder.
    lang
        {"en", "zh"} Language of summary.md (summary.json and the tables do not change).
    csv_header
        {"en", "zh"} Header of coverage.csv and areas.csv (see `write_csv`).

    Returns
    -------
    list of str
        The names of the written files (`coverage_file_names`).
    """
    folder = Path(folder)
    summary = summarise(result)
    table = coverage_table_for_output(result)
    csv = pd.DataFrame(table.drop(columns="geometry"))
    write_csv(csv, folder / "coverage.csv", header=csv_header, lang=lang)
    write_geojson(table, folder / "coverage.geojson")
    (folder / "summary.md").write_text(summary_markdown(summary, lang=lang), encoding="utf-8")
    (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")
    if "areas" in summary:
        write_csv(areas_table(summary), folder / AREAS_FILE, header=csv_header, lang=lang)
    if "capacity" in summary:
        write_csv(capacity_table(summary), folder / CAPACITY_FILE, header=csv_header, lang=lang)
    if "equity" in summary:
        (folder / LORENZ_FILE).write_bytes(lorenz_png(summary, lang=lang))
    return coverage_file_names(result)


def write_coverage_outputs(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    extra_files: dict[str, str] | None = None,
    lang: str = "en",
    csv_header: str = "en",
) -> list[Path]:
    """Write coverage.csv, coverage.geojson, summary.md and summary.json into `out_dir`.

    The files appear together or not at all; the same inputs give byte-identical files.

    Parameters
    ----------
    result
        A coverage result.
    out_dir
        Destination folder (created if missing).
    overwrite
        Replace existing files of the same names.
    extra_files
        More files to write together with them: name -> text (UTF-8), e.g. ``map.html``.
    lang, csv_header
        As for `write_coverage_files`.

    Returns
    -------
    list of Path
        The written files.
    """
    extra_files = extra_files or {}
    names = [*coverage_file_names(result), *extra_files]
    with atomic_output_dir(out_dir, names, overwrite=overwrite) as staging:
        write_coverage_files(result, staging, lang=lang, csv_header=csv_header)
        for name, text in extra_files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [Path(out_dir) / n for n in names]


def coverage_tables(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """The coverage result as database tables (see `circle.io.db.write_db_tables`).

    Parameters
    ----------
    result
        A coverage result.

    Returns
    -------
    dict
        ``coverage``: the per-community table exactly as in coverage.csv, with WGS84 geometry;
        ``coverage_bands``: one row per walk-time band (the summary's ``thresholds``);
        ``coverage_summary``: one row whose ``summary`` column holds summary.json as jsonb.
    """
    summary = json.loads(summary_json(summarise(result)))
    return {
        "coverage": coverage_table_for_output(result),
        "coverage_bands": pd.DataFrame(summary["thresholds"]),
        "coverage_summary": pd.DataFrame({"summary": [summary]}),
    }


def write_report_files(
    out_dir: str | Path,
    stem: str,
    table: gpd.GeoDataFrame,
    markdown: str,
    json_text: str,
    *,
    overwrite: bool = False,
    coordinate_precision: int = 7,
    csv_lonlat: bool = False,
    extra_files: dict[str, str] | None = None,
    csv_header: str = "en",
    lang: str = "en",
) -> list[Path]:
    """Write ``<stem>.csv``, ``<stem>.geojson``, summary.md and summary.json, all or none.

    Parameters
    ----------
    out_dir
        Destination folder (created if missing).
    stem
        Name of the table files.
    table
        A WGS84 GeoDataFrame; the CSV gets its columns without the geometry.
    markdown, json_text
        The summary texts.
    overwrite
        Replace existing files of the same names.
    coordinate_precision
        Decimals of the GeoJSON coordinates.
    csv_lonlat
        Add ``lon`` and ``lat`` columns (full precision) to the CSV.
    extra_files
        More files to write with them, name -> text (e.g. ``map.html``).
    csv_header, lang
        {"en", "zh"} Header and language of the CSV (see `write_csv`).

    Returns
    -------
    list of Path
        The written files.
    """
    extra_files = extra_files or {}
    names = [f"{stem}.csv", f"{stem}.geojson", "summary.md", "summary.json", *extra_files]
    csv = pd.DataFrame(table.drop(columns="geometry"))
    if csv_lonlat:
        csv["lon"], csv["lat"] = table.geometry.x, table.geometry.y
    with atomic_output_dir(out_dir, names, overwrite=overwrite) as staging:
        write_csv(csv, staging / names[0], header=csv_header, lang=lang)
        write_geojson(table, staging / names[1], precision=coordinate_precision)
        (staging / "summary.md").write_text(markdown, encoding="utf-8")
        (staging / "summary.json").write_text(json_text, encoding="utf-8")
        for name, text in extra_files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [Path(out_dir) / n for n in names]
