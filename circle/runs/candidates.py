"""The one candidate gatherer: candidate sites for new centres from every source asked for.

`circle site`, `circle coverage --whatif`, the siting scenarios of `circle sweep` and
`circle.study.StudyArea.candidates` all gather through here: a layer (file or GeoDataFrame),
the network file's OSM tags, and/or one street node per grid square (`circle.siting`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from ..io.columns import LayerColumns
from ..network.walk import WalkNetwork
from ..siting.candidates import check_candidate_sources, combine_candidates, gather_candidates

__all__ = ["CandidateSources", "gather", "scenario_sources"]

_GRID = re.compile(r"^grid:(.+)$")


@dataclass(frozen=True)
class CandidateSources:
    """Where candidate sites come from (several sources combine).

    Attributes
    ----------
    file
        A candidate layer file, or a GeoDataFrame (``id``, ``name``, ``type``).
    from_osm
        Take candidates from the network file's OSM tags; also when `tags` are given, and the
        default when no source is given.
    tags
        ``(key, value) -> centre type`` instead of `circle.siting.CANDIDATE_TAGS`.
    grid_m
        One candidate per `grid_m` metre square of street network.
    columns, layer_crs, datum
        How to read `file`, as for `circle.io.read_layer`.
    """

    file: str | Path | gpd.GeoDataFrame | None = None
    from_osm: bool = False
    tags: dict[tuple[str, str], str] | None = None
    grid_m: float | None = None
    columns: LayerColumns | None = None
    layer_crs: str | None = None
    datum: str = "wgs84"

    def check(self, network_source: str | Path) -> bool:
        """Check the sources before reading anything (`ConfigError` when OSM candidates are
        asked for or implied and the network is not an OSM file); whether OSM tags are used."""
        file = "layer" if isinstance(self.file, gpd.GeoDataFrame) else self.file
        return check_candidate_sources(
            network_source,
            candidates_file=file,
            from_osm=self.from_osm,
            tags=self.tags,
            grid_m=self.grid_m,
        )


def scenario_sources(spec: str, *, columns: LayerColumns | None = None, crs: str | None = None):
    """The sources a sweep scenario's ``candidates`` names: ``"osm"``, ``"grid:SPACING"`` or a
    file path."""
    if spec == "osm":
        return CandidateSources(from_osm=True)
    if m := _GRID.match(spec):
        return CandidateSources(grid_m=float(m[1]))
    return CandidateSources(file=spec, columns=columns or LayerColumns(), layer_crs=crs)


def gather(
    network_source: str | Path,
    network: WalkNetwork,
    centres: gpd.GeoDataFrame,
    sources: CandidateSources,
) -> gpd.GeoDataFrame:
    """Candidate sites from every source asked for, as one layer (`combine_candidates`).

    Parameters
    ----------
    network_source
        The network's file (or database URL): OSM candidates come from its tags.
    network
        The walking network (for grid candidates).
    centres
        The existing centres: an OSM feature that is already a centre is not a candidate.
    sources
        Where the candidates come from.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    if isinstance(sources.file, gpd.GeoDataFrame):
        layers = [sources.file]
        if sources.from_osm or sources.tags is not None or sources.grid_m:
            layers.append(gather(network_source, network, centres, _without_file(sources)))
        return combine_candidates(*layers)
    return gather_candidates(
        network_source,
        network,
        centres,
        candidates_file=sources.file,
        from_osm=sources.from_osm,
        tags=sources.tags,
        grid_m=sources.grid_m,
        columns=sources.columns,
        layer_crs=sources.layer_crs,
        datum=sources.datum,
    )


def _without_file(sources: CandidateSources) -> CandidateSources:
    import dataclasses

    return dataclasses.replace(sources, file=None)
