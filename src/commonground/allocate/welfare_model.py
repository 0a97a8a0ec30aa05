"""The welfare-maximisation model behind the ``optimal`` mechanisms, aggregated so it stays small.

Problem (Benabbou, Chakraborty, Ho, Sliwinski, Zick, "Diversity Constraints in Public Housing Allocation",
AAMAS 2018; "The Price of Diversity in Assignment Problems", ACM TEAC 2020): give each household at most one
vacant flat and each flat at most one household, respect every cap, maximise total utility.

Two aggregations keep the model far smaller than one binary per household × flat, without changing its optimum:

* **Flat classes.** Flats of one block whose utility to *every* household is ``a(h, class) + value(f)`` form a
  class (under :class:`BlockUtilities` a class is a (block, flat type) pair). Since ``value(f)`` is the same for
  every household, the ``n`` households sent to a class are best given its ``n`` highest-valued flats, so a class
  is a node whose outflow earns the concave "sum of the top n values": tier variables ``y`` (one per distinct
  value, capacity = how many flats have it), filled best first by any optimum.
* **Household groups.** Households with the same cap classes (value of every capped attribute) and the same
  utility to every flat class are interchangeable: one integer count per (group, class) arc replaces their
  individual variables.

Variables: ``x[arc]`` households of a group sent to a class (0..group size), ``y[tier]`` flats used per value tier.
Rows: group supply ``Σ x ≤ |group|``; class balance ``Σ x − Σ y = 0``; per cap, limit and unit
``Σ x ≤ maximum − existing occupants``. Objective: ``max Σ a·x + Σ value·y``.

When the model is a min-cost flow (see :func:`network_structure`) the LP has integral optimal vertices and one
simplex solve is exact; otherwise the same model is solved as a MILP by HiGHS with the count variables integer,
warm-started from a feasible assignment, and the proven bound and gap are reported.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.state import CapState

#: Relative optimality gap HiGHS must prove before it stops (its default 1e-4 would not be exact).
MIP_REL_GAP = 1e-9
#: Absolute gap in utility units (utilities are sums of a few numbers of order 1–100).
MIP_ABS_GAP = 1e-6
#: Integrality tolerance when reading counts back.
INT_TOL = 1e-6


@dataclass(eq=False)
class FlatClasses:
    """Vacant flats grouped into classes (see module docstring) and, inside a class, into value tiers."""

    of_flat: np.ndarray      # (F,) class of each flat, -1 if not available
    block: np.ndarray        # (K,) block of each class
    flats: np.ndarray        # flats sorted by class, value descending, index: class k is flats[ptr[k]:ptr[k+1]]
    ptr: np.ndarray          # (K+1,)
    tier_class: np.ndarray   # (T,) class of each tier
    tier_value: np.ndarray   # (T,) flat value of the tier
    tier_size: np.ndarray    # (T,) flats in the tier

    @property
    def n(self) -> int:
        return len(self.block)

    def best_value(self) -> np.ndarray:
        out = np.full(self.n, -np.inf)
        np.maximum.at(out, self.tier_class, self.tier_value)
        return out


@dataclass(eq=False)
class Arcs:
    """Sparse utilities household → flat class: ``a`` is the utility before the flat's own value."""

    h: np.ndarray
    k: np.ndarray
    a: np.ndarray


@dataclass(eq=False)
class Model:
    """The aggregated model ready for HiGHS, plus what is needed to turn a solution back into flats."""

    problem: Problem
    classes: FlatClasses
    group_of: np.ndarray          # (H,) group of each household (-1: no acceptable class)
    group_size: np.ndarray        # (G,)
    group_rep: np.ndarray         # (G,) a representative household
    arc_g: np.ndarray             # (A,) group of each arc
    arc_k: np.ndarray             # (A,) class of each arc
    arc_a: np.ndarray             # (A,) utility before flat value
    cap_rows: list[tuple[int, int, int, int]] = field(default_factory=list)  # (cap, unit, limit, remaining)
    cap_matrix: sparse.csr_matrix | None = None    # rows × arcs
    network: bool = True
    why_not_network: str = ""
    set_of_group: np.ndarray | None = None    # network case: the active limit each group is under (-1: none)

    @property
    def n_arcs(self) -> int:
        return len(self.arc_g)


