"""UK-style choice-based lettings (Housing Act 1996 Part 6 practice).

Homes are advertised in cycles; each household not yet housed bids for up to ``max_bids`` of the
advertised homes it likes best (ties: flat order in the file); each home goes to the bidder highest on the
shortlist — priority band first (the policy's ``priority_order``; a blank band last; a band the policy does
not know is an error; under a policy with no ``priority_order`` all are one band, and a note says so), then
longest waiting time, then a seeded random tie-break — whom the caps allow. Homes not let are advertised again
next cycle; after the last batch, cycles of re-advertising go on until one lets nothing or ``max_cycles`` is reached.
Processing bidders in shortlist order, each taking its best bid home still free, gives exactly that.
"""

from __future__ import annotations

import numpy as np

from commonground.allocate import _kernels as K
from commonground.allocate.result import Allocation
from commonground.allocate.selection import reasons
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.checks import priority_notes, waiting_note
from commonground.policy.state import CapState


def shortlist_order(problem: Problem, policy: Policy, rng: np.random.Generator) -> np.ndarray:
    """Households by band, then waiting time (longest first), then random tie-break."""
    hh = problem.households
    rank = {b: i for i, b in enumerate(policy.priority_order)}
    band = np.array([rank.get(str(p), len(rank)) for p in hh.priority], dtype=np.int64)
    tie = rng.random(hh.n)
    return np.lexsort((tie, -hh.waiting_days, band))


def choice_based_lettings(problem: Problem, policy: Policy, *, seed: int | None = 0, cycles: int = 4,
                          max_bids: int = 3, max_cycles: int = 52) -> Allocation:
    """Let the vacant flats over ``cycles`` advertising rounds with up to ``max_bids`` bids each.

    Parameters
    ----------
    problem : Problem
        Development, households and preferences.
    policy : Policy
        The caps, rounding rule and priority bands (``priority_order``) of the shortlist.
    seed : int or None, optional
        Seed of the advert batches and of ties in the shortlist; the same seed gives the same allocation.
    cycles : int, optional
        Number of rounds the vacant flats are advertised over (in random batches).
    max_bids : int, optional
        Most flats a household bids for in one round (its best acceptable adverts).
    max_cycles : int, optional
        Most rounds in all; unlet flats are re-advertised until then.

    Returns
    -------
    Allocation
        Who got which flat and why the others were skipped; ``info`` has ``cycles`` run and ``max_bids``.

    Examples
    --------
    The ``problem`` and ``pol`` of :class:`Allocation`'s example let two of the four households in four rounds:

    >>> result = choice_based_lettings(problem, pol, seed=0)
    >>> result.n_allocated, result.info["cycles"]
    (2, 4)
    """
    rng = np.random.default_rng(seed)
    dev = problem.development
    caps = CapState.build(policy, dev, problem.households)
    order = shortlist_order(problem, policy, rng)
    vacant = np.flatnonzero(~dev.occupied)
    batches = np.array_split(rng.permutation(vacant), max(1, min(cycles, len(vacant))))
    free = np.zeros(dev.n_flats, dtype=bool)
    flat_of = np.full(problem.n_households, -1, dtype=np.int64)
    code = np.full(problem.n_households, K.NO_ACCEPTABLE, dtype=np.int64)
    rcap = np.full(problem.n_households, -1, dtype=np.int64)
    rblock = np.full(problem.n_households, -1, dtype=np.int64)
    ever_bid = np.zeros(problem.n_households, dtype=bool)
    rounds = 0
    while rounds < max_cycles:
        if rounds < len(batches):
            free[batches[rounds]] = True
        elif not free.any():
            break
        rounds += 1
        adverts = np.flatnonzero(free)
        bidders = np.flatnonzero(flat_of < 0)
        indptr, bids = _top_bids(problem, bidders, adverts, max_bids)
        ever_bid |= np.diff(indptr) > 0
        taken = ~free
        f, c, rc, rb = K.ballot_flat_form(order, indptr, bids, taken, dev.flat_block, caps.level, caps.hh_limit,
                                          caps.count, caps.maximum, caps.block_neighbourhood)
        won = f >= 0
        flat_of[won] = f[won]
        free[f[won]] = False
        upd = (flat_of < 0) & (np.diff(indptr) > 0)
        code[upd], rcap[upd], rblock[upd] = c[upd], rc[upd], rb[upd]
        if rounds >= len(batches) and not won.any():
            break
    code[(flat_of < 0) & ever_bid & (code != K.CAPPED)] = K.ALL_TAKEN
    code[flat_of >= 0] = K.HOUSED
    why = reasons(problem, caps, code, rcap, rblock)
    why[code == K.ALL_TAKEN] = "outbid: every home it bid for went to a household higher on the shortlist"
    position = np.empty(problem.n_households, dtype=np.int64)
    position[order] = np.arange(1, problem.n_households + 1)
    notes = [*priority_notes(problem.households, policy, "cbl"), *waiting_note(problem.households)]
    unlet = int(free.sum())
    if unlet and rounds >= max_cycles:
        notes.append(f"stopped after max_cycles={max_cycles} advertising cycles with {unlet:,} of {len(vacant):,} "
                     "vacant homes still unlet")
    if unlet and problem.n_households > 1 and _alike(problem):
        notes.append(f"every household values the homes alike (no preferences file?), so all bid for the same "
                     f"{max_bids} best adverts each cycle (ties: file order) and at most {max_bids} homes are let a "
                     "cycle; give a preferences file for real choices")
    return Allocation(problem=problem, policy=policy, mechanism="cbl", seed=seed, flat_of=flat_of, reason=why,
                      queue_position=position, info={"cycles": rounds, "max_bids": max_bids,
                                                     **({"notes": notes} if notes else {})})


