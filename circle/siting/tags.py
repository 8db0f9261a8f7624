"""The candidate-site defaults, light to import (the command line's help texts show them)."""

from __future__ import annotations

__all__ = ["CANDIDATE_TAGS", "DEFAULT_GRID_SPACING_M"]

#: OSM tags that make candidate sites, ``(key, value) -> centre type`` (first match wins): the
#: centre types of Liaoning's Action Plan 3.0 — public buildings and offices that could host a
#: station, colleges, enterprises, industrial parks and business districts.
CANDIDATE_TAGS: dict[tuple[str, str], str] = {
    ("amenity", "community_centre"): "community",
    ("amenity", "townhall"): "other",
    ("office", "employment_agency"): "other",
    ("office", "government"): "other",
    ("amenity", "library"): "other",
    ("amenity", "social_facility"): "other",
    ("building", "public"): "other",
    ("building", "civic"): "other",
    ("amenity", "college"): "college",
    ("amenity", "university"): "college",
    ("building", "college"): "college",
    ("building", "university"): "college",
    ("office", "company"): "enterprise",
    ("landuse", "industrial"): "industrial_park",
    ("landuse", "commercial"): "business_district",
}

#: default spacing of candidates generated on the street network (metres): one per 200 m square
DEFAULT_GRID_SPACING_M = 200.0
