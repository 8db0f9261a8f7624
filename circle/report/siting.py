"""Siting results as files and text: ranked proposals (CSV, GeoJSON), before/after summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .._text import fmt_int, fmt_pct, md, md_code, md_row
from ..config import CircleConfig
from ..i18n import N_, pad, translator
from ..siting.result import OUTCOMES, PROPOSAL_COLUMNS, SitingResult
from ..siting.summary import siting_summary
from .coverage import ATTRIBUTION, summary_json, write_report_files

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


#: texts of the summary's machine values, translated when shown
_TITLES = [N_("15-minute employment circle: new centre sites")]
_OUTCOME_TEXTS = [
    N_("already covered by an existing centre"),
    N_("covered by a proposed site"),
    N_("a candidate could cover it, but none of those was chosen"),
    N_("every candidate on its piece of network is beyond the threshold walk"),
    N_("no candidate site on its connected piece of street network"),
    N_("the community is farther than max_snap_m from every walkable street"),
]
_PROBLEMS = [N_("set covering"), N_("maximal covering")]
_OUTCOME_KEYS = [
    N_("covered_before"),
    N_("newly_covered"),
    N_("not_chosen"),
    N_("too_far"),
    N_("unreachable"),
    N_("off_network"),
]


def _question(s: dict, _) -> str:
    p = s["parameters"]
    metres = CircleConfig.walk_metres(p["walk_speed_kmh"], p["threshold_min"])
    walk = _("{minutes:g} minutes' walk ({metres:.0f} m at {speed:g} km/h)").format(
        minutes=p["threshold_min"], metres=metres, speed=p["walk_speed_kmh"]
    )
    if p["mode"] == "add":
        if p.get("demand"):
            question = _(
                "Where would **{k} new centres** newly cover the most people of the group "
                "`{group}` within {walk}?"
            )
        elif p["objective"] == "population":
            question = _(
                "Where would **{k} new centres** newly cover the most people within {walk}?"
            )
        else:
            question = _(
                "Where would **{k} new centres** newly cover the most communities within {walk}?"
            )
        return (
            question.format(k=p["add"], walk=walk, group=p.get("demand"))
            + " "
            + _("The existing centres stay.")
        )
    return (
        _(
            "What is the **fewest new centres** that bring every community a candidate site can "
            "reach within {walk} into the circle?"
        ).format(walk=walk)
        + " "
        + _("The existing centres stay.")
    )


def _solver_lines(s: dict, _) -> list[str]:
    v = s["solver"]
    if v["problem"] == "set covering":
        unit = _("sites")
    elif s["parameters"].get("demand"):
        unit = _("people of the group `{group}`").format(group=s["parameters"]["demand"])
    elif s["parameters"]["objective"] == "population":
        unit = _("people")
    else:
        unit = _("communities")
    problem = _("Set covering") if v["problem"] == "set covering" else _("Maximal covering")
    gap = "–" if v["gap"] is None else f"{100 * v['gap']:.2f} %"
    greedy_gap = "–" if v["greedy_gap"] is None else f"{100 * v['greedy_gap']:.2f} %"
    bound = "–" if v["bound"] is None else fmt_int(v["bound"])
    bound_from = v.get("bound_from") or "–"
    if v["method"] == "milp":
        lines = [
            _(
                "{problem} solved as a MILP with HiGHS from the greedy's answer, time limit "
                "{limit:g} s for the whole solve, gap tolerance {mip_gap}: **{status}**; objective "
                "{objective} {unit}, bound {bound} (from: {bound_from}), gap {gap}."
            ).format(
                problem=problem,
                limit=v["time_limit_s"],
                mip_gap=f"{100 * v.get('mip_gap', 0.0):g} %",
                status=v["status"],
                objective=fmt_int(v["objective"]),
                unit=unit,
                bound=bound,
                bound_from=bound_from,
                gap=gap,
            ),
            _(
                "The lazy greedy found {objective} {unit} (gap to the bound {gap}); the proposals "
                "come from the {source} solution."
            ).format(
                objective=fmt_int(v["greedy_objective"]),
                unit=unit,
                gap=greedy_gap,
                source=v["solution_from"],
            ),
            _(
                "The greedy runs first and is the MILP's starting solution; its answer is kept "
                "unless the MILP's is strictly better (on a tie its smaller-id choice stands)."
            ),
        ]
    else:
        lines = [
            _(
                "{problem} by the lazy greedy alone: objective {objective} {unit}; bound {bound} "
                "(from: {bound_from}), gap {gap}."
            ).format(
                problem=problem, objective=fmt_int(v["objective"]), unit=unit, bound=bound,
                bound_from=bound_from, gap=gap,
            ),
        ]
    if v["status"] in ("greedy", "time_limit"):
        lines.append(
            _(
                "Bounds without a finished MILP: for maximal covering, submodularity (the greedy's "
                "value plus the largest gains still open) and the greedy's guarantee; for set "
                "covering, counting (rounded up); with --lp-bound also the LP relaxation. The "
                "tightest is reported."
            )
        )
    lines.append(
        _(
            "Gap = |bound − objective| / objective. Ties go to the candidate with the smaller id "
            "in the greedy; the MILP is solved on candidates and communities sorted by id, so the "
            "same data gives the same answer whatever the order of the rows."
        )
    )
    return lines


def siting_markdown(summary: dict, *, lang: str = "en") -> str:
    """The siting summary as a Markdown report for people.

    Parameters
    ----------
    summary
        The output of `circle.siting.summary.siting_summary`.
    lang
        {"en", "zh"} Language of the texts (the numbers are the same).

    Returns
    -------
    str
    """
    _ = translator(lang)
    s = summary
    lines = _before_after_lines(s, _)
    lines += _proposal_lines(s["proposals"], s["parameters"], _)
    lines += ["", "## " + _("Solver"), "", *_solver_lines(s, _)]
    lines += _left_out_lines(s["left_out"], _)
    lines += _candidate_lines(s, _)
    net = s["data"]["network"]
    lines += [
        "",
        "## " + _("Data"),
        "",
        _("- Network: {file} (sha256 {sha}…).").format(
            file=net.get("file"), sha=str(net.get("sha256", ""))[:12]
        ),
        _("- Centres: {centres}; communities: {communities}.").format(
            centres=s["data"]["centres"]["file"], communities=s["data"]["communities"]["file"]
        ),
        "- " + _("{attribution} where the data comes from OpenStreetMap.").format(
            attribution=ATTRIBUTION
        ),
        "",
    ]
    return "\n".join(lines)


def _before_after_lines(s: dict, _=str) -> list[str]:
    """Title, the question and the table of coverage before and after the proposals."""
    b, a, g = s["before"], s["after"], s["gain"]
    props = s["proposals"]
    return [
        f"# {_(s['title'])}",
        "",
        _question(s, _),
        "",
        "## " + _("Before and after"),
        "",
        "| " + md_row([_("communities covered"), _("share"), _("population covered"), _("share")]),
        "|---|---:|---:|---:|---:|",
        f"| {_('before: {n} existing centres').format(n=s['data']['centres']['features'])} | "
        f"{b['communities_covered']} | {fmt_pct(b['communities_share'])} | "
        f"{fmt_int(b['population_covered'])} | {fmt_pct(b['population_share'])} |",
        f"| {_('after: + {n} proposed sites').format(n=len(props))} | {a['communities_covered']} | "
        f"{fmt_pct(a['communities_share'])} | {fmt_int(a['population_covered'])} | "
        f"{fmt_pct(a['population_share'])} |",
        f"| {_('gain')} | +{g['communities']} | | "
        f"{'–' if g['population'] is None else '+' + fmt_int(g['population'])} | |",
        *_demand_lines(s.get("demand"), _),
        "",
        "## " + _("Proposed sites"),
        "",
    ]


def _proposal_lines(props: list[dict], p: dict, _=str) -> list[str]:
    """The table of proposed sites, and why fewer were proposed than asked for."""
    lines: list[str] = []
    if props:
        group = p.get("demand")
        lines += [
            md_row(
                [
                    _("rank"),
                    _("site"),
                    _("name"),
                    _("type"),
                    _("population newly covered"),
                    _("communities newly covered"),
                    _("population alone"),
                    *(
                        [
                            _("{group} newly covered").format(group=md(group)),
                            _("{group} alone").format(group=md(group)),
                        ]
                        if group
                        else []
                    ),
                ]
            ),
            "|---:|---|---|---|---:|---:|---:|" + ("---:|---:|" if group else ""),
        ]
        for r in props:
            lines.append(
                f"| {r['rank']} | {md(r['site_id'])} | {md(r['name'])} | {md(_(r['type']))} | "
                f"{fmt_int(r['population_newly_covered'])} | {r['communities_newly_covered']} | "
                f"{fmt_int(r['population_alone'])} |"
                + (
                    f" {fmt_int(r['demand_newly_covered'])} | {fmt_int(r['demand_alone'])} |"
                    if group
                    else ""
                )
            )
        lines += [
            "",
            _(
                "Each site's figures count what it adds to the sites ranked above it (they sum to "
                "the gain); *alone* is what it would newly cover if it were the only one built."
            ),
        ]
    else:
        lines.append(_("No site is proposed: no candidate newly covers anyone."))
    if p["mode"] == "add" and len(props) < p["add"]:
        if p["objective"] == "population":
            only = _(
                "Only {n} of the {k} sites asked for are proposed: any further candidate would "
                "newly cover no one."
            )
        else:
            only = _(
                "Only {n} of the {k} sites asked for are proposed: any further candidate would "
                "newly cover no community."
            )
        lines += ["", only.format(n=len(props), k=p["add"])]
    return lines


def _left_out_lines(left: list[dict], _=str) -> list[str]:
    """The communities still left out after the proposals, and why."""
    lines = ["", "## " + _("Still left out: {n} communities").format(n=len(left)), ""]
    if not left:
        lines.append(_("Every community is within the circle after the proposals."))
    else:
        lines += [
            md_row([_("community"), _("name"), _("population"), _("why")]),
            "|---|---|---:|---|",
        ]
        lines += [
            f"| {md(r['community_id'])} | {md(r['name'])} | {fmt_int(r['population'])} | "
            f"{r['outcome']}: {_(OUTCOMES[r['outcome']])} |"
            for r in left
        ]
    return lines


def _candidate_lines(s: dict, _=str) -> list[str]:
    """Where the candidates came from and what the objective counts."""
    c = s["candidates"]
    pop = s["population"]
    off = (
        _("; off the network (not used): {ids}").format(ids=", ".join(c["off_network"]))
        if c["off_network"]
        else ""
    )
    lines = [
        "",
        "## " + _("Candidates and population"),
        "",
        _(
            "- {n} candidate sites from {file}: {on} on the network, {reaching} within reach of "
            "an uncovered community{off}."
        ).format(
            n=c["total"],
            file=s["data"]["candidates"]["file"],
            on=c["on_network"],
            reaching=c["reaching_uncovered"],
            off=off,
        ),
    ]
    d = s.get("demand")
    if d:
        lines.append(
            _(
                "- The objective counts the key group `{group}` (column of the communities "
                "layer), not population."
            ).format(group=d["column"])
            + (
                " "
                + _("{n} communities have no figure for it and count 0.").format(
                    n=d["communities_without_figure"]
                )
                if d["communities_without_figure"]
                else ""
            )
        )
    elif pop["available"]:
        lines.append(_("- The objective counts people (the communities' population)."))
        if pop["communities_without_population"]:
            lines.append(
                _(
                    "- {n} communities have no population figure and count 0 for the objective."
                ).format(n=pop["communities_without_population"])
            )
    else:
        lines.append(
            _("- No population figures were given: the objective counts communities instead.")
        )
    return lines


def _demand_lines(d: dict | None, _) -> list[str]:
    if not d:
        return []
    return [
        "",
        _(
            "Key group `{group}` (the objective): {before} of {total} within the circle before, "
            "{after} after (+{gain})."
        ).format(
            group=md_code(d["column"]),
            before=fmt_int(d["covered_before"]),
            total=fmt_int(d["total"]),
            after=fmt_int(d["covered_after"]),
            gain=fmt_int(d["gain"]),
        ),
    ]


def siting_text(summary: dict, *, lang: str = "en") -> str:
    """A short plain-text summary for the terminal.

    Parameters
    ----------
    summary
        The output of `circle.siting.summary.siting_summary`.
    lang
        {"en", "zh"} Language of the texts (the numbers are the same).

    Returns
    -------
    str
    """
    _ = translator(lang)
    s = summary
    p = s["parameters"]
    v = s["solver"]
    props = s["proposals"]
    asked = (
        _("{k} asked").format(k=p["add"]) if p["mode"] == "add" else _("cover everyone")
    )
    gap = "" if v["gap"] is None else _(", gap {gap:.1f} %").format(gap=100 * v["gap"])
    lines = [
        _(
            "New centre sites within {minutes:g} min — {asked}, {n} proposed "
            "({problem}, {method} {status}{gap})"
        ).format(
            minutes=p["threshold_min"],
            asked=asked,
            n=len(props),
            problem=_(v["problem"]),
            method=v["method"],
            status=v["status"],
            gap=gap,
        ),
        "",
        f"{pad(_('rank'), 4)}  {pad(_('site'), 20, '<')} {pad(_('type'), 18, '<')} "
        f"{pad(_('+population'), 11)}  {pad(_('+communities'), 12)}",
    ]
    for r in props:
        lines.append(
            f"{r['rank']:>4}  {pad(r['site_id'], 20, '<')} {pad(_(r['type']), 18, '<')} "
            f"{fmt_int(r['population_newly_covered']):>11}  {r['communities_newly_covered']:>12}"
        )
    if p["mode"] == "add" and len(props) < p["add"]:
        lines.append(
            _("(a further site would newly cover no one: {n} of {k} proposed)").format(
                n=len(props), k=p["add"]
            )
        )
    lines += _text_outcome_lines(s, _)
    return "\n".join(lines) + "\n"


def _text_outcome_lines(s: dict, _=str) -> list[str]:
    """Coverage before and after, the key group, and the first communities still left out."""
    lines: list[str] = []
    n = s["data"]["communities"]["features"]
    for label, f in ((_("before"), s["before"]), (_("after"), s["after"])):
        lines.append(
            pad(label + _(":"), 8, "<")
            + _(
                "{covered} of {n} communities ({share}), population {population} ({pshare})"
            ).format(
                covered=f["communities_covered"],
                n=n,
                share=fmt_pct(f["communities_share"]),
                population=fmt_int(f["population_covered"]),
                pshare=fmt_pct(f["population_share"]),
            )
        )
    d = s.get("demand")
    if d:
        lines.append(
            f"demand: {d['column']} (not population), {fmt_int(d['covered_before'])} -> "
            f"{fmt_int(d['covered_after'])} of {fmt_int(d['total'])} covered"
            + (
                f"; {d['communities_without_figure']} communities without a figure count 0"
                if d["communities_without_figure"]
                else ""
            )
        )
    if s["left_out"]:
        lines.append(
            _("still left out: ")
            + _(", ").join(
                f"{r['community_id']} ({_(r['outcome'])})" for r in s["left_out"][:5]
            )
            + (" …" if len(s["left_out"]) > 5 else "")
        )
    return lines


def siting_tables(result: SitingResult) -> dict[str, pd.DataFrame]:
    """The siting result as database tables (see `circle.io.db.write_db_tables`).

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
    lang: str = "en",
    csv_header: str = "en",
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
    lang
        {"en", "zh"} Language of summary.md.
    csv_header
        {"en", "zh"} Header of proposals.csv: the column names, or their Chinese labels (the
        file is then UTF-8 with a BOM, for Excel).

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
        siting_markdown(summary, lang=lang),
        summary_json(summary),
        overwrite=overwrite,
        csv_header=csv_header,
        lang=lang,
        coordinate_precision=15,
        csv_lonlat=True,
        extra_files=extra_files,
    )
