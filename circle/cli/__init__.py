"""The command line: ``circle coverage``, ``circle site`` and the other commands (click).

One module per command; `options` is the registry of the options they share, `common` maps
circle's exceptions to exit codes and prints progress. The commands parse and print; the work is
done by `circle.runs`, which the notebook API (`circle.study`) calls too. Only click and light
circle modules load at import, so ``circle --help`` starts at once.
"""

from .main import cli, main

__all__ = ["cli", "main"]
