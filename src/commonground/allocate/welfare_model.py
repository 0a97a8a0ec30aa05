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
simplex solve is exact; otherwise the same model is solved as a MILP. This module only *builds* the model (an
immutable :class:`Model`); :mod:`.welfare_lp` solves LPs over it by column generation and :mod:`.welfare_milp`
proves integer optima.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.kernels import BLOCK, NEIGHBOURHOOD
from commonground.policy.state import CapState


class OutOfTime(TimeoutError):
    """The deadline passed while the model was being built (the caller falls back to an assignment it has)."""


def _check(deadline: float) -> None:
    if time.perf_counter() > deadline:
        raise OutOfTime("the time limit was reached while building the welfare model")


#: Loop iterations between two deadline checks in the model build (a check costs ~50 ns; an iteration ~1-20 µs).
CHECK_EVERY = 1024


@dataclass(frozen=True, eq=False)
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


@dataclass(frozen=True, eq=False)
class Arcs:
    """Sparse utilities household → flat class: ``a`` is the utility before the flat's own value."""

    h: np.ndarray
    k: np.ndarray
    a: np.ndarray


@dataclass(frozen=True, eq=False)
class Model:
    """The aggregated model, plus what is needed to turn a solution back into flats. Built once by
    :func:`build_model` and never changed afterwards."""

    problem: Problem
    classes: FlatClasses
    group_of: np.ndarray          # (H,) group of each household (-1: no acceptable class)
    group_size: np.ndarray        # (G,)
    group_rep: np.ndarray         # (G,) a representative household
    arc_g: np.ndarray             # (A,) group of each arc
    arc_k: np.ndarray             # (A,) class of each arc
    arc_a: np.ndarray             # (A,) utility before flat value
    cap_rows: tuple[tuple[int, int, int, int], ...]    # (cap, unit, limit, remaining) per row that can bind
    cap_matrix: sparse.csr_matrix                      # rows × arcs
    network: bool                 # a min-cost flow: the LP's vertex is integral
    why_not_network: str
    set_of_group: np.ndarray      # network case: the active limit each group is under (-1: none)
    scale: float                  # largest |utility| of an arc with its class's best flat (> 0): costs / scale ≈ 1

    @property
    def n_arcs(self) -> int:
        return len(self.arc_g)

    def arc_value(self) -> np.ndarray:
        """Each arc's utility with its class's best flat (an upper bound on what one household earns on it)."""
        return self.arc_a + self.classes.best_value()[self.arc_k]


