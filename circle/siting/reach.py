"""Reach sets of candidate sites: which communities each reaches within the threshold walk.

Stored once, compactly: a boolean CSR matrix (candidates x communities) with int32 indices, built
a block of candidates at a time so that no array as long as all the reached pairs exists more than
once while it is built. The walks themselves are not kept: siting needs only which pairs are
within the threshold. The pairs are exactly those of `circle.network.engine.reach_within` (same
searches, same sums, same boundary rule).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from .._progress import bar
from ..errors import MemoryBudgetError
from ..network._fastpath import bounded_reach
from ..network.engine import BOUNDARY_TOLERANCE_M, expand_members, node_members
from ..network.snap import SearchGraph

__all__ = ["ReachBudget", "pattern", "reach_pattern", "select_columns"]

logger = logging.getLogger(__name__)

#: reached pairs per block of candidates (the block's working arrays take ~100 bytes per pair)
PAIRS_PER_BLOCK = 1_000_000
#: bytes of a block's working arrays per reached pair (measured: ~100)
BLOCK_BYTES_PER_PAIR = 100
#: bytes per reached pair of the reach sets kept (int32 column + bool)
KEPT_BYTES_PER_PAIR = 5


class ReachBudget:
    """How much memory the reach sets may take: the blocks are sized to a tenth of it, and the
    build stops with `MemoryBudgetError` once the pairs kept would exceed it.

    Parameters
    ----------
    memory_gb
        The budget in GB (10**9 bytes); None: blocks of `PAIRS_PER_BLOCK` pairs, no limit.
    """

    def __init__(self, memory_gb: float | None = None) -> None:
        self.memory_gb = memory_gb
        if memory_gb is None:
            self.pairs_per_block = PAIRS_PER_BLOCK
        else:
            block = memory_gb * 1e9 / 10 / BLOCK_BYTES_PER_PAIR
            self.pairs_per_block = int(max(1.0, min(block, PAIRS_PER_BLOCK)))

    def check(self, pairs: int, what: str) -> None:
        """Raise `MemoryBudgetError` when `pairs` kept pairs exceed the budget."""
        if self.memory_gb is None or pairs * KEPT_BYTES_PER_PAIR <= self.memory_gb * 1e9:
            return
        msg = (
            f"{what} hold more than {pairs:,} walkable (site, community) pairs, "
            f"{pairs * KEPT_BYTES_PER_PAIR / 1e9:.3g} GB at {KEPT_BYTES_PER_PAIR} bytes each, "
            f"over the memory budget of {self.memory_gb:g} GB: raise --memory-budget-gb, or "
            "give fewer candidate sites (e.g. a coarser --candidates-grid-m)"
        )
        raise MemoryBudgetError(msg)


def reach_pattern(
    graph: SearchGraph,
    source_nodes: np.ndarray,
    source_snap_m: np.ndarray,
    target_nodes: np.ndarray,
    target_snap_m: np.ndarray,
    limit_m: float,
    *,
    budget: ReachBudget | None = None,
) -> sp.csr_array:
    """Every (source, target) pair whose walk is within `limit_m`, as a boolean sparse matrix.

    The pairs of `circle.network.engine.reach_within` (access legs + network distance, within
    ``limit_m + BOUNDARY_TOLERANCE_M``), without their walk lengths, built a block of sources at
    a time: memory is about 5 bytes per reached pair (int32 column + bool), plus one block.

    Parameters
    ----------
    graph
        Search graph holding the snapped sources and targets.
    source_nodes, source_snap_m
        Node and access leg (metres) of each source (node -1: off the network, reaches nothing).
    target_nodes, target_snap_m
        Node and access leg of each target (node -1: off the network, never reached).
    limit_m
        The longest walk counted, metres.
    budget
        Sizes the blocks and bounds the pairs kept (default: `ReachBudget()`, no bound).

    Returns
    -------
    scipy.sparse.csr_array
        Shape (sources, targets), bool, int32 indices (int64 beyond 2**31 pairs), sorted.

    Raises
    ------
    MemoryBudgetError
        The pairs found so far already exceed `budget`.
    """
    budget = budget or ReachBudget()
    src = np.asarray(source_nodes, np.int64)
    tgt = np.asarray(target_nodes, np.int64)
    s_leg = np.asarray(source_snap_m, np.float64)
    t_leg = np.asarray(target_snap_m, np.float64)
    on_t = np.flatnonzero(tgt >= 0)
    counts = np.zeros(src.size, np.int64)
    blocks: list[np.ndarray] = []
    if on_t.size and (src >= 0).any():
        targets = _Targets(tgt, t_leg, on_t, limit_m + BOUNDARY_TOLERANCE_M)
        # the first block: 256 sources, fewer under a small budget (a ball holds ~10**3 pairs)
        lo, step = 0, int(min(256, max(16, budget.pairs_per_block // 1000)))
        with bar("reach sets", total=src.size, unit="sites") as shown:
            while lo < src.size:
                hi = min(src.size, lo + step)
                cols, counts[lo:hi] = _block(graph, src, s_leg, lo, hi, targets)
                blocks.append(cols)
                shown.update(hi - lo)
                budget.check(int(counts[:hi].sum()), "the reach sets")
                per_source = max(cols.size / (hi - lo), 1.0)
                step = int(min(max(budget.pairs_per_block / per_source, 16), 1 << 16))
                lo = hi
    nnz = int(counts.sum())
    itype = np.int32 if nnz < 2**31 - 1 and tgt.size < 2**31 - 1 else np.int64
    indptr = np.zeros(src.size + 1, itype)
    indptr[1:] = np.cumsum(counts)
    indices = np.empty(nnz, itype)
    at = 0
    while blocks:  # copied block by block, each freed once copied
        cols = blocks.pop(0)
        indices[at : at + cols.size] = cols
        at += cols.size
    out = sp.csr_array(
        (np.ones(nnz, bool), indices, indptr), shape=(src.size, tgt.size), copy=False
    )
    out.has_sorted_indices = True
    logger.info("reach: %d sources, %d targets, %d pairs within %.0f m", *out.shape, nnz, limit_m)
    return out


class _Targets:
    """The targets grouped by node: distinct nodes, and the targets at each."""

    def __init__(self, tgt: np.ndarray, t_leg: np.ndarray, on_t: np.ndarray, bound: float):
        self.n = tgt.size
        self.leg = t_leg
        self.bound = bound
        self.nodes, _, self.ptr, self.members = node_members(tgt, on_t)
        self.min_leg = float(t_leg[on_t].min())


def _block(graph, src, s_leg, lo: int, hi: int, targets: _Targets):
    """Sorted target columns and per-source counts of sources ``lo..hi-1``."""
    on_s = lo + np.flatnonzero(src[lo:hi] >= 0)
    counts = np.zeros(hi - lo, np.int64)
    if on_s.size == 0:
        return np.empty(0, np.int32), counts
    # distinct source nodes in the block (several sources may share a node), the sources at each
    s_nodes, s_group, s_ptr, s_members = node_members(src, on_s)
    min_leg = np.full(s_nodes.size, np.inf)
    np.minimum.at(min_leg, s_group, s_leg[on_s])
    # each search stops at the longest walk any of its sources could still use
    budget = targets.bound - min_leg - targets.min_leg
    ok = np.flatnonzero(budget >= 0)
    csr = graph.reverse_csr  # walks go from the communities TO the sources
    src_idx, node, dist = bounded_reach(
        csr.indptr, csr.indices, csr.data, s_nodes[ok], None, budget[ok], targets=targets.nodes
    )
    if node.size == 0:
        return np.empty(0, np.int32), counts
    c = np.searchsorted(targets.nodes, node)
    del node
    # expand node pairs to (source, target) pairs, as reach_within does
    k, s = expand_members(ok[src_idx], s_ptr, s_members)
    del src_idx
    d, c = dist[k], c[k]
    del dist
    k, t = expand_members(c, targets.ptr, targets.members)
    s, d = s[k], d[k]
    w = s_leg[s] + d + targets.leg[t]
    keep = w <= targets.bound
    s, t = s[keep], t[keep]
    order = np.argsort((s - lo) * np.int64(targets.n) + t, kind="stable")
    counts += np.bincount(s - lo, minlength=hi - lo)
    return t[order].astype(np.int32 if targets.n < 2**31 - 1 else np.int64), counts


def select_columns(
    matrix: sp.csr_array, columns: np.ndarray, *, pairs_per_block: int = PAIRS_PER_BLOCK
) -> sp.csr_array:
    """``matrix[:, columns]`` (increasing `columns`) of a boolean CSR matrix, a block of rows
    (about `pairs_per_block` entries) at a time: no temporary as long as all its entries,
    indices of the same integer type."""
    n_rows, n_cols = matrix.shape
    remap = np.full(n_cols, -1, np.int64)
    remap[columns] = np.arange(columns.size)
    indptr = np.zeros(n_rows + 1, matrix.indptr.dtype)
    parts = []
    step = max(1, int(n_rows * pairs_per_block / max(matrix.nnz, 1)))
    for lo in range(0, n_rows, step):
        hi = min(n_rows, lo + step)
        a, b = int(matrix.indptr[lo]), int(matrix.indptr[hi])
        new = remap[matrix.indices[a:b]]
        keep = new >= 0
        kept = np.r_[0, np.cumsum(keep)]
        starts = matrix.indptr[lo : hi + 1] - a
        indptr[lo + 1 : hi + 1] = kept[starts[1:]] - kept[starts[:-1]]
        parts.append(new[keep].astype(matrix.indices.dtype))
    indptr[:] = np.cumsum(indptr)
    indices = np.concatenate(parts) if parts else np.empty(0, matrix.indices.dtype)
    out = sp.csr_array(
        (np.ones(indices.size, bool), indices, indptr), shape=(n_rows, columns.size), copy=False
    )
    out.has_sorted_indices = True
    return out


def pattern(matrix: sp.csr_array) -> sp.csr_array:
    """The stored entries of a sparse matrix as True, zeros included."""
    return sp.csr_array(
        (np.ones(matrix.nnz, bool), matrix.indices, matrix.indptr), shape=matrix.shape
    )