def _alike(problem: Problem) -> bool:
    """Whether every household has the same utility for every flat (so every bidder bids for the same homes)."""
    u = problem.utilities
    if isinstance(u, BlockUtilities):
        return bool((u.block == u.block[:1]).all() and (u.flat_type == u.flat_type[:1]).all())
    n = np.diff(u.indptr)
    if (n != n[0]).any():
        return False
    if n[0] == 0:
        return True
    return bool((u.flat.reshape(-1, n[0]) == u.flat[:n[0]]).all()
                and (u.value.reshape(-1, n[0]) == u.value[:n[0]]).all())


def _top_bids(problem: Problem, bidders: np.ndarray, adverts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR over all households: each bidder's up-to-k best acceptable advertised flats, best first."""
    n = problem.n_households
    dev, u = problem.development, problem.utilities
    counts = np.zeros(n, dtype=np.int64)
    chosen: list[np.ndarray] = []
    if len(adverts) and len(bidders):
        if isinstance(u, BlockUtilities):
            util = (u.block[np.ix_(bidders, dev.flat_block[adverts])]
                    + (u.flat_type[np.ix_(bidders, dev.flat_type[adverts])] if u.flat_type.shape[1] else 0.0)
                    + dev.flat_value[adverts][None, :])
            kk = min(k, len(adverts))
            # Stable best-first: sort by utility desc, then flat index.
            idx = np.argsort(-util, axis=1, kind="stable")[:, :kk]
            top = np.take_along_axis(util, idx, axis=1)
            ok = top > 0        # acceptable: better than staying unhoused (docs/preferences.md)
            counts[bidders] = ok.sum(axis=1)
            chosen = [adverts[idx[i][ok[i]]] for i in range(len(bidders))]
        else:
            is_ad = np.zeros(dev.n_flats, dtype=bool)
            is_ad[adverts] = True
            for h in bidders:
                lst = u.flat[u.indptr[h]:u.indptr[h + 1]]
                pick = lst[is_ad[lst]][:k]
                counts[h] = len(pick)
                chosen.append(pick)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    flat = np.zeros(indptr[-1], dtype=np.int64)
    for h, c in zip(bidders, chosen, strict=False):
        flat[indptr[h]:indptr[h + 1]] = c
    return indptr, flat
