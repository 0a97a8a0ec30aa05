"""Welfare-optimal allocation under the caps (``optimal``) and without them (``optimal-unconstrained``).

Maximise total utility subject to every cap, each household at most one flat and each flat at most one
household — the *assignment with type constraints* of Benabbou, Chakraborty, Ho, Sliwinski and Zick
("Diversity Constraints in Public Housing Allocation", AAMAS 2018; "The Price of Diversity in Assignment
Problems", ACM TEAC 2020). Without caps it is the classic assignment problem; with caps it is NP-hard in
general but a min-cost flow when utilities depend on the household and the block only.

How exactness is guaranteed (:mod:`commonground.allocate.welfare_model` builds the model):

* the flats of a (block, flat type) — or, for flat-level preferences, flats of a block every household values
  alike up to their own value — form one class whose households get its best flats; households with the same
  caps and utilities are one group. Neither aggregation changes the optimum;
* when the caps that can bind are at block level on nested groups and capped households' flat-type terms agree
  within a block, the model is a min-cost flow, whose LP has integral vertices: one simplex solve is exact
  (``info["method"]`` says "min-cost flow");
* otherwise (two capped attributes, a neighbourhood cap that can bind, household-specific type terms, flat-level
  utilities) the same model is solved as a MILP (:mod:`commonground.allocate.welfare_milp`: LP by column
  generation, fix-and-complete incumbent, reduced-cost fixing, HiGHS branch and cut) to a 1e-9 relative gap,
  and ``info`` reports the objective, the proven bound (never below the objective), the gap and whether
  optimality was proven (``info["exact"]``). ``time_limit`` (default 600 s) bounds the whole call, set-up
  included (the model build checks it too); stopped early, it returns its best assignment with an honest gap
  (before the model is built: the ballot's, bounded by every household on its best flat);
* without caps on dense flat-level utilities (every household values every flat differently, so aggregation
  gains nothing) ``optimal-unconstrained`` is SciPy's ``linear_sum_assignment`` on the households × flats matrix.
"""

from __future__ import annotations

import time

import numpy as np

from commonground.allocate import welfare_model as W
from commonground.allocate.assignment import DenseUtilities, assign, dense_utilities
from commonground.allocate.queue import ballot_queue
from commonground.allocate.result import Allocation
from commonground.allocate.selection import flat_groups, serial_selection
from commonground.allocate.welfare_milp import MIP_REL_GAP, solve
from commonground.model import preferences as P
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.checks import priority_notes
from commonground.policy.state import CapState

NOT_CHOSEN = "not in the welfare-optimal assignment"
OUT_OF_TIME = "not housed by the ballot returned when the time limit passed before the optimum's model was built"
NO_ACCEPTABLE = P.NO_ACCEPTABLE


def optimal(problem: Problem, policy: Policy, *, seed: int | None = 0, time_limit: float = 600.0,
            warm_start: bool = True) -> Allocation:
    """Welfare-maximising assignment under ``policy``'s caps (existing occupants count towards them).

    ``seed`` only decides which of several interchangeable households (same caps, same utilities) is housed
    when not all can be; the welfare does not depend on it.
    """
    return _run(problem, policy, "optimal", seed, time_limit=time_limit, warm_start=warm_start)


def optimal_unconstrained(problem: Problem, policy: Policy, *, seed: int | None = 0,
                          time_limit: float = 600.0) -> Allocation:
    """The welfare-maximising assignment with the caps switched off (a min-cost flow, or on dense flat-level
    utilities SciPy's ``linear_sum_assignment``)."""
    dense = dense_utilities(problem, ~problem.development.occupied)
    if dense is not None:
        return _run_dense(problem, policy.without_caps(), seed, dense)
    return _run(problem, policy.without_caps(), "optimal-unconstrained", seed, time_limit=time_limit,
                warm_start=False, report_policy=policy.without_caps())


def _run(problem: Problem, policy: Policy, name: str, seed: int | None, *, time_limit: float,
         warm_start: bool, report_policy: Policy | None = None) -> Allocation:
    t0 = time.perf_counter()           # the time limit covers building the model and the warm start too
    # The ballot (fast): the MILP's first incumbent, and the answer if time runs out before the model is built
    # or a network LP cannot finish.
    ballot_flat_of = _ballot_assignment(problem, policy, seed) if warm_start else None
    try:
        model = W.build_model(problem, policy, deadline=t0 + max(float(time_limit), 0.0))
    except W.OutOfTime:
        if ballot_flat_of is None:
            ballot_flat_of = _ballot_assignment(problem, policy, seed)
        return _ballot_fallback(problem, policy, name, seed, ballot_flat_of, time.perf_counter() - t0,
                                report_policy or policy)
    start = None
    start_welfare = None
    if ballot_flat_of is not None and model.n_arcs:
        start = W.counts_of(model, ballot_flat_of)
        start_welfare = float(np.nansum(problem.assignment_utility(ballot_flat_of)))
    sol = solve(model, time_limit=time_limit - (time.perf_counter() - t0), start=start)
    rng = np.random.default_rng(seed)
    flat_of = W.decode(model, sol.counts, rng)
    reason = _unhoused_reasons(problem, flat_of, model.group_of >= 0, NOT_CHOSEN)
    info = {
        "method": sol.method,
        "solver": f"HiGHS {highs_version()}",
        "status": sol.status,
        "exact": bool(sol.exact),
        "objective": sol.objective,
        # Never below the welfare of the assignment returned, however its sum is rounded.
        "bound": max(sol.bound, float(np.nansum(problem.assignment_utility(flat_of)))),
        "gap": sol.gap,
        "seconds": round(sol.seconds, 4),
        "network": bool(model.network),
        "why_not_network": model.why_not_network,
        "household_groups": int(len(model.group_rep)),
        "flat_classes": int(model.classes.n),
        "arcs": int(model.n_arcs),
        "cap_rows": int(len(model.cap_rows)),
        **sol.info,
    }
    notes = priority_notes(problem.households, policy, name)
    if notes:
        info["notes"] = notes
    if start_welfare is not None and not model.network:
        info["warm_start_welfare"] = start_welfare
    return Allocation(problem=problem, policy=report_policy or policy, mechanism=name, seed=seed, flat_of=flat_of,
                      reason=reason, queue_position=np.full(problem.n_households, -1, dtype=np.int64), info=info)


