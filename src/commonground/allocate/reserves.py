"""Deferred acceptance with minority reserves: each block reserves places for under-represented groups.

Hafalir, Yenmez & Yildirim (2013, "Effective affirmative action in school choice", Theoretical Economics 8(2))
replace a majority quota (a hard ceiling) by a *minority reserve*: a school gives minority students priority
for its reserved seats until the minorities fill them; reserved seats nobody from the minority wants go to
anyone. Ehlers, Hafalir, Yenmez & Yildirim (2014, JET 153) generalise reserves to floors for several types.

Here each institution (block, or neighbourhood when the policy caps neighbourhoods) chooses among the
households proposing to it or held by it, in two passes over them in priority order:

1. *reserved places*: a household is taken if its reserve class still has fewer than its floor in the
   school's block (existing residents count), its school has room and no cap refuses it;
2. *open places*: everyone not yet taken, in priority order, if its school has room and no cap refuses it.

The policy's caps stay hard ceilings (``ceilings=False`` drops them, which is HYY's reserve policy proper:
then a reserve replaces a ceiling instead of adding to it). Floors: ``reserves={limit label: share}`` over the
labels of the policy's first block-level cap (e.g. ``{"Malay": 0.134, "Indian/Others": 0.125}``); by default
every limit but the one holding the most applicants gets its applicants' share, so each block keeps places for
the smaller groups in proportion to who applied. A floor is floor(share × the block's dwellings).

A reserved household can displace a holder ranked ahead of it, so a proposal that may take a reserved place
re-runs the choice over every holder of the institution; any other proposal re-runs only the open pass from the
proposer's place on (the prefix shortcut of ``da-ceilings``), which gives the same choice.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from commonground.allocate import _kernels as K
from commonground.allocate.deferred_acceptance import _next_school, kernel_state, market, outcome
from commonground.allocate.result import Allocation
from commonground.errors import InputError
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Cap, CapLimit, Policy
from commonground.policy.checks import closest_hint
from commonground.policy.state import CapState


@njit(cache=True)
def _choose(members, pk, cur, school_cap, school_block, fill, level, hh_limit, count, maximum, block_nbhd,
            r_level, r_limit, r_count, r_max, held, rej_cap, rej_block, via, p1, r_room, reserved_pass):
    """Reserved places first (unless ``reserved_pass`` is False: the caller kept that pass's result), then open
    places, both in priority order (``members`` sorted by priority). ``via``/``p1`` record who holds a reserved
    place and how many per (block, reserve class)."""
    m = members.shape[0]
    taken = np.zeros(m, np.bool_)
    for j in range(m if reserved_pass else 0):
        h = members[j]
        lim = r_limit[0, h]
        if lim < 0:
            continue
        s = cur[h]
        b = school_block[s]
        if fill[s] >= school_cap[s] or r_count[0, b, lim] >= r_max[0, b, lim]:
            continue
        if K.blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, b) >= 0:
            continue
        fill[s] += 1
        K.admit(level, hh_limit, count, block_nbhd, h, b, 1)
        K.admit(r_level, r_limit, r_count, block_nbhd, h, b, 1)
        held[h] = s
        via[h] = True
        p1[b, lim] += 1
        r_room[b, lim] -= 1
        taken[j] = True
    for j in range(m):
        if taken[j]:
            continue
        h = members[j]
        s = cur[h]
        b = school_block[s]
        if fill[s] >= school_cap[s]:
            continue
        c = K.blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, b)
        if c >= 0:
            rej_cap[h] = c
            rej_block[h] = b
            continue
        fill[s] += 1
        K.admit(level, hh_limit, count, block_nbhd, h, b, 1)
        K.admit(r_level, r_limit, r_count, block_nbhd, h, b, 1)
        held[h] = s
        via[h] = False


@njit(cache=True)
def reserves_kernel(pref_ptr, pref_school, lazy, U, V, group_school, school_val, school_tie, school_inst,
                    school_cap, school_block, n_inst, rank, home_inst, level, hh_limit, count, maximum, block_nbhd,
                    r_level, r_limit, r_count, r_max, shortcut=True):
    """Applicant-proposing DA with the two-pass reserve choice, one proposal at a time (``shortcut=False``: every
    proposal chooses among all holders again, the reference the shortcut is tested against).

    Returns (school held per household or -1, last cap/block that refused each, whether it proposed)."""
    n = rank.shape[0]
    # As in da-ceilings, a school is passed over when h ranks behind every holder of its institution and the
    # school is full or a cap refuses h, unless h's class still has reserved places open in the block (r_room).
    (nxt, last_u, last_tie, held, cur, rej_cap, rej_block, fill, off, lst, size, inst_worst, stack,
     top) = kernel_state(rank, pref_ptr, school_cap, school_inst, n_inst)
    no_over = np.zeros(school_cap.shape[0], np.int64)
    pk = np.empty(n, np.int64)
    via = np.zeros(n, np.bool_)
    r_exist = r_count[0].copy()  # existing residents of each reserve class per block
    p1 = np.zeros_like(r_exist)  # reserved places held per (block, class)
    r_room = r_max[0] - r_exist  # reserved places still open per (block, class): r_max - existing - p1
    never = np.full(n_inst, 3 * n + 3, np.int64)  # shortcut=False: no school is ever passed over
    while top > 0:
        top -= 1
        h = stack[top]
        s = _next_school(h, lazy, nxt, pref_ptr, pref_school, U, V, school_block, group_school, school_val,
                         school_tie, last_u, last_tie, rank, home_inst, school_inst, school_cap, fill,
                         inst_worst if shortcut else never, level, hh_limit, count, maximum, block_nbhd, rej_cap,
                         rej_block, no_over, False, r_limit, r_room)
        if s < 0:
            continue
        cur[h] = s
        i = school_inst[s]
        pk[h] = rank[h] - n if home_inst[h] == i else rank[h]
        b = school_block[s]
        lim = r_limit[0, h]
        # Holders ranked ahead of h: [0, first). The reserved pass over them cannot change; if h cannot take a
        # reserved place (its class at b is at its floor with holders all ranked ahead of h), the reserved pass
        # over everyone is unchanged and only the open pass from h's place on is run again (as da-ceilings does).
        # Otherwise everyone held is chosen again with h.
        first = size[i]
        while first > 0 and pk[lst[off[i] + first - 1]] > pk[h]:
            first -= 1
        full = not shortcut
        if not full and lim >= 0 and r_max[0, b, lim] > 0:
            if p1[b, lim] + r_exist[b, lim] < r_max[0, b, lim]:
                full = True
            else:
                for t in range(first, size[i]):
                    g = lst[off[i] + t]
                    if via[g] and r_limit[0, g] == lim and school_block[held[g]] == b:
                        full = True
                        break
        start = 0 if full else first
        m = 1
        for t in range(start, size[i]):
            if full or not via[lst[off[i] + t]]:
                m += 1
        members = np.empty(m, np.int64)
        keep = np.empty(size[i] - start + 1 - m + 1, np.int64)  # reserved-place holders behind h (kept)
        j = 0
        nk = 0
        placed = False
        for t in range(start, size[i]):
            g = lst[off[i] + t]
            if not full and via[g]:
                keep[nk] = g
                nk += 1
                continue
            if not placed and pk[g] > pk[h]:
                members[j] = h
                j += 1
                placed = True
            members[j] = g
            j += 1
            sg = held[g]
            fill[sg] -= 1
            K.admit(level, hh_limit, count, block_nbhd, g, school_block[sg], -1)
            K.admit(r_level, r_limit, r_count, block_nbhd, g, school_block[sg], -1)
            if via[g]:
                p1[school_block[sg], r_limit[0, g]] -= 1
                r_room[school_block[sg], r_limit[0, g]] += 1
                via[g] = False
            held[g] = -1
        if not placed:
            members[j] = h
        _choose(members, pk, cur, school_cap, school_block, fill, level, hh_limit, count, maximum, block_nbhd,
                r_level, r_limit, r_count, r_max, held, rej_cap, rej_block, via, p1, r_room, full)
        # The held list from ``start`` on: kept reserved-place holders merged with the chosen, in priority order.
        k = start
        a = 0
        for t in range(m):
            g = members[t]
            if held[g] < 0:
                continue
            while a < nk and pk[keep[a]] < pk[g]:
                lst[off[i] + k] = keep[a]
                k += 1
                a += 1
            lst[off[i] + k] = g
            k += 1
        while a < nk:
            lst[off[i] + k] = keep[a]
            k += 1
            a += 1
        size[i] = k
        inst_worst[i] = pk[lst[off[i] + k - 1]] if k > 0 else -2 * n - 2
        for t in range(m - 1, -1, -1):  # rejected pushed best last, so the best proposes first
            g = members[t]
            if held[g] < 0:
                stack[top] = g
                top += 1
    proposed = np.empty(n, np.bool_)
    for h in range(n):
        proposed[h] = last_tie[h] >= 0 if lazy else nxt[h] > pref_ptr[h]
    return held, rej_cap, rej_block, proposed


def reserve_cap(problem: Problem, policy: Policy, reserves: dict[str, float] | None) -> Cap | None:
    """The floors as a block-level ``Cap`` (its counting machinery; the shares are floors here): the limits of the
    policy's first block-level cap (else its first cap) with the given shares, or by default each limit's share of
    the applicants for every limit but the one holding the most. ``None`` when the policy has no cap."""
    if not policy.caps:
        if reserves:
            raise InputError("reserves need a capped attribute, and the policy has no cap", source="policy")
        return None
    base = next((c for c in policy.caps if c.level == "block"), policy.caps[0])
    values = np.asarray(problem.households.attributes[base.attribute]).astype(str)
    labels = [lim.label for lim in base.limits]
    if reserves is None:
        applicants = [float(np.isin(values, list(lim.values)).mean()) for lim in base.limits]
        largest = int(np.argmax(applicants))
        shares = {lim.label: a for k, (lim, a) in enumerate(zip(base.limits, applicants, strict=True))
                  if k != largest}
    else:
        for label, share in reserves.items():
            if label not in labels:
                hint = closest_hint(str(label), labels) or f" (limits: {', '.join(labels)})"
                raise InputError(f"reserve '{label}' is not a limit of the '{base.attribute}' cap{hint}",
                                 source="reserves")
            if not 0.0 <= float(share) <= 1.0:
                raise InputError(f"reserve '{label}' share {share} is outside [0, 1]", source="reserves")
        shares = {k: float(v) for k, v in reserves.items()}
    limits = tuple(CapLimit(lim.label, lim.values, shares.get(lim.label, 0.0)) for lim in base.limits)
    return Cap(base.attribute, "block", limits)


def deferred_acceptance_reserves(problem: Problem, policy: Policy, *, seed: int | None = 0,
                                 reserves: dict[str, float] | None = None, ceilings: bool = True,
                                 home: str | None = None, shortcut: bool = True) -> Allocation:
    """Deferred acceptance where each block reserves places for under-represented groups (soft floors, filled
    first in priority order; unfilled reserved places go to anyone), under the policy's caps as hard ceilings
    (``ceilings=False``: reserves only). See the module docstring for the choice and the default floors;
    ``shortcut=False`` re-chooses every holder at every proposal (slow; the same result, for tests)."""
    dev, hh = problem.development, problem.households
    caps = CapState.build(policy if ceilings else dataclasses.replace(policy, caps=()), dev, hh)
    m = market(problem, policy, seed, home, caps=caps)
    rcap = reserve_cap(problem, policy, reserves)
    # The floors' groups: those the policy declares, else every group of the data and of the limits (a limit's
    # group nobody applied from is no error, as it is none for the caps).
    groups = dict(policy.groups)
    if rcap is not None and rcap.attribute not in groups:
        values = set(map(str, hh.attributes[rcap.attribute])) | {v for lim in rcap.limits for v in lim.values}
        groups[rcap.attribute] = tuple(sorted(values))
    floors = Policy(name="reserves", caps=(rcap,) if rcap is not None else (), rule="strict", groups=groups,
                    unknown=policy.unknown)
    rstate = CapState.build(floors, dev, hh)
    if rcap is None:  # no classes: an empty reserve state of the right shapes
        r_level, r_limit = np.zeros(1, np.int64), np.full((1, hh.n), -1, np.int64)
        r_count = r_max = np.zeros((1, dev.n_blocks, 1), np.int64)
    else:
        r_level, r_limit, r_count, r_max = rstate.level, rstate.hh_limit, rstate.count, rstate.maximum
    held, rej_cap, rej_block, proposed = reserves_kernel(
        m["pref_ptr"], m["pref_school"], m["lazy"], m["U"], m["V"], m["group_school"], m["school_val"],
        m["school_tie"], m["school_inst"], m["school_cap"], m["school_block"], m["n_inst"], m["rank"],
        m["home_inst"], caps.level, caps.hh_limit, caps.count, caps.maximum, caps.block_neighbourhood,
        r_level, r_limit, r_count, r_max, shortcut)
    shares = {} if rcap is None else {lim.label: round(lim.share, 4) for lim in rcap.limits if lim.share > 0}
    nested = (isinstance(problem.utilities, BlockUtilities) and len({c.attribute for c in policy.caps}) <= 1
              and all(c.level == "block" for c in policy.caps)
              and len(np.unique(m["school_block"])) == len(m["school_block"]))
    info = {"reserves": shares, "reserve_attribute": None if rcap is None else rcap.attribute,
            "ceilings": "hard" if ceilings else "none (reserves only)",
            "guarantees": ("stable and strategy-proof (checked on small markets)" if nested
                           else "caps only (constraints not nested: see docs/mechanisms.md)")}
    return outcome(problem, policy, m, held, rej_cap, rej_block, proposed, seed=seed, name="da-reserves",
                   home=home, info=info)
