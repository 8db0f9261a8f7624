"""Walking profiles: named walking speeds with their published sources.

Three profiles ship with circle (fastest first):

- ``default``, 4.0 km/h: GB 50180-2018 (城市居住区规划设计标准) gives an 800-1,000 m walking
  radius for the 15-minute life circle; 1,000 m in 15 minutes is 4.0 km/h.
- ``winter``, 3.5 km/h: Fossum & Ryeng (2021), "The walking speed of pedestrians on various
  pavement surface conditions during winter", Transportation Research Part D 97, 102934,
  doi:10.1016/j.trd.2021.102934, measured in Trondheim: on clean ice an average pedestrian
  needs about 2 min/km more than on bare pavement. 15 min/km (4.0 km/h) + 2 min/km =
  17 min/km = 3.53 km/h, rounded to 3.5 km/h. (On the best winter surface a maintenance
  regime can keep, the paper finds about 1 min/km more: 3.75 km/h.)
- ``elderly``, 3.0 km/h: Asher et al. (2012), "Most older pedestrians are unable to cross the
  road in time: a cross-sectional study", Age and Ageing 41(5), 690-694,
  doi:10.1093/ageing/afs076: 3,145 people aged 65 and over in English households walked at a
  mean 0.9 m/s (men) and 0.8 m/s (women); 0.85 m/s = 3.06 km/h, rounded to 3.0 km/h.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

__all__ = [
    "PROFILES",
    "WalkProfile",
    "get_profile",
    "parse_profiles",
    "profile_for_speed",
]


@dataclass(frozen=True, slots=True)
class WalkProfile:
    """A named walking speed and where its figure comes from.

    Parameters
    ----------
    name
        Short name used on the command line (``--profile elderly``).
    speed_kmh
        Walking speed, km/h.
    label
        Who walks at this speed, for reports.
    source
        The published source of the figure and how it was derived.
    """

    name: str
    speed_kmh: float
    label: str
    source: str


PROFILES: dict[str, WalkProfile] = {
    p.name: p
    for p in (
        WalkProfile(
            "default",
            4.0,
            "adults on dry pavement",
            "GB 50180-2018: 800-1,000 m walking radius of the 15-minute life circle; "
            "1,000 m in 15 min = 4.0 km/h",
        ),
        WalkProfile(
            "winter",
            3.5,
            "walking on snow and ice, as in Liaoning winters",
            "Fossum & Ryeng 2021, Transportation Research Part D 97:102934 "
            "(doi:10.1016/j.trd.2021.102934): clean ice adds about 2 min/km to bare pavement; "
            "15 + 2 = 17 min/km = 3.5 km/h",
        ),
        WalkProfile(
            "elderly",
            3.0,
            "people aged 65 and over",
            "Asher et al. 2012, Age and Ageing 41(5):690-694 (doi:10.1093/ageing/afs076): mean "
            "0.9 m/s (men) and 0.8 m/s (women) aged 65+; 0.85 m/s = 3.06 km/h = 3.0 km/h",
        ),
    )
}
"""The shipped profiles by name, fastest first."""


def get_profile(name: str) -> WalkProfile:
    """The profile of a name.

    Parameters
    ----------
    name
        {"default", "winter", "elderly"}

    Returns
    -------
    WalkProfile
    """
    try:
        return PROFILES[name]
    except KeyError:
        msg = f"unknown walking profile {name!r}; choose from {', '.join(PROFILES)}"
        raise ConfigError(msg) from None


def parse_profiles(text: str) -> tuple[WalkProfile, ...]:
    """Profiles named in a comma-separated list, or ``"all"``; fastest first, each once.

    Parameters
    ----------
    text
        ``"all"`` or names such as ``"default,elderly"``.

    Returns
    -------
    tuple of WalkProfile
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        msg = (
            f"no walking profile named in {text!r}; give 'all' or names from {', '.join(PROFILES)}"
        )
        raise ConfigError(msg)
    if names == ["all"]:
        return tuple(PROFILES.values())
    chosen = {get_profile(n).name for n in names}
    return tuple(p for p in PROFILES.values() if p.name in chosen)


def profile_for_speed(speed_kmh: float) -> WalkProfile | None:
    """The shipped profile walking at exactly this speed, if any."""
    return next((p for p in PROFILES.values() if p.speed_kmh == speed_kmh), None)