# -- building ----------------------------------------------------------------------------------------------
def flat_classes(problem: Problem, available: np.ndarray,
                 deadline: float = np.inf) -> tuple[FlatClasses, Arcs]:
    """Group the available flats into classes and express utilities as household → class arcs (raises
    :class:`OutOfTime` once ``deadline``, a ``time.perf_counter()`` value, has passed)."""
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
    order = np.argsort(ff * max(problem.n_households, 1) + hh, kind="stable")
    hh, ff, base = hh[order], ff[order], base[order]
    bounds = np.searchsorted(ff, avail, "left"), np.searchsorted(ff, avail, "right")
    seen: dict[bytes, int] = {}
    of_flat = np.full(dev.n_flats, -1, dtype=np.int64)
    class_block: list[int] = []
    for n, (f, lo, hi) in enumerate(zip(avail, *bounds, strict=True)):
        if n % CHECK_EVERY == 0:
            _check(deadline)
        sig = np.int64(dev.flat_block[f]).tobytes() + hh[lo:hi].tobytes() + base[lo:hi].tobytes()
        c = seen.get(sig)
        if c is None:
            c = seen[sig] = len(class_block)
            class_block.append(int(dev.flat_block[f]))
        of_flat[f] = c
    kk = of_flat[ff]
    # Every flat of a class has the same (household, base) column, so any representative flat gives `a`.
    n_cls = max(len(class_block), 1)
    if len(class_block) == len(avail):
        # Every flat is its own class: the (household, flat) pairs are the arcs already.
        arcs = Arcs(h=hh, k=kk, a=base.astype(float))
    else:
        key, first = np.unique(hh * n_cls + kk, return_index=True)
        arcs = Arcs(h=(key // n_cls).astype(np.int64), k=(key % n_cls).astype(np.int64),
                    a=base[first].astype(float))
    return _tiers(problem, of_flat, np.asarray(class_block, dtype=np.int64)), arcs


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
                households: np.ndarray | None = None, deadline: float = np.inf) -> Model:
    """Aggregate the problem under ``policy``'s caps (``households``: optional mask of who takes part). Raises
    :class:`OutOfTime` once ``deadline`` (a ``time.perf_counter()`` value) has passed, checked between stages
    and inside the loops, so a time limit holds during the build too."""
    dev = problem.development
    if available is None:
        available = ~dev.occupied
    classes, arcs = flat_classes(problem, available, deadline)
    _check(deadline)
    # A class whose best flat is worth ≤ 0 to a household is not acceptable to it (docs/preferences.md: only a
    # flat better than staying unhoused is); dropping the arc also never loses welfare.
    keep = arcs.a + classes.best_value()[arcs.k] > 0
    if households is not None:
        keep &= households[arcs.h]
    h, k, a = arcs.h[keep], arcs.k[keep], arcs.a[keep]

    caps = CapState.build(policy, dev, problem.households)
    # Interchangeable households: same limit under every cap and the same arcs (classes and utilities).
    _check(deadline)
    order = np.argsort(h * max(classes.n, 1) + k, kind="stable")
    h, k, a = h[order], k[order], a[order]
    _check(deadline)
    H = problem.n_households
    ptr = np.zeros(H + 1, dtype=np.int64)
    np.cumsum(np.bincount(h, minlength=H), out=ptr[1:])
    limits = np.ascontiguousarray(caps.hh_limit.T)
    group_of = np.full(H, -1, dtype=np.int64)
    seen: dict[bytes, int] = {}
    reps: list[int] = []
    for n, hh in enumerate(np.flatnonzero(np.diff(ptr) > 0)):
        if n % CHECK_EVERY == 0:
            _check(deadline)
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
    arc_k, arc_a = k[arc_mask], a[arc_mask]
    _check(deadline)
    cap_rows, cap_matrix = _cap_rows(dev, classes, caps, size, rep, arc_g, arc_k)
    _check(deadline)
    network, why, set_of_group = network_structure(problem, classes, caps, cap_rows, rep, arc_g, arc_k, arc_a)
    value = np.abs(arc_a + classes.best_value()[arc_k]) if len(arc_a) else np.zeros(0)
    scale = float(value.max()) if len(value) and value.max() > 0 else 1.0
    for arr in (group_of, size, rep, arc_g, arc_k, arc_a, set_of_group):
        arr.setflags(write=False)
    return Model(problem=problem, classes=classes, group_of=group_of, group_size=size, group_rep=rep,
                 arc_g=arc_g, arc_k=arc_k, arc_a=arc_a, cap_rows=cap_rows, cap_matrix=cap_matrix, network=network,
                 why_not_network=why, set_of_group=set_of_group, scale=scale)


def _cap_rows(dev, cls: FlatClasses, caps: CapState, group_size: np.ndarray, group_rep: np.ndarray,
              arc_g: np.ndarray, arc_k: np.ndarray) -> tuple[tuple, sparse.csr_matrix]:
    """One row per (cap, unit, limit) that could bind: remaining places < flats the limit's groups could take."""
    class_size = np.diff(cls.ptr)
    n_arcs = len(arc_g)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    meta: list[tuple[int, int, int, int]] = []
    for c in range(caps.n_caps):
        unit_of_block = np.arange(dev.n_blocks) if caps.level[c] == BLOCK else dev.block_neighbourhood
        arc_lim = caps.hh_limit[c, group_rep[arc_g]] if n_arcs else np.zeros(0, np.int64)
        arc_unit = unit_of_block[cls.block[arc_k]]
        m = arc_lim >= 0
        if not m.any():
            continue
        key = arc_unit[m] * caps.maximum.shape[2] + arc_lim[m]
        arcs_m = np.flatnonzero(m)
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        ukeys, starts = np.unique(key_sorted, return_index=True)
        ends = np.r_[starts[1:], len(key_sorted)]
        vacant_in_unit = np.bincount(unit_of_block[cls.block], weights=class_size,
                                     minlength=caps.maximum.shape[1])
        for kk, lo, hi in zip(ukeys, starts, ends, strict=True):
            unit, lim = divmod(int(kk), caps.maximum.shape[2])
            remaining = max(int(caps.maximum[c, unit, lim] - caps.count[c, unit, lim]), 0)
            members = np.sort(arcs_m[order[lo:hi]])
            demand = group_size[np.bincount(arc_g[members], minlength=len(group_size)) > 0].sum()
            if remaining >= min(vacant_in_unit[unit], demand):
                continue  # cannot bind
            r = len(meta)
            meta.append((c, unit, lim, remaining))
            rows.append(np.full(len(members), r))
            cols.append(members)
    if meta:
        rr, cc = np.concatenate(rows), np.concatenate(cols)
        matrix = sparse.csr_matrix((np.ones(len(rr)), (rr, cc)), shape=(len(meta), n_arcs))
    else:
        matrix = sparse.csr_matrix((0, n_arcs))
    return tuple(meta), matrix


