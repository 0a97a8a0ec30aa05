"""Decomposing the mutual information index M (and Theil's H): over a hierarchy, and over time.

* :func:`mutual_hierarchy` -- M and H of output areas split exactly into *between* authorities, *between*
  neighbourhoods within authorities, and *between* output areas within neighbourhoods (the chain rule of
  mutual information; Mora & Ruiz-Castillo 2011, R ``segregation``'s ``mutual_total(within=)``);
* :func:`mutual_within` -- per region: its M, H, population share and entropy ratio, whose weighted sum is
  the within term (R ``segregation``'s ``mutual_within``);
* :func:`mutual_difference` -- a change in M between two tables split into group-composition,
  unit-size and structural parts by Shapley values over margin-adjusted tables (Deutsch, Fluckiger &
  Silber 2006; Elbers 2023; R ``segregation``'s ``mutual_difference(method="shapley")``).

All take whole-number or real counts as unit x group arrays or :class:`Counts`; logarithms are natural
unless ``base`` is given.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts, require_counts, xlogx


def _m_of(joint: np.ndarray) -> float:
    """M of a joint count table (units x groups), nats: ``E(groups) - E(groups | unit)``."""
    total = joint.sum()
    if total <= 0:
        return float("nan")
    p = joint / total
    pu, pg = p.sum(axis=1), p.sum(axis=0)
    return float(xlogx(pg).sum() + xlogx(pu).sum() - xlogx(p).sum())


def _entropy(shares: np.ndarray) -> float:
    return float(xlogx(shares[shares > 0] / shares.sum()).sum())


def mutual_hierarchy(x: np.ndarray | Sequence[Sequence[float]], levels: Sequence[Sequence[Hashable]], *,
                     names: Sequence[str] | None = None, base: float = np.e) -> pd.DataFrame:
    """Exact between/within decomposition of M (and H) of the units ``x`` over nested ``levels``.

    ``levels`` lists, from the coarsest down, each unit's label at that level (e.g. ``[lad, lsoa]`` for output
    areas): the units are the finest level. Rows: ``between <level 1>``, ``between <level 2> within <level
    1>``, ..., ``between units within <last level>``, ``total``; columns ``M``, ``H`` (= M / E of the whole
    population) and ``share`` of the total. Each term is the population-weighted average of M within the
    parent (chain rule of mutual information), so the rows add up to the total exactly.

    Parameters
    ----------
    x : array-like
        Units x groups counts.
    levels : sequence of sequences
        Each unit's label at each level, coarsest first.
    names : sequence of str, optional
        Names of the levels.
    base : float, optional
        Base of the logarithm (> 1); default e (nats).

    Returns
    -------
    pandas.DataFrame
        One row per component and ``total``; columns M, H, share.

    Examples
    --------
    Area B is even and both areas are 50/50, so all of M is within area A, weighted by its half:

    >>> mutual_hierarchy([[8, 2], [2, 8], [5, 5], [5, 5]], [["A", "A", "B", "B"]])["M"].round(4).tolist()
    [0.0, 0.0964, 0.0964]
    """
    mat = np.asarray(x, dtype=np.float64)
    if mat.ndim != 2 or mat.shape[1] < 2:
        raise InputError("counts must be a units x groups table with at least two groups")
    if (mat < 0).any() or not np.isfinite(mat).all():
        raise InputError("counts must be finite and non-negative")
    names = list(names) if names is not None else [f"level{j + 1}" for j in range(len(levels))]
    if len(names) != len(levels):
        raise InputError(f"{len(names)} names for {len(levels)} levels")
    codes = []
    for name, lab in zip(names, levels, strict=True):
        if len(lab) != mat.shape[0]:
            raise InputError(f"level '{name}' has {len(lab)} labels for {mat.shape[0]} units")
        codes.append(pd.factorize(np.asarray(lab, dtype=object))[0])
    # nestedness: a finer label must sit inside one coarser label
    for j in range(1, len(codes)):
        pair = pd.DataFrame({"coarse": codes[j - 1], "fine": codes[j]}).drop_duplicates()
        if pair["fine"].duplicated().any():
            bad = pair[pair["fine"].duplicated()]["fine"].iloc[0]
            raise InputError(f"level '{names[j]}' is not nested in '{names[j - 1]}': "
                             f"{np.asarray(levels[j], dtype=object)[codes[j] == bad][0]!r} lies in two of them")
    m_at = []
    for code in codes:
        agg = np.zeros((code.max() + 1, mat.shape[1]))
        np.add.at(agg, code, mat)
        m_at.append(_m_of(agg))
    m_total = _m_of(mat)
    cumulative = [*m_at, m_total]
    terms = [cumulative[0]] + [cumulative[j] - cumulative[j - 1] for j in range(1, len(cumulative))]
    labels = [f"between {names[0]}"] if names else []
    labels += [f"between {names[j]} within {names[j - 1]}" for j in range(1, len(names))]
    labels.append(f"between units within {names[-1]}" if names else "between units")
    e = _entropy(mat.sum(axis=0))
    scale = np.log(base)
    out = pd.DataFrame({"M": np.r_[terms, m_total] / scale, "H": np.r_[terms, m_total] / e},
                       index=pd.Index([*labels, "total"], name="component"))
    out["share"] = out["M"] / out.loc["total", "M"]
    return out


def mutual_within(c: Counts, base: float = np.e) -> pd.DataFrame:
    """Each region's M, H, population share ``p`` and entropy ratio ``E_r / E``, and the decomposition.

    ``M(units) = M(regions) + sum_r p_r M_r`` and ``H(units) = H(regions) + sum_r p_r (E_r / E) H_r``; the
    rows are the regions of ``c``; ``.attrs`` holds ``between``, ``within`` and ``total`` for M and H.
    Multigroup convention: the unit total is the sum of the listed groups.

    Parameters
    ----------
    c : Counts
        Units x groups counts (:meth:`Counts.from_frame`); its regions are the higher level the units are
        nested in.
    base : float, optional
        Base of the logarithm (> 1); default e (nats).

    Returns
    -------
    pandas.DataFrame
        One row per region: M, p, H, entropy_ratio; ``.attrs`` the decomposition.

    Examples
    --------
    >>> c = Counts.from_frame(pd.DataFrame({"town": ["A", "A", "B", "B"], "x": [8, 2, 5, 5],
    ...                                    "y": [2, 8, 5, 5]}), ["x", "y"], by="town")
    >>> out = mutual_within(c)
    >>> out["M"].round(4).tolist(), round(float(out.attrs["M_within"]), 4)
    ([0.1927, 0.0], 0.0964)
    """
    require_counts(c)
    from commonground.measure.multigroup import mutual_information

    scale = np.log(base)
    everyone = c.region_group_total.sum()
    if everyone <= 0:
        raise InputError("nobody in the table: M is undefined")
    p = c.region_group_total / everyone
    e_r = np.nan_to_num(xlogx(c.region_group_share).sum(axis=1))
    e = _entropy(c.region_counts.sum(axis=0))
    e = e if e > 0 else float("nan")  # one group only: H undefined
    m_r = np.nan_to_num(mutual_information(c).to_numpy())
    h_r = np.where(e_r > 0, m_r / np.where(e_r > 0, e_r, 1), 0.0)
    out = pd.DataFrame({"M": m_r / scale, "p": p, "H": h_r, "entropy_ratio": e_r / e}, index=c.regions.copy())
    between = _m_of(c.region_counts)
    within = float((p * m_r).sum())
    out.attrs.update({"M_between": between / scale, "M_within": within / scale, "M_total": (between + within) / scale,
                      "H_between": between / e, "H_within": within / e, "H_total": (between + within) / e})
    return out


# -- change over time -------------------------------------------------------------------------------------------
def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, tol: float = 1e-12,
        max_iter: int = 10_000) -> np.ndarray:
    """Iterative proportional fitting (Deming & Stephan 1940): ``seed`` scaled to row and column sums.

    Keeps the seed's odds ratios (its *structure*) and takes the given margins. The margins are rescaled to
    the seed's total. Raises :class:`InputError` if it does not converge (a zero row or column in the seed
    where the margin is positive).

    Parameters
    ----------
    seed : numpy.ndarray
        The table whose structure is kept.
    rows, cols : numpy.ndarray
        Target row and column sums.
    tol : float, optional
        Largest margin error accepted.
    max_iter : int, optional
        Most iterations.

    Returns
    -------
    numpy.ndarray
        The fitted table.

    Raises
    ------
    InputError
        No convergence.

    Examples
    --------
    >>> ipf(np.ones((2, 2)), np.array([3.0, 1.0]), np.array([2.0, 2.0])).tolist()
    [[1.5, 1.5], [0.5, 0.5]]
    """
    fit = np.asarray(seed, dtype=np.float64).copy()
    total = fit.sum()
    rows = np.asarray(rows, dtype=np.float64) * total / rows.sum()
    cols = np.asarray(cols, dtype=np.float64) * total / cols.sum()
    for _ in range(max_iter):
        rs = fit.sum(axis=1)
        fit *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = fit.sum(axis=0)
        fit *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        if np.abs(fit.sum(axis=1) - rows).max() <= tol * total:
            return fit
    raise InputError("margins could not be fitted (a unit or group empty in one table but not the other?)")


def mutual_difference(before: np.ndarray | Counts, after: np.ndarray | Counts, *,
                      base: float = np.e, zero_fill: float = 0.0) -> pd.Series:
    """Why M changed from ``before`` to ``after`` (same units x same groups): Shapley decomposition.

    Three factors change between the tables: the groups' sizes (``group_marginal``), the units' sizes
    (``unit_marginal``) and the association between unit and group net of both (``structural``, the odds
    ratios -- "real" change in segregation). ``f(s, u, g)`` is M of the table with the structure of table
    ``s`` fitted by IPF to the unit margins of ``u`` and group margins of ``g``. As in R ``segregation``
    (Elbers 2023): ``structural`` is the two-factor Shapley value of the structure against both margins
    together, and the margins' share is split into ``group_marginal`` and ``unit_marginal`` by averaging
    each one's contribution over the four orders of the other two changes; the three add up to
    ``diff = M2 - M1`` exactly. Units or groups empty in one table but not the other are set aside and their
    effect reported as ``additions_removals`` (``diff`` minus the change on the common support).
    A table whose zero cells leave no table with its structure and the other's margins raises
    :class:`InputError`, unless ``zero_fill`` > 0 replaces those zero cells in the fitted seeds (R: 1e-10).
    Returns ``M1, M2, diff, additions_removals, group_marginal, unit_marginal, structural``.

    Parameters
    ----------
    before, after : numpy.ndarray or Counts
        Units x groups, same units and groups in the same order.
    base : float, optional
        Base of the logarithm (> 1); default e (nats).
    zero_fill : float, optional
        Count put in the zero cells of a table before fitting it to the other's margins (R ``segregation``
        uses 1e-10); default 0, no filling.

    Returns
    -------
    pandas.Series
        M1, M2, diff, additions_removals, group_marginal, unit_marginal, structural.

    Examples
    --------
    Doubling group x's count in unit 1 and y's in unit 2 keeps the odds ratio: no structural change:

    >>> r = mutual_difference(np.array([[8.0, 2.0], [2.0, 8.0]]), np.array([[16.0, 2.0], [4.0, 8.0]]))
    >>> bool(abs(r["structural"]) < 1e-9)
    True
    >>> parts = r["group_marginal"] + r["unit_marginal"] + r["structural"] + r["additions_removals"]
    >>> bool(np.isclose(parts, r["diff"]))
    True
    """
    a, b = _table(before, "before"), _table(after, "after")
    if not (np.isfinite(zero_fill) and zero_fill >= 0):
        raise InputError(f"zero_fill must be a finite count >= 0, got {zero_fill}")
    if a.shape != b.shape:
        raise InputError(f"the two tables differ in shape: {a.shape} and {b.shape} (same units and groups needed)")
    m1, m2 = _m_of(a), _m_of(b)
    rows = (a.sum(axis=1) > 0) & (b.sum(axis=1) > 0)
    cols = (a.sum(axis=0) > 0) & (b.sum(axis=0) > 0)
    a_c, b_c = a[np.ix_(rows, cols)], b[np.ix_(rows, cols)]
    scale = np.log(base)
    if not (rows.any() and cols.sum() >= 2):  # nothing in common: all change is additions and removals
        return pd.Series({"M1": m1 / scale, "M2": m2 / scale, "diff": (m2 - m1) / scale,
                          "additions_removals": (m2 - m1) / scale, "group_marginal": 0.0, "unit_marginal": 0.0,
                          "structural": 0.0}, name="mutual_difference")
    tables = {1: a_c, 2: b_c}
    seeds = {k: np.where(v > 0, v, zero_fill) for k, v in tables.items()}
    cache: dict[tuple[int, int, int], float] = {}

    def f(s: int, u: int, g: int) -> float:
        key = (s, u, g)
        if key not in cache:
            if u == s and g == s:
                cache[key] = _m_of(tables[s])
            else:
                try:
                    fit = ipf(seeds[s], tables[u].sum(axis=1), tables[g].sum(axis=0))
                except InputError:
                    raise InputError(f"no table has the structure of table {s} (its zero cells) and the margins of "
                                     f"table {u if u != s else g}: pass zero_fill=1e-10 (command line: "
                                     "--zero-fill 1e-10) to fill zero cells as R segregation does") from None
                cache[key] = _m_of(fit)
        return cache[key]

    # R segregation's shapley_compute: margins (both) vs structure, then group vs unit margins
    aaa, bbb = f(1, 1, 1), f(2, 2, 2)
    structural = ((f(2, 1, 1) - aaa) + (bbb - f(1, 2, 2))) / 2
    group_marginal = ((f(1, 1, 2) - aaa) + (f(1, 2, 2) - f(1, 2, 1)) + (bbb - f(2, 2, 1))
                      + (f(2, 1, 2) - f(2, 1, 1))) / 4
    unit_marginal = ((f(1, 2, 1) - aaa) + (f(1, 2, 2) - f(1, 1, 2)) + (bbb - f(2, 1, 2))
                     + (f(2, 2, 1) - f(2, 1, 1))) / 4
    common = f(2, 2, 2) - f(1, 1, 1)
    return pd.Series({"M1": m1 / scale, "M2": m2 / scale, "diff": (m2 - m1) / scale,
                      "additions_removals": ((m2 - m1) - common) / scale,
                      "group_marginal": group_marginal / scale, "unit_marginal": unit_marginal / scale,
                      "structural": structural / scale}, name="mutual_difference")


def _table(t: np.ndarray | Counts, what: str) -> np.ndarray:
    if isinstance(t, Counts):
        if t.n_regions != 1:
            raise InputError(f"{what}: mutual_difference compares one region; select it first")
        inv = np.empty_like(t.order)
        inv[t.order] = np.arange(len(t.order))
        return t.x[inv]
    mat = np.asarray(t, dtype=np.float64)
    if mat.ndim != 2 or (mat < 0).any() or not np.isfinite(mat).all():
        raise InputError(f"{what}: counts must be a 2-D table of finite non-negative numbers")
    return mat
