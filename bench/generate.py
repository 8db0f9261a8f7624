"""Generated street networks for benchmarks and scale tests (jittered grids, not real places)."""

from __future__ import annotations

import numpy as np

from circle.network import WalkNetwork, network_from_arrays

__all__ = ["CRS", "X0", "Y0", "jittered_grid"]

#: UTM 51N (covers Shenyang); generated coordinates are offset so they are plausible there
CRS = "EPSG:32651"
X0, Y0 = 500_000.0, 4_600_000.0


def jittered_grid(
    n_side: int,
    *,
    spacing_m: float = 100.0,
    gap_frac: float = 0.15,
    jitter_m: float = 15.0,
    seed: int = 0,
) -> WalkNetwork:
    """A street-like generated network: an ``n_side × n_side`` grid, jittered, with gaps.

    Every node moves by up to `jitter_m` in x and y (uniform), and a random `gap_frac` of the
    grid's streets is removed, so shortest paths are not Manhattan ties. Fragments left by the
    gaps (less than 250 m of street) are dropped as in a real network.

    Parameters
    ----------
    n_side
        Nodes per side (``n_side ** 2`` nodes before fragments are dropped).
    spacing_m
        Block length in metres.
    gap_frac
        Share of the grid's streets removed.
    jitter_m
        Largest shift of a node along each axis, metres.
    seed
        Random seed: the same arguments give the same network.

    Returns
    -------
    WalkNetwork
        In EPSG:32651, south-west corner near (`X0`, `Y0`).
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(n_side * n_side, dtype=np.int64).reshape(n_side, n_side)
    col, row = np.meshgrid(np.arange(n_side), np.arange(n_side))
    xy = np.column_stack([col.ravel(), row.ravel()]).astype(np.float64) * spacing_m
    xy += rng.uniform(-jitter_m, jitter_m, size=xy.shape)
    xy += (X0, Y0)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) >= gap_frac
    return network_from_arrays(
        xy,
        u[keep],
        v[keep],
        crs=CRS,
        source={"file": f"generated jittered grid {n_side}x{n_side} (seed {seed})"},
    )
