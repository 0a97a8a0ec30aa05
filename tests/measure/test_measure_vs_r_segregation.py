"""commonground's M / H decompositions against the R package ``segregation`` (Elbers) and its published examples.

R is not installed here; every expected value below is a fact stated in the public repository
``elbersb/segregation`` (its testthat suite, README, vignette, R source), in a paper its tests quote
(Karmel & Maclachlan 1988, Winship 1977), or in the author's post on his SMR paper, with the input table
written out literally there. Each test names its source. Where R's test states an identity rather than a
number, the number is derived by hand in this file from the definition R's vignette gives
(``M = sum_ug p_ug ln(p_ug / (p_u p_g))``, ``H = M / E(groups)``, local score
``L_u = sum_g p_g|u ln(p_g|u / p_g)``) or from R's source formula, written out independently of
commonground's code. Precision: what the source prints (3 decimals, 0.1 of a count), R's own test tolerance
where it states one, and 1e-9 to 1e-15 for identities and exact formulas.

Not comparable here: every README / vignette / man-page figure computed on ``schools00`` / ``schools05`` /
``usschools00`` (stored only as binary ``data/*.rda``; ``data-raw/clean_data.R`` builds them from NCES
files with seeded random noise, so they cannot be rebuilt), and the R methods commonground does not offer
(``mutual_difference(method="km" | "mrc" | "shapley_detailed")``, ``mutual_expected``, ``compress``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from commonground.errors import InputError
from commonground.measure import Counts, dissimilarity, exposure, isolation, randomization_null
from commonground.measure.local import theil_h_contributions
from commonground.measure.multigroup import entropy_diversity, multi_dissimilarity, mutual_information, theil_h
from commonground.measure.mutual import ipf, mutual_difference, mutual_hierarchy, mutual_within

# -- independent references (definitions, not commonground code) ------------------------------------------------


def m_hand(t: np.ndarray) -> float:
    """M of a units x groups table by the vignette's definition, cell by cell."""
    t = np.asarray(t, dtype=float)
    n = t.sum()
    pu, pg = t.sum(axis=1) / n, t.sum(axis=0) / n
    return sum(t[u, g] / n * math.log(t[u, g] / n / (pu[u] * pg[g]))
               for u in range(t.shape[0]) for g in range(t.shape[1]) if t[u, g] > 0)


def e_hand(v: np.ndarray) -> float:
    """Entropy (nats) of a distribution given as counts."""
    p = np.asarray(v, dtype=float)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log(p)).sum())


