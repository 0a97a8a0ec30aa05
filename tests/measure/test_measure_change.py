"""M decompositions, change over time, two-sample tests and the systematic nulls.

Expected values: the chain rule of mutual information and hand-derived facts (a table rescaled by rows and
columns keeps its structure, so its structural change is 0); R ``segregation``'s own test invariants for
``mutual_difference`` on its test tables (tests/testthat/test_mutual_difference.R: components add up to the
difference, swapping the tables negates every component, swapping units and groups swaps the two marginal
terms) -- R is not installable here and its published schools00 figures need data we do not have; PySAL's
``DecomposeSegregation`` run in the test (to 1e-9); PySAL's simulators run in the test (in distribution).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from commonground.errors import InputError
from commonground.measure import Counts, dissimilarity, randomization_null
from commonground.measure.compare import decompose_difference, one_region, two_sample_test
from commonground.measure.multigroup import mutual_information, theil_h
from commonground.measure.mutual import ipf, mutual_difference, mutual_hierarchy, mutual_within

# R segregation's test tables (tests/testthat/test_mutual_difference.R): units a, b x groups 1..4
R_T1 = np.array([[40, 30, 20, 10], [5, 10, 15, 20]], dtype=float)
R_T2 = np.array([[20, 20, 20, 15], [5, 10, 10, 15]], dtype=float)


def test_mutual_difference_r_invariants() -> None:
    sh1 = mutual_difference(R_T1, R_T2)
    assert sh1["diff"] == pytest.approx(sh1["M2"] - sh1["M1"], abs=1e-15)
    assert sh1[["group_marginal", "unit_marginal", "structural"]].sum() == pytest.approx(sh1["diff"], abs=1e-12)
    assert sh1["additions_removals"] == pytest.approx(0, abs=1e-15)
    sh3 = mutual_difference(R_T2, R_T1)  # swapped tables: every component negated (Shapley is symmetric)
    np.testing.assert_allclose(sh3[["group_marginal", "unit_marginal", "structural"]].to_numpy(),
                               -sh1[["group_marginal", "unit_marginal", "structural"]].to_numpy(), atol=1e-10)
    sh2 = mutual_difference(R_T1.T, R_T2.T)  # units and groups swapped: the marginal terms swap
    assert sh2["structural"] == pytest.approx(sh1["structural"], abs=1e-10)
    assert sh2["unit_marginal"] == pytest.approx(sh1["group_marginal"], abs=1e-10)


def test_hand_worked_m() -> None:
    # units a = (40, 30, 20, 10), b = (5, 10, 15, 20): M = sum p_ug ln(p_ug / (p_u p_g)), by hand below
    p = R_T1 / R_T1.sum()
    hand = sum(p[u, g] * np.log(p[u, g] / (p[u].sum() * p[:, g].sum())) for u in range(2) for g in range(4))
    assert mutual_difference(R_T1, R_T1)["M1"] == pytest.approx(hand, abs=1e-15)
    assert mutual_information(Counts(R_T1)).loc["all"] == pytest.approx(hand, abs=1e-15)


@given(arrays(np.float64, (5, 3), elements=st.floats(1, 100)), arrays(np.float64, 5, elements=st.floats(0.2, 5)),
       arrays(np.float64, 3, elements=st.floats(0.2, 5)))
def test_rescaled_table_has_no_structural_change(t: np.ndarray, r: np.ndarray, k: np.ndarray) -> None:
    # diag(r) T diag(k) has T's odds ratios: any change in M is marginal, none structural
    d = mutual_difference(t, r[:, None] * t * k[None, :])
    assert d["structural"] == pytest.approx(0, abs=1e-8)
    assert d["group_marginal"] + d["unit_marginal"] == pytest.approx(d["diff"], abs=1e-8)


@given(arrays(np.float64, (4, 3), elements=st.floats(1, 100)), arrays(np.float64, (4, 3), elements=st.floats(1, 100)))
def test_same_margins_change_is_structural(a: np.ndarray, b: np.ndarray) -> None:
    b_fit = ipf(b, a.sum(axis=1), a.sum(axis=0))  # b's structure on a's margins
    d = mutual_difference(a, b_fit)
    assert d["group_marginal"] == pytest.approx(0, abs=1e-8)
    assert d["unit_marginal"] == pytest.approx(0, abs=1e-8)
    assert d["structural"] == pytest.approx(d["diff"], abs=1e-8)


def test_hierarchy_adds_up_and_matches_aggregates(ew_oa: pd.DataFrame) -> None:
    from .conftest import EW_GROUPS

    x = ew_oa[EW_GROUPS].to_numpy(dtype=float)
    h = mutual_hierarchy(x, [ew_oa["LAD"], ew_oa["LSOA"]], names=["LAD", "LSOA"])
    assert h.loc[h.index != "total", "M"].sum() == pytest.approx(h.loc["total", "M"], abs=1e-12)
    # the total is M of the output areas; the first term M of the authorities' table
    assert h.loc["total", "M"] == pytest.approx(mutual_information(Counts(x)).loc["all"], abs=1e-12)
    assert h.loc["total", "H"] == pytest.approx(theil_h(Counts(x)).loc["all"], abs=1e-12)
    lad = ew_oa.groupby("LAD")[EW_GROUPS].sum().to_numpy(dtype=float)
    assert h.loc["between LAD", "M"] == pytest.approx(mutual_information(Counts(lad)).loc["all"], abs=1e-12)
    # within term = population-weighted M of each authority (mutual_within)
    w = mutual_within(Counts.from_frame(ew_oa, EW_GROUPS, by="LAD"))
    assert (w["p"] * w["M"]).sum() == pytest.approx(h.loc[h.index.str.contains("within"), "M"].sum(), abs=1e-12)
    assert w.attrs["M_total"] == pytest.approx(h.loc["total", "M"], abs=1e-12)


def test_hierarchy_must_nest() -> None:
    with pytest.raises(InputError, match="not nested"):
        mutual_hierarchy(np.ones((3, 2)), [["a", "a", "b"], ["x", "y", "x"]])


# -- PySAL's decomposition and two-sample tests ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_cities(ew_oa: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return ew_oa[ew_oa["LAD"] == "Slough"], ew_oa[ew_oa["LAD"] == "Oldham"]


@pytest.mark.parametrize("approach", ["composition", "dual_composition", "share"])
@pytest.mark.filterwarnings("ignore")
def test_decomposition_equals_pysal(approach: str, two_cities) -> None:
    dec = pytest.importorskip("segregation.decomposition")
    sg = pytest.importorskip("segregation.singlegroup")
    a, b = two_cities
    groups = ["WhiteBrit", "Pakistani", "Indian"]
    ours = decompose_difference(Counts.from_frame(a, groups, total="Persons"),
                                Counts.from_frame(b, groups, total="Persons"), approach=approach)
    for g in groups:
        ref = dec.DecomposeSegregation(sg.Dissim(a, g, "Persons"), sg.Dissim(b, g, "Persons"),
                                       counterfactual_approach=approach)
        assert ours.loc[g, "spatial"] == pytest.approx(ref.c_s, abs=1e-9)
        assert ours.loc[g, "composition"] == pytest.approx(ref.c_a, abs=1e-9)
        assert ours.loc[g, "spatial"] + ours.loc[g, "composition"] == pytest.approx(ours.loc[g, "diff"], abs=1e-12)


def test_two_sample_same_process_not_rejected_and_different_cities_rejected(two_cities) -> None:
    a, b = two_cities
    ca = Counts.from_frame(a, ["WhiteBrit", "Pakistani"], total="Persons")
    # two random halves of one city: same process, the test should not reject (p well above 0.01)
    rng = np.random.default_rng(4)
    idx = rng.permutation(len(a))
    half1, half2 = a.iloc[idx[: len(a) // 2]], a.iloc[idx[len(a) // 2:]]
    same = two_sample_test(Counts.from_frame(half1, ["WhiteBrit", "Pakistani"], total="Persons"),
                           Counts.from_frame(half2, ["WhiteBrit", "Pakistani"], total="Persons"), reps=199, seed=1)
    assert (same.p_value > 0.01).all()
    diff = two_sample_test(ca, Counts.from_frame(b, ["WhiteBrit", "Pakistani"], total="Persons"), reps=99, seed=1)
    assert (diff.p_value == 0).all()
    perm = two_sample_test(ca, Counts.from_frame(b, ["WhiteBrit", "Pakistani"], total="Persons"), "theil_h",
                           null="person_permutation", reps=49, seed=1)
    assert perm.p_value.iloc[0] == 0 and perm.draws.shape == (49, 1)


def test_one_region(ew_counts: Counts) -> None:
    s = one_region(ew_counts, "Slough")
    assert s.n_regions == 1 and s.n_units == int((np.asarray(ew_counts.regions)[ew_counts.codes] == "Slough").sum())
    assert dissimilarity(s).iloc[0].to_numpy() == pytest.approx(dissimilarity(ew_counts).loc["Slough"].to_numpy())
    with pytest.raises(InputError, match="unknown region"):
        one_region(ew_counts, "Atlantis")


# -- systematic nulls: agree in distribution with PySAL ------------------------------------------------------------
@pytest.mark.filterwarnings("ignore")
def test_systematic_null_matches_pysal_in_distribution(sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    rand = pytest.importorskip("segregation.inference.randomization")
    sg = pytest.importorskip("segregation.singlegroup")
    np.random.seed(7)  # noqa: NPY002 - PySAL's simulators draw from NumPy's global generator
    frame = sacramento[["BLACK_", "TOT_POP"]].copy()
    pysal = np.array([sg.Dissim(rand.simulate_systematic_randomization(frame.copy(), group="BLACK_",
                                                                       total="TOT_POP"), "BLACK_",
                                "TOT_POP").statistic for _ in range(200)])
    ours = randomization_null(sac_counts, "dissimilarity", reps=400, null="systematic", seed=3).draws[:, 0, 1]
    assert stats.ks_2samp(ours, pysal).pvalue > 0.001
    assert abs(ours.mean() - pysal.mean()) < 4 * pysal.std() / np.sqrt(200) + 4 * ours.std() / np.sqrt(400)


def test_systematic_permutation_moves_units_for_spatial_index(sac_counts: Counts, sac_rook_edges) -> None:
    from commonground.measure import spatial_dissimilarity

    def sd(c: Counts) -> pd.DataFrame:
        return spatial_dissimilarity(c, sac_rook_edges)

    null = randomization_null(sac_counts, sd, reps=30, null="systematic_permutation", seed=2)
    plain = randomization_null(sac_counts, sd, reps=30, null="systematic", seed=2)
    assert null.draws.shape == plain.draws.shape == (30, 1, 4)
    assert not np.allclose(null.draws, plain.draws)
    # unit totals vary under the systematic null but each group's total is kept
    assert (null.p_value.to_numpy() <= 1).all()


@pytest.mark.filterwarnings("ignore")
def test_random_label_null_matches_pysal_in_distribution(ew_oa: pd.DataFrame) -> None:
    # PySAL's TwoValueTest(random_label) draws against ours for D of Indian residents, Rutland vs Adur
    inf = pytest.importorskip("segregation.inference")
    sg = pytest.importorskip("segregation.singlegroup")
    # float columns: PySAL's label shuffling writes rounded floats back into the frame (fails on int columns
    # under pandas 3)
    cols = {"Indian": float, "Persons": float}
    a = ew_oa[ew_oa["LAD"] == "Rutland"].astype(cols)
    b = ew_oa[ew_oa["LAD"] == "Adur"].astype(cols)
    np.random.seed(5)  # noqa: NPY002 - PySAL's simulators draw from NumPy's global generator
    ref = inf.TwoValueTest(sg.Dissim(a, "Indian", "Persons"), sg.Dissim(b, "Indian", "Persons"),
                           iterations_under_null=150, null_approach="random_label", n_jobs=1)
    ours = two_sample_test(Counts.from_frame(a, ["Indian"], total="Persons"),
                           Counts.from_frame(b, ["Indian"], total="Persons"), reps=300, seed=2)
    assert ours.difference.iloc[0] == pytest.approx(ref.est_point_diff, abs=1e-9)  # same observed difference
    pysal = np.asarray(ref.est_sim, dtype=float)
    assert stats.ks_2samp(ours.draws[:, 0], pysal).pvalue > 0.001


def test_worked_example_figures(shared_data) -> None:
    # docs/measure.md quotes these figures from examples/sg_change_2015_2020.py; the example must still give them
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("sg_example", Path(__file__).resolve().parents[2] / "examples"
                                                  / "sg_change_2015_2020.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a, b = mod.matched()
    assert len(a) == 55 and a.index.is_unique
    d = mutual_difference(a[mod.GROUPS].to_numpy(float), b[mod.GROUPS].to_numpy(float))
    assert d["M1"] == pytest.approx(0.01959, abs=5e-6) and d["M2"] == pytest.approx(0.02176, abs=5e-6)
    assert d["structural"] == pytest.approx(0.00230, abs=5e-6)
    assert d["unit_marginal"] == pytest.approx(-0.00037, abs=5e-6)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("null", ["composition", "person_permutation"])
def test_other_two_sample_nulls_match_pysal_in_distribution(null: str, ew_oa: pd.DataFrame) -> None:
    inf = pytest.importorskip("segregation.inference")
    sg = pytest.importorskip("segregation.singlegroup")
    cols = {"Indian": float, "Persons": float}
    a = ew_oa[ew_oa["LAD"] == "Rutland"].astype(cols)
    b = ew_oa[ew_oa["LAD"] == "Adur"].astype(cols)
    np.random.seed(6)  # noqa: NPY002 - PySAL's simulators draw from NumPy's global generator
    ref = inf.TwoValueTest(sg.Dissim(a, "Indian", "Persons"), sg.Dissim(b, "Indian", "Persons"),
                           iterations_under_null=120, null_approach=null, n_jobs=1)
    ours = two_sample_test(Counts.from_frame(a, ["Indian"], total="Persons"),
                           Counts.from_frame(b, ["Indian"], total="Persons"), null=null, reps=240, seed=3)
    assert stats.ks_2samp(ours.draws[:, 0], np.asarray(ref.est_sim, dtype=float)).pvalue > 0.001
