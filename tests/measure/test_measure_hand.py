"""Hand-worked examples: complete segregation = 1, even spread = 0, and a 2 x 2 table worked on paper.

Expected values: worked by hand from each index's formula (shown in the comments).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from commonground.measure import (
    Counts,
    atkinson,
    correlation_ratio,
    dissimilarity,
    entropy,
    entropy_diversity,
    exposure,
    gini,
    isolation,
    location_quotients,
    measure,
    multi_dissimilarity,
    multi_gini,
    normalized_exposure,
    relative_diversity,
    simpson_concentration,
    simpson_interaction,
    squared_cv,
    theil_h,
    theil_h_contributions,
)

EVENNESS_SINGLE = [dissimilarity, gini, entropy, atkinson, correlation_ratio]
EVENNESS_MULTI = [multi_dissimilarity, theil_h, multi_gini, normalized_exposure, squared_cv, relative_diversity]


@pytest.fixture
def complete() -> Counts:
    # three groups, each alone in its own two units
    return Counts([[5, 0, 0], [7, 0, 0], [0, 3, 0], [0, 9, 0], [0, 0, 4], [0, 0, 2]], ["a", "b", "c"])


@pytest.fixture
def even() -> Counts:
    # every unit has the region's 2:1:1 mix, units of different sizes
    return Counts([[2, 1, 1], [4, 2, 2], [20, 10, 10]], ["a", "b", "c"])


@pytest.mark.parametrize("f", EVENNESS_SINGLE)
def test_complete_segregation_is_one_single(f, complete: Counts) -> None:
    np.testing.assert_allclose(f(complete).to_numpy(), 1.0, atol=1e-12)


@pytest.mark.parametrize("f", EVENNESS_MULTI)
def test_complete_segregation_is_one_multi(f, complete: Counts) -> None:
    assert f(complete).iloc[0] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("f", EVENNESS_SINGLE)
def test_even_spread_is_zero_single(f, even: Counts) -> None:
    np.testing.assert_allclose(f(even).to_numpy(), 0.0, atol=1e-12)


@pytest.mark.parametrize("f", EVENNESS_MULTI)
def test_even_spread_is_zero_multi(f, even: Counts) -> None:
    assert f(even).iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_exposure_extremes(complete: Counts, even: Counts) -> None:
    # complete: everyone lives only with their own group -> xPx = 1, xPy = 0
    np.testing.assert_allclose(isolation(complete).to_numpy(), 1.0)
    np.testing.assert_allclose(exposure(complete).to_numpy(), 0.0)
    # even: xPx = the group's share P = (1/2, 1/4, 1/4), xPy = 1 - P
    np.testing.assert_allclose(isolation(even).to_numpy(), [[0.5, 0.25, 0.25]])
    np.testing.assert_allclose(exposure(even).to_numpy(), [[0.5, 0.75, 0.75]])


def test_two_by_two_by_hand() -> None:
    # unit 1: 8 x, 2 y; unit 2: 2 x, 8 y.  t = 10, 10; T = 20; X = 10; P = 0.5; p = 0.8, 0.2.
    c = Counts([[8, 2], [2, 8]], ["x", "y"])
    x = {f.__name__: f(c).loc["all", "x"] for f in [dissimilarity, gini, isolation, exposure, entropy, atkinson,
                                                     correlation_ratio]}
    # D = sum t|p - P| / (2 T P (1-P)) = (10 * .3 + 10 * .3) / (2 * 20 * .25) = 6 / 10
    assert x["dissimilarity"] == pytest.approx(0.6)
    # Gini = sum_ij t_i t_j |p_i - p_j| / (2 T^2 P(1-P)) = 2 * 100 * .6 / (2 * 400 * .25) = 120 / 200
    assert x["gini"] == pytest.approx(0.6)
    # xPx = (8/10)(8/10) + (2/10)(2/10) = .68 ; xPy = (8/10)(2/10) + (2/10)(8/10) = .32
    assert x["isolation"] == pytest.approx(0.68)
    assert x["exposure"] == pytest.approx(0.32)
    # V = (xPx - P) / (1 - P) = .18 / .5
    assert x["correlation_ratio"] == pytest.approx(0.36)
    # H = 1 - E_i / E, E = ln 2, E_i = -.8 ln .8 - .2 ln .2 for both units
    e_i = -0.8 * math.log(0.8) - 0.2 * math.log(0.2)
    assert x["entropy"] == pytest.approx(1 - e_i / math.log(2))
    assert x["entropy"] == pytest.approx(0.2780719051126377)
    # A(.5) = 1 - P/(1-P) * (sum sqrt((1-p) p) t / (P T))^2 = 1 - (2 * .4 * 10 / 10)^2 = 1 - .64
    assert x["atkinson"] == pytest.approx(0.36)
    # multigroup on the same two groups (total = x + y)
    assert multi_dissimilarity(c).iloc[0] == pytest.approx(0.6)  # 10 * (.3 + .3) * 2 / (2 * 20 * .5)
    assert theil_h(c).iloc[0] == pytest.approx(1 - e_i / math.log(2))
    assert multi_gini(c).iloc[0] == pytest.approx(0.6)  # (120 + 120) / (2 * 400 * .5)
    # P = sum_k sum_i t (pi - P)^2 / ((1 - P_k) T): per group sum_i t (pi - P)^2 = 2 * 10 * .09 = 1.8,
    # so P = (1.8 / .5 + 1.8 / .5) / 20
    assert normalized_exposure(c).iloc[0] == pytest.approx(0.36)
    assert squared_cv(c).iloc[0] == pytest.approx(0.36)  # (1.8 / .5 + 1.8 / .5) / ((2 - 1) * 20)
    assert relative_diversity(c).iloc[0] == pytest.approx(0.36)  # 7.2 / (20 * .5)
    assert entropy_diversity(c).iloc[0] == pytest.approx(math.log(2))
    assert entropy_diversity(c, normalized=True).iloc[0] == pytest.approx(1.0)
    assert simpson_interaction(c).iloc[0] == pytest.approx(0.5)
    assert simpson_concentration(c).iloc[0] == pytest.approx(0.5)
    # location quotients: .8 / .5 and .2 / .5
    np.testing.assert_allclose(location_quotients(c).to_numpy(), [[1.6, 0.4], [0.4, 1.6]])
    # each unit holds half of H
    np.testing.assert_allclose(theil_h_contributions(c).to_numpy(), [x["entropy"] / 2] * 2)


def test_two_groups_regions_computed_independently() -> None:
    # the same 2 x 2 table in region "p" and an even table in region "q", interleaved rows
    c = Counts([[8, 2], [5, 5], [2, 8], [1, 1]], ["x", "y"], by=["p", "q", "p", "q"])
    d = dissimilarity(c)
    assert list(d.index) == ["p", "q"]
    assert d.loc["p", "x"] == pytest.approx(0.6)
    assert d.loc["q", "x"] == pytest.approx(0.0)


def test_absent_group_is_nan_for_single_group_indices() -> None:
    c = Counts([[3, 0], [1, 0]], ["x", "y"])
    t = measure(c, ["dissimilarity", "gini", "theil_h"])
    assert np.isnan(t["dissimilarity[y]"].iloc[0]) and np.isnan(t["gini[x]"].iloc[0])
    assert np.isnan(t["theil_h"].iloc[0])  # only one group present: multigroup segregation undefined


def test_explicit_total_for_overlapping_groups() -> None:
    # a group counted against an explicit total (others not listed): D of x against t - x
    # unit 1: x=4 of t=5, unit 2: x=1 of t=5 -> P = .5, D = (5*.3 + 5*.3) / (2*10*.25) = .6
    c = Counts([[4], [1]], ["x"], total=[5, 5])
    assert dissimilarity(c).iloc[0, 0] == pytest.approx(0.6)


def test_zero_population_unit_contributes_nothing() -> None:
    base = Counts([[8, 2], [2, 8]], ["x", "y"])
    with_empty = Counts([[8, 2], [0, 0], [2, 8]], ["x", "y"])
    np.testing.assert_allclose(measure(with_empty).to_numpy(), measure(base).to_numpy(), atol=1e-12)
