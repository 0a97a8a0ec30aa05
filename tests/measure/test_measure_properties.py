"""Hypothesis properties of the indices: invariance to unit order and to scaling, bounds, identities.

Expected values: the mathematical properties of the indices (Reardon & Firebaugh 2002 list the invariances;
the two-group identities follow from the formulas), and a naive O(n^2) Gini written here from the formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from commonground.measure import (
    Counts,
    correlation_ratio,
    dissimilarity,
    entropy,
    gini,
    measure,
    multi_dissimilarity,
    multi_gini,
    normalized_exposure,
    theil_h,
    theil_h_contributions,
)
from commonground.measure.table import INDICES

EVENNESS = [n for n, s in INDICES.items() if s.zero_when_even and n != "divergence"]
#: the density-corrected D is a small-sample correction: it depends on unit sizes by design, so it is left out
#: of the scale and unit-splitting invariances (its own properties are tested below)
SIZE_FREE = [n for n in INDICES if n != "density_corrected_dissimilarity"]


@st.composite
def tables(draw, max_units: int = 25, max_groups: int = 5, regions: int = 3):
    n = draw(st.integers(2, max_units))
    k = draw(st.integers(2, max_groups))
    x = draw(arrays(np.int64, (n, k), elements=st.integers(0, 60)))
    by = draw(arrays(np.int64, n, elements=st.integers(0, regions - 1)))
    return x, by


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)


@given(tables(), st.randoms(use_true_random=False))
def test_invariant_to_unit_order(t, rnd) -> None:
    x, by = t
    perm = list(range(len(x)))
    rnd.shuffle(perm)
    _same(measure(Counts(x, by=by)), measure(Counts(x[perm], by=by[perm])))


@given(tables(), st.integers(2, 1000))
def test_invariant_to_scaling_all_counts(t, factor: int) -> None:
    x, by = t
    _same(measure(Counts(x, by=by), SIZE_FREE), measure(Counts(x * factor, by=by), SIZE_FREE))


@given(tables())
def test_bounds(t) -> None:
    x, by = t
    c = Counts(x, by=by)
    table = measure(c)
    for name in EVENNESS:
        cols = [col for col in table.columns if col == name or col.startswith(name + "[")]
        v = table[cols].to_numpy()
        v = v[np.isfinite(v)]
        assert (v >= -1e-12).all() and (v <= 1 + 1e-12).all(), name
    P = c.region_share
    iso = table[[f"isolation[{g}]" for g in c.groups]].to_numpy()
    ok = np.isfinite(iso)
    assert (iso[ok] >= P[ok] - 1e-12).all() and (iso[ok] <= 1 + 1e-12).all()  # P <= xPx <= 1
    k = c.n_groups
    populated = c.region_group_total > 0  # a region with nobody in it has no diversity (NaN)
    assert np.isnan(table["entropy_diversity"].to_numpy()[~populated]).all()
    assert (table["entropy_diversity"][populated] <= np.log(k) + 1e-12).all()
    assert (table["simpson_interaction"][populated] <= 1 - 1 / k + 1e-12).all()
    np.testing.assert_allclose((table["simpson_interaction"] + table["simpson_concentration"])[populated], 1.0)


@given(tables())
def test_regions_equal_separate_computation(t) -> None:
    # the vectorised by-region result equals computing each region's table on its own
    x, by = t
    together = measure(Counts(x, by=by))
    for r in np.unique(by):
        alone = measure(Counts(x[by == r]))
        np.testing.assert_allclose(together.loc[[r]].to_numpy(), alone.to_numpy(), rtol=1e-9, atol=1e-12,
                                   equal_nan=True)


def _naive_gini(x: np.ndarray, t: np.ndarray) -> float:
    p = np.divide(x, t, out=np.zeros(len(x)), where=t > 0)
    P = x.sum() / t.sum()
    return (np.outer(t, t) * np.abs(p[:, None] - p[None, :])).sum() / (2 * t.sum() ** 2 * P * (1 - P))


@given(arrays(np.int64, st.tuples(st.integers(2, 40), st.just(2)), elements=st.integers(0, 30)))
def test_gini_matches_naive_double_sum(x) -> None:
    t = x.sum(axis=1)
    assume(0 < x[:, 0].sum() < t.sum())
    assert abs(gini(Counts(x)).iloc[0, 0] - _naive_gini(x[:, 0].astype(float), t.astype(float))) < 1e-12


@given(arrays(np.int64, st.tuples(st.integers(2, 30), st.just(2)), elements=st.integers(0, 40)))
def test_two_group_identities(x) -> None:
    # with exactly two groups the multigroup indices reduce to their two-group versions
    # (Reardon & Firebaugh 2002): D_m = D, H = two-group entropy, G_m = Gini, P = V; and D(x) = D(y)
    c = Counts(x)
    assume((c.region_counts > 0).all())
    d = dissimilarity(c).iloc[0]
    assert abs(d.iloc[0] - d.iloc[1]) < 1e-12
    assert abs(multi_dissimilarity(c).iloc[0] - d.iloc[0]) < 1e-12
    assert abs(theil_h(c).iloc[0] - entropy(c).iloc[0, 0]) < 1e-12
    assert abs(multi_gini(c).iloc[0] - gini(c).iloc[0, 0]) < 1e-12
    assert abs(normalized_exposure(c).iloc[0] - correlation_ratio(c).iloc[0, 0]) < 1e-12


@given(tables(), st.integers(0, 24))
def test_splitting_a_unit_into_identical_halves(t, which: int) -> None:
    # organisational equivalence: two units with identical composition count as one
    x, by = t
    i = which % len(x)
    split = np.vstack([x, x[i:i + 1]])
    doubled = x.copy()
    doubled[i] *= 2
    even = [n for n in EVENNESS if n in SIZE_FREE]
    a = measure(Counts(doubled, by=by), even)
    b = measure(Counts(split, by=np.r_[by, by[i]]), even)
    _same(a, b)


@given(tables())
def test_theil_contributions_add_up(t) -> None:
    x, by = t
    c = Counts(x, by=by)
    h = theil_h(c)
    for form in ("divergence", "entropy"):
        contrib = theil_h_contributions(c, form=form)
        sums = contrib.groupby(np.asarray(contrib.attrs["region"])).sum().reindex(h.index)
        ok = np.isfinite(h.to_numpy())
        np.testing.assert_allclose(sums.to_numpy()[ok], h.to_numpy()[ok], atol=1e-9)


@given(tables())
def test_density_corrected_d_at_most_d_and_tends_to_d(t) -> None:
    # the mode of the folded normal is below theta (z = theta tanh(theta z) < theta), so D_dc <= D; with
    # every count multiplied by 10^6 the noise vanishes and D_dc -> D (Allen et al. 2015)
    from commonground.measure import dissimilarity
    from commonground.measure.evenness import density_corrected_dissimilarity

    x, by = t
    c = Counts(x, by=by)
    d, ddc = dissimilarity(c).to_numpy(), density_corrected_dissimilarity(c).to_numpy()
    ok = ~np.isnan(d)
    assert (ddc[ok] <= d[ok] + 1e-12).all()
    big = density_corrected_dissimilarity(Counts(x * 10**6, by=by)).to_numpy()
    np.testing.assert_allclose(big[ok], d[ok], atol=1e-3)


@given(tables(max_units=20, max_groups=3), st.randoms(use_true_random=False))
def test_new_spatial_indices_order_free_and_per_region(t, rnd) -> None:
    # issue 14's spatial indices: the same values whatever the row order, and a region's values equal the
    # index computed on that region alone (each region has its own centre, areas, neighbours)
    from commonground.measure import boundary as bd
    from commonground.measure import explicit as ex
    from commonground.measure import profiles as pr

    x, by = t
    n = len(x)
    rng = np.random.default_rng(rnd.randint(0, 2**31))
    xy = rng.uniform(0, 1000, (n, 2))
    area = rng.uniform(1, 50, n)
    edges = [(i, j, float(1 + (i * j) % 7)) for i in range(n) for j in range(i + 1, n) if (i + j) % 3 == 0]

    def everything(c: Counts, xy: np.ndarray, area: np.ndarray) -> list[np.ndarray]:
        return [ex.absolute_centralization(c, xy, area).to_numpy(), ex.relative_concentration(c, area).to_numpy(),
                ex.delta(c, area).to_numpy(), ex.relative_clustering(c, xy, area, scale=300).to_numpy(),
                bd.boundary_dissimilarity(c, edges).to_numpy(),
                pr.local_relative_centralization(c, xy, k=2).to_numpy()]

    c = Counts(x, by=by)
    base = everything(c, xy, area)
    perm = list(range(n))
    rnd.shuffle(perm)
    shuffled = Counts(x[perm], by=by[perm], units=np.arange(n)[perm])
    moved = everything(shuffled, xy[perm], area[perm])
    for a, b in zip(base[:-1], moved[:-1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(base[-1][perm], moved[-1], rtol=1e-9, atol=1e-12, equal_nan=True)  # per unit
    for r in np.unique(by):
        rows = np.flatnonzero(by == r)
        alone = Counts(x[rows], units=rows)
        sub = [e for e in edges if e[0] in set(rows) and e[1] in set(rows)]
        pos = list(c.regions).index(r)
        np.testing.assert_allclose(ex.delta(alone, area[rows]).to_numpy()[0], base[2][pos], rtol=1e-9,
                                   atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(ex.absolute_centralization(alone, xy[rows], area[rows]).to_numpy()[0],
                                   base[0][pos], rtol=1e-9, atol=1e-12, equal_nan=True)
        if sub:
            np.testing.assert_allclose(bd.boundary_dissimilarity(alone, sub).to_numpy()[0], base[4][pos],
                                       rtol=1e-9, atol=1e-12, equal_nan=True)


@given(tables())
def test_minmax_bounds_and_m_decomposes(t) -> None:
    from commonground.measure import minmax, mutual_information, mutual_within

    x, by = t
    c = Counts(x, by=by)
    v = minmax(c).to_numpy()
    assert ((v[~np.isnan(v)] >= -1e-12) & (v[~np.isnan(v)] <= 1 + 1e-12)).all()
    assume(x.sum() > 0)
    w = mutual_within(c)
    total = mutual_information(Counts(x)).loc["all"]
    if np.isfinite(total):
        assert w.attrs["M_total"] == pytest.approx(total, abs=1e-10)
