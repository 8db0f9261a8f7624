"""Run circle from a checkout: ``python cli.py coverage``."""

from circle.cli import main

if __name__ == "__main__":
    main()
