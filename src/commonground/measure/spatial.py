"""Spatial indices: contiguity-adjusted D, spatial proximity, and kernel smoothing (egohoods).

All take a :class:`~commonground.measure.counts.Counts` plus the geometry they need, given as plain arrays
(no GIS library is needed at run time): an edge list of neighbouring unit ids, or unit coordinates (and
areas) in the caller's original row order, in a *projected* coordinate system (metres, feet...).

* :func:`spatial_dissimilarity` -- regions x groups;
* :func:`spatial_proximity` -- regions x groups;
* :func:`smooth` -- a new Counts whose units hold their kernel-weighted local environment, to which every
  aspatial index applies: ``dissimilarity(smooth(c, xy, 2000))`` is the egohood D of Reardon & O'Sullivan
  (2004) / PySAL's ``Dissim(gdf, ..., distance=2000)``.

Neighbour pairs whose units lie in different regions are ignored by the indices (each region is measured on
its own); kernel smoothing reaches across regions unless ``within_regions=True`` (a resident's surroundings
do not stop at an administrative line).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from commonground.errors import InputError
from commonground.measure.aspatial import dissimilarity
from commonground.measure.counts import Counts
from commonground.measure.explicit import proximity_sums_by_region
from commonground.measure.weights import stored as _stored

CONVENTIONS = ("commonground", "pysal")


def _edges_to_positions(c: Counts, edges: pd.DataFrame | np.ndarray | Sequence[Sequence[object]]) -> np.ndarray:
    """Unit-id pairs -> undirected, de-duplicated position pairs ``(m, 2)`` in stored order (i < j)."""
    if isinstance(edges, pd.DataFrame):
        if edges.shape[1] < 2:
            raise InputError("the edge list needs two columns: unit id and neighbour id")
        a_ids, b_ids = edges.iloc[:, 0].to_numpy(), edges.iloc[:, 1].to_numpy()
    else:
        arr = np.asarray(edges, dtype=object)
        if arr.size == 0:
            return np.zeros((0, 2), dtype=np.int64)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InputError(f"the edge list must be pairs of unit ids, got shape {arr.shape}")
        a_ids, b_ids = arr[:, 0], arr[:, 1]
    lookup = pd.Index(c.units)
    a = lookup.get_indexer(pd.Index(a_ids).astype(lookup.dtype, copy=False)) if len(a_ids) else np.zeros(0, int)
    b = lookup.get_indexer(pd.Index(b_ids).astype(lookup.dtype, copy=False)) if len(b_ids) else np.zeros(0, int)
    for ids, pos in ((a_ids, a), (b_ids, b)):
        if (pos < 0).any():
            i = int(np.flatnonzero(pos < 0)[0])
            raise InputError(f"edge list names unit {ids[i]!r}, which is not in the counts", row=i + 1)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi  # a unit is not its own neighbour
    pairs = np.unique(np.stack([lo[keep], hi[keep]], axis=1), axis=0)
    return pairs.astype(np.int64)


def _group_sum(labels: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum rows of ``values`` ((m,) or (m, k)) by integer ``labels`` into ``n`` bins."""
    if values.ndim == 1:
        return np.bincount(labels, weights=values, minlength=n)
    return np.stack([np.bincount(labels, weights=values[:, j], minlength=n) for j in range(values.shape[1])],
                    axis=1)


