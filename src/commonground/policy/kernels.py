"""The cap check as Numba kernels over :class:`~commonground.policy.state.CapState` arrays: the policy's public,
compiled interface.

Compiled once and shared by every sequential loop (ballot, lettings, resales in :mod:`commonground.simulate`)
and by ``CapState`` itself. A cap's level is a code in ``level[c]``: :data:`BLOCK` or :data:`NEIGHBOURHOOD`.
"""

from __future__ import annotations

from numba import njit

#: Level codes of ``CapState.level``: a cap counts per block, or per neighbourhood.
BLOCK = 0
NEIGHBOURHOOD = 1
LEVEL_CODE = {"block": BLOCK, "neighbourhood": NEIGHBOURHOOD}


@njit(cache=True)
def blocking_cap(level, hh_limit, count, maximum, block_nbhd, h, b):
    """Index of the first cap that one more household h in block b would break (-1 if none)."""
    for c in range(level.shape[0]):
        lim = hh_limit[c, h]
        if lim < 0:
            continue
        u = b if level[c] == BLOCK else block_nbhd[b]
        if count[c, u, lim] + 1 > maximum[c, u, lim]:
            return c
    return -1


@njit(cache=True)
def admit(level, hh_limit, count, block_nbhd, h, b, delta):
    """Add ``delta`` (+1 in, -1 out) to household h's counts at block b and its neighbourhood."""
    for c in range(level.shape[0]):
        lim = hh_limit[c, h]
        if lim >= 0:
            u = b if level[c] == BLOCK else block_nbhd[b]
            count[c, u, lim] += delta
