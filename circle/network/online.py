"""Optional downloads: the walking network and OSM tags of a place or bbox (osmnx), cached."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import shapely

from ..errors import ConfigError, NetworkError
from ..io.extract import OsmPresets
from .load import cache_dir, load_network
from .walk import WalkNetwork

__all__ = ["OFFLINE_HINT", "features_from_frame", "fetch_osm", "parse_bbox"]

logger = logging.getLogger(__name__)

#: bump when the cached files change
ONLINE_CACHE_VERSION = 1
#: seconds to wait for a connection before declaring the machine offline
CONNECT_TIMEOUT_S = 5.0
OFFLINE_HINT = (
    "work offline with a downloaded extract instead: --network FILE.osm.pbf (e.g. Geofabrik's "
    "asia/china/liaoning-latest.osm.pbf cut to your district with osmium; see the README)"
)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse ``"WEST,SOUTH,EAST,NORTH"`` (WGS84 degrees) into a checked tuple.

    Parameters
    ----------
    text
        Four comma-separated numbers, e.g. ``"123.38,41.76,123.50,41.84"``.

    Returns
    -------
    tuple
        (west, south, east, north).
    """
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as err:
        msg = (
            "bbox must be WEST,SOUTH,EAST,NORTH in degrees, e.g. 123.38,41.76,123.50,41.84; "
            f"got {text!r}"
        )
        raise ConfigError(msg) from err
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        msg = f"bbox {text!r} is not WEST<EAST within ±180 and SOUTH<NORTH within ±90 degrees"
        raise ConfigError(msg)
    return west, south, east, north


def fetch_osm(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    presets: OsmPresets | None = None,
    min_component_m: float = 250.0,
    use_cache: bool = True,
) -> tuple[WalkNetwork, list[dict]]:
    """Download (or load from the cache) the walking network and tagged features of an area.

    Uses osmnx (``graph_from_place``/``graph_from_bbox`` with ``network_type="walk"``, and
    ``features_from_place``/``features_from_bbox`` for the tags of `presets`). Downloads are
    kept in `circle.network.load.cache_dir()`; the same request later loads them with no internet.
    With no connection it fails within seconds, naming the offline way (``--network FILE``).

    Parameters
    ----------
    place
        A place name Nominatim knows, e.g. ``"和平区, 沈阳市"``.
    bbox
        (west, south, east, north) in WGS84 degrees, instead of `place`.
    presets
        Whose tag keys to download (centres, communities, candidates, gates, buildings).
    min_component_m
        Fragments with less street than this (metres) are dropped.
    use_cache
        Load a cached download when there is one.

    Returns
    -------
    network, features
        The walking network and the tagged features (dicts with ``osm_id``, ``tags`` and a
        WGS84 ``geometry``, as `circle.io.osm.read_tagged_features` gives).
    """
    if (place is None) == (bbox is None):
        msg = "give exactly one of `place` and `bbox`"
        raise ConfigError(msg)
    presets = presets or OsmPresets()
    if place is not None:
        label = f"place {place!r}"
    else:
        assert bbox is not None  # exactly one of `place` and `bbox`, checked above
        label = f"bbox {','.join(f'{v:g}' for v in bbox)}"
    keys = presets.keys()
    key = hashlib.sha256(
        json.dumps([ONLINE_CACHE_VERSION, place, bbox, keys], ensure_ascii=False).encode()
    ).hexdigest()[:24]
    graph_file = cache_dir() / f"online-{key}.graphml"
    features_file = cache_dir() / f"online-{key}-features.json"
    if not (use_cache and graph_file.exists() and features_file.exists()):
        _download(place, bbox, keys, graph_file, features_file, label)
    else:
        logger.info("online: loading the cached download of %s", label)
    net = load_network(graph_file, min_component_m=min_component_m)
    net.source.update({"file": f"OpenStreetMap download of {label}", "cache": graph_file.name})
    return net, _read_features(features_file)


def _download(place, bbox, keys, graph_file: Path, features_file: Path, label: str) -> None:
    import osmnx as ox

    hosts = [ox.settings.overpass_url] + ([ox.settings.nominatim_url] if place else [])
    for url in hosts:
        _check_reachable(url)
    ox.settings.cache_folder = str(cache_dir() / "osmnx")  # never ./cache in the user's folder
    tags: dict[str, bool | str | list[str]] = dict.fromkeys(keys, True)
    logger.info("online: downloading the walking network and tags of %s", label)
    try:
        if place is not None:
            G = ox.graph_from_place(place, network_type="walk", simplify=False, retain_all=True)
            features = ox.features_from_place(place, tags)
        else:
            G = ox.graph_from_bbox(bbox, network_type="walk", simplify=False, retain_all=True)
            features = ox.features_from_bbox(bbox, tags)
    except Exception as err:  # osmnx and requests raise many kinds (HTTP, geocoding, empty)
        msg = (
            f"{label}: the OpenStreetMap download failed ({type(err).__name__}: {err}); "
            f"{OFFLINE_HINT}"
        )
        raise NetworkError(msg) from err
    graph_file.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(G, graph_file)
    records = features_from_frame(features)
    features_file.write_text(
        json.dumps(
            [
                {**r, "geometry": shapely.to_wkt(r["geometry"], rounding_precision=8)}
                for r in records
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )


def _check_reachable(url: str) -> None:
    parsed = urlparse(url)
    host = parsed.hostname or url
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        msg = (
            f"cannot reach {host} to download OpenStreetMap data ({reason}): no internet? "
            f"{OFFLINE_HINT}"
        )
        raise NetworkError(msg) from err


def features_from_frame(features: gpd.GeoDataFrame) -> list[dict]:
    """osmnx's features GeoDataFrame as tagged-feature dicts (areas as MultiPolygons).

    Parameters
    ----------
    features
        Indexed by (element, id), one column per tag, WGS84 geometry.

    Returns
    -------
    list of dict
        ``osm_id`` (``"way/2"``), ``tags`` (the non-empty tag columns) and ``geometry``.
    """
    out = []
    table = features.drop(columns=features.geometry.name)
    rows = zip(
        features.index, features.geometry.values, table.itertuples(index=False, name=None),
        strict=True,
    )
    for (element, osm_id), geom, values in rows:
        if geom.geom_type == "Polygon":
            geom = shapely.MultiPolygon([geom])
        tags = {
            str(k): str(v)
            for k, v in zip(table.columns, values, strict=False)
            if isinstance(v, str | int | float) and v == v  # v == v: not NaN
        }
        out.append({"osm_id": f"{element}/{osm_id}", "tags": tags, "geometry": geom})
    return out


def _read_features(path: Path) -> list[dict]:
    records = json.loads(path.read_text(encoding="utf-8"))
    return [{**r, "geometry": shapely.from_wkt(r["geometry"])} for r in records]
