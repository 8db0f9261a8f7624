"""The covering problems as (mixed-integer) linear programs: reduced without changing the
optimum, then handed to HiGHS column by column from the sparse matrix itself."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .reach import select_columns

__all__ = ["first_of_each_row_pattern", "pass_model", "reduce_problem"]


def reduce_problem(A: sp.csr_array, weight: np.ndarray):
    """Shrink the problem without changing its optimum.

    Candidates covering nothing are dropped and candidates covering the same items are kept
    once (the lower position); items covered by the same candidates are merged (weights summed).
    At most two copies of the (shrinking) matrix exist at a time.

    Returns
    -------
    sub, kept, weight
        The reduced candidates x items matrix, the original position of each kept candidate,
        and the weight of each merged item.
    """
    kept = first_of_each_row_pattern(A)
    sub = A[kept]
    sub.sort_indices()
    items = np.flatnonzero(np.bincount(sub.indices, minlength=sub.shape[1]))
    sub = select_columns(sub, items)
    by_item = sub.T.tocsr()
    del sub
    by_item.sort_indices()
    first, group = first_of_each_row_pattern(by_item, return_group=True)
    merged_w = np.bincount(group, weights=weight[items], minlength=first.size)
    merged = by_item[first]
    del by_item
    merged = merged.T.tocsr()
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


def pass_model(h, sub: sp.csr_array, weight: np.ndarray, add: int | None, *, integer: bool):
    """Pose the reduced problem in the `highspy.Highs` instance `h`, minimising.

    Set covering (``add`` None): variables x (one per candidate), min sum(x), every item
    covered at least once. Maximal covering: variables (x, y), min -sum(w y) subject to
    y_i <= the sum of the x_j covering i and sum(x) <= add; y stays continuous (at an optimum it
    is 0 or 1 for integral x). Columns are passed straight from the candidates' rows of `sub`.

    Returns
    -------
    int
        The number of site variables x (they come first).
    """
    n, m = sub.shape
    inf = np.inf
    i32 = np.int32
    nnz = sub.nnz
    starts = sub.indptr[:-1].astype(i32)
    if add is None:
        h.addRows(
            m, np.ones(m), np.full(m, inf), 0, np.zeros(m, i32), np.empty(0, i32), np.empty(0)
        )
        values = np.ones(nnz)
        h.addCols(
            n, np.ones(n), np.zeros(n), np.ones(n), nnz, starts, sub.indices.astype(i32), values
        )
    else:
        # rows: y_i - sum x_j <= 0 for each item, then sum(x) <= add
        h.addRows(
            m + 1,
            np.full(m + 1, -inf),
            np.r_[np.zeros(m), float(add)],
            0,
            np.zeros(m + 1, i32),
            np.empty(0, i32),
            np.empty(0),
        )
        card = sub.indptr[1:] + np.arange(n)  # each column's last entry: the cardinality row
        items = np.ones(nnz + n, bool)
        items[card] = False
        index = np.empty(nnz + n, i32)
        index[items], index[card] = sub.indices, m
        values = np.full(nnz + n, -1.0)
        values[card] = 1.0
        del items, card
        starts = (sub.indptr[:-1] + np.arange(n)).astype(i32)
        h.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), nnz + n, starts, index, values)
        del index, values
        y = np.arange(m, dtype=i32)
        h.addCols(m, -np.asarray(weight, float), np.zeros(m), np.ones(m), m, y, y, np.ones(m))
    if integer:
        h.changeColsIntegrality(n, np.arange(n, dtype=i32), np.ones(n, np.uint8))
    return n
