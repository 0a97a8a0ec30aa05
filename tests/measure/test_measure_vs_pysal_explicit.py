"""Issue 14's spatial and evenness indices against PySAL ``segregation`` (installed version), to 1e-9.

Expected values: PySAL run in the test on the same data -- the Sacramento 2000 tracts with their real
polygons (../shared/data/sacramento_shp, projected to UTM 10N) and, where no geometry is needed, England &
Wales 2011 output areas. Deliberate differences are shown next to the agreeing PySAL-convention value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.measure import Counts, measure
from commonground.measure import boundary as bd
from commonground.measure import evenness as ev
from commonground.measure import explicit as ex
from commonground.measure import profiles as pr
from commonground.measure.multigroup import divergence, mutual_information, theil_h

from .conftest import EW_GROUPS, SAC_GROUPS

sg = pytest.importorskip("segregation.singlegroup")
smg = pytest.importorskip("segregation.multigroup")
slocal = pytest.importorskip("segregation.local")
libpysal = pytest.importorskip("libpysal")
geo = pytest.importorskip("commonground.measure.geo")
pytestmark = pytest.mark.filterwarnings("ignore")
TOL = 1e-9


@pytest.fixture(scope="module")
def gdf(sac_gdf, sacramento):
    return sac_gdf.assign(**{g: sacramento[g].to_numpy() for g in [*SAC_GROUPS, "TOT_POP"]})


@pytest.fixture(scope="module")
def ug(gdf):
    return geo.unit_geometry(gdf)


def _pysal(cls, gdf, **kw) -> np.ndarray:
    return np.array([cls(gdf, g, "TOT_POP", **kw).statistic for g in SAC_GROUPS])


@pytest.mark.parametrize("name, cls", [
    ("absolute_centralization", "AbsoluteCentralization"), ("relative_centralization", "RelativeCentralization"),
    ("absolute_concentration", "AbsoluteConcentration"), ("relative_concentration", "RelativeConcentration"),
    ("delta", "Delta")])
def test_massey_denton_explicit(name, cls, gdf, ug, sac_counts: Counts) -> None:
    args = {"absolute_centralization": (ug.coords, ug.areas), "relative_centralization": (ug.coords,)}.get(
        name, (ug.areas,))
    ours = getattr(ex, name)(sac_counts, *args).loc["all"].to_numpy()
    np.testing.assert_allclose(ours, _pysal(getattr(sg, cls), gdf), atol=TOL, rtol=0)


@pytest.mark.parametrize("center", ["median", "population_weighted_mean", "largest_population"])
def test_centralization_centres(center, gdf, ug, sac_counts: Counts) -> None:
    ours = ex.absolute_centralization(sac_counts, ug.coords, ug.areas, center=center).loc["all"].to_numpy()
    np.testing.assert_allclose(ours, _pysal(sg.AbsoluteCentralization, gdf, center=center), atol=TOL, rtol=0)


@pytest.mark.parametrize("relative", [False, True])
def test_clustering_pysal_convention(relative, gdf, ug, sac_counts: Counts) -> None:
    f = ex.relative_clustering if relative else ex.absolute_clustering
    ref = _pysal(sg.RelativeClustering if relative else sg.AbsoluteClustering, gdf)
    np.testing.assert_allclose(f(sac_counts, ug.coords, ug.areas, convention="pysal").loc["all"].to_numpy(), ref,
                               atol=TOL, rtol=0)
    # Deliberate difference: the default is Massey & Denton's exp(-d) decay and sum x_i x_j c_ij
    assert np.abs(f(sac_counts, ug.coords / 1000, ug.areas / 1e6).loc["all"].to_numpy() - ref).max() > 1e-2


def test_shared_boundaries_equal_pysal_length_weights(gdf) -> None:
    from segregation._base import _return_length_weighted_w

    ours = geo.shared_boundaries(gdf.reset_index(drop=True))
    w = _return_length_weighted_w(gdf.reset_index(drop=True)).to_adjlist(drop_islands=True)
    merged = ours.merge(w, left_on=["unit", "neighbour"], right_on=["focal", "neighbor"], how="outer")
    assert len(merged) == len(ours) == len(w)  # the same rook pairs
    np.testing.assert_allclose(merged["length"], merged["weight"], rtol=1e-12)


@pytest.mark.parametrize("standardize", [False, True])
def test_boundary_and_par_dissimilarity(standardize, gdf, ug, sac_counts: Counts) -> None:
    lengths = geo.shared_boundaries(gdf, unit="POLYID")
    ours = bd.boundary_dissimilarity(sac_counts, lengths, standardize=standardize).loc["all"].to_numpy()
    np.testing.assert_allclose(ours, _pysal(sg.BoundarySpatialDissim, gdf, standardize=standardize), atol=TOL,
                               rtol=0)
    ours = bd.par_dissimilarity(sac_counts, lengths, ug.perimeters, ug.areas, standardize=standardize)
    ref = _pysal(sg.PARDissim, gdf, standardize=standardize)
    # unstandardised PARD is of order 1e5 (raw lengths x perimeter/area): compare relative to its size
    np.testing.assert_allclose(ours.loc["all"].to_numpy(), ref, atol=TOL * max(1.0, np.abs(ref).max()), rtol=0)


def test_shared_queen_contiguity_file_is_queen(shared_data, gdf) -> None:
    # the note: ..._queen_contiguity_edges.csv is true queen contiguity (libpysal's Queen pairs)
    edges = pd.read_csv(shared_data / "us_sacramento_tracts_2000_queen_contiguity_edges.csv")
    queen = libpysal.weights.Queen.from_dataframe(gdf, use_index=False)
    ids = gdf["POLYID"].to_numpy()
    assert set(map(tuple, edges.iloc[:, :2].to_numpy().tolist())) == {
        (ids[i], ids[j]) for i, nb in queen.neighbors.items() for j in nb}


def test_spatial_proximity_profile(shared_data, gdf, sac_counts: Counts) -> None:
    edges = pd.read_csv(shared_data / "us_sacramento_tracts_2000_queen_contiguity_edges.csv")
    queen = libpysal.weights.Queen.from_dataframe(gdf, use_index=False)
    ref = _pysal(sg.SpatialProxProf, gdf, w=queen)
    np.testing.assert_allclose(bd.spatial_proximity_profile(sac_counts, edges).loc["all"], ref, atol=TOL, rtol=0)
    # a libpysal W (ids = row numbers) and a libpysal Graph give the same
    np.testing.assert_allclose(bd.spatial_proximity_profile(sac_counts, queen).loc["all"], ref, atol=TOL, rtol=0)
    graph = libpysal.graph.Graph.from_W(queen)
    np.testing.assert_allclose(bd.spatial_proximity_profile(sac_counts, graph).loc["all"], ref, atol=TOL, rtol=0)
    curves = bd.spatial_proximity_profile(sac_counts, edges, curve=True)
    assert len(curves) == 4 * 1000
    ref_curve = sg.SpatialProxProf(gdf, "BLACK_", "TOT_POP", w=queen).curve
    np.testing.assert_allclose(curves[curves["group"] == "BLACK_"]["spatial_proximity_profile"], ref_curve,
                               atol=TOL, rtol=0)


def test_local_relative_centralization(gdf, ug, sac_counts: Counts) -> None:
    ours = pr.local_relative_centralization(sac_counts, ug.coords)
    for g in ["BLACK_", "HISP_"]:
        ref = slocal.LocalRelativeCentralization(gdf, g, "TOT_POP").statistics
        np.testing.assert_allclose(ours[g].to_numpy(), ref, atol=TOL, rtol=0)


def test_distortion(gdf, ug, sacramento) -> None:
    c = Counts.from_frame(sacramento, SAC_GROUPS, unit="POLYID")
    np.testing.assert_allclose(pr.local_distortion(c, ug.coords).to_numpy(),
                               slocal.LocalDistortion(gdf, SAC_GROUPS).statistics.to_numpy(), atol=TOL, rtol=0)
    assert pr.global_distortion(c, ug.coords).loc["all"] == pytest.approx(
        smg.GlobalDistortion(gdf, SAC_GROUPS).statistic, abs=TOL)


def test_multiscalar_profiles(gdf, ug, sac_counts: Counts, sacramento) -> None:
    from segregation.dynamics import compute_multiscalar_profile

    d = [1000, 2500, 5000]
    ours = pr.multiscalar_profile(sac_counts, ug.coords, d, "dissimilarity")
    ref = compute_multiscalar_profile(gdf, sg.Dissim, group_pop_var="HISP_", total_pop_var="TOT_POP", distances=d)
    np.testing.assert_allclose(ours["HISP_"].to_numpy(), ref.to_numpy(), atol=TOL, rtol=0)
    c = Counts.from_frame(sacramento, SAC_GROUPS, unit="POLYID")
    ours = pr.multiscalar_profile(c, ug.coords, d, "theil_h")
    ref = compute_multiscalar_profile(gdf, smg.MultiInfoTheory, groups=SAC_GROUPS, distances=d)
    np.testing.assert_allclose(ours.iloc[:, 0].to_numpy(), ref.to_numpy(), atol=TOL, rtol=0)
    assert list(ours.index) == [0.0, *map(float, d)]


# -- aspatial: Sacramento and England & Wales ------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls, kw", [("minmax", "MinMax", {}), ("concentration_profile", "ConProf", {}),
                                          ("density_corrected_dissimilarity", "DensityCorrectedDissim",
                                           {"convention": "pysal"})])
def test_evenness_sacramento(name, cls, kw, sacramento, sac_counts: Counts) -> None:
    ours = getattr(ev, name)(sac_counts, **kw).loc["all"].to_numpy()
    ref = np.array([getattr(sg, cls)(sacramento, g, "TOT_POP").statistic for g in SAC_GROUPS])
    np.testing.assert_allclose(ours, ref, atol=TOL, rtol=0)


@pytest.mark.parametrize("lad", ["Slough", "Rutland", "Tower Hamlets"])
def test_evenness_england_wales_per_authority(lad, ew_oa, ew_counts: Counts) -> None:
    frame = ew_oa[ew_oa["LAD"] == lad]
    table = {"minmax": ev.minmax(ew_counts), "concentration_profile": ev.concentration_profile(ew_counts),
             "density_corrected_dissimilarity": ev.density_corrected_dissimilarity(ew_counts, convention="pysal")}
    for name, cls in [("minmax", sg.MinMax), ("concentration_profile", sg.ConProf),
                      ("density_corrected_dissimilarity", sg.DensityCorrectedDissim)]:
        for g in ["WhiteBrit", "Pakistani", "BlkAfrican"]:
            assert table[name].loc[lad, g] == pytest.approx(cls(frame, g, "Persons").statistic, abs=TOL), (name, g)


def test_density_corrected_default_differs_where_pysal_optimiser_stalls() -> None:
    # Deliberate difference: PySAL's Nelder-Mead starts at 0 with a step of 0.00025; for a large theta the
    # folded-normal density there is flat (~1e-300) and it stops at ~0 instead of the mode (~theta).
    from segregation.singlegroup.density_corrected_dissim import _return_optimal_theta

    theta = np.array([0.5, 1.5, 3.0, 10.0, 30.0, 100.0])
    exact = ev._fold_modes(theta, False)
    np.testing.assert_allclose(exact[[0, 3, 4, 5]], [0.0, 10.0, 30.0, 100.0], atol=1e-9)
    assert exact[1] == pytest.approx(1.5 * np.tanh(1.5 * exact[1]), abs=1e-12)  # root of z = theta tanh(theta z)
    pysal = np.array([_return_optimal_theta(t) for t in theta])
    np.testing.assert_array_equal(ev._fold_modes(theta, True), pysal)  # our port: step for step
    assert pysal[-1] < 1e-4 and exact[-1] == pytest.approx(100)


def test_mutual_information_is_m(sacramento) -> None:
    # M = H * E (Theil 1972) = PySAL's MultiDivergence; base 2 gives bits
    c = Counts.from_frame(sacramento, SAC_GROUPS)
    m = mutual_information(c).loc["all"]
    assert m == pytest.approx(smg.MultiDivergence(sacramento, SAC_GROUPS).statistic, abs=TOL)
    assert m == pytest.approx(theil_h(c).loc["all"] * smg.MultiDiversity(sacramento, SAC_GROUPS).statistic, abs=TOL)
    assert mutual_information(c, base=2).loc["all"] == pytest.approx(m / np.log(2), abs=1e-12)
    assert divergence(c).loc["all"] == pytest.approx(m, abs=1e-15)


def test_whole_table_has_new_indices(ew_counts: Counts) -> None:
    table = measure(ew_counts)
    assert {"mutual_information", "minmax[Indian]", "density_corrected_dissimilarity[Arab]",
            "concentration_profile[WhiteBrit]"} <= set(table.columns)
    assert table.shape == (348, 10 * len(EW_GROUPS) + 11)


def test_shared_boundaries_hand_built_t_junction() -> None:
    # A = [0,2]x[0,1] lists its top edge as one segment; B = [0,1]x[1,2] and C = [1,2]x[1,2] split it at x = 1
    # (a vertex A does not have). By hand: A-B 1, A-C 1, B-C 1; D = [3,4]x[0,1] touches nobody.
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import box

    g = gpd.GeoDataFrame({"id": list("ABCD")}, geometry=[box(0, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2),
                                                          box(3, 0, 4, 1)], crs=27700)
    got = geo.shared_boundaries(g, unit="id").set_index(["unit", "neighbour"])["length"]
    assert got.to_dict() == pytest.approx({("A", "B"): 1.0, ("B", "A"): 1.0, ("A", "C"): 1.0, ("C", "A"): 1.0,
                                           ("B", "C"): 1.0, ("C", "B"): 1.0})


def test_grid_passes_equals_searchsorted() -> None:
    # the concentration profile's binning shortcut equals searchsorted on linspace, edges included
    rng = np.random.default_rng(0)
    for m in (2, 3, 10, 777, 1000, 1001):
        grid = np.linspace(0, 1, m)
        p = np.clip(np.r_[rng.random(20_000), grid, np.nextafter(grid, 2), np.nextafter(grid, -1)], 0, 1)
        np.testing.assert_array_equal(ev._grid_passes(grid, p), np.searchsorted(grid, p, side="right"))


def test_weights_errors_name_the_problem() -> None:
    from commonground.errors import InputError

    c = Counts([[1, 2], [3, 4], [5, 6]], ["a", "b"], units=["u", "v", "w"])
    with pytest.raises(InputError, match="two different weights"):
        bd.boundary_dissimilarity(c, pd.DataFrame({"i": ["u", "v"], "j": ["v", "u"], "len": [1.0, 2.0]}))
    with pytest.raises(InputError, match="'x', which is not in the counts"):
        bd.boundary_dissimilarity(c, pd.DataFrame({"i": ["u"], "j": ["x"], "len": [1.0]}))
    with pytest.raises(InputError, match="not a finite non-negative"):
        bd.boundary_dissimilarity(c, pd.DataFrame({"i": ["u"], "j": ["v"], "len": [-1.0]}))


@pytest.mark.parametrize("kernel", ["gaussian", "bisquare", "parabolic", "boxcar"])
def test_multiscalar_profile_kernels(kernel, gdf, ug, sac_counts: Counts) -> None:
    # libpysal.graph's kernel names, as PySAL's profile uses them (Graph.build_kernel)
    from segregation.dynamics import compute_multiscalar_profile

    ours = pr.multiscalar_profile(sac_counts, ug.coords, [2000, 4000], "dissimilarity", kernel=kernel)
    ref = compute_multiscalar_profile(gdf, sg.Dissim, group_pop_var="BLACK_", total_pop_var="TOT_POP",
                                      distances=[2000, 4000], function=kernel)
    np.testing.assert_allclose(ours["BLACK_"].to_numpy(), ref.to_numpy(), atol=TOL, rtol=0)
