"""The unconstrained optimum on dense flat-level utilities: SciPy's Jonker–Volgenant assignment solver.

Without caps, maximising welfare is the classic assignment problem. When every household values (nearly) every
flat differently, the aggregated model of :mod:`.welfare_model` has one arc per household × flat and gains
nothing; ``scipy.optimize.linear_sum_assignment`` (a shortest-augmenting-path Jonker–Volgenant code, exact on the
numbers it is given) solves the dense matrix directly. Unacceptable pairs and pairs worth less than nothing are
entered as 0, the value of staying unhoused, and dropped from the answer, so the welfare is the optimum of the
problem with "unhoused" allowed.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from commonground.model.preferences import FlatUtilities
from commonground.model.problem import Problem

#: Largest households × vacant flats matrix solved densely (8 bytes each: 240 MB).
DENSE_MAX = 30_000_000
#: Share of households × vacant flats pairs that must be acceptable for the dense solver to pay off.
DENSE_SHARE = 0.25


def dense_utilities(problem: Problem, available: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(H × F_available utility matrix, -inf = unacceptable; the available flats' indices) when the utilities are
    flat-level and dense enough (see ``DENSE_SHARE``, ``DENSE_MAX``), else ``None``."""
    u = problem.utilities
    if not isinstance(u, FlatUtilities):
        return None
    flats = np.flatnonzero(available)
    H, F = problem.n_households, len(flats)
    if H * F == 0 or H * F > DENSE_MAX:
        return None
    col = np.full(problem.development.n_flats, -1, dtype=np.int64)
    col[flats] = np.arange(F)
    hh = np.repeat(np.arange(H, dtype=np.int64), np.diff(u.indptr))
    c = col[u.flat]
    keep = c >= 0
    if keep.sum() < DENSE_SHARE * H * F:
        return None
    U = np.full((H, F), -np.inf)
    U[hh[keep], c[keep]] = u.value[keep]
    return U, flats


def assign(U: np.ndarray, flats: np.ndarray) -> tuple[np.ndarray, float]:
    """(flat_of per household, welfare) of a maximum-weight assignment of ``U`` (rows: households)."""
    W = np.where(U > 0, U, 0.0)          # -inf and non-positive: worth what staying unhoused is worth
    rows, cols = linear_sum_assignment(W, maximize=True)
    keep = W[rows, cols] > 0
    flat_of = np.full(U.shape[0], -1, dtype=np.int64)
    flat_of[rows[keep]] = flats[cols[keep]]
    return flat_of, float(W[rows[keep], cols[keep]].sum())
