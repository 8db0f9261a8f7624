"""``circle rerun``: reproduce a report from its manifest and check every output."""

from __future__ import annotations

from pathlib import Path

import click

from .common import handle_errors
from .options import _h, output_options


@click.command(
    "rerun", short_help=_h("Re-run a manifest and check the outputs are byte-identical.")
)
@click.argument("manifest", type=click.Path(path_type=Path))
@output_options(
    "Keep the rerun's files here (default: a temporary folder, removed after the check)."
)
@handle_errors
@click.pass_context
def rerun(ctx: click.Context, manifest: Path, out: Path | None, overwrite: bool) -> None:
    """Reproduce a report from its manifest.json and verify every output file.

    Refuses (exit 1) when an input file is missing or its bytes changed since the manifest was
    written; exits 1 naming every output whose sha256 differs.

    \b
    Examples:
      $ circle rerun report/manifest.json
      $ circle rerun report/manifest.json --out check/
    """
    from ..runs.job import rerun as run_again

    report = run_again(manifest, out_dir=out, overwrite=overwrite)
    where = f" (files in {report.out_dir})" if report.out_dir else ""
    click.echo(
        f"reproduced: {len(report.outputs)} outputs byte-identical to {manifest}{where}: "
        + ", ".join(report.outputs)
    )
