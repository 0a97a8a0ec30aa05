"""Spatial indices on weighted neighbours: boundary-length and perimeter/area dissimilarity, proximity profile.

Each takes a :class:`~commonground.measure.counts.Counts` and neighbour weights in any form
:func:`commonground.measure.weights.weighted_pairs` accepts (an edge list with an optional weight column, a
libpysal ``W`` or ``Graph``); :func:`commonground.measure.geo.shared_boundaries` builds shared-boundary-length
weights from real polygons. Pairs across regions are ignored; results are regions x groups.

Values equal PySAL ``segregation``'s ``BoundarySpatialDissim``, ``PARDissim`` and ``SpatialProxProf`` given
the same weights (tests check them on the Sacramento tract polygons to 1e-9). The examples use three units in a
row, ``line = Counts.from_frame(pd.DataFrame({"x": [8, 6, 2], "y": [2, 4, 8]}), ["x", "y"])``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from commonground.errors import InputError
from commonground.measure.aspatial import dissimilarity
from commonground.measure.counts import Counts, require_counts
from commonground.measure.spatial import _group_sum
from commonground.measure.weights import WeightsLike, region_slices, stored, weighted_pairs


def boundary_dissimilarity(c: Counts, weights: WeightsLike, *, standardize: bool = False) -> pd.DataFrame:
    """Boundary spatial dissimilarity (Wong 1993): ``D - sum_ij c_ij |p_i - p_j| / sum_ij c_ij``.

    ``c_ij`` is the length of boundary units ``i`` and ``j`` share (a third column of the edge list, or the
    weights of a libpysal object), or ``c_ij / sum_j c_ij`` with ``standardize=True``. With unit weights this
    is :func:`~commonground.measure.spatial.spatial_dissimilarity`. PySAL: ``BoundarySpatialDissim`` (whose
    class default is ``standardize=True``).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order the weights
        refer to.
    weights : edge list, sparse matrix or libpysal weights
        Which units neighbour which, in the caller's row order (a third edge-list column: shared boundary
    length).
    standardize : bool, optional
        Row-standardise the boundary lengths.

    Returns
    -------
    pandas.DataFrame
        Regions x groups: D less the boundary-length-weighted mean difference in shares of
        neighbours, so at most D; NaN where the group is absent or is everyone.

    Examples
    --------
    The three units in a row, neighbours 0-1 and 1-2:

    >>> boundary_dissimilarity(line, np.array([[0, 1], [1, 2]])).round(4).loc["all"].to_dict()
    {'x': 0.1464, 'y': 0.1464}
    """
    require_counts(c)
    src, dst, w = weighted_pairs(c, weights)
    if standardize:
        w = w / np.bincount(src, weights=w, minlength=c.n_units)[src]
    region = c.codes[src]
    p = c.unit_share
    num = _group_sum(region, w[:, None] * np.abs(p[src] - p[dst]), c.n_regions)
    den = np.bincount(region, weights=w, minlength=c.n_regions)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(dissimilarity(c).to_numpy() - num / den[:, None], "boundary_dissimilarity")


def par_dissimilarity(c: Counts, weights: WeightsLike, perimeters: np.ndarray | Sequence[float],
                      areas: np.ndarray | Sequence[float], *, standardize: bool = True) -> pd.DataFrame:
    """Perimeter/area-ratio dissimilarity (Wong 1993):
    ``D - sum_ij c_ij |p_i - p_j| (PA_i + PA_j) / (2 max PA)``.

    ``PA_i`` is unit ``i``'s perimeter over its area (compact units weigh less), ``c_ij`` the shared boundary
    length, divided by the region's total ``sum_ij c_ij`` when ``standardize`` (the default, as PySAL's
    ``PARDissim``).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order the weights
        refer to.
    weights : edge list, sparse matrix or libpysal weights
        Which units neighbour which, in the caller's row order (a third edge-list column: shared boundary
    length).
    perimeters, areas : array-like
        Each unit's perimeter and area, in the caller's row order.
    standardize : bool, optional
        Divide the boundary lengths by the region's total.

    Returns
    -------
    pandas.DataFrame
        Regions x groups: D less the neighbours' differences weighted by shared boundary and by
        perimeter/area, so at most D; NaN where the group is absent or is everyone.
    """
    require_counts(c)
    per, area = stored(c, perimeters, "perimeters"), stored(c, areas, "areas")
    if (area <= 0).any():
        raise InputError("every unit needs a positive area", row=int(c.order[np.flatnonzero(area <= 0)[0]]) + 1)
    pa = per / area
    src, dst, w = weighted_pairs(c, weights)
    region = c.codes[src]
    if standardize:
        w = w / np.bincount(region, weights=w, minlength=c.n_regions)[region]
    p = c.unit_share
    num = _group_sum(region, (w * (pa[src] + pa[dst]))[:, None] * np.abs(p[src] - p[dst]), c.n_regions)
    max_pa = np.maximum.reduceat(pa, c.starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(dissimilarity(c).to_numpy() - num / (2 * max_pa[:, None]), "par_dissimilarity")


def _profile_statistic(grid: np.ndarray, curve: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """``(P - (sum_{t<P} v_t - sum_{t>=P} v_t) / m) / (1 - P)`` over the last axis of ``curve``."""
    m = grid.shape[0]
    below = grid < threshold[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (threshold - (np.where(below, curve, 0).sum(-1) / m - np.where(below, 0, curve).sum(-1) / m)) / (
            1 - threshold)


def spatial_proximity_profile(c: Counts, weights: WeightsLike, *, m: int = 1000,
                              curve: bool = False) -> pd.DataFrame:
    """Spatial proximity profile SPP (Hong & Sadahiro 2014), regions x groups.

    For thresholds ``t`` on ``m`` points in [0, 1], the units where the group's share is at least ``t`` and
    ``eta_t = (k^2 - k) / sum_ij delta_ij`` their connectivity (``delta`` = shortest-path distance on the
    neighbour graph, ``k`` = number of those units; 0 if they are not connected); the statistic sums the
    curve either side of the group's overall share ``P``: ``(P - (sum_{t<P} eta_t - sum_{t>=P} eta_t)/m) /
    (1 - P)``. Units with nobody in them never pass a threshold. ``curve=True`` returns the curves instead:
    one row per (region, group, threshold). Equals PySAL ``SpatialProxProf`` given the same weights
    (binary contiguity: hops; weighted: weighted path lengths).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order the weights
        refer to.
    weights : edge list, sparse matrix or libpysal weights
        Which units neighbour which, in the caller's row order (a third edge-list column: shared boundary
    length).
    m : int, optional
        Number of thresholds.
    curve : bool, optional
        Return the curves instead of the statistic.

    Returns
    -------
    pandas.DataFrame
        Regions x groups: higher when the units where the group is many are connected; NaN where
        the group is absent or is everyone. With ``curve=True`` one row per (region, group,
        threshold) instead.

    Examples
    --------
    >>> spatial_proximity_profile(line, np.array([[0, 1], [1, 2]])).round(4).loc["all"].to_dict()
    {'x': 0.2514, 'y': 0.2188}
    """
    require_counts(c)
    if m < 2:
        raise InputError(f"m must be at least 2, got {m}")
    src, dst, w = weighted_pairs(c, weights)
    graph = sp.csr_matrix((w, (src, dst)), shape=(c.n_units, c.n_units))
    grid = np.linspace(0, 1, m)
    curves = np.zeros((c.n_regions, c.n_groups, m))
    for r, s, e in region_slices(c):
        delta = shortest_path(graph[s:e, s:e], method="D", directed=False)
        t = c.total[s:e]
        for k in range(c.n_groups):
            valid = np.flatnonzero(t > 0)
            p = c.x[s:e, k][valid] / t[valid]
            order = np.argsort(-p, kind="stable")
            ps = p[order]
            sub = delta[np.ix_(valid[order], valid[order])]
            within = 2 * np.cumsum(np.tril(sub, -1).sum(axis=1))  # sum of delta over the first j units
            count = np.searchsorted(-ps, -grid, side="right")  # units with p >= t
            den = np.where(count > 0, within[np.maximum(count - 1, 0)], 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                eta = (count.astype(np.float64) ** 2 - count) / den
            curves[r, k] = np.where(np.isfinite(eta), eta, 0.0)
    if curve:
        return _curve_frame(c, grid, curves, "spatial_proximity_profile")
    threshold = c.region_counts / c.region_total[:, None]
    return c.by_group(_profile_statistic(grid, curves, threshold), "spatial_proximity_profile")


def _curve_frame(c: Counts, grid: np.ndarray, curves: np.ndarray, name: str) -> pd.DataFrame:
    n_r, n_g, m = curves.shape
    return pd.DataFrame({c.regions.name or "region": np.repeat(c.regions.to_numpy(), n_g * m),
                         "group": np.tile(np.repeat(np.asarray(c.groups, dtype=object), m), n_r),
                         "threshold": np.tile(grid, n_r * n_g), name: curves.reshape(-1)})
