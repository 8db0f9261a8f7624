"""Reach sets of candidate sites: which communities each reaches within the threshold walk."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["pattern"]


def pattern(matrix: sp.csr_array) -> sp.csr_array:
    """The stored entries of a sparse matrix as True, zeros included."""
    return sp.csr_array(
        (np.ones(matrix.nnz, bool), matrix.indices, matrix.indptr), shape=matrix.shape
    )
