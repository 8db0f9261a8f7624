"""The cost of ``--dem`` on a 10^6-node generated network: DEM reading + elevation sampling along
every edge + Tobler costs, and the nearest-centre search on the directed graph, next to the
flat run, in ONE process (ratios from the same run).

    PYTHONPATH=. python -m bench.dem_bench [n_side]           # print the Markdown section
    PYTHONPATH=. python -m bench.dem_bench 1000 --write       # ... and replace it in RESULTS.md

The DEM is generated: rolling hills (+-40 m) as a 30 m GeoTIFF in EPSG:4326 (SRTM's CRS and
cell size) over the network's extent, so the sampling reprojects every point, as with a real
tile.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyproj
import shapely

from circle.network.engine import nearest_centres
from circle.network.slope import with_dem
from circle.network.snap import build_search_graph, snap_points

from .generate import jittered_grid, random_layers
from .startup import replace_section

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Slope costs: `--dem` (issue 20)"


def _write_dem(path: Path, net) -> None:
    import rasterio
    from affine import Affine

    lo = np.min(net.xy, axis=0)
    hi = np.max(net.xy, axis=0)
    lon, lat = pyproj.Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(
        [lo[0], hi[0], lo[0], hi[0]], [lo[1], lo[1], hi[1], hi[1]]
    )
    cell = 1 / 3600  # ~30 m, as SRTM 1 arc-second
    west, north = min(lon) - 0.01, max(lat) + 0.01
    w = int((max(lon) + 0.01 - west) / cell) + 1
    h = int((north - min(lat) + 0.01) / cell) + 1
    glon = west + cell * (np.arange(w) + 0.5)
    glat = north - cell * (np.arange(h) + 0.5)
    z = (40 * np.sin(glat[:, None] * 400) * np.cos(glon[None, :] * 300) + 100).astype(np.float32)
    with rasterio.open(
        path, "w", driver="GTiff", height=h, width=w, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(cell, 0, west, 0, -cell, north),
    ) as dst:
        dst.write(z, 1)


def _search(net, c_xy, h_xy):
    t0 = time.perf_counter()
    c = snap_points(net, c_xy, max_snap_m=500)
    h = snap_points(net, h_xy, max_snap_m=500)
    g = build_search_graph(net, c, h)
    t1 = time.perf_counter()
    r = nearest_centres(g, g.point_node[0], c.snap_m, g.point_node[1], h.snap_m, limit_m=4000)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, r


def main(n_side: int = 1000, *, write: bool = False) -> None:
    net = jittered_grid(n_side)
    centres, communities = random_layers(net, 1000, 20_000)
    c_xy = shapely.get_coordinates(centres.geometry.values)
    h_xy = shapely.get_coordinates(shapely.point_on_surface(communities.geometry.values))
    with tempfile.TemporaryDirectory() as tmp:
        dem = Path(tmp) / "hills.tif"
        _write_dem(dem, net)
        size_mb = dem.stat().st_size / 2**20
        flat_prep, flat_search, flat = _search(net, c_xy, h_xy)
        t0 = time.perf_counter()
        hilly, _ = with_dem(net, dem)
        t_dem = time.perf_counter() - t0
        dem_prep, dem_search, hill = _search(hilly, c_xy, h_xy)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("network nodes / edges", f"{net.n_nodes:,} / {net.n_edges:,}", ""),
        ("DEM", f"generated 1\" (~30 m) GeoTIFF, EPSG:4326, {size_mb:.0f} MB", ""),
        ("--dem: read DEM + sample every 10 m + Tobler costs", f"{t_dem:.2f} s", ""),
        ("edges with a slope cost", f"{hilly.source['dem']['edges_with_slope']:,}", ""),
        ("snap + search graph", f"{flat_prep:.2f} s", f"{dem_prep:.2f} s"),
        ("nearest_centres (1,000 centres, 20,000 communities)", f"{flat_search:.2f} s",
         f"{dem_search:.2f} s"),
    ]
    total_flat = flat_prep + flat_search
    total_dem = t_dem + dem_prep + dem_search
    covered = int((flat.walk_m <= 1000).sum()), int((hill.walk_m <= 1000).sum())
    text = [
        SECTION,
        "",
        f"`PYTHONPATH=. python -m bench.dem_bench {n_side} --write`: one process, the flat run "
        "then the DEM run on the same generated network and layers (1,000 centres, 20,000 "
        "communities). The DEM is generated rolling hills (±40 m) at SRTM's 1\" cells in "
        "EPSG:4326, so every sample is reprojected, as with a real tile.",
        "",
        "| step | flat | with --dem |",
        "|---|---:|---:|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        f"| total (sampling + snap + search) | {total_flat:.2f} s | {total_dem:.2f} s |",
        f"| ratio with --dem / flat | 1× | {total_dem / total_flat:.1f}× |",
        f"| search alone: directed / flat | 1× | {dem_search / flat_search:.2f}× |",
        f"| communities within 1,000 m-equivalent | {covered[0]:,} | {covered[1]:,} |",
        "",
        f"Peak resident memory of the process: {peak:,.0f} MB.",
        "",
    ]
    section = "\n".join(text)
    print(section)
    if write:
        RESULTS.write_text(replace_section(RESULTS.read_text(), section, SECTION))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--write"]
    main(int(args[0]) if args else 1000, write="--write" in sys.argv)
