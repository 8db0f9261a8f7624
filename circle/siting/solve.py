"""Choosing the sites: the exact MILP (HiGHS), the lazy greedy, and the bounds on the optimum."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from .greedy import covered_by, lazy_greedy
from .model import model, reduce_problem

__all__ = ["gap", "solve"]


def solve(A, values, *, add, cover_all, solver, time_limit_s):
    """Choose sites; returns (candidate positions, solver report)."""
    weight = values[0]

    def objective(sites) -> float:
        return float(len(sites)) if cover_all else math.fsum(weight[covered_by(A, sites)])

    greedy = [j for j, _ in lazy_greedy(A, values, limit=math.inf if cover_all else add)]
    greedy_obj = objective(greedy)
    info = {
        "method": solver,
        "problem": "set covering" if cover_all else "maximal covering",
        "status": None,
        "objective": greedy_obj,
        "bound": None,
        "gap": None,
        "greedy_objective": greedy_obj,
        "greedy_gap": None,
        "solution_from": "greedy",
        "time_limit_s": float(time_limit_s),
    }
    # only items that count: every coverable one for set covering, weight > 0 for maximal covering
    useful = np.flatnonzero(np.diff(A.tocsc().indptr) if cover_all else weight > 0)
    if A[:, useful].nnz == 0:
        info.update(status="nothing to cover", bound=0.0, gap=0.0, greedy_gap=0.0)
        return greedy, info
    sub, kept, w_sub = reduce_problem(A[:, useful].tocsr(), weight[useful])

    def greedy_bound() -> float | None:
        """The tightest bound without the MILP: LP relaxation, and submodularity for add=K."""
        bounds = [_lp_bound(sub, w_sub, add=add, time_limit_s=time_limit_s)]
        if not cover_all:
            # optimum <= f(S) + the K largest gains with respect to the greedy's sites S
            gains = A @ np.where(covered_by(A, greedy), 0.0, weight)
            bounds.append(greedy_obj + math.fsum(np.sort(gains)[::-1][:add]))
        return _tightest(bounds, cover_all)

    if solver == "greedy":
        bound = greedy_bound()
        info.update(status="greedy", bound=bound, gap=gap(greedy_obj, bound))
        info["greedy_gap"] = info["gap"]
        return greedy, info

    res = _milp(sub, w_sub, add=add, time_limit_s=time_limit_s)
    if res.status not in (0, 1):
        msg = f"the MILP solver failed: {res.message}"
        raise SolverError(msg)
    sign = 1.0 if cover_all else -1.0
    bound = None
    if res.mip_dual_bound is not None and math.isfinite(res.mip_dual_bound):
        bound = sign * res.mip_dual_bound
    elif res.status == 0:
        bound = sign * res.fun
    if res.status != 0:  # stopped early: the LP or the greedy may give a tighter bound
        bound = _tightest([bound, greedy_bound()], cover_all)
    chosen = greedy
    if res.x is not None:
        milp_sites = kept[res.x[: kept.size] > 0.5].tolist()
        milp_obj = objective(milp_sites)
        # strictly better only: on a tie the greedy's rule-based choice (smaller ids) stays
        better = milp_obj < greedy_obj if cover_all else milp_obj > greedy_obj
        if better:
            chosen, info["solution_from"], info["objective"] = milp_sites, "milp", milp_obj
    info["status"] = "optimal" if res.status == 0 else "time_limit"
    info["bound"] = bound
    info["gap"] = gap(info["objective"], bound)
    info["greedy_gap"] = gap(greedy_obj, bound)
    return chosen, info


def gap(objective: float, bound: float | None) -> float | None:
    """Relative gap |bound - objective| / |objective| (HiGHS's definition)."""
    if bound is None:
        return None
    if objective == 0:
        return 0.0 if abs(bound) < 1e-9 else None
    return max(0.0, abs(bound - objective) / abs(objective))


def _tightest(bounds, cover_all: bool) -> float | None:
    """The tightest of the known bounds: the largest lower bound, or the smallest upper bound."""
    known = [b for b in bounds if b is not None]
    if not known:
        return None
    return max(known) if cover_all else min(known)


def _milp(sub: sp.csr_array, weight: np.ndarray, *, add, time_limit_s: float):
    """Solve the reduced problem exactly with HiGHS (scipy.optimize.milp)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    c, A_ub, b_ub, n_x = model(sub, weight, add)
    return milp(
        c,
        constraints=LinearConstraint(A_ub, lb=-np.inf, ub=b_ub),
        integrality=np.r_[np.ones(n_x), np.zeros(c.size - n_x)],
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "disp": False},
    )


def _lp_bound(sub: sp.csr_array, weight: np.ndarray, *, add, time_limit_s: float):
    """The LP relaxation's optimum (HiGHS interior point), a bound on the integer optimum.

    The interior-point method, because the simplex stalls on these degenerate LPs; None when
    the LP is not solved within the time limit.
    """
    from scipy.optimize import linprog

    c, A_ub, b_ub, _ = model(sub, weight, add)
    lp = linprog(
        c,
        A_ub=A_ub,
        b_ub=b_ub,
        bounds=(0.0, 1.0),
        method="highs-ipm",
        options={"time_limit": float(time_limit_s)},
    )
    if lp.status != 0:
        return None
    return float(math.ceil(lp.fun - 1e-6)) if add is None else -float(lp.fun)