def _unhoused_reasons(problem: Problem, flat_of: np.ndarray, acceptable: np.ndarray, why: str) -> np.ndarray:
    """Skip reasons: ``why`` for an unhoused household that had an acceptable flat, the problem's
    no-acceptable-flat reason for one that had none, ``""`` for the housed."""
    reason = np.full(problem.n_households, "", dtype=object)
    unhoused = flat_of < 0
    reason[unhoused & acceptable] = why
    none = np.flatnonzero(unhoused & ~acceptable)
    reason[none] = problem.no_acceptable_reason(none)
    return reason


def _ballot_fallback(problem: Problem, policy: Policy, name: str, seed: int | None, flat_of: np.ndarray,
                     seconds: float, report_policy: Policy) -> Allocation:
    """The ballot's assignment under ``policy`` when the time limit passed before the model was built, with the
    bound every household on its best acceptable flat (no model needed) and the gap that leaves."""
    welfare = float(np.nansum(problem.assignment_utility(flat_of)))
    best = best_utility(problem)
    bound = max(float(np.maximum(best, 0.0).sum()), welfare)
    gap = (bound - welfare) / max(abs(welfare), 1e-300) if bound > welfare else 0.0
    reason = _unhoused_reasons(problem, flat_of, best > 0, OUT_OF_TIME)
    info = {"method": "ballot (time limit reached while building the welfare model)",
            "solver": "none", "status": "Time limit reached (model not built)", "exact": bool(gap <= MIP_REL_GAP),
            "objective": welfare, "bound": bound, "gap": gap, "seconds": round(seconds, 4), "network": False,
            "why_not_network": "", "household_groups": 0, "flat_classes": 0, "arcs": 0, "cap_rows": 0,
            "warm_start_welfare": welfare,
            "notes": [*priority_notes(problem.households, policy, name),
                      "the time limit passed before the welfare model was built: this is the ballot's assignment "
                      "with seed " + str(seed) + ", and the bound is every household on its best flat"]}
    return Allocation(problem=problem, policy=report_policy, mechanism=name, seed=seed, flat_of=flat_of,
                      reason=reason, queue_position=np.full(problem.n_households, -1, dtype=np.int64), info=info)


def best_utility(problem: Problem) -> np.ndarray:
    """Each household's utility for its best vacant flat (``-inf`` if it lists none): an upper bound on what any
    assignment gives it."""
    dev, u = problem.development, problem.utilities
    vacant = ~dev.occupied
    H = problem.n_households
    out = np.full(H, -np.inf)
    if isinstance(u, P.BlockUtilities):
        grp_ptr, grp_flats, n_types = flat_groups(problem, vacant)   # each (block, type): best value first
        groups = np.flatnonzero(np.diff(grp_ptr) > 0)
        if len(groups):
            top = dev.flat_value[grp_flats[grp_ptr[groups]]]
            V = u.flat_type[:, groups % n_types] if u.flat_type.shape[1] else 0.0
            out = (u.block[:, groups // n_types] + V + top).max(axis=1)
        return out
    hh = np.repeat(np.arange(H, dtype=np.int64), np.diff(u.indptr))
    ff = u.flat.astype(np.int64)
    ok = vacant[ff]
    np.maximum.at(out, hh[ok], u.value[ok])                   # flat-level values include the flat's own
    return out


def _run_dense(problem: Problem, policy: Policy, seed: int | None, dense: DenseUtilities) -> Allocation:
    t0 = time.perf_counter()
    flat_of, welfare = assign(dense)
    reason = _unhoused_reasons(problem, flat_of, dense.acceptable, NOT_CHOSEN)
    info = {"method": "assignment (SciPy linear_sum_assignment on the dense households × flats matrix)",
            "solver": "SciPy linear_sum_assignment", "status": "Optimal", "exact": True, "objective": welfare,
            "bound": welfare, "gap": 0.0, "seconds": round(time.perf_counter() - t0, 4), "network": True,
            "why_not_network": "", "household_groups": int(problem.n_households),
            "flat_classes": int(len(dense.flats)), "arcs": dense.pairs, "cap_rows": 0}
    notes = priority_notes(problem.households, policy, "optimal-unconstrained")
    if notes:
        info["notes"] = notes
    return Allocation(problem=problem, policy=policy, mechanism="optimal-unconstrained", seed=seed, flat_of=flat_of,
                      reason=reason, queue_position=np.full(problem.n_households, -1, dtype=np.int64), info=info)


def _ballot_assignment(problem: Problem, policy: Policy, seed: int | None) -> np.ndarray:
    """A feasible assignment under the caps to start the MILP from: the HDB ballot with this seed."""
    rng = np.random.default_rng(seed)
    order = ballot_queue(problem.households, int((~problem.development.occupied).sum()), policy.priority_shares,
                         rng)
    caps = CapState.build(policy, problem.development, problem.households)
    flat_of, *_ = serial_selection(problem, caps, order)
    return flat_of


def highs_version() -> str:
    import highspy

    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
