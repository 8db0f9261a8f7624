"""The per-area roll-up of a coverage summary as text: the section of summary.md and areas.csv."""

from __future__ import annotations

import pandas as pd

from .._text import fmt_int, fmt_pct, md, md_row

__all__ = ["areas_markdown", "areas_table"]


def areas_markdown(areas: dict, minutes: float, _=str) -> list[str]:
    """The per-area section of summary.md."""
    lines = [
        "",
        "## " + _("By area: covered within {minutes:g} minutes").format(minutes=minutes),
        "",
        _("Areas from {by}.").format(by=md(areas["by"])) if areas["by"] else "",
        "",
        md_row(
            [
                _("area"),
                _("communities"),
                _("covered"),
                _("share"),
                _("population"),
                _("covered"),
                _("share"),
                _("worst gaps"),
            ]
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in areas["rows"]:
        lines.append(
            f"| {md(r['area'])} | {r['communities']} | {r['communities_covered']} | "
            f"{fmt_pct(r['communities_share'])} | {fmt_int(r['population'])} | "
            f"{fmt_int(r['population_covered'])} | {fmt_pct(r['population_share'])} | "
            f"{md(_gaps(r['worst_gaps'])) or '–'} |"
        )
    if areas["unassigned"]:
        lines += ["", _("In no area: {ids}.").format(ids=md(", ".join(areas["unassigned"])))]
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
            f"| {md(g['area'])} | {md(g['group'])} | {fmt_int(g['total'])} | "
            f"{fmt_int(g['covered'])} | {fmt_int(g['uncovered'])} | {fmt_pct(g['share'])} | "
            f"{g['communities_without_figure']} |"
            for g in areas["groups"]
        ]
    return lines


def _gaps(gaps: list[dict]) -> str:
    return "; ".join(f"{g['name'] or g['community_id']} ({fmt_int(g['population'])})" for g in gaps)


def areas_table(summary: dict) -> pd.DataFrame:
    """The per-area roll-up as a table (the rows of ``areas.csv``).

    Parameters
    ----------
    summary
        The output of `circle.coverage.core.summarise` for communities with areas.

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
