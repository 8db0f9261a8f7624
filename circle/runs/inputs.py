"""The one input reader: the walking network, centres, communities and gates of a run.

`read_inputs` serves every command that reads a study area (coverage, map, isochrones, site,
sweep) and `circle.study.StudyArea`: the network from a file, a database or a download
(``--place``/``--bbox``); centres and communities from files (per-file layer and datum) or
derived from the network's OSM tags (the bundled demo layers with the bundled network);
populations filled from a raster or OSM buildings; communities assigned to roll-up areas; and
the gates of gated compounds.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..bundled import default_layers
from ..coverage.areas import assign_areas
from ..errors import ConfigError, InputDataError
from ..io.columns import LayerColumns
from ..io.db import is_db_url, mask_url
from ..io.extract import OsmPresets, extract_layers, gates_from_features, presets_from_file
from ..io.files import read_layer
from ..io.osm import OSM_SUFFIXES, read_tagged_features
from ..io.population import fill_population
from ..network.gates import gates_from_osm
from ..network.load import cache_dir, load_network
from ..network.online import fetch_osm
from ..network.slope import walk_network
from ..network.walk import WalkNetwork

if TYPE_CHECKING:
    from .job import CoverageJob

__all__ = ["Inputs", "Stage", "label", "load_layers", "read_inputs", "source_of"]

Stage = Callable[[str], AbstractContextManager]

#: the progress message of the layer-reading step, per what is read
LAYERS_STAGE = "reading centres, communities and gates"


@dataclass(frozen=True)
class Inputs:
    """What `read_inputs` read.

    Attributes
    ----------
    network
        The walking network.
    centres, communities
        The layers (`communities` is ``None`` when not needed and not given).
    gates
        The gates layer, or ``None`` for none.
    files
        The files read, by role (network, centres, communities, presets, population_raster,
        areas, gates), for the manifest.
    """

    network: WalkNetwork
    centres: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame | None
    gates: gpd.GeoDataFrame | None = None
    files: dict[str, Path | str] = field(default_factory=dict)


def source_of(value: str | Path) -> str | Path:
    """A file path, or a database URL kept as text (a Path would mangle its ``//``)."""
    return value if is_db_url(value) else Path(value)


def label(source: str | Path) -> str:
    """How messages name a file or a database source (password masked)."""
    return mask_url(str(source)) if is_db_url(source) else Path(source).name


def _is_osm(path: str | Path) -> bool:
    return not is_db_url(path) and Path(path).name.lower().endswith(OSM_SUFFIXES)


def load_layers(
    network_path: str | Path,
    centres: str | None,
    communities: str | None,
    *,
    columns: LayerColumns | None = None,
    crs: str | None = None,
    datum: str = "wgs84",
    per_input: dict | None = None,
    derived: dict | None = None,
    derived_from: str | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Centres and communities from files, or derived from OSM tags when ``None``.

    Parameters
    ----------
    network_path
        The network file (layers are derived from its tags when not given and not `derived`).
    centres, communities
        Layer files or ``None``.
    columns, crs, datum
        As for `circle.io.read_layer`.
    per_input
        ``{"centres": {"layer": …, "datum": …}, "communities": {…}}``: per-file layer (sheet)
        and datum (``None`` values: the defaults).
    derived
        Layers already derived from OSM tags (`circle.extract.extract_layers`).
    derived_from
        Name of the OSM data they came from (default: the network file's name).

    Returns
    -------
    centres, communities
    """
    network_path = source_of(network_path)
    per_input = per_input or {}
    if (centres is None or communities is None) and derived is None:
        if not _is_osm(network_path):
            msg = (
                f"{label(network_path)}: a .graphml or database network has no tags to derive "
                "layers from; give --centres and --communities"
            )
            raise ConfigError(msg)
        features = read_tagged_features(network_path, OsmPresets().keys())
        derived = extract_layers(features, presets=OsmPresets(), source=Path(network_path).name)
    out = []
    for given, kind in ((centres, "centres"), (communities, "communities")):
        if given is not None:
            opts = per_input.get(kind, {})
            out.append(
                read_layer(
                    given,
                    columns=columns,
                    crs=crs,
                    kind=kind,
                    layer=opts.get("layer"),
                    datum=opts.get("datum") or datum,
                )
            )
        else:
            assert derived is not None
            layer = derived[kind]
            layer.attrs["source"] = (
                f"{kind} derived from {derived_from or label(network_path)} (OSM tags)"
            )
            layer.attrs["row_label"] = "feature"
            out.append(layer)
    return out[0], out[1]


def _fill_population(job: CoverageJob, communities, derived: bool, features, source, presets):
    """Population in the documented order: column, raster, OSM building estimate, count."""
    if job.population_raster is None and not job.population_from_osm:
        return communities
    use_osm = job.population_from_osm or derived
    if use_osm and features is None:
        msg = (
            f"{source}: --population-from-osm needs the network as an OSM file (.osm, .osm.pbf) "
            "or downloaded with --place/--bbox"
        )
        raise ConfigError(msg)
    if derived and job.population_raster is not None:
        # the raster ranks above the OSM estimate a derived layer carries
        communities = communities.drop(columns=["population", "population_source"])
    return fill_population(
        communities,
        raster=job.population_raster,
        osm_features=features if use_osm else None,
        osm_source=source,
        presets=presets,
    )


def _load_gates(job: CoverageJob, online_gates: gpd.GeoDataFrame | None, presets: OsmPresets):
    network = source_of(job.network)
    online = online_gates is not None
    choice = job.gates
    if choice == "auto":
        choice = "osm" if job.communities is None and (online or _is_osm(network)) else "none"
    if choice == "none":
        return None
    if choice == "osm":
        if online:
            return online_gates
        if not _is_osm(network):
            msg = f"{label(network)}: --gates osm needs an OSM network file (.osm, .osm.pbf, …)"
            raise ConfigError(msg)
        return gates_from_osm(network, presets=presets)
    columns = LayerColumns(id=job.columns.id, lon=job.columns.lon, lat=job.columns.lat)
    return read_layer(job.gates, columns=columns, crs=job.layer_crs, kind="gates", datum=job.datum)


def _read_network(
    job: CoverageJob, presets: OsmPresets, need_features: bool
) -> tuple[WalkNetwork, list[dict] | None, str, Path | str]:
    """The network, the OSM features when needed, the source's name and the network's file."""
    if job.place is not None or job.bbox is not None:
        if job.config.mode != "walk":
            msg = (
                f"--mode {job.config.mode} needs an OSM network file (--network); the download "
                "(--place/--bbox) fetches the walk network"
            )
            raise ConfigError(msg)
        net, downloaded = fetch_osm(
            place=job.place, bbox=job.bbox, presets=presets,
            min_component_m=job.config.min_component_m,
        )
        net = walk_network(net, job.config)
        return net, downloaded, net.source["file"], cache_dir() / net.source["cache"]
    network = source_of(job.network)
    net = load_network(
        network, min_component_m=job.config.min_component_m, mode=job.config.mode
    )
    net = walk_network(net, job.config)  # slope costs (--dem) and profile rules
    features = None
    if _is_osm(network) and (need_features or job.population_from_osm):
        features = read_tagged_features(network, presets.keys())
    return net, features, label(network), network


def _read_layers(job: CoverageJob, features, source: str, presets, need_communities: bool):
    """Centres and communities (populations filled, roll-up areas assigned)."""
    communities_given = job.communities is not None or need_communities
    derived = None
    if (job.centres is None or job.communities is None) and features is not None:
        derived = extract_layers(features, presets=presets, source=source)
    per_input = {
        "centres": {"layer": job.centres_layer, "datum": job.centres_datum},
        "communities": {"layer": job.communities_layer, "datum": job.communities_datum},
    }
    options: dict[str, Any] = {
        "columns": job.columns, "crs": job.layer_crs, "datum": job.datum, "per_input": per_input,
    }
    if not communities_given and job.centres is not None:
        centres = read_layer(
            job.centres, columns=job.columns, crs=job.layer_crs, kind="centres",
            layer=job.centres_layer, datum=job.centres_datum or job.datum,
        )
        return with_added_centres(centres, job.add_centres), None
    centres, communities = load_layers(
        job.network, job.centres, job.communities, derived=derived, derived_from=source, **options
    )
    centres = with_added_centres(centres, job.add_centres)
    communities = _fill_population(
        job, communities, job.communities is None, features, source, presets
    )
    if job.by is not None or job.areas is not None:
        area_polygons = None
        if job.areas is not None:
            area_polygons = read_layer(
                job.areas, crs=job.layer_crs, kind="areas", layer=job.areas_layer,
                datum=job.datum,
            )
        communities = assign_areas(
            communities, by=job.by, areas=area_polygons, name_column=job.areas_name_column
        )
    return centres, communities


def with_added_centres(centres: gpd.GeoDataFrame, added: str | None) -> gpd.GeoDataFrame:
    """The centres plus those of the file `added` (``--add-centres``), ids kept apart.

    `added` is a layer circle wrote (proposals.csv, with ``site_id`` and lon/lat in WGS84, in
    English or Chinese headers; or the what-if map's chosen_sites.geojson) or any centres layer;
    an id also among the centres is refused, naming it.
    """
    if added is None:
        return centres
    path = Path(added)
    site_id = _site_id_column(path)
    columns = LayerColumns(id=site_id) if site_id else LayerColumns()
    extra = read_layer(path, columns=columns, kind="centres")
    clash = sorted(set(extra["id"].astype(str)) & set(centres["id"].astype(str)))
    if clash:
        msg = (
            f"{path}: centre id {clash[0]!r} is also an id of "
            f"{centres.attrs.get('source', 'the centres')}; the added centres need ids of "
            "their own (rename them in the file)"
        )
        raise InputDataError(msg)
    keep = [c for c in ("id", "name", "type") if c in extra.columns]
    combined = pd.concat(
        [centres, extra.to_crs(centres.crs)[[*keep, "geometry"]]], ignore_index=True
    )
    out = gpd.GeoDataFrame(combined, geometry="geometry", crs=centres.crs)
    out.attrs = {
        **centres.attrs,
        "source": f"{centres.attrs.get('source', 'centres')} + {path.name}",
    }
    return out


def _site_id_column(path: Path) -> str | None:
    """The site id column of a proposals.csv of ``circle site`` (English or Chinese header)."""
    from ..i18n import LANGUAGES, translator

    if path.suffix.lower() != ".csv":
        return None
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        header = f.readline().strip().split(",")
    return next((n for n in (translator(lang)("site_id") for lang in LANGUAGES)
                 if n in header), None)


def with_bundled_layers(job: CoverageJob) -> CoverageJob:
    """The job with the bundled demo layers in place of missing ones, on the bundled network."""
    import dataclasses

    if job.place is not None or job.bbox is not None:
        return job
    centres, communities = default_layers(job.network, job.centres, job.communities)
    return dataclasses.replace(job, centres=centres, communities=communities)


def read_inputs(
    job: CoverageJob,
    *,
    stage: Stage | None = None,
    need_communities: bool = True,
    layers_stage: str = LAYERS_STAGE,
) -> Inputs:
    """Read a job's network, centres, communities and gates.

    Parameters
    ----------
    job
        What to read (`CoverageJob`: the sources, their columns, layers, datums, presets,
        population sources, roll-up areas and gates; ``config.min_component_m``).
    stage
        A context-manager factory called with a description of each step (progress messages).
    need_communities
        With ``False`` and centres given, communities are read only when given (isochrones).
    layers_stage
        The progress message of the layer step.

    Returns
    -------
    Inputs
    """
    stage = stage or (lambda text: nullcontext())
    job = with_bundled_layers(job)
    presets = presets_from_file(job.presets) if job.presets else OsmPresets()
    online = job.place is not None or job.bbox is not None
    need_derived = job.centres is None or (job.communities is None and need_communities)
    where = job.place or job.bbox or label(source_of(job.network))
    with stage(f"reading the walking network {where}"):
        net, features, source, network_file = _read_network(job, presets, need_derived)
    with stage(layers_stage):
        centres, communities = _read_layers(job, features, source, presets, need_communities)
        online_gates = None
        if online and features is not None:
            online_gates = gates_from_features(features, presets=presets, source=source)
        gates = _load_gates(job, online_gates, presets)
    files: dict[str, Path | str] = {"network": network_file}
    for role, given in (
        ("centres", job.centres),
        ("add_centres", job.add_centres),
        ("communities", job.communities),
        ("presets", job.presets),
        ("population_raster", job.population_raster),
        ("areas", job.areas),
    ):
        if given is not None:
            files[role] = source_of(given)
    if job.config.dem is not None:
        files["dem"] = Path(job.config.dem)
    if job.gates not in ("auto", "none", "osm"):
        files["gates"] = Path(job.gates)
    return Inputs(net, centres, communities, gates, files)
