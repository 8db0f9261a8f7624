"""Reach sets of the compiled bounded search against scipy, networkx and hand computation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from circle.network._fastpath import HAVE_NUMBA, bounded_reach

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")


def random_graph(rng, n, *, directed: bool, zeros: bool = False) -> sp.csr_array:
    """Generated: random arcs with random lengths (some 0 m when `zeros`), as a CSR."""
    m = int(rng.integers(n, 4 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    u, v = u[keep], v[keep]
    w = rng.uniform(1, 200, u.size)
    if zeros:
        w[rng.random(u.size) < 0.1] = 0.0
    if not directed:
        u, v, w = np.r_[u, v], np.r_[v, u], np.r_[w, w]
    # keep the shortest of parallel arcs (a CSR would sum them)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    coo = sp.coo_array((w[first], (u[first], v[first])), shape=(n, n))
    return coo.tocsr()


def by_node(rows):
    """Rows come grouped by source in any order within a source: sort them by node."""
    src, node, dist = rows
    assert (np.diff(src) >= 0).all()  # grouped by source, in source order
    order = np.lexsort((node, src))
    return src[order], node[order], dist[order]


def networkx_reach(A: sp.csr_array, sources, offsets, limit):
    """Reference: one networkx single-source search per source, by definition."""
    G = nx.DiGraph()
    G.add_nodes_from(range(A.shape[0]))
    coo = A.tocoo()
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    rows = []
    for i, (s, off) in enumerate(zip(sources, offsets)):
        if off > limit:
            continue
        reach = nx.single_source_dijkstra_path_length(G, int(s), cutoff=limit - off)
        rows += [(i, v, d + off) for v, d in reach.items() if d + off <= limit]
    rows.sort()
    return (np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.int64),
            np.array([r[2] for r in rows]))


@pytest.mark.parametrize("seed", range(30))
def test_compiled_equals_scipy_and_networkx_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    A = random_graph(rng, n, directed=bool(seed % 2), zeros=seed % 3 == 0)
    if seed % 4 == 0:  # 64-bit positions take the same path
        A.indices = A.indices.astype(np.int64)
    sources = rng.integers(0, n, int(rng.integers(1, 40)))
    offsets = rng.uniform(0, 150, sources.size) * (rng.random(sources.size) < 0.7)
    limit = float(rng.uniform(50, 800))
    fast = by_node(bounded_reach(A.indptr, A.indices, A.data, sources, offsets, limit,
                                 threads=2))
    ref = by_node(bounded_reach(A.indptr, A.indices, A.data, sources, offsets, limit,
                                engine="scipy"))
    assert fast[0].size > 0
    for got, want in zip(fast, ref):  # same rows, bit-identical distances
        np.testing.assert_array_equal(got, want)
    by_nx = networkx_reach(A, sources, offsets, limit)
    np.testing.assert_array_equal(fast[0], by_nx[0])
    np.testing.assert_array_equal(fast[1], by_nx[1])
    np.testing.assert_allclose(fast[2], by_nx[2], rtol=0, atol=1e-9)


def test_hand_computed_line():
    """Generated: a line 0 - 1 - 2 - 3 - 4 of 100 m blocks, both ways.

    From node 0 with a 30 m access leg and a 250 m limit: nodes 0 (30 m), 1 (130 m) and
    2 (230 m); node 3 would be 330 m. From node 4 with no leg and a 100 m limit: 4 and 3
    (exactly 100 m counts). A source whose leg alone is over the limit reaches nothing.
    """
    u = np.array([0, 1, 2, 3])
    A = sp.coo_array((np.full(8, 100.0), (np.r_[u, u + 1], np.r_[u + 1, u])), shape=(5, 5)).tocsr()
    src, node, dist = by_node(bounded_reach(
        A.indptr, A.indices, A.data, [0, 4, 2], [30.0, 0.0, 300.0], [250.0, 100.0, 250.0]
    ))
    assert src.tolist() == [0, 0, 0, 1, 1]
    assert node.tolist() == [0, 1, 2, 3, 4]
    assert dist.tolist() == [30.0, 130.0, 230.0, 100.0, 0.0]


def test_threads_and_chunks_do_not_change_the_result():
    rng = np.random.default_rng(3)
    A = random_graph(rng, 2000, directed=False)
    sources = rng.integers(0, 2000, 500)
    one = bounded_reach(A.indptr, A.indices, A.data, sources, None, 300.0, threads=1)
    two = bounded_reach(A.indptr, A.indices, A.data, sources, None, 300.0, threads=2)
    for a, b in zip(one, two):  # the same rows in the same order
        np.testing.assert_array_equal(a, b)


def test_targets_keep_only_their_rows():
    rng = np.random.default_rng(5)
    A = random_graph(rng, 500, directed=False)
    sources = rng.integers(0, 500, 50)
    full = by_node(bounded_reach(A.indptr, A.indices, A.data, sources, None, 400.0))
    wanted = rng.choice(500, 60, replace=False)
    mask = np.zeros(500, bool)
    mask[wanted] = True
    keep = np.isin(full[1], wanted)
    for targets in (wanted, mask):
        for engine in ("numba", "scipy"):
            got = by_node(bounded_reach(A.indptr, A.indices, A.data, sources, None, 400.0,
                                        targets=targets, engine=engine))
            for a, b in zip(got, full):
                np.testing.assert_array_equal(a, b[keep])


def test_no_sources_and_bad_arguments():
    A = sp.csr_array(np.array([[0, 1.0], [1.0, 0]]))
    src, node, dist = bounded_reach(A.indptr, A.indices, A.data, [], None, 10.0)
    assert src.size == node.size == dist.size == 0
    with pytest.raises(ValueError, match="node positions"):
        bounded_reach(A.indptr, A.indices, A.data, [2], None, 10.0)
    with pytest.raises(ValueError, match="one value per source"):
        bounded_reach(A.indptr, A.indices, A.data, [0, 1], [1.0], 10.0)
    with pytest.raises(ValueError, match="`engine`"):
        bounded_reach(A.indptr, A.indices, A.data, [0], None, 10.0, engine="gpu")
