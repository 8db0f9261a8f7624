"""Reading OpenStreetMap files (.osm, .osm.bz2, .osm.gz, .osm.pbf): walkable ways and tagged
features."""

from __future__ import annotations

import array
import datetime
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from shapely import wkb

from .._text import first_line
from ..errors import InputDataError
from ._limits import check_osm_xml
from ._pbf_guard import check_pbf_strings, duplicate_nodes
from .waytags import way_flags

__all__ = [
    "NATIVE_PBF_MIN_BYTES",
    "OSM_SUFFIXES",
    "RawWays",
    "WalkWays",
    "is_bikeable",
    "is_walkable",
    "oneway_of",
    "read_tagged_features",
    "read_walk_ways",
]

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")

# osmnx 2.1's "walk" network filter (osmnx/_overpass.py::_get_network_filter) with its default
# access rule ["access"!~"private"]. Overpass semantics: a rule passes when the key is absent or
# its value does not *search*-match the unanchored, case-sensitive regex.
_WALK_EXCLUDE = [
    (k, re.compile(p))
    for k, p in [
        ("area", "yes"),
        ("access", "private"),
        (
            "highway",
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|"
            "platform|proposed|raceway|razed|rest_area|services",
        ),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ]
]


# osmnx 2.1's "bike" network filter (osmnx/_overpass.py::_get_network_filter), same semantics
_BIKE_EXCLUDE = [
    (k, re.compile(p))
    for k, p in [
        ("area", "yes"),
        ("access", "private"),
        (
            "highway",
            "abandoned|bus_guideway|construction|corridor|elevator|escalator|footway|motor|no|"
            "planned|platform|proposed|raceway|razed|rest_area|services|steps",
        ),
        ("bicycle", "no"),
        ("service", "private"),
    ]
]

#: osmnx 2.1's one-way values of the `oneway` tag (osmnx/graph.py::_add_paths), and those
#: meaning travel against the order of the way's nodes
_ONEWAY = {"yes", "true", "1", "-1", "reverse", "T", "F"}
_REVERSED = {"-1", "reverse", "T"}


def oneway_of(tags) -> int:
    """The direction a way may be cycled in, by osmnx's rules for a network that is not
    bidirectional (osmnx/graph.py::_is_path_one_way): 1 only along its nodes' order, -1 only
    against it, 0 both ways. ``junction=roundabout`` is one-way; ``oneway:bicycle`` and
    ``cycleway=opposite*`` are ignored, as osmnx ignores them.

    Parameters
    ----------
    tags
        A mapping of OSM tags.

    Returns
    -------
    int
    """
    oneway = tags.get("oneway")
    if oneway in _ONEWAY:
        return -1 if oneway in _REVERSED else 1
    return 1 if tags.get("junction") == "roundabout" else 0


def is_bikeable(tags) -> bool:
    """Whether a way's tags pass osmnx's ``bike`` filter.

    Parameters
    ----------
    tags
        A mapping of OSM tags (a dict or an osmium TagList).

    Returns
    -------
    bool
    """
    return _passes(tags, _BIKE_EXCLUDE)


def _passes(tags, exclude) -> bool:
    if "highway" not in tags:
        return False
    for key, pattern in exclude:
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


def is_walkable(tags) -> bool:
    """Whether a way's tags pass osmnx's ``walk`` filter.

    Parameters
    ----------
    tags
        A mapping of OSM tags (a dict or an osmium TagList).

    Returns
    -------
    bool
    """
    return _passes(tags, _WALK_EXCLUDE)


