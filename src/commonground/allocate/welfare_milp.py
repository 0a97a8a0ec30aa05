"""Exact integer optima of the welfare model, with an honest bound and a time limit that holds.

:func:`solve` is the entry point. A min-cost-flow model is one LP solve (integral vertex). Otherwise:

1. **LP relaxation** by column generation (:func:`commonground.allocate.welfare_lp.solve_lp`), whose duals give
   a *verified* Lagrangian bound ``L`` and every arc's reduced cost ``d``;
2. **incumbent**: the LP's integral part (counts rounded down keep every ≤ row), completed by a small MILP over
   the households, flats and cap places it leaves free ("fix and complete"); the ballot's assignment competes;
3. **reduced-cost fixing**: any assignment using an arc with ``L + d_j > incumbent`` is worse than the incumbent
   (weak duality), so such arcs are dropped; when many are left, a quick MILP over the most promising of them
   polishes the incumbent and fixing is redone;
4. **branch and cut** (HiGHS) on the arcs left, started from the incumbent.

All costs are divided by the model's ``scale`` so tolerances act relative to the utilities; ``exact`` is true
only when ``bound − objective ≤ MIP_REL_GAP × |objective|``, and the reported bound is never below the
objective. ``time_limit`` covers the whole call: every phase gets what is left of it, and the branch and cut
runs in HiGHS's own thread, cancelled at the deadline (and abandoned if it does not stop within ``GRACE`` s),
so the call returns by ``time_limit`` plus a few seconds with its best assignment.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from commonground.allocate.welfare_lp import (
    INT_TOL,
    LinearProgram,
    arc_lp,
    highs_model,
    lagrangian_bound,
    network_lp,
    quiet_highs,
    solve_lp,
)
from commonground.allocate.welfare_model import Model, fill_tiers, objective

#: Relative optimality gap that counts as proven optimal (HiGHS's default 1e-4 would not be exact).
MIP_REL_GAP = 1e-9
#: Seconds a cancelled HiGHS run gets to stop before its result is given up.
GRACE = 2.0

#: Solvers given up at a deadline while their thread still runs. Destroying a Highs object whose solve thread is
#: running aborts the process (std::terminate), at garbage collection or at interpreter exit, so each one is kept
#: alive for the life of the process (its reference is held here and deliberately never released), and a process
#: that still has one running when it ends leaves through :func:`exit_now` instead of the interpreter's teardown.
_ABANDONED: list[highspy.Highs] = []

#: Exit status of a process that ended normally with an abandoned solver still running (see :func:`exit_now`).
ABANDONED_EXIT = 0


def _abandon(h: highspy.Highs) -> None:
    """Keep ``h`` from ever being destroyed, and make the process end without tearing it down."""
    if not _ABANDONED:
        atexit.register(exit_now)
    _ABANDONED.append(h)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(h))


def solvers_running() -> bool:
    """Whether a solver given up at its deadline is still running in this process."""
    return any(not h.wait(0.0)[0] for h in _ABANDONED)


def exit_now(code: int = ABANDONED_EXIT) -> None:
    """If an abandoned solver still runs, flush and end the process at once with ``code`` (the interpreter's own
    teardown would destroy HiGHS's threads mid-run and abort); otherwise return and let the exit proceed."""
    if _ABANDONED and solvers_running():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


#: Above this many arcs left after fixing, a quick MILP over the most promising quarter polishes the incumbent.
#: Below it one branch and cut over all the arcs left is faster than polish + proof (40 Benabbou instances, one
#: run: every instance with arcs left was as fast or faster without the polish at up to ~10,000 arcs).
POLISH_ARCS = 20_000
#: Arcs a "fix and complete" sub-MILP may have.
COMPLETE_ARCS = 200_000


@dataclass(eq=False)
class Solution:
    counts: np.ndarray       # (A,) households per arc
    objective: float         # welfare of counts (utility units)
    bound: float             # proven upper bound on the optimum (≥ objective)
    gap: float               # (bound − objective) / |objective|
    status: str
    method: str
    exact: bool
    seconds: float
    info: dict = field(default_factory=dict)


def solve(model: Model, *, integer: bool | None = None, time_limit: float = 600.0,
          start: np.ndarray | None = None, threads: int | None = None, pricing: bool | None = None) -> Solution:
    """Solve with HiGHS: the LP when the model is a network (integral vertex), else the MILP (module docstring).

    ``start``: a feasible count per arc (e.g. from the ballot), a first incumbent. ``pricing``: solve the LP by
    column generation (default: when there are many arcs); exact by LP duality.
    """
    t0 = time.perf_counter()
    deadline = t0 + max(float(time_limit), 0.0)
    A = model.n_arcs
    if integer is None:
        integer = not model.network
    if pricing is None:
        pricing = A > 50_000
    if A == 0:
        return Solution(np.zeros(0, np.int64), 0.0, 0.0, 0.0, "Optimal", "trivial (no acceptable flat)", True,
                        time.perf_counter() - t0)
    if not integer and model.network:
        counts, res = network_lp(model, deadline=deadline, threads=threads, pricing=pricing)
        if counts is not None and res.optimal:
            obj = objective(model, counts)
            return Solution(counts=counts, objective=obj, bound=obj, gap=0.0, status="Optimal",
                            method="min-cost flow (network LP, HiGHS simplex: integral vertex)", exact=True,
                            seconds=time.perf_counter() - t0,
                            info={"simplex_iterations": res.iterations, "pricing_rounds": res.rounds})
        if counts is None and res.optimal:
            # Should not happen for a network; be safe rather than wrong.
            sol = solve(model, integer=True, time_limit=deadline - time.perf_counter(), threads=threads)
            sol.info["lp_fractional"] = True
            return sol
        # Out of time in the LP: the warm start (if any) with the best bound at hand.
        counts = start.astype(np.int64) if start is not None and feasible(model, start) else np.zeros(A, np.int64)
        obj = objective(model, counts)
        bound = max(-res.bound * model.scale if np.isfinite(res.bound) else _best_arc_bound(model), obj)
        return Solution(counts=counts, objective=obj, bound=bound, gap=(bound - obj) / max(abs(obj), 1e-300),
                        status="Time limit reached", method="min-cost flow (network LP, HiGHS simplex: not finished)",
                        exact=bound - obj <= MIP_REL_GAP * abs(obj), seconds=time.perf_counter() - t0,
                        info={"simplex_iterations": res.iterations, "pricing_rounds": res.rounds})
    return _branch_and_bound(model, deadline, t0, start, threads, pricing, integer)


def _best_arc_bound(model: Model) -> float:
    """Welfare bound without any LP: every household on its best arc."""
    best = np.zeros(len(model.group_rep))
    np.maximum.at(best, model.arc_g, model.arc_value())
    return float(best @ model.group_size)


def _branch_and_bound(model: Model, deadline: float, t0: float, start: np.ndarray | None, threads: int | None,
                      pricing: bool, integer: bool) -> Solution:
    lp = arc_lp(model)
    A, S = model.n_arcs, model.scale
    res = solve_lp(lp, priced=A if pricing else 0, group=np.asarray(model.arc_g), score=model.arc_value(),
                   deadline=deadline, threads=threads)
    facts: dict = {"pricing_rounds": res.rounds}
    bound_min = res.bound if np.isfinite(res.bound) else _trivial_bound(model, lp)
    facts["lp_bound"] = -bound_min * S
    if not integer:
        # An LP relaxation asked for explicitly on a non-network model: report it as it is.
        counts = np.rint(res.x[:A]).astype(np.int64)
        obj = objective(model, counts)
        return Solution(counts=counts, objective=obj, bound=max(-bound_min * S, obj), gap=0.0,
                        status=res.status, method="LP relaxation (HiGHS simplex)", exact=False,
                        seconds=time.perf_counter() - t0, info=facts)
    # Incumbent: the ballot, and the LP's integral part completed by a small MILP.
    best = np.zeros(A, dtype=np.int64)
    if start is not None and feasible(model, start):
        best = start.astype(np.int64)
    floor = np.floor(res.x[:A] + INT_TOL).astype(np.int64)
    if feasible(model, floor):
        if _gap(model, floor, bound_min) > MIP_REL_GAP and time.perf_counter() < deadline:
            floor = _complete(model, lp, floor, res.reduced[:A], deadline, threads)
        if objective(model, floor) > objective(model, best):
            best = floor
    facts["incumbent_welfare"] = objective(model, best)
    nodes, status = 0, "Optimal"
    milp_bound = -np.inf          # min form, over the arcs kept
    if _gap(model, best, bound_min) > MIP_REL_GAP and time.perf_counter() < deadline:
        z_inc = -objective(model, best) / S
        slack = z_inc - bound_min
        keep = (res.reduced[:A] <= slack + 1e-9 * max(1.0, abs(z_inc))) | (best > 0)
        if keep.sum() > POLISH_ARCS:
            # Polish first: the best assignment over the arcs of smallest reduced cost (a quarter of the slack)
            # is found fast and, being closer to the bound, shrinks the set the proof must branch over.
            few = np.flatnonzero((res.reduced[:A] <= slack / 4) | (best > 0))
            budget = min(deadline, time.perf_counter() + 0.25 * (deadline - time.perf_counter()))
            x, _, _, _ = run_milp(lp, np.r_[few, A + np.arange(len(model.classes.tier_class))], len(few),
                                  np.r_[best[few], fill_tiers(model, best)], budget, threads)
            if x is not None:
                got = np.rint(x[:A]).astype(np.int64)
                if feasible(model, got) and objective(model, got) > objective(model, best):
                    best = got
                    facts["polished_welfare"] = objective(model, best)
            z_inc = -objective(model, best) / S
            slack = z_inc - bound_min
            keep = (res.reduced[:A] <= slack + 1e-9 * max(1.0, abs(z_inc))) | (best > 0)
        facts["arcs_after_fixing"] = int(keep.sum())
        fixed_against = objective(model, best)        # no assignment using a dropped arc beats this
        arcs = np.flatnonzero(keep)
        cols = np.r_[arcs, A + np.arange(len(model.classes.tier_class))]
        x, milp_bound, status, nodes = run_milp(lp, cols, len(arcs), np.r_[best[arcs], fill_tiers(model, best)],
                                                deadline, threads)
        if x is not None:
            got = np.rint(x[:A]).astype(np.int64)
            if feasible(model, got) and objective(model, got) > objective(model, best):
                best = got
    else:
        facts["arcs_after_fixing"] = 0 if _gap(model, best, bound_min) <= MIP_REL_GAP else None
    obj = objective(model, best)
    # Bound (max form): the LP's; within the kept arcs HiGHS's, outside them nothing beats the incumbent.
    bound = -bound_min * S
    if np.isfinite(milp_bound):
        bound = min(bound, max(-milp_bound * S, fixed_against))
    bound = max(bound, obj)
    gap = (bound - obj) / max(abs(obj), 1e-300) if bound > obj else 0.0
    exact = gap <= MIP_REL_GAP
    if exact:
        status = "Optimal"
    elif time.perf_counter() >= deadline:
        status = "Time limit reached"
    elif status == "Optimal":
        status = "Gap not closed"
    return Solution(counts=best, objective=obj, bound=bound, gap=gap, status=status,
                    method="aggregated MILP (LP column generation, fix-and-complete, reduced-cost fixing, "
                           "HiGHS branch-and-cut)", exact=exact, seconds=time.perf_counter() - t0,
                    info={"nodes": nodes, **facts})


def _trivial_bound(model: Model, lp: LinearProgram) -> float:
    """A bound without the LP (it ran out of time): each group's households at most their best arc each — the
    Lagrangian bound with each group row priced at its best arc's (scaled) utility."""
    G = len(model.group_rep)
    best = np.zeros(G)
    np.maximum.at(best, model.arc_g, model.arc_value() / model.scale)
    y = np.zeros(lp.M.shape[0])
    y[:G] = -best
    return lagrangian_bound(lp, y)[2]


def _gap(model: Model, counts: np.ndarray, bound_min: float) -> float:
    """Relative gap between ``counts``' welfare and the (min-form, scaled) bound."""
    obj = objective(model, counts)
    return max(-bound_min * model.scale - obj, 0.0) / max(abs(obj), 1e-300)


def feasible(model: Model, counts: np.ndarray) -> bool:
    """Whether arc counts respect every group size, class size and cap row (exactly, in integers)."""
    counts = np.asarray(counts)
    if (counts < 0).any():
        return False
    G, K = len(model.group_rep), model.classes.n
    if (np.bincount(model.arc_g, weights=counts, minlength=G) > model.group_size).any():
        return False
    if (np.bincount(model.arc_k, weights=counts, minlength=K) > np.diff(model.classes.ptr)).any():
        return False
    rem = np.array([r[3] for r in model.cap_rows], dtype=float)
    return not (model.cap_matrix @ counts > rem).any()


def _complete(model: Model, lp: LinearProgram, base: np.ndarray, reduced: np.ndarray, deadline: float,
              threads: int | None) -> np.ndarray:
    """Add to the feasible ``base`` the best assignment of what it leaves free (households, flats, cap places):
    a MILP over the arcs between unfilled groups and unfilled classes (the ``COMPLETE_ARCS`` best by reduced cost
    if there are more), given at most a tenth of the time left (and at least a second)."""
    A, T = model.n_arcs, len(model.classes.tier_class)
    g_left = model.group_size - np.bincount(model.arc_g, weights=base, minlength=len(model.group_rep))
    k_left = np.diff(model.classes.ptr) - np.bincount(model.arc_k, weights=base, minlength=model.classes.n)
    rem = np.array([r[3] for r in model.cap_rows], dtype=float) - model.cap_matrix @ base
    arc_ok = (g_left[model.arc_g] > 0) & (k_left[model.arc_k] > 0)
    if len(rem):
        arc_ok &= ~((model.cap_matrix.T @ (rem <= 0).astype(float)) > 0)
    arcs = np.flatnonzero(arc_ok)
    if not len(arcs):
        return base
    if len(arcs) > COMPLETE_ARCS:
        arcs = arcs[np.argsort(reduced[arcs], kind="stable")[:COMPLETE_ARCS]]
    used_tiers = fill_tiers(model, base)
    sub = LinearProgram(M=lp.M, cost=lp.cost,
                        col_hi=np.r_[np.minimum(g_left[model.arc_g], k_left[model.arc_k]).astype(float),
                                     model.classes.tier_size - used_tiers],
                        row_lo=lp.row_lo,
                        row_hi=np.r_[g_left.astype(float), np.zeros(model.classes.n), rem])
    cols = np.r_[np.sort(arcs), A + np.arange(T)]
    budget = min(deadline, time.perf_counter() + max(1.0, 0.1 * (deadline - time.perf_counter())))
    x, _, _, _ = run_milp(sub, cols, len(arcs), None, budget, threads)
    if x is None:
        return base
    out = base + np.rint(x[:A]).astype(np.int64)
    return out if feasible(model, out) else base


def run_milp(lp: LinearProgram, cols: np.ndarray, n_integer: int, start: np.ndarray | None, deadline: float,
             threads: int | None) -> tuple[np.ndarray | None, float, str, int]:
    """HiGHS branch and cut on ``lp``'s columns ``cols`` (the first ``n_integer`` integer), in HiGHS's own thread
    so the deadline holds even in phases that do not check HiGHS's time limit: at the deadline the run is
    cancelled, and given up ``GRACE`` s later. Returns (x over all columns or None, dual bound (min form),
    status, nodes)."""
    h = quiet_highs()
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    h.setOptionValue("mip_abs_gap", 0.0)
    # No root restarts: after reduced-cost fixing few columns are left for a restart to remove, and on the
    # published experiment's hard instances restarting cost more than it saved (proof MILPs of 9 instances, two
    # runs each: 17.9 s in all without restarts against 24.3 s with; worst 3.1 s against 3.7 s).
    h.setOptionValue("mip_allow_restart", False)
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 1e-3))
    if threads:
        h.setOptionValue("threads", int(threads))
    h.passModel(highs_model(lp, cols, integer_cols=n_integer))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=float))
        sol.value_valid = True
        h.setSolution(sol)
    h.HandleUserInterrupt = True
    h.startSolve()
    done = False
    while not done and time.perf_counter() < deadline:
        done = h.wait(min(0.05, max(deadline - time.perf_counter(), 0.0)))[0]
    if not done:
        h.cancelSolve()
        done = h.wait(GRACE)[0]
    if not done:
        _abandon(h)
        return None, -np.inf, "Time limit reached (solver abandoned in set-up)", 0
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    x = None
    if info.primal_solution_status:
        x = np.zeros(lp.n_cols)
        x[cols] = np.asarray(h.getSolution().col_value, dtype=float)
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound):
        bound = -np.inf
    return x, bound, status, int(info.mip_node_count)
