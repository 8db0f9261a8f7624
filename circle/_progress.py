"""Progress bars on stderr (tqdm), for the steps of a command that take more than a second.

Off by default, so the Python API and tests stay silent; the CLI turns them on unless ``-q``
is given (`enable`). Even then a bar shows only when stderr is a terminal (tqdm's own test:
logs, pipes and captured stderr get none) and only once its step has run for a second
(``delay``). Bars go to stderr, never into output files or stdout (``--out -``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["bar", "enable", "iterate", "steps"]

T = TypeVar("T")

#: whether bars may show (set by the CLI)
_ENABLED = False
#: a bar shows once its step has run this long (seconds)
DELAY_S = 1.0


def enable(on: bool) -> None:
    """Let bars show (when stderr is a terminal), or silence them all."""
    global _ENABLED
    _ENABLED = bool(on)


class _Silent:
    """A bar that shows nothing (progress off)."""

    def update(self, n: float = 1) -> None:
        """Nothing to show."""

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        """Nothing to show."""


@contextmanager
def bar(desc: str, *, total: float | None = None, unit: str = "it", mininterval_s: float = 0.1
        ) -> Iterator[Any]:
    """A progress bar for a step of `total` units; ``.update(n)`` advances it.

    Parameters
    ----------
    desc
        What the step does, e.g. ``"reach sets"``.
    total
        Units in the step (None: a counter without an end).
    unit
        Name of a unit, e.g. ``"sites"``.
    mininterval_s
        Redraw at most this often (seconds).
    """
    if not _ENABLED:
        yield _Silent()
        return
    from tqdm import tqdm

    # disable=None: no bar unless stderr is a terminal
    with tqdm(total=total, desc=f"circle: {desc}", unit=unit, file=sys.stderr, disable=None,
              leave=False, delay=DELAY_S, dynamic_ncols=True, mininterval=mininterval_s) as b:
        yield b


def iterate(items: Iterable[T], desc: str, *, total: int | None = None, unit: str = "it"
            ) -> Iterator[T]:
    """`items`, advancing a progress bar (see `bar`) by one for each."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with bar(desc, total=total, unit=unit) as b:
        for item in items:
            yield item
            b.update(1)


@contextmanager
def steps(desc: str, names: tuple[str, ...]) -> Iterator[Callable[[str], None]]:
    """A bar over the named steps of one job (see `bar`): call ``start(name)`` as each step
    begins; the bar counts the steps done and names the one running.

    Parameters
    ----------
    desc
        The job, e.g. ``"coverage"``.
    names
        Its steps in order, e.g. ``("snapping", "searching", "table")``.
    """
    # a few updates: each one drawn (once the job has run `DELAY_S`)
    with bar(desc, total=len(names), unit="steps", mininterval_s=0) as b:
        started = 0

        def start(name: str) -> None:
            nonlocal started
            if started:
                b.update(1)  # the step before is done; shown once the job has run a second
            started += 1
            b.set_postfix_str(name, refresh=False)

        yield start
        if started:
            b.update(1)
