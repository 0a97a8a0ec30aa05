"""Local (per-unit) measures: location quotients, unit diversity, and each unit's share of Theil's H.

Every function takes a :class:`~commonground.measure.counts.Counts` and returns one row per unit, in the
caller's original row order, indexed by unit id (``.attrs["region"]`` holds each unit's region). Unit
composition uses the multigroup convention: ``pi_ik = x_ik / tau_i`` with ``tau_i`` the sum of the listed
groups; region shares ``P_k`` are those of the unit's own region. The examples use
``c = Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"])``: two units of ten residents,
groups x and y split 8/2 and 2/8 (one region, ``"all"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts, require_counts
from commonground.measure.multigroup import _check, entropy_values, local_entropy_values


def location_quotients(c: Counts) -> pd.DataFrame:
    """Location quotient of each group in each unit (Isard 1960): ``LQ_ik = pi_ik / P_k``.

    1 = the unit has the region's share of the group; 2 = twice it. NaN for empty units or groups absent
    from the region (PySAL's ``MultiLocationQuotient`` gives the same values).

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is the sum of
        the listed groups, and each unit is compared with its own region.

    Returns
    -------
    pandas.DataFrame
        Units x groups: 1 where the unit has its region's share of the group, 0 where it has none
        of it; NaN in an empty unit or for a group absent from the region.

    Examples
    --------
    Shares 0.8 and 0.2 against 0.5:

    >>> location_quotients(c).round(4).values.tolist()
    [[1.6, 0.4], [0.4, 1.6]]
    """
    require_counts(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        lq = (c.x / c.group_total[:, None]) / c.broadcast(c.region_group_share)
    return c.per_unit(lq, "location_quotient")


def local_entropy(c: Counts, normalized: bool = False) -> pd.Series:
    """Each unit's diversity as entropy ``E_i = -sum_k pi_ik ln pi_ik`` (Theil 1972).

    ``normalized`` divides by ``ln K`` (K listed groups): PySAL's ``MultiLocalEntropy`` (Reardon &
    O'Sullivan 2004, eq. 6); unnormalised is PySAL's ``MultiLocalDiversity``. Empty units have 0.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is the sum of
        the listed groups, and each unit is compared with its own region.
    normalized : bool, optional
        Divide by ``ln K``.

    Returns
    -------
    pandas.Series
        One value per unit, from 0 (a single group, or empty) to ln K (all K listed groups equal), or
        to 1 with ``normalized``.

    Examples
    --------
    >>> local_entropy(c).round(4).tolist()
    [0.5004, 0.5004]
    """
    _check(c)
    e = local_entropy_values(c) / (np.log(c.n_groups) if normalized else 1.0)
    return c.per_unit(e, "local_entropy")


def local_simpson(c: Counts, kind: str = "interaction") -> pd.Series:
    """Each unit's Simpson interaction ``sum_k pi_ik (1 - pi_ik)`` or concentration ``sum_k pi_ik^2``.

    Local version of Reardon & Firebaugh (2002) eq. 1 (PySAL's ``MultiLocalSimpsonInteraction`` /
    ``MultiLocalSimpsonConcentration``). Empty units have 0 for both.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is the sum of
        the listed groups, and each unit is compared with its own region.
    kind : {"interaction", "concentration"}, optional
        Which of the two.

    Returns
    -------
    pandas.Series
        One value per unit: interaction from 0 (a single group) to 1 - 1/K, concentration from 1/K
        to 1 (a single group); 0 for both in an empty unit.

    Raises
    ------
    InputError
        Unknown ``kind``.

    Examples
    --------
    2 * 0.8 * 0.2 in each unit:

    >>> local_simpson(c).round(4).tolist()
    [0.32, 0.32]
    """
    _check(c)
    pi = c.unit_group_share
    if kind == "interaction":
        v = (pi * (1 - pi)).sum(axis=1)
    elif kind == "concentration":
        v = (pi * pi).sum(axis=1)
    else:
        raise InputError(f"kind must be 'interaction' or 'concentration', got {kind!r}")
    return c.per_unit(v, f"local_simpson_{kind}")


def theil_h_contributions(c: Counts, form: str = "divergence") -> pd.Series:
    """Each unit's additive contribution to its region's Theil H; contributions sum to H per region.

    ``form="divergence"`` (default): ``tau_i KL(pi_i || P) / (T E)`` with
    ``KL = sum_k pi_ik ln(pi_ik / P_k)`` -- never negative; large where a unit's mix departs from the region's
    (Theil 1972; Roberto 2015).
    ``form="entropy"``: ``tau_i (E - E_i) / (T E)`` (Reardon & Firebaugh 2002, eq. 2) -- negative for units
    more diverse than the region.

    Parameters
    ----------
    c : Counts
        Units x groups counts with their regions (:meth:`Counts.from_frame`); a unit's total is the sum of
        the listed groups, and each unit is compared with its own region.
    form : {"divergence", "entropy"}, optional
        Which decomposition (above).

    Returns
    -------
    pandas.Series
        One value per unit, summing to H over each region: with ``divergence`` never negative
        (0 where the unit mirrors its region), with ``entropy`` negative where the unit is more
        diverse than its region.

    Raises
    ------
    InputError
        Unknown ``form``.

    Examples
    --------
    The two halves of H = 0.2781:

    >>> theil_h_contributions(c).round(4).tolist()
    [0.139, 0.139]
    """
    _check(c)
    tau = c.group_total
    e_region = entropy_values(c)
    denom = c.broadcast(c.region_group_total * e_region)
    if form == "divergence":
        P = c.broadcast(c.region_group_share)
        with np.errstate(invalid="ignore", divide="ignore"):
            # sum_k pi ln(pi / P) = -E_i - sum_k pi ln P; absent groups have pi = 0 and drop out
            cross = np.where(c.x > 0, c.unit_group_share * np.log(np.where(P > 0, P, 1.0)), 0.0).sum(axis=1)
        num = tau * (-local_entropy_values(c) - cross)
    elif form == "entropy":
        num = tau * (c.broadcast(e_region) - local_entropy_values(c))
    else:
        raise InputError(f"form must be 'divergence' or 'entropy', got {form!r}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.per_unit(num / denom, "theil_h_contribution")

