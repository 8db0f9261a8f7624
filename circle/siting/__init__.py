"""Siting: where the next centres cover the most residents (maximal covering, set covering)."""
