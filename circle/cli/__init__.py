"""The command line: ``circle coverage``, ``circle site`` and the other commands (click)."""

from .app import cli, main

__all__ = ["cli", "main"]