# -- building ----------------------------------------------------------------------------------------------
def flat_classes(problem: Problem, available: np.ndarray) -> tuple[FlatClasses, Arcs]:
    """Group the available flats into classes and express utilities as household → class arcs."""
    dev, u = problem.development, problem.utilities
    avail = np.flatnonzero(available)
    if isinstance(u, BlockUtilities):
        n_types = max(len(dev.flat_type_names), 1)
        key = dev.flat_block[avail] * n_types + dev.flat_type[avail]
        uniq, cls = np.unique(key, return_inverse=True)
        of_flat = np.full(dev.n_flats, -1, dtype=np.int64)
        of_flat[avail] = cls
        blocks, types = uniq // n_types, uniq % n_types
        V = u.flat_type if u.flat_type.shape[1] else np.zeros((problem.n_households, 1))
        A = u.block[:, blocks] + V[:, types]            # H × K, -inf = unacceptable
        h, k = np.nonzero(np.isfinite(A))
        arcs = Arcs(h=h.astype(np.int64), k=k.astype(np.int64), a=A[h, k])
        return _tiers(problem, of_flat, blocks.astype(np.int64)), arcs
    # Flat-level lists: a flat's column is the set of (household, utility − value) pairs; flats of one block
    # with identical columns are interchangeable up to their own value and share a class.
    hh = np.repeat(np.arange(problem.n_households, dtype=np.int64), np.diff(u.indptr))
    ff = u.flat.astype(np.int64)
    base = u.value - dev.flat_value[ff]
    keep = available[ff]
    hh, ff, base = hh[keep], ff[keep], base[keep]
    order = np.lexsort((hh, ff))
    hh, ff, base = hh[order], ff[order], base[order]
    bounds = np.searchsorted(ff, avail, "left"), np.searchsorted(ff, avail, "right")
    seen: dict[bytes, int] = {}
    of_flat = np.full(dev.n_flats, -1, dtype=np.int64)
    blocks: list[int] = []
    for f, lo, hi in zip(avail, *bounds, strict=True):
        sig = np.int64(dev.flat_block[f]).tobytes() + hh[lo:hi].tobytes() + base[lo:hi].tobytes()
        c = seen.get(sig)
        if c is None:
            c = seen[sig] = len(blocks)
            blocks.append(int(dev.flat_block[f]))
        of_flat[f] = c
    kk = of_flat[ff]
    pair = np.unique(np.stack([hh, kk]), axis=1) if len(hh) else np.zeros((2, 0), np.int64)
    # Every flat of a class has the same (household, base) column, so any representative flat gives `a`.
    first = {}
    for i in range(len(hh)):
        first.setdefault((hh[i], kk[i]), base[i])
    a = np.array([first[(p, q)] for p, q in pair.T], dtype=float)
    arcs = Arcs(h=pair[0].astype(np.int64), k=pair[1].astype(np.int64), a=a)
    return _tiers(problem, of_flat, np.asarray(blocks, dtype=np.int64)), arcs


