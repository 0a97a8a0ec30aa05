"""Segregation across scales and around each unit: multiscalar profiles, distortion, local centralization.

* :func:`multiscalar_profile` -- an index on kernel-smoothed environments of growing bandwidth (Reardon et
  al. 2008; PySAL ``compute_multiscalar_profile``);
* :func:`local_distortion` / :func:`global_distortion` -- for each unit, how far the population met while
  widening a circle around it stays from the region's composition, summed over the widening (Olteanu,
  Randon-Furling & Clark 2019; PySAL ``LocalDistortion`` / ``GlobalDistortion``);
* :func:`local_relative_centralization` -- relative centralization of each unit's k-nearest neighbourhood
  around that unit (PySAL ``LocalRelativeCentralization``).

Coordinates are unit centroids ``(n, 2)`` in the caller's row order, in a projected CRS. The examples use
three units in a row, ``line = Counts.from_frame(pd.DataFrame({"x": [8, 6, 2], "y": [2, 4, 8]}), ["x", "y"])``,
one apart: ``xy = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numba
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from commonground.errors import InputError
from commonground.measure._distance import distances as pair_distances
from commonground.measure.counts import Counts, require_counts
from commonground.measure.inference import index_spec
from commonground.measure.spatial import smooth
from commonground.measure.weights import region_slices, stored

#: libpysal.graph kernel names -> ours (the same functions; tested equal through PySAL's profile)
LIBPYSAL_KERNELS = {"bisquare": "quartic", "parabolic": "quadratic"}


def multiscalar_profile(c: Counts, coords: np.ndarray, distances: Sequence[float],
                        index: str | Callable = "dissimilarity", *, kernel: str = "triangular",
                        convention: str = "pysal") -> pd.DataFrame:
    """``index`` at bandwidth 0 (aspatial) and on the egohoods of each of ``distances``.

    One row per distance (index ``distance``), columns one per group (single-group index) or one (multigroup),
    for every region (columns ``(region, group)`` when there are several). ``convention="pysal"`` (default)
    smooths as PySAL (own weight 1, rounded counts), so the profile equals PySAL's; ``"commonground"`` keeps
    real-valued counts (see :func:`commonground.measure.spatial.smooth`). ``kernel`` takes our names or
    libpysal.graph's (``bisquare``, ``parabolic``, ``boxcar`` -- PySAL's profile builds its weights with
    ``Graph.build_kernel``).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order of
        ``coords``.
    coords : numpy.ndarray
        (units, 2) centroids in the caller's row order, projected (distances are Euclidean).
    distances : sequence of float
        Egohood bandwidths, in the coordinates' units.
    index : str or callable, optional
        An index name or a function of a Counts.
    kernel : str, optional
        Kernel of the egohoods.
    convention : {"pysal", "commonground"}, optional
        Smoothing convention (above).

    Returns
    -------
    pandas.DataFrame
        One row per distance (0 first): the index on the egohoods of that bandwidth; segregation
        that is local fades from the profile as the bandwidth grows.

    Examples
    --------
    >>> multiscalar_profile(line, xy, [1.5]).round(4).values.tolist()
    [[0.4464, 0.4464], [0.2848, 0.307]]
    """
    spec = index_spec(index, c)
    kernel = LIBPYSAL_KERNELS.get(kernel, kernel)
    ds = [float(d) for d in distances]
    if any(not d > 0 for d in ds):
        raise InputError("every distance must be > 0")
    rows = {0.0: spec.func(c)}
    for d in ds:
        rows[d] = spec.func(smooth(c, coords, d, kernel=kernel, convention=convention))
    out = pd.DataFrame({d: (r.stack() if isinstance(r, pd.DataFrame) else r) for d, r in rows.items()}).T
    out.index.name = "distance"
    if c.n_regions == 1:
        out.columns = out.columns.droplevel(0) if isinstance(out.columns, pd.MultiIndex) else [spec.name]
    out.attrs["index"] = spec.name
    return out


@numba.njit(cache=True)
def _cumulative_shares(x: np.ndarray, order: np.ndarray, logp: np.ndarray, q: np.ndarray, safe: np.ndarray,
                       cross: np.ndarray) -> None:
    """``q[r, j]``: the group mix of the ``j + 1`` units nearest unit ``r`` (``order[r]``), 0 before anyone is
    met; ``safe`` = ``q`` with its zeros replaced by 1, so that its logarithm is finite (and 0 there);
    ``cross[r] = sum_j sum_g q log p``."""
    n, k = x.shape
    cum = np.zeros(k)
    for r in range(order.shape[0]):
        pop = 0.0
        cum[:] = 0.0
        acc = 0.0
        for jj in range(n):
            j = order[r, jj]
            for g in range(k):
                cum[g] += x[j, g]
                pop += x[j, g]
            inv = 1.0 / pop if pop > 0 else 0.0
            for g in range(k):
                v = cum[g] * inv
                q[r, jj, g] = v
                safe[r, jj, g] = v if v > 0 else 1.0
                acc += v * logp[g]
        cross[r] = acc


@numba.njit(cache=True, fastmath=True)
def _divergence_totals(q: np.ndarray, logq: np.ndarray, cross: np.ndarray, out: np.ndarray, row0: int) -> None:
    """``out[row0 + r] = sum q log q - cross[r]`` over a row of ``q`` flattened to ``(rows, n k)`` (terms with
    ``q = 0`` are 0: there ``logq`` is 0); one flat loop, which vectorises."""
    for r in range(q.shape[0]):
        acc = 0.0
        for m in range(q.shape[1]):
            acc += q[r, m] * logq[r, m]
        out[row0 + r] = acc - cross[r]


def _divergence_sums(x: np.ndarray, pts: np.ndarray, block_cells: int = 40_000) -> np.ndarray:
    """For each unit: the sum, over the units taken in order of distance from it, of KL(cumulative mix || whole).

    Steps before anyone has been met add nothing (PySAL's sum skips them). Each row of distances is sorted by
    NumPy (as PySAL does, so ties fall the same way), a block of rows at a time; the cumulative mixes are built
    by a compiled loop, their logarithms taken by NumPy's SIMD ``log`` (~6x a compiled scalar ``log``, which
    dominated), in buffers small enough to stay in cache and reused from block to block.
    """
    n, k = x.shape
    share = x.sum(axis=0) / x.sum()
    logp = np.log(np.where(share > 0, share, 1.0))
    out = np.zeros(n)
    chunk = max(1, block_cells // (n * k))
    q, logq, cross = np.empty((chunk, n, k)), np.empty((chunk, n, k)), np.empty(chunk)
    for i0 in range(0, n, chunk):
        order = np.argsort(pair_distances(pts[i0:i0 + chunk], pts), axis=1)
        b = order.shape[0]
        _cumulative_shares(x, order, logp, q[:b], logq[:b], cross)
        np.log(logq[:b], out=logq[:b])
        _divergence_totals(q[:b].reshape(b, n * k), logq[:b].reshape(b, n * k), cross, out, i0)
    return out


def local_distortion(c: Counts, coords: np.ndarray) -> pd.Series:
    """Each unit's distortion: ``sum_j KL(q_ij || P)`` where ``q_ij`` is the group mix of the ``j`` units
    nearest it (itself first) and ``P`` the region's mix; large where one must go far to meet the region's
    mix. Multigroup convention; O(n^2 log n) per region (a compiled loop). PySAL: ``LocalDistortion``.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order of
        ``coords``.
    coords : numpy.ndarray
        (units, 2) centroids in the caller's row order, projected (distances are Euclidean).

    Returns
    -------
    pandas.Series
        One value per unit, 0 or more: 0 when every circle around the unit already has the region's
        mix, larger the further one must go to meet it.

    Examples
    --------
    >>> local_distortion(line, xy).round(4).tolist()
    [0.2127, 0.0668, 0.2707]
    """
    require_counts(c)
    xy = stored(c, coords, "coords", 2)
    out = np.zeros(c.n_units)
    for _, s, e in region_slices(c):
        out[s:e] = _divergence_sums(np.ascontiguousarray(c.x[s:e]), np.ascontiguousarray(xy[s:e]))
    return c.per_unit(out, "local_distortion")


def global_distortion(c: Counts, coords: np.ndarray) -> pd.Series:
    """Population-weighted mean of :func:`local_distortion` per region. PySAL: ``GlobalDistortion``.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order of
        ``coords``.
    coords : numpy.ndarray
        (units, 2) centroids in the caller's row order, projected (distances are Euclidean).

    Returns
    -------
    pandas.Series
        One value per region: the population-weighted mean of the units' distortions, 0 or more.

    Examples
    --------
    >>> global_distortion(line, xy).round(4).tolist()
    [0.1834]
    """
    local = local_distortion(c, coords)
    inv = np.argsort(c.order)  # stored position -> caller row, and back
    values = local.to_numpy()[inv]
    return c.by_region(c.region_sum(values * c.group_total) / c.region_group_total, "global_distortion")


def local_relative_centralization(c: Counts, coords: np.ndarray, *, k: int = 5) -> pd.DataFrame:
    """Relative centralization of each unit's neighbourhood -- its ``k`` nearest units and itself -- with the
    unit as the centre: > 0 the group lives nearer this unit than the rest of the neighbourhood does.

    One row per unit, a column per group. Neighbours are the ``k`` nearest centroids in the unit's region
    (PySAL ``LocalRelativeCentralization``'s default KNN weights, k = 5).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), in the row order of
        ``coords``.
    coords : numpy.ndarray
        (units, 2) centroids in the caller's row order, projected (distances are Euclidean).
    k : int, optional
        Nearest units in each neighbourhood.

    Returns
    -------
    pandas.DataFrame
        Units x groups, -1 ... 1: above 0 when the group lives nearer the unit than the rest of
        its neighbourhood does, below 0 when further.

    Examples
    --------
    >>> local_relative_centralization(line, xy, k=2).round(4)["x"].tolist()
    [0.5357, -0.1786, -0.5357]
    """
    require_counts(c)
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    xy = stored(c, coords, "coords", 2)
    out = np.full((c.n_units, c.n_groups), np.nan)
    for _, s, e in region_slices(c):
        pts, x, t = xy[s:e], c.x[s:e], c.total[s:e]
        kk = min(k, e - s - 1)
        if kk < 1:
            continue
        _, nb = cKDTree(pts).query(pts, k=kk + 1)
        nb = np.asarray(nb).reshape(e - s, kk + 1)
        own = np.arange(e - s)
        # neighbours (without the unit itself), then the unit last, as PySAL's neighbour list + [i]
        others = np.array([row[row != i][:kk] for i, row in enumerate(nb)])
        members = np.column_stack([others, own])
        dist = np.sqrt(((pts[members] - pts[own][:, None, :]) ** 2).sum(axis=2))
        order = np.take_along_axis(members, np.argsort(dist, axis=1), axis=1)
        xs = x[order]  # (units, k+1, groups)
        ys = t[order][:, :, None] - xs
        with np.errstate(invalid="ignore", divide="ignore"):
            cx = np.cumsum(xs, axis=1) / xs.sum(axis=1, keepdims=True)
            cy = np.cumsum(ys, axis=1) / ys.sum(axis=1, keepdims=True)
        out[s:e] = (cx[:, :-1] * cy[:, 1:]).sum(axis=1) - (cx[:, 1:] * cy[:, :-1]).sum(axis=1)
    return c.per_unit(out, "local_relative_centralization")
