"""HiGHS (through ``highspy``) under a wall-clock deadline.

HiGHS checks its time limit only between some of its steps (its presolve, feasibility jump and
cut rounds on a large model can each run for seconds past it), so it runs in a worker thread:
the caller waits until the deadline plus `GRACE_S`, and when HiGHS has not stopped by then it
keeps the best solution and the best bound HiGHS has reported through its callbacks so far.
HiGHS is told to stop at the deadline (its own time limit and an interrupt callback) and
stops on its own shortly after; its thread is a daemon and holds the only reference to it.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import sys
import threading
import time

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from .model import pass_model

__all__ = ["GRACE_S", "lp_bound", "milp"]

logger = logging.getLogger(__name__)

#: seconds past the deadline HiGHS is given to stop on its own before its last report is used
GRACE_S = 0.5
#: seconds a solver run needs at least to be worth starting
MIN_RUN_S = 0.05
#: the MILP's LPs by the interior point when candidates reach at most this many (merged)
#: communities on average, else by the simplex. The simplex stalls on the degenerate LPs of
#: sparse covering models (3,000 candidates reaching 83 each: no root LP in 30 s, the interior
#: point solves the whole MILP in 4 s); the interior point's normal equations fill up when
#: reach sets are large (10,142 candidates reaching 1,140 each: no root LP in 50 s, the simplex
#: has one in 10-20 s)
IPM_MAX_MEAN_REACH = 300
#: models with more nonzeros are neither presolved nor given HiGHS's feasibility jump: both
#: run without looking at the clock (on 10,142 candidates reaching 1,140 communities each,
#: 6.6 million nonzeros, presolve took 85 s with a 10 s limit and the feasibility jump 9-30 s);
#: the problem is reduced beforehand and the greedy gives the starting solution
LARGE_NNZ = 1_000_000


class _Watch:
    """What HiGHS reports through its callbacks, and the interrupt at the deadline."""

    def __init__(self, deadline: float, x: np.ndarray | None, objective: float):
        self.deadline = deadline
        self.x = x
        self.objective = objective
        self.dual = -math.inf

    def interrupt(self, event) -> None:
        if time.perf_counter() > self.deadline and event.data_in is not None:
            event.data_in.user_interrupt = True

    def on_mip(self, event) -> None:
        dual = event.data_out.mip_dual_bound
        if math.isfinite(dual):
            self.dual = max(self.dual, dual)
        self.interrupt(event)

    def on_solution(self, event) -> None:
        out = event.data_out
        if out.objective_function_value < self.objective:
            self.objective = out.objective_function_value
            self.x = np.array(out.mip_solution, float)


def milp(sub: sp.csr_array, weight: np.ndarray, *, add, start, deadline: float, mip_gap: float):
    """Solve the reduced problem with HiGHS from the starting sites `start`, by `deadline`.

    Returns
    -------
    dict
        ``status`` ("optimal" or "time_limit"), ``dual_bound`` (in the problem's own sense:
        an upper bound for maximal covering, a lower bound for set covering; None when unknown)
        and ``x`` (the best solution's variables, None when HiGHS has none).
    """
    import highspy

    h = _highs(highspy, mip_rel_gap=float(mip_gap), mip_lp_solver=_lp_solver(sub))
    if sub.nnz > LARGE_NNZ:
        h.setOptionValue("presolve", "off")
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    n_x = pass_model(h, sub, weight, add, integer=True)
    x = np.zeros(h.getNumCol())
    x[start] = 1.0
    if add is not None:  # y: the items the start covers
        x[n_x:][np.unique(sub[start].indices)] = 1.0
    solution = highspy.HighsSolution()
    solution.col_value = x
    solution.value_valid = True
    h.setSolution(solution)
    start_obj = float(start.size) if add is None else -math.fsum(weight[x[n_x:] > 0.5])
    watch = _Watch(deadline, x, start_obj)
    del solution
    kinds = highspy.cb.HighsCallbackType
    h.callbacks[int(kinds.kCallbackMipInterrupt)].subscribe(watch.on_mip)
    h.callbacks[int(kinds.kCallbackMipImprovingSolution)].subscribe(watch.on_solution)
    h.callbacks[int(kinds.kCallbackSimplexInterrupt)].subscribe(watch.interrupt)
    h.callbacks[int(kinds.kCallbackIpmInterrupt)].subscribe(watch.interrupt)
    sign = 1.0 if add is None else -1.0
    if not _run(h, deadline):
        logger.info("MILP: still running %.1f s after the deadline; its last report kept", GRACE_S)
        dual = watch.dual
        return {
            "status": "time_limit",
            "dual_bound": _bound(dual, add),
            "x": watch.x,
        }
    status = h.getModelStatus()
    ms = highspy.HighsModelStatus
    if status == ms.kOptimal:
        label = "optimal"
    elif status in (ms.kTimeLimit, ms.kInterrupt):
        label = "time_limit"
    else:
        msg = f"the MILP solver failed: {h.modelStatusToString(status)}"
        raise SolverError(msg)
    info = h.getInfo()
    dual = info.mip_dual_bound
    feasible = int(highspy.SolutionStatus.kSolutionStatusFeasible)
    has_x = int(info.primal_solution_status) == feasible
    logger.info(
        "MILP: %s, objective %s, bound %s", label, sign * info.objective_function_value, sign * dual
    )
    return {
        "status": label,
        "dual_bound": _bound(dual, add),
        "x": np.asarray(h.getSolution().col_value) if has_x else watch.x,
    }


def _bound(dual: float, add: int | None) -> float | None:
    """HiGHS's dual bound in the problem's own sense: a lower bound on the fewest sites, rounded
    up (a count of sites is whole), or an upper bound on the most covered."""
    if not math.isfinite(dual):
        return None
    return float(math.ceil(dual - 1e-6)) if add is None else -dual


def _lp_solver(sub: sp.csr_array) -> str:
    """The MILP's LP solver for this model (`IPM_MAX_MEAN_REACH`)."""
    mean_reach = sub.nnz / max(sub.shape[0], 1)
    return "ipm" if mean_reach <= IPM_MAX_MEAN_REACH else "simplex"


def lp_bound(sub: sp.csr_array, weight: np.ndarray, *, add, deadline: float) -> float | None:
    """The LP relaxation's optimum (HiGHS interior point), a bound on the integer optimum.

    The interior-point method, because the simplex stalls on these degenerate LPs; None when
    the LP is not solved by `deadline`.
    """
    if deadline - time.perf_counter() < MIN_RUN_S:
        return None
    import highspy

    h = _highs(highspy, solver="ipm")
    pass_model(h, sub, weight, add, integer=False)
    watch = _Watch(deadline, None, math.inf)
    kinds = highspy.cb.HighsCallbackType
    h.callbacks[int(kinds.kCallbackIpmInterrupt)].subscribe(watch.interrupt)
    h.callbacks[int(kinds.kCallbackSimplexInterrupt)].subscribe(watch.interrupt)
    if not _run(h, deadline) or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    fun = h.getInfo().objective_function_value
    return float(math.ceil(fun - 1e-6)) if add is None else -float(fun)


#: a HiGHS run left to stop on its own after its deadline (at most one: the next run waits
#: for it, within its own time, and the interpreter for all at exit)
_LEFT_RUNNING: list[threading.Thread] = []


@atexit.register
def _wait_for_highs() -> None:
    """Let a HiGHS run left past its deadline stop before the interpreter goes (HiGHS's
    threads would abort the process otherwise)."""
    while _LEFT_RUNNING:
        _LEFT_RUNNING.pop().join()


def _run(h, deadline: float) -> bool:
    """Run HiGHS in a worker thread until done or `deadline` + `GRACE_S`; True when done."""
    while _LEFT_RUNNING:
        _LEFT_RUNNING.pop().join(max(deadline - time.perf_counter(), 0.0))
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), MIN_RUN_S))
    done = threading.Event()

    def work() -> None:
        try:
            h.run()
        finally:
            done.set()
            late = time.perf_counter() - deadline
            if late > GRACE_S:
                logger.info("HiGHS stopped %.1f s after its deadline", late)

    worker = threading.Thread(target=work, name="circle-highs", daemon=True)
    worker.start()
    if done.wait(max(deadline - time.perf_counter(), 0.0) + GRACE_S):
        return True
    _LEFT_RUNNING.append(worker)
    return False


def _highs(highspy, **options):
    """A silent `highspy.Highs` with `options`."""
    h = _quiet(highspy)
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def _quiet(highspy):
    """``highspy.Highs()`` without the banner HiGHS prints on the process's stdout the first
    time (it would spoil ``--format json`` there)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 to silence
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
