"""Siting: where the next centres cover the most residents (maximal covering, set covering).

Modules, one idea each: `candidates` (candidate sites from a file, OSM tags or a grid), `site`
(`site_new_centres`, the run), `reach` (the compact reach sets), `greedy` (the lazy greedy),
`model` (the problem reduced and posed to HiGHS), `highs` (HiGHS under a deadline), `solve`
(greedy, bounds and MILP within one time limit), `tables` and `result` (what a run returns),
`summary` (`siting_summary`). `core` re-exports the old names.
"""