def network_structure(problem: Problem, cls: FlatClasses, caps: CapState, cap_rows: tuple, group_rep: np.ndarray,
                      arc_g: np.ndarray, arc_k: np.ndarray, arc_a: np.ndarray) -> tuple[bool, str, np.ndarray]:
    """Decide whether the model is a min-cost flow, so that an LP solve is exact; returns (network, why not,
    the active limit each group is under or -1).

    It is when (1) every cap row that can bind is at block level, (2) each household falls under at most one
    of those limits (e.g. one capped attribute: Chinese / Malay / Indian-Others), and (3) within each limit and
    block, all its groups' utilities to that block's classes differ only by a constant
    (``a(g, k) = α(g, block) + τ(limit, block, k)``, same acceptable classes). Then the problem is exactly the
    network source → group → (limit, block) → class → value tiers → sink (uncapped groups go straight to
    classes), solved by :func:`commonground.allocate.welfare_lp.network_lp` on that network's node–arc incidence
    matrix, which is totally unimodular: the simplex vertex is integral. Cross-cutting attributes (ethnicity and
    residency), nested limits, neighbourhood caps that can bind, or household-specific flat-type terms under a
    cap break this in general (see docs/price_of_diversity.md); the MILP is used then.
    """
    G = len(group_rep)
    none = np.full(G, -1, dtype=np.int64)
    if not cap_rows:
        return True, "", none
    if any(int(caps.level[c]) == NEIGHBOURHOOD for c, _, _, _ in cap_rows):
        return False, "a neighbourhood cap can bind", none
    active = sorted({(c, lim) for c, _, lim, _ in cap_rows})
    rep_lim = caps.hh_limit[:, group_rep]
    member = np.array([rep_lim[c] == lim for c, lim in active])          # sets × groups
    if (member.sum(axis=0) > 1).any():
        return False, "a household falls under two limits that can bind (several cap attributes)", none
    set_of_group = np.where(member.any(axis=0), member.argmax(axis=0), -1).astype(np.int64)
    # Condition (3), vectorised: arcs sorted by (group, block, class) form one segment per (group, block); every
    # capped segment must repeat, class for class, the first segment of its (limit, block), with utilities that
    # differ from it by one constant (compared to 1e-9: last-bit noise in sums of floats is no real difference).
    blk = cls.block[arc_k]
    K, B = max(cls.n, 1), problem.development.n_blocks + 1
    order = np.argsort((arc_g * B + blk) * K + arc_k, kind="stable")
    g_s, b_s, k_s, a_s = arc_g[order], blk[order], arc_k[order], arc_a[order]
    capped = set_of_group[g_s] >= 0
    g_s, b_s, k_s, a_s = g_s[capped], b_s[capped], k_s[capped], a_s[capped]
    if not len(g_s):
        return True, "", set_of_group
    new_seg = np.r_[True, (g_s[1:] != g_s[:-1]) | (b_s[1:] != b_s[:-1])]
    seg = np.cumsum(new_seg) - 1
    start = np.flatnonzero(new_seg)
    length = np.diff(np.r_[start, len(g_s)])
    pos = np.arange(len(g_s)) - start[seg]
    diff = np.round(a_s - a_s[start[seg]], 9)
    key = set_of_group[g_s[start]] * B + b_s[start]                   # (limit, block) of each segment
    _, ref_of_key = np.unique(key, return_index=True)
    ref = start[ref_of_key[np.searchsorted(np.unique(key), key)]]      # first arc of the reference segment
    ref_len = length[seg[ref]]
    if (length != ref_len).any():
        return False, "capped households weigh flat types (or flats) of a block differently", set_of_group
    ref_arc = ref[seg] + pos
    if (k_s[ref_arc] != k_s).any() or (diff[ref_arc] != diff).any():
        return False, "capped households weigh flat types (or flats) of a block differently", set_of_group
    return True, "", set_of_group