@dataclass(frozen=True)
class WalkWays:
    """Walkable ways of an OSM file as runs of present nodes.

    Attributes
    ----------
    node_ids
        Sorted OSM ids of every node used by a run (int64).
    lonlat
        WGS84 coordinates of those nodes, shape (n, 2).
    seg_u, seg_v
        Positions (into `node_ids`) of the two ends of every segment of every run.
    seg_way
        OSM way id of each segment.
    seg_highway
        The way's `highway` value for each segment.
    seg_flags
        The way's tag flags for each segment (`circle.io.waytags.way_flags`: tunnel, bridge,
        covered, indoor, layer, wheelchair=no), uint8.
    cut_ways
        Number of ways cut by the extract's edge (split into runs of present nodes).
    newest_edit
        UTC time (ISO 8601) of the newest edit among the walkable ways, ``None`` when the file
        carries no timestamps.
    seg_oneway
        Direction each segment may be travelled in (`oneway_of`: 1 from `seg_u` to `seg_v`, -1
        back, 0 both), int8; ``None`` for the walk network (two-way).
    """

    node_ids: np.ndarray
    lonlat: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_way: np.ndarray
    seg_highway: np.ndarray
    cut_ways: int
    newest_edit: str | None = None
    seg_flags: np.ndarray | None = None
    seg_oneway: np.ndarray | None = None


@dataclass
class RawWays:
    """The runs of present nodes of the kept ways, flat (one entry per node of a run), as
    `circle.io.osm` assembles them into `circle.io.osm.WalkWays`.

    Attributes
    ----------
    ids, lon, lat
        Node id and WGS84 coordinates of every node of every run, run after run.
    sizes, run_way, run_highway, run_flags, run_oneway
        Per run: its number of nodes, OSM way id, ``highway`` value, tag flags, direction.
    cut
        Ways cut by the extract's edge.
    newest
        The newest edit among the kept ways (UTC), None without timestamps.
    negative
        Negative node ids still to be located (JOSM files, pyosmium reader only).
    """

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    sizes: np.ndarray
    run_way: np.ndarray
    run_highway: np.ndarray
    run_flags: np.ndarray
    run_oneway: np.ndarray
    cut: int
    newest: datetime.datetime | None
    negative: set[int] = field(default_factory=set)


def _check_osm_path(path: Path, *, content: bool = True) -> None:
    """Refuse a missing file or a name that is no OSM file's; with `content`, a file past the
    budgets or with duplicate node ids (`circle.io._pbf_guard`, `circle.io._limits`)."""
    if not path.exists():
        msg = f"{path}: file not found; give an existing .osm, .osm.bz2 or .osm.pbf file"
        raise InputDataError(msg)
    if not path.name.lower().endswith(OSM_SUFFIXES):
        msg = (
            f"{path}: not an OpenStreetMap file name; use .osm, .osm.bz2, .osm.gz or .osm.pbf "
            "(or .graphml for a saved osmnx graph)"
        )
        raise InputDataError(msg)
    if not content:
        return
    if path.name.lower().endswith(".pbf"):
        check_pbf_strings(path)
    else:
        ids = _NodeIds()
        check_osm_xml(path, ids.feed)
        ids.check(path)


#: a node's id in OSM XML (osmium, JOSM, osmosis and Overpass write ``id`` among the first
#: attributes), with its closing quote, so that an id cut by a chunk's end never matches
_XML_NODE_ID = re.compile(rb"<node\b[^>]{0,256}?\sid=[\"'](-?\d{1,19})[\"']")


