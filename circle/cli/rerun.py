"""``circle rerun``: reproduce a report from its manifest and check every output."""

from __future__ import annotations

from pathlib import Path

import click

from .common import handle_errors
from .options import _h, output_options

_RERUN_HELP = (
    _h("Reproduce a report from its manifest.json and verify every output file.")
    + "\n\n"
    + _h(
        "The manifest is checked against what circle writes before anything runs. Refuses (exit 1) "
        "a malformed manifest, an input file that is missing or whose bytes changed since the "
        "manifest was written, and SQL queries without --allow-queries; prints each database input "
        "first (your own credentials for that host are used); exits 1 naming every output whose "
        "sha256 differs."
    )
    + """

\b
Examples:
  $ circle rerun report/manifest.json
  $ circle rerun report/manifest.json --out check/
"""
)


@click.command(
    "rerun",
    help=_RERUN_HELP,
    short_help=_h("Re-run a manifest and check the outputs are byte-identical."),
)
@click.argument("manifest", type=click.Path(path_type=Path))
@output_options(
    _h("Keep the rerun's files here (default: a temporary folder, removed after the check).")
)
@click.option(
    "--allow-queries",
    is_flag=True,
    help=_h(
        "Run the SQL queries the manifest holds (each as one read-only statement in a "
        "read-only transaction). Without it a manifest with a query is refused."
    ),
)
@handle_errors
@click.pass_context
def rerun(
    ctx: click.Context, manifest: Path, out: Path | None, overwrite: bool, allow_queries: bool
) -> None:
    """Reproduce a report from its manifest.json (the help is `_RERUN_HELP`)."""
    from ..runs.job import rerun as run_again
    from ..runs.manifest import printable

    def notice(line: str) -> None:
        click.echo(f"circle: {line}", err=True)

    report = run_again(
        manifest, out_dir=out, overwrite=overwrite, allow_queries=allow_queries, notice=notice
    )
    where = f" (files in {report.out_dir})" if report.out_dir else ""
    click.echo(
        f"reproduced: {len(report.outputs)} outputs byte-identical to {printable(manifest)}{where}: "
        + ", ".join(report.outputs)
    )
