"""A tiny counter-based random generator for Numba loops (SplitMix64, Steele, Lea & Flood 2014).

Numba's own ``np.random`` keeps one hidden state per thread, which a Dask worker shares between tasks;
passing the state explicitly as a ``uint64[1]`` array makes every kernel's draws a function of the task's
seed alone, so a run gives identical results in-process and on any worker.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def new_state(rng: np.random.Generator) -> np.ndarray:
    """A fresh kernel state drawn from a NumPy generator (so it follows the task's SeedSequence)."""
    return rng.integers(0, 2**63, size=1, dtype=np.uint64) | np.uint64(1)


@njit(cache=True, inline="always")
def next_u64(s):
    s[0] += _GOLDEN
    z = s[0]
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def uniform(s):
    """A float in [0, 1) with 53 random bits."""
    return float(next_u64(s) >> _S11) * _INV53


@njit(cache=True, inline="always")
def randint(s, n):
    """An integer in [0, n) (n ≥ 1); the bias of scaling a 53-bit uniform is below 1e-9 for n < 2**23."""
    return int(uniform(s) * n)


@njit(cache=True)
def shuffle(s, a):
    """Fisher–Yates shuffle of ``a`` in place."""
    for i in range(a.shape[0] - 1, 0, -1):
        j = randint(s, i + 1)
        t = a[i]
        a[i] = a[j]
        a[j] = t
