"""The priority-respecting optimum: house the queue's earliest applicants that the caps allow, then the best welfare.

The welfare optimum (``optimal``) decides *who* is housed by reported utility, so it is a yardstick, not a lawful
proposal. This variant keeps the ballot's answer to *who* and improves only *where*:

1. **Who.** Go down the ballot queue (same seed, same queue as the ballot); add household h to the housed set S if
   some cap-feasible assignment houses every household of S ∪ {h}, each in a flat it accepts. The result is the
   queue-lexicographically first housable set: no household is turned away while some cap-feasible assignment
   could house it together with everyone housed ahead of it in the queue.
2. **Where.** Among the cap-feasible assignments housing exactly S, take one of maximum total utility.

Property (tested exhaustively on small markets in tests/core/test_priority_optimal.py): S is the queue-lexico-
graphically largest set of households housable under the caps — so S is at least as good, in that order, as the
set housed by the ballot, DA or any other cap-respecting mechanism — and no cap-feasible assignment of exactly S
has higher welfare. Every cap holds.

The feasibility oracle is a small MILP (households × (block, flat type) places, a row per household, place and cap
unit) solved by HiGHS through :func:`scipy.optimize.milp`. Most households are added without it: if the current
assignment has room for h within the caps, S ∪ {h} is feasible; and once a household is refused, every later
household of the same kind (same capped groups, same acceptable places) is refused too, since S only grows. The
welfare stage is one MILP; a flat's own value is shared by all households, so the places' best flats are filled
first through continuous slot variables.

**Network case.** When the policy has at most one cap, at block level, and every household accepts either all or
none of the places of each block, who can be housed together is decided by a flow network (source → household →
(block, limit) with the cap's room → block with its places → sink), so the housable sets are the independent sets
of a gammoid — a matroid. The greedy's set is then the matroid's unique maximum-weight basis for any weights that
decrease down the queue, found by one LP over (household, block) pairs (its matrix has two laminar row families,
households and blocks ⊃ (block, limit), so it is totally unimodular and the LP optimum is integral): no oracle call
at all. ``oracle="milp"`` forces the greedy with the MILP oracle (tests compare the two).

**Refusals without a MILP.** Most oracle calls prove infeasibility (60 of 68 on a 3,000-applicant launch). Before
the MILP, a max-flow relaxation is tried (``scipy.sparse.csgraph.maximum_flow``): only the households of S ∪ {h}
under the same limits as h, through their acceptable places, blocks and neighbourhoods with that limit's room
(places ⊂ blocks ⊂ neighbourhoods is a tree, so it is a flow). Dropping everyone else can only loosen the
problem, so if the flow cannot carry all of them, S ∪ {h} is infeasible and h is refused at once. The same holds
for everyone of S ∪ {h} through the places alone, with no cap (this one catches the refusals when households
accept few flat types). ``oracle="milp"`` turns both shortcuts off.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import maximum_flow

from commonground.allocate import _kernels as K
from commonground.allocate.ballot import _queue
from commonground.allocate.result import Allocation
from commonground.allocate.selection import flat_groups, reasons
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.state import CapState


class _Market:
    """Places (block-form: vacant (block, flat type) groups; flat-form: single vacant flats), the acceptable
    (household, place) pairs with their utility excluding the flat's own value, and the constraint matrix."""

    def __init__(self, problem: Problem, caps: CapState) -> None:
        dev, u = problem.development, problem.utilities
        available = ~dev.occupied
        n = problem.n_households
        if isinstance(u, BlockUtilities):
            grp_ptr, grp_flats, n_types = flat_groups(problem, available)
            sizes = np.diff(grp_ptr)
            groups = np.flatnonzero(sizes > 0)
            self.place_flats = [grp_flats[grp_ptr[g]:grp_ptr[g + 1]] for g in groups]
            self.place_block = (groups // n_types).astype(np.int64)
            V = u.flat_type if u.flat_type.shape[1] else np.zeros((n, 1))
            w = u.block[:, self.place_block] + V[:, groups % n_types]
            # Acceptable only if every flat of the place is worth > 0 (docs/preferences.md; flats of a place are
            # handed out in queue order, so a household cannot pick among them).
            low = np.array([dev.flat_value[f].min() for f in self.place_flats])
            ph, ps = np.nonzero(np.isfinite(w) & (w + low[None, :] > 0))
            self.pair_h, self.pair_s, self.pair_w = ph.astype(np.int64), ps.astype(np.int64), w[ph, ps]
            self.slot_value = [dev.flat_value[f] for f in self.place_flats]
        else:
            vacant = np.flatnonzero(available)
            place_of = np.full(dev.n_flats, -1, np.int64)
            place_of[vacant] = np.arange(len(vacant))
            ph = np.repeat(np.arange(n), np.diff(u.indptr))
            keep = available[u.flat]
            self.pair_h, self.pair_s, self.pair_w = ph[keep], place_of[u.flat[keep]], u.value[keep]
            self.place_flats = [np.array([f]) for f in vacant]
            self.place_block = dev.flat_block[vacant].astype(np.int64)
            self.slot_value = [np.zeros(1) for _ in vacant]
        self.n, self.n_places = n, len(self.place_flats)
        self.capacity = np.array([len(f) for f in self.place_flats], np.int64)
        # Rows: one per household (≤ 1 place), one per place (≤ capacity), one per (cap, unit, limit) (≤ room).
        P = len(self.pair_h)
        rows = [self.pair_h, n + self.pair_s]
        cols = [np.arange(P), np.arange(P)]
        ub = [np.ones(n), self.capacity.astype(float)]
        base = n + self.n_places
        self.cap_rows: list[np.ndarray] = []
        for c in range(caps.n_caps):
            lim = caps.hh_limit[c, self.pair_h]
            unit = self.place_block if caps.level[c] == 0 else caps.block_neighbourhood[self.place_block]
            unit = unit[self.pair_s]
            m = lim >= 0
            L = caps.maximum.shape[2]
            key = unit[m] * L + lim[m]
            uniq, inv = np.unique(key, return_inverse=True)
            rows.append(base + inv)
            cols.append(np.flatnonzero(m))
            room = caps.maximum[c, uniq // L, uniq % L] - caps.count[c, uniq // L, uniq % L]
            ub.append(np.maximum(room, 0).astype(float))
            base += len(uniq)
        self.n_rows = base
        self.A = sparse.csr_array((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                                  shape=(base, P))
        self.ub = np.concatenate(ub)
        self.pairs_of = np.split(np.argsort(self.pair_h, kind="stable"),
                                 np.cumsum(np.bincount(self.pair_h, minlength=n))[:-1])

    def solve(self, members: np.ndarray, objective: np.ndarray | None, time_limit: float):
        """House every one of ``members`` exactly once, maximising ``objective`` (welfare stage) or nothing
        (feasibility stage: HiGHS proves infeasibility or returns an assignment)."""
        allowed = np.zeros(len(self.pair_h), bool)
        allowed[np.concatenate([self.pairs_of[h] for h in members]) if len(members) else []] = True
        cols = np.flatnonzero(allowed)
        A = self.A[:, cols]
        lb = np.zeros(self.n_rows)
        lb[:] = -np.inf
        lb[members] = 1.0
        c = -(objective[cols] if objective is not None else np.zeros(len(cols)))
        integrality = np.ones(len(cols))
        if objective is not None:
            # Slots: each place's flats best first; sum of slots used = households placed there.
            slot_val = np.concatenate(self.slot_value) if self.slot_value else np.zeros(0)
            slot_place = np.repeat(np.arange(self.n_places), self.capacity)
            link_cols = np.r_[np.arange(len(cols)), len(cols) + np.arange(len(slot_val))]
            link = sparse.csr_array((np.r_[np.ones(len(cols)), -np.ones(len(slot_val))],
                                     (np.r_[self.pair_s[cols], slot_place], link_cols)),
                                    shape=(self.n_places, len(cols) + len(slot_val)))
            A = sparse.vstack([sparse.hstack([A, sparse.csr_array((self.n_rows, len(slot_val)))]), link])
            lb = np.r_[lb, np.zeros(self.n_places)]
            ub = np.r_[self.ub, np.zeros(self.n_places)]
            c = np.r_[c, -slot_val]
            integrality = np.r_[integrality, np.zeros(len(slot_val))]
        else:
            ub = self.ub
        res = milp(c, constraints=LinearConstraint(A, lb, ub), integrality=integrality,
                   bounds=Bounds(0, 1), options={"time_limit": time_limit, "disp": False})
        x = np.zeros(len(self.pair_h))
        if res.x is not None:
            x[cols] = np.round(res.x[:len(cols)])
        return res, x


def _places_flow_refuses(market: _Market, members: np.ndarray) -> bool:
    """True if ``members`` cannot all be placed even without any cap: a max-flow source → household → place →
    sink with the places' capacities (a relaxation of the MILP)."""
    pairs = np.concatenate([market.pairs_of[g] for g in members])
    who = np.searchsorted(members, market.pair_h[pairs])
    m0, p0 = 2, 2 + len(members)
    size = p0 + market.n_places
    tail = np.concatenate([np.zeros(len(members), np.int64), m0 + who, p0 + np.arange(market.n_places)])
    head = np.concatenate([m0 + np.arange(len(members)), p0 + market.pair_s[pairs], np.ones(market.n_places, np.int64)])
    cap = np.concatenate([np.ones(len(members) + len(pairs), np.int64), market.capacity])
    graph = sparse.csr_array((cap.astype(np.int32), (tail, head)), shape=(size, size))
    return maximum_flow(graph, 0, 1).flow_value < len(members)


def _same_limits_flow_refuses(market: _Market, caps: CapState, members: np.ndarray, h: int) -> bool:
    """True if the households of ``members`` (sorted; h among them) under h's limits cannot all be placed even with
    everyone else removed: a max-flow over source → household → place → block → neighbourhood → sink, block and
    neighbourhood arcs carrying the least room of h's limits there (a relaxation of the MILP; see the module
    docstring)."""
    same = members[(caps.hh_limit[:, members] == caps.hh_limit[:, [h]]).all(axis=0)]
    pairs = np.concatenate([market.pairs_of[g] for g in same])
    if len(pairs) == 0:
        return True
    n_places = market.n_places
    n_blocks = len(caps.block_neighbourhood)
    n_nbhd = int(caps.block_neighbourhood.max()) + 1 if n_blocks else 0
    big = int(market.capacity.sum()) + 1
    block_room = np.full(n_blocks, big, np.int64)
    nbhd_room = np.full(n_nbhd, big, np.int64)
    for c in range(caps.n_caps):
        lim = caps.hh_limit[c, h]
        if lim < 0:
            continue
        room = np.maximum(caps.maximum[c, :, lim] - caps.count[c, :, lim], 0)
        if caps.level[c] == 0:
            block_room = np.minimum(block_room, room[:n_blocks])
        else:
            nbhd_room = np.minimum(nbhd_room, room[:n_nbhd])
    who = np.searchsorted(same, market.pair_h[pairs])
    src, snk = 0, 1
    m0 = 2
    p0 = m0 + len(same)
    b0 = p0 + n_places
    n0 = b0 + n_blocks
    tail = np.concatenate([np.full(len(same), src), m0 + who, p0 + np.arange(n_places), b0 + np.arange(n_blocks),
                           n0 + np.arange(n_nbhd)])
    head = np.concatenate([m0 + np.arange(len(same)), p0 + market.pair_s[pairs], b0 + market.place_block,
                           n0 + caps.block_neighbourhood, np.full(n_nbhd, snk)])
    cap = np.concatenate([np.ones(len(same) + len(pairs), np.int64), market.capacity, block_room, nbhd_room])
    size = n0 + n_nbhd
    graph = sparse.csr_array((cap.astype(np.int32), (tail, head)), shape=(size, size))
    return maximum_flow(graph, src, snk).flow_value < len(same)


def _network_first_set(market: _Market, caps: CapState, rank: np.ndarray) -> np.ndarray | None:
    """The queue-lexicographically first housable set by one LP, or ``None`` outside the network case (see the
    module docstring): maximise Σ (n − rank_h) y_hb over (household, accepted block) pairs subject to each
    household ≤ 1, each block ≤ its vacant places, each (block, limit) ≤ the cap's room."""
    if caps.n_caps > 1 or (caps.n_caps == 1 and caps.level[0] != 0):
        return None
    n = market.n
    n_blocks = int(market.place_block.max()) + 1 if market.n_places else 0
    places_per_block = np.bincount(market.place_block, minlength=n_blocks)
    hb = market.pair_h * n_blocks + market.place_block[market.pair_s]
    keys, count = np.unique(hb, return_counts=True)
    if not (count == places_per_block[keys % n_blocks]).all():
        return None  # someone accepts only some places of a block
    h, b = keys // n_blocks, keys % n_blocks
    k = len(keys)
    if k == 0:
        return np.zeros(0, np.int64)
    block_room = np.bincount(market.place_block, weights=market.capacity, minlength=n_blocks)
    rows = [h, n + b]
    ub = [np.ones(n), block_room]
    cols = [np.arange(k), np.arange(k)]
    if caps.n_caps:
        lim = caps.hh_limit[0, h]
        m = lim >= 0
        L = caps.maximum.shape[2]
        uniq, inv = np.unique(b[m] * L + lim[m], return_inverse=True)
        rows.append(n + n_blocks + inv)
        cols.append(np.flatnonzero(m))
        room = caps.maximum[0, uniq // L, uniq % L] - caps.count[0, uniq // L, uniq % L]
        ub.append(np.maximum(room, 0).astype(float))
    A = sparse.csr_array((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n + n_blocks + sum(len(u) for u in ub[2:]), k))
    res = linprog(-(n - rank[h]).astype(float), A_ub=A, b_ub=np.concatenate(ub), bounds=(0, 1), method="highs")
    if res.status != 0:
        return None
    covered = np.bincount(h, weights=res.x, minlength=n)
    return np.flatnonzero(covered > 0.5)


def priority_optimal(problem: Problem, policy: Policy, *, seed: int | None = 0,
                     time_limit: float = 60.0, oracle: str = "auto") -> Allocation:
    """Queue-lexicographically first housable set under the caps, then maximum welfare among its assignments
    (``oracle``: ``auto`` uses the network LP where it applies and the max-flow refusals, ``milp`` the plain greedy
    with the MILP oracle — the reference the shortcuts are tested against)."""
    start = time.perf_counter()
    if oracle not in ("auto", "milp"):
        raise ValueError(f"oracle must be 'auto' or 'milp', not '{oracle}'")
    caps = CapState.build(policy, problem.development, problem.households)
    market = _Market(problem, caps)
    queue = _queue(problem, policy, seed)
    n = problem.n_households
    rank = np.empty(n, np.int64)
    rank[queue] = np.arange(n)
    first = _network_first_set(market, caps, rank) if oracle == "auto" else None
    # Current assignment of the housed set (place per household), kept feasible as S grows.
    place = np.full(n, -1, np.int64)
    fill = np.zeros(market.n_places, np.int64)
    room = caps.count.copy()
    kind = _kinds(problem, caps, market)
    refused_kinds: set[int] = set()
    housed: list[int] = []
    oracle_calls = undecided = flow_refusals = 0
    total_places = int(market.capacity.sum())
    for h in (queue if first is None else ()):
        h = int(h)
        if len(housed) >= total_places or kind[h] in refused_kinds or len(market.pairs_of[h]) == 0:
            continue
        direct = -1
        for p in market.pairs_of[h]:
            s = market.pair_s[p]
            if fill[s] < market.capacity[s] and K.blocking_cap(caps.level, caps.hh_limit, room, caps.maximum,
                                                               caps.block_neighbourhood, h,
                                                               market.place_block[s]) < 0:
                direct = s
                break
        if direct < 0 and oracle == "auto" and (_places_flow_refuses(market, np.array(sorted(housed + [h])))
                           or _same_limits_flow_refuses(market, caps, np.array(sorted(housed + [h])), h)):
            flow_refusals += 1
            refused_kinds.add(kind[h])
            continue
        if direct < 0:
            oracle_calls += 1
            res, x = market.solve(np.array(housed + [h]), None, time_limit)
            if res.status != 0:
                if res.status != 2:  # not proven infeasible (time limit): refused, and said so
                    undecided += 1
                refused_kinds.add(kind[h])
                continue
            # Adopt the oracle's assignment (it houses all of S ∪ {h}).
            chosen = np.flatnonzero(x > 0.5)
            place[:] = -1
            place[market.pair_h[chosen]] = market.pair_s[chosen]
            fill = np.bincount(place[place >= 0], minlength=market.n_places)
            room = caps.count.copy()
            for g in np.flatnonzero(place >= 0):
                K.admit(caps.level, caps.hh_limit, room, caps.block_neighbourhood, g, market.place_block[place[g]], 1)
        else:
            place[h] = direct
            fill[direct] += 1
            K.admit(caps.level, caps.hh_limit, room, caps.block_neighbourhood, h, market.place_block[direct], 1)
        housed.append(h)
    members = np.array(sorted(housed), np.int64) if first is None else first
    status = "optimal"
    if len(members):
        res, x = market.solve(members, market.pair_w, time_limit)
        if res.x is None and first is not None:  # network case: stage 1 found no assignment, find one now
            res1, x1 = market.solve(members, None, time_limit)
            chosen = np.flatnonzero(x1 > 0.5)
            place[market.pair_h[chosen]] = market.pair_s[chosen]
            status = f"time limit: kept a feasible assignment of the housed set ({res.message})"
        elif res.x is None:  # no solution within the time limit: keep the feasible assignment found in stage 1
            status = f"time limit: kept the stage-1 assignment ({res.message})"
        else:
            chosen = np.flatnonzero(x > 0.5)
            place[:] = -1
            place[market.pair_h[chosen]] = market.pair_s[chosen]
            if not res.success:
                status = f"stopped early (HiGHS: {res.message}); gap {getattr(res, 'mip_gap', float('nan')):.3g}"
    flat_of = np.full(n, -1, np.int64)
    for s in range(market.n_places):
        who = np.flatnonzero(place == s)
        who = who[np.argsort(rank[who])]
        flat_of[who] = market.place_flats[s][:len(who)]
    code = np.where(flat_of >= 0, K.HOUSED, np.where([len(p) == 0 for p in market.pairs_of], K.NO_ACCEPTABLE,
                                                      K.ALL_TAKEN))
    out_reason = reasons(problem, caps, code, np.full(n, -1), np.full(n, -1))
    out_reason[code == K.ALL_TAKEN] = ("no cap-feasible assignment houses it with everyone housed ahead of it "
                                       "in the queue")
    info = {"priority": "ballot queue (same seed)", "status": status,
            "stage_1": "greedy with a MILP oracle" if first is None else "one network LP (block caps only)",
            "oracle_milps": oracle_calls, "flow_refusals": flow_refusals,
            "oracle_undecided": undecided,
            "seconds": round(time.perf_counter() - start, 3),
            "guarantees": "queue-lexicographically first housable set; maximum welfare among its assignments"}
    return Allocation(problem=problem, policy=policy, mechanism="priority-optimal", seed=seed, flat_of=flat_of,
                      reason=out_reason, queue_position=rank + 1, info=info)


def _kinds(problem: Problem, caps: CapState, market: _Market) -> np.ndarray:
    """Households of one kind have the same capped groups and the same acceptable places: if one is refused,
    every later one is (the housed set only grows)."""
    keys: dict[bytes, int] = {}
    out = np.empty(problem.n_households, np.int64)
    for h in range(problem.n_households):
        k = caps.hh_limit[:, h].tobytes() + np.sort(market.pair_s[market.pairs_of[h]]).tobytes()
        out[h] = keys.setdefault(k, len(keys))
    return out
