"""Partitioned runs on a Dask cluster: the `partition_options` as a `Partitioning`, and the run."""

from __future__ import annotations

import click


def partitioning(ctx: click.Context, opts: dict, crs: str | None, *, required: bool):
    """The Partitioning asked for on the command line, or None for a single-process run."""
    from ..io.columns import LayerColumns
    from ..io.files import read_layer
    from ..runs.distributed import Partitioning

    problem = None
    if opts["partition"] and opts["partition_by"]:
        problem = "give --partition tiles or --partition-by, not both"
    elif opts["partition_by"] and not opts["areas"]:
        problem = "--partition-by needs --areas FILE"
    elif opts["areas"] and not opts["partition_by"]:
        problem = "--areas needs --partition-by COLUMN"
    elif opts["partition"] and not opts["tile_km"] > 0:
        problem = f"--tile-km must be > 0, got {opts['tile_km']!r}"
    if problem:
        raise click.UsageError(problem, ctx=ctx)
    if opts["partition"] == "tiles":
        return Partitioning(tile_m=opts["tile_km"] * 1000.0)
    if opts["partition_by"]:
        areas = read_layer(opts["areas"], columns=LayerColumns(id=opts["partition_by"]), crs=crs)
        return Partitioning(areas=areas, column="id")
    if required:
        return Partitioning()
    if opts["scheduler"] or opts["workers"] or opts["work_dir"]:
        msg = "--scheduler, --workers and --work-dir need --partition tiles or --partition-by"
        raise click.UsageError(msg, ctx=ctx)
    return None


def run_parts(ctx: click.Context, opts: dict, **kwargs):
    """Run `run_coverage_parts` on the asked-for Dask cluster, with progress on stderr."""
    from ..network.load import cache_dir
    from ..runs.distributed import dask_client, run_coverage_parts

    quiet = ctx.obj["quiet"] > 0

    def progress(done: int, total: int, label: str) -> None:
        if not quiet:
            click.echo(f"circle: [{done}/{total}] {label}", err=True)

    work_dir = opts["work_dir"] or cache_dir() / "parts"
    try:
        with dask_client(opts["scheduler"], n_workers=opts["workers"]) as client:
            if not quiet:
                where = opts["scheduler"] or "a local Dask cluster"
                n = len(client.scheduler_info().get("workers", {}))
                click.echo(f"circle: running the parts on {where} ({n} workers)", err=True)
            return run_coverage_parts(
                client=client, work_dir=work_dir, progress=progress, **kwargs
            )
    except ImportError as err:
        raise click.ClickException(str(err)) from err