def spatial_dissimilarity(c: Counts, edges: pd.DataFrame | np.ndarray | Sequence[Sequence[object]], *,
                          standardize: bool = False) -> pd.DataFrame:
    """Dissimilarity adjusted for contiguity (Morrill 1991): ``SD = D - sum_ij c_ij |p_i - p_j| / sum_ij c_ij``.

    ``edges`` lists neighbouring unit ids (two columns; either direction, duplicates ignored): queen or rook
    contiguity is whatever the list encodes. ``c_ij = 1`` for neighbours, or ``1 / (number of neighbours of
    i)`` with ``standardize=True`` (row-standardised, as R's ``seg``). Neighbour pairs across regions are
    dropped. Equals PySAL's ``SpatialDissim`` (whose default weights are queen contiguity) given the same
    neighbours.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    edges : DataFrame or array-like
        Pairs of neighbouring unit ids (two columns, either direction).
    standardize : bool
        Row-standardise the contiguity weights (``1 / neighbours of i``).

    Returns
    -------
    pandas.DataFrame
        Regions x groups: D less the neighbours' mean difference in shares, so at most D (0 when
        every unit has its region's composition); NaN where the index is undefined.
    """
    D = dissimilarity(c).to_numpy()
    pairs = _edges_to_positions(c, edges)
    same = c.codes[pairs[:, 0]] == c.codes[pairs[:, 1]]
    pairs = pairs[same]
    src = np.r_[pairs[:, 0], pairs[:, 1]]
    dst = np.r_[pairs[:, 1], pairs[:, 0]]
    w = np.ones(src.shape[0])
    if standardize:
        deg = np.bincount(src, minlength=c.n_units)
        w = 1.0 / deg[src]
    p = c.unit_share
    region = c.codes[src]
    num = _group_sum(region, w[:, None] * np.abs(p[src] - p[dst]), c.n_regions)
    den = np.bincount(region, weights=w, minlength=c.n_regions)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(D - num / den[:, None], "spatial_dissimilarity")


def spatial_proximity(c: Counts, coords: np.ndarray, areas: np.ndarray | Sequence[float], *, alpha: float = 0.6,
                      beta: float = 0.5, scale: float = 1.0, convention: str = "commonground") -> pd.DataFrame:
    """Spatial proximity index SP (White 1983; Massey & Denton 1988), regions x groups.

    ``SP = (X P_xx + Y P_yy) / (T P_tt)`` with ``P_xx = sum_ij x_i x_j c_ij / X^2`` (likewise ``y = t - x`` and
    ``t``): the average proximity between members of the same group relative to that among everyone.
    1 = no differential clustering, > 1 = the group clusters.

    ``convention="commonground"`` (Massey & Denton): ``c_ij = exp(-d_ij / scale)`` with ``d_ij`` the distance
    between unit centroids ``coords`` and ``d_ii = (alpha * area_i) ** beta`` (Massey & Denton: alpha 0.6,
    beta 0.5, i.e. the average distance within a square-ish unit), ``scale`` the distance unit of the decay.
    ``convention="pysal"`` reproduces PySAL ``SpatialProximity`` exactly: ``c_ij = 1 - exp(-d_ij / sum_l
    d_lj)`` off the diagonal and ``c_ii = 1 - exp(-(alpha * area_i) ** beta)`` (a proximity that *grows* with
    distance; kept for comparison only). ``O(n^2)`` per region, in row chunks.

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
        Regions x groups: 1 when the group clusters no more than everyone does, above 1 when it
        clusters; NaN where the index is undefined.
    """
    out = np.full((c.n_regions, c.n_groups), np.nan)
    for r, x, t, cx, ct, _ in proximity_sums_by_region(c, coords, areas, alpha, beta, scale, convention):
        X, T = x.sum(axis=0), t.sum()
        Y = T - X
        y = t[:, None] - x
        pxx = (x * cx).sum(axis=0) / X**2
        pyy = (y * (ct[:, None] - cx)).sum(axis=0) / Y**2
        ptt = (t * ct).sum() / T**2
        with np.errstate(invalid="ignore", divide="ignore"):
            out[r] = (X * pxx + Y * pyy) / (T * ptt)
    return c.by_group(out, "spatial_proximity")


# -- kernel smoothing (egohoods) ----------------------------------------------------------------------------------
def _kernel(name: str, z: np.ndarray) -> np.ndarray:
    """Kernel weights at scaled distance ``z = d / bandwidth`` in [0, 1] (Anselin & Rey 2014, as libpysal)."""
    if name == "triangular":
        return 1 - z
    if name == "uniform":
        return np.full_like(z, 0.5)
    if name == "boxcar":  # libpysal.graph's uniform kernel: weight 1 within the bandwidth
        return np.ones_like(z)
    if name == "quadratic":
        return 0.75 * (1 - z**2)
    if name == "quartic":
        return (15 / 16) * (1 - z**2) ** 2
    if name == "gaussian":
        return np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    raise InputError(f"unknown kernel {name!r} (have: triangular, uniform, boxcar, quadratic, quartic, gaussian)")


