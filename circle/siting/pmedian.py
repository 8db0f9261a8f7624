"""p-median: the K new sites that minimise the total population-weighted walk to the nearest
centre, the existing centres staying open.

Walks are capped at the search limit ``cap_m`` (a community no centre reaches within it counts
``cap_m``), so the problem is the classic p-median on the cost matrix ``min(walk, cap_m)``: the
formulation here keeps only the pairs that improve on a community's walk to the existing
centres (``gain = base - walk > 0``), which gives the same optimum with far fewer variables:

    max  sum_ij w_i g_ij z_ij   s.t.  sum_j z_ij <= 1,  z_ij <= x_j,  sum_j x_j <= K,  x binary

(total walk = sum_i w_i base_i - that maximum). Solved with HiGHS (`scipy.optimize.milp`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError

__all__ = ["AssignmentSolution", "improving_pairs", "p_median", "run_milp", "walks_after"]


@dataclass(frozen=True)
class AssignmentSolution:
    """The sites chosen by an assignment model and what they achieve.

    Attributes
    ----------
    sites
        Positions of the chosen candidates, ascending.
    objective
        The model's objective (total weighted walk, longest walk, or demand served).
    walk_m
        Each community's walk after (capped; NaN where not counted).
    status, gap
        Solver status ("optimal" or "time_limit") and relative gap to the bound.
    """

    sites: list[int]
    objective: float
    walk_m: np.ndarray
    status: str
    gap: float | None


def improving_pairs(reach: sp.csr_array, base: np.ndarray, cap_m: float):
    """(candidate, community, gain) of every pair whose walk beats the community's base walk.

    Parameters
    ----------
    reach
        Candidates x communities walk metres within the search limit (stored entries).
    base
        Each community's walk to the existing centres, capped at `cap_m`.
    cap_m
        The cap.
    """
    coo = sp.coo_array(reach)
    walk = np.minimum(coo.data, cap_m)
    gain = base[coo.col] - walk
    keep = gain > 1e-9
    return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), gain[keep]


def p_median(
    reach: sp.csr_array,
    base: np.ndarray,
    weight: np.ndarray,
    k: int,
    *,
    cap_m: float,
    time_limit_s: float = 60.0,
) -> AssignmentSolution:
    """Choose up to `k` candidates minimising the total weighted (capped) walk.

    Parameters
    ----------
    reach
        Candidates x communities walk metres within the search limit.
    base
        Each community's walk to the existing centres (inf or NaN: none within the limit).
    weight
        Population (or key-group demand) of each community; NaN counts 0.
    k
        Number of new sites.
    cap_m
        Walks are capped here (the search limit).
    time_limit_s
        HiGHS time limit.

    Returns
    -------
    AssignmentSolution
        ``objective``: total weighted walk, metres x people.
    """
    n, m = reach.shape
    base = np.minimum(np.nan_to_num(np.asarray(base, float), nan=cap_m, posinf=cap_m), cap_m)
    w = np.nan_to_num(np.asarray(weight, float), nan=0.0)
    cand, comm, gain = improving_pairs(reach, base, cap_m)
    p = cand.size
    rows = np.arange(p)
    # z_ij - x_j <= 0 ; sum_j z_ij <= 1 ; sum x <= k
    link = sp.csr_array(
        (np.r_[np.ones(p), -np.ones(p)], (np.r_[rows, rows], np.r_[n + rows, cand])),
        shape=(p, n + p),
    )
    one = sp.csr_array((np.ones(p), (comm, n + rows)), shape=(m, n + p))
    count = sp.csr_array(np.r_[np.ones(n), np.zeros(p)][None, :])
    A = sp.vstack([link, one, count], format="csr")
    ub = np.r_[np.zeros(p), np.ones(m), float(k)]
    c = np.r_[np.zeros(n), -w[comm] * gain]
    res = run_milp(c, A, ub, np.r_[np.ones(n), np.zeros(p)], 0.0, 1.0, time_limit_s)
    sites = _sites(res, n)
    walk = walks_after(reach, base, sites, cap_m)
    total = float(np.dot(w, walk))
    return AssignmentSolution(sites, total, walk, _status(res), _gap(res, total, -np.dot(w, base)))


def run_milp(c, A, ub, integrality, lower, upper, time_limit_s: float):
    """``min c @ v`` s.t. ``A @ v <= ub``, bounds, integrality: HiGHS through scipy, solved
    exactly (gap 0) within the time limit; once more without presolve when HiGHS reports a
    solve error (its presolve fails on some degenerate instances)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    options = {"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "disp": False}
    args = {
        "constraints": LinearConstraint(A, lb=-np.inf, ub=ub),
        "integrality": integrality,
        "bounds": Bounds(lower, upper),
    }
    res = milp(c, **args, options=options)
    if res.status == 4:
        res = milp(c, **args, options={**options, "presolve": False})
    return res


def walks_after(reach: sp.csr_array, base: np.ndarray, sites: list[int], cap_m: float):
    """Each community's capped walk to the nearest of the existing centres and `sites`."""
    walk = base.copy()
    if sites:
        sub = sp.csr_array(reach)[sites].tocsc()
        for i in range(sub.shape[1]):
            col = sub.data[sub.indptr[i] : sub.indptr[i + 1]]
            if col.size:
                walk[i] = min(walk[i], float(np.minimum(col, cap_m).min()))
    return walk


def _sites(res, n: int) -> list[int]:
    if res.x is None:
        msg = f"the MILP solver found no solution: {res.message}"
        raise SolverError(msg)
    return sorted(np.flatnonzero(res.x[:n] > 0.5).tolist())


def _status(res) -> str:
    return "optimal" if res.status == 0 else "time_limit"


def _gap(res, objective: float, offset: float) -> float | None:
    """Relative gap of a minimisation whose MILP objective is ``objective + offset``."""
    bound = getattr(res, "mip_dual_bound", None)
    if res.status == 0:
        return 0.0
    if bound is None or not np.isfinite(bound) or objective == 0:
        return None
    return max(0.0, (objective - (bound - offset)) / abs(objective))
