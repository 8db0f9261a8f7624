"""Scenarios planners compare: coverage per walking profile; two runs side by side.

`profile_table` runs the same coverage at each walking profile's speed. `compare_runs` reads two
result folders written by ``circle coverage --out`` and says which communities, how many people
and how many of each key group became covered (gained) or uncovered (lost).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._text import fmt_num, fmt_pct, md, md_code
from .._validate import natural_key
from ..config import DEFAULT_CONFIG, PROFILES, CircleConfig, WalkProfile
from ..coverage.core import coverage_report, summarise
from ..coverage.groups import group_coverage
from ..errors import InputDataError
from ..i18n import N_, translator
from ..network.slope import for_profile
from ..network.walk import WalkNetwork
from .coverage import summary_json
from .csvfiles import read_result_csv, write_csv

__all__ = [
    "COMPARE_FILES",
    "PROFILE_FILES",
    "Comparison",
    "RunOutputs",
    "compare_markdown",
    "compare_runs",
    "profile_table",
    "profiles_json",
    "profiles_markdown",
    "read_run",
    "write_compare_files",
    "write_profile_files",
]

PROFILE_FILES = ["profiles.csv", "profiles.md", "profiles.json"]
COMPARE_FILES = ["compare.csv", "compare.md", "compare.json"]


def profile_table(
    communities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    profiles: tuple[WalkProfile, ...] = tuple(PROFILES.values()),
    config: CircleConfig = DEFAULT_CONFIG,
    **coverage_options,
) -> pd.DataFrame:
    """Coverage of the same communities and centres at each profile's walking speed.

    Each profile is a full `circle.coverage.core.coverage_report` run with `config`'s speed replaced
    by the profile's; everything else (bands, snapping, gates, groups) is the same.

    Parameters
    ----------
    communities, centres, network
        As for `circle.coverage.core.coverage_report`.
    profiles
        The profiles to compare (default: all shipped ones).
    config
        Run parameters other than the speed.
    **coverage_options
        Passed on to `coverage_report` (``gates``, ``groups``, ``engine``).

    Returns
    -------
    pandas.DataFrame
        One row per profile and band, profiles in the given order: ``profile``, ``speed_kmh``,
        ``minutes``, ``walk_m``, ``communities_covered``, ``communities_share``,
        ``population_covered``, ``population_share``, then ``<group>_covered`` and
        ``<group>_share`` per key group (at that band).
    """
    rows = []
    for profile in profiles:
        rules = profile.name if profile.changes_network else None
        cfg = dataclasses.replace(config, walk_speed_kmh=profile.speed_kmh, walk_profile=rules)
        walk = for_profile(network, rules)  # steps closed for a wheelchair, ...
        result = coverage_report(communities, centres, walk, config=cfg, **coverage_options)
        t = result.table
        for band in summarise(result)["thresholds"]:
            row = {"profile": profile.name, "speed_kmh": profile.speed_kmh}
            row.update({k: band[k] for k in ("minutes", "walk_m")})
            row.update({k: v for k, v in band.items() if k not in ("minutes", "walk_m")})
            inside = (t["band_min"] <= band["minutes"]).to_numpy()
            for g in group_coverage(t, result.groups, covered=inside).itertuples():
                row[f"{g.group}_covered"] = g.covered
                row[f"{g.group}_share"] = g.share
            rows.append(row)
    return pd.DataFrame(rows)


def profiles_markdown(table: pd.DataFrame, *, lang: str = "en") -> str:
    """The profile table side by side: one column per profile, one row per band and group.

    Parameters
    ----------
    table
        The output of `profile_table`.
    lang
        {"en", "zh"} Language of the texts (the numbers are the same).

    Returns
    -------
    str
    """
    _ = translator(lang)
    names = list(dict.fromkeys(table["profile"]))
    groups = [c[: -len("_covered")] for c in table.columns if c.endswith("_covered")]
    groups = [g for g in groups if g not in ("communities", "population")]
    head = [
        f"{md(n)} {table.loc[table['profile'] == n, 'speed_kmh'].iloc[0]:g} km/h" for n in names
    ]
    lines = [
        "# " + _("Coverage by walking profile"),
        "",
        _("Cells: communities covered (share) · people covered (share)."),
        "",
        f"| {_('within')} | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for minutes, rows in table.groupby("minutes", sort=True):
        cells = []
        for n in names:
            r = rows.loc[rows["profile"] == n].iloc[0]
            people = (
                f" · {r['population_covered']:,.0f} ({fmt_pct(r['population_share'])})"
                if pd.notna(r["population_covered"])
                else ""
            )
            cells.append(f"{r['communities_covered']} ({fmt_pct(r['communities_share'])}){people}")
        lines.append(f"| {minutes:g} {_('min')} | " + " | ".join(cells) + " |")
    main = table.loc[table["minutes"] == table["minutes"].max()]
    for g in groups:
        cells = []
        for n in names:
            r = main.loc[main["profile"] == n].iloc[0]
            cells.append(f"{r[f'{g}_covered']:,.0f} ({fmt_pct(r[f'{g}_share'])})")
        label = _("{group} within {minutes:g} min").format(
            group=md(g), minutes=main["minutes"].iloc[0]
        )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", _("Profiles:")]
    lines += [
        f"- **{n}** ({PROFILES[n].label}): {PROFILES[n].source}." for n in names if n in PROFILES
    ]
    return "\n".join(lines) + "\n"


def write_profile_files(table: pd.DataFrame, folder: str | Path, *, lang: str = "en") -> list[str]:
    """Write profiles.csv, profiles.md and profiles.json into an existing folder.

    Parameters
    ----------
    table
        The output of `profile_table`.
    folder
        Destination folder.
    lang
        {"en", "zh"} Language of profiles.md.

    Returns
    -------
    list of str
        `PROFILE_FILES`.
    """
    folder = Path(folder)
    write_csv(table.round(4), folder / "profiles.csv", lang=lang)
    (folder / "profiles.md").write_text(profiles_markdown(table, lang=lang), encoding="utf-8")
    (folder / "profiles.json").write_text(profiles_json(table), encoding="utf-8")
    return list(PROFILE_FILES)


def profiles_json(table: pd.DataFrame) -> str:
    """The profile table as JSON: the profiles with their sources, and the rows of the table."""
    records = {
        "title": "15-minute employment circle: coverage by walking profile",
        "profiles": [dataclasses.asdict(PROFILES[n]) for n in dict.fromkeys(table["profile"])],
        "rows": table.to_dict("records"),
    }
    return summary_json(records)


# ---- two runs side by side ------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutputs:
    """A result folder of ``circle coverage --out`` read back.

    Attributes
    ----------
    folder
        The folder.
    table
        ``coverage.csv``: one row per community.
    summary
        ``summary.json``.
    groups
        The key-group columns of the run.
    """

    folder: Path
    table: pd.DataFrame
    summary: dict
    groups: tuple[str, ...]


def read_run(path: str | Path) -> RunOutputs:
    """Read a result folder, given as the folder or any file in it (summary.json, manifest.json).

    Parameters
    ----------
    path
        A folder written by ``circle coverage --out``, or a file inside it.

    Returns
    -------
    RunOutputs
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: not found; give a folder of `circle coverage --out` (or a file in it)"
        raise InputDataError(msg)
    folder = path if path.is_dir() else path.parent
    missing = [n for n in ("coverage.csv", "summary.json") if not (folder / n).is_file()]
    if missing:
        msg = (
            f"{path}: no {' or '.join(missing)} in {folder}; compare needs the result folder "
            "written by `circle coverage --out` (coverage.csv and summary.json together)"
        )
        raise InputDataError(msg)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        groups = tuple(g["group"] for g in summary.get("groups") or [])
        table = read_result_csv(folder / "coverage.csv", extra_columns=groups)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        msg = f"{folder}: cannot read coverage.csv/summary.json ({err})"
        raise InputDataError(msg) from err
    numeric = ["population", "walk_m", "walk_min", "band_min", "snap_m", *groups]
    absent = [c for c in ("community_id", "covered", *numeric) if c not in table.columns]
    if absent:
        msg = f"{folder / 'coverage.csv'}: no column {absent!r}; not a circle coverage.csv"
        raise InputDataError(msg)
    for c in numeric:
        table[c] = pd.to_numeric(table[c].replace("", np.nan), errors="coerce")
    table["covered"] = table["covered"].map({"True": True, "False": False})
    if table["covered"].isna().any() or table["community_id"].duplicated().any():
        msg = f"{folder / 'coverage.csv'}: 'covered' must be True/False and community ids unique"
        raise InputDataError(msg)
    return RunOutputs(folder=folder, table=table, summary=summary, groups=groups)


