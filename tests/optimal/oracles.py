"""Independent oracles for the optimal mechanisms, written from the problem statement alone.

* :func:`brute_force` enumerates every assignment (each household: nothing or one unused vacant acceptable flat)
  and keeps the best one that respects every cap — exhaustive, so its optimum is the optimum.
* :func:`textbook_milp` is the textbook formulation (one binary per household × acceptable flat; household rows,
  flat rows, one row per cap, limit and unit) solved by ``scipy.optimize.milp``.

Cap semantics (../shared/reference/hdb_allocation.md): a unit of ``n`` dwelling units may hold at most
``floor(share × n)`` households of a limit (strict) or ``ceil`` (literal), existing occupants included, so the
newcomers of a limit in a unit are at most ``max(0, that − existing)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp


def _cap_slots(problem, policy):
    """[(members: set of households, flats: set of flats, remaining: int)] for every cap, limit and unit."""
    dev, hh = problem.development, problem.households
    out = []
    for cap in policy.caps:
        unit_of_flat = dev.flat_block if cap.level == "block" else dev.block_neighbourhood[dev.flat_block]
        for lim in cap.limits:
            members = {h for h in range(hh.n) if str(hh.attributes[cap.attribute][h]) in lim.values}
            for u in np.unique(unit_of_flat):
                flats_u = [f for f in range(dev.n_flats) if unit_of_flat[f] == u]
                x = lim.share * len(flats_u)
                most = math.floor(x + 1e-9) if policy.rule == "strict" else math.ceil(x - 1e-9)
                occ = dev.occupants.get(cap.attribute)
                existing = sum(1 for f in flats_u if dev.occupied[f] and occ is not None and occ[f] in lim.values)
                out.append((members, {f for f in flats_u if not dev.occupied[f]}, max(0, most - existing)))
    return out


def _pairs(problem):
    dev = problem.development
    vac = [f for f in range(dev.n_flats) if not dev.occupied[f]]
    pairs = []
    for h in range(problem.n_households):
        u = problem.utility(np.full(len(vac), h), np.array(vac, dtype=np.int64))
        pairs += [(h, f, float(x)) for f, x in zip(vac, u, strict=True) if np.isfinite(x)]
    return pairs


def brute_force(problem, policy) -> float:
    """Best welfare over all cap-respecting assignments (exhaustive; keep instances tiny)."""
    slots = _cap_slots(problem, policy)
    by_h: dict[int, list[tuple[int, float]]] = {}
    for h, f, u in _pairs(problem):
        by_h.setdefault(h, []).append((f, u))
    H = problem.n_households
    best = 0.0
    used: set[int] = set()
    chosen: list[tuple[int, int]] = []

    def feasible() -> bool:
        return all(sum(1 for h, f in chosen if h in members and f in flats_u) <= rem
                   for members, flats_u, rem in slots)

    def rec(h: int, total: float) -> None:
        nonlocal best
        if h == H:
            best = max(best, total)
            return
        rec(h + 1, total)
        for f, u in by_h.get(h, []):
            if f in used:
                continue
            used.add(f)
            chosen.append((h, f))
            if feasible():
                rec(h + 1, total + u)
            chosen.pop()
            used.discard(f)

    rec(0, 0.0)
    return best


def textbook_milp(problem, policy) -> float:
    """Optimum of the textbook MILP (one binary per household × acceptable flat)."""
    pairs = _pairs(problem)
    if not pairs:
        return 0.0
    n = len(pairs)
    hs = np.array([p[0] for p in pairs])
    fs = np.array([p[1] for p in pairs])
    c = -np.array([p[2] for p in pairs])
    rows = [sparse.csr_matrix((np.ones(n), (hs, np.arange(n))), shape=(problem.n_households, n)),
            sparse.csr_matrix((np.ones(n), (fs, np.arange(n))), shape=(problem.development.n_flats, n))]
    ub = [np.ones(problem.n_households), np.ones(problem.development.n_flats)]
    for members, flats_u, rem in _cap_slots(problem, policy):
        row = np.array([1.0 if (h in members and f in flats_u) else 0.0 for h, f, _ in pairs])
        if row.any():
            rows.append(sparse.csr_matrix(row[None, :]))
            ub.append(np.array([float(rem)]))
    A = sparse.vstack(rows)
    res = milp(c, constraints=LinearConstraint(A, -np.inf, np.concatenate(ub)), integrality=np.ones(n),
               bounds=Bounds(0, 1), options={"mip_rel_gap": 0.0})
    assert res.status == 0, res.message
    return -float(res.fun)


def cap_violations(allocation) -> list[str]:
    """Every (cap, limit, unit) whose newcomers exceed the places the caps left (independent recount)."""
    problem, policy = allocation.problem, allocation.policy
    bad = []
    got = {(h, int(f)) for h, f in enumerate(allocation.flat_of) if f >= 0}
    for members, flats_u, rem in _cap_slots(problem, policy):
        n = sum(1 for h, f in got if h in members and f in flats_u)
        if n > rem:
            bad.append(f"{n} > {rem}")
    return bad
