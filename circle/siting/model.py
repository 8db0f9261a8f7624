"""The covering problems as linear programs: reduced without changing the optimum, then posed."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["first_of_each_row_pattern", "model", "reduce_problem"]


def reduce_problem(A: sp.csr_array, weight: np.ndarray):
    """Shrink the problem without changing its optimum.

    Candidates covering nothing are dropped and candidates covering the same items are kept
    once (the lower position); items covered by the same candidates are merged (weights summed).

    Returns
    -------
    sub, kept, weight
        The reduced candidates x items matrix, the original position of each kept candidate,
        and the weight of each merged item.
    """
    kept = first_of_each_row_pattern(A)
    sub = A[kept]
    items = np.flatnonzero(np.diff(sub.tocsc().indptr))
    by_item = sub[:, items].T.tocsr()
    by_item.sort_indices()
    first, group = first_of_each_row_pattern(by_item, return_group=True)
    merged_w = np.bincount(group, weights=weight[items], minlength=first.size)
    merged = by_item[first].T.tocsr()
    merged.sort_indices()
    return merged, kept, merged_w


def first_of_each_row_pattern(M: sp.csr_array, *, return_group: bool = False):
    """Positions of the first row of each distinct non-empty sparsity pattern."""
    seen: dict[bytes, int] = {}
    first: list[int] = []
    group: list[int] = []
    for i in range(M.shape[0]):
        cols = M.indices[M.indptr[i] : M.indptr[i + 1]]
        if cols.size == 0 and not return_group:
            continue
        key = cols.tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(i)
        group.append(seen[key])
    positions = np.array(first, np.int64)
    return (positions, np.array(group, np.int64)) if return_group else positions


def model(sub: sp.csr_array, weight: np.ndarray, add: int | None):
    """The reduced problem as ``min c @ v`` subject to ``A_ub @ v <= b_ub``, ``0 <= v <= 1``.

    Set covering (``add`` None): v = x, min sum(x), every item covered at least once.
    Maximal covering: v = (x, y), max sum(w y) subject to y_i <= the sum of the x_j covering
    i and sum(x) <= add; y may stay continuous (at an optimum it is 0 or 1 for integral x).

    Returns
    -------
    c, A_ub, b_ub, n_x
        n_x: the number of site variables (they come first).
    """
    n, m = sub.shape
    cover = sub.T.astype(float).tocsr()
    if add is None:
        return np.ones(n), -cover, -np.ones(m), n
    A_ub = sp.vstack(
        [
            sp.hstack([-cover, sp.eye_array(m)]),
            sp.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]),
        ],
        format="csr",
    )
    return np.r_[np.zeros(n), -weight], A_ub, np.r_[np.zeros(m), float(add)], n