@dataclass(frozen=True)
class Comparison:
    """Two runs compared.

    Attributes
    ----------
    summary
        JSON-ready numbers: parameters that changed, communities, people and key groups gained
        and lost (and per area with ``by``), the communities that changed.
    changes
        One row per community of either run: ``change`` is ``gained`` (uncovered → covered),
        ``lost`` (covered → uncovered), ``still_covered``, ``still_uncovered``, ``only_in_base``
        or ``only_in_new``.
    """

    summary: dict
    changes: pd.DataFrame


def compare_runs(base: RunOutputs, new: RunOutputs, *, by: str | None = None) -> Comparison:
    """Communities, people and key groups gained and lost from a base run to a new one.

    A community's people (population and group counts) are counted with the new run's figures,
    or the base run's for a community only in the base run. Communities in one run only are
    counted apart (``only_in_base``, ``only_in_new``), so that
    new covered = base covered + gained − lost + covered only in new − covered only in base.

    Parameters
    ----------
    base, new
        Two runs read with `read_run`.
    by
        An area column present in both coverage tables: gains and losses per area too.

    Returns
    -------
    Comparison
    """
    groups = [g for g in new.groups if g in base.groups]
    for run in (base, new):
        if by is not None and by not in run.table.columns:
            msg = f"{run.folder / 'coverage.csv'}: no area column {by!r}"
            raise InputDataError(msg)
    changes = _changes_table(base, new, groups, by)
    has_pop = bool(changes["population"].notna().any())
    c = changes["change"]
    totals = _tally(changes, groups, has_pop)
    summary = {
        "title": "15-minute employment circle: two runs compared",
        "base": {"run": str(base.folder), **_covered_totals(base, groups, has_pop)},
        "new": {"run": str(new.folder), **_covered_totals(new, groups, has_pop)},
        "parameters_changed": _changed(base.summary, new.summary),
        "communities": {
            **totals,
            "only_in_base": int((c == "only_in_base").sum()),
            "only_in_new": int((c == "only_in_new").sum()),
            "covered_only_in_base": int(
                ((c == "only_in_base") & changes["base_covered"].eq(True)).sum()
            ),
            "covered_only_in_new": int(
                ((c == "only_in_new") & changes["new_covered"].eq(True)).sum()
            ),
        },
        "groups": [
            {"group": g, "gained": totals[f"{g}_gained"], "lost": totals[f"{g}_lost"]}
            for g in groups
        ],
        "gained": _listing(changes, "gained", groups),
        "lost": _listing(changes, "lost", groups),
    }
    if by is not None:
        areas = changes[by].fillna("").astype(str)
        summary["by_area"] = [
            {"area": a, **_tally(changes.loc[areas == a], groups, has_pop)}
            for a in sorted(set(areas), key=natural_key)
        ]
    return Comparison(summary=summary, changes=changes)


