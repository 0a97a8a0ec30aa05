"""Spatial and local measures against PySAL ``segregation`` on the Sacramento tracts and their shapefile.

Expected values: PySAL run in the test on the same data (polygons from ../shared/data/sacramento_shp,
projected to UTM 10N; weights from libpysal). Deliberate differences (spatial proximity's decay, kernel
self-weight and rounding) are shown next to the agreeing PySAL-convention value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.measure import (
    Counts,
    dissimilarity,
    local_entropy,
    local_simpson,
    location_quotients,
    measure,
    smooth,
    spatial_dissimilarity,
    spatial_proximity,
    theil_h,
    theil_h_contributions,
)
from commonground.measure.table import INDICES

from .conftest import EW_GROUPS, SAC_GROUPS

seg_single = pytest.importorskip("segregation.singlegroup")
seg_multi = pytest.importorskip("segregation.multigroup")
seg_local = pytest.importorskip("segregation.local")
libpysal = pytest.importorskip("libpysal")
pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.usefixtures("pysal_gini_interpreted")]
TOL = 1e-9


def _edges(w, ids) -> list[tuple[int, int]]:
    return [(ids[i], ids[j]) for i, nb in w.neighbors.items() for j in nb]


@pytest.fixture(scope="module")
def weights(sac_gdf):
    ids = sac_gdf["POLYID"].to_numpy()
    queen = libpysal.weights.Queen.from_dataframe(sac_gdf, use_index=False)
    rook = libpysal.weights.Rook.from_dataframe(sac_gdf, use_index=False)
    return {"queen": (queen, _edges(queen, ids)), "rook": (rook, _edges(rook, ids))}


@pytest.mark.parametrize("kind", ["queen", "rook"])
@pytest.mark.parametrize("standardize", [False, True])
def test_spatial_dissimilarity(kind: str, standardize: bool, weights, sac_gdf, sac_counts: Counts) -> None:
    w, edges = weights[kind]
    ours = spatial_dissimilarity(sac_counts, edges, standardize=standardize).loc["all"]
    for g in SAC_GROUPS:
        ref = seg_single.SpatialDissim(sac_gdf, g, "TOT_POP", w=w, standardize=standardize).statistic
        assert ours[g] == pytest.approx(ref, abs=TOL), g


def test_spatial_dissimilarity_default_queen(sac_gdf, sac_counts: Counts, weights) -> None:
    # PySAL's default weights (w=None) are queen contiguity built from the polygons
    ours = spatial_dissimilarity(sac_counts, weights["queen"][1]).loc["all"]
    for g in SAC_GROUPS:
        assert ours[g] == pytest.approx(seg_single.SpatialDissim(sac_gdf, g, "TOT_POP").statistic, abs=TOL)


def test_shared_queen_edge_file_is_rook_contiguity(sac_rook_edges: pd.DataFrame, weights, sac_gdf,
                                                   sac_counts: Counts) -> None:
    # Finding: ../shared/data/us_sacramento_tracts_2000_queen_edges.csv has exactly libpysal's *rook* pairs
    # (2,128); queen adds 394 pairs of tracts that meet only at a corner. With that file our value equals
    # PySAL's SpatialDissim with rook weights, not its (queen) default.
    file_pairs = set(map(tuple, sac_rook_edges.to_numpy().tolist()))
    assert file_pairs == set(weights["rook"][1])
    assert len(set(weights["queen"][1]) - file_pairs) == 394
    ours = spatial_dissimilarity(sac_counts, sac_rook_edges).loc["all"]
    rook = weights["rook"][0]
    for g in SAC_GROUPS:
        assert ours[g] == pytest.approx(seg_single.SpatialDissim(sac_gdf, g, "TOT_POP", w=rook).statistic,
                                        abs=TOL)


def test_spatial_dissimilarity_edges_one_direction_suffice(sac_rook_edges: pd.DataFrame, sac_counts: Counts) -> None:
    # contiguity is symmetric: listing each pair once (i < j) gives the same value as both directions
    once = sac_rook_edges[sac_rook_edges.iloc[:, 0] < sac_rook_edges.iloc[:, 1]]
    assert len(once) * 2 == len(sac_rook_edges)
    for std in (False, True):
        pd.testing.assert_frame_equal(spatial_dissimilarity(sac_counts, once, standardize=std),
                                      spatial_dissimilarity(sac_counts, sac_rook_edges, standardize=std))


def test_spatial_proximity_pysal_convention(sac_gdf, sac_xy_area, sac_counts: Counts) -> None:
    xy, area = sac_xy_area
    ours = spatial_proximity(sac_counts, xy, area, convention="pysal").loc["all"]
    for g in SAC_GROUPS:
        assert ours[g] == pytest.approx(seg_single.SpatialProximity(sac_gdf, g, "TOT_POP").statistic, abs=TOL)


def test_spatial_proximity_default_differs_from_pysal(sac_gdf, sac_xy_area, sac_counts: Counts) -> None:
    # Deliberate difference: commonground uses Massey & Denton's c_ij = exp(-d_ij) (proximity falls with
    # distance); PySAL uses 1 - exp(-d_ij / column sum), which rises with distance. Distances in km here.
    xy, area = sac_xy_area
    ours = spatial_proximity(sac_counts, xy / 1000, area / 1e6).loc["all"]
    pysal = np.array([seg_single.SpatialProximity(sac_gdf, g, "TOT_POP").statistic for g in SAC_GROUPS])
    assert np.abs(ours.to_numpy() - pysal).min() > 1e-3
    assert (ours > 1).all()  # every group clusters more than the population does


@pytest.mark.parametrize("kernel", ["triangular", "gaussian", "uniform", "quartic"])
@pytest.mark.parametrize("bandwidth", [2000, 5000])
def test_kernel_smoothed_pysal_convention(kernel: str, bandwidth: int, sac_gdf, sac_xy_area,
                                          sac_counts: Counts) -> None:
    # PySAL's distance= indices: egohood = kernel-weighted sums, self weight 1, rounded counts
    xy, _ = sac_xy_area
    sm = smooth(sac_counts, xy, bandwidth, kernel=kernel, convention="pysal")
    for name, cls in [("dissimilarity", seg_single.Dissim), ("gini", seg_single.Gini),
                      ("isolation", seg_single.Isolation), ("entropy", seg_single.Entropy)]:
        ours = INDICES[name].func(sm).loc["all"]
        for g in ["BLACK_", "HISP_"]:
            ref = cls(sac_gdf, g, "TOT_POP", distance=bandwidth, function=kernel).statistic
            assert ours[g] == pytest.approx(ref, abs=TOL), (name, g)
    for name, cls in [("theil_h", seg_multi.MultiInfoTheory), ("multi_dissimilarity", seg_multi.MultiDissim)]:
        ref = cls(sac_gdf, SAC_GROUPS, distance=bandwidth, function=kernel).statistic
        assert INDICES[name].func(sm).loc["all"] == pytest.approx(ref, abs=TOL), name


def test_kernel_smoothed_pysal_convention_groups_only(sacramento: pd.DataFrame, sac_gdf, sac_xy_area) -> None:
    # no total column: the unit total is the sum of the groups. PySAL, given that sum as its total, smooths
    # and rounds it on its own (single-group) but sums the rounded groups (multigroup); so must we.
    xy, _ = sac_xy_area
    c = Counts.from_frame(sacramento, SAC_GROUPS, unit="POLYID")
    gdf = sac_gdf.assign(group_sum=sacramento[SAC_GROUPS].sum(axis=1).to_numpy())
    sm = smooth(c, xy, 3000, convention="pysal")
    ours = dissimilarity(sm).loc["all"]
    for g in SAC_GROUPS:
        ref = seg_single.Dissim(gdf, g, "group_sum", distance=3000).statistic
        assert ours[g] == pytest.approx(ref, abs=TOL), g
    ref = seg_multi.MultiInfoTheory(gdf, SAC_GROUPS, distance=3000).statistic
    assert theil_h(sm).loc["all"] == pytest.approx(ref, abs=TOL)


def test_kernel_smoothed_default_differs_from_pysal(sac_gdf, sac_xy_area, sac_counts: Counts) -> None:
    # Deliberate differences: no rounding of smoothed counts, and a unit's own weight is K(0) rather than 1.
    # With the triangular kernel K(0) = 1, so only rounding differs: a tiny gap. With the uniform kernel
    # (K = 0.5 for neighbours) PySAL weighs a unit's own residents double: a visible gap.
    xy, _ = sac_xy_area
    tri = dissimilarity(smooth(sac_counts, xy, 2000)).loc["all", "BLACK_"]
    tri_pysal = seg_single.Dissim(sac_gdf, "BLACK_", "TOT_POP", distance=2000).statistic
    assert 0 < abs(tri - tri_pysal) < 1e-4
    uni = dissimilarity(smooth(sac_counts, xy, 2000, kernel="uniform")).loc["all", "BLACK_"]
    uni_pysal = seg_single.Dissim(sac_gdf, "BLACK_", "TOT_POP", distance=2000, function="uniform").statistic
    assert abs(uni - uni_pysal) > 1e-2


def test_location_quotients(sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    ref = seg_local.MultiLocationQuotient(sacramento, SAC_GROUPS).statistics
    ours = location_quotients(sac_counts)
    assert list(ours.index) == list(sacramento["POLYID"])  # caller's row order, indexed by unit id
    np.testing.assert_allclose(ours.to_numpy(), ref, atol=TOL, rtol=0)


@pytest.mark.parametrize("normalized", [False, True])
def test_local_entropy(normalized: bool, sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    cls = seg_local.MultiLocalEntropy if normalized else seg_local.MultiLocalDiversity
    np.testing.assert_allclose(local_entropy(sac_counts, normalized=normalized).to_numpy(),
                               cls(sacramento, SAC_GROUPS).statistics, atol=TOL, rtol=0)


@pytest.mark.parametrize("kind", ["interaction", "concentration"])
def test_local_simpson(kind: str, sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    cls = (seg_local.MultiLocalSimpsonInteraction if kind == "interaction"
           else seg_local.MultiLocalSimpsonConcentration)
    np.testing.assert_allclose(local_simpson(sac_counts, kind).to_numpy(), cls(sacramento, SAC_GROUPS).statistics,
                               atol=TOL, rtol=0)


@pytest.mark.parametrize("form", ["divergence", "entropy"])
def test_theil_contributions_sum_to_pysal_h(form: str, sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    contrib = theil_h_contributions(sac_counts, form=form)
    assert contrib.sum() == pytest.approx(seg_multi.MultiInfoTheory(sacramento, SAC_GROUPS).statistic, abs=TOL)


def test_theil_contributions_per_unit_from_pysal_parts(sacramento: pd.DataFrame, sac_counts: Counts) -> None:
    # entropy form, unit by unit, rebuilt from PySAL's local diversity E_i and regional diversity E:
    # tau_i (E - E_i) / (T E) (Reardon & Firebaugh 2002, eq. 2)
    tau = sacramento[SAC_GROUPS].sum(axis=1).to_numpy()
    e_i = seg_local.MultiLocalDiversity(sacramento, SAC_GROUPS).statistics
    e = seg_multi.MultiDiversity(sacramento, SAC_GROUPS).statistic
    np.testing.assert_allclose(theil_h_contributions(sac_counts, form="entropy").to_numpy(),
                               tau * (e - e_i) / (tau.sum() * e), atol=TOL, rtol=0)
    assert (theil_h_contributions(sac_counts).to_numpy() >= -1e-15).all()  # divergence form never negative


def test_theil_contributions_sum_per_region(ew_counts: Counts) -> None:
    # by-region: contributions of each LAD's output areas add up to that LAD's H
    contrib = theil_h_contributions(ew_counts)
    sums = contrib.groupby(np.asarray(contrib.attrs["region"])).sum()
    h = theil_h(ew_counts)
    np.testing.assert_allclose(sums.reindex(h.index).to_numpy(), h.to_numpy(), atol=1e-9, rtol=0)


def test_local_by_region_uses_own_region_shares(ew_oa: pd.DataFrame, ew_counts: Counts) -> None:
    # location quotients per LAD equal PySAL's run on that LAD alone
    lq = location_quotients(ew_counts)
    frame = ew_oa[ew_oa["LAD"] == "Slough"]
    ref = seg_local.MultiLocationQuotient(frame, EW_GROUPS).statistics
    np.testing.assert_allclose(lq.loc[frame["OA"]].to_numpy(), ref, atol=TOL, rtol=0)


def test_smooth_then_measure_table(sac_xy_area, sac_counts: Counts) -> None:
    # smoothing keeps units, groups and regions: the whole registry applies
    xy, _ = sac_xy_area
    table = measure(smooth(sac_counts, xy, 3000))
    assert table.shape == (1, 10 * 4 + 11)
    assert np.isfinite(table.to_numpy()).all()
