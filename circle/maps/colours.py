"""The map colours, shared by the HTML map, its static picture and the QGIS styles (light)."""

from __future__ import annotations

__all__ = [
    "BAND_PALETTE",
    "CENTRE_OUTLINE",
    "CENTRE_TYPE_COLOURS",
    "COMMUNITY_OUTLINE",
    "ISOCHRONE_FILL_OPACITY",
    "PROPOSAL_COLOUR",
    "PROPOSAL_RING",
    "STREET_COLOUR",
    "UNCOVERED_FILL",
    "UNCOVERED_OUTLINE",
    "band_colours",
    "centre_colour",
    "rgb",
]

#: fill colour per centre type (DESIGN.md's types); unknown types use "other"
CENTRE_TYPE_COLOURS = {
    "community": "#2166ac",
    "village": "#762a83",
    "enterprise": "#e08214",
    "industrial_park": "#8c510a",
    "college": "#c51b7d",
    "business_district": "#01665e",
    "other": "#525252",
}
#: walk-time colours from near (dark green) to far (yellow-orange); bands pick evenly from it
BAND_PALETTE = ["#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#fee08b", "#fdae61"]
UNCOVERED_FILL = "#bdbdbd"
UNCOVERED_OUTLINE = "#d7191c"
STREET_COLOUR = "#8c8c8c"
#: outline of covered communities, and the ring around centres
COMMUNITY_OUTLINE = "#252525"
CENTRE_OUTLINE = "#ffffff"
#: opacity of the isochrone fills (their outlines are opaque)
ISOCHRONE_FILL_OPACITY = 0.22
#: proposed sites, as the what-if map draws a chosen candidate (fill) with its proposal ring
PROPOSAL_COLOUR = "#6a3d9a"
PROPOSAL_RING = "#ff7f00"


def band_colours(n: int) -> list[str]:
    """Colours of `n` walk-time bands, nearest first.

    Parameters
    ----------
    n
        Number of bands.

    Returns
    -------
    list of str
    """
    if n <= 1:
        return BAND_PALETTE[:1]
    last = len(BAND_PALETTE) - 1
    # evenly spread over the palette, rounded half to even as numpy.round does
    step = last / (n - 1)  # as numpy.linspace computes it, so the picks equal the old ones
    return [BAND_PALETTE[round(i * step)] for i in range(n)]


def centre_colour(centre_type: object) -> str:
    """The fill colour of a centre type (``"other"``'s for a type without its own colour)."""
    return CENTRE_TYPE_COLOURS.get(str(centre_type), CENTRE_TYPE_COLOURS["other"])


def rgb(colour: str) -> tuple[int, int, int]:
    """``"#1a9850"`` -> ``(26, 152, 80)``."""
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
