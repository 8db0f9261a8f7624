"""p-center: the K new sites that minimise the longest walk of any resident to the nearest
centre, the existing centres staying open.

Counted: the communities with residents (weight > 0) that some centre or candidate reaches
within the search limit ``cap_m`` (the others cannot be helped and are reported apart). Walks
are capped at ``cap_m``. Formulation on the improving pairs (`circle.siting.pmedian`):

    min D   s.t.  D >= base_i - sum_j g_ij z_ij,  sum_j z_ij <= 1,  z_ij <= x_j,  sum x <= K

(for integral x the best z puts the whole assignment on the nearest open site, so z may stay
continuous). Solved with HiGHS (`scipy.optimize.milp`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .pmedian import (
    AssignmentSolution,
    _sites,
    _status,
    improving_pairs,
    run_milp,
    walks_after,
)

__all__ = ["counted_communities", "p_center"]


def counted_communities(reach: sp.csr_array, base: np.ndarray, weight: np.ndarray, cap_m: float):
    """Communities a p-center counts: residents, and some centre or candidate within `cap_m`."""
    w = np.nan_to_num(np.asarray(weight, float), nan=0.0)
    reached = np.isfinite(base) & (base <= cap_m)
    reached |= np.diff(sp.csr_array(reach).tocsc().indptr) > 0
    return (w > 0) & reached


def p_center(
    reach: sp.csr_array,
    base: np.ndarray,
    weight: np.ndarray,
    k: int,
    *,
    cap_m: float,
    time_limit_s: float = 60.0,
) -> AssignmentSolution:
    """Choose up to `k` candidates minimising the longest (capped) walk of a counted community.

    Parameters are those of `circle.siting.pmedian.p_median`.

    Returns
    -------
    AssignmentSolution
        ``objective``: the longest walk, metres; ``walk_m`` NaN for communities not counted.
    """
    n, m = reach.shape
    counted = counted_communities(reach, np.asarray(base, float), weight, cap_m)
    base = np.minimum(np.nan_to_num(np.asarray(base, float), nan=cap_m, posinf=cap_m), cap_m)
    cand, comm, gain = improving_pairs(reach, base, cap_m)
    on = counted[comm]
    cand, comm, gain = cand[on], comm[on], gain[on]
    p = cand.size
    rows = np.arange(p)
    idx = np.flatnonzero(counted)
    # variables: x (n), z (p), D (1)
    link = sp.csr_array(
        (np.r_[np.ones(p), -np.ones(p)], (np.r_[rows, rows], np.r_[n + rows, cand])),
        shape=(p, n + p + 1),
    )
    one = sp.csr_array((np.ones(p), (comm, n + rows)), shape=(m, n + p + 1))[idx]
    # -D - sum_j g_ij z_ij <= -base_i
    pos = np.searchsorted(idx, comm)
    far = sp.csr_array(
        (np.r_[-gain, -np.ones(idx.size)],
         (np.r_[pos, np.arange(idx.size)], np.r_[n + rows, np.full(idx.size, n + p)])),
        shape=(idx.size, n + p + 1),
    )
    count = sp.csr_array(np.r_[np.ones(n), np.zeros(p + 1)][None, :])
    A = sp.vstack([link, one, far, count], format="csr")
    ub = np.r_[np.zeros(p), np.ones(idx.size), -base[idx], float(k)]
    c = np.r_[np.zeros(n + p), 1.0]
    upper = np.r_[np.ones(n + p), cap_m]
    res = run_milp(c, A, ub, np.r_[np.ones(n), np.zeros(p + 1)], 0.0, upper, time_limit_s)
    sites = _sites(res, n)
    walk = walks_after(reach, base, sites, cap_m)
    longest = float(walk[counted].max()) if counted.any() else 0.0
    walk = np.where(counted, walk, np.nan)
    gap = 0.0 if res.status == 0 else None
    return AssignmentSolution(sites, longest, walk, _status(res), gap)
