"""Spatially explicit single-group indices: centralization, concentration, Delta and clustering.

Massey & Denton's (1988) "dimensions" that need where units are and how big they are. Every function takes a
:class:`~commonground.measure.counts.Counts` and plain arrays in the caller's row order -- unit centroids
``coords`` ``(n, 2)`` and ``areas`` ``(n,)`` in a *projected* coordinate system -- and returns a DataFrame of
regions x groups, each region measured on its own (its own centre, its own areas). A GeoDataFrame gives the
arrays with :func:`commonground.measure.geo.unit_geometry` (optional ``[geo]`` extra).

Notation as in :mod:`.aspatial`: ``x_i`` group count, ``t_i`` unit total, ``y_i = t_i - x_i``, ``a_i`` area.
Values equal PySAL ``segregation``'s ``AbsoluteCentralization``, ``RelativeCentralization``,
``AbsoluteConcentration``, ``RelativeConcentration``, ``Delta``; the clustering indices equal PySAL's
``AbsoluteClustering`` / ``RelativeClustering`` with ``convention="pysal"`` (see :func:`relative_clustering`
for why that is not the default).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numba
import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure._distance import distances
from commonground.measure.counts import Counts, require_counts
from commonground.measure.weights import region_slices, stored

CENTERS = ("mean", "median", "population_weighted_mean", "largest_population")
CONVENTIONS = ("commonground", "pysal")


def _center(pts: np.ndarray, t: np.ndarray, center: str | Sequence[float]) -> np.ndarray:
    if isinstance(center, str):
        if center == "mean":
            return pts.mean(axis=0)
        if center == "median":
            return np.median(pts, axis=0)
        if center == "population_weighted_mean":
            return np.average(pts, axis=0, weights=t) if t.sum() > 0 else pts.mean(axis=0)
        if center == "largest_population":
            return pts[t == t.max()].mean(axis=0)
        raise InputError(f"center must be one of {CENTERS} or an (x, y) pair, got {center!r}")
    xy = np.asarray(center, dtype=np.float64)
    if xy.shape != (2,) or not np.isfinite(xy).all():
        raise InputError(f"center must be one of {CENTERS} or an (x, y) pair, got {center!r}")
    return xy


def _cumulative_area_index(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``sum_{i>=2} F_{i-1} S_i - sum_{i>=2} F_i S_{i-1}`` for cumulative shares (the Duncan curve area)."""
    return (first[:-1] * second[1:]).sum(axis=0) - (first[1:] * second[:-1]).sum(axis=0)


def _centralization(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float] | None,
                    center: str | Sequence[float], name: str) -> pd.DataFrame:
    require_counts(c)
    xy = stored(c, coords, "coords", 2)
    area = stored(c, areas, "areas") if areas is not None else None
    out = np.full((c.n_regions, c.n_groups), np.nan)
    for r, s, e in region_slices(c):
        x, t, pts = c.x[s:e], c.total[s:e], xy[s:e]
        dist = np.sqrt(((pts - _center(pts, t, center)) ** 2).sum(axis=1))
        # by distance; exact ties (units symmetric about the centre) by coordinates, so the row order of the
        # input cannot change the value (PySAL keeps the row order for ties)
        order = np.lexsort((pts[:, 1], pts[:, 0], dist))
        with np.errstate(invalid="ignore", divide="ignore"):
            share_x = np.cumsum(x[order], axis=0) / x.sum(axis=0)
            if area is not None:
                other = (np.cumsum(area[s:e][order]) / area[s:e].sum())[:, None]
            else:
                y = t[:, None] - x
                other = np.cumsum(y[order], axis=0) / y.sum(axis=0)
        out[r] = _cumulative_area_index(share_x, other)
    return c.by_group(out, name)


