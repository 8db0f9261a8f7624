"""OSM way tags the walk needs beyond ``highway``, packed into one small integer per way.

Surface access (issue 20): a point on the ground steps only onto ways at ground level. A way is
off the ground when it is a tunnel (``tunnel=*`` except ``no``), a bridge (``bridge=*`` except
``no``), covered (``covered=yes``), indoors (``indoor=*`` except ``no``) or on another layer
(``layer`` other than 0; a value that is not a number counts as another layer). Walks still go
through tunnels and over bridges; only the access legs avoid them. ``wheelchair=no`` is kept for
the wheelchair profile.
"""

from __future__ import annotations

__all__ = [
    "BRIDGE",
    "COVERED",
    "INDOOR",
    "LAYER",
    "OFF_GROUND",
    "TUNNEL",
    "WHEELCHAIR_NO",
    "way_flags",
]

#: bits of a way's flags
TUNNEL = 1
BRIDGE = 2
COVERED = 4
INDOOR = 8
LAYER = 16
WHEELCHAIR_NO = 32
#: any of these bits: a point on the ground cannot step onto the way
OFF_GROUND = TUNNEL | BRIDGE | COVERED | INDOOR | LAYER


def _layer_off_ground(value: str | None) -> bool:
    if value is None or not value.strip():
        return False
    try:
        return float(value.strip()) != 0.0
    except ValueError:
        return True


def way_flags(tags) -> int:
    """The flags of a way from its tags (a dict or an osmium TagList).

    Parameters
    ----------
    tags
        The way's OSM tags.

    Returns
    -------
    int
        A combination of `TUNNEL`, `BRIDGE`, `COVERED`, `INDOOR`, `LAYER`, `WHEELCHAIR_NO`.
    """
    flags = 0
    tunnel, bridge, indoor = tags.get("tunnel"), tags.get("bridge"), tags.get("indoor")
    if tunnel is not None and tunnel != "no":
        flags |= TUNNEL
    if bridge is not None and bridge != "no":
        flags |= BRIDGE
    if tags.get("covered") == "yes":
        flags |= COVERED
    if indoor is not None and indoor != "no":
        flags |= INDOOR
    if _layer_off_ground(tags.get("layer")):
        flags |= LAYER
    if tags.get("wheelchair") == "no":
        flags |= WHEELCHAIR_NO
    return flags
