"""Benchmarks of circle at city to province scale (``python -m bench``); see bench/run.py."""
