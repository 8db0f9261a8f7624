"""Loading the walking network from a file or a database, with a cache of prepared arrays."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Literal

import numpy as np
import pyproj
import scipy
import scipy.sparse as sp
from scipy.spatial import KDTree

from .._progress import steps
from ..config import get_mode
from ..errors import InputDataError
from ..io.datums import local_utm_crs
from ..io.osm import OSM_SUFFIXES, read_walk_ways
from .walk import (
    EdgePoints,
    WalkNetwork,
    highway_codes,
    network_from_arrays,
    network_from_graph,
    with_edge_costs,
)

__all__ = ["cache_dir", "file_sha256", "load_network", "network_from_osm"]

logger = logging.getLogger(__name__)

#: bump when the cached arrays, their provenance or the walk filter change, so old caches are
#: not reused (2: provenance gained the newest way edit; 3: compact types, CSR and components;
#: 4: a checksum over the arrays; 5: per-edge OSM tag flags for surface snapping and profiles;
#: 6: one network per travel mode, the bike network's one-way directions; 7: memory-mapped,
#: CRC-32, the snapping index stored)
CACHE_VERSION = 7


def network_from_osm(
    path: str | Path,
    *,
    min_component_m: float = 250.0,
    crs: str | None = None,
    use_cache: bool = True,
    mode: str = "walk",
) -> WalkNetwork:
    """Build the walking (or cycling) network of an OSM file, reusing a cached copy when one
    exists (one per travel mode).

    Parameters
    ----------
    path
        An .osm, .osm.bz2, .osm.gz or .osm.pbf file.
    min_component_m
        Fragments with less street than this (metres) are dropped.
    crs
        Projected CRS to work in; default: the UTM zone of the network's centre.
    use_cache
        Read and write the prepared arrays in `cache_dir()`.
    mode
        ``"walk"`` (osmnx's walk filter, two-way), ``"bike"`` or ``"ebike"`` (osmnx's bike
        filter, with one-way streets one-way: `WalkNetwork.edge_oneway`).

    Returns
    -------
    WalkNetwork
    """
    path = Path(path)
    network_type = get_mode(mode).network
    if not path.exists():
        msg = f"{path}: file not found; give an existing .osm, .osm.bz2 or .osm.pbf file"
        raise InputDataError(msg)
    digest = file_sha256(path)
    key = hashlib.sha256(
        json.dumps([CACHE_VERSION, digest, min_component_m, crs, network_type]).encode()
    ).hexdigest()[:24]
    cached = cache_dir() / f"network-{key}.npz"
    use_cache = use_cache and not _CACHE_OFF
    if use_cache and _exists(cached):
        try:
            net = _load_npz(cached)
            logger.info("network: loaded the cached network of %s", path.name)
            return with_oneway_costs(net)
        except Exception as err:
            reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
            logger.warning(
                "network: the cached network %s is damaged (%s); rebuilding it", cached.name,
                reason,
            )

    with steps("network", ("reading", "building", "saving the cache")) as start:
        start("reading")
        ways = read_walk_ways(path, network_type)
        start("building")
        lon, lat = ways.lonlat[:, 0], ways.lonlat[:, 1]
        if crs is None:
            mid_lon, mid_lat = (lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2
            crs = local_utm_crs(float(mid_lon), float(mid_lat))
        x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
        source = {
            "file": path.name,
            "sha256": digest,
            "ways_cut_by_extract_edge": ways.cut_ways,
            "min_component_m": min_component_m,
            "newest_way_edit": ways.newest_edit,
            **({} if network_type == "walk" else {"network_type": network_type}),
        }
        net = network_from_arrays(
            np.column_stack([x, y]),
            ways.seg_u,
            ways.seg_v,
            crs=crs,
            node_ids=ways.node_ids,
            edge_way=ways.seg_way,
            edge_highway=ways.seg_highway,
            min_component_m=min_component_m,
            source=source,
            edge_flags=ways.seg_flags,
            edge_oneway=ways.seg_oneway,
        )
        start("saving the cache")
        if use_cache:
            _save_cache(net, cached)
    return with_oneway_costs(net)


def with_oneway_costs(net: WalkNetwork) -> WalkNetwork:
    """A bike network with its one-way streets closed against their direction (directed
    costs, `circle.network.walk.with_edge_costs`: the length one way, ``inf`` the other); a
    network without one-way edges is returned as it is.

    Parameters
    ----------
    net
        A network, with `WalkNetwork.edge_oneway` or without.

    Returns
    -------
    WalkNetwork
    """
    oneway = net.edge_oneway
    if oneway is None or not oneway.any():
        return net
    length = net.edge_length_m
    fw = np.where(oneway < 0, np.inf, length)
    bw = np.where(oneway > 0, np.inf, length)
    return with_edge_costs(net, fw, bw, note={"one_way_edges": int(np.count_nonzero(oneway))})


#: set once writing the cache failed: this process stops caching (one warning, never a failure)
_CACHE_OFF = False


def _exists(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a file where the cache folder should be, or no permission
        return False


def _save_cache(net: WalkNetwork, target: Path) -> None:
    """Write the cache; when that fails (read-only home, a file in the way, a full disk), warn
    once and turn caching off for the rest of the process."""
    global _CACHE_OFF
    try:
        _save_npz(net, target)
    except OSError as err:
        _CACHE_OFF = True
        logger.warning(
            "network: cannot write the network cache in %s (%s); caching is off for this run "
            "(set CIRCLE_CACHE_DIR to a writable folder to keep it)",
            target.parent,
            err.strerror or err,
        )


def load_network(
    path: str | Path,
    *,
    min_component_m: float = 250.0,
    use_cache: bool = True,
    mode: str = "walk",
) -> WalkNetwork:
    """Load a walking network from an OSM file or a saved osmnx graph (.graphml).

    Parameters
    ----------
    path
        .osm, .osm.bz2, .osm.gz, .osm.pbf or .graphml; or a PostGIS table of street
        centre-lines, ``postgresql://USER@HOST/DB?table=roads`` (see
        `circle.network.from_db.network_from_db`).
    min_component_m
        Fragments with less street than this (metres) are dropped.
    use_cache
        Reuse the prepared network of an OSM file from `cache_dir()`.
    mode
        Travel mode (`circle.config.MODES`); ``bike`` and ``ebike`` need an OSM file (a
        GraphML file or database table is taken as it is, two-way).

    Returns
    -------
    WalkNetwork
    """
    from ..io.db import is_db_url  # here, not at the top: db builds on this module
    from .from_db import network_from_db  # here, not at the top: db builds on this module

    if is_db_url(path):
        return network_from_db(path, min_component_m=min_component_m)
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found; give an existing .osm, .osm.pbf or .graphml file"
        raise InputDataError(msg)
    if not path.is_file():  # a folder, pipe or device
        msg = f"{path}: not a regular file; give an .osm, .osm.pbf or .graphml file saved on disk"
        raise InputDataError(msg)
    if path.suffix.lower() == ".graphml":
        import osmnx as ox

        try:
            G = ox.load_graphml(path)
        except Exception as err:  # osmnx raises assorted parser errors
            msg = f"{path}: cannot read as an osmnx GraphML file ({err})"
            raise InputDataError(msg) from err
        try:
            net = network_from_graph(G, min_component_m=min_component_m)
        except InputDataError as err:  # the graph's own words, with the file they are about
            raise InputDataError(f"{path}: {err}") from err
        net.source.update({"file": path.name, "sha256": file_sha256(path)})
        return net
    if path.name.lower().endswith(OSM_SUFFIXES):
        return network_from_osm(
            path, min_component_m=min_component_m, use_cache=use_cache, mode=mode
        )
    msg = f"{path}: unknown network format; use .osm, .osm.bz2, .osm.gz, .osm.pbf or .graphml"
    raise InputDataError(msg)


def cache_dir() -> Path:
    """Folder for prepared networks: ``$CIRCLE_CACHE_DIR``, else the platform's user cache
    folder (platformdirs): ``$XDG_CACHE_HOME/circle``, by default ``~/.cache/circle`` on Linux,
    ``~/Library/Caches/circle`` on macOS, ``%LOCALAPPDATA%\\circle\\Cache`` on Windows."""
    env = os.environ.get("CIRCLE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("circle", appauthor=False))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes; of a folder (an Esri ``.gdb``), of its files' names and
    bytes in name order; of a GDAL virtual path (``/vsizip/a.zip/b.shp``), of the archive."""
    path = Path(path)
    if str(path).startswith("/vsi") and not path.exists():
        braced = re.search(r"\{(.+?)\}", str(path))
        candidates = [Path(braced[1])] if braced else list(path.parents)
        archive = next((p for p in candidates if p.is_file()), None)
        if archive is None:
            return hashlib.sha256(str(path).encode()).hexdigest()
        path = archive
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            h.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _save_npz(net: WalkNetwork, target: Path) -> None:
    """Write the network's arrays, its CSR, component labels and snapping index (compact dtypes,
    uncompressed, so that `_load_npz` can map them)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    small = net.n_nodes < np.iinfo(np.int32).max
    highways, highway_code = highway_codes(net.edge_highway)
    csr = net.csr
    index = net.edge_points
    tree, tree_meta = _tree_arrays(index.tree)
    arrays = dict(
        node_ids=net.node_ids,
        xy=net.xy,
        edge_u=net.edge_u.astype(np.int32) if small else net.edge_u,
        edge_v=net.edge_v.astype(np.int32) if small else net.edge_v,
        edge_length_m=net.edge_length_m,
        edge_way=net.edge_way,
        highways=highways,
        highway_code=highway_code.astype(np.min_scalar_type(max(highways.size - 1, 0))),
        csr_indptr=csr.indptr,
        csr_indices=csr.indices,
        csr_data=csr.data,
        component=net.component,
        **({} if net.edge_flags is None else {"edge_flags": net.edge_flags}),
        **({} if net.edge_oneway is None else {"edge_oneway": net.edge_oneway}),
        sample_edge=index.edge.astype(np.int32) if small else index.edge,
        **tree,
        meta=np.array(
            json.dumps(
                {"crs": net.crs, "source": net.source, "sample_reach_m": index.reach_m,
                 "tree": tree_meta}
            )
        ),
    )
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays, checksum=np.array(_checksum(arrays)))
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _tree_arrays(tree: KDTree) -> tuple[dict[str, np.ndarray], dict]:
    """The snapping index's KD-tree as arrays (its pickling state: the built tree, so loading
    does not rebuild it) and the rest of that state, with the scipy version that wrote it."""
    arrays, meta = {}, []
    for k, item in enumerate(tree.__getstate__()):
        if isinstance(item, np.ndarray):
            name = f"tree_{k}"
            arrays[name] = item.view(np.uint8) if item.dtype == "S1" else item
            meta.append({"array": name, "bytes": item.dtype == "S1"})
        else:
            meta.append({"value": item})
    return arrays, {"scipy": scipy.__version__, "state": meta}


def _tree_from(z: dict[str, np.ndarray], meta: dict) -> KDTree | None:
    """The KD-tree `_tree_arrays` stored; None when another scipy version wrote it (its pickling
    state is scipy's own business): the network then builds its index when first used."""
    if meta["scipy"] != scipy.__version__:
        return None
    state = []
    for item in meta["state"]:
        if "array" in item:
            a = z[item["array"]]
            state.append(a.view("S1") if item["bytes"] else a)
        else:
            state.append(item["value"])
    tree = KDTree.__new__(KDTree)
    tree.__setstate__(tuple(state))
    return tree


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    """CRC-32 over every array's name, dtype, shape and bytes (in name order).

    It guards against damage (a truncated, emptied or partly overwritten file, a flipped bit):
    CRC-32 detects every error burst up to 32 bits and misses other damage with a chance of
    2**-32, at several GB/s, without copying the arrays. It is no defence against someone who
    rewrites the cache on purpose; neither was the sha256 stored next to the arrays it covers.
    """
    return _crc_of(arrays, {}, None)


def _crc_of(arrays: dict[str, np.ndarray], spans: dict[str, tuple[int, int]], f) -> str:
    """`_checksum`, the bytes of the arrays in `spans` (offset, size) read from the open file
    `f` rather than through their memory maps: the same bytes, but they pass through a small
    buffer instead of mapping every page of the cache into the process (its memory)."""
    crc = 0
    buf = memoryview(bytearray(1 << 22)) if spans else None
    for name in sorted(arrays):
        a = arrays[name]
        crc = zlib.crc32(f"{name}:{a.dtype.str}:{a.shape}\n".encode(), crc)
        if name not in spans or buf is None:
            crc = zlib.crc32(np.ascontiguousarray(a).reshape(-1).view(np.uint8).data, crc)
            continue
        offset, left = spans[name]
        f.seek(offset)
        while left > 0:
            got = f.readinto(buf[: min(left, len(buf))])
            if not got:
                msg = f"{name} is shorter than its header says"
                raise ValueError(msg)
            crc = zlib.crc32(buf[:got], crc)
            left -= got
    return f"crc32:{crc:08x}"


def _load_npz(path: Path) -> WalkNetwork:
    """Read a network written by `_save_npz`, its arrays memory-mapped, checking its checksum;
    no graph or spatial structure is rebuilt."""
    spans: dict[str, tuple[int, int]] = {}
    z = _mapped_npz(path, spans)
    with open(path, "rb") as f:
        crc = _crc_of({k: v for k, v in z.items() if k != "checksum"}, spans, f)
    if str(z.pop("checksum", "")) != crc:
        msg = "its checksum does not match its contents"
        raise ValueError(msg)
    meta = json.loads(str(z["meta"]))
    n = z["node_ids"].size
    net = WalkNetwork(
        node_ids=z["node_ids"],
        xy=z["xy"],
        edge_u=z["edge_u"].astype(np.int64),
        edge_v=z["edge_v"].astype(np.int64),
        edge_length_m=z["edge_length_m"],
        edge_way=z["edge_way"],
        edge_highway=z["highways"].astype(object)[z["highway_code"]],
        crs=meta["crs"],
        source=meta["source"],
        edge_flags=z.get("edge_flags"),
        edge_oneway=z.get("edge_oneway"),
    )
    # the cached properties, as computed when the cache was written
    net.__dict__["csr"] = sp.csr_array(
        (z["csr_data"], z["csr_indices"], z["csr_indptr"]), shape=(n, n)
    )
    net.__dict__["component"] = z["component"]
    tree = _tree_from(z, meta["tree"])
    if tree is not None:
        # as stored (int32 on networks that fit): only used to index the edges, so mapped
        # rather than copied
        edge = z["sample_edge"]
        net.__dict__["edge_points"] = EdgePoints(tree, edge, meta["sample_reach_m"])
    return net


#: arrays smaller than this are read; larger ones memory-mapped
_MAP_MIN_BYTES = 1 << 16


def _mapped_npz(path: Path, spans: dict[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed .npz, the large ones memory-mapped read-only (pages are
    read when used and shared with other processes reading the same cache); `spans` receives
    the file offset and size of each mapped array stored in C order."""
    out = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as f:
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                msg = f"unexpected member {info.filename}"
                raise ValueError(msg)
            f.seek(info.header_offset)
            local = f.read(30)
            if local[:4] != b"PK\x03\x04":
                msg = f"no local header for {info.filename}"
                raise ValueError(msg)
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            if dtype.hasobject:
                msg = f"{info.filename} holds Python objects"
                raise ValueError(msg)
            offset = f.tell()
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if offset + nbytes > info.header_offset + 30 + name_len + extra_len + info.file_size:
                msg = f"{info.filename} is shorter than its header says"
                raise ValueError(msg)
            order: Literal["F", "C"] = "F" if fortran else "C"
            if nbytes < _MAP_MIN_BYTES:
                a = np.frombuffer(f.read(nbytes), dtype, count=nbytes // dtype.itemsize)
                a = a.reshape(shape, order=order)
            else:
                # a plain ndarray over the map: indexing a np.memmap makes memmaps, slowly
                mapped = np.memmap(f, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)
                a = mapped.view(np.ndarray)
                if a.flags.c_contiguous:
                    spans[info.filename[: -len(".npy")]] = (offset, nbytes)
            out[info.filename[: -len(".npy")]] = a
    return out