def _tiers(problem: Problem, of_flat: np.ndarray, blocks: np.ndarray) -> FlatClasses:
    value = problem.development.flat_value
    f = np.flatnonzero(of_flat >= 0)
    order = np.lexsort((f, -value[f], of_flat[f]))
    flats = f[order]
    k = of_flat[flats]
    ptr = np.zeros(len(blocks) + 1, dtype=np.int64)
    np.cumsum(np.bincount(k, minlength=len(blocks)), out=ptr[1:])
    v = value[flats]
    new = np.ones(len(flats), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (v[1:] != v[:-1])
    starts = np.flatnonzero(new)
    size = np.diff(np.append(starts, len(flats)))
    return FlatClasses(of_flat=of_flat, block=blocks, flats=flats, ptr=ptr, tier_class=k[starts],
                       tier_value=v[starts], tier_size=size)


def build_model(problem: Problem, policy: Policy, *, available: np.ndarray | None = None,
                households: np.ndarray | None = None) -> Model:
    """Aggregate the problem under ``policy``'s caps (``households``: optional mask of who takes part)."""
    dev = problem.development
    if available is None:
        available = ~dev.occupied
    classes, arcs = flat_classes(problem, available)
    # A class whose best flat is worth ≤ 0 to a household is not acceptable to it (docs/preferences.md: only a
    # flat better than staying unhoused is); dropping the arc also never loses welfare.
    keep = arcs.a + classes.best_value()[arcs.k] > 0
    if households is not None:
        keep &= households[arcs.h]
    h, k, a = arcs.h[keep], arcs.k[keep], arcs.a[keep]

    caps = CapState.build(policy, dev, problem.households)
    # Interchangeable households: same limit under every cap and the same arcs (classes and utilities).
    order = np.lexsort((k, h))
    h, k, a = h[order], k[order], a[order]
    H = problem.n_households
    ptr = np.zeros(H + 1, dtype=np.int64)
    np.cumsum(np.bincount(h, minlength=H), out=ptr[1:])
    limits = np.ascontiguousarray(caps.hh_limit.T)
    group_of = np.full(H, -1, dtype=np.int64)
    seen: dict[bytes, int] = {}
    reps: list[int] = []
    for hh in np.flatnonzero(np.diff(ptr) > 0):
        lo, hi = ptr[hh], ptr[hh + 1]
        sig = limits[hh].tobytes() + k[lo:hi].tobytes() + a[lo:hi].tobytes()
        g = seen.get(sig)
        if g is None:
            g = seen[sig] = len(reps)
            reps.append(int(hh))
        group_of[hh] = g
    rep = np.asarray(reps, dtype=np.int64)
    size = np.bincount(group_of[group_of >= 0], minlength=len(rep)).astype(np.int64)
    arc_mask = np.zeros(len(h), dtype=bool)
    if len(rep):
        arc_mask[np.concatenate([np.arange(ptr[r], ptr[r + 1]) for r in rep])] = True
    arc_g = group_of[h[arc_mask]]
    model = Model(problem=problem, classes=classes, group_of=group_of, group_size=size, group_rep=rep,
                  arc_g=arc_g, arc_k=k[arc_mask], arc_a=a[arc_mask])
    _cap_rows(model, caps)
    network_structure(model, caps)
    return model


def _cap_rows(model: Model, caps: CapState) -> None:
    """One row per (cap, unit, limit) that could bind: remaining places < flats the limit's groups could take."""
    dev = model.problem.development
    cls = model.classes
    class_size = np.diff(cls.ptr)
    rows, cols, meta = [], [], []
    for c in range(caps.n_caps):
        unit_of_block = np.arange(dev.n_blocks) if caps.level[c] == 0 else dev.block_neighbourhood
        arc_lim = caps.hh_limit[c, model.group_rep[model.arc_g]] if model.n_arcs else np.zeros(0, np.int64)
        arc_unit = unit_of_block[cls.block[model.arc_k]]
        m = arc_lim >= 0
        if not m.any():
            continue
        key = arc_unit[m] * caps.maximum.shape[2] + arc_lim[m]
        ukeys, inv = np.unique(key, return_inverse=True)
        vacant_in_unit = np.bincount(unit_of_block[cls.block], weights=class_size,
                                     minlength=caps.maximum.shape[1])
        arcs_m = np.flatnonzero(m)
        for j, kk in enumerate(ukeys):
            unit, lim = divmod(int(kk), caps.maximum.shape[2])
            remaining = max(int(caps.maximum[c, unit, lim] - caps.count[c, unit, lim]), 0)
            members = arcs_m[inv == j]
            demand = model.group_size[np.unique(model.arc_g[members])].sum()
            if remaining >= min(vacant_in_unit[unit], demand):
                continue  # cannot bind
            r = len(meta)
            meta.append((c, unit, lim, remaining))
            rows.append(np.full(len(members), r))
            cols.append(members)
    model.cap_rows = meta
    if meta:
        rr, cc = np.concatenate(rows), np.concatenate(cols)
        model.cap_matrix = sparse.csr_matrix((np.ones(len(rr)), (rr, cc)), shape=(len(meta), model.n_arcs))
    else:
        model.cap_matrix = sparse.csr_matrix((0, model.n_arcs))


def network_structure(model: Model, caps: CapState) -> None:
    """Decide whether the model is a min-cost flow, so that an LP solve is exact.

    It is when (1) every cap row that can bind is at block level, (2) each household falls under at most one
    of those limits (e.g. one capped attribute: Chinese / Malay / Indian-Others), and (3) within each limit and
    block, all its groups' utilities to that block's classes differ only by a constant
    (``a(g, k) = α(g, block) + τ(limit, block, k)``, same acceptable classes). Then the problem is exactly the
    network source → group → (limit, block) → class → value tiers → sink (uncapped groups go straight to
    classes), solved by :func:`_network_lp` on that network's node–arc incidence matrix, which is totally
    unimodular: the simplex vertex is integral. Cross-cutting attributes (ethnicity and residency), nested
    limits, neighbourhood caps that can bind, or household-specific flat-type terms under a cap break this in
    general (see docs/price_of_diversity.md); the MILP is used then.
    """
    G = len(model.group_rep)
    model.network, model.why_not_network = True, ""
    model.set_of_group = np.full(G, -1, dtype=np.int64)
    if not model.cap_rows:
        return
    if any(int(caps.level[c]) == 1 for c, _, _, _ in model.cap_rows):
        model.network, model.why_not_network = False, "a neighbourhood cap can bind"
        return
    active = sorted({(c, lim) for c, _, lim, _ in model.cap_rows})
    rep_lim = caps.hh_limit[:, model.group_rep]
    member = np.array([rep_lim[c] == lim for c, lim in active])          # sets × groups
    if (member.sum(axis=0) > 1).any():
        model.network = False
        model.why_not_network = "a household falls under two limits that can bind (several cap attributes)"
        return
    model.set_of_group = np.where(member.any(axis=0), member.argmax(axis=0), -1)
    blk = model.classes.block[model.arc_k]
    order = np.lexsort((model.arc_k, blk, model.arc_g))
    g_s, b_s, k_s, a_s = model.arc_g[order], blk[order], model.arc_k[order], model.arc_a[order]
    brk = np.flatnonzero(np.diff(g_s * (model.problem.development.n_blocks + 1) + b_s)) + 1
    sig: dict[tuple[int, int], bytes] = {}
    for lo, hi in zip(np.r_[0, brk], np.r_[brk, len(g_s)], strict=True):
        g = int(g_s[lo])
        if hi <= lo or model.set_of_group[g] < 0:
            continue
        key = (int(model.set_of_group[g]), int(b_s[lo]))
        # Differences compared to 1e-9 (utilities are sums of floats; last-bit noise is not a real difference).
        this = k_s[lo:hi].tobytes() + np.round(a_s[lo:hi] - a_s[lo], 9).tobytes()
        if sig.setdefault(key, this) != this:
            model.network = False
            model.why_not_network = "capped households weigh flat types (or flats) of a block differently"
            return


# -- solving -----------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Solution:
    counts: np.ndarray       # (A,) households per arc
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    exact: bool
    seconds: float
    info: dict = field(default_factory=dict)


def solve(model: Model, *, integer: bool | None = None, time_limit: float = 600.0,
          start: np.ndarray | None = None, threads: int | None = None, pricing: bool | None = None) -> Solution:
    """Solve with HiGHS: the LP when the model is a network (integral vertex), else the MILP.

    ``start``: a feasible count per arc (e.g. from the ballot) handed to the MILP as its first incumbent.
    ``pricing``: solve the LP by column generation (default: when there are many arcs) — start from each group's
    best arcs, and add every omitted arc with a negative reduced cost until none is left. By LP duality the
    restricted optimum is then optimal for the full LP, so this is as exact as solving it whole, and much faster
    when households × classes is large.
    """
    t0 = time.perf_counter()
    A, T = model.n_arcs, len(model.classes.tier_class)
    G, K, R = len(model.group_rep), model.classes.n, len(model.cap_rows)
    if integer is None:
        integer = not model.network
    if A == 0:
        return Solution(np.zeros(0, np.int64), 0.0, 0.0, 0.0, "optimal", "trivial (no acceptable flat)", True,
                        time.perf_counter() - t0)
    ar = np.arange(A)
    tr = np.arange(T)
    blocks = [
        sparse.csr_matrix((np.ones(A), (model.arc_g, ar)), shape=(G, A + T)),
        sparse.csr_matrix((np.r_[np.ones(A), -np.ones(T)], (np.r_[model.arc_k, model.classes.tier_class],
                                                             np.r_[ar, A + tr])), shape=(K, A + T)),
    ]
    if R:
        blocks.append(sparse.hstack([model.cap_matrix, sparse.csr_matrix((R, T))]).tocsr())
    M = sparse.vstack(blocks).tocsc()
    row_lo = np.r_[np.full(G, -np.inf), np.zeros(K), np.full(R, -np.inf)]
    row_hi = np.r_[model.group_size.astype(float), np.zeros(K),
                   np.array([r[3] for r in model.cap_rows], dtype=float)]
    class_size = np.diff(model.classes.ptr)
    col_hi = np.r_[np.minimum(model.group_size[model.arc_g], class_size[model.arc_k]).astype(float),
                   model.classes.tier_size.astype(float)]
    cost = -np.r_[model.arc_a, model.classes.tier_value]
    lp_args = (M, cost, col_hi, row_lo, row_hi, time_limit, threads)
    if integer:
        x, h, rounds, fixed = _milp_with_reduced_cost_fixing(model, lp_args, A, start)
    elif model.network:
        if pricing is None:
            pricing = A > 50_000
        x, h, rounds = _network_lp(model, time_limit, threads, pricing)
    else:
        # An LP relaxation asked for explicitly (integer=False on a non-network model): arc form.
        x, h, rounds = _priced_lp(model, lp_args, A) if pricing else (*_highs(*lp_args), 0)
    status = h.modelStatusToString(h.getModelStatus()) if h is not None else "Optimal"
    info = h.getInfo() if h is not None else None
    x = x[:A]
    counts = np.rint(x).astype(np.int64)
    if not integer and np.abs(x - counts).max(initial=0.0) > INT_TOL:
        # Should not happen for a network; be safe rather than wrong.
        sol = solve(model, integer=True, time_limit=time_limit, threads=threads)
        sol.info["lp_fractional"] = True
        return sol
    obj = float(-(cost[:A] @ counts) - cost[A:] @ _fill_tiers(model, counts))
    if integer:
        # h is None when the rounded LP optimum already met the LP bound: proven optimal without branching.
        bound = fixed["lp_bound"] if h is None else min(-float(info.mip_dual_bound), fixed["lp_bound"])
        gap = max(bound - obj, 0.0) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.inf
        exact = status == "Optimal" or gap <= MIP_REL_GAP
        method = "aggregated MILP (HiGHS branch-and-cut)"
        extra = {"nodes": int(info.mip_node_count) if info is not None else 0, "pricing_rounds": rounds, **fixed}
    else:
        bound, gap, exact = obj, 0.0, status == "Optimal"
        method = "min-cost flow (network LP, HiGHS simplex: integral vertex)"
        extra = {"simplex_iterations": int(info.simplex_iteration_count), "pricing_rounds": rounds}
    return Solution(counts=counts, objective=obj, bound=bound, gap=gap, status=status, method=method, exact=exact,
                    seconds=time.perf_counter() - t0, info=extra)


_BANNER_SHOWN = False


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance; the first one in a process prints a licence banner to C-level stdout, which would
    land in the middle of CLI output and piped CSV, so that one is created with stdout pointed at /dev/null."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _BANNER_SHOWN = True
    return h


def _highs(M, cost, col_hi, row_lo, row_hi, time_limit, threads, *, cols: np.ndarray | None = None,
           integer_cols: int = 0, start: np.ndarray | None = None):
    """Run HiGHS on the columns ``cols`` of the model (all by default); returns (x over all columns, Highs)."""
    n_all = M.shape[1]
    if cols is not None:
        M, cost, col_hi = M[:, cols], cost[cols], col_hi[cols]
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    if threads:
        h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = M.shape[1], M.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(M.shape[1])
    lp.col_upper_ = col_hi
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(float)
    if integer_cols:
        h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
        h.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
        lp.integrality_ = ([highspy.HighsVarType.kInteger] * integer_cols
                           + [highspy.HighsVarType.kContinuous] * (M.shape[1] - integer_cols))
    else:
        h.setOptionValue("solver", "simplex")
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    x = np.zeros(n_all)
    if h.getInfo().primal_solution_status:
        v = np.asarray(h.getSolution().col_value, dtype=float)
        if cols is None:
            x = v
        else:
            x[cols] = v
    return x, h


#: Arcs per group in the first pricing round; more are added only where reduced costs ask for them.
PRICING_START = 8


def _priced_lp(model: Model, lp_args: tuple, A: int, want_reduced: bool = False):
    """Column generation over the arcs (tier columns always in). Exact: stops only when no omitted arc has a
    negative reduced cost ``c_j − yᵀM_j`` under the restricted LP's optimal duals ``y``."""
    M, cost = lp_args[0], lp_args[1]
    T = M.shape[1] - A
    score = model.arc_a + model.classes.best_value()[model.arc_k]
    order = np.lexsort((-score, model.arc_g))
    first = np.r_[0, np.flatnonzero(np.diff(model.arc_g[order])) + 1]
    rank = np.arange(A) - np.repeat(first, np.diff(np.r_[first, A]))
    active = np.zeros(A, dtype=bool)
    active[order[rank < PRICING_START]] = True
    Ma = M[:, :A].tocsr().T.tocsr()        # arcs × rows, for reduced costs
    rounds = 0
    while True:
        rounds += 1
        cols = np.r_[np.flatnonzero(active), A + np.arange(T)]
        x, h = _highs(*lp_args, cols=cols)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return (x, h, rounds, None) if want_reduced else (x, h, rounds)
        y = np.asarray(h.getSolution().row_dual, dtype=float)
        reduced = cost[:A] - Ma @ y
        add = ~active & (reduced < -1e-9)
        if not add.any():
            return (x, h, rounds, reduced) if want_reduced else (x, h, rounds)
        active |= add


def _network_lp(model: Model, time_limit: float, threads: int | None, pricing: bool):
    """Solve the min-cost flow source → group → (limit, block) → class → tiers → sink as an LP on its node–arc
    incidence matrix (totally unimodular, so the simplex vertex is integral) and return arc counts per
    (group, class) arc of the model, plus the Highs object and pricing rounds.

    Columns: x(g, b) for capped groups (cost α(g, b)), x(g, k) for uncapped groups, w(s, b) the throughput of
    node (limit s, block b) bounded by the places left, z(s, b, k) from that node to class k (cost τ), tiers.
    Rows (each column has at most one +1 and one −1): group supply, node in (w − Σx = 0), node out
    (Σz − w = 0), class balance (Σtiers − Σz − Σx = 0)."""
    cls = model.classes
    G, K, T = len(model.group_rep), cls.n, len(cls.tier_class)
    sg = model.set_of_group
    blk = cls.block[model.arc_k]
    capped = sg[model.arc_g] >= 0
    class_size = np.diff(cls.ptr).astype(float)
    # Capped arcs → (g, b) columns with α = utility of the group's first class in b; τ = the rest.
    ca = np.flatnonzero(capped)
    ca = ca[np.lexsort((model.arc_k[ca], blk[ca], model.arc_g[ca]))]
    gb = model.arc_g[ca] * (cls.block.max(initial=0) + 1) + blk[ca]
    first = np.r_[True, gb[1:] != gb[:-1]] if len(ca) else np.zeros(0, bool)
    col_of_arc = np.cumsum(first) - 1
    xg, xb = model.arc_g[ca][first], blk[ca][first]
    alpha = model.arc_a[ca][first]
    tau_arc = model.arc_a[ca] - alpha[col_of_arc]
    room_b = np.bincount(cls.block, weights=class_size, minlength=int(cls.block.max(initial=0)) + 1)
    # Nodes (s, b) and their z columns (s, b, k).
    sb_key = sg[xg] * len(room_b) + xb
    nodes, node_of_x = np.unique(sb_key, return_inverse=True)
    zkey = node_of_x[col_of_arc] * K + model.arc_k[ca]
    zcols, z_first = np.unique(zkey, return_index=True)
    z_node, z_k = zcols // K, zcols % K
    z_tau = tau_arc[z_first]
    remaining = np.full(len(nodes), np.inf)
    set_index = {key: i for i, key in enumerate(sorted({(c, lim) for c, _, lim, _ in model.cap_rows}))}
    for c, unit, lim, rem in model.cap_rows:
        s_idx = set_index[(c, lim)]       # the same numbering as network_structure's set_of_group
        j = np.searchsorted(nodes, s_idx * len(room_b) + unit)
        if j < len(nodes) and nodes[j] == s_idx * len(room_b) + unit:
            remaining[j] = rem
    ua = np.flatnonzero(~capped)
    X, U, W, Z = len(xg), len(ua), len(nodes), len(zcols)
    N = len(nodes)
    o = np.cumsum([0, X, U, W, Z, T])
    rows, cols, vals = [], [], []

    def put(r, c, v):
        rows.append(np.asarray(r))
        cols.append(np.asarray(c))
        vals.append(np.broadcast_to(np.asarray(v, float), np.shape(r)))

    put(xg, o[0] + np.arange(X), 1.0)                                  # group supply
    put(model.arc_g[ua], o[1] + np.arange(U), 1.0)
    put(G + node_of_x, o[0] + np.arange(X), -1.0)                      # node in: w − Σx = 0
    put(G + np.arange(N), o[2] + np.arange(W), 1.0)
    put(G + N + np.arange(N), o[2] + np.arange(W), -1.0)               # node out: Σz − w = 0
    put(G + N + z_node, o[3] + np.arange(Z), 1.0)
    put(G + 2 * N + z_k, o[3] + np.arange(Z), -1.0)                    # class: Σtiers − Σz − Σx = 0
    put(G + 2 * N + model.arc_k[ua], o[1] + np.arange(U), -1.0)
    put(G + 2 * N + cls.tier_class, o[4] + np.arange(T), 1.0)
    M = sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(G + 2 * N + K, o[5]))
    cost = -np.r_[alpha, model.arc_a[ua], np.zeros(W), z_tau, cls.tier_value]
    col_hi = np.r_[np.minimum(model.group_size[xg], room_b[xb]),
                   np.minimum(model.group_size[model.arc_g[ua]], class_size[model.arc_k[ua]]),
                   remaining, class_size[z_k], cls.tier_size.astype(float)]
    row_lo = np.r_[np.full(G, -np.inf), np.zeros(2 * N + K)]
    row_hi = np.r_[model.group_size.astype(float), np.zeros(2 * N + K)]
    lp_args = (M, cost, col_hi, row_lo, row_hi, time_limit, threads)
    P = X + U
    if pricing:
        grp = np.r_[xg, model.arc_g[ua]]
        score = -cost[:P]
        x, h, rounds = _priced_columns(lp_args, P, grp, score)
    else:
        (x, h), rounds = _highs(*lp_args), 0
    # Back to (group, class) arc counts: pour each node's households into its classes.
    counts = np.zeros(model.n_arcs)
    counts[ua] = x[o[1]:o[2]]
    xv = np.rint(x[:X]).astype(np.int64)
    zv = np.rint(x[o[3]:o[4]]).astype(np.int64)
    arc_index = {(int(g), int(k)): i for i, (g, k) in enumerate(zip(model.arc_g, model.arc_k, strict=True))}
    if np.abs(x[:X] - xv).max(initial=0) > INT_TOL or np.abs(x[o[3]:o[4]] - zv).max(initial=0) > INT_TOL:
        counts[:] = 0.5          # not integral: let the caller fall back to the MILP
        return counts, h, rounds
    for n in range(N):
        gs = [(int(xg[i]), int(xv[i])) for i in np.flatnonzero((node_of_x == n) & (xv > 0))]
        ks = [(int(z_k[i]), int(zv[i])) for i in np.flatnonzero((z_node == n) & (zv > 0))]
        gi = ki = 0
        while gi < len(gs) and ki < len(ks):
            (g, ng), (k, nk) = gs[gi], ks[ki]
            take = min(ng, nk)
            counts[arc_index[(g, k)]] += take
            gs[gi], ks[ki] = (g, ng - take), (k, nk - take)
            gi += gs[gi][1] == 0
            ki += ks[ki][1] == 0
    return counts, h, rounds


