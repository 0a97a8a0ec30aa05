"""Randomisation null and bootstrap: exact margins, exact expectations, and agreement with PySAL.

Expected values: exact enumeration of the hypergeometric distribution (scipy.stats) for the expected D
under random allocation; margins by construction; PySAL's ``BiasCorrectedDissim`` (Allen et al. 2015)
for the bias-corrected D, within a statistical tolerance stated in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from commonground.errors import InputError
from commonground.measure import Counts, bootstrap, dissimilarity, randomization_null, smooth
from commonground.measure.inference import permute, scatter

from .conftest import SAC_GROUPS


def test_permutation_keeps_unit_totals_and_regional_group_totals() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 40, size=(57, 4))
    by = rng.integers(0, 5, size=57)
    c = Counts(x, by=by)
    for seed in range(5):
        draw = permute(c, c.x.astype(np.int64), np.random.default_rng(seed))
        np.testing.assert_array_equal(draw.sum(axis=1), c.x.sum(axis=1))  # every unit's population
        np.testing.assert_array_equal(c.region_sum(draw), c.region_counts)  # every region's group totals
        assert (draw >= 0).all()
    assert not np.array_equal(permute(c, c.x.astype(np.int64), np.random.default_rng(1)), c.x)


def test_scatter_keeps_each_columns_regional_total() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, size=(40, 3)).astype(float)
    x[5] = 0  # a unit with nobody: never receives anyone
    c = Counts(x, by=rng.integers(0, 3, size=40))
    draw = scatter(c, c.x, c.region_counts.astype(np.int64), np.random.default_rng(0))
    np.testing.assert_array_equal(c.region_sum(draw), c.region_counts)
    assert (draw[c.x == 0] == 0).all()


def test_expected_dissimilarity_under_permutation_matches_exact_enumeration() -> None:
    # two units of 3 and 5 people, 4 of them in group x. Under random allocation the count in unit 1 is
    # hypergeometric(M=8, n=4, N=3); E[D] = sum_k pmf(k) D(k) exactly.
    t1, t2, X = 3, 5, 4

    def d(k: int) -> float:
        return float(dissimilarity(Counts([[k, t1 - k], [X - k, t2 - (X - k)]], ["x", "y"])).iloc[0, 0])

    ks = np.arange(0, t1 + 1)
    pmf = stats.hypergeom(t1 + t2, X, t1).pmf(ks)
    exact = float((pmf * np.array([d(k) for k in ks])).sum())
    values = np.array([d(k) for k in ks])
    sd = float(np.sqrt((pmf * (values - exact) ** 2).sum()))
    observed = Counts([[3, 0], [1, 4]], ["x", "y"])
    null = randomization_null(observed, "dissimilarity", reps=3000, seed=11)
    reps = null.draws.shape[0]
    assert abs(null.expected.iloc[0, 0] - exact) < 4 * sd / np.sqrt(reps)  # 4 standard errors
    # the small-unit bias of D: what random allocation alone produces (D is 0 under exact evenness)
    assert null.even.iloc[0, 0] == pytest.approx(0.0, abs=1e-12)
    assert null.bias.iloc[0, 0] == pytest.approx(null.expected.iloc[0, 0])
    assert exact > 0.3  # a big bias in units this small


def test_null_reproducible_and_labelled(sac_counts: Counts) -> None:
    a = randomization_null(sac_counts, "D", reps=20, seed=5)
    b = randomization_null(sac_counts, "dissimilarity", reps=20, seed=5)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.draws.shape == (20, 1, 4)
    assert list(a.expected.columns) == SAC_GROUPS
    s = a.summary()
    assert list(s.columns) == ["observed", "expected", "sd", "bias", "p_value", "adjusted"]
    # Sacramento is far more segregated than chance: no draw reaches the observed D
    assert (s["p_value"] == 1 / 21).all()
    assert (s["adjusted"] < s["observed"]).all() and (s["adjusted"] > 0).all()


@pytest.mark.parametrize("null", ["permutation", "multinomial"])
def test_null_of_an_exactly_even_table(null: str) -> None:
    # every unit already has the region's composition: D = 0 and chance can only make it larger (p = 1)
    c = Counts([[10, 20], [5, 10], [30, 60], [1, 2]], ["x", "y"], by=["a", "a", "b", "b"])
    r = randomization_null(c, "theil_h", reps=30, null=null, seed=1)
    np.testing.assert_allclose(r.observed.to_numpy(), 0, atol=1e-12)
    np.testing.assert_allclose(r.p_value.to_numpy(), 1.0)
    assert (r.expected > 0).all()


def test_multinomial_null_keeps_unit_totals(sac_counts: Counts) -> None:
    # explicit total: each group is drawn against the unit total, so every unit keeps its population
    r = randomization_null(sac_counts, "isolation", reps=10, null="multinomial", seed=2)
    assert r.draws.shape == (10, 1, 4)
    # isolation is not an evenness index: its even value is the group share P and there is no adjustment
    np.testing.assert_allclose(r.even.to_numpy(), sac_counts.region_share, rtol=1e-12)
    assert r.adjusted.isna().all().all()


def test_null_per_region(ew_counts: Counts) -> None:
    r = randomization_null(ew_counts, "multi_dissimilarity", reps=5, seed=0)
    assert r.draws.shape == (5, 348)
    s = r.summary()
    # every local authority is more segregated than random allocation would make it, and chance alone
    # gives every one a positive multigroup D (the small-unit bias; 0.07-0.31 across LADs)
    assert (s["observed"] > s["expected"]).all()
    assert (s["expected"] > 0.05).all()
    # the smallest population (Isles of Scilly, 2,203 people) has by far the noisiest random D
    assert s.loc["Isles of Scilly", "sd"] > 3 * s["sd"].median()


def test_bootstrap_bias_correction_agrees_with_pysal(sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    seg = pytest.importorskip("segregation.singlegroup")
    ours = bootstrap(sac_counts, "dissimilarity", reps=199, seed=4).bias_corrected.loc["all"]
    np.random.seed(4)  # noqa: NPY002 -- PySAL draws from NumPy's global generator
    for g in SAC_GROUPS:
        ref = seg.BiasCorrectedDissim(sacramento, g, "TOT_POP", B=200).statistic
        # both are 2D - mean of ~200 bootstrap D's; their sd is < 2e-3 here, so the means differ by
        # ~2e-4 at most by chance: 6e-4 is > 4 standard errors of the difference
        assert abs(ours[g] - ref) < 6e-4, g
        assert ours[g] < dissimilarity(sac_counts).loc["all", g]  # D is biased upwards


def test_bootstrap_units_stays_within_regions() -> None:
    # region a: all units the same mix (D = 0 in any resample); region b: two very different units
    c = Counts([[3, 1], [6, 2], [9, 3], [10, 0], [0, 10]], ["x", "y"], by=["a", "a", "a", "b", "b"])
    b = bootstrap(c, "dissimilarity", reps=200, method="units", seed=0)
    np.testing.assert_allclose(b.draws[:, 0, :], 0, atol=1e-12)
    assert np.nanmax(b.draws[:, 1, 0]) == pytest.approx(1.0)
    s = b.summary()
    assert (s["lower"] <= s["upper"]).all()


def test_bootstrap_interval_brackets_its_mean(ew_counts: Counts) -> None:
    b = bootstrap(ew_counts, "theil_h", reps=4, seed=1)
    s = b.summary()
    assert len(s) == 348
    assert ((s["lower"] <= s["mean"]) & (s["mean"] <= s["upper"])).all()


def test_inference_rejects_bad_arguments(sac_counts: Counts, sac_xy_area) -> None:
    with pytest.raises(InputError, match="whole-number"):
        randomization_null(smooth(sac_counts, sac_xy_area[0], 3000), reps=5)
    with pytest.raises(InputError, match="null"):
        randomization_null(sac_counts, reps=5, null="evenly")
    with pytest.raises(InputError, match="unknown index"):
        bootstrap(sac_counts, "segregatedness", reps=5)
    with pytest.raises(InputError, match="reps"):
        bootstrap(sac_counts, reps=1)
    with pytest.raises(InputError, match="level"):
        bootstrap(sac_counts, reps=5, level=95)
