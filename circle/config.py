"""Run parameters: one frozen dataclass, validated once, with unit conversions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError

__all__ = ["DEFAULT_CONFIG", "CircleConfig"]


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
    isochrone_buffer_m
        Isochrone polygons are the reached parts of streets buffered by this many metres: the
        walk-off margin a resident covers from the street to a door. A point on a street more
        than this beyond the reached end (and this far from any other reached street) is outside.
    """

    walk_speed_kmh: float = 4.0
    thresholds_min: tuple[float, ...] = (5.0, 10.0, 15.0)
    max_snap_m: float = 500.0
    min_component_m: float = 250.0
    search_limit_min: float = 60.0
    gate_tolerance_m: float = 5.0
    isochrone_buffer_m: float = 25.0

    def __post_init__(self) -> None:
        problems = []
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

    def minutes_to_metres(self, minutes: float) -> float:
        """Convert a walk time in minutes to metres at this run's speed."""
        return minutes * 60.0 * self.walk_speed_mps

    def metres_to_minutes(self, metres: float) -> float:
        """Convert a walking distance in metres to minutes at this run's speed."""
        return metres / (60.0 * self.walk_speed_mps)

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
        }


def _positive(x: float) -> bool:
    try:
        return math.isfinite(x) and x > 0
    except TypeError:
        return False


DEFAULT_CONFIG = CircleConfig()
