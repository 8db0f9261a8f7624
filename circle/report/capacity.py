"""Capacity and equity in the coverage report: the Markdown sections, the centres' capacity table
and the Lorenz curve picture (written only when a run measures them)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .._text import fmt_int, fmt_pct, md, md_row
from ..i18n import N_

__all__ = [
    "CAPACITY_FILE",
    "LORENZ_FILE",
    "capacity_markdown",
    "capacity_table",
    "denominators_markdown",
    "equity_markdown",
    "lorenz_png",
]

#: per-centre capacity table, written with a capacity column
CAPACITY_FILE = "centres_capacity.csv"
#: Lorenz curves of the equity measures, written with equity
LORENZ_FILE = "lorenz.png"

_DENOMINATORS = {
    "population": N_("population"),
    "residential_buildings": N_("residential buildings"),
    "residential_land_m2": N_("residential land (m²)"),
}
_MEASURES = {"walk_min": N_("walk time"), "access_2sfca": N_("2SFCA score")}


def capacity_table(summary: dict) -> pd.DataFrame:
    """One row per centre: capacity, demand served, capacity per 10,000, 2SFCA ratio, crowded."""
    return pd.DataFrame(summary["capacity"]["centres"])


def _num(x, digits: int = 2) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def capacity_markdown(summary: dict, _=str) -> list[str]:
    """Capacity section: the rule, and the crowded centres ranked (least capacity first)."""
    cap = summary.get("capacity")
    if not cap:
        return []
    unit = cap["unit"] or cap["column"]
    decay = {"none": _("classic 2SFCA"), "step": _("enhanced 2SFCA (steps 1, 0.68, 0.22)"),
             "gaussian": _("Gaussian 2SFCA")}[cap["decay"]]
    lines = [
        "",
        "## " + _("Capacity of the centres"),
        "",
        _("Capacity: column '{column}' in {unit}, per 10,000 people of {demand} served (a "
          "community is served by its nearest centre within the circle); score: {decay}.").format(
            column=cap["column"], unit=unit, demand=_(cap["demand"]), decay=decay
        ),
        "",
        _("Total capacity {total} {unit}; {per} per 10,000 people overall; {zero} communities "
          "with no capacity within reach.").format(
            total=_num(cap["total_capacity"], 0), unit=unit,
            per=_num(cap["capacity_per_10k_overall"]), zero=cap["communities_with_zero_score"]
        ),
    ]
    if cap["crowded_below"] is None:
        return lines
    lines += [
        "",
        "### " + _("Crowded centres (below {limit:g} per 10,000 people)").format(
            limit=cap["crowded_below"]
        ),
        "",
    ]
    if not cap["crowded"]:
        return [*lines, _("No crowded centre.")]
    lines += [
        md_row([_("centre"), _("type"), _("capacity"), _("people served"), _("per 10,000")]),
        "|---|---|---:|---:|---:|",
    ]
    for r in cap["crowded"]:
        cells = [
            md(r["name"] or r["centre_id"]),
            md(_(r["type"])),
            _num(r["capacity"], 0),
            fmt_int(r["served_demand"]),
            _num(r["capacity_per_10k"]),
        ]
        lines.append(md_row(cells))
    return lines


def equity_markdown(summary: dict, _=str) -> list[str]:
    """Equity section: Gini and Palma per measure, the picture, the key groups' gaps."""
    eq = summary.get("equity")
    if not eq:
        return []
    lines = [
        "",
        "## " + _("Equity across residents"),
        "",
        md_row([_("measure"), _("Gini"), _("Palma ratio"), _("residents not measured")]),
        "|---|---:|---:|---:|",
    ]
    for m in eq["measures"]:
        if not m["available"]:
            continue
        lines.append(
            f"| {_(_MEASURES[m['measure']])} | {m['gini']:.3f} | {_num(m['palma'], 3)} | "
            f"{fmt_int(m['residents_left_out'])} |"
        )
    lines += ["", f"![{_('Lorenz curves')}]({LORENZ_FILE})"]
    if eq["groups"]:
        lines += [
            "",
            md_row([_("group"), _("share covered"), _("all residents"), _("gap")]),
            "|---|---:|---:|---:|",
        ]
        for g in eq["groups"]:
            gap = "–" if g["gap"] is None else f"{100 * g['gap']:+.1f} pp"
            lines.append(
                f"| {md(g['group'])} | {fmt_pct(g['share_covered'])} | "
                f"{fmt_pct(g['population_share_covered'])} | {gap} |"
            )
    return lines


def lorenz_png(summary: dict, *, lang: str = "en") -> bytes:
    """The Lorenz curves of the summary's equity measures as a PNG (same bytes for the same
    summary)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..i18n import translator
    from .fonts import figure_font

    _ = translator(lang)
    figure_font(lang)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label=_("equality"))
    for m in summary["equity"]["measures"]:
        if m["available"]:
            x = np.asarray(m["lorenz"]["population_share"])
            y = np.asarray(m["lorenz"]["value_share"])
            ax.plot(x, y, lw=2, label=f"{_(_MEASURES[m['measure']])} (Gini {m['gini']:.3f})")
    ax.set_xlabel(_("share of residents (smallest value first)"))
    ax.set_ylabel(_("share of the total"))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(_("Lorenz curves"))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def denominators_markdown(summary: dict, _=str) -> list[str]:
    """Coverage by population, residential buildings and residential land, side by side; the
    denominators not available and why."""
    den = summary.get("denominators")
    if not den:
        return []
    lines = [
        "",
        "## " + _("Coverage by population, buildings and land"),
        "",
        md_row([_("denominator"), _("total"), _("covered"), _("share covered")]),
        "|---|---:|---:|---:|",
    ]
    missing = []
    for r in den["rows"]:
        name = _(_DENOMINATORS[r["denominator"]])
        if not r["available"]:
            missing.append(f"{name} ({r['reason']})")
            continue
        lines.append(
            f"| {name} | {fmt_int(r['total'])} | {fmt_int(r['covered'])} | "
            f"{fmt_pct(r['share_covered'])} |"
        )
    if missing:
        lines += ["", _("Not available: {names}.").format(names="; ".join(missing))]
    return lines
