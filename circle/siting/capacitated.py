"""Capacitated maximal covering: K new sites, each serving at most its capacity, that bring the
most demand within the circle and within a centre's capacity.

Every community is served whole by one centre within the circle or not at all (single
sourcing, as spopt's capacitated models assign): existing centres have the capacity of their
capacity column and stay open; a new site gets the capacity the user gives. Counted: all the
demand served, by existing centres and new sites (the existing centres may be full already).

    max  sum_fi w_i y_fi   s.t.  sum_f y_fi <= 1,  sum_i w_i y_fi <= cap_f x_f,
         x_f = 1 for existing centres,  sum_candidates x <= K,  x, y binary

over the pairs within the circle. Solved with HiGHS (`scipy.optimize.milp`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from .pmedian import run_milp

__all__ = ["CapacitatedSolution", "capacitated_covering"]


@dataclass(frozen=True)
class CapacitatedSolution:
    """Chosen candidates (positions), demand served, and who serves each community (-1: none;
    existing centres first, then candidates, as in the stacked reach)."""

    sites: list[int]
    served: float
    server: np.ndarray
    status: str


def capacitated_covering(
    reach_existing: sp.csr_array,
    reach_candidates: sp.csr_array,
    capacity_existing: np.ndarray,
    capacity_new: float,
    weight: np.ndarray,
    k: int,
    *,
    time_limit_s: float = 60.0,
) -> CapacitatedSolution:
    """Solve the capacitated maximal covering problem.

    Parameters
    ----------
    reach_existing, reach_candidates
        Existing centres x communities and candidates x communities: pairs within the circle
        (stored entries).
    capacity_existing
        Capacity of each existing centre (in demand units: people it can serve).
    capacity_new
        Capacity of every new site.
    weight
        Demand of each community (NaN counts 0; communities with 0 are left out).
    k
        Number of new sites.
    time_limit_s
        HiGHS time limit.
    """
    e, m = reach_existing.shape
    n = reach_candidates.shape[0]
    w = np.nan_to_num(np.asarray(weight, float), nan=0.0)
    stacked = sp.coo_array(sp.vstack([reach_existing, reach_candidates]))
    keep = w[stacked.col] > 0
    fac, comm = stacked.row[keep].astype(np.int64), stacked.col[keep].astype(np.int64)
    p = fac.size
    nv = e + n + p
    rows = np.arange(p)
    one = sp.csr_array((np.ones(p), (comm, e + n + rows)), shape=(m, nv))
    caps = np.r_[np.asarray(capacity_existing, float), np.full(n, float(capacity_new))]
    load = sp.csr_array(
        (np.r_[w[comm], -caps], (np.r_[fac, np.arange(e + n)], np.r_[e + n + rows,
                                                                      np.arange(e + n)])),
        shape=(e + n, nv),
    )
    count = sp.csr_array(np.r_[np.zeros(e), np.ones(n), np.zeros(p)][None, :])
    A = sp.vstack([one, load, count], format="csr")
    ub = np.r_[np.ones(m), np.zeros(e + n), float(k)]
    lower = np.r_[np.ones(e), np.zeros(n + p)]
    res = run_milp(np.r_[np.zeros(e + n), -w[comm]], A, ub, np.ones(nv), lower, 1.0,
                   time_limit_s)
    if res.x is None:
        msg = f"the MILP solver found no solution: {res.message}"
        raise SolverError(msg)
    sites = sorted(np.flatnonzero(res.x[e : e + n] > 0.5).tolist())
    server = np.full(m, -1, np.int64)
    used = res.x[e + n :] > 0.5
    server[comm[used]] = fac[used]
    served = float(w[comm[used]].sum())
    return CapacitatedSolution(sites, served, server, "optimal" if res.status == 0 else "time_limit")