def _priced_columns(lp_args: tuple, P: int, grp: np.ndarray, score: np.ndarray):
    """Column generation over the first ``P`` columns (the rest always in): start from each group's best
    ``PRICING_START`` columns, add every omitted column with a negative reduced cost ``c_j − yᵀM_j`` under the
    restricted LP's optimal duals, until none is left — then the restricted optimum is optimal for the whole LP."""
    M, cost = lp_args[0], lp_args[1]
    n = M.shape[1]
    order = np.lexsort((-score, grp))
    first = np.r_[0, np.flatnonzero(np.diff(grp[order])) + 1] if P else np.zeros(0, np.int64)
    rank = np.arange(P) - np.repeat(first, np.diff(np.r_[first, P]))
    active = np.zeros(P, dtype=bool)
    active[order[rank < PRICING_START]] = True
    Mp = M[:, :P].T.tocsr()
    rounds = 0
    while True:
        rounds += 1
        x, h = _highs(*lp_args, cols=np.r_[np.flatnonzero(active), np.arange(P, n)])
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return x, h, rounds
        y = np.asarray(h.getSolution().row_dual, dtype=float)
        add = ~active & (cost[:P] - Mp @ y < -1e-9)
        if not add.any():
            return x, h, rounds
        active |= add


def _objective(model: Model, counts: np.ndarray) -> float:
    """Welfare of arc counts with each class's best flats used."""
    return float(model.arc_a @ counts + model.classes.tier_value @ _fill_tiers(model, counts))


