"""Exception and warning classes raised to circle's users."""

from __future__ import annotations

__all__ = [
    "CircleError",
    "CircleWarning",
    "ConfigError",
    "InputDataError",
    "MemoryBudgetError",
    "MissingDependencyError",
    "NetworkError",
    "OutputError",
    "PartFailedError",
    "ReproducibilityError",
    "SolverError",
]


class CircleError(Exception):
    """Root of every error a user can cause and fix (bad file, bad option, bad data)."""


class InputDataError(CircleError, ValueError):
    """An input layer cannot be used: missing file or column, bad geometry, bad values."""


class ConfigError(CircleError, ValueError):
    """A run parameter is out of range (a usage error: the CLI exits with code 2)."""


class NetworkError(CircleError):
    """The street network cannot serve the run (no walkable ways, nothing snaps to it)."""


class SolverError(CircleError, RuntimeError):
    """An optimisation could not be solved."""


class OutputError(CircleError):
    """An output cannot be written (exists already, unwritable folder)."""


class ReproducibilityError(CircleError):
    """A rerun of a manifest did not give byte-identical outputs."""


class MissingDependencyError(CircleError, ImportError):
    """An optional feature needs packages that are not installed (the message names the extra)."""


class MemoryBudgetError(CircleError, MemoryError):
    """A run would need more memory than the budget it was given (the message says how much)."""


class PartFailedError(CircleError, RuntimeError):
    """A part of a partitioned run failed on every try (the message names the part)."""


class CircleWarning(UserWarning):
    """A recoverable condition the user should know about (repaired geometry, assumed CRS)."""