class _NodeIds:
    """Node ids of OSM XML collected from its chunks (during the byte-budget scan), to refuse
    duplicates: libosmium keeps the last location of a repeated id, so a node id used twice at
    two places silently moves every street through it (thousands of kilometres)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.tail = b""

    def feed(self, chunk: bytes) -> bool:
        text = self.tail + chunk
        found = [
            int(m.group(1)) for m in _XML_NODE_ID.finditer(text) if m.end() > len(self.tail)
        ]
        if found:
            self.parts.append(np.array(found, dtype=np.int64))
        self.tail = text[-512:]
        return False

    def check(self, path: Path) -> None:
        if not self.parts:
            return
        ids = np.sort(np.concatenate(self.parts))
        repeated = ids[1:][ids[1:] == ids[:-1]]
        if repeated.size:
            raise duplicate_nodes(path, repeated)


class _WalkHandler(osmium.SimpleHandler):
    """Runs of present nodes of the walkable ways, in flat arrays (one entry per node of a run;
    typed arrays: 8 bytes a value instead of a Python object, and numpy reads them in place)."""

    def __init__(self, mode: str = "walk") -> None:
        super().__init__()
        self.bike = mode != "walk"
        #: one-way direction of each run (bike network only)
        self.run_oneway: list[int] = []
        self.ids = array.array("q")
        self.lon = array.array("d")
        self.lat = array.array("d")
        self.run_nodes: list[int] = []
        self.run_way: list[int] = []
        self.run_highway: list[str] = []
        self.run_flags: list[int] = []
        self._flags = 0  # the current way's flags
        self.cut = 0
        self.bad_location: tuple | None = None
        self.newest = None
        #: negative node ids (JOSM-drawn, not yet uploaded), located after the pass: libosmium's
        #: location index keeps only positive ids
        self.negative: set[int] = set()

    def _stamp(self, w) -> None:
        t = w.timestamp
        if t.year > 1970 and (self.newest is None or t > self.newest):  # 1970: no metadata
            self.newest = t

    def way(self, w) -> None:
        if not (is_bikeable(w.tags) if self.bike else is_walkable(w.tags)):
            return
        self.oneway = oneway_of(w.tags) if self.bike else 0
        self._stamp(w)
        highway = w.tags.get("highway")
        self._flags = way_flags(w.tags)
        ids, lon, lat = self.ids, self.lon, self.lat
        start = len(ids)
        last = None
        cut = False
        for ref in w.nodes:
            loc = ref.location
            if loc.valid():
                node = ref.ref
                if node != last:  # osmnx drops consecutive duplicate refs
                    ids.append(node)
                    lon.append(loc.lon)
                    lat.append(loc.lat)
                    last = node
            elif ref.ref < 0 and not _out_of_range(loc):
                node = ref.ref
                if node != last:
                    ids.append(node)
                    lon.append(math.nan)
                    lat.append(math.nan)
                    self.negative.add(node)
                    last = node
            else:  # node cut away by the extract's clip: split here, never bridge the gap
                if self.bad_location is None and _out_of_range(loc):
                    self.bad_location = (ref.ref, loc)
                cut = True
                self._end_run(start, w.id, highway)
                start = len(ids)
                last = None
        self._end_run(start, w.id, highway)
        self.cut += cut

    def _end_run(self, start: int, way: int, highway: str) -> None:
        size = len(self.ids) - start
        if size >= 2:
            self.run_nodes.append(size)
            self.run_way.append(way)
            self.run_highway.append(highway)
            self.run_flags.append(self._flags)
            self.run_oneway.append(self.oneway)
        elif size == 1:  # a one-node run makes no segment
            del self.ids[-1], self.lon[-1], self.lat[-1]


def read_walk_ways(path: str | Path, mode: str = "walk") -> WalkWays:
    """Read the walkable (or cyclable) ways of an OSM file in one streaming pass.

    Ways are kept when they pass osmnx's ``walk`` filter (``bike`` filter for the modes
    ``bike`` and ``ebike``). Ways cut by the extract's bounding box (referencing nodes that are
    not in the file) keep their runs of present nodes. An .osm.pbf file of at least
    `NATIVE_PBF_MIN_BYTES` is decoded natively (`circle.io.pbf`), any other (or a .pbf that
    reader leaves to pyosmium) through pyosmium; both give the same arrays.

    Parameters
    ----------
    path
        An .osm, .osm.bz2, .osm.gz or .osm.pbf file.
    mode
        ``"walk"``, ``"bike"`` or ``"ebike"`` (`circle.config.MODES`).

    Returns
    -------
    WalkWays
    """
    path = Path(path)
    native = path.name.lower().endswith(".pbf") and _size(path) >= NATIVE_PBF_MIN_BYTES
    _check_osm_path(path, content=not native)
    raw = _read_native(path, mode) if native else None  # it checks the contents as it goes
    if raw is None:
        if native:
            check_pbf_strings(path)
        raw = _read_pyosmium(path, mode)
    if not raw.sizes.size:
        kind = "walkable" if mode == "walk" else "cyclable"
        msg = (
            f"{path}: no {kind} ways (OSM highway=* ways passing osmnx's "
            f"{'walk' if mode == 'walk' else 'bike'} filter); "
            "is this the street network of the study area?"
        )
        raise InputDataError(msg)
    flat = raw.ids
    node_ids, first_seen, pos = np.unique(flat, return_index=True, return_inverse=True)
    lonlat = np.column_stack([raw.lon[first_seen], raw.lat[first_seen]])
    if raw.negative:
        _locate_negative(path, node_ids, lonlat, raw.negative)
    sizes = raw.sizes
    ends = np.cumsum(sizes)
    not_first = np.ones(flat.size, dtype=bool)
    not_first[ends - sizes] = False  # every node but the first of a run ends a segment
    not_last = np.ones(flat.size, dtype=bool)
    not_last[ends - 1] = False
    return WalkWays(
        node_ids=node_ids,
        lonlat=lonlat,
        seg_u=pos[not_last],
        seg_v=pos[not_first],
        seg_way=np.repeat(raw.run_way, sizes - 1),
        seg_highway=np.repeat(raw.run_highway, sizes - 1),
        seg_flags=np.repeat(raw.run_flags, sizes - 1),
        cut_ways=raw.cut,
        newest_edit=raw.newest.strftime("%Y-%m-%dT%H:%M:%SZ") if raw.newest else None,
        seg_oneway=np.repeat(raw.run_oneway, sizes - 1) if mode != "walk" else None,
    )


#: .osm.pbf files from this size on are decoded natively (`circle.io.pbf`); a smaller file is
#: read by pyosmium in less time than loading the compiled decoder takes (about 0.3 s)
NATIVE_PBF_MIN_BYTES = 2 << 20


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # missing: `_check_osm_path` says so
        return 0


def _read_pyosmium(path: Path, mode: str) -> RawWays:
    """The runs of the kept ways, read by pyosmium (`_WalkHandler`)."""
    handler = _WalkHandler(mode)
    try:
        handler.apply_file(
            str(path), locations=True, filters=[osmium.filter.KeyFilter("highway")]
        )
    except _OSM_READ_ERRORS as err:
        raise _read_error(path, err) from err
    if handler.bad_location is not None:
        raise _location_error(path, *handler.bad_location)
    return RawWays(
        ids=np.frombuffer(handler.ids, dtype=np.int64),
        lon=np.frombuffer(handler.lon),
        lat=np.frombuffer(handler.lat),
        sizes=np.array(handler.run_nodes, dtype=np.int64),
        run_way=np.array(handler.run_way, dtype=np.int64),
        run_highway=np.array(handler.run_highway, dtype=object),
        run_flags=np.array(handler.run_flags, dtype=np.uint8),
        run_oneway=np.array(handler.run_oneway, dtype=np.int8),
        cut=handler.cut,
        newest=handler.newest,
        negative=handler.negative,
    )


def _read_native(path: Path, mode: str) -> RawWays | None:
    """The runs of the kept ways decoded by `circle.io.pbf`; None when that reader leaves the
    file to pyosmium (or numba is missing)."""
    try:
        from .pbf import read_pbf_ways
    except ImportError:  # numba missing
        return None
    return read_pbf_ways(path, mode)


def _locate_negative(path: Path, node_ids: np.ndarray, lonlat: np.ndarray, wanted: set[int]):
    """Fill in the coordinates of the negative-id nodes (JOSM-drawn) from a second pass over the
    file's nodes, in place; a way referencing a negative id the file lacks is refused (such a
    node was never cut away by an extract: the file is broken)."""
    found: dict[int, tuple[float, float]] = {}
    node: Any  # a Node (the processor reads nodes only), which mypy cannot narrow
    try:
        # IdFilter takes only positive ids: every node passes by (negative ids come from JOSM
        # layers, small files)
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.id < 0 and node.id in wanted and node.location.valid():
                found[node.id] = (node.location.lon, node.location.lat)
    except _OSM_READ_ERRORS as err:
        raise _read_error(path, err) from err
    missing = sorted(wanted - found.keys(), reverse=True)
    if missing:
        msg = (
            f"{path}: a way references node {missing[0]}, which is not in the file (a node drawn "
            "in JOSM and deleted?); save the layer again from JOSM"
        )
        raise InputDataError(msg)
    at = np.searchsorted(node_ids, np.array(sorted(found), dtype=np.int64))
    lonlat[at] = np.array([found[k] for k in sorted(found)])


def read_tagged_features(path: str | Path, keys: tuple[str, ...]) -> list[dict]:
    """Read nodes and areas (closed ways, multipolygons) carrying any of `keys`.

    Parameters
    ----------
    path
        An OSM file.
    keys
        Tag keys to keep, e.g. ``("amenity", "office", "landuse", "building")``.

    Returns
    -------
    list of dict
        One dict per feature with ``osm_id`` (``"node/1"``, ``"way/2"``, ``"relation/3"``),
        ``tags`` and a WGS84 shapely ``geometry`` (Point or MultiPolygon). Ways that are not
        closed (for example cut by the extract's edge) have no area and are left out.
    """
    path = Path(path)
    _check_osm_path(path)
    factory = osmium.geom.WKBFactory()
    out = []
    #: ways with JOSM-drawn nodes (negative ids, which libosmium's location index does not keep):
    #: (feature, node refs, their coordinates or None), given geometries after the pass
    josm: list[tuple[dict, list[int], list]] = []
    #: multipolygon relations (tags, member way ids) and the relations libosmium made areas of
    relations: dict[int, tuple[dict, list[int]]] = {}
    assembled: set[int] = set()
    # a Node, Way, Area, ... told apart by is_node()/is_area()/is_way(), which mypy cannot narrow
    obj: Any
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas(osmium.filter.KeyFilter(*keys))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            if obj.is_node():
                if not obj.location.valid():
                    if _out_of_range(obj.location):
                        raise _location_error(path, obj.id, obj.location)
                    continue
                geom = shapely.Point(obj.location.lon, obj.location.lat)
                osm_id = f"node/{obj.id}"
            elif obj.is_area():
                try:
                    geom = wkb.loads(factory.create_multipolygon(obj), hex=True)
                except RuntimeError:  # broken ring in the source data
                    continue
                osm_id = f"{'way' if obj.from_way() else 'relation'}/{obj.orig_id()}"
                if not obj.from_way():
                    assembled.add(obj.orig_id())
            elif obj.is_way():
                if any(n.ref < 0 and not n.location.valid() for n in obj.nodes):
                    josm.append(_josm_way(obj))
                    continue
                # a way that makes no area (open, or an outline cut by the extract's edge):
                # the line of its present nodes; complete closed ways arrive as areas instead
                coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                if len(coords) < 2 or (obj.is_closed() and len(coords) == len(obj.nodes)):
                    continue
                geom = shapely.LineString(coords)
                osm_id = f"way/{obj.id}"
            else:
                if obj.is_relation() and obj.tags.get("type") in ("multipolygon", "boundary"):
                    ways = [m.ref for m in obj.members if m.type == "w"]
                    relations[obj.id] = (dict(obj.tags), ways)
                continue
            out.append({"osm_id": osm_id, "tags": dict(obj.tags), "geometry": geom})
    except _OSM_READ_ERRORS as err:
        raise _read_error(path, err) from err
    if josm:
        out.extend(_josm_features(path, josm))
    missed = {r: v for r, v in relations.items() if r not in assembled}
    if josm or any(r < 0 or min(v[1], default=0) < 0 for r, v in missed.items()):
        out.extend(_josm_relations(path, missed))
    return out


def _josm_relations(path: Path, relations: dict[int, tuple[dict, list[int]]]) -> list[dict]:
    """The multipolygon relations libosmium could not assemble in a file with JOSM-drawn
    (negative) ids: its location index lacks those nodes. Their member ways and nodes are read
    in two more passes (JOSM files are small) and the area built from the member lines; a
    relation with a member way or node missing from the file (cut by an extract) stays out, as
    libosmium leaves it out."""
    wanted_ways = {w for _, ways in relations.values() for w in ways}
    refs: dict[int, list[int]] = {}
    where: dict[int, tuple[float, float]] = {}
    obj: Any  # a Way, then a Node (each processor reads one kind), which mypy cannot narrow
    try:
        for obj in osmium.FileProcessor(str(path), osmium.osm.WAY):
            if obj.id in wanted_ways:
                refs[obj.id] = [n.ref for n in obj.nodes]
        wanted_nodes = {n for nodes in refs.values() for n in nodes}
        for obj in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if obj.id in wanted_nodes and obj.location.valid():
                where[obj.id] = (obj.location.lon, obj.location.lat)
    except _OSM_READ_ERRORS as err:
        raise _read_error(path, err) from err
    out = []
    for rid, (tags, ways) in sorted(relations.items()):
        lines = [[where.get(n) for n in refs.get(w, [])] for w in ways]
        if not ways or any(len(line) < 2 or None in line for line in lines):
            continue
        area = shapely.build_area(shapely.GeometryCollection(list(map(shapely.LineString, lines))))
        if area.is_empty:
            continue
        if isinstance(area, shapely.Polygon):
            area = shapely.MultiPolygon([area])
        out.append({"osm_id": f"relation/{rid}", "tags": tags, "geometry": area})
    return out


def _josm_way(way) -> tuple[dict, list[int], list]:
    refs = [n.ref for n in way.nodes]
    coords = [(n.location.lon, n.location.lat) if n.location.valid() else None for n in way.nodes]
    return {"osm_id": f"way/{way.id}", "tags": dict(way.tags)}, refs, coords


def _josm_features(path: Path, josm: list[tuple[dict, list[int], list]]) -> list[dict]:
    """The ways holding JOSM-drawn nodes, with their geometries: a closed way whose nodes are all
    in the file is an area (as libosmium would assemble it), any other the line of its present
    nodes. Negative node ids are located in a second pass over the nodes (as for the walkable
    ways); one the file lacks is refused."""
    wanted = {r for _, refs, coords in josm for r, c in zip(refs, coords) if c is None and r < 0}
    node_ids = np.array(sorted(wanted), dtype=np.int64)
    lonlat = np.full((node_ids.size, 2), np.nan)
    _locate_negative(path, node_ids, lonlat, wanted)
    where = dict(zip(node_ids.tolist(), map(tuple, lonlat.tolist())))
    out = []
    for feature, refs, coords in josm:
        points = [c if c is not None else where.get(r) for r, c in zip(refs, coords)]
        present = [p for p in points if p is not None]
        if refs[0] == refs[-1] and len(present) == len(refs) >= 4:
            geom = shapely.MultiPolygon([shapely.Polygon(present)])
        elif len(present) >= 2:
            geom = shapely.LineString(present)
        else:
            continue
        out.append({**feature, "geometry": geom})
    return out


#: what libosmium raises on broken input: RuntimeError (XML, PBF, compression errors),
#: ValueError (malformed ids, versions; UnicodeDecodeError for non-UTF-8 tag text) and
#: InvalidLocationError (malformed coordinates), which is no RuntimeError subclass
_OSM_READ_ERRORS = (RuntimeError, ValueError, osmium.InvalidLocationError)


def _read_error(path: Path, err: BaseException) -> InputDataError:
    """One line saying why an OSM file cannot be read, and what to do."""
    detail = first_line(err)
    if "XML entities are not supported" in detail:
        hint = (
            "the file declares XML entities (<!ENTITY ...>), which OSM data never needs and "
            "which can expand to gigabytes ('billion laughs'); export plain OSM XML or .osm.pbf"
        )
    elif isinstance(err, UnicodeDecodeError):
        hint = "tag text that is not UTF-8; re-export the file with osmium or JOSM"
    elif isinstance(err, osmium.InvalidLocationError):
        hint = "a node with malformed coordinates; re-export the file with osmium or JOSM"
    else:
        hint = "is the file complete?"
    return InputDataError(f"{path}: cannot read as OpenStreetMap data ({detail}); {hint}")


#: libosmium's coordinate of a node that is not in the file (cut away by the extract)
_UNDEFINED_COORDINATE = 2**31 - 1


def _out_of_range(location) -> bool:
    """A location given in the file but outside ±180° / ±90° (not merely missing)."""
    return not location.valid() and location.x != _UNDEFINED_COORDINATE


def _location_error(path: Path, node_id: int, location) -> InputDataError:
    lon, lat = location.lon_without_check(), location.lat_without_check()
    msg = (
        f"{path}: node {node_id} has coordinates out of range (lon {lon:g}, lat {lat:g}); "
        "fix or remove it (e.g. in JOSM) and export again"
    )
    return InputDataError(msg)

