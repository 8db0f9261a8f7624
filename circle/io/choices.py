"""Choices the readers and writers offer, light to import (the command line's help shows them)."""

from __future__ import annotations

__all__ = ["IF_EXISTS"]

#: what `circle.io.db.write_db_tables` does when a result table exists
IF_EXISTS = ("fail", "replace", "append")
