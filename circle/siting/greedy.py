"""The lazy greedy for covering problems, and the sites' joint cover."""

from __future__ import annotations

import heapq
import math

import numpy as np
import scipy.sparse as sp

__all__ = ["covered_by", "lazy_greedy"]


def lazy_greedy(A: sp.csr_array, values: tuple, *, limit: float, allowed=None) -> list:
    """Greedy covering with lazy re-evaluation (exact, since gains only shrink).

    Each step takes the candidate with the largest gain, a tuple compared in order (the
    objective, then the tie-break), the lower candidate position on a full tie; it stops at
    `limit` sites or when the best gain's objective is 0. Gains are exactly rounded sums
    (`math.fsum`), so a recomputed gain never exceeds the stale one it replaces.

    Returns
    -------
    list of (candidate, newly covered item positions)
    """
    covered = np.zeros(A.shape[1], bool)

    def gain(j: int):
        items = A.indices[A.indptr[j] : A.indptr[j + 1]]
        items = items[~covered[items]]
        return tuple(-math.fsum(v[items]) for v in values), items

    pool = range(A.shape[0]) if allowed is None else sorted(allowed)
    heap = [(gain(j)[0], j) for j in pool]
    heapq.heapify(heap)
    chosen: list[tuple[int, np.ndarray]] = []
    while heap and len(chosen) < limit:
        _, j = heapq.heappop(heap)
        key, items = gain(j)
        if heap and (key, j) > heap[0]:
            heapq.heappush(heap, (key, j))
            continue
        if key[0] >= 0:  # the best site adds nothing
            break
        chosen.append((j, items))
        covered[items] = True
    return chosen


def covered_by(A: sp.csr_array, sites) -> np.ndarray:
    """Mask of the items the sites cover together."""
    mask = np.zeros(A.shape[1], bool)
    if len(sites):
        mask[A[np.asarray(sorted(sites))].indices] = True
    return mask
