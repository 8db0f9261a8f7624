"""Run parameters: one frozen dataclass, validated once, with unit conversions; walking profiles.

Walking profiles are named walking speeds with their published sources.

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

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

#: a distance or time: one number, or an array of them
_Amount = TypeVar("_Amount", float, "np.ndarray")

__all__ = [
    "DEFAULT_CONFIG",
    "MODES",
    "PROFILES",
    "CircleConfig",
    "TravelMode",
    "WalkProfile",
    "default_search_limit_min",
    "get_mode",
    "get_profile",
    "parse_profiles",
    "profile_for_speed",
]


#: the travel modes' names (`MODES` holds their speeds and sources)
MODE_NAMES = ("walk", "bike", "ebike")


@dataclass(frozen=True, slots=True)
class CircleConfig:
    """Parameters of one coverage or siting run.

    Parameters
    ----------
    walk_speed_kmh
        Walking speed in km/h. The default 4.0 km/h gives 1,000 m in 15 minutes, the upper end of
        the 800-1,000 m walking radius GB 50180-2018 gives for the 15-minute life circle.
    thresholds_min
        Walk-time bands in minutes. The largest is the circle itself: a community is `covered`
        when its walk time is at most this many minutes.
    max_snap_m
        A point farther than this from every walkable edge is `off_network`.
    min_component_m
        Connected pieces of network with less street than this in total are dropped as fragments.
    search_limit_min
        The nearest-centre search stops at this walk time; a community with a path to a centre
        longer than this gets status `beyond_limit`. Must be at least the largest threshold.
    mode
        Travel mode (`MODES`): ``"walk"``, ``"bike"`` or ``"ebike"``; it chooses the network
        (osmnx's walk or bike filter; one-way streets are one-way for cycling) and names the
        per-community columns. `walk_speed_kmh` is the speed of this mode.
    within_km
        A distance rule instead of a time: the circle is this many kilometres of network
        distance (e.g. Anhui's 3 km 三公里就业圈). The single threshold becomes the time the
        distance takes at `walk_speed_kmh`, so a run with ``within_km`` equals one with that
        speed and threshold; ``None``: the circle is `thresholds_min`.
    isochrone_buffer_m
        Isochrone polygons are the reached parts of streets buffered by this many metres: the
        walk-off margin a resident covers from the street to a door. A point on a street more
        than this beyond the reached end (and this far from any other reached street) is outside.
    dem
        A digital elevation model (any GDAL raster, elevations in metres, any CRS): walks then
        cost time by Tobler's hiking function per direction (`circle.network.slope`); ``None``:
        flat. Walk metres are then flat-equivalent metres (minutes = metres / speed).
    dem_spacing_m
        Largest distance between two elevation samples along a street.
    access_slack_m
        A point also joins every other street on the ground whose access leg is at most this
        much longer than its nearest one; the walk takes whichever gives the shortest total.
    walk_profile
        A profile that changes the network, not only the speed (``"wheelchair"``: no steps, no
        ``wheelchair=no`` ways, no streets steeper than its limit with a DEM); ``None``: the
        network as read.
    """

    walk_speed_kmh: float = 4.0
    thresholds_min: tuple[float, ...] = (5.0, 10.0, 15.0)
    max_snap_m: float = 500.0
    min_component_m: float = 250.0
    search_limit_min: float = 60.0
    gate_tolerance_m: float = 5.0
    isochrone_buffer_m: float = 25.0
    dem: str | None = None
    dem_spacing_m: float = 10.0
    access_slack_m: float = 0.0
    walk_profile: str | None = None
    mode: str = "walk"
    within_km: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.mode not in MODE_NAMES:
            problems.append(f"`mode` must be one of {', '.join(MODE_NAMES)}, got {self.mode!r}")
        if self.within_km is not None:
            if not _positive(self.within_km):
                problems.append(f"`within_km` must be > 0 km, got {self.within_km!r}")
            elif _positive(self.walk_speed_kmh):
                minutes = self.within_km / self.walk_speed_kmh * 60.0
                object.__setattr__(self, "thresholds_min", (minutes,))
                if self.search_limit_min < minutes:
                    object.__setattr__(self, "search_limit_min", minutes)
        if not _positive(self.walk_speed_kmh):
            problems.append(f"`walk_speed_kmh` must be > 0, got {self.walk_speed_kmh!r}")
        bands = tuple(self.thresholds_min)
        if not bands:
            problems.append("`thresholds_min` needs at least one threshold in minutes")
        elif not all(_positive(b) for b in bands):
            problems.append(f"`thresholds_min` must all be > 0 minutes, got {list(bands)!r}")
        if not (_positive(self.max_snap_m)):
            problems.append(f"`max_snap_m` must be > 0, got {self.max_snap_m!r}")
        if not (math.isfinite(self.min_component_m) and self.min_component_m >= 0):
            problems.append(f"`min_component_m` must be >= 0, got {self.min_component_m!r}")
        if not _positive(self.search_limit_min):
            problems.append(f"`search_limit_min` must be > 0, got {self.search_limit_min!r}")
        elif bands and all(_positive(b) for b in bands) and self.search_limit_min < max(bands):
            problems.append(
                f"`search_limit_min` ({self.search_limit_min!r}) must be at least the largest "
                f"threshold ({max(bands)!r} min)"
            )
        if not (math.isfinite(self.gate_tolerance_m) and self.gate_tolerance_m >= 0):
            problems.append(f"`gate_tolerance_m` must be >= 0, got {self.gate_tolerance_m!r}")
        if not _positive(self.isochrone_buffer_m):
            problems.append(f"`isochrone_buffer_m` must be > 0, got {self.isochrone_buffer_m!r}")
        if not _positive(self.dem_spacing_m):
            problems.append(f"`dem_spacing_m` must be > 0, got {self.dem_spacing_m!r}")
        if not (math.isfinite(self.access_slack_m) and self.access_slack_m >= 0):
            problems.append(f"`access_slack_m` must be >= 0, got {self.access_slack_m!r}")
        if self.walk_profile is not None and self.walk_profile not in PROFILES:
            problems.append(
                f"unknown walking profile {self.walk_profile!r}; choose from {', '.join(PROFILES)}"
            )
        if problems:
            raise ConfigError("; ".join(problems))
        # normalise: sorted, unique floats (frozen, so go through object.__setattr__)
        if bands:
            object.__setattr__(self, "thresholds_min", tuple(sorted({float(b) for b in bands})))

    @property
    def walk_speed_mps(self) -> float:
        """Walking speed in metres per second."""
        return self.walk_speed_kmh / 3.6

    @property
    def threshold_min(self) -> float:
        """The circle's threshold in minutes: the largest band."""
        return self.thresholds_min[-1]

    @property
    def max_walk_m(self) -> float:
        """Walking distance in metres reached at the main threshold."""
        return self.minutes_to_metres(self.threshold_min)

    @property
    def search_limit_m(self) -> float:
        """Walking distance in metres at which the search stops."""
        return self.minutes_to_metres(self.search_limit_min)

    def minutes_to_metres(self, minutes: _Amount) -> _Amount:
        """Convert a walk time in minutes to metres at this run's speed."""
        return minutes * 60.0 * self.walk_speed_mps

    def metres_to_minutes(self, metres: _Amount) -> _Amount:
        """Convert a walking distance in metres to minutes at this run's speed."""
        return metres / (60.0 * self.walk_speed_mps)

    @staticmethod
    def walk_metres(speed_kmh: float, minutes: float) -> float:
        """The walk of `minutes` at `speed_kmh` as the reports print it (from a summary's
        parameters); the same distance as `minutes_to_metres`, in the reports' own arithmetic
        order so that their text stays as it was."""
        return speed_kmh * 1000 / 60 * minutes

    def as_dict(self) -> dict:
        """Parameters as plain JSON-ready values, with units in the keys."""
        return {
            "walk_speed_kmh": self.walk_speed_kmh,
            "thresholds_min": list(self.thresholds_min),
            "threshold_min": self.threshold_min,
            "max_snap_m": self.max_snap_m,
            "min_component_m": self.min_component_m,
            "search_limit_min": self.search_limit_min,
            "gate_tolerance_m": self.gate_tolerance_m,
            # issue 20's options, only when used: earlier runs' parameters stay byte-identical
            **({"dem": self.dem, "dem_spacing_m": self.dem_spacing_m} if self.dem else {}),
            **({"access_slack_m": self.access_slack_m} if self.access_slack_m else {}),
            **({"walk_profile": self.walk_profile} if self.walk_profile else {}),
            # only when set: the outputs of walking runs in minutes stay as they were
            **({} if self.mode == "walk" else {"mode": self.mode}),
            **({} if self.within_km is None else {"within_km": self.within_km}),
        }


def _positive(x: float) -> bool:
    try:
        return math.isfinite(x) and x > 0
    except TypeError:
        return False


DEFAULT_CONFIG = CircleConfig()


def default_search_limit_min(thresholds_min) -> float:
    """The walk search limit when none is given: the default's, or the largest band if larger."""
    return max([DEFAULT_CONFIG.search_limit_min, *thresholds_min])


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
    step_free
        No steps (``highway=steps``) and no ways tagged ``wheelchair=no``.
    max_slope
        With a DEM, no street whose steepest piece is steeper than this (rise over run).
    """

    name: str
    speed_kmh: float
    label: str
    source: str
    step_free: bool = False
    max_slope: float | None = None

    @property
    def changes_network(self) -> bool:
        """Whether the profile closes streets (steps, wheelchair=no, steep slopes)."""
        return self.step_free or self.max_slope is not None


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
        WalkProfile(
            "wheelchair",
            4.0,
            "wheelchair and pram users",
            "the default's speed (no speed figure adopted); the network changes: no steps, no "
            "ways tagged wheelchair=no and, with --dem, no street steeper than 1:12 (8.33 %), "
            "the steepest ramp of the ADA 2010 Standards for Accessible Design (section 405.2) "
            "and of GB 50763-2012 无障碍设计规范 (section 3.4.4, ramps up to 0.75 m of rise)",
            step_free=True,
            max_slope=1 / 12,
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


@dataclass(frozen=True, slots=True)
class TravelMode:
    """A way of travelling to a centre: its network and its default speed, with sources.

    Parameters
    ----------
    name
        ``walk``, ``bike`` or ``ebike`` (``--mode``).
    network
        The osmnx network type whose filter and one-way rules build its network.
    speed_kmh
        Default speed, km/h.
    label
        Who travels so, for reports.
    source
        The published source of the speed and the legal limits that apply.
    """

    name: str
    network: str
    speed_kmh: float
    label: str
    source: str


MODES: dict[str, TravelMode] = {
    m.name: m
    for m in (
        TravelMode("walk", "walk", PROFILES["default"].speed_kmh, "on foot",
                   PROFILES["default"].source),
        TravelMode(
            "bike",
            "bike",
            15.0,
            "by bicycle",
            "GB 50220-95 (城市道路交通规划设计规范) plans bicycle trips at 11-14 km/h; Langford, "
            "Chen & Cherry 2015, Accident Analysis & Prevention 82:220-226 "
            "(doi:10.1016/j.aap.2015.05.016) measured 17 km/h for bicycles on roads; 15 km/h "
            "lies between",
        ),
        TravelMode(
            "ebike",
            "bike",
            20.0,
            "by electric bicycle",
            "GB 17761-2018 (电动自行车安全技术规范) caps an electric bicycle's design speed at "
            "25 km/h; Langford, Chen & Cherry 2015 (doi:10.1016/j.aap.2015.05.016) measured "
            "21 km/h for e-bikes on roads; 20 km/h. The Road Traffic Safety Law "
            "(道路交通安全法) art. 58 limits e-bikes to 15 km/h in non-motor-vehicle lanes: "
            "use --speed-kmh 15 for that reading",
        ),
    )
}
"""The travel modes by name; ``bike`` and ``ebike`` share the bike network."""
assert tuple(MODES) == MODE_NAMES


def get_mode(name: str) -> TravelMode:
    """The travel mode of a name (`MODES`), or a `ConfigError` naming the choices."""
    try:
        return MODES[name]
    except KeyError:
        msg = f"unknown travel mode {name!r}; choose from {', '.join(MODES)}"
        raise ConfigError(msg) from None


def profile_for_speed(speed_kmh: float) -> WalkProfile | None:
    """The shipped profile walking at exactly this speed, if any."""
    return next((p for p in PROFILES.values() if p.speed_kmh == speed_kmh), None)
