"""Coverage results as files and text: the per-community table (CSV, GeoJSON) and the summary (Markdown, JSON, terminal)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .coverage import COLUMNS, CoverageResult, summarise
from .io import atomic_output_dir

__all__ = [
    "OUTPUT_FILES",
    "coverage_table_for_output",
    "summary_json",
    "summary_markdown",
    "summary_text",
    "write_coverage_outputs",
]

OUTPUT_FILES = ["coverage.csv", "coverage.geojson", "summary.md", "summary.json"]
ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL 1.0)"

#: decimals kept in output files (metres to the decimetre, minutes to the hundredth)
_DECIMALS = {"walk_m": 1, "walk_min": 2, "snap_m": 1, "population": 1}


def coverage_table_for_output(result: CoverageResult) -> gpd.GeoDataFrame:
    """The per-community table as written to files: WGS84, rounded, stable column order."""
    t = result.table.to_crs("EPSG:4326")[[*COLUMNS, "geometry"]].copy()
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
    lines = [
        f"# {summary['title']}",
        "",
        f"Walking at **{p['walk_speed_kmh']:g} km/h**; the circle is **{p['threshold_min']:g} "
        f"minutes** ({p['walk_speed_kmh'] * 1000 / 60 * p['threshold_min']:.0f} m of walking). "
        f"Points farther than {p['max_snap_m']:g} m from a walkable street are off the network.",
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
        lines += [f"- {s}" for s in pop["sources"]]
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
            f"| {r['type']} | {r['centres']} | {r['centres_on_network']} | "
            f"{r['communities_covered']} | {_int(r['population_covered'])} |"
        )
    off = summary["centres"]["off_network"]
    if off:
        lines += ["", f"Centres off the network (not used): {', '.join(off)}."]
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
    lines += [
        "",
        "## Data",
        "",
        f"- Network: {net.get('file')} (sha256 {str(net.get('sha256', ''))[:12]}…), "
        f"{net.get('fragments_dropped', 0)} fragments under {net.get('min_component_m', 0):g} m "
        "dropped.",
        f"- Centres: {summary['data']['centres']['file']} "
        f"({summary['data']['centres']['features']} features, "
        f"{summary['data']['centres']['repaired_geometries']} geometries repaired).",
        f"- Communities: {summary['data']['communities']['file']} "
        f"({summary['data']['communities']['features']} features, "
        f"{summary['data']['communities']['repaired_geometries']} geometries repaired).",
        f"- {ATTRIBUTION} where the data comes from OpenStreetMap.",
        "",
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


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
        popn = (
            f"{_int(b['population_covered'])} ({_pct(b['population_share'])})"
            if b["population_covered"] is not None
            else "–"
        )
        lines.append(f"{b['minutes']:>4g} min  {b['walk_m']:>5.0f} m  {comm:>13}  {popn:>18}")
    lines.append("")
    lines.append(
        "statuses: " + ", ".join(f"{k} {v}" for k, v in c["by_status"].items())
    )
    unc = summary["uncovered"]
    if unc:
        names = ", ".join(
            f"{r['name'] or r['community_id']} ({_int(r['population'])})" for r in unc[:5]
        )
        lines.append(f"left out beyond {p['threshold_min']:g} min: {len(unc)} — largest: {names}")
    return "\n".join(lines) + "\n"


def write_coverage_outputs(
    result: CoverageResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    summary: dict | None = None,
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
    summary
        ``summarise(result)`` when the caller already has it (saves recomputing it).

    Returns
    -------
    list of Path
        The written files.
    """
    if summary is None:
        summary = summarise(result)
    table = coverage_table_for_output(result)
    with atomic_output_dir(out_dir, OUTPUT_FILES, overwrite=overwrite) as staging:
        pd.DataFrame(table.drop(columns="geometry")).to_csv(
            staging / "coverage.csv", index=False, lineterminator="\n"
        )
        table.to_file(
            staging / "coverage.geojson",
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={"COORDINATE_PRECISION": 7, "WRITE_BBOX": "NO"},
        )
        (staging / "summary.md").write_text(summary_markdown(summary), encoding="utf-8")
        (staging / "summary.json").write_text(summary_json(summary), encoding="utf-8")
    return [Path(out_dir) / n for n in OUTPUT_FILES]
