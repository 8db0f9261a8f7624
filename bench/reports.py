"""The bureau's files of a large run (issue 19): report.xlsx, report.pdf, map.png, coverage.gpkg.

Generated, not real data: a jittered 150 x 150 street grid (100 m blocks, 15 % of the streets
missing; about 15 x 15 km), 60 generated centres and 20,000 generated communities (60 m squares,
random populations) named "generated community N". The coverage run itself is not timed here
(see bench/run.py); each of the files written from its result is, with the median of
``--repeat`` runs, and so is the whole `circle.runs.reports.coverage_report_files` part as a
result folder writes it (isochrones, picture, PDF, workbook, GeoPackage).

Run from the repository root::

    python -m bench.reports                 # measure and print the Markdown section
    python -m bench.reports --write         # ... and replace its section of bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.generate import jittered_grid, random_layers
from bench.startup import replace_section

SECTION = "## Reports: report.xlsx, report.pdf, map.png, coverage.gpkg (issue 19)"
DEFAULT_RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def instance(n_communities: int = 20_000, n_centres: int = 60, side: int = 150, seed: int = 19):
    """The generated study area and its coverage result (5/10/15 minutes)."""
    from circle.coverage.core import coverage_report

    net = jittered_grid(side, seed=seed)
    centres, communities = random_layers(net, n_centres, n_communities, seed=seed)
    communities["name"] = [f"generated community {i + 1}" for i in range(len(communities))]
    centres["name"] = [f"generated centre {i + 1}" for i in range(len(centres))]
    started = time.perf_counter()
    result = coverage_report(communities, centres, net)
    return net, centres, result, time.perf_counter() - started


def _timed(fn, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def measure(repeat: int = 3, lang: str = "zh") -> dict:
    """Time each file written from the generated run; the figures as a dict."""
    from circle.coverage.core import summarise
    from circle.coverage.isochrones import walk_isochrones
    from circle.maps.geopackage import write_geopackage
    from circle.maps.static import static_map_png
    from circle.report.coverage import coverage_table_for_output, summary_json, write_coverage_files
    from circle.report.printable import write_printable
    from circle.report.workbook import coverage_sheets, write_workbook
    from circle.runs.reports import PDF_MAP_DPI, coverage_report_files

    net, centres, result, coverage_s = instance()
    folder = Path(tempfile.mkdtemp(prefix="circle-bench-reports-"))
    write_coverage_files(result, folder)
    summary = json.loads(summary_json(summarise(result)))
    table = pd.DataFrame(coverage_table_for_output(result).drop(columns="geometry"))
    rows: dict[str, float] = {}
    rows["isochrone bands (walk_isochrones, merged)"], bands = _timed(
        lambda: walk_isochrones(net, centres, config=result.config, per_centre=False), repeat
    )
    rows["report.xlsx (sheets + XlsxWriter)"], _ = _timed(
        lambda: write_workbook(coverage_sheets(summary, table, lang=lang), folder / "report.xlsx"),
        repeat,
    )
    rows[f"map picture (PNG, {PDF_MAP_DPI} dpi, streets + bands)"], png = _timed(
        lambda: static_map_png(result, isochrones=bands, network=net, lang=lang, dpi=PDF_MAP_DPI),
        repeat,
    )
    rows["report.pdf (with the picture above)"], _ = _timed(
        lambda: write_printable(
            folder / "report.pdf", "coverage", summary, table=table, map_png=png, lang=lang
        ),
        repeat,
    )
    rows["coverage.gpkg (4 layers + QGIS styles)"], _ = _timed(
        lambda: write_geopackage(folder / "coverage.gpkg", result, isochrones=bands, lang=lang),
        repeat,
    )
    part = coverage_report_files(result, net, centres, lang=lang)
    rows["all three as a result folder writes them (coverage_report_files)"], _ = _timed(
        lambda: part.write(folder), repeat
    )
    sizes = {n: (folder / n).stat().st_size for n in ("report.xlsx", "report.pdf", "coverage.gpkg")}
    return {
        "communities": len(result.table),
        "uncovered": int((~result.table["covered"]).sum()),
        "centres": len(centres),
        "network_nodes": int(net.xy.shape[0]),
        "coverage_s": coverage_s,
        "repeat": repeat,
        "lang": lang,
        "times_s": rows,
        "sizes_bytes": sizes,
    }


def to_markdown(figures: dict, command: str) -> str:
    """The RESULTS.md section of the figures."""
    t = figures["times_s"]
    workbook_pdf = (
        t["report.xlsx (sheets + XlsxWriter)"]
        + t[next(k for k in t if k.startswith("map picture"))]
        + t["report.pdf (with the picture above)"]
    )
    lines = [
        SECTION,
        "",
        f"Generated, not real data (`{command}`): {figures['communities']:,} generated "
        f"communities ({figures['uncovered']:,} left out), {figures['centres']} generated centres, "
        f"a jittered street grid of {figures['network_nodes']:,} nodes; texts in "
        f"`--lang {figures['lang']}`. Median of {figures['repeat']} runs on 2 shared cores; the "
        f"coverage run itself took {figures['coverage_s']:.1f} s and is not counted.",
        "",
        "| file | time |",
        "|---|---:|",
        *[f"| {name} | {seconds:.2f} s |" for name, seconds in t.items()],
        "",
        f"Workbook + picture + PDF: **{workbook_pdf:.2f} s** (the issue's target: a few seconds). "
        "Sizes: "
        + ", ".join(f"{n} {b / 1024:,.0f} KB" for n, b in figures["sizes_bytes"].items())
        + ". The PDF lists the 25 largest left-out communities; the workbook has every row.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per file (median)")
    parser.add_argument("--lang", choices=["en", "zh"], default="zh")
    parser.add_argument("--write", action="store_true", help=f"replace '{SECTION}' in --results")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    args = parser.parse_args(argv)
    command = "python -m bench.reports " + " ".join(argv if argv is not None else sys.argv[1:])
    figures = measure(repeat=args.repeat, lang=args.lang)
    section = to_markdown(figures, command.strip())
    print(section, end="")
    if args.write:
        text = args.results.read_text(encoding="utf-8")
        args.results.write_text(replace_section(text, section, SECTION), encoding="utf-8")
        print(f"[reports] wrote the '{SECTION}' section of {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