def absolute_centralization(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float], *,
                            center: str | Sequence[float] = "mean") -> pd.DataFrame:
    """Absolute centralization ACE (Duncan, Cuzzort & Duncan 1961; Massey & Denton 1988).

    Units sorted by distance from the region's centre; ``ACE = sum X_{i-1} A_i - sum X_i A_{i-1}`` with ``X_i``,
    ``A_i`` the cumulative shares of the group and of the land area. 1 = the group lives wholly in the
    units nearest the centre; negative = away from it. ``center``: ``"mean"`` of the unit centroids (PySAL's
    default), ``"median"``, ``"population_weighted_mean"``, ``"largest_population"`` (centroid of the most
    populous unit), or an ``(x, y)`` pair.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    coords : numpy.ndarray
        ``(n_units, 2)`` unit centroids in projected coordinates, in the table's row order.
    areas : array-like
        ``(n_units,)`` land area of each unit, in the table's row order.
    center : str or (float, float)
        The centre units are ranked from: ``"mean"``, ``"median"``, ``"population_weighted_mean"``,
        ``"largest_population"`` or an ``(x, y)`` pair.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, at most 1 (the group wholly in the units nearest the centre); negative
        when it lives away from the centre; NaN where the index is undefined.
    """
    return _centralization(c, coords, areas, center, "absolute_centralization")


def relative_centralization(c: Counts, coords: np.ndarray, *, center: str | Sequence[float] = "mean") -> pd.DataFrame:
    """Relative centralization RCE (Duncan & Duncan 1955; Massey & Denton 1988).

    As :func:`absolute_centralization` with the cumulative share of everyone else ``Y_i`` in place of land
    area: > 0 the group lives nearer the centre than the rest, -1 ... 1.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    coords : numpy.ndarray
        ``(n_units, 2)`` unit centroids in projected coordinates, in the table's row order.
    center : str or (float, float)
        The centre units are ranked from: ``"mean"``, ``"median"``, ``"population_weighted_mean"``,
        ``"largest_population"`` or an ``(x, y)`` pair.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, -1 ... 1: above 0 when the group lives nearer the centre than the rest,
        below 0 when further; NaN where the index is undefined.
    """
    return _centralization(c, coords, None, center, "relative_centralization")


def delta(c: Counts, areas: np.ndarray | Sequence[float]) -> pd.DataFrame:
    """Delta DEL (Hoover 1941; Duncan, Cuzzort & Duncan 1961): ``1/2 sum |x_i / X - a_i / A|``.

    The share of the group that would have to move for its density to be even over the land. 0 ... 1.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    areas : array-like
        ``(n_units,)`` land area of each unit, in the table's row order.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, 0 ... 1: 0 when the group's density is even over the land, near 1 when it lives on
        a sliver of it; NaN where the index is undefined.
    """
    require_counts(c)
    area = stored(c, areas, "areas")
    A = c.region_sum(area)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.abs(c.x / c.broadcast(c.region_counts) - (area / c.broadcast(A))[:, None])
    return c.by_group(0.5 * c.region_sum(dev), "delta")


def _concentration(c: Counts, areas: np.ndarray | Sequence[float], relative: bool) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):  # empty regions and 0/0 ranges are NaN
        return _concentration_values(c, areas, relative)


def _concentration_values(c: Counts, areas: np.ndarray | Sequence[float], relative: bool) -> np.ndarray:
    area = stored(c, areas, "areas")
    out = np.full((c.n_regions, c.n_groups), np.nan)
    for r, s, e in region_slices(c):
        x, t, a = c.x[s:e], c.total[s:e], area[s:e]
        n, T = e - s, t.sum()
        asc, des = a.argsort(), (-a).argsort()
        cum_asc, cum_des = np.cumsum(t[asc]) / T, np.cumsum(t[des]) / T
        ta = t[asc] * a[asc]
        for k in range(c.n_groups):
            X = x[:, k].sum()
            if not 0 < X < T:
                continue
            n1 = int(np.flatnonzero(~(cum_asc < X / T))[0]) + 1  # fewest smallest units holding X people
            n2 = n - (int(np.flatnonzero(~(cum_des < X / T))[0]) + 1)  # ... largest units
            T1, T2 = t[asc][:n1].sum(), t[asc][n2:].sum()
            xa = (x[asc, k] * a[asc] / X).sum()
            if relative:
                y = t - x[:, k]
                ya = (y[asc] * a[asc] / y.sum()).sum()
                out[r, k] = (xa / ya - 1) / (ta[:n1].sum() / T1 / (ta[n2:].sum() / T2) - 1)
            else:
                lo, hi = (ta / T1)[:n1].sum(), (ta / T2)[n2:].sum()
                out[r, k] = 1 - (xa - lo) / (hi - lo)
    return out


