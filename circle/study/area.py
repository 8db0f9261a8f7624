"""A study area for notebooks: its network, centres, communities and gates, read as the CLI reads
them (`circle.runs.inputs.read_inputs`) and run as the CLI runs them (`circle.runs`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd

from ..bundled import DEFAULT_NETWORK
from ..config import DEFAULT_CONFIG, CircleConfig, get_mode, get_profile
from ..coverage.hours import HoursOptions
from ..errors import ConfigError
from ..io.columns import LayerColumns
from .results import Coverage, Siting

if TYPE_CHECKING:
    from ..network.walk import WalkNetwork

__all__ = ["StudyArea"]

#: the reading options of `StudyArea.from_files` and `StudyArea.download`, as `CoverageJob` fields
_READ_OPTIONS = (
    "add_centres",
    "columns",
    "layer_crs",
    "datum",
    "centres_layer",
    "communities_layer",
    "centres_datum",
    "communities_datum",
    "gates",
    "presets",
    "population_raster",
    "population_from_osm",
    "by",
    "areas",
    "areas_name_column",
    "areas_layer",
)


@dataclass(frozen=True, eq=False, repr=False)
class StudyArea:
    """A walking network with its employment service centres, communities and gates.

    Parameters
    ----------
    network
        The walking network.
    centres, communities
        The layers, as read by `circle.io.read_layer` (any CRS).
    network_file
        The network's file, when it has one: candidate sites can then come from its OSM tags.
    gates
        Gates of gated compounds (`circle.network.gates`), walked through by every run; None
        for none.
    """

    network: WalkNetwork
    centres: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    network_file: Path | None = None
    gates: gpd.GeoDataFrame | None = None

    def __repr__(self) -> str:
        where = f" from {self.network_file.name}" if self.network_file else ""
        gates = f", {len(self.gates)} gates" if self.gates is not None else ""
        return (
            f"<StudyArea{where}: {len(self.network.node_ids):,} street nodes, "
            f"{len(self.centres)} centres, {len(self.communities)} communities{gates}>"
        )

    @classmethod
    def bundled(cls) -> StudyArea:
        """The bundled demo district (OSM data of central Helsinki), as ``circle coverage``.

        Returns
        -------
        StudyArea
        """
        return cls.from_files(DEFAULT_NETWORK)

    @classmethod
    def from_files(
        cls,
        network: str | Path,
        centres: str | Path | None = None,
        communities: str | Path | None = None,
        *,
        add_centres: str | Path | None = None,
        columns: LayerColumns | None = None,
        layer_crs: str | None = None,
        datum: str = "wgs84",
        centres_layer: str | None = None,
        communities_layer: str | None = None,
        centres_datum: str | None = None,
        communities_datum: str | None = None,
        gates: str | Path = "auto",
        presets: str | Path | None = None,
        population_raster: str | Path | None = None,
        population_from_osm: bool = False,
        by: str | None = None,
        areas: str | Path | None = None,
        areas_name_column: str = "name",
        areas_layer: str | None = None,
        min_component_m: float = DEFAULT_CONFIG.min_component_m,
        dem: str | Path | None = None,
        dem_spacing_m: float = DEFAULT_CONFIG.dem_spacing_m,
    ) -> StudyArea:
        """Read a study area from files, as ``circle coverage`` with the same options does.

        Parameters
        ----------
        network
            Street network file (.osm, .osm.bz2, .osm.pbf or .graphml) or a PostGIS URL.
        centres, communities
            Layer files; ``None`` derives the layer from the network's OSM tags (with the
            bundled network: the bundled layers).
        add_centres
            More centres run with `centres` (a proposals.csv of ``circle site``),
            ``--add-centres``.
        columns
            Column names of the layers (`circle.io.LayerColumns`), ``--*-column``.
        layer_crs
            CRS of layers that declare none (CSV: EPSG:4326), ``--layer-crs``.
        datum
            {"wgs84", "gcj02", "bd09"} Map datum of lon/lat layer files, ``--datum``.
        centres_layer, communities_layer, centres_datum, communities_datum
            GeoPackage layer (Excel sheet) and datum of one file, ``--centres-layer`` ...
        gates
            ``"auto"`` (the network's OSM gates when the communities are derived from it),
            ``"none"``, ``"osm"`` or a gates layer file, ``--gates``.
        presets
            TOML/JSON file of OSM tag presets, ``--presets``.
        population_raster, population_from_osm
            Fill missing populations from a raster or the OSM buildings,
            ``--population-raster``, ``--population-from-osm``.
        by, areas, areas_name_column, areas_layer
            Roll the reports up by a communities column or by area polygons, ``--by``,
            ``--areas`` ...
        min_component_m
            Connected pieces of network with less street than this are dropped.
        dem, dem_spacing_m
            Elevation raster: walks cost time by Tobler's hiking function per direction
            (`circle.network.slope`), ``--dem``, ``--dem-spacing-m``.

        Returns
        -------
        StudyArea
        """
        return cls._read(str(network), locals())  # the keywords above, by name

    @classmethod
    def download(
        cls,
        place: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        **options: Any,
    ) -> StudyArea:
        """Download a study area's walking network and OSM tags (osmnx, then cached), as
        ``circle coverage --place/--bbox``.

        Parameters
        ----------
        place, bbox
            A place name (e.g. ``"和平区, 沈阳市"``) or a WGS84 box (west, south, east, north).
        **options
            The keywords of `from_files` (``centres``, ``communities`` and the rest).

        Returns
        -------
        StudyArea
        """
        return cls._read("", {**options, "place": place, "bbox": bbox})

    @classmethod
    def _read(cls, network: str, given: dict[str, Any]) -> StudyArea:
        """Read through `circle.runs.inputs.read_inputs`, the CLI's one input reader."""
        from ..io.db import is_db_url
        from ..runs.inputs import read_inputs
        from ..runs.job import CoverageJob

        def text(value: Any) -> str | None:
            return None if value is None else str(value)

        options = {name: given[name] for name in _READ_OPTIONS if name in given}
        for name in ("presets", "population_raster", "areas", "add_centres"):
            options[name] = text(options.get(name))
        options["gates"] = str(options.get("gates", "auto"))
        options["columns"] = options.get("columns") or LayerColumns()
        min_component_m = given.get("min_component_m", DEFAULT_CONFIG.min_component_m)
        dem = given.get("dem")
        config = dataclasses.replace(
            DEFAULT_CONFIG, min_component_m=min_component_m,
            dem=None if dem is None else str(Path(dem).absolute()),
            dem_spacing_m=given.get("dem_spacing_m", DEFAULT_CONFIG.dem_spacing_m),
        )
        job = CoverageJob(
            network=network, centres=text(given.get("centres")),
            communities=text(given.get("communities")), config=config,
            place=given.get("place"), bbox=given.get("bbox"), **options,
        )
        inputs = read_inputs(job)
        network_file = Path(network) if network and not is_db_url(network) else None
        return cls(inputs.network, inputs.centres, inputs.communities, network_file, inputs.gates)

    def network_for(self, mode: str) -> WalkNetwork:
        """The network of a travel mode (`circle.config.MODES`): this area's network for
        ``walk``; the bike network of the same OSM file (one-way streets one-way) for ``bike``
        and ``ebike``, cached as ``circle --mode`` caches it.

        Parameters
        ----------
        mode
            {"walk", "bike", "ebike"}

        Returns
        -------
        WalkNetwork
        """
        from ..io.osm import OSM_SUFFIXES
        from ..network.load import load_network

        get_mode(mode)
        file = self.network_file
        if mode == "walk" or file is None or not file.name.lower().endswith(OSM_SUFFIXES):
            return self.network
        return load_network(
            file, min_component_m=self.network.source.get("min_component_m", 250.0), mode=mode
        )

    def coverage(
        self,
        config: CircleConfig = DEFAULT_CONFIG,
        *,
        mode: str | None = None,
        within_km: float | None = None,
        mode_column: str | None = None,
        at: tuple[str, ...] | str = (),
        hours: HoursOptions | None = None,
        profile: str | None = None,
        profiles: tuple[str, ...] | str = (),
        groups: tuple[str, ...] | None = None,
        capacity: str | None = None,
        capacity_unit: str = "",
        decay: str = "none",
        crowded_below: float | None = None,
        equity: bool = False,
        **changes: Any,
    ) -> Coverage:
        """Walk every community to its nearest centre (``circle coverage``).

        Parameters
        ----------
        config
            Run parameters.
        mode
            Travel mode, ``--mode``: walk, bike or ebike (`circle.config.MODES`; its network
            from the same OSM file and its speed, unless ``walk_speed_kmh`` is given).
        within_km
            A distance rule instead of minutes, ``--within-km``.
        mode_column
            Communities column naming each community's travel mode, ``--mode-column``.
        at
            Count only the centres open at these times (``"Mo 05:00"``), ``--at``.
        hours
            All the opening-hours options (`circle.coverage.hours.HoursOptions`: column,
            unparseable values, the coverage-by-hour day); replaces `at`.
        profile
            A walking profile (`circle.config.PROFILES`) whose speed replaces the config's,
            ``--profile``.
        profiles
            Also run these profiles (names, or ``"all"``) for the side-by-side table
            (`Coverage.profiles`), ``--profiles``.
        groups
            Key-group count columns of the communities (default: the documented names
            present), ``--group-columns``.
        capacity, capacity_unit
            Capacity column of the centres and its unit, ``--capacity-column``,
            ``--capacity-unit``: capacity per 10,000 people served, 2SFCA scores, equity
            (`Coverage.capacity`, `Coverage.equity`).
        decay
            {"none", "step", "gaussian"} Distance decay of the 2SFCA score, ``--decay``.
        crowded_below
            Capacity per 10,000 people served below which a centre is crowded,
            ``--crowded-below``.
        equity
            Measure equity without a capacity, ``--equity``.
        **changes
            Fields of `config` to change, e.g. ``walk_speed_kmh=4.5, thresholds_min=(10,)``.

        Returns
        -------
        Coverage
        """
        from ..config import parse_profiles
        from ..coverage.capacity import CapacityOptions
        from ..runs.job import compute_coverage

        if profile is not None:
            changes = {**changes, "walk_speed_kmh": get_profile(profile).speed_kmh}
            if get_profile(profile).changes_network:
                changes["walk_profile"] = profile
        if mode is not None:
            changes = {"walk_speed_kmh": get_mode(mode).speed_kmh, **changes, "mode": mode}
        if within_km is not None:
            changes = {**changes, "within_km": within_km}
        config = dataclasses.replace(config, **changes) if changes else config
        if isinstance(profiles, str):
            profiles = tuple(p.name for p in parse_profiles(profiles))
        if hours is None and at:
            hours = HoursOptions(at=(at,) if isinstance(at, str) else tuple(at))
        result, table = compute_coverage(
            self.communities, self.centres, self.network_for(config.mode), config=config,
            gates=self.gates, mode_column=mode_column, network_for=self.network_for, hours=hours,
            groups=None if groups is None else tuple(groups), profiles=tuple(profiles),
            capacity=None if capacity is None and not equity else CapacityOptions(
                column=capacity, unit=capacity_unit, decay=decay, crowded_below=crowded_below,
                equity=equity,
            ),
        )
        return Coverage(result, self, table)

    def candidates(
        self,
        *,
        file: str | Path | gpd.GeoDataFrame | None = None,
        from_osm: bool | None = None,
        grid_m: float | None = None,
        tags: dict[tuple[str, str], str] | None = None,
        columns: LayerColumns | None = None,
    ) -> gpd.GeoDataFrame:
        """Candidate sites for new centres, from a layer, the OSM tags and/or a street grid.

        Parameters
        ----------
        file
            A candidate layer (file or GeoDataFrame with ``id``, ``name``, ``type``).
        from_osm
            Take candidates from the network file's OSM tags (`circle.siting.CANDIDATE_TAGS`),
            the existing centres left out. Default: only when no other source is given, as
            ``circle site``.
        grid_m
            Also one candidate per `grid_m` metre square of street network.
        tags
            ``(key, value) -> centre type`` instead of the default tags, ``--candidate-tag``.
        columns
            Column names of `file`.

        Returns
        -------
        geopandas.GeoDataFrame
        """
        from ..io.osm import OSM_SUFFIXES
        from ..runs.candidates import CandidateSources, gather

        if from_osm is None:
            from_osm = file is None and grid_m is None
        from_osm = from_osm or tags is not None
        if from_osm and (
            self.network_file is None
            or not self.network_file.name.lower().endswith(OSM_SUFFIXES)
        ):
            msg = (
                "candidate sites from OSM tags need a study area read from an OSM file; "
                "give `file` or `grid_m`"
            )
            raise ConfigError(msg)
        if not (from_osm or file is not None or grid_m):
            msg = "no candidate sites: give `file`, `from_osm=True` or `grid_m`"
            raise ConfigError(msg)
        sources = CandidateSources(
            file=file, from_osm=from_osm, tags=tags, grid_m=grid_m, columns=columns
        )
        network_source = self.network_file if self.network_file is not None else ""
        return gather(network_source, self.network, self.centres, sources)

    def site(
        self,
        add: int | None = None,
        *,
        cover_all: bool = False,
        candidates: gpd.GeoDataFrame | None = None,
        config: CircleConfig = DEFAULT_CONFIG,
        solver: Literal["milp", "greedy"] = "milp",
        time_limit_s: float = 60.0,
        mip_gap: float = 0.0,
        lp_bound: bool = False,
        demand: str | None = None,
        mode: str | None = None,
        at: tuple[str, ...] | str = (),
        memory_budget_gb: float | None = None,
        **changes: Any,
    ) -> Siting:
        """Choose new centre sites (``circle site``): ``add=K`` or ``cover_all=True``.

        Parameters
        ----------
        add
            Propose up to this many sites, newly covering the most people.
        cover_all
            The fewest sites that newly cover every community a candidate can reach.
        candidates
            Candidate sites (default: `candidates` with its defaults: the OSM tags).
        config
            Run parameters; the circle is its largest threshold.
        solver
            {"milp", "greedy"}
        time_limit_s
            Time limit of the whole solve, seconds (wall clock).
        mip_gap
            Stop the MILP once proven within this relative gap, ``--mip-gap``.
        lp_bound
            Also solve the LP relaxation for a tighter bound, ``--lp-bound``.
        demand
            Count this key group's column instead of the population, ``--demand``.
        mode
            Travel mode, ``--mode`` (its network and speed, as for `coverage`).
        at
            Only the centres open at these times serve, ``--at``.
        memory_budget_gb
            Memory the reach sets may take, ``--memory-budget-gb`` (see
            `circle.siting.site_new_centres`).
        **changes
            Fields of `config` to change, e.g. ``thresholds_min=(5,)``.

        Returns
        -------
        Siting
        """
        from ..coverage.rural import open_centres
        from ..siting.site import site_new_centres

        if mode is not None:
            changes = {"walk_speed_kmh": get_mode(mode).speed_kmh, **changes, "mode": mode}
        config = dataclasses.replace(config, **changes) if changes else config
        if candidates is None:
            candidates = self.candidates()
        centres = self.centres
        if at:
            centres = open_centres(centres, HoursOptions(at=(at,) if isinstance(at, str) else
                                                         tuple(at)))[0]
        result = site_new_centres(
            self.communities,
            centres,
            candidates,
            self.network_for(config.mode),
            add=add,
            cover_all=cover_all,
            config=config,
            solver=solver,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
            lp_bound=lp_bound,
            demand=demand,
            memory_budget_gb=memory_budget_gb,
        )
        return Siting(result, self)

    def site_model(
        self,
        model: str,
        add: int | None = None,
        *,
        candidates: gpd.GeoDataFrame | None = None,
        config: CircleConfig = DEFAULT_CONFIG,
        **options: Any,
    ):
        """Another siting model (``circle site --model``): ``"pmedian"``, ``"pcenter"``,
        ``"capacitated"`` or ``"curve"``.

        Parameters
        ----------
        model, add
            The model and K (`circle.siting.models.site_model`).
        candidates
            Candidate sites (default: `candidates` with its defaults).
        config
            Run parameters.
        **options
            ``capacity_column``, ``capacity_scale``, ``new_capacity`` (capacitated),
            ``max_add`` (curve), ``time_limit_s``, ``demand``.

        Returns
        -------
        circle.siting.models.ModelResult
            ``proposals``, ``objective``, ``curve``; write its files with
            `circle.runs.models.write_model_folder`.
        """
        from ..siting.models import site_model

        if candidates is None:
            candidates = self.candidates()
        return site_model(
            self.communities, self.centres, candidates, self.network, model=model, add=add,
            config=config, **options,
        )
