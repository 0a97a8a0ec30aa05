"""Comparing two tables: is an index different, and is the difference spatial or compositional?

Two tables of the same groups -- two cities, 2001 and 2011, caps and no caps, year 0 and year 10 of a
simulation -- each one region (:func:`one_region` selects one):

* :func:`decompose_difference` -- PySAL ``DecomposeSegregation`` (Rey, Cortes & Knaap 2021): counterfactual
  tables that give each table's *spatial structure* the other's *composition* split a difference in a
  single-group index into a spatial part ``c_s`` and an attribute (composition) part ``c_a``, ``c_s + c_a
  = diff``;
* :func:`two_sample_test` -- PySAL ``TwoValueTest``: the difference against its distribution under the null
  that both tables come from the same process (``random_label``: units randomly relabelled between the
  tables; ``person_permutation``: residents of both shuffled across all units; ``composition`` /
  ``dual_composition`` / ``share``: each unit a fair coin between its observed and counterfactual count).

For M, :func:`commonground.measure.mutual.mutual_difference` splits a change into margins and structure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from commonground.errors import InputError
from commonground.measure.counts import Counts, require_counts
from commonground.measure.inference import SeedLike, index_spec, permute
from commonground.measure.table import IndexSpec

APPROACHES = ("composition", "dual_composition", "share")
TEST_NULLS = ("random_label", "person_permutation", *APPROACHES)


def _one(c: Counts, what: str) -> Counts:
    require_counts(c, what)
    if c.n_regions != 1:
        raise InputError(f"{what} has {c.n_regions} regions; compare one region at a time (one_region)")
    return c


def one_region(c: Counts, region: object) -> Counts:
    """The units of one region of ``c`` as a Counts of their own (unknown region: InputError).

    Parameters
    ----------
    c : Counts
        Counts with regions.
    region : object
        A region label of ``c``.

    Returns
    -------
    Counts
        The region's units, one region.

    Raises
    ------
    InputError
        Unknown region.

    Examples
    --------
    >>> c = Counts.from_frame(pd.DataFrame({"town": ["A", "A", "B"], "x": [8, 2, 5], "y": [2, 8, 5]}),
    ...                       ["x", "y"], by="town")
    >>> one_region(c, "A").n_units
    2
    """
    if region not in set(c.regions):
        raise InputError(f"unknown region {region!r} (have: {', '.join(map(str, list(c.regions)[:10]))} ...)")
    r = c.regions.get_loc(region)
    s, e = int(c.starts[r]), int(np.r_[c.starts[1:], c.n_units][r])
    total = c.total[s:e] if c.explicit_total else None
    return Counts(c.x[s:e], c.groups, total=total, units=c.units[s:e], source=str(region))


def _quantile_at_rank(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``other``'s quantile at each of ``own``'s percentile ranks (pandas ``rank(pct=True)`` with average ties,
    then ``Series.quantile`` with linear interpolation -- PySAL's counterfactual)."""
    pct = rankdata(own, method="average") / own.shape[0]
    return np.quantile(other, pct, method="linear")


