"""Deferred acceptance (Gale–Shapley, applicant-proposing) with the integration caps as type-specific ceilings.

Households propose down their ranked lists; each *institution* holds, among everyone proposing to it or held by
it, a greedy selection in priority order subject to every flat group's capacity and every cap (existing residents
counted). The institution is the block, or the neighbourhood when the policy caps neighbourhoods, so that each
choice sees every cap it must respect. Rejected households propose again; the process ends when no one is left
to propose.

Properties (Abdulkadiroğlu & Sönmez 2003, "School choice: a mechanism design approach", AER 93(3); Kojima 2012,
"School choice: impossibilities for affirmative action", GEB 75(2) for DA with type-specific ceilings):

* every cap holds at every step (the greedy choice never admits past a cap);
* when each institution's constraints are nested (one capped attribute, block-level caps only, one flat group
  per block), the choice is a laminar-matroid greedy choice, so DA is stable and strategy-proof for households;
* with one common priority order (the ballot queue) it reduces to serial dictatorship in that order — the same
  assignment as the ballot when each household ranks whole blocks.

Soft bounds (Ehlers, Hafalir, Yenmez & Yildirim 2014, "School choice with controlled choice constraints: hard
bounds versus soft bounds", JET 153): with ``soft=True`` an institution first takes, in priority order, those
the caps allow, then fills places that would otherwise stay empty with the rest. Caps may then be exceeded; the
result's ``info`` counts the households admitted over a cap.

Priorities are the ballot queue for the same seed (ballot chances and priority-scheme shares included), so the
two mechanisms are compared on one draw. ``home="column"`` names a household column holding, for each household,
a block (or neighbourhood) id where it is ranked ahead of everyone without that home (a local-connection or
near-parents priority; ``none`` or ``-`` for no home); households sharing a home keep their queue order there.
Priorities then differ between institutions and DA no longer reduces to the ballot.
"""

from __future__ import annotations

import difflib

import numpy as np
from numba import njit

from commonground.allocate import _kernels as K
from commonground.allocate.ballot import _queue
from commonground.allocate.result import Allocation
from commonground.allocate.selection import flat_groups, reasons
from commonground.errors import InputError
from commonground.model.preferences import BlockUtilities, FlatUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.state import CapState

NEIGHBOURHOOD = 1


