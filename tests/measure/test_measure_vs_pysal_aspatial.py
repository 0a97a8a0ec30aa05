"""Aspatial single-group and multigroup indices against PySAL ``segregation`` on real data, to 1e-9.

Expected values: PySAL ``segregation`` (the reference Python implementation) run in the test on the same
table -- Sacramento 2000 tracts and England & Wales 2011 output areas from ../shared/data. Where commonground
deliberately differs (a group absent from a region), the test shows the difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.measure import Counts, measure
from commonground.measure.table import INDICES

from .conftest import EW_GROUPS, EW_LADS, SAC_GROUPS

seg_single = pytest.importorskip("segregation.singlegroup")
seg_multi = pytest.importorskip("segregation.multigroup")
pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.usefixtures("pysal_gini_interpreted")]

TOL = 1e-9
SINGLE = {  # commonground name -> PySAL class
    "dissimilarity": seg_single.Dissim,
    "gini": seg_single.Gini,
    "isolation": seg_single.Isolation,
    "exposure": seg_single.Interaction,
    "entropy": seg_single.Entropy,
    "atkinson": seg_single.Atkinson,
    "correlation_ratio": seg_single.CorrelationR,
    "minmax": seg_single.MinMax,
    "concentration_profile": seg_single.ConProf,
}
#: registered with a deliberately different default; compared with convention="pysal" in
#: test_measure_vs_pysal_explicit.py (PySAL's optimiser stops at 0 for large theta)
DIFFERS = {"density_corrected_dissimilarity"}
MULTI = {
    "multi_dissimilarity": seg_multi.MultiDissim,
    "theil_h": seg_multi.MultiInfoTheory,
    "multi_gini": seg_multi.MultiGini,
    "normalized_exposure": seg_multi.MultiNormExposure,
    "squared_cv": seg_multi.MultiSquaredCoefVar,
    "relative_diversity": seg_multi.MultiRelativeDiversity,
    "divergence": seg_multi.MultiDivergence,
    "mutual_information": seg_multi.MultiDivergence,  # M is Roberto's divergence (nats)
    "entropy_diversity": seg_multi.MultiDiversity,
    "simpson_interaction": seg_multi.SimpsonsInteraction,
    "simpson_concentration": seg_multi.SimpsonsConcentration,
}


def test_every_registered_index_is_compared() -> None:
    # a new index in the registry without a PySAL comparison here should fail this test
    assert set(INDICES) == set(SINGLE) | set(MULTI) | DIFFERS


@pytest.mark.parametrize("name", list(SINGLE))
def test_single_group_sacramento(name: str, sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    ours = INDICES[name].func(sac_counts).loc["all"]
    for g in SAC_GROUPS:
        ref = SINGLE[name](sacramento, g, "TOT_POP").statistic
        assert ours[g] == pytest.approx(ref, abs=TOL), g


@pytest.mark.parametrize("name", list(MULTI))
def test_multigroup_sacramento(name: str, sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    # multigroup total = sum of the listed groups (WHITE_ + BLACK_ + ASIAN_ + HISP_), not TOT_POP
    ours = INDICES[name].func(sac_counts).loc["all"]
    assert ours == pytest.approx(MULTI[name](sacramento, SAC_GROUPS).statistic, abs=TOL)


def test_published_sacramento_values(sac_counts: Counts) -> None:
    # Figures asserted in PySAL segregation's own test-suite on its downloaded "Sacramento1" table
    # (segregation/tests/test_dissim.py, test_gini_seg.py, test_multi_information_theory.py, test_entropy.py):
    # matching them shows ../shared/data's CSV is the same table.
    table = measure(sac_counts, ["dissimilarity", "gini", "entropy", "theil_h"])
    assert table["dissimilarity[HISP_]"].iloc[0] == pytest.approx(0.32184656076566864, abs=1e-12)
    assert table["gini[HISP_]"].iloc[0] == pytest.approx(0.43506510676886234, abs=1e-12)
    assert table["entropy[HISP_]"].iloc[0] == pytest.approx(0.09626774479970557, abs=1e-12)
    assert table["theil_h"].iloc[0] == pytest.approx(0.1710160297858887, abs=1e-12)


@pytest.fixture(scope="module")
def ew_subset(ew_oa: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {lad: ew_oa[ew_oa["LAD"] == lad] for lad in EW_LADS}


@pytest.mark.parametrize("name", list(SINGLE))
def test_single_group_ew_per_lad(name: str, ew_counts: Counts, ew_subset: dict[str, pd.DataFrame]) -> None:
    # computed for all 348 LADs at once; PySAL run LAD by LAD on a subset
    ours = INDICES[name].func(ew_counts)
    for lad, frame in ew_subset.items():
        for g in EW_GROUPS:
            ref = SINGLE[name](frame, g, "Persons").statistic
            if np.isnan(ref):  # e.g. a group with nobody in the LAD: both undefined
                assert np.isnan(ours.loc[lad, g]), (lad, g)
            else:
                assert ours.loc[lad, g] == pytest.approx(ref, abs=TOL), (lad, g)


@pytest.mark.parametrize("name", list(MULTI))
def test_multigroup_ew_per_lad(name: str, ew_counts: Counts, ew_subset: dict[str, pd.DataFrame]) -> None:
    ours = INDICES[name].func(ew_counts)
    for lad, frame in ew_subset.items():
        assert ours.loc[lad] == pytest.approx(MULTI[name](frame, EW_GROUPS).statistic, abs=TOL), lad


@pytest.mark.parametrize("name", ["dissimilarity", "isolation", "exposure", "entropy", "atkinson",
                                  "correlation_ratio"])
def test_single_group_whole_country(name: str, ew_oa: pd.DataFrame) -> None:
    # England & Wales as one region, 181,408 output areas (Gini excluded: PySAL's is O(n^2))
    c = Counts.from_frame(ew_oa, EW_GROUPS, total="Persons")
    ours = INDICES[name].func(c).loc["all"]
    for g in ["WhiteBrit", "Pakistani", "BlkAfrican"]:
        assert ours[g] == pytest.approx(SINGLE[name](ew_oa, g, "Persons").statistic, abs=TOL), g


@pytest.mark.parametrize("name", [n for n in MULTI if n != "multi_gini"])
def test_multigroup_whole_country(name: str, ew_oa: pd.DataFrame) -> None:
    c = Counts.from_frame(ew_oa, EW_GROUPS, total="Persons")
    assert INDICES[name].func(c).loc["all"] == pytest.approx(MULTI[name](ew_oa, EW_GROUPS).statistic, abs=TOL)


def test_absent_group_deliberate_difference(ew_oa: pd.DataFrame, ew_counts: Counts) -> None:
    # Isles of Scilly: 7 of the 15 groups have nobody there. PySAL returns NaN for Theil's H, the squared
    # coefficient of variation and entropy diversity (0 * log 0); commonground drops absent groups, which
    # equals PySAL run on the groups that are present (docs/measure.md, "Groups absent from a region").
    scilly = ew_oa[ew_oa["LAD"] == "Isles of Scilly"]
    present = [g for g in EW_GROUPS if scilly[g].sum() > 0]
    assert len(present) == 8
    for name in ["theil_h", "squared_cv"]:
        assert np.isnan(MULTI[name](scilly, EW_GROUPS).statistic)
        ours = INDICES[name].func(ew_counts).loc["Isles of Scilly"]
        assert ours == pytest.approx(MULTI[name](scilly, present).statistic, abs=TOL)
    # entropy diversity: the entropy of the present groups, normalisation (if asked) still by ln(15)
    assert np.isnan(seg_multi.MultiDiversity(scilly, EW_GROUPS).statistic)
    ours = INDICES["entropy_diversity"].func(ew_counts).loc["Isles of Scilly"]
    assert ours == pytest.approx(seg_multi.MultiDiversity(scilly, present).statistic, abs=TOL)
    # indices PySAL already defines there agree as they are
    for name in ["multi_dissimilarity", "multi_gini", "normalized_exposure", "relative_diversity", "divergence"]:
        assert INDICES[name].func(ew_counts).loc["Isles of Scilly"] == pytest.approx(
            MULTI[name](scilly, EW_GROUPS).statistic, abs=TOL)


def test_absent_group_single_group_deliberate_difference(ew_oa: pd.DataFrame, ew_counts: Counts) -> None:
    # Melton has no Bangladeshi residents. PySAL's Isolation, Interaction, Entropy and CorrelationR then
    # return 0 (a nansum over terms that are all 0/0), which reads as "perfectly even" or "no contact";
    # commonground returns NaN like PySAL's own D, Gini and Atkinson: a group with nobody has no segregation.
    melton = ew_oa[ew_oa["LAD"] == "Melton"]
    assert melton["Bangladeshi"].sum() == 0
    for name in ["isolation", "exposure", "entropy", "correlation_ratio"]:
        assert SINGLE[name](melton, "Bangladeshi", "Persons").statistic == 0.0
        assert np.isnan(INDICES[name].func(ew_counts).loc["Melton", "Bangladeshi"])
    for name in ["dissimilarity", "gini", "atkinson"]:
        assert np.isnan(SINGLE[name](melton, "Bangladeshi", "Persons").statistic)
        assert np.isnan(INDICES[name].func(ew_counts).loc["Melton", "Bangladeshi"])
    # groups that are present agree as everywhere else
    assert INDICES["isolation"].func(ew_counts).loc["Melton", "Arab"] == pytest.approx(
        SINGLE["isolation"](melton, "Arab", "Persons").statistic, abs=TOL)
