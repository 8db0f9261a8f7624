"""Siting results as files and text: ranked proposals (CSV, GeoJSON), before/after summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .report import ATTRIBUTION, _int, _md, _pct, summary_json, write_report_files
from .siting import OUTCOMES, PROPOSAL_COLUMNS, SitingResult, siting_summary

__all__ = [
    "SITING_FILES",
    "proposals_for_output",
    "siting_markdown",
    "siting_tables",
    "siting_text",
    "write_siting_outputs",
]

SITING_FILES = ["proposals.csv", "proposals.geojson", "summary.md", "summary.json"]

_DECIMALS = {
    "population_newly_covered": 1,
    "population_alone": 1,
    "demand_newly_covered": 1,
    "demand_alone": 1,
    "snap_m": 1,
}


def proposals_for_output(result: SitingResult):
    """The proposals as written to files: WGS84, rounded figures, full-precision coordinates.

    Coordinates keep full double precision (not the 7 decimals of coverage.geojson), so that
    proposals appended to a centres file walk exactly as the siting run measured.
    """
    demand = ["demand_newly_covered", "demand_alone"] if result.demand else []
    t = result.proposals.to_crs("EPSG:4326")[[*PROPOSAL_COLUMNS, *demand, "geometry"]].copy()
    for col, digits in _DECIMALS.items():
        if col in t.columns:
            t[col] = t[col].astype(float).round(digits)
    return t


def _question(s: dict) -> str:
    p = s["parameters"]
    metres = p["walk_speed_kmh"] * 1000 / 60 * p["threshold_min"]
    walk = f"{p['threshold_min']:g} minutes' walk ({metres:.0f} m at {p['walk_speed_kmh']:g} km/h)"
    if p["mode"] == "add":
        most = _unit(p)
        return (
            f"Where would **{p['add']} new centres** newly cover the most {most} within {walk}? "
            "The existing centres stay."
        )
    return (
        f"What is the **fewest new centres** that bring every community a candidate site can "
        f"reach within {walk} into the circle? The existing centres stay."
    )


def _unit(p: dict) -> str:
    """What the objective counts, in words."""
    if p.get("demand"):
        return f"people of the group `{p['demand']}`"
    return "people" if p["objective"] == "population" else "communities"


def _solver_lines(s: dict) -> list[str]:
    v = s["solver"]
    unit = "sites" if v["problem"] == "set covering" else _unit(s["parameters"])
    gap = "–" if v["gap"] is None else f"{100 * v['gap']:.2f} %"
    greedy_gap = "–" if v["greedy_gap"] is None else f"{100 * v['greedy_gap']:.2f} %"
    bound = "–" if v["bound"] is None else _int(v["bound"])
    if v["method"] == "milp":
        lines = [
            f"{v['problem'].capitalize()} solved as a MILP with scipy.optimize.milp (HiGHS), "
            f"time limit {v['time_limit_s']:g} s: **{v['status']}**; objective "
            f"{_int(v['objective'])} {unit}, bound {bound}, gap {gap}.",
            f"The lazy greedy found {_int(v['greedy_objective'])} {unit} (gap to the bound "
            f"{greedy_gap}); the proposals come from the {v['solution_from']} solution.",
            "scipy's milp takes no starting solution, so the greedy does not warm-start it; it "
            "runs first, and its answer is kept unless the MILP's is strictly better (on a tie "
            "its smaller-id choice stands).",
        ]
    else:
        lines = [
            f"{v['problem'].capitalize()} by the lazy greedy alone: objective "
            f"{_int(v['objective'])} {unit}; bound {bound}, gap {gap}.",
        ]
    if v["status"] in ("greedy", "time_limit"):
        lines.append(
            "Bounds without a finished MILP come from the LP relaxation (HiGHS interior point; "
            "rounded up for set covering) and, for maximal covering, from submodularity (the "
            "greedy's value plus the largest gains still open), whichever is tighter."
        )
    lines.append(
        "Gap = |bound − objective| / objective. Ties go to the candidate with the smaller id "
        "in the greedy; the MILP is solved on candidates and communities sorted by id, so the "
        "same data gives the same answer whatever the order of the rows."
    )
    return lines


def siting_markdown(summary: dict) -> str:
    """The siting summary as a Markdown report for people.

    Parameters
    ----------
    summary
        The output of `circle.siting.siting_summary`.

    Returns
    -------
    str
    """
    s = summary
    p = s["parameters"]
    b, a, g = s["before"], s["after"], s["gain"]
    props = s["proposals"]
    lines = [
        f"# {s['title']}",
        "",
        _question(s),
        "",
        "## Before and after",
        "",
        "| | communities covered | share | population covered | share |",
        "|---|---:|---:|---:|---:|",
        f"| before: {s['data']['centres']['features']} existing centres | "
        f"{b['communities_covered']} | {_pct(b['communities_share'])} | "
        f"{_int(b['population_covered'])} | {_pct(b['population_share'])} |",
        f"| after: + {len(props)} proposed sites | {a['communities_covered']} | "
        f"{_pct(a['communities_share'])} | {_int(a['population_covered'])} | "
        f"{_pct(a['population_share'])} |",
        f"| gain | +{g['communities']} | | "
        f"{'–' if g['population'] is None else '+' + _int(g['population'])} | |",
        *_demand_lines(s.get("demand")),
        "",
        "## Proposed sites",
        "",
    ]
    if props:
        group = p.get("demand")
        lines += [
            "| rank | site | name | type | population newly covered | communities newly "
            "covered | population alone |"
            + (f" {_md(group)} newly covered | {_md(group)} alone |" if group else ""),
            "|---:|---|---|---|---:|---:|---:|" + ("---:|---:|" if group else ""),
        ]
        for r in props:
            lines.append(
                f"| {r['rank']} | {_md(r['site_id'])} | {_md(r['name'])} | {_md(r['type'])} | "
                f"{_int(r['population_newly_covered'])} | {r['communities_newly_covered']} | "
                f"{_int(r['population_alone'])} |"
                + (
                    f" {_int(r['demand_newly_covered'])} | {_int(r['demand_alone'])} |"
                    if group
                    else ""
                )
            )
        lines += [
            "",
            "Each site's figures count what it adds to the sites ranked above it (they sum to "
            "the gain); *alone* is what it would newly cover if it were the only one built.",
        ]
    else:
        lines.append("No site is proposed: no candidate newly covers anyone.")
    if p["mode"] == "add" and len(props) < p["add"]:
        nobody = "one" if p["objective"] == "population" else "community"
        lines += [
            "",
            f"Only {len(props)} of the {p['add']} sites asked for are proposed: any further "
            f"candidate would newly cover no {nobody}.",
        ]
    lines += ["", "## Solver", "", *_solver_lines(s)]
    left = s["left_out"]
    lines += ["", f"## Still left out: {len(left)} communities", ""]
    if not left:
        lines.append("Every community is within the circle after the proposals.")
    else:
        lines += ["| community | name | population | why |", "|---|---|---:|---|"]
        lines += [
            f"| {_md(r['community_id'])} | {_md(r['name'])} | {_int(r['population'])} | "
            f"{r['outcome']}: {OUTCOMES[r['outcome']]} |"
            for r in left
        ]
    c = s["candidates"]
    pop = s["population"]
    off = f"; off the network (not used): {', '.join(c['off_network'])}" if c["off_network"] else ""
    lines += [
        "",
        "## Candidates and population",
        "",
        f"- {c['total']} candidate sites from {s['data']['candidates']['file']}: "
        f"{c['on_network']} on the network, {c['reaching_uncovered']} within reach of an "
        f"uncovered community{off}.",
    ]
    d = s.get("demand")
    if d:
        lines.append(
            f"- The objective counts the key group `{d['column']}` (column of the communities "
            "layer), not population."
            + (
                f" {d['communities_without_figure']} communities have no figure for it and count 0."
                if d["communities_without_figure"]
                else ""
            )
        )
    elif pop["available"]:
        lines.append("- The objective counts people (the communities' population).")
        if pop["communities_without_population"]:
            lines.append(
                f"- {pop['communities_without_population']} communities have no population "
                "figure and count 0 for the objective."
            )
    else:
        lines.append(
            "- No population figures were given: the objective counts communities instead."
        )
    net = s["data"]["network"]
    lines += [
        "",
        "## Data",
        "",
        f"- Network: {net.get('file')} (sha256 {str(net.get('sha256', ''))[:12]}…).",
        f"- Centres: {s['data']['centres']['file']}; communities: "
        f"{s['data']['communities']['file']}.",
        f"- {ATTRIBUTION} where the data comes from OpenStreetMap.",
        "",
    ]
    return "\n".join(lines)


def _demand_lines(d: dict | None) -> list[str]:
    if not d:
        return []
    return [
        "",
        f"Key group '{_md(d['column'])}' (the objective): {_int(d['covered_before'])} of "
        f"{_int(d['total'])} within the circle before, {_int(d['covered_after'])} after "
        f"(+{_int(d['gain'])}).",
    ]


def siting_text(summary: dict) -> str:
    """A short plain-text summary for the terminal."""
    s = summary
    p = s["parameters"]
    v = s["solver"]
    props = s["proposals"]
    asked = f"{p['add']} asked" if p["mode"] == "add" else "cover everyone"
    gap = "" if v["gap"] is None else f", gap {100 * v['gap']:.1f} %"
    lines = [
        f"New centre sites within {p['threshold_min']:g} min — {asked}, {len(props)} proposed "
        f"({v['problem']}, {v['method']} {v['status']}{gap})",
        "",
        f"{'rank':>4}  {'site':<20} {'type':<18} {'+population':>11}  {'+communities':>12}",
    ]
    for r in props:
        lines.append(
            f"{r['rank']:>4}  {r['site_id']:<20} {r['type']:<18} "
            f"{_int(r['population_newly_covered']):>11}  {r['communities_newly_covered']:>12}"
        )
    if p["mode"] == "add" and len(props) < p["add"]:
        lines.append(
            f"(a further site would newly cover no one: {len(props)} of {p['add']} proposed)"
        )
    n = s["data"]["communities"]["features"]
    for label, f in (("before", s["before"]), ("after", s["after"])):
        lines.append(
            f"{label + ':':<8}{f['communities_covered']} of {n} communities "
            f"({_pct(f['communities_share'])}), population {_int(f['population_covered'])} "
            f"({_pct(f['population_share'])})"
        )
    d = s.get("demand")
    if d:
        lines.append(
            f"demand: {d['column']} (not population), {_int(d['covered_before'])} -> "
            f"{_int(d['covered_after'])} of {_int(d['total'])} covered"
            + (
                f"; {d['communities_without_figure']} communities without a figure count 0"
                if d["communities_without_figure"]
                else ""
            )
        )
    if s["left_out"]:
        lines.append(
            "still left out: "
            + ", ".join(f"{r['community_id']} ({r['outcome']})" for r in s["left_out"][:5])
            + (" …" if len(s["left_out"]) > 5 else "")
        )
    return "\n".join(lines) + "\n"


def siting_tables(result: SitingResult) -> dict[str, pd.DataFrame]:
    """The siting result as database tables (see `circle.db.write_db_tables`).

    Parameters
    ----------
    result
        A siting result.

    Returns
    -------
    dict
        ``proposals``: the proposals exactly as in proposals.csv, with WGS84 point geometry;
        ``siting_summary``: one row whose ``summary`` column holds summary.json as jsonb.
    """
    summary = json.loads(summary_json(siting_summary(result)))
    return {
        "proposals": proposals_for_output(result),
        "siting_summary": pd.DataFrame({"summary": [summary]}),
    }


def write_siting_outputs(
    result: SitingResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    extra_files: dict[str, str] | None = None,
) -> list[Path]:
    """Write proposals.csv, proposals.geojson, summary.md and summary.json into `out_dir`.

    The files appear together or not at all; the same inputs give byte-identical files.

    Parameters
    ----------
    result
        A siting result.
    out_dir
        Destination folder (created if missing).
    overwrite
        Replace existing files of the same names.
    extra_files
        More files to write with them, name -> text (e.g. ``map.html``).

    Returns
    -------
    list of Path
        The written files.
    """
    summary = siting_summary(result)
    return write_report_files(
        out_dir,
        "proposals",
        proposals_for_output(result),
        siting_markdown(summary),
        summary_json(summary),
        overwrite=overwrite,
        coordinate_precision=15,
        csv_lonlat=True,
        extra_files=extra_files,
    )
