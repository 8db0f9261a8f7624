"""Reach sets: every node within a walking distance of each of many sources, at the ball's cost.

`bounded_reach` runs one Dijkstra per source that stops at the limit, so its cost follows the
ball (a few hundred to a few thousand nodes), not the network: scipy's `dijkstra` allocates and
scans arrays as large as the whole network on every call, which dominates at city scale. The
searches are compiled with numba and run on all cores (threads; numba releases the GIL).
Without numba, the same function falls back to one scipy call per source (same results,
slower).

numba compiles the search on the first search of a process (importing this module compiles
nothing) and caches the machine code (``cache=True``) in ``circle/network/__pycache__`` next to
this file, or in ``$NUMBA_CACHE_DIR`` when set (numba falls back to a user cache folder when the
package folder is read-only). The first call in a fresh
environment costs a few seconds of compilation; later processes load the cached code.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

__all__ = ["HAVE_NUMBA", "bounded_reach"]

#: whether the compiled search is available (numba itself is imported on the first search)
HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def bounded_reach(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    sources: np.ndarray,
    source_offsets: np.ndarray | None = None,
    limit: float | np.ndarray = np.inf,
    *,
    targets: np.ndarray | None = None,
    engine: Literal["auto", "numba", "scipy"] = "auto",
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All nodes within `limit` of each source, with their distances.

    Node ``v`` is in the reach set of source ``i`` when ``source_offsets[i] + d(sources[i], v)
    <= limit`` (``d``: shortest-path length over the CSR graph, read as directed).

    Parameters
    ----------
    indptr, indices, data
        The graph in CSR form (e.g. ``network.csr.indptr``, ...); non-negative weights.
    sources
        Node of each source (repeats allowed; each is searched on its own).
    source_offsets
        Distance already walked when reaching each source (e.g. its access leg); default 0.
    limit
        Largest total distance kept, one for all sources or one per source.
    targets
        Report only these nodes (node positions, or a boolean mask over the nodes), e.g. the
        nodes of the communities; the searches still walk through every node. Default: all.
    engine
        {"auto", "numba", "scipy"} The compiled search (auto: when numba is installed) or one
        scipy call per source.
    threads
        Threads for the compiled search; default: the CPUs this process may use.

    Returns
    -------
    src_idx, node_idx, dist
        One row per (source, reached node): the source's position in `sources`, the node and
        the total distance (offset included). Rows come grouped by source, in source order;
        within a source their order is unspecified (the compiled search gives them in order of
        distance). Both engines give the same rows with bit-identical distances.
    """
    indptr, indices, data = _csr_arrays(indptr, indices, data)
    sources, offsets, limits, keep = _search_arrays(
        indptr.size - 1, sources, source_offsets, limit, targets
    )
    k = sources.size
    if engine == "auto":
        engine = "numba" if HAVE_NUMBA else "scipy"
    if engine == "scipy":
        return _reach_scipy(indptr, indices, data, sources, offsets, limits, keep)
    if engine != "numba":
        msg = f"`engine` must be 'auto', 'numba' or 'scipy', got {engine!r}"
        raise ValueError(msg)
    if not HAVE_NUMBA:
        msg = "engine='numba' needs numba: pip install numba (or use engine='scipy')"
        raise ImportError(msg)
    if k == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    if threads is None:
        threads = _usable_cpus()
    # a few chunks per thread balance uneven balls; each chunk allocates its n-sized work arrays
    # once and reuses them for all its sources
    bounds = np.linspace(0, k, min(k, 4 * threads if threads > 1 else 1) + 1).astype(np.int64)

    reach_chunk = _compiled_reach_chunk()

    def run(c: int):
        lo, hi = int(bounds[c]), int(bounds[c + 1])
        return reach_chunk(
            indptr, indices, data, sources[lo:hi], offsets[lo:hi], limits[lo:hi], keep, lo
        )

    if bounds.size == 2:
        return run(0)  # views of the chunk's buffers: no copy of a possibly large output
    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(run, range(bounds.size - 1)))
    src_idx, node_idx, dist = (np.concatenate(p) for p in zip(*parts, strict=True))
    return src_idx, node_idx, dist


