"""``python -m circle``: the same application as the `circle` command."""

from circle.cli import main

main()
