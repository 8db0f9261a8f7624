"""Villages and hours in the coverage report (issue 22): the travel mode and distance rule, the
coverage by travel mode, the stations inside villages and the coverage by opening hours."""

from __future__ import annotations

from .._text import fmt_int, fmt_pct, md, md_row
from ..config import MODES
from ..i18n import N_

__all__ = ["rural_markdown"]

#: texts of the summary's machine values, translated when shown (the modes' labels, and how an
#: unparseable opening_hours value is counted)
_VALUES = [N_("on foot"), N_("by bicycle"), N_("by electric bicycle"), N_("open"), N_("closed")]


def rural_markdown(summary: dict, _=str) -> list[str]:
    """The Markdown sections of `circle.coverage.rural.rural_sections` (none for a plain walking
    run, so its report stays as it was)."""
    lines = _rule_lines(summary["parameters"], _)
    if "by_mode" in summary:
        lines += [
            "",
            "## " + _("Coverage by travel mode"),
            "",
            md_row([_("mode"), _("communities"), _("covered"), _("share"), _("population"),
                    _("share")]),
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in summary["by_mode"]:
            mode = f"{r['mode']} ({_(MODES[r['mode']].label)})"
            lines.append(
                md_row([mode, str(r["communities"]), str(r["communities_covered"]),
                        fmt_pct(r["communities_share"]), fmt_int(r["population_covered"]),
                        fmt_pct(r["population_share"])])
            )
    if "station_inside" in summary:
        s = summary["station_inside"]
        lines += [
            "",
            "## " + _("Station in the community"),
            "",
            _("{n} of {total} communities given as areas have a centre inside them (the village "
              "target of Action Plan 3.0).").format(
                n=s["with_station_inside"], total=s["communities_with_area"]
            ),
        ]
    if "opening_hours" in summary:
        lines += _hours_lines(summary["opening_hours"], _)
    return lines


def _rule_lines(p: dict, _=str) -> list[str]:
    mode, within = p.get("mode", "walk"), p.get("within_km")
    lines = []
    if mode != "walk":
        lines += ["", _("Travel mode: **{mode}** ({label}) at {speed:g} km/h.").format(
            mode=_(mode), label=_(MODES[mode].label), speed=p["walk_speed_kmh"]
        )]
    if within is not None:
        lines += ["", _("Distance rule: covered within **{km:g} km** of network distance "
                        "({minutes:.1f} min at {speed:g} km/h).").format(
            km=within, minutes=p["threshold_min"], speed=p["walk_speed_kmh"]
        )]
    return lines


def _hours_lines(h: dict, _=str) -> list[str]:
    lines = [
        "",
        "## " + _("Opening hours"),
        "",
    ]
    if h["at"]:
        lines.append(
            _("Counted: the {n} centres open at {times} (column '{column}'); closed: {closed}.")
            .format(n=h["centres_open"], times=", ".join(h["at"]), column=md(h["column"]),
                    closed=", ".join(md(c) for c in h["closed"]) or "–")
        )
    if h["unparsed"]:
        lines += ["", _("Opening hours that cannot be parsed (counted as {state}): {ids}.").format(
            state=_(h["unparsed_counted_as"]),
            ids=", ".join(f"{md(u['centre_id'])} ({md(u['value'])})" for u in h["unparsed"]),
        )]
    lines += [
        "",
        md_row([_("time"), _("centres open"), _("communities"), _("share"), _("population"),
                _("share")]),
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in h["by_time"]:
        lines.append(
            md_row([md(r["time"]), str(r["centres_open"]), str(r["communities_covered"]),
                    fmt_pct(r["communities_share"]), fmt_int(r["population_covered"]),
                    fmt_pct(r["population_share"])])
        )
    return lines