def fill_tiers(model: Model, counts: np.ndarray) -> np.ndarray:
    """Tier usage for given arc counts: each class's best tiers first."""
    cls = model.classes
    need = np.bincount(model.arc_k, weights=counts, minlength=cls.n)
    # Tiers are sorted by class, then value descending: a tier takes what its class still needs after the
    # better tiers of the class, up to its size.
    start = np.r_[0, np.cumsum(cls.tier_size)[:-1]] if len(cls.tier_size) else np.zeros(0)
    first_of_class = np.zeros(cls.n + 1)
    np.add.at(first_of_class, cls.tier_class + 1, cls.tier_size)
    before = start - np.cumsum(first_of_class)[cls.tier_class]     # flats in better tiers of the same class
    return np.clip(need[cls.tier_class] - before, 0, cls.tier_size).astype(float)


def objective(model: Model, counts: np.ndarray) -> float:
    """Welfare of arc counts, each class's best flats used (in utility units)."""
    return float(model.arc_a @ counts + model.classes.tier_value @ fill_tiers(model, counts))


def decode(model: Model, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Turn arc counts into ``flat_of``: members of a group are interchangeable (order drawn from ``rng``).
    A class's households get its highest-valued flats, the best to the household that values the class least
    (ties: lowest household index), which leaves total welfare as it is and houses no one at a worth ≤ 0 that
    another order could avoid; a household whose flat is still worth ≤ 0 to it adds nothing to the welfare and
    is left unhoused (a flat is acceptable only if worth > 0, docs/preferences.md)."""
    H = model.problem.n_households
    flat_of = np.full(H, -1, dtype=np.int64)
    members: dict[int, list[int]] = {}
    for g, hs in _group_members(model).items():
        members[g] = list(rng.permutation(hs))
    h_parts: list[np.ndarray] = []
    k_parts: list[np.ndarray] = []
    a_parts: list[np.ndarray] = []
    for i in np.flatnonzero(counts > 0):
        g, n = int(model.arc_g[i]), int(counts[i])
        take, members[g] = members[g][:n], members[g][n:]
        h_parts.append(np.asarray(take, dtype=np.int64))
        k_parts.append(np.full(n, model.arc_k[i], dtype=np.int64))
        a_parts.append(np.full(n, model.arc_a[i], dtype=float))
    if not h_parts:
        return flat_of
    h, k, a = np.concatenate(h_parts), np.concatenate(k_parts), np.concatenate(a_parts)
    order = np.lexsort((h, a, k))                # by class, then least value of the class first, then index
    h, k, a = h[order], k[order], a[order]
    first = np.searchsorted(k, k)                # where each household's class starts in this order
    cls = model.classes
    f = cls.flats[cls.ptr[k] + np.arange(len(k)) - first]
    ok = a + model.problem.development.flat_value[f] > 0
    flat_of[h[ok]] = f[ok]
    return flat_of


def _group_members(model: Model) -> dict[int, np.ndarray]:
    g = model.group_of
    idx = np.flatnonzero(g >= 0)
    order = idx[np.argsort(g[idx], kind="stable")]
    bounds = np.searchsorted(g[order], np.arange(len(model.group_rep) + 1))
    return {i: order[bounds[i]:bounds[i + 1]] for i in range(len(model.group_rep))}


def arc_index(model: Model, g: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Index of the arc (group ``g``, class ``k``) for each pair, -1 where there is none."""
    K = max(model.classes.n, 1)
    key = model.arc_g * K + model.arc_k
    order = np.argsort(key, kind="stable")
    want = np.asarray(g, dtype=np.int64) * K + np.asarray(k, dtype=np.int64)
    pos = np.clip(np.searchsorted(key[order], want), 0, max(len(key) - 1, 0))
    ok = (len(key) > 0) & (np.asarray(g) >= 0) & (np.asarray(k) >= 0)
    ok = ok & (key[order][pos] == want) if len(key) else np.zeros(len(want), bool)
    return np.where(ok, order[pos] if len(key) else -1, -1)


def counts_of(model: Model, flat_of: np.ndarray) -> np.ndarray:
    """Arc counts of a given assignment (households whose flat's class is not one of their arcs are dropped)."""
    h = np.flatnonzero(flat_of >= 0)
    i = arc_index(model, model.group_of[h], model.classes.of_flat[flat_of[h]])
    return np.bincount(i[i >= 0], minlength=model.n_arcs).astype(np.int64)
