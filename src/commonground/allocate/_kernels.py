"""Numba kernels for sequential selection: the ballot queue is inherently sequential, so it is a loop.

Reason codes per household: 0 housed, 1 accepts no flat of the development, 2 every acceptable flat was
taken before its turn, 3 an acceptable flat was vacant but a cap stopped it (``cap``/``block`` say which).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from commonground.policy.kernels import admit, blocking_cap

HOUSED, NO_ACCEPTABLE, ALL_TAKEN, CAPPED = 0, 1, 2, 3


@njit(cache=True)
def select_block_form(h, U, V, flat_value, grp_ptr, grp_flats, nxt, n_types,
                      level, hh_limit, count, maximum, block_nbhd):
    """Household h's best vacant, cap-allowed flat under separable utilities.

    Flats of each (block, type) group are sorted by ``flat_value`` descending (ties: file order) and taken in
    that order, so the group's next vacant flat is its best; only the group tops need comparing. A flat is
    acceptable only if worth > 0; equal utilities go to the flat earlier in the file.
    Returns (flat, reason, cap, block).
    """
    n_blocks = U.shape[1]
    best_u = -np.inf
    best_f = -1
    blocked_u = -np.inf
    blocked_c = -1
    blocked_b = -1
    accepts = False
    for b in range(n_blocks):
        ub = U[h, b]
        if ub == -np.inf:
            continue
        cand_u = -np.inf
        cand_f = -1
        for t in range(n_types):
            vt = V[h, t]
            if vt == -np.inf:
                continue
            g = b * n_types + t
            # Acceptable only if worth > 0 (better than staying unhoused); the group's first flat is its best.
            if grp_ptr[g + 1] > grp_ptr[g] and ub + vt + flat_value[grp_flats[grp_ptr[g]]] > 0:
                accepts = True
            p = nxt[g]
            if p < grp_ptr[g + 1]:
                f = grp_flats[p]
                u = ub + vt + flat_value[f]
                # Ties go to the flat earlier in the file (the lower index), whatever its block or type.
                if u > 0 and (u > cand_u or (u == cand_u and f < cand_f)):
                    cand_u = u
                    cand_f = f
        if cand_f < 0 or cand_u < best_u or (cand_u == best_u and cand_f > best_f):
            if cand_f >= 0 and cand_u > blocked_u:
                # Not better than the best allowed flat so far: only matters as a skip reason if capped.
                c = blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, b)
                if c >= 0:
                    blocked_u, blocked_c, blocked_b = cand_u, c, b
            continue
        c = blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, b)
        if c >= 0:
            if cand_u > blocked_u:
                blocked_u, blocked_c, blocked_b = cand_u, c, b
            continue
        best_u = cand_u
        best_f = cand_f
    if best_f >= 0:
        return best_f, HOUSED, -1, -1
    if blocked_c >= 0:
        return -1, CAPPED, blocked_c, blocked_b
    return -1, (ALL_TAKEN if accepts else NO_ACCEPTABLE), -1, -1


@njit(cache=True)
def ballot_block_form(order, U, V, flat_type, flat_block, flat_value, grp_ptr, grp_flats, n_types,
                      level, hh_limit, count, maximum, block_nbhd):
    """Run the queue: each household in turn takes its best eligible flat (separable utilities)."""
    n = U.shape[0]
    flat_of = np.full(n, -1, np.int64)
    reason = np.zeros(n, np.int64)
    rcap = np.full(n, -1, np.int64)
    rblock = np.full(n, -1, np.int64)
    nxt = grp_ptr[:-1].copy()
    for h in order:
        f, r, c, b = select_block_form(h, U, V, flat_value, grp_ptr, grp_flats, nxt, n_types,
                                       level, hh_limit, count, maximum, block_nbhd)
        reason[h] = r
        if f >= 0:
            flat_of[h] = f
            fb = flat_block[f]
            nxt[fb * n_types + flat_type[f]] += 1
            admit(level, hh_limit, count, block_nbhd, h, fb, 1)
        else:
            rcap[h] = c
            rblock[h] = b
    return flat_of, reason, rcap, rblock


@njit(cache=True)
def ballot_flat_form(order, indptr, pflat, taken, flat_block,
                     level, hh_limit, count, maximum, block_nbhd):
    """Run the queue with flat-level preference lists (each sorted best first)."""
    n = indptr.shape[0] - 1
    flat_of = np.full(n, -1, np.int64)
    reason = np.zeros(n, np.int64)
    rcap = np.full(n, -1, np.int64)
    rblock = np.full(n, -1, np.int64)
    for h in order:
        lo = indptr[h]
        hi = indptr[h + 1]
        bc = -1
        bb = -1
        got = -1
        for k in range(lo, hi):
            f = pflat[k]
            if taken[f]:
                continue
            b = flat_block[f]
            c = blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, b)
            if c >= 0:
                if bc < 0:
                    bc, bb = c, b
                continue
            got = f
            break
        if got >= 0:
            flat_of[h] = got
            taken[got] = True
            admit(level, hh_limit, count, block_nbhd, h, flat_block[got], 1)
        elif bc >= 0:
            reason[h], rcap[h], rblock[h] = CAPPED, bc, bb
        else:
            reason[h] = ALL_TAKEN if hi > lo else NO_ACCEPTABLE
    return flat_of, reason, rcap, rblock