def _changes_table(
    base: RunOutputs, new: RunOutputs, groups: list[str], by: str | None
) -> pd.DataFrame:
    """One row per community of either run: its change and figures, in natural id order."""
    keep = ["community_id", "name", "population", "walk_min", "covered", *groups]
    keep += [by] if by is not None and by not in keep else []
    merged = pd.merge(
        base.table[keep],
        new.table[keep],
        on="community_id",
        how="outer",
        suffixes=("_base", "_new"),
        indicator=True,
    )
    in_base = merged["_merge"] != "right_only"
    in_new = merged["_merge"] != "left_only"
    bc = merged["covered_base"].fillna(False).astype(bool).to_numpy()
    nc = merged["covered_new"].fillna(False).astype(bool).to_numpy()
    change = np.select(
        [~in_new, ~in_base, ~bc & nc, bc & ~nc, bc & nc],
        ["only_in_base", "only_in_new", "gained", "lost", "still_covered"],
        "still_uncovered",
    )

    def pick(col: str) -> pd.Series:
        return merged[f"{col}_new"].where(in_new, merged[f"{col}_base"])

    changes = pd.DataFrame(
        {
            "community_id": merged["community_id"],
            "name": pick("name"),
            "change": change,
            "population": pick("population"),
            "base_covered": merged["covered_base"].where(in_base),
            "new_covered": merged["covered_new"].where(in_new),
            "base_walk_min": merged["walk_min_base"],
            "new_walk_min": merged["walk_min_new"],
            **({by: pick(by)} if by is not None else {}),
            **{g: pick(g) for g in groups},
        }
    )
    order = sorted(range(len(changes)), key=lambda i: natural_key(changes["community_id"].iloc[i]))
    return changes.iloc[order].reset_index(drop=True)


