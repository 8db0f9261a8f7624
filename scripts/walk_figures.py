"""Figures of README's "Walks as residents really walk" section, on the bundled Helsinki data
with every building of the extract as a community (its point on surface), the bundled centres
and the default parameters (4 km/h, 15 minutes = 1000 m, max_snap_m 500 m).

    PYTHONPATH=. python scripts/walk_figures.py
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from circle.bundled import DEFAULT_CENTRES, DEFAULT_NETWORK
from circle.config import CircleConfig
from circle.io.osm import read_tagged_features
from circle.io.waytags import OFF_GROUND
from circle.network.engine import nearest_centres
from circle.network.load import network_from_osm
from circle.network.snap import build_search_graph, snap_points

SERVICE_TUNNEL = 43997238


def buildings(net):
    feats = read_tagged_features(DEFAULT_NETWORK, ("building",))
    polys = [f["geometry"] for f in feats if f["geometry"].geom_type == "MultiPolygon"]
    pts = shapely.point_on_surface(np.array(polys))
    tr = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    return np.column_stack(tr.transform(shapely.get_x(pts), shapely.get_y(pts)))


def walks(net, bxy, cxy, cfg, **snap):
    b = snap_points(net, bxy, max_snap_m=cfg.max_snap_m, **snap)
    c = snap_points(net, cxy, max_snap_m=cfg.max_snap_m, **snap)
    g = build_search_graph(net, c, b)
    r = nearest_centres(g, g.point_node[0], c.snap_m, g.point_node[1], b.snap_m,
                        limit_m=cfg.search_limit_m)
    return b, r.walk_m


def main() -> None:
    cfg = CircleConfig()
    net = network_from_osm(DEFAULT_NETWORK)
    bxy = buildings(net)
    cent = gpd.read_file(DEFAULT_CENTRES).to_crs(net.crs)
    cxy = shapely.get_coordinates(shapely.point_on_surface(cent.geometry.values))
    limit = cfg.minutes_to_metres(15)
    print(f"{len(bxy)} buildings, {len(cxy)} centres")
    print("| snapping | on a street off the ground | on the service tunnel | covered (15 min) |")
    print("|---|---:|---:|---:|")
    base = None
    for label, kw in (("nearest edge (before)", {"surface": False}), ("surface (now)", {})):
        b, w = walks(net, bxy, cxy, cfg, **kw)
        off = int(((net.edge_flags[b.edge] & OFF_GROUND) != 0).sum())
        tun = int((net.edge_way[b.edge] == SERVICE_TUNNEL).sum())
        print(f"| {label} | {off} | {tun} | {int((w <= limit).sum())} |")
        if base is None:
            base = w
        else:
            with np.errstate(invalid="ignore"):
                d = w - base
            gained = int(((base > limit) & (w <= limit)).sum())
            lost = int(((base <= limit) & (w > limit)).sum())
            print(f"\nwalks changed: {int((np.abs(d) > 1e-6).sum())}; shorter by up to "
                  f"{-np.nanmin(d):.0f} m, longer by up to {np.nanmax(d):.0f} m; "
                  f"flipped to covered {gained}, to not covered {lost}")
    slack_table(net, bxy, cxy, cfg)


def slack_table(net, bxy, cxy, cfg) -> None:
    """Covered buildings and mean walk at several access slacks (`--access-slack-m`)."""
    limit = cfg.minutes_to_metres(15)
    print("\n| --access-slack-m | walks shorter than without slack | covered (15 min) | mean walk |")
    print("|---:|---:|---:|---:|")
    base = None
    for slack in (0.0, 5.0, 10.0, 20.0):
        _, w = walks(net, bxy, cxy, cfg, slack_m=slack)
        base = w if base is None else base
        ok = np.isfinite(w)
        with np.errstate(invalid="ignore"):
            shorter = int((w < base - 1e-6).sum())
        print(f"| {slack:g} | {shorter} | {int((w <= limit).sum())} | {w[ok].mean():.0f} m |")


if __name__ == "__main__":
    main()