@njit(cache=True, inline="always")
def _next_school(h, lazy, nxt, pref_ptr, pref_school, U, V, school_block, group_school, school_val, school_tie,
                 last_u, last_tie, rank, home_inst, school_inst, school_cap, fill, inst_worst, level,
                 hh_limit, count, maximum, block_nbhd, rej_cap, rej_block, over_s, soft, r_limit, r_room):
    """Household h's next school worth proposing to: the next entry of its list, or (block form, ``lazy``) the
    best school ranked below the last one it proposed to, found by a scan so no household's full ranking is
    ever built (ties to the school whose best flat comes first in the flats file). Schools that could only
    refuse h at once are passed over, as if h had proposed and been refused: h ranks below every holder of the
    school's institution (``inst_worst``) and the school is full or a cap refuses h (the best such cap is kept
    as h's skip reason). With minority reserves (``da-reserves``) a school is never hopeless for h while h's
    reserve class ``r_limit[0, h]`` still has reserved places open in its block (``r_room[block, class] > 0``);
    plain DA passes no class for anyone. (At most 30 arguments: CPython passes more as a tuple, which Numba
    cannot inline.)"""
    n = rank.shape[0]
    if not lazy:
        while nxt[h] < pref_ptr[h + 1]:
            s = pref_school[nxt[h]]
            nxt[h] += 1
            # Hopeless? (see the docstring) Written out: a call passing this many arrays costs more than the scan.
            i = school_inst[s]
            lim = r_limit[0, h]
            if (rank[h] - n if home_inst[h] == i else rank[h]) < inst_worst[i] or (
                    lim >= 0 and r_room[school_block[s], lim] > 0):
                c = -2
            elif fill[s] >= school_cap[s] and not (over_s[s] > 0 and K.blocking_cap(
                    level, hh_limit, count, maximum, block_nbhd, h, school_block[s]) < 0):
                # Full, unless (soft bounds) h is within the caps and someone holds a place here over a cap.
                c = -1
            elif fill[s] >= school_cap[s]:
                c = -2
            else:
                c = K.blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, school_block[s])
                if c < 0 or soft:
                    c = -2
            if c == -2:
                return s
            if c >= 0 and rej_cap[h] < 0:
                rej_cap[h] = c
                rej_block[h] = school_block[s]
        return -1
    # One scan: the best school below the last proposal that is not hopeless; hopeless ones above it count as
    # proposed and refused (the best capped one is kept as the skip reason).
    best = -1
    best_u = -np.inf
    best_tie = 0
    cap_u = -np.inf
    cap_tie = 0
    cap_c = -1
    cap_s = -1
    lu = last_u[h]
    lt = last_tie[h]
    seen = False
    n_types = V.shape[1]
    for b in range(U.shape[1]):
        ub = U[h, b]
        if ub == -np.inf:
            continue
        for t in range(n_types):
            vt = V[h, t]
            if vt == -np.inf:
                continue
            s = group_school[b * n_types + t]
            if s < 0:
                continue
            if ub + vt + school_val[s, 1] <= 0:
                continue  # acceptable only if every flat it could be handed there (worst: column 1) is worth > 0
            seen = True
            u = ub + vt + school_val[s, 0]
            tie = school_tie[s]
            if u > lu or (u == lu and tie <= lt):
                continue
            if best >= 0 and (u < best_u or (u == best_u and tie > best_tie)):
                continue
            # Hopeless? (see the docstring) Written out: a call passing this many arrays costs more than the scan.
            i = school_inst[s]
            lim = r_limit[0, h]
            if (rank[h] - n if home_inst[h] == i else rank[h]) < inst_worst[i] or (
                    lim >= 0 and r_room[school_block[s], lim] > 0):
                c = -2
            elif fill[s] >= school_cap[s] and not (over_s[s] > 0 and K.blocking_cap(
                    level, hh_limit, count, maximum, block_nbhd, h, school_block[s]) < 0):
                # Full, unless (soft bounds) h is within the caps and someone holds a place here over a cap.
                c = -1
            elif fill[s] >= school_cap[s]:
                c = -2
            else:
                c = K.blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, school_block[s])
                if c < 0 or soft:
                    c = -2
            if c == -2:
                best, best_u, best_tie = s, u, tie
            elif c >= 0 and (cap_c < 0 or u > cap_u or (u == cap_u and tie < cap_tie)):
                cap_u, cap_tie, cap_c, cap_s = u, tie, c, s
    if cap_c >= 0 and rej_cap[h] < 0 and (best < 0 or cap_u > best_u or (cap_u == best_u and cap_tie < best_tie)):
        rej_cap[h] = cap_c
        rej_block[h] = school_block[cap_s]
    if best < 0:
        if seen:
            last_u[h] = -np.inf
            last_tie[h] = max(last_tie[h], 0)
        return -1
    last_u[h] = best_u
    last_tie[h] = best_tie
    return best


@njit(cache=True)
def _reconsider(i, first, members, pk, cur, school_cap, school_block, fill, lst, off, size, inst_worst, n_over,
                over_s, level, hh_limit, count, maximum, block_nbhd, held, rej_cap, rej_block, over, soft, stack,
                top):
    """Institution i takes ``members`` (sorted by priority, all better-placed holders already kept) greedily:
    each is held if its school has room and no cap refuses it; with soft bounds the rest then fill places left
    empty. The rejected are pushed on ``stack``; returns the new stack top."""
    m = members.shape[0]
    waiting = np.zeros(m, np.bool_)
    for j in range(m):
        h = members[j]
        s = cur[h]
        b = school_block[s]
        if fill[s] >= school_cap[s]:
            continue
        c = K.blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, school_block[s])
        if c >= 0:
            rej_cap[h] = c
            rej_block[h] = b
            waiting[j] = True
            continue
        fill[s] += 1
        K.admit(level, hh_limit, count, block_nbhd, h, b, 1)
        held[h] = s
        over[h] = False
    if soft:
        for j in range(m):
            h = members[j]
            s = cur[h]
            if waiting[j] and fill[s] < school_cap[s]:
                fill[s] += 1
                K.admit(level, hh_limit, count, block_nbhd, h, school_block[s], 1)
                held[h] = s
                over[h] = True
                over_s[s] += 1
    # Rebuild the held list in priority order; push the rejected (best last, so it proposes first). Under soft
    # bounds chosen members may rank ahead of kept holders (over-cap holders chosen again): merge.
    n_kept = first
    if soft:
        prefix = lst[off[i]:off[i] + first].copy()
        a = 0
        for j in range(m):
            h = members[j]
            if held[h] < 0:
                continue
            while a < first and pk[prefix[a]] < pk[h]:
                lst[off[i] + n_kept - first + a] = prefix[a]
                a += 1
            lst[off[i] + n_kept - first + a] = h
            n_kept += 1
        while a < first:
            lst[off[i] + n_kept - first + a] = prefix[a]
            a += 1
    else:
        for j in range(m):
            h = members[j]
            if held[h] >= 0:
                lst[off[i] + n_kept] = h
                n_kept += 1
    size[i] = n_kept
    n_over[i] = 0
    for j in range(m):
        if held[members[j]] >= 0 and over[members[j]]:
            n_over[i] += 1
    inst_worst[i] = pk[lst[off[i] + n_kept - 1]] if n_kept > 0 else -2 * pk.shape[0] - 2
    for j in range(m - 1, -1, -1):
        h = members[j]
        if held[h] < 0:
            stack[top] = h
            top += 1
    return top


