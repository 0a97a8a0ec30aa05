"""Linear programs over the welfare model: HiGHS set-up, one column-generation routine, the min-cost-flow form.

Every LP here is ``min cost·x  s.t.  row_lo ≤ M x ≤ row_hi, 0 ≤ x ≤ col_hi`` with costs divided by the model's
``scale`` (its largest arc utility), so HiGHS's absolute tolerances act on numbers of order 1 whatever the
utilities' units (Benabbou et al.'s utilities are normalised to sum 1 per household, each about 1e-3).

:func:`solve_lp` returns an :class:`LPResult` of one shape: the solution, the row duals, every column's reduced
cost and a **verified** lower bound ``L(y) = Σ_r y_r·b_r + Σ_j min(0, d_j)·col_hi_j`` (weak duality for any
sign-correct ``y``, so the bound holds whatever tolerances the simplex used).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from commonground.allocate.welfare_model import Model, arc_index

#: Integrality tolerance when reading counts back.
INT_TOL = 1e-6
#: Columns per group in the first pricing round, and at most priced in per group and round: about
#: PRICING_START_TOTAL in all, between PRICING_START[0] and [1] per group (at least 2 per round). Small numbers
#: keep each simplex solve cheap when there are many groups (50,000 households × 80 blocks: 13 s with 1 and 2
#: against 31 s with 2 and 8; a 35,000-applicant sales exercise: 2 s against 11 s with all 8); with few groups
#: 8 saves rounds (1,348 households × 1,350 flats: 1.0 s against 1.7 s with 2).
PRICING_START = (1, 8)
PRICING_START_TOTAL = 50_000
#: A reduced cost below −PRICING_TOL (scaled units, costs of order 1) prices a column in.
PRICING_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class LinearProgram:
    """``min cost·x, row_lo ≤ M x ≤ row_hi, 0 ≤ x ≤ col_hi`` (``M`` column-wise)."""

    M: sparse.csc_matrix
    cost: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray

    @property
    def n_cols(self) -> int:
        return self.M.shape[1]


@dataclass(frozen=True, eq=False)
class LPResult:
    """An LP solve: ``x`` over all columns (0 where never priced in), row ``duals``, ``reduced`` costs of every
    column, the verified lower ``bound`` (−inf when HiGHS gave no duals), HiGHS's status, pricing rounds."""

    x: np.ndarray
    duals: np.ndarray
    reduced: np.ndarray
    bound: float
    status: str
    optimal: bool
    rounds: int
    iterations: int


def arc_lp(model: Model) -> LinearProgram:
    """The aggregated model in arc form: columns are the arcs then the value tiers; rows are group supply,
    class balance and the cap rows that can bind (module docstring of :mod:`.welfare_model`)."""
    A, T = model.n_arcs, len(model.classes.tier_class)
    G, K, R = len(model.group_rep), model.classes.n, len(model.cap_rows)
    ar, tr = np.arange(A), np.arange(T)
    blocks = [
        sparse.csr_matrix((np.ones(A), (model.arc_g, ar)), shape=(G, A + T)),
        sparse.csr_matrix((np.r_[np.ones(A), -np.ones(T)], (np.r_[model.arc_k, model.classes.tier_class],
                                                             np.r_[ar, A + tr])), shape=(K, A + T)),
    ]
    if R:
        blocks.append(sparse.hstack([model.cap_matrix, sparse.csr_matrix((R, T))]).tocsr())
    M = sparse.vstack(blocks).tocsc()
    class_size = np.diff(model.classes.ptr)
    return LinearProgram(
        M=M, cost=-np.r_[model.arc_a, model.classes.tier_value] / model.scale,
        col_hi=np.r_[np.minimum(model.group_size[model.arc_g], class_size[model.arc_k]).astype(float),
                     model.classes.tier_size.astype(float)],
        row_lo=np.r_[np.full(G, -np.inf), np.zeros(K), np.full(R, -np.inf)],
        row_hi=np.r_[model.group_size.astype(float), np.zeros(K), np.array([r[3] for r in model.cap_rows], float)])