def _milp_with_reduced_cost_fixing(model: Model, lp_args: tuple, A: int, start: np.ndarray | None):
    """Exact MILP made small: LP relaxation (priced), an incumbent from its rounded-down counts or the ballot,
    then *reduced-cost fixing*: with optimal LP duals y and reduced costs d = c − Aᵀy, every feasible x has
    cᵀx ≥ z_LP + d_j·x_j for an arc j with d_j ≥ 0, so an arc with z_LP + d_j > z_incumbent is 0 in every
    optimum and is dropped. HiGHS then solves the MILP over the arcs left, from the incumbent. Returns
    (x, Highs or None if the incumbent already meets the LP bound, pricing rounds, facts for ``info``)."""
    M, cost = lp_args[0], lp_args[1]
    T = M.shape[1] - A
    x_lp, h_lp, rounds, reduced = _priced_lp(model, lp_args, A, want_reduced=True)
    facts: dict = {}
    if h_lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        # LP not solved in time: fall back to the whole MILP from the start.
        x, h = _highs(*lp_args, integer_cols=A, start=None if start is None else
                      np.r_[start.astype(float), _fill_tiers(model, start)])
        if start is not None and not h.getInfo().primal_solution_status:
            x = start.astype(float)
        return x, h, rounds, {"lp_bound": np.inf}
    z_lp = float(cost @ x_lp)                        # minimisation form
    facts["lp_bound"] = -z_lp
    inc = np.floor(x_lp[:A] + INT_TOL).astype(np.int64)     # rounding down keeps every ≤ row satisfied
    if start is not None and _objective(model, start) > _objective(model, inc):
        inc = start.astype(np.int64)
    z_inc = -_objective(model, inc)
    facts["incumbent_welfare"] = -z_inc
    if z_inc - z_lp <= MIP_ABS_GAP + MIP_REL_GAP * abs(z_lp):
        facts["arcs_after_fixing"] = 0
        return inc.astype(float), None, rounds, facts
    keep = (reduced <= (z_inc - z_lp) + 1e-7) | (inc > 0)
    facts["arcs_after_fixing"] = int(keep.sum())
    arcs = np.flatnonzero(keep)
    cols = np.r_[arcs, A + np.arange(T)]
    x, h = _highs(*lp_args, cols=cols, integer_cols=len(arcs),
                  start=np.r_[inc[arcs].astype(float), _fill_tiers(model, inc)])
    if not h.getInfo().primal_solution_status or _objective(model, np.rint(x[:A]).astype(np.int64)) < -z_inc:
        x = np.r_[inc.astype(float), _fill_tiers(model, inc)]
    return x, h, rounds, facts


