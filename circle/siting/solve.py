"""Choosing the sites: the lazy greedy, cheap bounds on the optimum, and the exact MILP (HiGHS).

The whole solve keeps to one time limit: the greedy runs first, its own bounds cost one sparse
product, the optional LP bound and the MILP get what is left of the limit (HiGHS stops itself
at its time limit and is interrupted by a callback at the deadline otherwise), and the answer
is the best solution with the tightest bound known when time runs out. The greedy's solution is
the MILP's starting incumbent, and the MILP stops once its gap is within `mip_gap`; the MILP is
not run at all when the cheap bounds already prove the greedy within `mip_gap`.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp

from . import highs
from .greedy import covered_by, lazy_greedy
from .model import reduce_problem
from .reach import select_columns

__all__ = ["gap", "solve"]

logger = logging.getLogger(__name__)


def solve(
    A, values, *, add, cover_all, solver, time_limit_s, mip_gap=0.0, lp_bound=False, start=None
):
    """Choose sites within `time_limit_s` seconds; returns (candidate positions, solver report).

    `start` (maximal covering only): a known solution of at most `add` sites, e.g. the previous
    K's sites plus one (the coverage curve's warm start). When it covers strictly more than the
    greedy it is the incumbent the MILP starts from (``solution_from`` "start"), and its own
    submodularity bound joins the greedy's.
    """
    deadline = time.perf_counter() + time_limit_s
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
        "mip_gap": float(mip_gap),
        "bound_from": None,
    }
    # only items that count: every coverable one for set covering, weight > 0 for maximal covering
    if A.nnz == 0 or not (cover_all or (weight[A.indices] > 0).any()):
        info.update(status="nothing to cover", bound=0.0, gap=0.0, greedy_gap=0.0)
        return greedy, info
    bounds = greedy_bounds(A, weight, greedy, greedy_obj, add=add, cover_all=cover_all)
    incumbent = greedy
    if start is not None and not cover_all and len(start) <= add:
        start = sorted(int(j) for j in start)
        start_obj = objective(start)
        if start_obj > greedy_obj:  # strictly better: on a tie the greedy's choice stays
            incumbent = start
            info.update(objective=start_obj, solution_from="start")
            own = greedy_bounds(A, weight, start, start_obj, add=add, cover_all=False)[0][0]
            bounds.append((own, "submodularity (start)"))
    useful = np.flatnonzero(
        np.bincount(A.indices, minlength=A.shape[1]) if cover_all else weight > 0
    )
    reduced = None
    if lp_bound or solver == "milp":
        reduced = reduce_problem(select_columns(A, useful), weight[useful])
    if lp_bound:
        bounds.append((highs.lp_bound(*reduced[::2], add=add, deadline=deadline), "lp"))
    chosen = incumbent
    bound, info["bound_from"] = _tightest(bounds, cover_all)
    status = "greedy"
    if solver == "milp":
        proven = gap(info["objective"], bound)
        if proven is not None and proven <= mip_gap:  # the cheap bounds suffice
            status = "optimal" if proven == 0 else "within_gap"
        elif _left(deadline) > highs.MIN_RUN_S:
            chosen, bound, status = _run_milp(
                reduced, A, incumbent, bounds, info, objective, deadline, add=add, mip_gap=mip_gap
            )
        else:
            status = "time_limit"
    info.update(status=status, bound=bound, gap=gap(info["objective"], bound))
    info["greedy_gap"] = gap(greedy_obj, bound)
    return chosen, info


def _run_milp(reduced, A, incumbent, bounds, info, objective, deadline, *, add, mip_gap):
    """The MILP from the incumbent (the greedy's sites, or a better `solve` start); returns
    (sites, bound, status) and updates `info`."""
    cover_all = add is None
    sub, kept, w_sub = reduced
    start = _reduced_start(A, kept, incumbent)
    res = highs.milp(sub, w_sub, add=add, start=start, deadline=deadline, mip_gap=mip_gap)
    if res["dual_bound"] is not None:
        bounds.append((res["dual_bound"], "milp"))
    bound, info["bound_from"] = _tightest(bounds, cover_all)
    chosen = incumbent
    if res["x"] is not None:
        milp_sites = kept[res["x"][: kept.size] > 0.5].tolist()
        milp_obj = objective(milp_sites)
        # strictly better only: on a tie the incumbent (the greedy's rule-based choice) stays
        better = milp_obj < info["objective"] if cover_all else milp_obj > info["objective"]
        if better:
            chosen, info["solution_from"], info["objective"] = milp_sites, "milp", milp_obj
    status = res["status"]
    if status == "optimal" and gap(info["objective"], bound) != 0:
        status = "within_gap"
    return chosen, bound, status


def greedy_bounds(A, weight, greedy, greedy_obj, *, add, cover_all) -> list:
    """Bounds on the optimum that cost no more than one sparse product: (value, source) pairs.

    Maximal covering (upper bounds): submodularity, the greedy's value plus the ``add`` largest
    gains still open; and the greedy's guarantee, value / (1 - (1 - 1/K)^K) for K = ``add``.
    Set covering (lower bounds): the items to cover over the most one site covers, and the
    greedy's guarantee, its count / H(that most), both rounded up.
    """
    if not cover_all:
        gains = A @ np.where(covered_by(A, greedy), 0.0, weight)
        out = [(greedy_obj + math.fsum(np.sort(gains)[::-1][:add]), "submodularity")]
        if len(greedy) == add:  # else the greedy stopped with nothing left to gain
            out.append((greedy_obj / (1.0 - (1.0 - 1.0 / add) ** add), "greedy guarantee"))
        return out
    items = int(np.count_nonzero(np.bincount(A.indices, minlength=A.shape[1])))
    most = int(np.diff(A.indptr).max())
    harmonic = math.fsum(1.0 / i for i in range(1, most + 1))
    return [
        (float(math.ceil(items / most - 1e-9)), "covering count"),
        (float(math.ceil(greedy_obj / harmonic - 1e-9)), "greedy guarantee"),
    ]


def _reduced_start(A: sp.csr_array, kept: np.ndarray, sites: list) -> np.ndarray:
    """The starting sites as reduced candidates (a dropped twin is replaced by its kept one; a
    site whose pattern no kept candidate has is left out: fewer sites are still a start)."""
    rows = {A.indices[A.indptr[j] : A.indptr[j + 1]].tobytes(): i for i, j in enumerate(kept)}
    found = (rows.get(A.indices[A.indptr[j] : A.indptr[j + 1]].tobytes()) for j in sites)
    return np.array(sorted({i for i in found if i is not None}), np.int64)


def gap(objective: float, bound: float | None) -> float | None:
    """Relative gap |bound - objective| / |objective| (HiGHS's definition)."""
    if bound is None:
        return None
    if objective == 0:
        return 0.0 if abs(bound) < 1e-9 else None
    return max(0.0, abs(bound - objective) / abs(objective))


def _tightest(bounds, cover_all: bool) -> tuple[float | None, str | None]:
    """The tightest of the known bounds: the largest lower bound, or the smallest upper bound."""
    known = [(b, s) for b, s in bounds if b is not None]
    if not known:
        return None, None
    pick = max if cover_all else min
    return pick(known, key=lambda bs: bs[0])


def _left(deadline: float) -> float:
    return deadline - time.perf_counter()