def _csr_arrays(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    indptr = _writable(np.asarray(indptr, dtype=np.int64))
    indices = np.asarray(indices)
    if indices.dtype not in (np.int32, np.int64):
        indices = indices.astype(np.int64)
    indices = _writable(indices)
    data = _writable(np.asarray(data, dtype=np.float64))
    return indptr, indices, data


def _search_arrays(
    n: int,
    sources: np.ndarray,
    source_offsets: np.ndarray | None,
    limit: float | np.ndarray,
    targets: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sources, their offsets and limits, and the mask of nodes reported; checked."""
    # fresh, writable, contiguous arrays: numba compiles (and caches) one version per layout
    sources = np.array(sources, dtype=np.int64).reshape(-1)
    k = sources.size
    offsets = np.zeros(k) if source_offsets is None else np.array(source_offsets, np.float64)
    limits = np.array(np.broadcast_to(np.asarray(limit, np.float64), (k,)))
    keep = np.ones(n, np.bool_)
    if targets is not None:
        targets = np.asarray(targets)
        if targets.dtype == bool:
            keep = np.array(targets, np.bool_).reshape(n)
        else:
            keep[:] = False
            keep[targets] = True
    if offsets.shape != (k,):
        msg = f"`source_offsets` needs one value per source ({k}), got shape {offsets.shape}"
        raise ValueError(msg)
    if k and (sources.min() < 0 or sources.max() >= n):
        msg = f"`sources` must be node positions in 0..{n - 1}"
        raise ValueError(msg)
    return sources, offsets, limits, keep


def _writable(a: np.ndarray) -> np.ndarray:
    return a if a.flags.writeable and a.flags.c_contiguous else np.array(a)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _reach_scipy(indptr, indices, data, sources, offsets, limits, keep):
    """One scipy Dijkstra per source: the fallback, and the reference the bench compares to."""
    n = indptr.size - 1
    graph = sp.csr_array((data, indices, indptr), shape=(n, n))
    src, node, dist = [], [], []
    for i, (s, off, lim) in enumerate(
        zip(sources.tolist(), offsets.tolist(), limits.tolist(), strict=True)
    ):
        if off > lim:
            continue
        d = dijkstra(graph, directed=True, indices=s, limit=lim - off)
        reached = np.flatnonzero((d + off <= lim) & keep)
        src.append(np.full(reached.size, i, np.int64))
        node.append(reached)
        dist.append(d[reached] + off)
    if not src:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(src), np.concatenate(node).astype(np.int64), np.concatenate(dist)


def _search(indptr, indices, data, source, bound, dist, heap_d, heap_v, out_v, out_d):
    """One Dijkstra from `source` (at distance 0) settling the nodes within `bound`.

    Writes the settled nodes and their distances to `out_v`, `out_d` in the order settled and
    returns their count. Lazy-deletion binary heap. The work arrays are sized so that they
    never grow (the heap holds at most one entry per arc, plus the source; a search settles
    at most every node), and `np.empty` commits only the memory a search touches. `dist` must
    be all inf on entry; the caller resets the settled nodes afterwards.
    """
    dist[source] = 0.0
    heap_d[0] = 0.0
    heap_v[0] = source
    size = 1
    n_out = 0
    while size > 0:
        d = heap_d[0]
        u = heap_v[0]
        # pop: move the last entry to the root and sift it down
        size -= 1
        if size > 0:
            last_d = heap_d[size]
            last_v = heap_v[size]
            j = 0
            while True:
                c = 2 * j + 1
                if c >= size:
                    break
                if c + 1 < size and heap_d[c + 1] < heap_d[c]:
                    c += 1
                if heap_d[c] < last_d:
                    heap_d[j] = heap_d[c]
                    heap_v[j] = heap_v[c]
                    j = c
                else:
                    break
            heap_d[j] = last_d
            heap_v[j] = last_v
        if d > dist[u]:  # stale: u was pushed again with a shorter distance
            continue
        out_v[n_out] = u
        out_d[n_out] = d
        n_out += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + data[e]
            # a settled v has dist[v] <= d <= nd, so it is never pushed again
            if nd <= bound and nd < dist[v]:
                dist[v] = nd
                # push and sift up
                j = size
                size += 1
                while j > 0:
                    p = (j - 1) // 2
                    if heap_d[p] > nd:
                        heap_d[j] = heap_d[p]
                        heap_v[j] = heap_v[p]
                        j = p
                    else:
                        break
                heap_d[j] = nd
                heap_v[j] = v
    return n_out


def _reach_chunk(indptr, indices, data, sources, offsets, limits, keep, first):
    """Reach sets of sources ``first, first + 1, ...``, reusing one set of n-sized work arrays.

    The same arithmetic as `_reach_scipy` (search from 0 up to ``limit - offset``, keep
    ``d + offset <= limit``), so both give bit-identical distances.
    """
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    heap_d = np.empty(indices.size + 1, np.float64)
    heap_v = np.empty(indices.size + 1, np.int64)
    ball_v = np.empty(n, np.int64)
    ball_d = np.empty(n, np.float64)
    out_s = np.empty(1024, np.int64)
    out_v = np.empty(1024, np.int64)
    out_d = np.empty(1024, np.float64)
    used = 0
    for i in range(sources.size):
        off, lim = offsets[i], limits[i]
        if off > lim:
            continue
        count = _search(indptr, indices, data, sources[i], lim - off, dist, heap_d, heap_v,
                        ball_v, ball_d)
        if used + count > out_s.size:
            # room for the rest at the mean ball size so far (+10 %): usually one reallocation
            mean = (used + count) / (i + 1)
            size = max(2 * out_s.size, int(used + count + 1.1 * mean * (sources.size - i - 1)))
            out_s = _grown(out_s, used, size)
            out_v = _grown(out_v, used, size)
            out_d = _grown(out_d, used, size)
        for t in range(count):
            dist[ball_v[t]] = np.inf
            total = ball_d[t] + off
            if total <= lim and keep[ball_v[t]]:
                out_s[used] = first + i
                out_v[used] = ball_v[t]
                out_d[used] = total
                used += 1
    return out_s[:used], out_v[:used], out_d[:used]


def _grown(a, used, size):
    b = np.empty(size, a.dtype)
    b[:used] = a[:used]
    return b


_COMPILE_LOCK = threading.Lock()


@functools.cache
def _compiled_reach_chunk() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`_reach_chunk` compiled with numba (or loaded from numba's cache) on the first search.

    The compiled `_reach_chunk` calls `_search` and `_grown` by their module names, so these
    are replaced by their compiled versions first (once: under a lock, as searches may start
    in several threads at once).
    """
    global _search, _grown
    import numba

    with _COMPILE_LOCK:
        jit = numba.njit(cache=True, nogil=True)
        if not isinstance(_search, numba.core.dispatcher.Dispatcher):
            _search = jit(_search)
            _grown = jit(_grown)
        return jit(_reach_chunk)
