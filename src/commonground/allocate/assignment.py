"""The unconstrained optimum on dense flat-level utilities: SciPy's Jonker–Volgenant assignment solver.

Without caps, maximising welfare is the classic assignment problem. When every household values (nearly) every
flat differently, the aggregated model of :mod:`.welfare_model` has one arc per household × flat and gains
nothing; ``scipy.optimize.linear_sum_assignment`` (a shortest-augmenting-path Jonker–Volgenant code, exact on the
numbers it is given) solves the dense matrix directly. Unacceptable pairs and pairs worth nothing or less are
entered as 0, the value of staying unhoused, and dropped from the answer (which changes no welfare), so the
welfare is the optimum of the problem with "unhoused" allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from commonground.model.preferences import FlatUtilities
from commonground.model.problem import Problem

#: Largest households × vacant flats matrix solved densely (8 bytes each: 240 MB).
DENSE_MAX = 30_000_000
#: Share of households × vacant flats pairs that must be acceptable for the dense solver to pay off.
DENSE_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class DenseUtilities:
    """``W[h, j]``: utility of available flat ``flats[j]`` to household ``h`` where positive, else 0 (unacceptable
    or worth less than staying unhoused); ``acceptable[h]``: some flat is worth more than nothing to ``h``."""

    W: np.ndarray
    flats: np.ndarray
    acceptable: np.ndarray
    pairs: int


def dense_utilities(problem: Problem, available: np.ndarray) -> DenseUtilities | None:
    """The dense matrix when the utilities are flat-level and dense enough (``DENSE_SHARE``, ``DENSE_MAX``),
    else ``None`` (the aggregated min-cost flow is the better tool then)."""
    u = problem.utilities
    if not isinstance(u, FlatUtilities):
        return None
    flats = np.flatnonzero(available)
    H, F = problem.n_households, len(flats)
    if H * F == 0 or H * F > DENSE_MAX:
        return None
    n_listed = np.diff(u.indptr)
    if problem.development.n_flats == F and (n_listed == F).all():
        # Every household lists every flat and all are vacant: one pass, row by row.
        W = np.empty((H, F))
        np.put_along_axis(W, u.flat.reshape(H, F), u.value.reshape(H, F), axis=1)
        np.maximum(W, 0.0, out=W)
        first = u.value[u.indptr[:-1]]                      # each household's best (lists are best first)
        return DenseUtilities(W=W, flats=flats, acceptable=first > 0, pairs=int((u.value > 0).sum()))
    col = np.full(problem.development.n_flats, -1, dtype=np.int64)
    col[flats] = np.arange(F)
    c = col[u.flat]
    keep = (c >= 0) & (u.value > 0)
    if keep.sum() < DENSE_SHARE * H * F:
        return None
    hh = np.repeat(np.arange(H, dtype=np.int64), n_listed)
    W = np.zeros((H, F))
    W[hh[keep], c[keep]] = u.value[keep]
    acceptable = np.bincount(hh[keep], minlength=H) > 0
    return DenseUtilities(W=W, flats=flats, acceptable=acceptable, pairs=int(keep.sum()))


def assign(d: DenseUtilities) -> tuple[np.ndarray, float]:
    """(flat_of per household, welfare) of a maximum-weight assignment of ``d.W`` (rows: households)."""
    rows, cols = linear_sum_assignment(d.W, maximize=True)
    w = d.W[rows, cols]
    keep = w > 0
    flat_of = np.full(d.W.shape[0], -1, dtype=np.int64)
    flat_of[rows[keep]] = d.flats[cols[keep]]
    return flat_of, float(w[keep].sum())
