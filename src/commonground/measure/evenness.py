"""More single-group evenness indices: MinMax, density-corrected D, and the concentration profile.

Aspatial like :mod:`.aspatial` (apply them to ``smooth(c, ...)`` for spatial versions); regions x groups,
all regions and groups at once. Values equal PySAL ``segregation``'s ``MinMax``, ``ConProf`` and (with
``convention="pysal"``) ``DensityCorrectedDissim``. The examples use
``c = Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"])``: two units of ten residents,
groups x and y split 8/2 and 2/8 (one region, ``"all"``).
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts, require_counts

CONVENTIONS = ("commonground", "pysal")


def minmax(c: Counts) -> pd.DataFrame:
    """MinMax (O'Sullivan & Wong 2007): ``1 - sum_i min(x_i/X, y_i/Y) / sum_i max(x_i/X, y_i/Y)``.

    ``y = t - x`` is everyone else. The two groups' distributions over units overlap fully at 0, not at
    all at 1. PySAL: ``MinMax``.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); the others in a unit are its
        total (the total column if given) less the group.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1]: 0 when the group and the others are spread over the units alike, 1
        when they share no unit; NaN where the group is absent or is everyone.

    Examples
    --------
    Distributions 0.8/0.2 and 0.2/0.8: 1 - (0.2 + 0.2) / (0.8 + 0.8):

    >>> minmax(c).round(4).loc["all"].to_dict()
    {'x': 0.75, 'y': 0.75}
    """
    require_counts(c)
    y = c.total[:, None] - c.x
    with np.errstate(invalid="ignore", divide="ignore"):
        fx = c.x / c.broadcast(c.region_counts)
        fy = y / c.broadcast(c.region_sum(y))
        return c.by_group(1 - c.region_sum(np.minimum(fx, fy)) / c.region_sum(np.maximum(fx, fy)), "minmax")


# -- density-corrected dissimilarity ------------------------------------------------------------------------------
_SQRT_2PI = np.sqrt(2 * np.pi)


@numba.njit(cache=True)
def _neg_fold(x: float, theta: float) -> float:
    return -(np.exp(-((x - theta) ** 2) / 2.0) / _SQRT_2PI + np.exp(-((x + theta) ** 2) / 2.0) / _SQRT_2PI)


@numba.njit(cache=True)
def _nelder_mead_one(th: float) -> float:
    """PySAL's optimiser, step for step: SciPy's one-dimensional Nelder-Mead from 0 (initial step 0.00025,
    xatol 1e-5, fatol 1e-4, at most 200 iterations and evaluations), returning the *second* vertex of the
    final simplex as PySAL does."""
    s0, s1 = 0.0, 0.00025
    f0, f1 = _neg_fold(s0, th), _neg_fold(s1, th)
    calls = 2
    if f1 < f0:
        s0, s1, f0, f1 = s1, s0, f1, f0
    it = 1
    while calls < 200 and it < 200:
        if abs(s1 - s0) <= 1e-5 and abs(f0 - f1) <= 1e-4:
            break
        xbar = s0 / 1.0
        xr = (1 + 1) * xbar - 1 * s1
        fxr = _neg_fold(xr, th)
        calls += 1
        if fxr < f0:
            xe = (1 + 1 * 2) * xbar - 1 * 2 * s1
            fxe = _neg_fold(xe, th)
            calls += 1
            if fxe < fxr:
                s1, f1 = xe, fxe
            else:
                s1, f1 = xr, fxr
        else:  # with one dimension SciPy's "fxr < fsim[-2]" compares with the best vertex: never true here
            shrink = False
            if fxr < f1:
                xc = (1 + 0.5 * 1) * xbar - 0.5 * 1 * s1
                fxc = _neg_fold(xc, th)
                calls += 1
                if fxc <= fxr:
                    s1, f1 = xc, fxc
                else:
                    shrink = True
            else:
                xcc = (1 - 0.5) * xbar + 0.5 * s1
                fxcc = _neg_fold(xcc, th)
                calls += 1
                if fxcc < f1:
                    s1, f1 = xcc, fxcc
                else:
                    shrink = True
            if shrink:
                s1 = s0 + 0.5 * (s1 - s0)
                f1 = _neg_fold(s1, th)
                calls += 1
        it += 1
        if f1 < f0:
            s0, s1, f0, f1 = s1, s0, f1, f0
    return s1


@numba.njit(cache=True)
def _exact_one(th: float) -> float:
    """The mode of ``phi(x - theta) + phi(x + theta)`` on x >= 0: 0 if theta <= 1, else the root of
    ``x = theta tanh(theta x)`` (Newton's method from ``x = theta``, which lies above the root)."""
    if th <= 1.0:
        return 0.0
    if th * th > 19.5:  # tanh(theta^2) is 1.0 in double precision: theta is the root already
        return th
    x = th
    for _ in range(100):
        tx = np.tanh(th * x)
        step = (x - th * tx) / (1.0 - th * th * (1.0 - tx * tx))
        x -= step
        if abs(step) <= 4e-16 * x:
            break
    return x


@numba.njit(cache=True)
def _fold_modes(theta: np.ndarray, pysal: bool) -> np.ndarray:
    """The folded normal's mode for each ``theta``: PySAL's Nelder-Mead vertex or the exact root (tests compare
    the two)."""
    out = np.empty(theta.shape[0])
    for u in range(theta.shape[0]):
        out[u] = _nelder_mead_one(theta[u]) if pysal else _exact_one(theta[u])
    return out


@numba.njit(cache=True)
def _dcd_terms(x: np.ndarray, t: np.ndarray, codes: np.ndarray, big_x: np.ndarray, big_y: np.ndarray,
               pysal: bool) -> np.ndarray:
    """Each unit's ``sigma_i m(theta_i)`` for every group, in one pass (no n x K temporaries)."""
    n, k = x.shape
    out = np.zeros((n, k))
    for i in range(n):
        r = codes[i]
        for g in range(k):
            bx, by = big_x[r, g], big_y[r, g]
            if bx <= 0 or by <= 0:
                continue  # the region's value is NaN
            f = x[i, g] / bx
            h = (t[i] - x[i, g]) / by
            sigma = np.sqrt(h * (1 - h) / by + f * (1 - f) / bx)
            if sigma > 0:
                th = abs(h - f) / sigma
                out[i, g] = sigma * (_nelder_mead_one(th) if pysal else _exact_one(th))
            else:  # no noise: sigma * mode(theta) -> |f - g|
                out[i, g] = abs(f - h)
    return out


def density_corrected_dissimilarity(c: Counts, *, convention: str = "commonground") -> pd.DataFrame:
    """Density-corrected dissimilarity D_dc (Allen, Burgess, Davidson & Windmeijer 2015), regions x groups.

    Each unit's difference ``|x_i/X - y_i/Y|`` (``y = t - x``) is noisy for small units; with
    ``sigma_i = sqrt(f_i(1-f_i)/X + g_i(1-g_i)/Y)`` (``f_i = x_i/X``, ``g_i = y_i/Y``) and ``theta_i =
    |f_i - g_i| / sigma_i``, ``D_dc = 1/2 sum_i sigma_i m(theta_i)`` where ``m`` is the mode of the folded
    normal ``phi(z - theta) + phi(z + theta)`` -- the most likely true difference given the observed one.

    ``convention="commonground"`` solves for the mode exactly (0 when ``theta <= 1``, else the root of
    ``z = theta tanh(theta z)``). ``convention="pysal"`` reproduces PySAL's ``DensityCorrectedDissim``, which
    finds it by Nelder-Mead to a tolerance of 1e-5 and reports a vertex of the final simplex -- and, for large
    ``theta``, stops near 0 (docs/measure.md, deliberate differences). A unit where both ``f`` and ``g`` are
    0 adds nothing, one with ``sigma = 0`` but ``f != g`` adds ``|f - g|`` (PySAL: NaN for both).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); the others in a unit are its
        total (the total column if given) less the group.
    convention : {"commonground", "pysal"}, optional
        Exact mode, or PySAL's Nelder-Mead result.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1] and, with the exact mode, at most D (the part of a small unit's
        difference that sampling noise explains is taken out); NaN where the group is absent or is everyone.

    Raises
    ------
    InputError
        Unknown ``convention``.

    Examples
    --------
    >>> density_corrected_dissimilarity(c).round(4).loc["all"].to_dict()
    {'x': 0.6, 'y': 0.6}
    """
    require_counts(c)
    if convention not in CONVENTIONS:
        raise InputError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    y_total = c.region_total[:, None] - c.region_counts
    terms = _dcd_terms(np.ascontiguousarray(c.x), np.ascontiguousarray(c.total), c.codes,
                       np.ascontiguousarray(c.region_counts), np.ascontiguousarray(y_total), convention == "pysal")
    out = c.region_sum(terms) / 2
    undefined = ~((c.region_counts > 0) & (y_total > 0))
    return c.by_group(np.where(undefined, np.nan, out), "density_corrected_dissimilarity")


# -- concentration profile ---------------------------------------------------------------------------------------
def _grid_passes(grid: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``searchsorted(grid, p, side="right")`` for ``grid = linspace(0, 1, m)``: the number of grid points
    ``<= p``, from ``floor(p (m - 1))`` corrected by one comparison either side (linspace's rounding)."""
    m = grid.shape[0]
    j = np.clip(np.floor(p * (m - 1)).astype(np.int64), 0, m - 1)
    up = np.minimum(j + 1, m - 1)
    return j + 1 + ((grid[up] <= p) & (j + 1 < m)) - (grid[j] > p)


def concentration_profile(c: Counts, *, m: int = 1000, curve: bool = False) -> pd.DataFrame:
    """Concentration profile R (Hong & Sadahiro 2014), regions x groups.

    ``v_t`` is the share of the group living in units where its share is at least ``t``, for ``m``
    thresholds in [0, 1]; ``R = (P - (sum_{t<P} v_t - sum_{t>=P} v_t) / m) / (1 - P)`` with ``P`` the group's
    share of the region. ``curve=True`` returns the curves: one row per (region, group, threshold).
    Computed by binning each unit's share onto the grid once (no loop over thresholds). PySAL: ``ConProf``.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); the others in a unit are its
        total (the total column if given) less the group.
    m : int, optional
        Number of thresholds.
    curve : bool, optional
        Return the curves instead of R.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, R in [0, 1]: 0 when every unit has its region's share of the group, 1 when
        the group lives only among itself; NaN where the group is absent or is everyone. With
        ``curve=True`` one row per (region, group, threshold) instead.

    Examples
    --------
    >>> concentration_profile(c).round(4).loc["all"].to_dict()
    {'x': 0.6, 'y': 0.6}
    """
    require_counts(c)
    if not isinstance(m, int | np.integer) or m < 2:
        raise InputError(f"m must be an integer of at least 2, got {m!r}")
    grid = np.linspace(0, 1, m)
    R = c.n_regions
    valid = c.total > 0
    curves = np.zeros((R, c.n_groups, m))
    codes = c.codes[valid]
    for k in range(c.n_groups):
        x = c.x[valid, k]
        # number of grid points t <= p_i; unit i counts towards v_t for exactly those t
        passes = _grid_passes(grid, x / c.total[valid])
        hist = np.bincount(codes * (m + 1) + passes, weights=x, minlength=R * (m + 1)).reshape(R, m + 1)
        tail = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # tail[:, j] = group living where j+... points pass
        with np.errstate(invalid="ignore", divide="ignore"):
            curves[:, k] = tail[:, 1:] / c.region_counts[:, k:k + 1]
    if curve:
        from commonground.measure.boundary import _curve_frame
        return _curve_frame(c, grid, curves, "concentration_profile")
    from commonground.measure.boundary import _profile_statistic
    threshold = c.region_counts / c.region_total[:, None]
    return c.by_group(_profile_statistic(grid, curves, threshold), "concentration_profile")
