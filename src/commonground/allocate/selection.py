"""Shared machinery for mechanisms that seat households one at a time in a given order."""

from __future__ import annotations

import numpy as np

from commonground.allocate import _kernels as K
from commonground.allocate.result import Allocation
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.checks import priority_notes
from commonground.policy.state import CapState


def flat_groups(problem: Problem, available: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Available flats grouped by (block, type), each group best ``value`` first (ties: flat index)."""
    dev = problem.development
    n_types = max(len(dev.flat_type_names), 1)
    f = np.flatnonzero(available)
    g = dev.flat_block[f] * n_types + dev.flat_type[f]
    order = np.lexsort((f, -dev.flat_value[f], g))
    grp_flats = f[order].astype(np.int64)
    grp_ptr = np.zeros(dev.n_blocks * n_types + 1, dtype=np.int64)
    np.cumsum(np.bincount(g, minlength=dev.n_blocks * n_types), out=grp_ptr[1:])
    return grp_ptr, grp_flats, n_types


def serial_selection(problem: Problem, caps: CapState, order: np.ndarray,
                     available: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Households in ``order`` each take their best available cap-allowed flat; updates ``caps.count``.

    Returns (flat_of, reason_code, reason_cap, reason_block) per household (see ``_kernels``).
    """
    dev, u = problem.development, problem.utilities
    if available is None:
        available = ~dev.occupied
    order = np.asarray(order, dtype=np.int64)
    args = (caps.level, caps.hh_limit, caps.count, caps.maximum, caps.block_neighbourhood)
    if isinstance(u, BlockUtilities):
        grp_ptr, grp_flats, n_types = flat_groups(problem, available)
        V = u.flat_type if u.flat_type.shape[1] else np.zeros((problem.n_households, 1))
        return K.ballot_block_form(order, u.block, V, dev.flat_type.astype(np.int64), dev.flat_block,
                                   dev.flat_value, grp_ptr, grp_flats, n_types, *args)
    taken = ~available.copy()
    return K.ballot_flat_form(order, u.indptr, u.flat, taken, dev.flat_block, *args)


def reasons(problem: Problem, caps: CapState, code: np.ndarray, rcap: np.ndarray,
            rblock: np.ndarray) -> np.ndarray:
    """Readable skip reasons, e.g. ``block B3: Malay cap 25% reached``; ``""`` for housed households."""
    out = np.full(len(code), "", dtype=object)
    none = np.flatnonzero(code == K.NO_ACCEPTABLE)
    out[none] = problem.no_acceptable_reason(none)
    out[code == K.ALL_TAKEN] = "every acceptable flat was taken before its turn"
    capped = np.flatnonzero(code == K.CAPPED)
    cache: dict[tuple[int, int, int], str] = {}
    for h in capped:
        c, b = int(rcap[h]), int(rblock[h])
        key = (c, b, int(caps.hh_limit[c, h]))
        if key not in cache:
            cache[key] = caps.describe(c, int(h), b, problem.development)
        out[h] = cache[key]
    return out


def sequential_result(problem: Problem, policy: Policy, mechanism: str, seed: int | None, order: np.ndarray,
                      info: dict | None = None) -> Allocation:
    """Run :func:`serial_selection` in ``order`` and package it as an :class:`Allocation`.

    ``info["notes"]`` says what the mechanism left unused (e.g. the ballot ignores priority bands)."""
    caps = CapState.build(policy, problem.development, problem.households)
    flat_of, code, rcap, rblock = serial_selection(problem, caps, order)
    queue_position = np.full(problem.n_households, -1, dtype=np.int64)
    queue_position[order] = np.arange(1, len(order) + 1)
    info = dict(info or {})
    notes = priority_notes(problem.households, policy, mechanism)
    if notes:
        info["notes"] = [*info.get("notes", []), *notes]
    return Allocation(problem=problem, policy=policy, mechanism=mechanism, seed=seed, flat_of=flat_of,
                      reason=reasons(problem, caps, code, rcap, rblock), queue_position=queue_position,
                      info=info)
