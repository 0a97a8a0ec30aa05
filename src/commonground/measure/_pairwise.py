"""Population-weighted mean absolute difference of shares, the sum inside every Gini index.

``G_rk = sum_i sum_j t_i t_j |p_ik - p_jk|`` over all ordered pairs of units ``i, j`` in region ``r``, with
``p_ik = x_ik / t_i``. The naive double sum is O(n^2) per region (PySAL builds the n x n matrix); sorting the
shares turns it into one pass: for units in increasing order of ``p``,
``sum_{j<i} t_i t_j (p_i - p_j) = x_i S_t(i) - t_i S_x(i)`` where ``S_t``, ``S_x`` are the running sums of
``t`` and ``x = t p`` over the units before ``i``. O(n log n), one independent job per (region, group), run
in parallel with Numba (the sort and the running sum are sequential within a job).
"""

from __future__ import annotations

import threading

import numba
import numpy as np

#: Below this many cells a serial loop beats starting Numba's thread pool (~20 ms per parallel call).
PARALLEL_MIN_CELLS = 200_000
#: Numba's default threading layer aborts if two Python threads enter a parallel region at once (a web
#: service or threaded runner calling measure concurrently): one parallel call at a time.
_PARALLEL_LOCK = threading.Lock()


@numba.njit(cache=True)
def _one(x: np.ndarray, t: np.ndarray, s: int, e: int, k: int) -> float:
    m = e - s
    p = np.empty(m)
    for i in range(m):
        ti = t[s + i]
        p[i] = x[s + i, k] / ti if ti > 0 else 0.0
    order = np.argsort(p)
    cum_t = 0.0
    cum_x = 0.0
    acc = 0.0
    for jj in range(m):
        i = order[jj]
        ti = t[s + i]
        xi = ti * p[i]
        acc += xi * cum_t - ti * cum_x
        cum_t += ti
        cum_x += xi
    return 2.0 * acc


@numba.njit(parallel=True, cache=True)
def _pair_abs_sums_parallel(x: np.ndarray, t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    k_groups = x.shape[1]
    out = np.zeros((starts.shape[0], k_groups))
    for job in numba.prange(starts.shape[0] * k_groups):
        r = job // k_groups
        out[r, job % k_groups] = _one(x, t, starts[r], ends[r], job % k_groups)
    return out


@numba.njit(cache=True)
def _pair_abs_sums_serial(x: np.ndarray, t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    k_groups = x.shape[1]
    out = np.zeros((starts.shape[0], k_groups))
    for r in range(starts.shape[0]):
        for k in range(k_groups):
            out[r, k] = _one(x, t, starts[r], ends[r], k)
    return out


def pair_abs_sums(x: np.ndarray, t: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``(R, K)`` sums ``sum_ij t_i t_j |x_ik/t_i - x_jk/t_j|`` per region (rows sorted by region)."""
    ends = np.r_[starts[1:], x.shape[0]].astype(np.int64)
    args = (np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(t, dtype=np.float64),
            starts.astype(np.int64), ends)
    if x.size < PARALLEL_MIN_CELLS:
        return _pair_abs_sums_serial(*args)
    with _PARALLEL_LOCK:
        return _pair_abs_sums_parallel(*args)
