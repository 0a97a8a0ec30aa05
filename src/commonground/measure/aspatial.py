"""Single-group (two-group) aspatial indices: each group against everyone else in its region.

Every function takes a :class:`~commonground.measure.counts.Counts` and returns a DataFrame of
regions x groups, computed for all regions and groups at once. The examples use
``c = Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"])``: two units of ten residents,
groups x and y split 8/2 and 2/8 (one region, ``"all"``).

Notation, for region ``r`` (sums over its units ``i``) and group ``k``:
``x_i`` group count, ``t_i`` unit total (the explicit total column if given, else the sum of the groups),
``p_i = x_i / t_i`` (0 if ``t_i = 0``), ``X = sum x_i``, ``T = sum t_i``, ``P = X / T``.
Natural logarithms throughout. An index is NaN in a region where the group is absent (``P = 0``) or is
everyone (``P = 1``): there is nothing to segregate. These are PySAL ``segregation``'s conventions and
values (tests check them to 1e-9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts, require_counts, xlogx


def _parts(c: Counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Region population ``T`` (R,1), group totals ``X`` (R,K), shares ``P`` (R,K)."""
    require_counts(c)
    return c.region_total[:, None], c.region_counts, c.region_share


def dissimilarity(c: Counts) -> pd.DataFrame:
    """Index of dissimilarity D (Duncan & Duncan 1955; Massey & Denton 1988).

    ``D = sum_i t_i |p_i - P| / (2 T P (1 - P))``: the share of the group (equivalently, of the rest) that
    would have to move for every unit to have the region's composition. 0 = even, 1 = complete segregation.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1]: 0 when every unit has its region's composition, 1 when no unit
        mixes the group with others; NaN where the group is absent or is everyone.

    Examples
    --------
    Two units of 10, shares 0.8 and 0.2 against 0.5 overall: D = (3 + 3) / (2 * 20 * 0.25):

    >>> dissimilarity(c).round(4).loc["all"].to_dict()
    {'x': 0.6, 'y': 0.6}
    """
    T, _, P = _parts(c)
    num = c.region_sum(np.abs(c.x - c.total[:, None] * c.broadcast(P)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(num / (2 * T * P * (1 - P)), "dissimilarity")


def gini(c: Counts) -> pd.DataFrame:
    """Gini segregation index (Massey & Denton 1988).

    ``G = sum_i sum_j t_i t_j |p_i - p_j| / (2 T^2 P (1 - P))``, the mean absolute difference of unit shares
    over all pairs of residents, normalised to [0, 1]. Computed in O(n log n) by sorting shares.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1]: 0 when all unit shares are equal, 1 when every unit holds only the
        group or only others; NaN where the group is absent or is everyone.

    Examples
    --------
    >>> gini(c).round(4).loc["all"].to_dict()
    {'x': 0.6, 'y': 0.6}
    """
    T, _, P = _parts(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(c.pair_abs_sums() / (2 * T**2 * P * (1 - P)), "gini")


def isolation(c: Counts) -> pd.DataFrame:
    """Isolation index xPx (Lieberson 1981; Bell 1954; Massey & Denton 1988).

    ``xPx = sum_i (x_i / X) (x_i / t_i)``: the group share in the unit of the average group member.
    Ranges from ``P`` (even) to 1.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [P, 1]: the region's share P of the group when units are even, 1 when the
        group lives only among itself; NaN where the group is absent or is everyone.

    Examples
    --------
    0.8 * 0.8 + 0.2 * 0.2:

    >>> isolation(c).round(4).loc["all"].to_dict()
    {'x': 0.68, 'y': 0.68}
    """
    _, X, _ = _parts(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(c.region_sum(c.x * c.unit_share) / X, "isolation")


def exposure(c: Counts) -> pd.DataFrame:
    """Exposure (interaction) index xPy (Lieberson 1981; Massey & Denton 1988); PySAL's ``Interaction``.

    ``xPy = sum_i (x_i / X) ((t_i - x_i) / t_i)``: the share of *others* in the unit of the average group
    member; ``xPx + xPy = 1``. Ranges from 0 to ``1 - P`` (even).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1 - P]: 0 when the group meets no one else in its units, the region's
        share of the others (1 - P) when units are even; NaN where the group is absent or is everyone.

    Examples
    --------
    0.8 * 0.2 + 0.2 * 0.8:

    >>> exposure(c).round(4).loc["all"].to_dict()
    {'x': 0.32, 'y': 0.32}
    """
    _, X, _ = _parts(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(c.region_sum(c.x * (1 - c.unit_share)) / X, "exposure")


def correlation_ratio(c: Counts) -> pd.DataFrame:
    """Correlation ratio eta^2 / V (Bell 1954; White 1986; Massey & Denton 1988).

    ``V = (xPx - P) / (1 - P)``: isolation adjusted for the group's size. 0 = even, 1 = complete.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1]: 0 when units are even (isolation = P), 1 when the group lives only
        among itself; NaN where the group is absent or is everyone.

    Examples
    --------
    (0.68 - 0.5) / (1 - 0.5):

    >>> correlation_ratio(c).round(4).loc["all"].to_dict()
    {'x': 0.36, 'y': 0.36}
    """
    _, _, P = _parts(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group((isolation(c).to_numpy() - P) / (1 - P), "correlation_ratio")


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    return xlogx(p) + xlogx(1 - p)


def entropy(c: Counts) -> pd.DataFrame:
    """Entropy (information theory) index H (Theil & Finizza 1971; Massey & Denton 1988).

    ``H = sum_i t_i (E - E_i) / (E T)`` with ``E = -P ln P - (1-P) ln(1-P)`` and ``E_i`` the same for ``p_i``.
    Units where the group's share is 0 or 1 count with ``E_i = 0`` (PySAL >= 2021; earlier versions dropped
    them). The log base cancels. 0 = even, 1 = complete segregation.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1]: 0 when every unit has its region's entropy, 1 when every unit holds
        only the group or only others; NaN where the group is absent or is everyone.

    Examples
    --------
    >>> entropy(c).round(4).loc["all"].to_dict()
    {'x': 0.2781, 'y': 0.2781}
    """
    T, _, P = _parts(c)
    e_unit = c.region_sum(c.total[:, None] * _binary_entropy(c.unit_share))
    e_region = _binary_entropy(P)
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(1 - e_unit / (T * e_region), "entropy")


def atkinson(c: Counts, b: float = 0.5) -> pd.DataFrame:
    """Atkinson index A(b) (Atkinson 1970; James & Taeuber 1985; Massey & Denton 1988).

    ``A = 1 - P / (1 - P) * |sum_i (1 - p_i)^(1-b) p_i^b t_i / (P T)|^(1 / (1 - b))``, ``0 <= b < 1``
    weights under-representation (b < 0.5) or over-representation (b > 0.5). Default ``b = 0.5`` (symmetric,
    PySAL's default).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is its total
        column if the table has one, else the sum of its groups.
    b : float, optional
        Shape parameter, 0 <= b < 1: the weight on under- (b < 0.5) versus over-representation.

    Returns
    -------
    pandas.DataFrame
        Regions x groups, in [0, 1]: 0 when units are even, 1 when no unit mixes the group with others
        (for 0 < b < 1); NaN where the group is absent or is everyone.

    Examples
    --------
    >>> atkinson(c).round(4).loc["all"].to_dict()
    {'x': 0.36, 'y': 0.36}
    """
    if not 0 <= b < 1:
        raise InputError(f"Atkinson's b must be in [0, 1), got {b}")
    T, _, P = _parts(c)
    p = c.unit_share
    s = c.region_sum((1 - p) ** (1 - b) * p**b * c.total[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.by_group(1 - P / (1 - P) * np.abs(s / (P * T)) ** (1 / (1 - b)), "atkinson")
