"""Coverage results as files and text: the per-community table (CSV, GeoJSON) and the summary (Markdown, JSON, terminal)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .areas import AREA_COLUMN
from .coverage import COLUMNS, CoverageResult, summarise
from .io import atomic_output_dir
from .profiles import PROFILES

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
    "write_report_files",
]

OUTPUT_FILES = ["coverage.csv", "coverage.geojson", "summary.md", "summary.json"]
#: written beside them when the communities have areas (--by / --areas)
AREAS_FILE = "areas.csv"
ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL 1.0)"

#: decimals kept in output files (metres to the decimetre, minutes to the hundredth)
_DECIMALS = {"walk_m": 1, "walk_min": 2, "snap_m": 1, "population": 1}


def coverage_table_for_output(result: CoverageResult) -> gpd.GeoDataFrame:
    """The per-community table as written to files: WGS84, rounded, stable column order."""
    area = [AREA_COLUMN] if AREA_COLUMN in result.table.columns else []
    columns = [*COLUMNS[:2], *area, *COLUMNS[2:], *result.groups]
    t = result.table.to_crs("EPSG:4326")[[*columns, "geometry"]].copy()
    for col, digits in _DECIMALS.items():
        t[col] = t[col].round(digits)
    t["covered"] = t["covered"].astype(bool)
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


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _int(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def summary_markdown(summary: dict, *, top: int = 20) -> str:
    """The summary as a Markdown report for people.

    Parameters
    ----------
    summary
        The output of `circle.coverage.summarise`.
    top
        Uncovered communities listed (largest population first).

    Returns
    -------
    str
    """
    p = summary["parameters"]
    net = summary["data"]["network"]
    edit = net.get("newest_way_edit")
    lines = [
        f"# {summary['title']}",
        "",
        f"Walking at **{p['walk_speed_kmh']:g} km/h**; the circle is **{p['threshold_min']:g} "
        f"minutes** ({p['walk_speed_kmh'] * 1000 / 60 * p['threshold_min']:.0f} m of walking). "
        f"Points farther than {p['max_snap_m']:g} m from a walkable street are off the network.",
        *_profile_lines(p),
        "",
        "## Coverage by walk time",
        "",
        "| within | walk | communities | share | population | share |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for b in summary["thresholds"]:
        lines.append(
            f"| {b['minutes']:g} min | {b['walk_m']:.0f} m | {b['communities_covered']} | "
            f"{_pct(b['communities_share'])} | {_int(b['population_covered'])} | "
            f"{_pct(b['population_share'])} |"
        )
    c = summary["communities"]
    pop = summary["population"]
    lines += [
        "",
        f"{c['total']} communities: "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in c["by_status"].items())
        + ".",
        "",
    ]
    if pop["available"]:
        lines.append(f"Population in the study area: {_int(pop['total'])}. Source:")
        lines += [f"- {_md(s)}" for s in pop["sources"]]
        if pop["communities_without_population"]:
            lines.append(
                f"- {pop['communities_without_population']} communities have no population "
                "figure and count as 0."
            )
    else:
        lines.append("No population figures were given: shares are of communities only.")
    lines += [
        "",
        "## By type of nearest centre",
        "",
        "| centre type | centres | on network | communities covered | population covered |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in summary["by_centre_type"]:
        lines.append(
            f"| {_md(r['type'])} | {r['centres']} | {r['centres_on_network']} | "
            f"{r['communities_covered']} | {_int(r['population_covered'])} |"
        )
    lines += _group_lines(summary)
    off = summary["centres"]["off_network"]
    if off:
        lines += ["", f"Centres off the network (not used): {', '.join(map(_md, off))}."]
    unc = summary["uncovered"]
    lines += ["", f"## Left out: {len(unc)} communities beyond {p['threshold_min']:g} minutes", ""]
    if unc:
        lines += [
            "| community | name | population | walk (min) | status | nearest centre |",
            "|---|---|---:|---:|---|---|",
        ]
        for r in unc[:top]:
            walk = "–" if r["walk_min"] is None else f"{r['walk_min']:.1f}"
            lines.append(
                f"| {_md(r['community_id'])} | {_md(r['name'])} | {_int(r['population'])} | "
                f"{walk} | {r['status']} | "
                f"{_md(r['nearest_centre_id'] or '–')} |"
            )
        if len(unc) > top:
            lines.append(f"\n… and {len(unc) - top} more in summary.json and coverage.csv.")
    if "areas" in summary:
        lines += _areas_markdown(summary["areas"], p["threshold_min"])
    lines += [
        "",
        "## Data",
        "",
        f"- Network: {_md(net.get('file'))} (sha256 {str(net.get('sha256', ''))[:12]}…), "
        f"{net.get('fragments_dropped', 0)} fragments under {net.get('min_component_m', 0):g} m "
        "dropped"
        + (f"; newest edit of its ways {net['newest_way_edit'][:10]}." if edit else "."),
        f"- Centres: {_md(summary['data']['centres']['file'])} "
        f"({summary['data']['centres']['features']} features, "
        f"{summary['data']['centres']['repaired_geometries']} geometries repaired).",
        f"- Communities: {_md(summary['data']['communities']['file'])} "
        f"({summary['data']['communities']['features']} features, "
        f"{summary['data']['communities']['repaired_geometries']} geometries repaired).",
        *_gate_lines(summary["data"].get("gates")),
        f"- {ATTRIBUTION} where the data comes from OpenStreetMap.",
        "",
    ]
    return "\n".join(lines)


def _areas_markdown(areas: dict, minutes: float) -> list[str]:
    lines = [
        "",
        f"## By area: covered within {minutes:g} minutes",
        "",
        f"Areas from {_md(areas['by'])}." if areas["by"] else "",
        "",
        "| area | communities | covered | share | population | covered | share | worst gaps |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in areas["rows"]:
        lines.append(
            f"| {_md(r['area'])} | {r['communities']} | {r['communities_covered']} | "
            f"{_pct(r['communities_share'])} | {_int(r['population'])} | "
            f"{_int(r['population_covered'])} | {_pct(r['population_share'])} | "
            f"{_md(_gaps(r['worst_gaps'])) or '–'} |"
        )
    if areas["unassigned"]:
        lines += ["", f"In no area: {_md(', '.join(areas['unassigned']))}."]
    if areas.get("groups"):
        lines += [
            "",
            f"### Key groups by area within {minutes:g} minutes",
            "",
            "| area | group | people | covered | left out | share covered | "
            "communities without a figure |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {_md(g['area'])} | {_md(g['group'])} | {_int(g['total'])} | "
            f"{_int(g['covered'])} | {_int(g['uncovered'])} | {_pct(g['share'])} | "
            f"{g['communities_without_figure']} |"
            for g in areas["groups"]
        ]
    return lines


def _gaps(gaps: list[dict]) -> str:
    return "; ".join(f"{g['name'] or g['community_id']} ({_int(g['population'])})" for g in gaps)


def areas_table(summary: dict) -> pd.DataFrame:
    """The per-area roll-up as a table (the rows of ``areas.csv``).

    Parameters
    ----------
    summary
        The output of `circle.coverage.summarise` for communities with areas.

    Returns
    -------
    pandas.DataFrame
        One row per area: counts, population, covered counts and shares, and the worst gaps
        (largest uncovered communities, ``name (population)`` joined by ``;``).
    """
    rows = [
        {**{k: v for k, v in r.items() if k != "worst_gaps"}, "worst_gaps": _gaps(r["worst_gaps"])}
        for r in summary["areas"]["rows"]
    ]
    return pd.DataFrame(rows)


def _profile_lines(p: dict) -> list[str]:
    profile = PROFILES.get(p.get("walk_profile") or "")
    if profile is None:
        return []
    return ["", f"Walking profile **{profile.name}** ({profile.label}): {profile.source}."]


def _group_lines(summary: dict) -> list[str]:
    groups = summary.get("groups") or []
    if not groups:
        return []
    p = summary["parameters"]
    lines = [
        "",
        f"## Key groups within {p['threshold_min']:g} minutes",
        "",
        "| group | people | covered | left out | share covered | communities without a figure |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for g in groups:
        lines.append(
            f"| {_md(g['group'])} | {_int(g['total'])} | {_int(g['covered'])} | "
            f"{_int(g['uncovered'])} | {_pct(g['share'])} | {g['communities_without_figure']} |"
        )
    return lines


def _gate_lines(gates: dict | None) -> list[str]:
    if not gates:
        return []
    return [
        f"- Gates: {_md(gates['file'])} ({gates['features']} features, {gates['linked_gates']} "
        f"linked to {gates['communities_with_gates']} communities within "
        f"{gates['tolerance_m']:g} m, {gates['unlinked_gates']} not linked, "
        f"{gates['off_network']} off the network); {gates['communities_walking_via_gate']} "
        "communities walk out through a gate."
    ]


#: Markdown and HTML characters in data strings, made literal: summary.md is shown by Markdown
#: viewers that pass HTML through, so a name like ``<img onerror=...>`` must stay text
_MD_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
        "#": "\\#",
    }
)
#: control characters (line breaks, terminal escape sequences) in data strings become spaces
_CONTROL = str.maketrans({c: " " for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]})


def _md(text) -> str:
    """A data string (name, id, file name) as inert Markdown text on one line."""
    return _plain(text).translate(_MD_ESCAPES)


def _plain(text) -> str:
    """A data string on one line without control characters (safe to print to a terminal)."""
    return str(text).translate(_CONTROL)


def summary_text(summary: dict) -> str:
    """A short plain-text summary table for the terminal."""
    p = summary["parameters"]
    c = summary["communities"]
    lines = [
        f"15-minute employment circle — walking {p['walk_speed_kmh']:g} km/h, "
        f"{c['total']} communities, {summary['centres']['total']} centres",
        "",
        f"{'within':>8}  {'walk':>7}  {'communities':>13}  {'population':>18}",
    ]
    for b in summary["thresholds"]:
        comm = f"{b['communities_covered']} ({_pct(b['communities_share'])})"
        popn = _covered_cell(b["population_covered"], b["population_share"])
        lines.append(f"{b['minutes']:>4g} min  {b['walk_m']:>5.0f} m  {comm:>13}  {popn:>18}")
    lines.append("")
    lines.append(
        "statuses: " + ", ".join(f"{k} {v}" for k, v in c["by_status"].items())
    )
    groups = summary.get("groups") or []
    if groups:
        lines.append(
            "key groups covered: "
            + ", ".join(
                f"{_plain(g['group'])} {_pct(g['share'])} ({_int(g['uncovered'])} left out)"
                for g in groups
            )
        )
    unc = summary["uncovered"]
    if unc:
        names = ", ".join(
            f"{_plain(r['name'] or r['community_id'])} ({_int(r['population'])})"
            for r in unc[:5]
        )
        lines.append(f"left out beyond {p['threshold_min']:g} min: {len(unc)} — largest: {names}")
    if "areas" in summary:
        lines += ["", f"{'area':<28}  {'covered':>18}  {'population covered':>22}"]
        for r in summary["areas"]["rows"]:
            comm = f"{r['communities_covered']}/{r['communities']} ({_pct(r['communities_share'])})"
            popn = _covered_cell(r["population_covered"], r["population_share"])
            lines.append(f"{_plain(r['area'])[:28]:<28}  {comm:>18}  {popn:>22}")
    return "\n".join(lines) + "\n"


def _covered_cell(covered: float | None, share: float | None) -> str:
    return "–" if covered is None else f"{_int(covered)} ({_pct(share)})"


def coverage_file_names(result: CoverageResult) -> list[str]:
    """The files `write_coverage_files` writes: `OUTPUT_FILES`, and areas.csv with areas."""
    return list(OUTPUT_FILES) + ([AREAS_FILE] if AREA_COLUMN in result.table.columns else [])


def write_coverage_files(result: CoverageResult, folder: str | Path) -> list[str]:
    """Write coverage.csv, coverage.geojson, summary.md, summary.json (areas.csv) into a folder.

    `write_coverage_outputs` wraps this in an atomic, overwrite-checked output folder.

    Parameters
    ----------
    result
        A coverage result.
    folder
        An existing folder.

    Returns
    -------
    list of str
        The names of the written files (`coverage_file_names`).
    """
    folder = Path(folder)
    summary = summarise(result)
    table = coverage_table_for_output(result)
    pd.DataFrame(table.drop(columns="geometry")).to_csv(
        folder / "coverage.csv", index=False, lineterminator="\n"
    )
    table.to_file(
        folder / "coverage.geojson",
        driver="GeoJSON",
        engine="pyogrio",
        layer_options={"COORDINATE_PRECISION": 7, "WRITE_BBOX": "NO"},
    )
    (folder / "summary.md").write_text(summary_markdown(summary), encoding="utf-8")
    (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")
    if "areas" in summary:
        areas_table(summary).to_csv(folder / AREAS_FILE, index=False, lineterminator="\n")
    return coverage_file_names(result)


def write_coverage_outputs(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    extra_files: dict[str, str] | None = None,
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

    Returns
    -------
    list of Path
        The written files.
    """
    extra_files = extra_files or {}
    names = [*coverage_file_names(result), *extra_files]
    with atomic_output_dir(out_dir, names, overwrite=overwrite) as staging:
        write_coverage_files(result, staging)
        for name, text in extra_files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [Path(out_dir) / n for n in names]


def coverage_tables(result: CoverageResult) -> dict[str, pd.DataFrame]:
    """The coverage result as database tables (see `circle.db.write_db_tables`).

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
        csv.to_csv(staging / names[0], index=False, lineterminator="\n")
        table.to_file(
            staging / names[1],
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={"COORDINATE_PRECISION": coordinate_precision, "WRITE_BBOX": "NO"},
        )
        (staging / "summary.md").write_text(markdown, encoding="utf-8")
        (staging / "summary.json").write_text(json_text, encoding="utf-8")
        for name, text in extra_files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [Path(out_dir) / n for n in names]
