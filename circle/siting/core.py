"""The siting API under its old address (`circle.siting.core`), kept while branches move over.

Everything lives in its own module now: `circle.siting.candidates` (candidate sites),
`circle.siting.site` (`site_new_centres`), `circle.siting.result` (`SitingResult`),
`circle.siting.summary` (`siting_summary`), `circle.siting.reach`, `circle.siting.greedy`,
`circle.siting.model` and `circle.siting.solve`. Import from those.
"""

from __future__ import annotations

from .candidates import (
    CANDIDATE_TAGS,
    DEFAULT_GRID_SPACING_M,
    candidates_from_osm,
    candidates_on_grid,
    check_candidate_sources,
    combine_candidates,
    gather_candidates,
)
from .reach import pattern as _pattern
from .result import OUTCOMES, PROPOSAL_COLUMNS, SitingResult
from .site import site_new_centres
from .summary import siting_summary

__all__ = [
    "CANDIDATE_TAGS",
    "DEFAULT_GRID_SPACING_M",
    "OUTCOMES",
    "PROPOSAL_COLUMNS",
    "SitingResult",
    "_pattern",
    "candidates_from_osm",
    "candidates_on_grid",
    "check_candidate_sources",
    "combine_candidates",
    "gather_candidates",
    "site_new_centres",
    "siting_summary",
]
