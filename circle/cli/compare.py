"""``circle compare``: two coverage runs, who is gained and who is lost."""

from __future__ import annotations

from pathlib import Path

import click

from .common import handle_errors
from .options import _h, lang_option, output_options

_COMPARE_HELP = (
    _h("Compare two runs of `circle coverage --out`: communities and people gained and lost.")
    + "\n\n"
    + _h(
        "BASE and NEW are result folders (or the summary.json / manifest.json inside them). A "
        "community is gained when it is covered in NEW but not in BASE, lost the other way round; "
        "people and key groups are counted with NEW's figures. With --out, compare_map.html shows "
        "the communities gained (green) and lost (red); the unchanged ones are muted."
    )
    + """

\b
Examples:
  $ circle coverage --out today/ && circle coverage --profile elderly --out elderly/
  $ circle compare today/ elderly/
  $ circle compare today/summary.json plan/summary.json --out compare/
"""
)


@click.command(
    help=_COMPARE_HELP, short_help=_h("Compare two coverage runs: who is gained, who is lost.")
)
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@output_options(
    _h(
        "Folder for compare.md, compare.json, compare.csv (one row per community) and "
        "compare_map.html (a map of the differences that opens with no internet)."
    )
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help=_h("What to print on stdout."),
)
@lang_option
@handle_errors
@click.pass_context
def compare(
    ctx: click.Context,
    base: Path,
    new: Path,
    out: Path | None,
    overwrite: bool,
    fmt: str,
    lang: str,
) -> None:
    """Compare two runs of `circle coverage --out` (the help is `_COMPARE_HELP`)."""
    from ..report.compare import compare_markdown
    from ..report.coverage import summary_json
    from ..runs.compare import run_compare

    comparison = run_compare(base, new, out_dir=out, overwrite=overwrite, lang=lang)
    if fmt == "json":
        click.echo(summary_json(comparison.summary), nl=False)
    else:
        click.echo(compare_markdown(comparison.summary, lang=lang), nl=False)