@njit(cache=True)
def kernel_state(rank, pref_ptr, school_cap, school_inst, n_inst):
    """The state a DA kernel starts from: next list position, last utility and tie proposed, school held and
    proposed to, last refusing cap and block per household; seats filled per school; each institution's slice
    ``lst[off[i]:off[i] + size[i]]`` of held households in priority order, and its worst holder's rank; the stack
    of households still to propose (``stack[:top]``, first in queue order on top)."""
    n = rank.shape[0]
    nxt = pref_ptr[:-1].copy()
    last_u = np.full(n, np.inf)
    last_tie = np.full(n, -1, np.int64)
    held = np.full(n, -1, np.int64)
    cur = np.full(n, -1, np.int64)
    rej_cap = np.full(n, -1, np.int64)
    rej_block = np.full(n, -1, np.int64)
    fill = np.zeros(school_cap.shape[0], np.int64)
    inst_cap = np.zeros(n_inst + 1, np.int64)
    for s in range(school_cap.shape[0]):
        inst_cap[school_inst[s] + 1] += school_cap[s]
    off = np.cumsum(inst_cap)
    lst = np.empty(off[-1] + 1, np.int64)
    size = np.zeros(n_inst, np.int64)
    inst_worst = np.full(n_inst, -2 * n - 2, np.int64)
    order = np.argsort(rank)
    stack = np.empty(2 * n + 1, np.int64)
    top = 0
    for j in range(n - 1, -1, -1):
        stack[top] = order[j]
        top += 1
    return nxt, last_u, last_tie, held, cur, rej_cap, rej_block, fill, off, lst, size, inst_worst, stack, top


