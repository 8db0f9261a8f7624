"""The siting models' results as text and files: summary (JSON, Markdown), proposals and the
coverage curve (table and picture)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .._text import fmt_int, fmt_pct, md, md_row
from ..i18n import N_, translator

__all__ = ["CURVE_FILES", "curve_png", "model_markdown", "model_summary"]

#: written beside the proposals by ``--model curve``
CURVE_FILES = ["curve.csv", "curve.png"]

_TITLES = {
    "pmedian": N_("p-median: least total walk"),
    "pcenter": N_("p-center: shortest longest walk"),
    "capacitated": N_("Capacitated maximal covering"),
    "curve": N_("Coverage curve: people covered as new sites are added"),
}


def model_summary(result) -> dict:
    """JSON-ready summary of a `circle.siting.models.ModelResult`."""
    cfg = result.before.config
    props = [
        {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in r.items()}
        for r in pd.DataFrame(result.proposals.drop(columns="geometry")).to_dict("records")
    ]
    for r, g in zip(props, result.proposals.geometry, strict=True):
        r["lon"], r["lat"] = round(g.x, 7), round(g.y, 7)
    summary = {
        "title": _TITLES[result.model],
        "model": result.model,
        "add": result.add,
        "parameters": cfg.as_dict(),
        "objective": result.objective,
        "proposals": props,
        "data": result.sources,
    }
    if result.curve is not None:
        summary["curve"] = result.curve.to_dict("records")
    return summary


def model_markdown(summary: dict, *, lang: str = "en") -> str:
    """The summary as Markdown for people."""
    _ = translator(lang)
    o = summary["objective"]
    lines = ["# " + _(summary["title"]), ""]
    if summary["model"] == "curve":
        lines += _curve_lines(summary, _)
    else:
        lines += [
            md_row([_("measure"), _("before"), _("after")]),
            "|---|---:|---:|",
            f"| {md(o['unit'])} | {fmt_int(o['before'])} | {fmt_int(o['objective'])} |",
        ]
        if o.get("mean_walk_min_after") is not None:
            lines.append(
                f"| {_('mean walk time (min)')} | {o['mean_walk_min_before']:.2f} | "
                f"{o['mean_walk_min_after']:.2f} |"
            )
        lines += ["", _("Solver: {status}, gap {gap}.").format(
            status=o["status"], gap="–" if o["gap"] is None else f"{o['gap']:.4f}")]
    lines += ["", "## " + _("Proposed sites"), ""]
    lines += [md_row([_("rank"), _("site"), _("name"), _("type")]), "|---:|---|---|---|"]
    for r in summary["proposals"]:
        lines.append(f"| {r['rank']} | {md(r['site_id'])} | {md(r['name'])} | {md(r['type'])} |")
    return "\n".join(lines) + "\n"


def _curve_lines(summary: dict, _) -> list[str]:
    lines = [
        md_row([_("new sites"), _("newly covered"), _("covered"), _("share covered")]),
        "|---:|---:|---:|---:|",
    ]
    for r in summary["curve"]:
        lines.append(
            f"| {r['k']} | {fmt_int(r['newly_covered'])} | {fmt_int(r['covered'])} | "
            f"{fmt_pct(r['share'])} |"
        )
    return [*lines, "", "![curve](curve.png)"]


def curve_png(summary: dict, *, lang: str = "en") -> bytes:
    """The coverage curve as a PNG (same bytes for the same summary)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .fonts import figure_font

    _ = translator(lang)
    figure_font(lang)
    curve = summary["curve"]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot([r["k"] for r in curve], [100 * (r["share"] or 0) for r in curve], marker="o")
    ax.set_xlabel(_("new sites"))
    ax.set_ylabel(_("share covered") + " (%)")
    ax.set_title(_(summary["title"]), fontsize=10)
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
