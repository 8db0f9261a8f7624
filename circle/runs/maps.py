"""Map and isochrone runs: the coverage map, the what-if maps and the walk-time polygons.

`circle map`, `circle isochrones`, ``circle coverage --map/--whatif``, ``circle site --map`` and
the notebook results (`circle.study`) draw through these.
"""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from ..config import CircleConfig
from ..coverage.core import CoverageResult, coverage_report
from ..coverage.isochrones import walk_isochrones
from ..coverage.rural import open_centres
from ..network.walk import WalkNetwork
from ..siting.result import SitingResult
from .candidates import CandidateSources, gather
from .inputs import Stage, read_inputs
from .job import CoverageJob, JobOutcome

if TYPE_CHECKING:
    import folium

__all__ = [
    "draw_coverage_map",
    "draw_whatif_map",
    "run_isochrones",
    "run_map",
    "run_static_map",
    "whatif_of_run",
]


def draw_coverage_map(
    result: CoverageResult,
    network: WalkNetwork,
    centres: gpd.GeoDataFrame,
    config: CircleConfig,
    **map_options: Any,
) -> folium.Map:
    """Isochrones of the centres, then the coverage map (`circle.maps.coverage_map`)."""
    from ..maps.coverage_map import coverage_map

    bands = walk_isochrones(network, centres, config=config, per_centre=False)
    return coverage_map(result, isochrones=bands, network=network, **map_options)


def draw_whatif_map(
    result: SitingResult,
    network: WalkNetwork,
    centres: gpd.GeoDataFrame,
    config: CircleConfig,
    **map_options: Any,
) -> folium.Map:
    """Isochrones of the existing centres, then the what-if map of a siting result."""
    from ..maps.whatif import whatif_map

    bands = walk_isochrones(network, centres, config=config, per_centre=False)
    return whatif_map(result, isochrones=bands, network=network, **map_options)


def whatif_of_run(
    job: CoverageJob, outcome: JobOutcome, sources: CandidateSources, *, lang: str = "en"
) -> folium.Map:
    """The what-if map of ``circle coverage --whatif``: the reach of every candidate, none chosen.

    It reuses the network and layers the run read (with their per-file layers and datums) and
    must agree with the run's coverage (`circle.maps.explore_candidates`).
    """
    from ..maps.whatif import explore_candidates

    candidates = gather(job.network, outcome.network, outcome.centres, sources)
    result = explore_candidates(
        outcome.communities,
        outcome.centres,
        candidates,
        outcome.network,
        config=job.config,
        baseline=outcome.result,
    )
    return draw_whatif_map(
        result, outcome.network, outcome.centres, job.config, start_with_proposals=False,
        lang=lang,
    )


def run_map(
    job: CoverageJob, *, stage: Stage | None = None, **map_options: Any
) -> tuple[CoverageResult, folium.Map]:
    """Read the study area, walk to the nearest centre and draw the coverage map (`circle map`).

    Returns
    -------
    result, map
    """
    stage = stage or (lambda text: nullcontext())
    inputs, result = _walked(job, stage)
    with stage("drawing the map"):
        m = draw_coverage_map(result, inputs.network, inputs.centres, job.config, **map_options)
    return result, m


def _walked(job: CoverageJob, stage: Stage):
    """The study area read and every community walked to its nearest centre."""
    inputs = read_inputs(job, stage=stage, layers_stage="reading centres and communities")
    if job.hours is not None:  # --at: only the centres open then
        inputs = dataclasses.replace(inputs, centres=open_centres(inputs.centres, job.hours)[0])
    with stage("walking to the nearest centre"):
        result = coverage_report(
            inputs.communities, inputs.centres, inputs.network, config=job.config
        )
    return inputs, result


def run_static_map(
    job: CoverageJob,
    *,
    stage: Stage | None = None,
    title: str | None = None,
    lang: str = "en",
    dpi: int = 150,
) -> tuple[CoverageResult, bytes]:
    """Read the study area, walk to the nearest centre and draw the static picture (PNG) of the
    coverage map (``circle map --png``, `circle.maps.static.static_map_png`).

    Returns
    -------
    result, png
    """
    from ..maps.static import static_map_png

    stage = stage or (lambda text: nullcontext())
    inputs, result = _walked(job, stage)
    with stage("drawing the picture"):
        bands = walk_isochrones(inputs.network, inputs.centres, config=job.config, per_centre=False)
        png = static_map_png(
            result, isochrones=bands, network=inputs.network, title=title, lang=lang, dpi=dpi
        )
    return result, png


def run_isochrones(
    job: CoverageJob, *, per_centre: bool = True, stage: Stage | None = None
) -> gpd.GeoDataFrame:
    """Read the centres and walk out from them (`circle isochrones`, `walk_isochrones`)."""
    stage = stage or (lambda text: nullcontext())
    inputs = read_inputs(
        job, stage=stage, need_communities=False, layers_stage="reading centres and communities"
    )
    with stage("walking out from the centres"):
        return walk_isochrones(
            inputs.network, inputs.centres, config=job.config, per_centre=per_centre
        )
