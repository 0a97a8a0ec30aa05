"""Multigroup segregation and diversity indices (Reardon & Firebaugh 2002), one value per region.

Every function takes a :class:`~commonground.measure.counts.Counts` and returns a Series indexed by region,
computed for all regions at once. The examples use
``c = Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"])``: two units of ten residents,
groups x and y split 8/2 and 2/8 (one region, ``"all"``).

Notation, for region ``r`` (sums over its units ``i`` and groups ``k``): ``x_ik`` counts,
``tau_i = sum_k x_ik`` (the total is the *sum of the listed groups*, PySAL's convention, even when the
Counts has an explicit total column), ``pi_ik = x_ik / tau_i``, ``T = sum_i tau_i``, ``P_k = X_k / T``,
Simpson's interaction ``I = sum_k P_k (1 - P_k)`` and entropy ``E = -sum_k P_k ln P_k`` (natural log).

Groups absent from a region (``P_k = 0``) are dropped from that region's computation (``0 ln 0 = 0``); for
the squared coefficient of variation the number of groups ``K`` is then the number present, so the index
still reaches 1 under complete segregation. PySAL returns NaN for such regions in H and C; values agree
wherever every group is present. A region with fewer than two groups present has NaN segregation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts, require_counts, xlogx


def _check(c: Counts) -> None:
    require_counts(c)
    if c.n_groups < 2:
        raise InputError(f"multigroup indices need at least two groups, got {c.n_groups}")


def _defined(c: Counts, values: np.ndarray) -> np.ndarray:
    """NaN where fewer than two groups live in the region (segregation is undefined)."""
    return np.where(c.present.sum(axis=1) >= 2, values, np.nan)


def _squared_deviation(c: Counts) -> np.ndarray:
    """``sum_i tau_i (pi_ik - P_k)^2`` per region and group, ``(R, K)``."""
    if "_sqdev" not in c.__dict__:
        P = c.region_group_share
        dev = c.unit_group_share - c.broadcast(P)
        c.__dict__["_sqdev"] = c.region_sum(c.group_total[:, None] * dev * dev)
    return c.__dict__["_sqdev"]


def local_entropy_values(c: Counts) -> np.ndarray:
    """Each unit's entropy ``E_i = -sum_k pi_ik ln pi_ik``, ``(n,)`` in stored order (cached)."""
    if "_unit_entropy" not in c.__dict__:
        c.__dict__["_unit_entropy"] = xlogx(c.unit_group_share).sum(axis=1)
    return c.__dict__["_unit_entropy"]


def simpson_interaction_values(c: Counts) -> np.ndarray:
    P = c.region_group_share
    return (P * (1 - P)).sum(axis=1)


def entropy_values(c: Counts) -> np.ndarray:
    return xlogx(c.region_group_share).sum(axis=1)


def multi_dissimilarity(c: Counts) -> pd.Series:
    """Multigroup dissimilarity D (Sakoda 1981; Reardon & Firebaugh 2002).

    ``D = sum_i sum_k tau_i |pi_ik - P_k| / (2 T I)``. 0 = every unit mirrors the region, 1 = complete.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in [0, 1]: 0 when every unit mirrors its region's mix, 1 when each unit
        holds a single group; NaN where fewer than two groups are present.

    Examples
    --------
    With two groups it equals the two-group D:

    >>> multi_dissimilarity(c).round(4).tolist()
    [0.6]
    """
    _check(c)
    P = c.region_group_share
    num = c.region_sum(np.abs(c.x - c.group_total[:, None] * c.broadcast(P))).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = num / (2 * c.region_group_total * simpson_interaction_values(c))
    return c.by_region(_defined(c, val), "multi_dissimilarity")