def kernel_weights(coords: np.ndarray, bandwidth: float, *, kernel: str = "triangular",
                   self_weight: float | None = None) -> sp.csr_matrix:
    """Sparse ``n x n`` kernel weights: ``K(d_ij / bandwidth)`` for every pair within ``bandwidth``.

    The diagonal is ``K(0)`` unless ``self_weight`` is given. Gaussian weights are truncated at the
    bandwidth, as in libpysal.

    Parameters
    ----------
    coords : numpy.ndarray
        ``(n_units, 2)`` unit centroids in projected coordinates, in the table's row order.
    bandwidth : float
        Kernel bandwidth, in the coordinates' units (> 0).
    kernel : str
        ``triangular``, ``uniform``, ``boxcar``, ``quadratic``, ``quartic`` or ``gaussian``.
    self_weight : float or None
        A unit's weight on itself; ``None`` = ``K(0)``.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``n x n`` weights, symmetric, zero beyond the bandwidth.
    """
    if not bandwidth > 0:
        raise InputError(f"bandwidth must be > 0, got {bandwidth}")
    pts = np.asarray(coords, dtype=np.float64)
    n = pts.shape[0]
    pairs = cKDTree(pts).query_pairs(bandwidth, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    w = _kernel(kernel, np.sqrt(((pts[i] - pts[j]) ** 2).sum(axis=1)) / bandwidth)
    diag = np.full(n, _kernel(kernel, np.zeros(1))[0] if self_weight is None else self_weight)
    rows = np.r_[i, j, np.arange(n)]
    cols = np.r_[j, i, np.arange(n)]
    return sp.csr_matrix((np.r_[w, w, diag], (rows, cols)), shape=(n, n))


def smooth(c: Counts, coords: np.ndarray, bandwidth: float, *, kernel: str = "triangular",
           convention: str = "commonground", within_regions: bool = False) -> Counts:
    """Each unit's kernel-weighted local environment ("egohood"; Reardon & O'Sullivan 2004).

    ``x~_ik = sum_j K(d_ij / bandwidth) x_jk`` over units within ``bandwidth`` of unit ``i`` (itself included),
    likewise the total. Apply any aspatial index to the result for its spatial (egohood) version.

    ``convention="commonground"``: the unit's own weight is ``K(0)`` and smoothed counts stay real numbers.
    ``convention="pysal"`` reproduces PySAL's ``distance=`` indices: own weight 1 whatever the kernel, each
    smoothed count rounded to an integer (half to even), and the unit total smoothed and rounded separately
    (so it may differ from the sum of the rounded groups by rounding). ``within_regions`` drops pairs of units in
    different regions.

    Parameters
    ----------
    c : Counts
        Units x groups counts, with their regions (see :meth:`Counts.from_frame`).
    coords : numpy.ndarray
        ``(n_units, 2)`` unit centroids in projected coordinates, in the table's row order.
    bandwidth : float
        Kernel bandwidth, in the coordinates' units (> 0).
    kernel : str
        ``triangular``, ``uniform``, ``boxcar``, ``quadratic``, ``quartic`` or ``gaussian``.
    convention : str
        ``"commonground"`` (the published formula) or ``"pysal"`` (PySAL's, for comparison).
    within_regions : bool
        Drop pairs of units in different regions.

    Returns
    -------
    Counts
        The same units and regions with each unit's counts replaced by its kernel-weighted local environment.
    """
    if convention not in CONVENTIONS:
        raise InputError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    xy = _stored(c, coords, "coords", 2)
    W = kernel_weights(xy, bandwidth, kernel=kernel, self_weight=1.0 if convention == "pysal" else None)
    if within_regions:
        W = W.tocoo()
        keep = c.codes[W.row] == c.codes[W.col]
        W = sp.csr_matrix((W.data[keep], (W.row[keep], W.col[keep])), shape=W.shape)
    x = W @ c.x
    if convention == "pysal":
        # PySAL smooths and rounds the total column on its own (single-group indices use it) while its
        # multigroup indices use the sum of the rounded groups: an explicit total keeps both
        return c.replace(np.round(x), np.round(W @ c.total))
    return c.replace(x, W @ c.total if c.explicit_total else None)
