"""The cold build's fast steps against the numpy calls they replace (issue 23): the same
order of parallel edges as a 4-key lexsort, the same highway codes as numpy's unique."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from circle.network.walk import _pair_order, highway_codes

edges = st.lists(
    st.tuples(st.integers(0, 6), st.integers(1, 3), st.sampled_from([1.0, 2.0, 2.5]),
              st.integers(0, 3)),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(edges)
def test_pair_order_is_the_lexsort_it_replaces(rows):
    a = np.array([r[0] for r in rows], dtype=np.int64)
    b = a + np.array([r[1] for r in rows], dtype=np.int64)
    length = np.array([r[2] for r in rows])
    way = np.array([r[3] for r in rows], dtype=np.int64)
    assert np.array_equal(_pair_order(a, b, length, way), np.lexsort((way, length, b, a)))


values = st.lists(
    st.one_of(st.sampled_from(["residential", "footway", "path", "é", "a\x00", ""]),
              st.none(), st.integers(0, 2), st.floats(allow_nan=True), st.booleans()),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(values)
def test_highway_codes_are_numpys_unique_of_the_texts(items):
    a = np.empty(len(items), dtype=object)
    a[:] = items
    names, codes = highway_codes(a)
    expected_names, expected_codes = np.unique(a.astype(str), return_inverse=True)
    assert names.dtype == expected_names.dtype
    assert np.array_equal(names, expected_names)
    assert np.array_equal(codes, expected_codes)
