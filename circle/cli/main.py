"""The `circle` command group: logging, the global options, and the commands registered."""

from __future__ import annotations

import gc
import logging
import sys
import warnings

import click

from .. import __version__
from .._text import plain
from ..errors import CircleWarning
from ..i18n import default_lang, translator

#: help texts in the environment's language (CIRCLE_LANG, LC_ALL, LANG), as in `options`
_h = translator(default_lang())


class _PlainFormatter(logging.Formatter):
    """Log lines without control characters: messages name files and data values."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # a traceback stays as it is
        return plain(super().formatMessage(record))


def _setup_logging(verbose: int, quiet: int) -> None:
    level = max(logging.DEBUG, logging.WARNING - 10 * (verbose - quiet))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PlainFormatter("circle: %(message)s"))
    root = logging.getLogger("circle")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # circle's own warnings (repaired geometry, assumed CRS) as one line each on stderr
    warnings.simplefilter("always", CircleWarning)
    default_show = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, CircleWarning):
            click.echo(f"circle: warning: {plain(message)}", err=True)  # no control characters
        else:
            default_show(message, category, filename, lineno, file, line)

    warnings.showwarning = show


_CLI_HELP = (
    _h("circle: which communities reach an employment service centre within a 15-minute walk?")
    + "\n\n"
    + _h(
        "Run `circle coverage` for a report on the bundled demo data (real OpenStreetMap data of "
        "central Helsinki), or give your own street network, centres and communities."
    )
)


@click.group(
    help=_CLI_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="circle", help=_h("Show the version and exit."))
@click.option(
    "-v", "--verbose", count=True, help=_h("More messages on stderr (-vv for debugging).")
)
@click.option("-q", "--quiet", count=True, help=_h("Fewer messages on stderr."))
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """The `circle` group: logging for every command (the help is `_CLI_HELP`)."""
    from .. import _progress

    _setup_logging(verbose, quiet)
    _progress.enable(quiet == 0)  # bars only on a terminal's stderr, and not under -q
    ctx.obj = {"verbose": verbose, "quiet": quiet}


def _register() -> None:
    from .compare import compare
    from .coverage import coverage
    from .extract import extract
    from .isochrones import isochrones
    from .map import map_command
    from .rerun import rerun
    from .site import site
    from .sweep import sweep

    for command in (coverage, compare, rerun, isochrones, map_command, sweep, extract, site):
        cli.add_command(command)


_register()


def main() -> None:
    """Entry point of the `circle` command."""
    try:
        cli(prog_name="circle")
    finally:
        # the process ends here: leave the objects it made (the imported libraries' hundreds
        # of thousands) out of the collections that Python runs while shutting down, which
        # cost a tenth of a second or more and find nothing to free (outputs are written and
        # closed by now; memory goes back to the system at exit anyway)
        gc.freeze()