def counterfactual(c1: Counts, c2: Counts, group: str, approach: str = "composition") -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x1', t1', x2', t2')``: table 1's units with table 2's distribution of ``group``, and vice versa.

    ``composition``: unit ``i`` of table 1 gets the share in table 2 at its own share's percentile rank,
    times its own total. ``dual_composition``: the same for the group and for everyone else; the total is
    their sum. ``share``: the same with each unit's share *of the group's total* (and of the rest's),
    rescaled to the table's totals. As PySAL ``segregation.inference.comparative``.
    """
    if approach not in APPROACHES:
        raise InputError(f"approach must be one of {APPROACHES}, got {approach!r}")
    (k1,), (k2,) = c1.group_positions([group]), c2.group_positions([group])
    x1, t1, x2, t2 = c1.x[:, k1], c1.total, c2.x[:, k2], c2.total

    def comp(x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.divide(x, t, out=np.zeros_like(x), where=t > 0)

    if approach == "composition":
        p1, p2 = comp(x1, t1), comp(x2, t2)
        return _quantile_at_rank(p1, p2) * t1, t1, _quantile_at_rank(p2, p1) * t2, t2
    if approach == "dual_composition":
        p1, p2, q1, q2 = comp(x1, t1), comp(x2, t2), comp(t1 - x1, t1), comp(t2 - x2, t2)
        g1, g2 = _quantile_at_rank(p1, p2) * t1, _quantile_at_rank(p2, p1) * t2
        o1, o2 = _quantile_at_rank(q1, q2) * t1, _quantile_at_rank(q2, q1) * t2
        return g1, g1 + o1, g2, g2 + o2

    def shares(v: np.ndarray) -> np.ndarray:
        return v / v.sum() if v.sum() > 0 else np.zeros_like(v)

    def rescaled(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        q = _quantile_at_rank(shares(own), shares(other))
        return q / q.sum() * own.sum() if q.sum() > 0 else np.zeros_like(own)

    y1, y2 = t1 - x1, t2 - x2
    g1, g2, o1, o2 = rescaled(x1, x2), rescaled(x2, x1), rescaled(y1, y2), rescaled(y2, y1)
    return g1, g1 + o1, g2, g2 + o2


def _single(spec: IndexSpec, x: np.ndarray, t: np.ndarray, group: str) -> float:
    return float(spec.func(Counts(x[:, None], [group], total=t)).iloc[0, 0])


def decompose_difference(c1: Counts, c2: Counts, index: str | Callable = "dissimilarity", *,
                         approach: str = "composition") -> pd.DataFrame:
    """Split ``index(c1) - index(c2)`` per group into a spatial part and a composition part (PySAL
    ``DecomposeSegregation``).

    With ``G(S_a, A_b)`` the index on table ``a``'s spatial structure with table ``b``'s composition (the
    counterfactual of :func:`counterfactual`): ``spatial = ((G11 - G21) + (G12 - G22)) / 2`` and
    ``composition = ((G11 - G12) + (G21 - G22)) / 2``; they add up to ``diff = G11 - G22``. One row per group:
    ``s1_a1, s1_a2, s2_a1, s2_a2, diff, spatial, composition``. Single-group indices only.

    Parameters
    ----------
    c1, c2 : Counts
        The two tables, one region each.
    index : str or callable, optional
        A single-group index name or a function of a Counts.
    approach : {"composition", "dual_composition", "share"}, optional
        How the counterfactual is built (:func:`counterfactual`).

    Returns
    -------
    pandas.DataFrame
        One row per group both tables list.

    Raises
    ------
    InputError
        More than one region, a multigroup index, an unknown approach, or no group in common.

    Examples
    --------
    Table 2 is even, so swapping in either table's composition makes D = 0; the 0.6 difference splits in half:

    >>> c1 = Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"])
    >>> c2 = Counts.from_frame(pd.DataFrame({"x": [5, 5], "y": [5, 5]}), ["x", "y"])
    >>> decompose_difference(c1, c2).loc["x", ["diff", "spatial", "composition"]].round(4).tolist()
    [0.6, 0.3, 0.3]
    """
    c1, c2 = _one(c1, "table 1"), _one(c2, "table 2")
    spec = index_spec(index, c1)
    if spec.family != "single":
        raise InputError(f"{spec.name} is a multigroup index; decompose_difference takes single-group indices "
                         "(for M use mutual_difference)")
    rows = {}
    for g in [g for g in c1.groups if g in c2.groups]:
        (k1,), (k2,) = c1.group_positions([g]), c2.group_positions([g])
        x1c, t1c, x2c, t2c = counterfactual(c1, c2, g, approach)
        g11 = _single(spec, c1.x[:, k1], c1.total, g)
        g22 = _single(spec, c2.x[:, k2], c2.total, g)
        g12 = _single(spec, x1c, t1c, g)
        g21 = _single(spec, x2c, t2c, g)
        rows[g] = {"s1_a1": g11, "s1_a2": g12, "s2_a1": g21, "s2_a2": g22, "diff": g11 - g22,
                   "spatial": 0.5 * (g11 - g21 + g12 - g22), "composition": 0.5 * (g11 - g12 + g21 - g22)}
    if not rows:
        raise InputError("the two tables have no group in common")
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")


@dataclass
class TwoSample:
    """The observed difference ``index(c1) - index(c2)`` and its draws under the null.

    Made by :func:`two_sample_test`.

    Parameters
    ----------
    index : str
        The index's name.
    null : str
        How the two tables were mixed under the null (:data:`TEST_NULLS`).
    difference : pandas.Series
        Observed difference per group (or one value for a multigroup index).
    draws : numpy.ndarray
        (reps, groups) differences under the null.
    """

    index: str
    null: str
    difference: pd.Series
    draws: np.ndarray  # (reps, groups) or (reps, 1)

    @property
    def p_value(self) -> pd.Series:
        """Two-sided, PySAL's: ``2 min(#{draws > d}, #{draws < d}) / #draws`` (NaN draws dropped)."""
        d = self.difference.to_numpy()
        ok = ~np.isnan(self.draws)
        above = ((self.draws > d[None]) & ok).sum(axis=0)
        below = ((self.draws < d[None]) & ok).sum(axis=0)
        return pd.Series(2 * np.minimum(above, below) / ok.sum(axis=0), index=self.difference.index, name="p_value")

    def summary(self) -> pd.DataFrame:
        """One row per group: difference, null_mean, null_sd, p_value."""
        with np.errstate(invalid="ignore"):
            return pd.DataFrame({"difference": self.difference, "null_mean": np.nanmean(self.draws, axis=0),
                                 "null_sd": np.nanstd(self.draws, axis=0, ddof=1), "p_value": self.p_value})


def _value(spec: IndexSpec, c: Counts) -> np.ndarray:
    return np.atleast_1d(spec.func(c).to_numpy()[0])


def two_sample_test(c1: Counts, c2: Counts, index: str | Callable = "dissimilarity", *,
                    null: str = "random_label", reps: int = 199, seed: SeedLike = None) -> TwoSample:
    """Is ``index`` different between two tables? The difference against ``reps`` draws under ``null``.

    ``random_label``: the units of both tables pooled and randomly split into two tables of the original
    sizes. ``person_permutation``: residents of both tables shuffled across all units (unit sizes and the
    pooled group totals kept), then split back. ``composition``, ``dual_composition``, ``share`` (single-group
    indices): each unit keeps its observed count or takes its counterfactual one with probability 1/2.
    As PySAL ``TwoValueTest`` (whose null distributions these match; the draws themselves differ).

    Parameters
    ----------
    c1, c2 : Counts
        The two tables, one region each, same groups.
    index : str or callable, optional
        An index name or a function of a Counts.
    null : str, optional
        ``random_label``, ``person_permutation``, ``composition``, ``dual_composition`` or ``share``.
    reps : int, optional
        Draws under the null (at least 2).
    seed : int or numpy.random.Generator, optional
        Seed of the draws.

    Returns
    -------
    TwoSample
        The difference, its draws and a two-sided p-value.

    Raises
    ------
    InputError
        More than one region, different groups, an unknown null, or ``reps`` < 2.

    Examples
    --------
    >>> c1 = Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"])
    >>> c2 = Counts.from_frame(pd.DataFrame({"x": [5, 5], "y": [5, 5]}), ["x", "y"])
    >>> two_sample_test(c1, c2, reps=19, seed=0).difference.round(4).to_dict()
    {'x': 0.6, 'y': 0.6}
    """
    c1, c2 = _one(c1, "table 1"), _one(c2, "table 2")
    if tuple(c1.groups) != tuple(c2.groups):
        raise InputError(f"the two tables must list the same groups: {c1.groups} and {c2.groups}")
    if null not in TEST_NULLS:
        raise InputError(f"null must be one of {TEST_NULLS}, got {null!r}")
    if reps < 2:
        raise InputError(f"reps must be at least 2, got {reps}")
    spec = index_spec(index, c1)
    rng = np.random.default_rng(seed)
    obs = _value(spec, c1) - _value(spec, c2)
    labels = list(c1.groups) if spec.family == "single" else [spec.name]
    difference = pd.Series(obs, index=pd.Index(labels, name="group"), name=spec.name)
    n1 = c1.n_units
    explicit = c1.explicit_total or c2.explicit_total
    x = np.vstack([c1.x, c2.x])
    t = np.r_[c1.total, c2.total]
    draws = np.empty((reps, len(labels)))
    if null in ("random_label", "person_permutation"):
        pooled = Counts(np.rint(x), c1.groups, total=np.rint(t) if explicit else None)
        for r in range(reps):
            if null == "random_label":
                idx = rng.permutation(x.shape[0])
                xa, ta = x[idx], t[idx]
            else:
                cols = np.rint(np.column_stack([x, t - x.sum(axis=1)]) if explicit else x).astype(np.int64)
                d = permute(pooled, cols, rng).astype(np.float64)
                xa, ta = d[:, :c1.n_groups], d.sum(axis=1)
            a = Counts(xa[:n1], c1.groups, total=ta[:n1] if explicit else None)
            b = Counts(xa[n1:], c1.groups, total=ta[n1:] if explicit else None)
            draws[r] = _value(spec, a) - _value(spec, b)
        return TwoSample(spec.name, null, difference, draws)
    if spec.family != "single":
        raise InputError(f"the {null} null is for single-group indices")
    for j, g in enumerate(c1.groups):
        x1c, t1c, x2c, t2c = counterfactual(c1, c2, g, null)
        t1 = t1c if null != "composition" else c1.total
        t2 = t2c if null != "composition" else c2.total
        for r in range(reps):
            m1 = rng.random(n1) > 0.5
            m2 = rng.random(c2.n_units) > 0.5
            xa, xb = np.where(m1, c1.x[:, j], x1c), np.where(m2, c2.x[:, j], x2c)
            # an observed count may exceed its counterfactual total: the total is raised to the count
            va = _single(spec, xa, np.maximum(t1, xa), g)
            vb = _single(spec, xb, np.maximum(t2, xb), g)
            draws[r, j] = va - vb
    return TwoSample(spec.name, null, difference, draws)
