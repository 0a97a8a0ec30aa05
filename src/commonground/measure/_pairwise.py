"""Population-weighted mean absolute difference of shares, the sum inside every Gini index.

``G_rk = sum_i sum_j t_i t_j |p_ik - p_jk|`` over all ordered pairs of units ``i, j`` in region ``r``, with
``p_ik = x_ik / t_i``. The naive double sum is O(n^2) per region (PySAL builds the n x n matrix); sorting the
shares turns it into one pass: for units in increasing order of ``p``,
``sum_{j<i} t_i t_j (p_i - p_j) = x_i S_t(i) - t_i S_x(i)`` where ``S_t``, ``S_x`` are the running sums of
``t`` and ``x = t p`` over the units before ``i``. O(n log n), one independent job per (region, group), run
in parallel with Numba (the sort and the running sum are sequential within a job).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, cache=True)
def _pair_abs_sums(x: np.ndarray, t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    n_regions = starts.shape[0]
    k_groups = x.shape[1]
    out = np.zeros((n_regions, k_groups))
    for job in numba.prange(n_regions * k_groups):
        r = job // k_groups
        k = job % k_groups
        s = starts[r]
        m = ends[r] - s
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
        out[r, k] = 2.0 * acc
    return out


def pair_abs_sums(x: np.ndarray, t: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``(R, K)`` sums ``sum_ij t_i t_j |x_ik/t_i - x_jk/t_j|`` per region (rows sorted by region)."""
    ends = np.r_[starts[1:], x.shape[0]].astype(np.int64)
    return _pair_abs_sums(np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(t, dtype=np.float64),
                          starts.astype(np.int64), ends)