def _tally(rows: pd.DataFrame, groups: list[str], has_pop: bool) -> dict:
    """Communities, people and group members gained and lost among `rows`."""
    c = rows["change"]
    out: dict[str, float] = {
        "gained": int((c == "gained").sum()),
        "lost": int((c == "lost").sum()),
    }
    for col, key in [("population", "people")] + [(g, g) for g in groups]:
        if col == "population" and not has_pop:
            continue
        v = rows[col].fillna(0.0)
        out[f"{key}_gained"] = float(v[c == "gained"].sum())
        out[f"{key}_lost"] = float(v[c == "lost"].sum())
    return out


def _covered_totals(run: RunOutputs, groups: list[str], has_pop: bool) -> dict:
    """A run's communities, and the communities, people and group members it covers."""
    t = run.table
    return {
        "communities": len(t),
        "covered": int(t["covered"].sum()),
        "people_covered": float(t.loc[t["covered"], "population"].fillna(0).sum())
        if has_pop
        else None,
        **{f"{g}_covered": float(t.loc[t["covered"], g].fillna(0).sum()) for g in groups},
    }


def _changed(base: dict, new: dict) -> list[dict]:
    out = []
    bp, np_ = base.get("parameters", {}), new.get("parameters", {})
    for k in dict.fromkeys([*bp, *np_]):
        if bp.get(k) != np_.get(k):
            out.append({"what": k, "base": bp.get(k), "new": np_.get(k)})
    for layer in ("network", "centres", "communities", "gates"):
        b = (base.get("data") or {}).get(layer) or {}
        n = (new.get("data") or {}).get(layer) or {}
        if b.get("file") != n.get("file") or b.get("sha256") != n.get("sha256"):
            out.append({"what": f"{layer} layer", "base": b.get("file"), "new": n.get("file")})
    return out


def _listing(changes: pd.DataFrame, kind: str, groups: list[str]) -> list[dict]:
    rows = changes.loc[changes["change"] == kind]
    return [
        {
            "community_id": r["community_id"],
            "name": r["name"],
            "population": None if pd.isna(r["population"]) else float(r["population"]),
            "base_walk_min": None if pd.isna(r["base_walk_min"]) else float(r["base_walk_min"]),
            "new_walk_min": None if pd.isna(r["new_walk_min"]) else float(r["new_walk_min"]),
            **({"groups": {g: float(np.nan_to_num(r[g])) for g in groups}} if groups else {}),
        }
        for _, r in rows.iterrows()
    ]


#: titles of the summaries, translated when shown
_TITLES = [
    N_("15-minute employment circle: coverage by walking profile"),
    N_("15-minute employment circle: two runs compared"),
]


def compare_markdown(summary: dict, *, top: int = 20, lang: str = "en") -> str:
    """The comparison as a Markdown report for people.

    Parameters
    ----------
    summary
        `Comparison.summary`.
    top
        Communities listed per change (largest population first).
    lang
        {"en", "zh"} Language of the texts (the numbers are the same).

    Returns
    -------
    str
    """
    _ = translator(lang)
    lines = _compare_totals_lines(summary, _)
    if "by_area" in summary:
        lines += ["", f"| {_('area')} | {_('gained')} | {_('lost')} |", "|---|---:|---:|"]
        lines += [
            f"| {md(a['area'])} | {a['gained']} | {a['lost']} |" for a in summary["by_area"]
        ]
    for kind, title in (
        ("gained", _("Gained (now covered)")),
        ("lost", _("Lost (no longer covered)")),
    ):
        lines += _change_listing(summary[kind], title, top, _)
    return "\n".join(lines) + "\n"


