"""Hypothesis strategies and settings shared by the property and fuzz tests.

Every generated network is a *generated* street-like fixture (a jittered grid with random gaps),
never real data.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from circle.network.walk import network_from_arrays

from .conftest import CRS, X0, Y0


def bounded(max_examples: int) -> settings:
    """Settings for a reproducible, bounded run: the same examples on every machine and run.

    ``derandomize`` seeds the search from the test function; ``database=None`` keeps earlier
    failures from changing what runs; ``deadline=None`` because a loaded CI machine is slow.
    """
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@st.composite
def street_grids(draw):
    """Generated: a jittered ``nx × ny`` street grid (60-150 m blocks) with random gaps.

    Returns ``(network, extent)`` with `extent` = (width, height) in local metres (offset by
    X0, Y0 like conftest's fixtures). Coordinates are whole decimetres, so ties are exact.
    """
    nx_ = draw(st.integers(2, 6))
    ny_ = draw(st.integers(2, 6))
    block_dm = draw(st.integers(600, 1500))
    n = nx_ * ny_
    jitter = draw(
        st.lists(st.integers(-block_dm // 4, block_dm // 4), min_size=2 * n, max_size=2 * n)
    )
    ix, iy = np.meshgrid(np.arange(nx_), np.arange(ny_), indexing="ij")
    xy_dm = np.column_stack([ix.ravel(), iy.ravel()]) * block_dm + np.array(jitter).reshape(n, 2)
    xy = xy_dm / 10.0 + np.array([X0, Y0])
    pos = np.arange(n).reshape(nx_, ny_)
    edges = [(pos[i, j], pos[i + 1, j]) for i in range(nx_ - 1) for j in range(ny_)]
    edges += [(pos[i, j], pos[i, j + 1]) for i in range(nx_) for j in range(ny_ - 1)]
    # a few diagonal short cuts, as real street networks have
    edges += [(pos[i, j], pos[i + 1, j + 1]) for i in range(nx_ - 1) for j in range(ny_ - 1)]
    keep = draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges)))
    kept = [e for e, k in zip(edges, keep, strict=True) if k]
    if not kept:
        kept = edges[:1]
    u, v = np.array(kept).T
    net = network_from_arrays(xy, u, v, crs=CRS, min_component_m=0)
    extent = ((nx_ - 1) * block_dm / 10.0, (ny_ - 1) * block_dm / 10.0)
    return net, extent


def point_rows(draw, extent, prefix: str, min_size: int, max_size: int) -> list[tuple]:
    """Rows ``(id, x, y)`` of random points in and around `extent` (whole decimetres)."""
    w, h = extent
    margin = 100.0
    xs = st.integers(int(-margin * 10), int((w + margin) * 10)).map(lambda d: d / 10.0)
    ys = st.integers(int(-margin * 10), int((h + margin) * 10)).map(lambda d: d / 10.0)
    coords = draw(st.lists(st.tuples(xs, ys), min_size=min_size, max_size=max_size))
    return [(f"{prefix}{i}", x, y) for i, (x, y) in enumerate(coords)]


@st.composite
def scenes(draw, max_communities: int = 12, max_centres: int = 5):
    """Generated: a street grid, communities and centres as point layers (local metres)."""
    net, extent = draw(street_grids())
    communities = point_rows(draw, extent, "h", 1, max_communities)
    centres = point_rows(draw, extent, "c", 1, max_centres)
    return net, extent, communities, centres