@njit(cache=True)
def deferred_acceptance_kernel(pref_ptr, pref_school, lazy, U, V, group_school, school_val, school_tie,
                               school_inst, school_cap, school_block, n_inst, rank, home_inst,
                               level, hh_limit, count, maximum, block_nbhd, soft):
    """Applicant-proposing DA, one proposal at a time (McVitie & Wilson 1971), households starting in queue
    order. Each institution keeps its held households sorted by priority (``rank``, with a household ranked
    ahead of everyone at its ``home_inst``); a proposal re-runs the greedy choice only from the proposer's place
    in that order (hard ceilings; soft bounds: plus every holder admitted over a cap).

    Returns (school held per household or -1, last cap/block that refused each household, whether it was
    admitted over a cap, whether it proposed at all). ``count`` starts with existing residents; updated."""
    n = rank.shape[0]
    (nxt, last_u, last_tie, held, cur, rej_cap, rej_block, fill, off, lst, size, inst_worst, stack,
     top) = kernel_state(rank, pref_ptr, school_cap, school_inst, n_inst)
    over = np.zeros(n, np.bool_)
    n_over = np.zeros(n_inst, np.int64)
    over_s = np.zeros(school_cap.shape[0], np.int64)
    pk = np.empty(n, np.int64)
    no_class = np.full((1, n), -1, np.int64)
    no_room = np.zeros((1, 1), np.int64)
    while top > 0:
        top -= 1
        h = stack[top]
        s = _next_school(h, lazy, nxt, pref_ptr, pref_school, U, V, school_block, group_school, school_val,
                         school_tie, last_u, last_tie, rank, home_inst, school_inst, school_cap, fill, inst_worst,
                         level, hh_limit, count, maximum, block_nbhd, rej_cap, rej_block, over_s, soft,
                         no_class, no_room)
        if s < 0:
            continue
        cur[h] = s
        i = school_inst[s]
        pk[h] = rank[h] - n if home_inst[h] == i else rank[h]
        # Holders ranked ahead of h keep their places (greedy prefix); the rest are chosen again with h.
        # Soft bounds: holders over a cap ahead of h are chosen again too (the leftover places they hold depend on
        # everyone's choice), while holders within the caps ahead of h keep theirs: the caps-first pass admits
        # them whatever comes behind.
        first = size[i]
        while first > 0 and pk[lst[off[i] + first - 1]] > pk[h]:
            first -= 1
        n_pre_over = 0
        if n_over[i] > 0:
            for t in range(first):
                if over[lst[off[i] + t]]:
                    n_pre_over += 1
        m = size[i] - first + 1 + n_pre_over
        members = np.empty(m, np.int64)
        j = 0
        old_first = first
        if n_pre_over > 0:
            k = 0
            for t in range(old_first):
                g = lst[off[i] + t]
                if over[g]:
                    members[j] = g
                    j += 1
                    sg = held[g]
                    fill[sg] -= 1
                    over_s[sg] -= 1
                    K.admit(level, hh_limit, count, block_nbhd, g, school_block[sg], -1)
                    held[g] = -1
                else:
                    lst[off[i] + k] = g
                    k += 1
            first = k
        placed = False
        for t in range(old_first, size[i]):
            g = lst[off[i] + t]
            if not placed and pk[g] > pk[h]:
                members[j] = h
                j += 1
                placed = True
            members[j] = g
            j += 1
            sg = held[g]
            fill[sg] -= 1
            if over[g]:
                over_s[sg] -= 1
            K.admit(level, hh_limit, count, block_nbhd, g, school_block[sg], -1)
            held[g] = -1
        if not placed:
            members[j] = h
        top = _reconsider(i, first, members, pk, cur, school_cap, school_block, fill, lst, off, size, inst_worst,
                          n_over, over_s, level, hh_limit, count, maximum, block_nbhd, held, rej_cap, rej_block,
                          over, soft, stack, top)
    proposed = np.empty(n, np.bool_)
    for h in range(n):
        proposed[h] = last_tie[h] >= 0 if lazy else nxt[h] > pref_ptr[h]
    return held, rej_cap, rej_block, over, proposed