def fit_margins(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``diag(exp a) seed diag(exp b)`` with the given row and column sums (scaled to the seed's total).

    The same table IPF converges to (seed's odds ratios, the target margins), found another way -- Newton's
    method on the convex dual ``sum_ij seed_ij exp(a_i + b_j) - rows . a - cols . b`` -- so the Shapley
    reference below does not lean on commonground's :func:`ipf`.
    """
    seed = np.asarray(seed, dtype=float)
    rows = np.asarray(rows, dtype=float) / np.sum(rows) * seed.sum()
    cols = np.asarray(cols, dtype=float) / np.sum(cols) * seed.sum()
    n, m = seed.shape  # b_0 = 0 pins the one free constant

    def table(z: np.ndarray) -> np.ndarray:
        return seed * np.exp(z[:n])[:, None] * np.exp(np.r_[0.0, z[n:]])[None, :]

    def grad(z: np.ndarray) -> np.ndarray:
        fit = table(z)
        return np.r_[fit.sum(axis=1) - rows, fit.sum(axis=0)[1:] - cols[1:]]

    def hess(z: np.ndarray) -> np.ndarray:
        fit = table(z)
        return np.block([[np.diag(fit.sum(axis=1)), fit[:, 1:]], [fit[:, 1:].T, np.diag(fit.sum(axis=0)[1:])]])

    def dual(z: np.ndarray) -> float:
        return float(table(z).sum() - rows @ z[:n] - cols[1:] @ z[n:])

    z = optimize.minimize(dual, np.zeros(n + m - 1), jac=grad, hess=hess, method="trust-exact").x
    for _ in range(100):  # polish with damped Newton steps: zero cells filled with 1e-10 make it ill-conditioned
        g = grad(z)
        if np.abs(g).max() < 1e-11 * seed.sum():
            break
        step, t = np.linalg.lstsq(hess(z), g, rcond=None)[0], 1.0
        while dual(z - t * step) > dual(z) and t > 1e-12:
            t /= 2
        z = z - t * step
    assert np.abs(grad(z)).max() < 1e-10 * seed.sum()  # the margins are met
    return table(z)


def r_shapley(a: np.ndarray, b: np.ndarray, fill: float = 0.0) -> dict[str, float]:
    """R ``segregation``'s ``mutual_difference(method="shapley")`` as defined in its R/mutual_difference.R.

    On the units and groups present in both tables (``create_common_data``), with ``m_GUS`` the M of the table
    with group margins of G, unit margins of U and the structure (odds ratios) of S (A = first table, B = second):
    ``structural = (m_AAB - m_AAA) / 2 + (m_BBB - m_BBA) / 2`` -- a two-factor Shapley value, margins against
    structure -- and the margins' share split into ``group_marginal = [(m_BAA - m_AAA) + (m_BBA - m_ABA) +
    (m_BBB - m_ABB) + (m_BAB - m_AAB)] / 4`` and ``unit_marginal`` likewise; ``additions = M2 - m_BBB``,
    ``removals = m_AAA - M1``. R fits margins by IPF to margin precision 1e-3; this reference is the exact fit.
    R also replaces zero cells of the common tables by 1e-10 (``fill_na``) in the seeds it fits (not in
    m_AAA, m_BBB); ``fill`` does the same.
    """
    rows = (a.sum(axis=1) > 0) & (b.sum(axis=1) > 0)
    cols = (a.sum(axis=0) > 0) & (b.sum(axis=0) > 0)
    tab = {"A": a[np.ix_(rows, cols)], "B": b[np.ix_(rows, cols)]}
    seed = {k: np.where(v > 0, v, fill) for k, v in tab.items()}

    def m(g: str, u: str, s: str) -> float:
        if g == u == s:
            return m_hand(tab[s])
        return m_hand(fit_margins(seed[s], tab[u].sum(axis=1), tab[g].sum(axis=0)))

    aaa, bbb = m("A", "A", "A"), m("B", "B", "B")
    bba, aba, baa = m("B", "B", "A"), m("A", "B", "A"), m("B", "A", "A")
    aab, bab, abb = m("A", "A", "B"), m("B", "A", "B"), m("A", "B", "B")
    return {"M1": m_hand(a), "M2": m_hand(b),
            "additions": m_hand(b) - bbb, "removals": aaa - m_hand(a),
            "group_marginal": ((baa - aaa) + (bba - aba) + (bbb - abb) + (bab - aab)) / 4,
            "unit_marginal": ((aba - aaa) + (bba - baa) + (bbb - bab) + (abb - aab)) / 4,
            "structural": (aab - aaa) / 2 + (bbb - bba) / 2}


# -- the R test suite's tables ----------------------------------------------------------------------------------

#: tests/testthat/test_mutual_total.R, test_mutual_within.R, test_mutual_local.R: ``test_data``, units u = a, b
#: x groups g = 1..4, n = (40, 20, 5, 1 | 20, 40, 60, 80); supergroup 12 = {1, 2}, 34 = {3, 4}.
R_TEST_DATA = np.array([[40, 20, 5, 1], [20, 40, 60, 80]], dtype=float)
R_SUPERGROUP = ["12", "12", "34", "34"]

#: tests/testthat/test_mutual_difference.R (also test_mutual_diff_mrc.R, test_mutual_diff_elbers.R):
#: ``test_data1`` and ``test_data2``, units a, b x groups 1..4.
R_T1 = np.array([[40, 30, 20, 10], [5, 10, 15, 20]], dtype=float)
R_T2 = np.array([[20, 20, 20, 15], [5, 10, 10, 15]], dtype=float)

#: test_mutual_difference.R, "difference same as mutual_total (zero weights)": units a, b, c in the first table
#: and a, b, d in the second (rows here: a, b, c, d; a unit missing from a table is a row of zeros).
R_Z1 = np.array([[0, 30, 20, 10], [5, 10, 15, 20], [4, 3, 2, 1], [0, 0, 0, 0]], dtype=float)
R_Z2 = np.array([[40, 20, 20, 15], [5, 10, 10, 0], [0, 0, 0, 0], [1, 2, 3, 4]], dtype=float)

#: test_mutual_difference.R, "correctly identifies marginal/structural changes": units a, b, c x groups 1, 2.
#: ``R_OCC`` is also Table (1) of Elbers' SMR paper as shown in his post (see test_elbers_post_tables), the
#: others the same table with unit c doubled (``_cols``) and with group 2 doubled (``_rows``).
R_OCC = np.array([[25, 25], [28, 2], [2, 18]], dtype=float)
R_OCC_COLS = np.array([[25, 25], [28, 2], [4, 36]], dtype=float)
R_OCC_ROWS = np.array([[25, 50], [28, 4], [2, 36]], dtype=float)

PARTS = ["group_marginal", "unit_marginal", "structural"]


# -- total M and H -------------------------------------------------------------------------------------------


def test_max_bound_is_ln2() -> None:
    # test_mutual_total.R "max bound correct": n = (40, 0, 0, 0 | 0, 0, 0, 40) -> M = log(2) (R's expect_equal,
    # tolerance 1.5e-8). H = M / E(groups) = ln 2 / ln 2 = 1 by hand.
    t = np.array([[40, 0, 0, 0], [0, 0, 0, 40]], dtype=float)
    c = Counts(t)
    assert mutual_information(c).loc["all"] == pytest.approx(math.log(2), abs=1e-15)
    assert theil_h(c).loc["all"] == pytest.approx(1.0, abs=1e-15)
    # no hierarchy at all (R: mutual_total without within): one term, between units, which is the total
    h = mutual_hierarchy(t, [])
    assert h.index.tolist() == ["between units", "total"]
    assert h["M"].to_numpy() == pytest.approx([math.log(2)] * 2, abs=1e-15)


def test_m_both_ways_and_by_hand() -> None:
    # test_mutual_total.R "mutual works both ways around": M(u x g) == M(g x u) on test_data; and the value
    # itself from the definition.
    m = mutual_information(Counts(R_TEST_DATA)).loc["all"]
    assert mutual_information(Counts(R_TEST_DATA.T)).loc["all"] == pytest.approx(m, abs=1e-15)
    assert m == pytest.approx(m_hand(R_TEST_DATA), abs=1e-15)
    # H divides by the entropy of the *groups* (vignette: switching groups and units changes H, not M)
    assert theil_h(Counts(R_TEST_DATA)).loc["all"] == pytest.approx(m / e_hand(R_TEST_DATA.sum(axis=0)), abs=1e-14)
    assert theil_h(Counts(R_TEST_DATA.T)).loc["all"] == pytest.approx(m / e_hand(R_TEST_DATA.sum(axis=1)), abs=1e-14)


def test_log_base_2() -> None:
    # test_mutual_local.R / test_mutual_difference.R "log base": base = 2 gives M in bits = nats / ln 2
    m = mutual_information(Counts(R_TEST_DATA), base=2).loc["all"]
    assert m == pytest.approx(m_hand(R_TEST_DATA) / math.log(2), abs=1e-14)


@pytest.mark.parametrize(("t", "d", "m", "h"), [
    (R_OCC, 0.465, 0.203, 0.295),  # Table (1)
    (R_OCC_COLS, 0.501, 0.233, 0.337),  # Table (2): occupation C grown
])
def test_elbers_post_tables(t: np.ndarray, d: float, m: float, h: float) -> None:
    # Elbers, "New paper in SMR: A Method for Studying Difference in Segregation Levels Across Time and Space"
    # (https://elbersb.com/public/posts/2021-03-08-smr-paper/, 2021), table of D, M, H for occupations A, B, C x
    # male / female, 3 decimals. The post gives the indices and the odds ratios (1/14 and 9) but not the counts;
    # R's test table above has exactly those odds ratios (occupations relabelled: its a = the post's integrated
    # B) and reproduces all three indices of Tables (1) and (2). Table (3) is "female employment increased"
    # by an unstated factor (R's doubled ``_rows`` table gives H 0.297 but M 0.197, not 0.206), and Table (4)'s
    # growth of B is unstated: neither is pinned, so neither is tested.
    c = Counts(t, ["male", "female"])
    assert round(float(multi_dissimilarity(c).loc["all"]), 3) == d
    assert round(float(dissimilarity(c).loc["all", "female"]), 3) == d
    assert round(float(mutual_information(c).loc["all"]), 3) == m
    assert round(float(theil_h(c).loc["all"]), 3) == h


def test_entropy() -> None:
    # test_entropy.R "correct entropy calculation": entropy of x = (1, 2) one each -> log 2; (1, 2, 3) -> log 3;
    # weights 10, 30 -> .25 log(1/.25) + .75 log(1/.75)
    assert entropy_diversity(Counts([[1, 1]])).loc["all"] == pytest.approx(math.log(2), abs=1e-15)
    assert entropy_diversity(Counts([[1, 1, 1]])).loc["all"] == pytest.approx(math.log(3), abs=1e-15)
    assert entropy_diversity(Counts([[10, 10]])).loc["all"] == pytest.approx(math.log(2), abs=1e-15)
    expected = 0.25 * math.log(1 / 0.25) + 0.75 * math.log(1 / 0.75)
    assert entropy_diversity(Counts([[10, 30]])).loc["all"] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(("col1", "col2", "d"), [
    ([100, 100, 100], [100, 100, 100], 0.0),
    ([100, 60, 40, 0], [0, 40, 60, 100], 0.6),
    ([80, 80, 20, 20], [20, 20, 80, 80], 0.6),
    ([100, 100, 0, 0], [0, 0, 100, 100], 1.0),
])
def test_dissimilarity(col1: list[int], col2: list[int], d: float) -> None:
    # test_dissimilarity.R "correct calculations": matrix(c(...), ncol = 2) -> units in rows, two groups in columns
    # (its 3-column matrix is rejected as "group > 2", so columns are groups); D = 0, .6, .6, 1
    c = Counts(np.column_stack([col1, col2]).astype(float))
    assert multi_dissimilarity(c).loc["all"] == pytest.approx(d, abs=1e-15)
    assert dissimilarity(c).loc["all"].to_numpy() == pytest.approx([d, d], abs=1e-15)


def test_exposure_isolation_two_groups() -> None:
    # test_exposure_isolation.R "two group case" (on schools00 there; the identities hold for any table, here
    # R's two-group occupation table): each group's exposures sum to 1 (xPx + xPy = 1), and
    # xPy = yPx * Y / X. Values by hand: xPy = sum_i (x_i / X)(y_i / t_i).
    c = Counts(R_OCC, ["x", "y"])
    iso, exp = isolation(c).loc["all"], exposure(c).loc["all"]
    x, y = R_OCC[:, 0], R_OCC[:, 1]
    t = x + y
    assert exp["x"] == pytest.approx(float((x / x.sum() * y / t).sum()), abs=1e-15)
    assert iso["x"] == pytest.approx(float((x / x.sum() * x / t).sum()), abs=1e-15)
    assert (iso + exp).to_numpy() == pytest.approx([1.0, 1.0], abs=1e-15)
    assert exp["y"] == pytest.approx(exp["x"] * x.sum() / y.sum(), abs=1e-15)


# -- between / within ------------------------------------------------------------------------------------------


def _supergroup_counts() -> Counts:
    # R's mutual_total(test_data, "u", "g", within = "supergroup"): groups u (a, b), units g nested in supergroups
    frame = pd.DataFrame({"g": ["1", "2", "3", "4"], "supergroup": R_SUPERGROUP,
                          "a": R_TEST_DATA[0], "b": R_TEST_DATA[1]})
    return Counts.from_frame(frame, ["a", "b"], unit="g", by="supergroup")


def test_between_plus_within_is_total() -> None:
    # test_mutual_total.R "between + within = total" and "within estimations is correct"
    # (p_12 * M(rows of 12) + p_34 * M(rows of 34) == the within term), on test_data with supergroup.
    t = R_TEST_DATA.T  # units g x groups u
    sub12, sub34 = t[:2], t[2:]
    p12, p34 = sub12.sum() / t.sum(), sub34.sum() / t.sum()
    between = m_hand(np.vstack([sub12.sum(axis=0), sub34.sum(axis=0)]))
    within = p12 * m_hand(sub12) + p34 * m_hand(sub34)
    e = e_hand(t.sum(axis=0))

    h = mutual_hierarchy(t, [R_SUPERGROUP], names=["supergroup"])
    assert h.loc["between supergroup", "M"] == pytest.approx(between, abs=1e-14)
    assert h.loc["between units within supergroup", "M"] == pytest.approx(within, abs=1e-14)
    assert h.loc["total", "M"] == pytest.approx(m_hand(t), abs=1e-14)
    assert between + within == pytest.approx(m_hand(t), abs=1e-14)  # the identity R's test states
    assert h.loc["between units within supergroup", "H"] == pytest.approx(within / e, abs=1e-14)

    w = mutual_within(_supergroup_counts())
    assert w.attrs["M_between"] == pytest.approx(between, abs=1e-14)
    assert w.attrs["M_within"] == pytest.approx(within, abs=1e-14)
    assert w.attrs["H_within"] == pytest.approx(within / e, abs=1e-14)


def test_mutual_within_per_region() -> None:
    # test_mutual_within.R "between + within = total" / "option wide works": per supergroup M, p, H and
    # h_weight = p * ent_ratio; sum(p * M) = within M, sum(h_weight * H) = within H, H in [0, 1],
    # sum(H * h_weight * E) = within M. Values by hand from the sub-tables.
    t = R_TEST_DATA.T
    e = e_hand(t.sum(axis=0))
    w = mutual_within(_supergroup_counts())
    for region, sub in (("12", t[:2]), ("34", t[2:])):
        row = w.loc[region]
        assert row["p"] == pytest.approx(sub.sum() / t.sum(), abs=1e-15)
        assert row["M"] == pytest.approx(m_hand(sub), abs=1e-14)
        assert row["H"] == pytest.approx(m_hand(sub) / e_hand(sub.sum(axis=0)), abs=1e-14)
        assert row["entropy_ratio"] == pytest.approx(e_hand(sub.sum(axis=0)) / e, abs=1e-14)
        assert 0 <= row["H"] <= 1
    h_weight = w["p"] * w["entropy_ratio"]
    assert (w["p"] * w["M"]).sum() == pytest.approx(w.attrs["M_within"], abs=1e-14)
    assert (h_weight * w["H"]).sum() == pytest.approx(w.attrs["H_within"], abs=1e-14)
    assert (w["H"] * h_weight * e).sum() == pytest.approx(w.attrs["M_within"], abs=1e-14)


# -- local segregation scores --------------------------------------------------------------------------------


def _local_scores(t: np.ndarray) -> np.ndarray:
    """R's ``mutual_local`` ``ls`` per unit (row), from commonground's additive H contributions:
    contribution_u = p_u L_u / E, so L_u = contribution_u E / p_u."""
    c = Counts(t)
    contrib = theil_h_contributions(c).to_numpy()
    p = t.sum(axis=1) / t.sum()
    return contrib * entropy_diversity(c).loc["all"] / p


def test_local_scores() -> None:
    # test_mutual_local.R "local calculation works": p sums to 1; sum(p * ls) is the same with units and groups
    # swapped and equals M; in base 2 it equals M in bits; "option wide works": H = sum(ls * p) / E(groups).
    # The scores themselves by hand: L_u = sum_g p(g|u) ln(p(g|u) / p(g)) (vignette, "Local segregation").
    for t in (R_TEST_DATA.T, R_TEST_DATA):  # local(test_data, "u", "g"): units g; local2: units u
        p = t.sum(axis=1) / t.sum()
        pg = t.sum(axis=0) / t.sum()
        hand = [sum(x / t[u].sum() * math.log(x / t[u].sum() / pg[g]) for g, x in enumerate(t[u]) if x > 0)
                for u in range(t.shape[0])]
        ls = _local_scores(t)
        np.testing.assert_allclose(ls, hand, rtol=0, atol=1e-14)
        assert p.sum() == pytest.approx(1.0, abs=1e-15)
        assert (p * ls).sum() == pytest.approx(m_hand(R_TEST_DATA), abs=1e-14)
        assert (p * ls).sum() / e_hand(t.sum(axis=0)) == pytest.approx(theil_h(Counts(t)).loc["all"], abs=1e-14)
        assert (p * ls).sum() / math.log(2) == pytest.approx(
            mutual_information(Counts(t), base=2).loc["all"], abs=1e-14)


# -- iterative proportional fitting --------------------------------------------------------------------------


def test_ipf_karmel_maclachlan_1988() -> None:
    # test_ipf.R "example from Karmel & Maclachlan 1988" (Economic Record 64: 187-195): occupations 1..3 x
    # male / female, source n = male (100, 50, 100), female (50, 50, 50), target male (125, 100, 100), female
    # (100, 100, 75); adjusted source, rounded to 0.1: male 134.7, 85.5, 104.8, female 90.3, 114.5, 70.2.
    # Those sum to the target's 600; commonground's ipf returns the seed's total (400), as R's ipf() does since
    # 0.3.0 ("return sample size of source dataset for IPF", NEWS.md) -- so rescale by 600 / 400 to compare.
    source = np.array([[100, 50], [50, 50], [100, 50]], dtype=float)
    target = np.array([[125, 100], [100, 100], [100, 75]], dtype=float)
    fit = ipf(source, target.sum(axis=1), target.sum(axis=0))
    assert fit.sum() == pytest.approx(source.sum(), abs=1e-9)
    scaled = fit * target.sum() / source.sum()
    np.testing.assert_array_equal(np.round(scaled, 1), [[134.7, 90.3], [85.5, 114.5], [104.8, 70.2]])
    np.testing.assert_allclose(scaled.sum(axis=1), target.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(scaled.sum(axis=0), target.sum(axis=0), rtol=1e-12)
    # and the independent root-finding fit agrees with the IPF fit
    np.testing.assert_allclose(fit, fit_margins(source, target.sum(axis=1), target.sum(axis=0)), rtol=1e-10)


# -- difference decomposition (method = "shapley") ---------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(R_T1, R_T2), (R_T2, R_T1), (R_T1.T, R_T2.T), (R_T2.T, R_T1.T)],
                         ids=["sh1", "sh3", "sh2", "sh4"])
def test_shapley_equals_r_definition(a: np.ndarray, b: np.ndarray) -> None:
    # test_mutual_difference.R "mutual_difference SHAPLEY" runs sh1..sh4 (tables and units/groups swapped) but
    # states only identities; the components themselves are R's formula (r_shapley above), evaluated exactly.
    got = mutual_difference(a, b)
    ref = r_shapley(a, b)
    assert got["M1"] == pytest.approx(ref["M1"], abs=1e-14)
    assert got["M2"] == pytest.approx(ref["M2"], abs=1e-14)
    for part in PARTS:
        assert got[part] == pytest.approx(ref[part], abs=1e-10), part


def test_shapley_r_symmetries() -> None:
    # test_mutual_difference.R "mutual_difference SHAPLEY": diff = M2 - M1 = sum of rows 6:8, additions = removals
    # = 0; swapping units and groups swaps the marginal terms, swapping the tables negates every term (R's
    # tolerance 1e-4; here exact to 1e-10).
    sh1, sh2 = mutual_difference(R_T1, R_T2), mutual_difference(R_T1.T, R_T2.T)
    sh3, sh4 = mutual_difference(R_T2, R_T1), mutual_difference(R_T2.T, R_T1.T)
    for sh in (sh1, sh2, sh3, sh4):
        assert sh["diff"] == pytest.approx(sh["M2"] - sh["M1"], abs=1e-15)
        assert sh[PARTS].sum() == pytest.approx(sh["diff"], abs=1e-12)
        assert sh["additions_removals"] == pytest.approx(0, abs=1e-15)
    for x, y in ((sh1, sh2), (sh3, sh4)):
        assert x["group_marginal"] == pytest.approx(y["unit_marginal"], abs=1e-10)
        assert x["unit_marginal"] == pytest.approx(y["group_marginal"], abs=1e-10)
        assert x["structural"] == pytest.approx(y["structural"], abs=1e-10)
    for x, y in ((sh1, sh3), (sh2, sh4)):
        assert x["M1"] == y["M2"]
        np.testing.assert_allclose(x[PARTS].to_numpy(float), -y[PARTS].to_numpy(float), atol=1e-10)


def test_shapley_zero_weights_additions_removals() -> None:
    # test_mutual_difference.R "difference same as mutual_total (zero weights)": M1, M2 equal mutual_total of each
    # table; units c (first only) and d (second only) are left out of the decomposition and their effect is
    # R's additions + removals (commonground reports the sum as additions_removals).
    # On the common units a, b no table has the first table's structure (its zero cell a-1) and the second's
    # margins (group 1 needs 45 of b's 25 people): commonground says so; R fills zero cells with 1e-10 and
    # fits that -- the cell grows to 18 and b's others vanish. zero_fill=1e-10 does what R does.
    with pytest.raises(InputError, match="zero cells"):
        mutual_difference(R_Z1, R_Z2)
    got = mutual_difference(R_Z1, R_Z2, zero_fill=1e-10)
    ref = r_shapley(R_Z1, R_Z2, fill=1e-10)
    assert got["M1"] == pytest.approx(m_hand(R_Z1), abs=1e-14)
    assert got["M2"] == pytest.approx(m_hand(R_Z2), abs=1e-14)
    assert got["additions_removals"] == pytest.approx(ref["additions"] + ref["removals"], abs=1e-12)
    for part in PARTS:
        assert got[part] == pytest.approx(ref[part], abs=1e-9), part
    assert got[[*PARTS, "additions_removals"]].sum() == pytest.approx(got["diff"], abs=1e-12)
    # "very small weights": the first table's weights / 1000 leave the structural term unchanged (R: 1e-3)
    small = mutual_difference(R_Z1 / 1000, R_Z2, zero_fill=1e-10)
    assert small["structural"] == pytest.approx(got["structural"], abs=1e-3)


@pytest.mark.parametrize("after", [R_OCC_COLS, R_OCC_ROWS], ids=["unit_c_doubled", "group_2_doubled"])
def test_marginal_change_is_not_structural(after: np.ndarray) -> None:
    # test_mutual_difference.R "correctly identifies marginal/structural changes": structural = 0 (R: tolerance
    # 1e-3) and unit_marginal is the largest term in absolute value, for both the unit-doubled and the
    # group-doubled table (doubling group 2 also moves the unit sizes a lot).
    d = mutual_difference(R_OCC, after)
    assert d["structural"] == pytest.approx(0, abs=1e-10)
    assert abs(d["unit_marginal"]) == d[PARTS].abs().max()


def test_difference_log_base() -> None:
    # test_mutual_difference.R "mutual_difference log base": base = 2 still gives diff = M2 - M1; every term is
    # the nats value / ln 2
    nats, bits = mutual_difference(R_T1, R_T2), mutual_difference(R_T1, R_T2, base=2)
    assert bits["diff"] == pytest.approx(bits["M2"] - bits["M1"], abs=1e-15)
    np.testing.assert_allclose(bits.to_numpy(float), nats.to_numpy(float) / math.log(2), atol=1e-14)


# -- randomisation: expected D under random allocation (Winship 1977) ----------------------------------------------


@pytest.mark.parametrize(("minority", "majority", "published"), [(1, 9, 0.387), (5, 5, 0.246), (10, 90, 0.131)])
def test_winship_expected_dissimilarity(minority: int, majority: int, published: float) -> None:
    # test_mutual_total_expected.R "dissimilarity - Winship 1977" (Social Forces 55, table 2): 1000 units of
    # (1, 9), (5, 5) and (10, 90) people; D expected under random allocation 0.387, 0.246, 0.131 (R checks its
    # dissimilarity_expected to relative tolerance 0.1). Hand: under the permutation null a unit's minority count
    # x ~ hypergeometric, and D = sum_i |x_i - n p| / (2 N p (1 - p)), so E[D] = E|x - n p| * units / (2 N p (1-p)).
    units, n = 1000, minority + majority
    total, k = units * n, units * minority
    x = np.arange(n + 1)
    exact = (stats.hypergeom.pmf(x, total, k, n) * np.abs(x - minority)).sum() * units / (2 * k * (1 - k / total))
    assert round(exact, 3) == pytest.approx(published, abs=0.0015)  # the published figure, to its 3 decimals
    c = Counts(np.tile([minority, majority], (units, 1)).astype(float), ["minority", "majority"])
    null = randomization_null(c, "dissimilarity", reps=40, seed=1977)
    expected = float(null.expected.loc["all", "minority"])
    sd_of_mean = float(null.sd.loc["all", "minority"]) / math.sqrt(40)
    assert expected == pytest.approx(exact, abs=5 * sd_of_mean)
    assert expected == pytest.approx(published, rel=0.02)


def test_zero_fill_must_be_a_count() -> None:
    with pytest.raises(InputError, match="zero_fill"):
        mutual_difference(R_T1, R_T2, zero_fill=-1e-10)
    # a positive table has no zero cells to fill: zero_fill changes nothing
    assert mutual_difference(R_T1, R_T2, zero_fill=1e-10).equals(mutual_difference(R_T1, R_T2))