def absolute_concentration(c: Counts, areas: np.ndarray | Sequence[float]) -> pd.DataFrame:
    """Absolute concentration ACO (Massey & Denton 1988).

    Compares the land the group occupies (``sum x_i a_i / X``) with the least and most it could occupy if
    packed into the smallest or the largest units. 1 = as concentrated as possible; 0 ... 1.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    areas : array-like
        ``(n_units,)`` land area of each unit, in the table's row order.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, 0 ... 1: 1 when the group is packed into the smallest units it could
        fill, 0 when into the largest; NaN where the index is undefined.
    """
    require_counts(c)
    return c.by_group(_concentration(c, areas, relative=False), "absolute_concentration")


def relative_concentration(c: Counts, areas: np.ndarray | Sequence[float]) -> pd.DataFrame:
    """Relative concentration RCO (Massey & Denton 1988): the group's average land per person relative to
    everyone else's, scaled by its range; > 0 the group is more concentrated than the rest, -1 ... 1.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    areas : array-like
        ``(n_units,)`` land area of each unit, in the table's row order.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, -1 ... 1: above 0 when the group is more concentrated than the rest,
        below 0 when less; NaN where the index is undefined.
    """
    require_counts(c)
    return c.by_group(_concentration(c, areas, relative=True), "relative_concentration")


# -- clustering ------------------------------------------------------------------------------------------------------
def _proximity_in_place(d: np.ndarray, rows: np.ndarray, offset: int, area: np.ndarray, alpha: float,
                        beta: float, scale: float, pysal: bool, colsum: np.ndarray) -> np.ndarray:
    """Turn a block of distances ``d`` (rows ``rows``, starting at ``offset``) into proximities, in place.

    ``colsum``: the column sums of the whole distance matrix (used by ``pysal`` only). In place because a
    fresh n x n temporary per operation costs more in page faults than the arithmetic."""
    if pysal:
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(d, -colsum[None, :], out=d)  # -d / s: the same number as -(d / s), one pass fewer
        np.exp(d, out=d)
        np.subtract(1.0, d, out=d)
        d[rows - offset, rows] = 1 - np.exp(-((alpha * area[rows]) ** beta))
    else:
        d[rows - offset, rows] = (alpha * area[rows]) ** beta
        np.divide(d, -scale, out=d)
        np.exp(d, out=d)
    return d