def _fill_tiers(model: Model, counts: np.ndarray) -> np.ndarray:
    """Tier usage for given arc counts: each class's best tiers first."""
    cls = model.classes
    need = np.bincount(model.arc_k, weights=counts, minlength=cls.n)
    y = np.zeros(len(cls.tier_class))
    for t in range(len(y)):     # tiers are sorted by class, then value descending
        k = cls.tier_class[t]
        y[t] = min(cls.tier_size[t], need[k])
        need[k] -= y[t]
    return y


def decode(model: Model, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Turn arc counts into ``flat_of``: members of a group are interchangeable (order drawn from ``rng``);
    each class's households get its highest-valued flats (value is household-independent, so who gets which
    does not change anyone's utility beyond that value; lowest household index gets the best)."""
    H = model.problem.n_households
    flat_of = np.full(H, -1, dtype=np.int64)
    members: dict[int, list[int]] = {}
    for g, hs in _group_members(model).items():
        members[g] = list(rng.permutation(hs))
    per_class: list[list[int]] = [[] for _ in range(model.classes.n)]
    for i in np.flatnonzero(counts > 0):
        g, k, n = int(model.arc_g[i]), int(model.arc_k[i]), int(counts[i])
        take, members[g] = members[g][:n], members[g][n:]
        per_class[k].extend(take)
    cls = model.classes
    for k, hs in enumerate(per_class):
        if hs:
            flat_of[np.sort(np.asarray(hs, dtype=np.int64))] = cls.flats[cls.ptr[k]:cls.ptr[k] + len(hs)]
    return flat_of


def _group_members(model: Model) -> dict[int, np.ndarray]:
    g = model.group_of
    idx = np.flatnonzero(g >= 0)
    order = idx[np.argsort(g[idx], kind="stable")]
    bounds = np.searchsorted(g[order], np.arange(len(model.group_rep) + 1))
    return {i: order[bounds[i]:bounds[i + 1]] for i in range(len(model.group_rep))}


def counts_of(model: Model, flat_of: np.ndarray) -> np.ndarray:
    """Arc counts of a given assignment (households whose flat's class is not one of their arcs are dropped)."""
    lookup = {(int(g), int(k)): i for i, (g, k) in enumerate(zip(model.arc_g, model.arc_k, strict=True))}
    counts = np.zeros(model.n_arcs, dtype=np.int64)
    for h in np.flatnonzero(flat_of >= 0):
        g = model.group_of[h]
        k = model.classes.of_flat[flat_of[h]]
        i = lookup.get((int(g), int(k)))
        if g >= 0 and k >= 0 and i is not None:
            counts[i] += 1
    return counts
