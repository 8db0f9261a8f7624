"""Size of the what-if map (`circle site --map`): the bundled data and a 5,000-candidate case.

Generated (not real data) for the large case: a 120 x 120 jittered street grid (about
12 x 12 km, 100 m blocks), 3,000 square communities (60 m sides) with random populations,
30 centres and 5,000 candidate sites at random points; 15-minute circle. The map is written
as `circle site --map` writes it: streets, isochrones of the existing centres, communities,
centres, every candidate and its reach set.

    python bench/whatif_size.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import CRS, X0, Y0, jittered_grid
from circle.bundled import DEFAULT_CENTRES, DEFAULT_COMMUNITIES, DEFAULT_NETWORK
from circle.coverage.isochrones import walk_isochrones
from circle.io.files import read_layer
from circle.maps.coverage_map import map_html
from circle.maps.whatif import whatif_map
from circle.network.load import load_network
from circle.siting.candidates import candidates_from_osm
from circle.siting.site import site_new_centres


def size_mb(result, net, centres) -> float:
    bands = walk_isochrones(net, centres, config=result.config, per_centre=False)
    html = map_html(whatif_map(result, isochrones=bands, network=net))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "map.html"
        path.write_text(html, encoding="utf-8")
        return path.stat().st_size / 1e6


def bundled() -> None:
    net = load_network(DEFAULT_NETWORK)
    centres = read_layer(DEFAULT_CENTRES)
    communities = read_layer(DEFAULT_COMMUNITIES)
    candidates = candidates_from_osm(DEFAULT_NETWORK, exclude_ids=set(centres["id"]))
    result = site_new_centres(communities, centres, candidates, net, add=3)
    n = int((result.candidates["status"] == "ok").sum())
    print(f"bundled Helsinki: {n} candidates, {len(communities)} communities: "
          f"{size_mb(result, net, centres):.2f} MB")


def generated(n_candidates: int = 5_000) -> None:
    net = jittered_grid(120, seed=7)
    rng = np.random.default_rng(8)
    span = [X0 + 11_900, Y0 + 11_900]
    cxy = rng.uniform([X0, Y0], span, size=(3_000, 2))
    communities = gpd.GeoDataFrame(
        {
            "id": [f"c{i}" for i in range(len(cxy))],
            "name": [f"community {i}" for i in range(len(cxy))],
            "population": rng.integers(50, 3_000, len(cxy)).astype(float),
        },
        geometry=shapely.box(cxy[:, 0] - 30, cxy[:, 1] - 30, cxy[:, 0] + 30, cxy[:, 1] + 30),
        crs=CRS,
    )
    centres = gpd.GeoDataFrame(
        {"id": [f"k{i:02d}" for i in range(30)], "type": "community"},
        geometry=shapely.points(rng.uniform([X0, Y0], span, size=(30, 2))),
        crs=CRS,
    )
    kxy = rng.uniform([X0, Y0], span, size=(n_candidates, 2))
    candidates = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(n_candidates)], "name": [f"site {i}" for i in
                                                                range(n_candidates)]},
        geometry=shapely.points(kxy),
        crs=CRS,
    )
    started = time.perf_counter()
    result = site_new_centres(communities, centres, candidates, net, add=10, solver="greedy")
    took = time.perf_counter() - started
    n = int((result.candidates["status"] == "ok").sum())
    pairs = int(result.reach.nnz)
    print(f"generated: {n} candidates on the network, {len(communities)} communities, "
          f"{pairs:,} reach pairs (siting {took:.1f} s): {size_mb(result, net, centres):.2f} MB")


if __name__ == "__main__":
    bundled()
    generated()
