"""Base maps: the named tile providers, user tile servers, and the offline Leaflet assets."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError
from ..i18n import N_

__all__ = [
    "OSM_ATTRIBUTION",
    "TILE_PROVIDERS",
    "TileProvider",
    "is_internet_provider",
    "offline_assets",
    "tile_provider",
    "tiles_reachable",
]

VENDOR = Path(__file__).resolve().parent / "_vendor"
#: the ODbL attribution every map shows (translated where shown: ``_(OSM_ATTRIBUTION)``)
OSM_ATTRIBUTION = N_("Map data © OpenStreetMap contributors (ODbL)")


@dataclass(frozen=True)
class TileProvider:
    """A base map: URL template, attribution, and the datum its tiles are drawn in."""

    url: str
    attribution: str
    datum: str  # "wgs84" or "gcj02"
    subdomains: str = "abc"
    max_zoom: int = 19
    tms: bool = False


#: named base maps; every one of them is on the internet (so not for ``offline`` maps)
TILE_PROVIDERS = {
    "osm": TileProvider(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "wgs84",
    ),
    "amap": TileProvider(
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "© AMap (高德地图), GCJ-02",
        "gcj02",
        subdomains="1234",
        max_zoom=18,
    ),
    "tencent": TileProvider(
        "https://rt{s}.map.gtimg.com/realtimerender?z={z}&x={x}&y={y}&type=vector&style=0",
        "© Tencent (腾讯地图), GCJ-02",
        "gcj02",
        subdomains="0123",
        max_zoom=18,
        tms=True,
    ),
}


@lru_cache(maxsize=1)
def offline_assets() -> str:
    """Leaflet css (images as data: URIs), Leaflet js and jQuery, inline, without source maps."""
    leaflet = VENDOR / "leaflet"

    def png_uri(match: re.Match) -> str:
        data = base64.b64encode((leaflet / match[1]).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    def strip_map(js: str) -> str:
        return re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.M)

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", png_uri, (leaflet / "leaflet.css").read_text())
    leaflet_js = strip_map((leaflet / "leaflet.js").read_text(encoding="utf-8"))
    jquery_js = strip_map((VENDOR / "jquery" / "jquery.min.js").read_text(encoding="utf-8"))
    return "\n".join(
        [
            "<!-- Leaflet 1.9.4 (BSD-2-Clause) and jQuery 3.7.1 (MIT), inlined by circle -->",
            f"<style>{css}</style>",
            f"<script>{leaflet_js}</script>",
            f"<script>{jquery_js}</script>",
        ]
    )


def tile_provider(tiles: str, tiles_datum: str | None, offline: bool) -> TileProvider | None:
    """The base map asked for, checked against the offline promise.

    Parameters
    ----------
    tiles, tiles_datum, offline
        As for `circle.maps.coverage_map.coverage_map`.

    Returns
    -------
    TileProvider or None
        None for no base map.

    Raises
    ------
    ConfigError
        Unknown provider or datum, or an internet base map for an offline map.
    """
    if tiles == "none":
        provider = None
    elif tiles in TILE_PROVIDERS:
        provider = TILE_PROVIDERS[tiles]
        if offline:
            msg = (
                f"`tiles` {tiles!r} are loaded from the internet, but an offline map loads "
                "nothing from the network: use --online, or --tiles none, or a URL template of "
                "a local tile server"
            )
            raise ConfigError(msg)
    elif all(k in tiles for k in ("{x}", "{y}", "{z}")):
        provider = TileProvider(tiles, "Base map: user tiles", "wgs84")
    else:
        msg = (
            f"`tiles` must be none, {', '.join(TILE_PROVIDERS)} or a URL template with {{z}}, "
            f"{{x}} and {{y}}; got {tiles!r}"
        )
        raise ConfigError(msg)
    if tiles_datum is not None:
        if tiles_datum not in ("wgs84", "gcj02"):
            msg = f"`tiles_datum` must be 'wgs84' or 'gcj02', got {tiles_datum!r}"
            raise ConfigError(msg)
        if provider is not None:
            provider = TileProvider(**{**provider.__dict__, "datum": tiles_datum})
    return provider


def is_internet_provider(provider: TileProvider | None) -> bool:
    """Whether `provider` is one of the named internet base maps (`TILE_PROVIDERS`)."""
    return provider is not None and any(provider.url == p.url for p in TILE_PROVIDERS.values())


def tiles_reachable(provider: TileProvider, *, timeout_s: float = 2.0) -> bool:
    """Whether the tile server of `provider` answers a TCP connection (port 443) now.

    Parameters
    ----------
    provider
        A named internet base map.
    timeout_s
        Seconds to wait for the server.

    Returns
    -------
    bool
    """
    import socket
    from urllib.parse import urlsplit

    host = urlsplit(provider.url.replace("{s}", provider.subdomains[:1])).hostname
    if host is None:
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout_s):
            return True
    except OSError:
        return False