def proximity_blocks(pts: np.ndarray, area: np.ndarray, alpha: float, beta: float, scale: float,
                     convention: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Rows ``(rows, c[rows, :])`` of the proximity matrix of one region, a block at a time (~32 MB).

    ``commonground``: Massey & Denton's ``c_ij = exp(-d_ij / scale)``, ``d_ii = (alpha a_i)^beta``.
    ``pysal``: ``c_ij = 1 - exp(-d_ij / sum_l d_lj)``, ``c_ii = 1 - exp(-(alpha a_i)^beta)``.
    """
    n = len(pts)
    chunk = max(1, 4_000_000 // n)
    pysal = convention == "pysal"
    colsum = np.zeros(n)  # filled (and used) only for convention="pysal"
    if chunk >= n:  # one block: one distance matrix
        d = distances(pts, pts)
        if pysal:
            colsum = d.sum(axis=0)
        yield np.arange(n), _proximity_in_place(d, np.arange(n), 0, area, alpha, beta, scale, pysal, colsum)
        return
    if pysal:
        for i0 in range(0, n, chunk):
            colsum[i0:i0 + chunk] = distances(pts[i0:i0 + chunk], pts).sum(axis=1)
    for i0 in range(0, n, chunk):
        rows = np.arange(i0, min(i0 + chunk, n))
        yield rows, _proximity_in_place(distances(pts[i0:i0 + chunk], pts), rows, i0, area, alpha, beta, scale,
                                        pysal, colsum)


def _proximity_sums(pts: np.ndarray, area: np.ndarray, x: np.ndarray, t: np.ndarray, alpha: float, beta: float,
                    scale: float, convention: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sum_j c_ij x_j, sum_j c_ij t_j, sum_i c_ij)`` without holding more than a block of the proximity matrix.

    Each block of :func:`proximity_blocks` is a handful of whole-array NumPy passes (compiled distances, NumPy's
    SIMD ``exp``) and one compiled pass for the products with ``[x, t]``; a compiled pair-by-pair loop was ~2x
    slower, held back by its scalar ``exp``."""
    n, k = x.shape
    xt_t = np.ascontiguousarray(np.column_stack([x, t]).T)
    sums = np.zeros((n, k + 1))
    colsum = np.zeros(n)
    for rows, prox in proximity_blocks(pts, area, alpha, beta, scale, convention):
        _product_and_colsum(prox, xt_t, sums, colsum, int(rows[0]))
    return sums[:, :k], sums[:, k], colsum


@numba.njit(cache=True, fastmath=True)
def _product_and_colsum(prox: np.ndarray, xt_t: np.ndarray, sums: np.ndarray, colsum: np.ndarray,
                        row0: int) -> None:
    """``sums[row0 + i] = prox[i] @ xt_t.T`` and ``colsum += prox.sum(axis=0)``, one row of ``prox`` at a time.

    Not ``prox @ xt``: at this size OpenBLAS starts its threads, and on a busy machine waiting for them cost
    5-20x the arithmetic. ``fastmath`` lets the dot products vectorise (summation order, ~1e-16)."""
    m = prox.shape[1]
    for i in range(prox.shape[0]):
        for j in range(m):
            colsum[j] += prox[i, j]
        for g in range(xt_t.shape[0]):
            acc = 0.0
            for j in range(m):
                acc += prox[i, j] * xt_t[g, j]
            sums[row0 + i, g] = acc


def proximity_sums_by_region(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float], alpha: float,
                             beta: float, scale: float, convention: str
                             ) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Check the proximity parameters, then for each region ``(r, x, t, sum_j c_ij x_j, sum_j c_ij t_j,
    sum_i c_ij)``: its units' group counts and totals and their proximity sums (:func:`_proximity_sums`). What
    spatial proximity and the clustering indices have in common."""
    require_counts(c)
    if convention not in CONVENTIONS:
        raise InputError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if alpha < 0 or beta < 0 or scale <= 0:
        raise InputError("alpha and beta must be >= 0 and scale > 0")
    xy, area = stored(c, coords, "coords", 2), stored(c, areas, "areas")
    for r, s, e in region_slices(c):
        x, t = c.x[s:e], c.total[s:e]
        cx, ct, colsum = _proximity_sums(xy[s:e], area[s:e], x, t, float(alpha), float(beta), float(scale),
                                         convention)
        yield r, x, t, cx, ct, colsum


def _clustering(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float], alpha: float, beta: float,
                scale: float, convention: str, relative: bool) -> np.ndarray:
    sums = proximity_sums_by_region(c, coords, areas, alpha, beta, scale, convention)
    out = np.full((c.n_regions, c.n_groups), np.nan)
    for r, x, t, cx, ct, colsum in sums:
        n = len(t)
        X = x.sum(axis=0)
        y = t[:, None] - x
        Y = y.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            if relative:
                if convention == "pysal":  # PySAL sums x_j^2 c_ij (see relative_clustering)
                    pxx = (x * x * colsum[:, None]).sum(axis=0) / X**2
                    pyy = (y * y * colsum[:, None]).sum(axis=0) / Y**2
                else:
                    pxx = (x * cx).sum(axis=0) / X**2
                    pyy = (y * (ct[:, None] - cx)).sum(axis=0) / Y**2
                out[r] = pxx / pyy - 1
            else:
                total_c = colsum.sum()
                num = (x / X * cx).sum(axis=0) - X / n**2 * total_c
                den = (x / X * ct[:, None]).sum(axis=0) - X / n**2 * total_c
                out[r] = num / den
    return out


def absolute_clustering(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float], *, alpha: float = 0.6,
                        beta: float = 0.5, scale: float = 1.0, convention: str = "commonground") -> pd.DataFrame:
    """Absolute clustering ACL (Massey & Denton 1988).

    ``ACL = (sum_i (x_i/X) sum_j c_ij x_j - X/n^2 sum_ij c_ij) / (sum_i (x_i/X) sum_j c_ij t_j - X/n^2
    sum_ij c_ij)``: the average proximity of group members to each other, net of what it would be if they
    were spread evenly over units. ``c_ij`` as :func:`relative_clustering`. O(n^2) per region, in blocks.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    coords : numpy.ndarray
        ``(n_units, 2)`` unit centroids in projected coordinates, in the table's row order.
    areas : array-like
        ``(n_units,)`` land area of each unit, in the table's row order.
    alpha : float
        Scale of a unit's distance to itself, ``d_ii = (alpha a_i)^beta`` (PySAL's default 0.6).
    beta : float
        Exponent of a unit's distance to itself (PySAL's default 0.5).
    scale : float
        Distance decay ``exp(-d_ij / scale)`` in the commonground convention.
    convention : str
        ``"commonground"`` (the published formula) or ``"pysal"`` (PySAL's, for comparison).

    Returns
    -------
    pandas.DataFrame
        Regions x groups: 0 when group members are no nearer each other than an even spread
        would put them, rising as they cluster; NaN where the index is undefined.
    """
    return c.by_group(_clustering(c, coords, areas, alpha, beta, scale, convention, False), "absolute_clustering")


def relative_clustering(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float], *, alpha: float = 0.6,
                        beta: float = 0.5, scale: float = 1.0, convention: str = "commonground") -> pd.DataFrame:
    """Relative clustering RCL (Massey & Denton 1988): ``P_xx / P_yy - 1``, ``P_xx = sum_ij x_i x_j c_ij / X^2``.

    0 = the group is as clustered as everyone else; > 0 more. ``convention="commonground"`` (Massey &
    Denton): ``c_ij = exp(-d_ij / scale)``, ``d_ii = (alpha a_i)^beta``. ``convention="pysal"`` reproduces
    PySAL's ``RelativeClustering`` exactly: its distance decay ``1 - exp(-d_ij / sum_l d_lj)`` (as its
    spatial proximity) and its sum ``P_xx = sum_ij x_j^2 c_ij / X^2`` (the square of the neighbour's count in
    place of ``x_i x_j``); kept for comparison only.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    coords : numpy.ndarray
        ``(n_units, 2)`` unit centroids in projected coordinates, in the table's row order.
    areas : array-like
        ``(n_units,)`` land area of each unit, in the table's row order.
    alpha : float
        Scale of a unit's distance to itself, ``d_ii = (alpha a_i)^beta`` (PySAL's default 0.6).
    beta : float
        Exponent of a unit's distance to itself (PySAL's default 0.5).
    scale : float
        Distance decay ``exp(-d_ij / scale)`` in the commonground convention.
    convention : str
        ``"commonground"`` (the published formula) or ``"pysal"`` (PySAL's, for comparison).

    Returns
    -------
    pandas.DataFrame
        Regions x groups: 0 when the group is as clustered as everyone else, above 0 when more;
        NaN where the index is undefined.
    """
    return c.by_group(_clustering(c, coords, areas, alpha, beta, scale, convention, True), "relative_clustering")