def theil_h(c: Counts) -> pd.Series:
    """Theil's information theory index H (Theil 1972; Reardon & Firebaugh 2002).

    ``H = sum_i tau_i (E - E_i) / (T E) = sum_i sum_k tau_i pi_ik ln(pi_ik / P_k) / (T E)``: the share of the
    region's diversity that is *between* units. The log base cancels. 0 = even, 1 = complete segregation.
    Decomposes additively over units (:func:`commonground.measure.local.theil_h_contributions`).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in [0, 1]: 0 when every unit is as diverse as its region, 1 when each unit
        holds a single group; NaN where fewer than two groups are present.

    Examples
    --------
    With two groups it equals the two-group H:

    >>> theil_h(c).round(4).tolist()
    [0.2781]
    """
    _check(c)
    within = c.region_sum(c.group_total * local_entropy_values(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        val = 1 - within / (c.region_group_total * entropy_values(c))
    return c.by_region(_defined(c, val), "theil_h")


def multi_gini(c: Counts) -> pd.Series:
    """Multigroup Gini (Reardon & Firebaugh 2002).

    ``G = sum_k sum_i sum_j tau_i tau_j |pi_ik - pi_jk| / (2 T^2 I)``. Computed in O(n log n) per group.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in [0, 1]: 0 when all units have the same mix, 1 when each unit holds a
        single group; NaN where fewer than two groups are present.

    Examples
    --------
    >>> multi_gini(c).round(4).tolist()
    [0.6]
    """
    _check(c)
    num = c.pair_abs_sums(multigroup=True).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = num / (2 * c.region_group_total**2 * simpson_interaction_values(c))
    return c.by_region(_defined(c, val), "multi_gini")


def normalized_exposure(c: Counts) -> pd.Series:
    """Multigroup normalised exposure P (James 1986; Reardon & Firebaugh 2002).

    ``P = sum_k sum_i tau_i (pi_ik - P_k)^2 / ((1 - P_k) T)``: the average over groups (weighted by size) of
    each group's correlation ratio. 0 = even, 1 = complete segregation.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in [0, 1]: 0 when every unit mirrors its region's mix, 1 when each
        unit holds a single group; NaN where fewer than two groups are present.

    Examples
    --------
    With two groups it equals eta^2 (0.68 - 0.5) / (1 - 0.5):

    >>> normalized_exposure(c).round(4).tolist()
    [0.36]
    """
    _check(c)
    P = c.region_group_share
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(c.present, _squared_deviation(c) / (1 - P), 0.0)
        val = terms.sum(axis=1) / c.region_group_total
    return c.by_region(_defined(c, val), "normalized_exposure")


def squared_cv(c: Counts) -> pd.Series:
    """Multigroup squared coefficient of variation C (Reardon & Firebaugh 2002).

    ``C = sum_k sum_i tau_i (pi_ik - P_k)^2 / ((K - 1) T P_k)`` with ``K`` the number of groups present in the
    region. 0 = even, 1 = complete segregation.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in [0, 1] (K counts the groups present): 0 when every unit mirrors its
        region's mix, 1 when each unit holds a single group; NaN where fewer than two groups are present.

    Examples
    --------
    >>> squared_cv(c).round(4).tolist()
    [0.36]
    """
    _check(c)
    P = c.region_group_share
    k_present = c.present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(c.present, _squared_deviation(c) / P, 0.0)
        val = terms.sum(axis=1) / ((k_present - 1) * c.region_group_total)
    return c.by_region(_defined(c, val), "squared_cv")


def relative_diversity(c: Counts) -> pd.Series:
    """Relative diversity index R (Reardon 1998; Reardon & Firebaugh 2002).

    ``R = sum_k sum_i tau_i (pi_ik - P_k)^2 / (T I)``: the share of the region's Simpson interaction that is
    between units. 0 = even, 1 = complete segregation.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in [0, 1]: the between-unit share of Simpson's interaction, 0 when
        every unit mirrors its region's mix; NaN where fewer than two groups are present.

    Examples
    --------
    >>> relative_diversity(c).round(4).tolist()
    [0.36]
    """
    _check(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = _squared_deviation(c).sum(axis=1) / (c.region_group_total * simpson_interaction_values(c))
    return c.by_region(_defined(c, val), "relative_diversity")


def divergence(c: Counts) -> pd.Series:
    """Divergence index (Roberto 2015): ``sum_i (tau_i / T) sum_k pi_ik ln(pi_ik / P_k) = H * E``.

    The population-weighted Kullback-Leibler divergence of units from their region, in nats (not bounded
    by 1; 0 = even).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, in nats, from 0 (every unit mirrors its region) to the region's entropy E
        (each unit holds a single group); NaN where fewer than two groups are present.

    Examples
    --------
    >>> divergence(c).round(4).tolist()
    [0.1927]
    """
    _check(c)
    within = c.region_sum(c.group_total * local_entropy_values(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        val = entropy_values(c) - within / c.region_group_total
    return c.by_region(_defined(c, val), "divergence")


def entropy_diversity(c: Counts, normalized: bool = False) -> pd.Series:
    """Diversity of each region as Shannon entropy ``E = -sum_k P_k ln P_k`` (Theil 1972).

    ``normalized`` divides by ``ln K`` with ``K`` the number of *listed* groups, so 1 means every listed
    group is equally represented (PySAL's ``MultiDiversity(normalized=True)``). Higher = more diverse.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).
    normalized : bool, optional
        Divide by ``ln K``.

    Returns
    -------
    pandas.Series
        One value per region, from 0 (a single group) to ln K (all K listed groups equal), or to 1
        with ``normalized``.

    Examples
    --------
    Two equal groups: ln 2:

    >>> entropy_diversity(c).round(4).tolist()
    [0.6931]
    """
    _check(c)
    val = entropy_values(c) / (np.log(c.n_groups) if normalized else 1.0)
    return c.by_region(val, "entropy_diversity")


def simpson_interaction(c: Counts) -> pd.Series:
    """Simpson's interaction (Gini-Simpson) diversity ``I = sum_k P_k (1 - P_k)`` (Simpson 1949).

    The probability that two residents drawn at random belong to different groups. Higher = more diverse.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, from 0 (a single group) to 1 - 1/K (all K groups equal).

    Examples
    --------
    Two equal groups: 1 - 0.5^2 - 0.5^2:

    >>> simpson_interaction(c).round(4).tolist()
    [0.5]
    """
    _check(c)
    return c.by_region(simpson_interaction_values(c), "simpson_interaction")


def simpson_concentration(c: Counts) -> pd.Series:
    """Simpson's concentration ``lambda = sum_k P_k^2`` (Simpson 1949) = ``1 - I``.

    The probability that two residents drawn at random belong to the same group.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).

    Returns
    -------
    pandas.Series
        One value per region, from 1/K (all K groups equal) to 1 (a single group).

    Examples
    --------
    >>> simpson_concentration(c).round(4).tolist()
    [0.5]
    """
    _check(c)
    P = c.region_group_share
    return c.by_region((P * P).sum(axis=1), "simpson_concentration")


def mutual_information(c: Counts, base: float = np.e) -> pd.Series:
    """Mutual information index M (Theil & Finizza 1971; Mora & Ruiz-Castillo 2011; Elbers 2023).

    ``M = sum_i (tau_i / T) sum_k pi_ik ln(pi_ik / P_k)``: the information the unit gives about a resident's
    group, in nats (``base`` changes the logarithm, as R ``segregation``'s ``base``). Equals
    :func:`divergence` and ``H * E``; unlike H it decomposes exactly into between and within terms over a
    hierarchy of units (:func:`commonground.measure.mutual.mutual_hierarchy`). 0 = even.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`), at least two groups; a unit's
        total is the sum of the listed groups (a total column is not used).
    base : float, optional
        Base of the logarithm (> 1); default e (nats).

    Returns
    -------
    pandas.Series
        One value per region, in units of the logarithm's ``base``: 0 when every unit mirrors its
        region, at most the region's entropy; NaN where fewer than two groups are present.

    Raises
    ------
    InputError
        ``base`` <= 1.

    Examples
    --------
    >>> mutual_information(c).round(4).tolist()
    [0.1927]
    """
    _check(c)
    if not base > 1:
        raise InputError(f"the logarithm base must be > 1, got {base}")
    return divergence(c).rename("mutual_information") / np.log(base)
