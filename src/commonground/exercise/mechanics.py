"""One sales exercise's mechanics: queue numbers per (project, flat type), then booking in queue order under the caps.

Queue numbers (HDB, ../shared/reference/hdb_allocation.md): about ``multiple`` (3) × the flats of a project's flat
type get one. Priority schemes first: each scheme with share q reserves ``floor(q × flats)`` numbers at the front of
the queue for its members with the best ballot draws (the project's convention, allocate/queue.py). Of all the
numbers, at least ``floor(first-timer quota × numbers)`` go to first-timers while first-timers remain; the rest go by
ballot draw. A household with k chances keeps the best of k draws (allocate/queue.ballot_keys).

Booking: invited households come in queue order (the types of one project interleaved by how far down their own
queue they are, since a block's caps are shared by its flat types); a household that books takes its best flat of
its type among those the caps (EIP, SPR) allow at that moment, as the ballot does; a household that declines is
passed over. Each application ends as one of :data:`OUTCOMES`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from commonground.allocate import _kernels as K
from commonground.allocate.selection import serial_selection
from commonground.model.problem import Problem
from commonground.policy.state import CapState

BOOKED, DECLINED, CAPPED, NOT_INVITED, NO_QUEUE_NUMBER = (
    "booked", "declined", "skipped by the caps", "not invited (flats ran out)", "no queue number")
OUTCOMES = (BOOKED, DECLINED, CAPPED, NOT_INVITED, NO_QUEUE_NUMBER)


def queue_numbers(keys: np.ndarray, first_timer: np.ndarray, scheme: np.ndarray, supply: int, *,
                  ft_quota: float, scheme_shares: Mapping[str, float], multiple: float = 3.0) -> np.ndarray:
    """Indices of the applicants to one (project, flat type) who get queue numbers, in queue order.

    ``keys``: ballot draws (lower is better); ``first_timer``: bool per applicant; ``scheme``: priority-scheme
    name per applicant (``""``: none)."""
    n = len(keys)
    q = min(n, int(np.ceil(multiple * supply - 1e-9)))
    by_key = np.argsort(keys, kind="stable")
    chosen = np.zeros(n, bool)
    reserved: list[int] = []
    for name, share in scheme_shares.items():
        places = int(np.floor(share * supply + 1e-9))
        members = [int(h) for h in by_key if scheme[h] == name and not chosen[h]][:min(places, q - len(reserved))]
        chosen[members] = True
        reserved += members
    ft_places = int(np.floor(ft_quota * q + 1e-9))
    st_places = q - ft_places - int((~first_timer[reserved]).sum()) if reserved else q - ft_places
    rest: list[int] = []
    for h in by_key:  # first-timers take any free number; second-timers only those beyond the FT quota
        if len(reserved) + len(rest) >= q:
            break
        if chosen[h]:
            continue
        if first_timer[h]:
            rest.append(int(h))
            chosen[h] = True
        elif st_places > 0:
            rest.append(int(h))
            chosen[h] = True
            st_places -= 1
    for h in by_key:  # first-timers ran out: the quota's unused numbers go to second-timers
        if len(reserved) + len(rest) >= q:
            break
        if not chosen[h]:
            rest.append(int(h))
            chosen[h] = True
    rest.sort(key=lambda h: keys[h])
    return np.array(reserved + rest, np.int64)


def book(problem: Problem, caps: CapState, order: np.ndarray, books: np.ndarray,
         flat_type_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invite ``order`` (household indices of ``problem``) in turn; those with ``books[h]`` take their best
    cap-allowed flat (``problem``'s utilities say which flats each accepts: its own flat type only).

    Returns (flat per household or -1, outcome per household; households not in ``order`` get
    :data:`NO_QUEUE_NUMBER`). A decliner was invited if a flat of its type was still unbooked at its turn."""
    n = problem.n_households
    order = np.asarray(order, np.int64)
    bookers = order[books[order]]
    flat_of, code, _, _ = serial_selection(problem, caps, bookers)
    outcome = np.full(n, NO_QUEUE_NUMBER, dtype=object)
    outcome[bookers] = np.where(code[bookers] == K.HOUSED, BOOKED,
                                np.where(code[bookers] == K.CAPPED, CAPPED, NOT_INVITED))
    dev = problem.development
    vacant_of_type = np.bincount(dev.flat_type[~dev.occupied], minlength=len(dev.flat_type_names))
    booked_so_far = np.zeros_like(vacant_of_type)
    for h in order:
        t = flat_type_of[h]
        if books[h]:
            booked_so_far[t] += flat_of[h] >= 0
        else:
            outcome[h] = DECLINED if booked_so_far[t] < vacant_of_type[t] else NOT_INVITED
    return flat_of, outcome


def interleave(queues: list[np.ndarray]) -> np.ndarray:
    """One invitation order from several queues (a project's flat types): by relative place in its own queue,
    ties to the earlier queue."""
    if not queues:
        return np.zeros(0, np.int64)
    pos = np.concatenate([(np.arange(len(q)) + 1) / max(len(q), 1) for q in queues])
    which = np.concatenate([np.full(len(q), i) for i, q in enumerate(queues)])
    items = np.concatenate(queues).astype(np.int64)
    return items[np.lexsort((which, pos))]