def _block_form_schools(problem: Problem, available: np.ndarray):
    """Schools are (block, flat type) groups of vacant flats, each worth its best flat to a household (the kernel
    ranks them lazily). Returns each school's block, the school of each (block, type) group (-1: none vacant),
    each school's best flat's value and index, capacity and flats."""
    dev = problem.development
    grp_ptr, grp_flats, n_types = flat_groups(problem, available)
    sizes = np.diff(grp_ptr)
    schools = np.flatnonzero(sizes > 0)
    group_school = np.full(len(sizes), -1, np.int64)
    group_school[schools] = np.arange(len(schools))
    top = grp_flats[grp_ptr[schools]]
    school_flats = [grp_flats[grp_ptr[g]:grp_ptr[g + 1]] for g in schools]
    return ((schools // n_types).astype(np.int64), group_school, dev.flat_value[top],
            top.astype(np.int64), sizes[schools].astype(np.int64), school_flats)


def _flat_form_lists(problem: Problem, available: np.ndarray):
    """Schools are single vacant flats; lists are the households' own (best first, ties by file order)."""
    dev, u = problem.development, problem.utilities
    if not isinstance(u, FlatUtilities):
        raise TypeError("_flat_form_lists needs flat-level utilities")
    keep = available[u.flat]
    csum = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    counts = csum[u.indptr[1:]] - csum[u.indptr[:-1]]
    pref_ptr = np.zeros(problem.n_households + 1, np.int64)
    np.cumsum(counts, out=pref_ptr[1:])
    vacant = np.flatnonzero(available)
    school_of_flat = np.full(dev.n_flats, -1, np.int64)
    school_of_flat[vacant] = np.arange(len(vacant))
    pref_school = school_of_flat[u.flat[keep]]
    return (pref_ptr, pref_school, dev.flat_block[vacant].astype(np.int64), np.ones(len(vacant), np.int64),
            [np.array([f]) for f in vacant])


def _guarantees(problem: Problem, policy: Policy, school_block: np.ndarray) -> str:
    """Which of DA's textbook properties this instance has: they need each institution's constraints nested
    (block-level caps on one attribute, one flat group per block); otherwise caps still hold but stability and
    strategy-proofness are not guaranteed (the greedy choice is then not substitutable)."""
    capped = {c.attribute for c in policy.caps}
    nested = (isinstance(problem.utilities, BlockUtilities) and len(capped) <= 1
              and all(c.level == "block" for c in policy.caps)
              and len(np.unique(school_block)) == len(school_block))
    return "stable and strategy-proof" if nested else "caps only (constraints not nested: see docs/mechanisms.md)"


#: Values of a home column that mean "no home institution".
NO_HOME = frozenset({"none", "-"})


def home_institutions(problem: Problem, column: str, *, by_neighbourhood: bool) -> np.ndarray:
    """Each household's home institution index (-1: none) from the household column ``column``, whose values are
    block ids or neighbourhood ids (``none`` / ``-`` for no home). With neighbourhood institutions a block id
    stands for its neighbourhood; with block institutions a neighbourhood id is refused (it names no one block).
    Unknown values are an ``InputError`` naming the row and the closest valid id."""
    hh, dev = problem.households, problem.development
    columns = {**getattr(hh, "carried", {}), **hh.attributes}  # a home column need not be a group attribute
    if column not in columns:
        close = difflib.get_close_matches(column, list(columns), n=1)
        hint = f" (closest: '{close[0]}')" if close else f" (columns: {', '.join(columns) or 'none'})"
        raise InputError(f"home column '{column}' is not a household column{hint}", source="households",
                         column=column)
    block_ids = {str(b): i for i, b in enumerate(dev.block_ids)}
    nbhd_ids = {str(n): i for i, n in enumerate(dev.neighbourhood_ids)}
    block_nbhd = dev.block_neighbourhood
    values = columns[column]
    out = np.full(hh.n, -1, np.int64)
    for h, v in enumerate(values):
        v = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
        if v == "" or v.lower() in NO_HOME:
            continue
        if v in block_ids:
            b = block_ids[v]
            out[h] = block_nbhd[b] if by_neighbourhood else b
        elif v in nbhd_ids and by_neighbourhood:
            out[h] = nbhd_ids[v]
        else:
            valid = list(block_ids) + (list(nbhd_ids) if by_neighbourhood else [])
            close = difflib.get_close_matches(v, valid, n=1)
            what = "a block or neighbourhood id" if by_neighbourhood else "a block id"
            hint = f" (closest: '{close[0]}')" if close else ""
            raise InputError(f"home '{v}' is not {what} of the development nor 'none'{hint}",
                             source="households", row=h + 2, column=column)
    return out


def market(problem: Problem, policy: Policy, seed: int | None, home: str | None, caps: CapState | None = None):
    """The arrays every deferred-acceptance kernel runs on: schools (vacant (block, flat type) groups, or single
    flats with flat-level lists), the ballot queue's ranks as priorities, institutions (blocks, or neighbourhoods
    when the policy caps neighbourhoods), home institutions and the cap state (``caps``: built from ``policy``
    unless given)."""
    dev = problem.development
    available = ~dev.occupied
    queue = _queue(problem, policy, seed)
    rank = np.empty(problem.n_households, np.int64)
    rank[queue] = np.arange(problem.n_households)
    u = problem.utilities
    empty_i = np.zeros(0, np.int64)
    if isinstance(u, BlockUtilities):
        lazy = True
        school_block, group_school, school_val, school_tie, school_cap, school_flats = \
            _block_form_schools(problem, available)
        # Each school's best and worst flat value (a household accepts a school only if its worst flat is > 0).
        school_val = np.column_stack([school_val, [problem.development.flat_value[f].min() for f in school_flats]])
        school_val = school_val.reshape(-1, 2)
        U = u.block
        V = u.flat_type if u.flat_type.shape[1] else np.zeros((problem.n_households, 1))
        pref_ptr, pref_school = np.zeros(problem.n_households + 1, np.int64), empty_i
    else:
        lazy = False
        pref_ptr, pref_school, school_block, school_cap, school_flats = _flat_form_lists(problem, available)
        group_school, school_val, school_tie = empty_i, np.zeros((0, 2)), empty_i
        U = V = np.zeros((0, 0))
    caps = CapState.build(policy, dev, problem.households) if caps is None else caps
    by_nbhd = bool(np.any(caps.level == NEIGHBOURHOOD))
    block_nbhd = dev.block_neighbourhood.astype(np.int64)
    school_inst = (block_nbhd[school_block] if by_nbhd else school_block).astype(np.int64)
    n_inst = dev.n_neighbourhoods if by_nbhd else dev.n_blocks
    home_inst = (np.full(problem.n_households, -1, np.int64) if home is None
                 else home_institutions(problem, home, by_neighbourhood=by_nbhd))
    return dict(pref_ptr=pref_ptr, pref_school=pref_school, lazy=lazy, U=U, V=V, group_school=group_school,
                school_val=school_val, school_tie=school_tie, school_inst=school_inst, school_cap=school_cap,
                school_block=school_block, n_inst=max(n_inst, 1), rank=rank, home_inst=home_inst, caps=caps,
                by_nbhd=by_nbhd, school_flats=school_flats)


def outcome(problem: Problem, policy: Policy, m: dict, held, rej_cap, rej_block, proposed, *, seed, name: str,
            home: str | None, info: dict) -> Allocation:
    """The allocation from a DA kernel's result: within a school the held households take its flats in
    priority order, best flat first; skip reasons as the ballot gives them."""
    u = problem.utilities
    rank, school_flats = m["rank"], m["school_flats"]
    flat_of = np.full(problem.n_households, -1, np.int64)
    housed = np.flatnonzero(held >= 0)
    housed = housed[np.lexsort((rank[housed], held[housed]))]
    if len(housed):
        s_sorted = held[housed]
        first = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
        pos = np.arange(len(housed)) - np.repeat(first, np.diff(np.r_[first, len(housed)]))
        flat_of[housed] = [school_flats[s][p] for s, p in zip(s_sorted, pos, strict=True)]
    # Skip reasons as the ballot gives them: nothing acceptable, a cap refused, or every place went to others.
    accepts = proposed if isinstance(u, BlockUtilities) else np.diff(u.indptr) > 0  # i.e. if lazy
    code = np.where(held >= 0, K.HOUSED, np.where(rej_cap >= 0, K.CAPPED, K.ALL_TAKEN))
    code = np.where((held < 0) & ~accepts, K.NO_ACCEPTABLE, code)
    home_inst = m["home_inst"]
    priority = ("ballot queue (same seed)" if home is None
                else f"home institution first (column '{home}', {int((home_inst >= 0).sum())} households), "
                     "then the ballot queue (same seed)")
    info = {"institution": "neighbourhood" if m["by_nbhd"] else "block", "priority": priority, **info}
    return Allocation(problem=problem, policy=policy, mechanism=name, seed=seed, flat_of=flat_of,
                      reason=reasons(problem, m["caps"], code, rej_cap, rej_block),
                      queue_position=rank + 1, info=info)


def deferred_acceptance(problem: Problem, policy: Policy, *, seed: int | None = 0, soft: bool = False,
                        home: str | None = None) -> Allocation:
    """Deferred acceptance with the policy's caps as hard ceilings (``soft=True``: soft bounds); ``home`` names
    a household column of home blocks/neighbourhoods where a household is ranked ahead of everyone else."""
    m = market(problem, policy, seed, home)
    caps = m["caps"]
    held, rej_cap, rej_block, over, proposed = deferred_acceptance_kernel(
        m["pref_ptr"], m["pref_school"], m["lazy"], m["U"], m["V"], m["group_school"], m["school_val"],
        m["school_tie"], m["school_inst"], m["school_cap"], m["school_block"], m["n_inst"], m["rank"],
        m["home_inst"], caps.level, caps.hh_limit, caps.count, caps.maximum, caps.block_neighbourhood, soft)
    return outcome(problem, policy, m, held, rej_cap, rej_block, proposed, seed=seed,
                   name="da-soft-bounds" if soft else "da-ceilings", home=home,
                   info={"admitted_over_a_cap": int(over.sum()),
                         "guarantees": _guarantees(problem, policy, m["school_block"])})


def deferred_acceptance_soft(problem: Problem, policy: Policy, *, seed: int | None = 0,
                             home: str | None = None) -> Allocation:
    """Deferred acceptance with the caps as soft bounds: empty places go to capped households last."""
    return deferred_acceptance(problem, policy, seed=seed, soft=True, home=home)