def _compare_totals_lines(summary: dict, _=str) -> list[str]:
    """Title, the two runs, what changed between them and the table of gains and losses."""
    b, n, c = summary["base"], summary["new"], summary["communities"]
    lines = [
        f"# {_(summary['title'])}",
        "",
        _("- Base: `{run}`").format(run=md_code(b["run"])),
        _("- New: `{run}`").format(run=md_code(n["run"])),
        "",
    ]
    if summary["parameters_changed"]:
        lines += [f"| {_('changed')} | {_('base')} | {_('new')} |", "|---|---|---|"]
        lines += [
            f"| {md(p['what'])} | {md(p['base'])} | {md(p['new'])} |"
            for p in summary["parameters_changed"]
        ]
    else:
        lines.append(_("Same parameters and input files."))
    of = _("{covered} of {total}")
    lines += [
        "",
        f"| | {_('base')} | {_('new')} | {_('gained')} | {_('lost')} |",
        "|---|---:|---:|---:|---:|",
        f"| {_('communities covered')} | "
        f"{of.format(covered=b['covered'], total=b['communities'])} | "
        f"{of.format(covered=n['covered'], total=n['communities'])} | "
        f"{c['gained']} | {c['lost']} |",
    ]
    if b["people_covered"] is not None:
        lines.append(
            f"| {_('people covered')} | {b['people_covered']:,.0f} | {n['people_covered']:,.0f} | "
            f"{c['people_gained']:,.0f} | {c['people_lost']:,.0f} |"
        )
    for g in summary["groups"]:
        name = g["group"]
        lines.append(
            f"| {_('{group} covered').format(group=md(name))} | {b[f'{name}_covered']:,.0f} | "
            f"{n[f'{name}_covered']:,.0f} | "
            f"{g['gained']:,.0f} | {g['lost']:,.0f} |"
        )
    if c["only_in_base"] or c["only_in_new"]:
        lines += [
            "",
            _(
                "{base} communities only in the base run ({base_covered} covered), {new} only in "
                "the new run ({new_covered} covered)."
            ).format(
                base=c["only_in_base"],
                base_covered=c["covered_only_in_base"],
                new=c["only_in_new"],
                new_covered=c["covered_only_in_new"],
            ),
        ]
    return lines


def _change_listing(rows: list[dict], title: str, top: int, _=str) -> list[str]:
    """The communities gained (or lost), largest population first, the `top` first."""
    rows = sorted(rows, key=lambda r: -(r["population"] or 0))
    lines = ["", "## " + _("{title}: {n} communities").format(title=title, n=len(rows)), ""]
    if rows:
        head = [
            _("community"),
            _("name"),
            _("people"),
            _("walk before (min)"),
            _("walk now (min)"),
        ]
        lines += [
            "| " + " | ".join(head) + " |",
            "|---|---|---:|---:|---:|",
        ]
        for r in rows[:top]:
            lines.append(
                f"| {md(r['community_id'])} | {md(r['name'])} | {fmt_num(r['population'])} | "
                f"{fmt_num(r['base_walk_min'], 1)} | {fmt_num(r['new_walk_min'], 1)} |"
            )
        if len(rows) > top:
            more = _("… and {n} more in compare.json and compare.csv.").format(n=len(rows) - top)
            lines.append("\n" + more)
    return lines


def write_compare_files(
    comparison: Comparison, folder: str | Path, *, lang: str = "en"
) -> list[str]:
    """Write compare.csv, compare.md and compare.json into an existing folder.

    Parameters
    ----------
    comparison
        The output of `compare_runs`.
    folder
        Destination folder.
    lang
        {"en", "zh"} Language of compare.md.

    Returns
    -------
    list of str
        `COMPARE_FILES`.
    """
    folder = Path(folder)
    write_csv(comparison.changes, folder / "compare.csv", lang=lang)
    markdown = compare_markdown(comparison.summary, lang=lang)
    (folder / "compare.md").write_text(markdown, encoding="utf-8")
    (folder / "compare.json").write_text(summary_json(comparison.summary), encoding="utf-8")
    return list(COMPARE_FILES)
