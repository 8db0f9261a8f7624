"""The analyst's API: a study area, its coverage and its new sites, as objects that show themselves.

The same engine as the CLI, for notebooks::

    study = StudyArea.bundled()                 # or StudyArea.from_files("shenhe.osm.pbf", ...)
    cov = study.coverage(walk_speed_kmh=4.5)    # a Coverage: .table, .summary, .map(), .plot()
    sites = study.site(add=3)                   # a Siting: .proposals, .before, .after, .map()

`StudyArea.from_files` takes the options of ``circle coverage`` (per-file layers and datums,
gates, presets, population sources, roll-ups by column or area) and reads through the CLI's one
input reader; `StudyArea.coverage` takes its run options (profile, profiles, key groups). In
Jupyter both results render a summary table; ``.map()`` (or ``.explore()``) gives the CLI's
offline folium map, ``.plot()`` a static matplotlib figure, ``.to_files(dir)`` the CLI's files.
"""

from .area import StudyArea
from .results import Coverage, Siting

__all__ = ["Coverage", "Siting", "StudyArea"]
