"""What every command shares: the error-to-exit-code mapping, progress messages, source labels."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import click

from .._text import plain
from ..errors import CircleError, ConfigError

if TYPE_CHECKING:
    from ..config import CircleConfig
    from ..io.columns import LayerColumns
    from ..runs.job import CoverageJob

__all__ = ["Progress", "absolute", "handle_errors", "label"]


def handle_errors(f: Callable) -> Callable:
    """Map circle's exceptions to exit codes, for every command (rasterio's way).

    `ConfigError` (a bad option value or combination) becomes a usage error, exit 2, with the
    command's usage line; any other `CircleError` (bad input data, a failed write, ...) an
    error message, exit 1.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        # messages name files and values from the data: printed on one line, without the
        # control characters (terminal escapes, line breaks) a file name or value may hold
        except ConfigError as err:
            ctx = click.get_current_context(silent=True)
            raise click.UsageError(plain(str(err)), ctx=ctx) from err
        except CircleError as err:
            raise click.ClickException(plain(str(err))) from err

    return wrapper


class Progress:
    """Stage messages on stderr: what is running, and how long it took when over a second."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    @classmethod
    def of(cls, ctx: click.Context) -> Progress:
        """The progress of a command run (quiet with ``circle -q``)."""
        return cls(quiet=ctx.obj["quiet"] > 0)

    @contextmanager
    def stage(self, text: str) -> Iterator[None]:
        start = time.perf_counter()
        if not self.quiet:
            click.echo(f"circle: {text}…", err=True)
        yield
        took = time.perf_counter() - start
        if not self.quiet and took >= 1.0:
            click.echo(f"circle: {text}: done in {took:.1f} s", err=True)


def label(source: str | Path) -> str:
    """How messages name a file or a database source (password masked)."""
    from ..io.db import is_db_url, mask_url

    return mask_url(str(source)) if is_db_url(source) else Path(source).name


@overload
def absolute(path: str | Path) -> str: ...
@overload
def absolute(path: None) -> None: ...
def absolute(path: str | Path | None) -> str | None:
    """A file path made absolute (for the manifest); a database URL or None unchanged."""
    from ..io.db import is_db_url

    if path is None or is_db_url(path):
        return None if path is None else str(path)
    return str(Path(path).resolve())


def finished(ctx: click.Context, started: float) -> None:
    """The closing line on stderr: how long the command ran."""
    if not ctx.obj["quiet"]:
        click.echo(f"circle: finished in {time.perf_counter() - started:.1f} s", err=True)


def layers_job(
    network: str | Path,
    centres: str | None,
    communities: str | None,
    *,
    columns: LayerColumns,
    layer_crs: str | None,
    datum: str,
    config: CircleConfig,
    hours: Any = None,
) -> CoverageJob:
    """The `CoverageJob` that reads a study area for map, isochrones, site and sweep (no gates;
    `hours`: the centres counted by their opening hours, `circle.coverage.hours.HoursOptions`)."""
    from ..runs.job import CoverageJob

    return CoverageJob(
        network=str(network),
        centres=centres,
        communities=communities,
        gates="none",
        columns=columns,
        layer_crs=layer_crs,
        datum=datum,
        config=config,
        hours=hours,
    )