def lagrangian_bound(lp: LinearProgram, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(sign-corrected duals, reduced costs, lower bound) for any row prices ``y``: weak duality."""
    y = np.where(np.isinf(lp.row_lo), np.minimum(y, 0.0), y)
    y = np.where(np.isinf(lp.row_hi), np.maximum(y, 0.0), y)
    d = lp.cost - lp.M.T @ y
    rhs = np.where(y < 0, lp.row_hi, lp.row_lo)
    neg = d < 0
    bound = float(np.sum(y[y != 0] * rhs[y != 0]) + d[neg] @ lp.col_hi[neg])
    return y, d, bound


_BANNER_SHOWN = False


def quiet_highs() -> highspy.Highs:
    """A HiGHS instance with output off; the first one in a process prints a licence banner to C-level stdout,
    which would land in the middle of CLI output and piped CSV, so that one is created with stdout on /dev/null."""
    global _BANNER_SHOWN
    if not _BANNER_SHOWN:
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
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def highs_model(lp: LinearProgram, cols: np.ndarray, *, integer_cols: int = 0) -> highspy.HighsLp:
    """The HiGHS model of ``lp`` restricted to ``cols`` (the first ``integer_cols`` of them integer)."""
    M = lp.M[:, cols]
    m = highspy.HighsLp()
    m.num_col_, m.num_row_ = M.shape[1], M.shape[0]
    m.col_cost_ = lp.cost[cols]
    m.col_lower_ = np.zeros(M.shape[1])
    m.col_upper_ = lp.col_hi[cols]
    m.row_lower_ = lp.row_lo
    m.row_upper_ = lp.row_hi
    m.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    m.a_matrix_.start_ = M.indptr.astype(np.int32)
    m.a_matrix_.index_ = M.indices.astype(np.int32)
    m.a_matrix_.value_ = M.data.astype(float)
    if integer_cols:
        m.integrality_ = ([highspy.HighsVarType.kInteger] * integer_cols
                          + [highspy.HighsVarType.kContinuous] * (M.shape[1] - integer_cols))
    return m


def solve_lp(lp: LinearProgram, *, priced: int = 0, group: np.ndarray | None = None,
             score: np.ndarray | None = None, deadline: float = np.inf, threads: int | None = None) -> LPResult:
    """Solve ``lp`` by HiGHS's simplex — whole (``priced=0``) or by **column generation** over its first
    ``priced`` columns (the rest always in): start from each ``group``'s few (``PRICING_START``) best-``score`` columns,
    then add every omitted column whose reduced cost ``c_j − yᵀM_j`` is negative under the restricted LP's duals
    (warm-started: HiGHS keeps its basis), until none is left — by LP duality the restricted optimum is then
    optimal for the whole LP. ``deadline`` (``time.perf_counter()`` value) bounds the whole call."""
    n = lp.n_cols
    active = np.ones(n, dtype=bool)
    if priced:
        if group is None or score is None:
            raise ValueError("solve_lp: column generation (priced > 0) needs group and score")
        # Sort by group, then score descending, on one float key (score scaled into [0, 0.5]).
        span = max(float(np.ptp(score)) if len(score) else 0.0, 1e-300)
        order = np.argsort(group + 0.5 * (score.max(initial=0.0) - score) / span)
        first = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]
        rank = np.arange(priced) - np.repeat(first, np.diff(np.r_[first, priced]))
        per_group = int(np.clip(PRICING_START_TOTAL // max(len(first), 1), *PRICING_START))
        per_round = max(per_group, 2)
        active[:priced] = False
        active[order[rank < per_group]] = True
    cols = np.flatnonzero(active)
    h = quiet_highs()
    h.setOptionValue("solver", "simplex")
    if threads:
        h.setOptionValue("threads", int(threads))
    h.passModel(highs_model(lp, cols))
    rounds = 0
    while True:
        rounds += 1
        h.setOptionValue("time_limit", max(h.getRunTime() + deadline - time.perf_counter(), 1e-3))
        h.run()
        status = h.getModelStatus()
        x = np.zeros(n)
        if h.getInfo().primal_solution_status:
            x[cols] = np.asarray(h.getSolution().col_value, dtype=float)
        if status != highspy.HighsModelStatus.kOptimal:
            return LPResult(x=x, duals=np.zeros(lp.M.shape[0]), reduced=lp.cost.copy(), bound=-np.inf,
                            status=h.modelStatusToString(status), optimal=False, rounds=rounds,
                            iterations=int(h.getInfo().simplex_iteration_count))
        y, d, bound = lagrangian_bound(lp, np.asarray(h.getSolution().row_dual, dtype=float))
        add = ~active & (d < -PRICING_TOL)
        add[priced:] = False
        if not add.any() or time.perf_counter() > deadline:
            return LPResult(x=x, duals=y, reduced=d, bound=bound, status=h.modelStatusToString(status),
                            optimal=not add.any(), rounds=rounds,
                            iterations=int(h.getInfo().simplex_iteration_count))
        new = np.flatnonzero(add)
        if priced and group is not None and len(new) > per_round * (np.ptp(group[new]) + 1):
            # Many candidates: each group's few most negative this round (the rest come back if needed).
            o = np.lexsort((d[new], group[new]))
            g_sorted = group[new][o]
            first = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
            rank = np.arange(len(new)) - np.repeat(first, np.diff(np.r_[first, len(new)]))
            new = np.sort(new[o[rank < per_round]])
        sub = lp.M[:, new]
        h.addCols(len(new), lp.cost[new], np.zeros(len(new)), lp.col_hi[new], sub.nnz,
                  sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32), sub.data.astype(float))
        active[new] = True
        cols = np.r_[cols, new]


def network_lp(model: Model, *, deadline: float = np.inf, threads: int | None = None,
               pricing: bool = False) -> tuple[np.ndarray | None, LPResult]:
    """Solve the min-cost flow source → group → (limit, block) → class → tiers → sink as an LP on its node–arc
    incidence matrix (totally unimodular, so the simplex vertex is integral) and return the count per
    (group, class) arc of the model (``None`` if the vertex read back is not integral) and the LP result.

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
    sb_key = sg[xg] * len(room_b) + xb
    nodes, node_of_x = np.unique(sb_key, return_inverse=True)
    zkey = node_of_x[col_of_arc] * K + model.arc_k[ca]
    zcols, z_first = np.unique(zkey, return_index=True)
    z_node, z_k = zcols // K, zcols % K
    z_tau = tau_arc[z_first]
    remaining = np.full(len(nodes), np.inf)
    set_index = {key: i for i, key in enumerate(sorted({(c, lim) for c, _, lim, _ in model.cap_rows}))}
    for c, unit, lim, rem in model.cap_rows:
        key = set_index[(c, lim)] * len(room_b) + unit      # the same numbering as network_structure's
        j = np.searchsorted(nodes, key)
        if j < len(nodes) and nodes[j] == key:
            remaining[j] = rem
    ua = np.flatnonzero(~capped)
    X, U, W, Z, N = len(xg), len(ua), len(nodes), len(zcols), len(nodes)
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
    lp = LinearProgram(
        M=M, cost=-np.r_[alpha, model.arc_a[ua], np.zeros(W), z_tau, cls.tier_value] / model.scale,
        col_hi=np.r_[np.minimum(model.group_size[xg], room_b[xb]),
                     np.minimum(model.group_size[model.arc_g[ua]], class_size[model.arc_k[ua]]),
                     remaining, class_size[z_k], cls.tier_size.astype(float)],
        row_lo=np.r_[np.full(G, -np.inf), np.zeros(2 * N + K)],
        row_hi=np.r_[model.group_size.astype(float), np.zeros(2 * N + K)])
    P = X + U
    if pricing:
        res = solve_lp(lp, priced=P, group=np.r_[xg, model.arc_g[ua]], score=-lp.cost[:P], deadline=deadline,
                       threads=threads)
    else:
        res = solve_lp(lp, deadline=deadline, threads=threads)
    x = res.x
    xv = np.rint(x[:X]).astype(np.int64)
    zv = np.rint(x[o[3]:o[4]]).astype(np.int64)
    uv = np.rint(x[o[1]:o[2]]).astype(np.int64)
    if (np.abs(x[:X] - xv).max(initial=0) > INT_TOL or np.abs(x[o[3]:o[4]] - zv).max(initial=0) > INT_TOL
            or np.abs(x[o[1]:o[2]] - uv).max(initial=0) > INT_TOL):
        return None, res          # not integral: the caller falls back to the MILP
    # Back to (group, class) arc counts: pour each node's households into its classes.
    counts = np.zeros(model.n_arcs, dtype=np.int64)
    counts[ua] = uv
    xs, zs = np.flatnonzero(xv > 0), np.flatnonzero(zv > 0)
    xs, zs = xs[np.argsort(node_of_x[xs], kind="stable")], zs[np.argsort(z_node[zs], kind="stable")]
    x_bounds = np.searchsorted(node_of_x[xs], np.arange(N + 1))
    z_bounds = np.searchsorted(z_node[zs], np.arange(N + 1))
    pg, pk, pn = [], [], []
    for n in range(N):
        gs = [[int(xg[i]), int(xv[i])] for i in xs[x_bounds[n]:x_bounds[n + 1]]]
        ks = [[int(z_k[i]), int(zv[i])] for i in zs[z_bounds[n]:z_bounds[n + 1]]]
        gi = ki = 0
        while gi < len(gs) and ki < len(ks):
            take = min(gs[gi][1], ks[ki][1])
            pg.append(gs[gi][0])
            pk.append(ks[ki][0])
            pn.append(take)
            gs[gi][1] -= take
            ks[ki][1] -= take
            gi += gs[gi][1] == 0
            ki += ks[ki][1] == 0
    if pn:
        idx = arc_index(model, np.asarray(pg), np.asarray(pk))
        np.add.at(counts, idx, np.asarray(pn, dtype=np.int64))
    return counts, res
