"""The fast paths behind the spatial indices equal their plain definitions (issue 14's speed-ups).

Expected values: GEOS (``shapely.centroid``) for centroids; for clustering and distortion, naive loops
written here straight from the formulas in the docstrings (``c_ij`` of PySAL's and Massey & Denton's
conventions; the sum over widening neighbourhoods of KL(mix || region)). Blocked and single-block paths are
compared with each other by forcing small blocks.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

from commonground.measure import explicit as ex
from commonground.measure import profiles as pr
from commonground.measure._distance import distances

shapely = pytest.importorskip("shapely")
geo = pytest.importorskip("commonground.measure.geo")


@st.composite
def polygons(draw: st.DrawFn) -> object:
    """Random valid polygons at projected-CRS magnitudes: convex hulls, some with a hole, some multipolygons."""
    x0 = draw(st.floats(-1e6, 1e6))
    y0 = draw(st.floats(0, 5e6))
    pts = draw(arrays(np.float64, st.tuples(st.integers(3, 12), st.just(2)), elements=st.floats(0, 5000)))
    hull = shapely.convex_hull(shapely.multipoints(pts + [x0, y0]))
    if shapely.get_type_id(hull) != shapely.GeometryType.POLYGON:
        return hull  # a point or a line: degenerate, GEOS's fallback
    kind = draw(st.sampled_from(["plain", "hole", "multi", "reversed"]))
    if kind == "hole":
        hole = shapely.buffer(shapely.centroid(hull), max(1e-3, 0.2 * shapely.minimum_clearance(hull)))
        return shapely.difference(hull, hole)
    if kind == "multi":
        return shapely.multipolygons([hull, shapely.affinity.translate(hull, 20_000, 0)])
    if kind == "reversed":
        return shapely.reverse(hull)  # clockwise shell
    return hull


@given(st.lists(polygons(), min_size=1, max_size=8), st.booleans())
def test_centroids_equal_geos(geoms: list, with_empty: bool) -> None:
    g = np.array([*geoms, shapely.Polygon()] if with_empty else geoms, dtype=object)
    ref = np.array([(np.nan, np.nan) if p.is_empty else (p.x, p.y) for p in shapely.centroid(g)])
    got = geo.centroids(g)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-6)


def test_centroids_of_real_tracts_equal_geos(sac_gdf) -> None:
    g = np.asarray(sac_gdf.geometry.array)
    ref = shapely.get_coordinates(shapely.centroid(g))
    # the tracts include multipolygons and polygons with holes (both sent to GEOS) and plain ones (ours)
    assert (shapely.get_type_id(g) == shapely.GeometryType.MULTIPOLYGON).any()
    assert (shapely.get_num_interior_rings(g) > 0).any()
    assert np.abs(geo.centroids(g) - ref).max() < 1e-6  # metres, at coordinates ~4e6
    assert np.array_equal(geo.unit_geometry(sac_gdf).coords, geo.centroids(g))


def test_missing_geometry_is_refused_with_its_row(sac_gdf) -> None:
    bad = sac_gdf.copy()
    bad.loc[bad.index[3], "geometry"] = None
    with pytest.raises(Exception, match="row 4"):
        geo.unit_geometry(bad)


def _naive_proximity_sums(pts, area, x, t, alpha, beta, scale, convention):
    n = len(pts)
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))
    c = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            if convention == "pysal":
                c[i, j] = 1 - np.exp(-((alpha * area[i]) ** beta)) if i == j else 1 - np.exp(-d[i, j] / d[:, j].sum())
            else:
                c[i, j] = np.exp(-((alpha * area[i]) ** beta) / scale) if i == j else np.exp(-d[i, j] / scale)
    return c @ x, c @ t, c.sum(axis=0)


@pytest.mark.filterwarnings("ignore:invalid value")  # coincident points: 0/0 in both, NaN == NaN below
@given(arrays(np.float64, st.tuples(st.integers(2, 25), st.just(2)), elements=st.floats(0, 1e4)),
       st.sampled_from(["pysal", "commonground"]), st.floats(10, 1e4))
def test_proximity_sums_equal_the_definition(pts, convention, scale) -> None:
    n = len(pts)
    rng = np.random.default_rng(n)
    area, x = rng.uniform(1e3, 1e6, n), rng.integers(0, 50, (n, 3)).astype(float)
    t = x.sum(axis=1) + rng.integers(0, 10, n)
    got = ex._proximity_sums(pts, area, x, t, 0.6, 0.5, scale, convention)
    ref = _naive_proximity_sums(pts, area, x, t, 0.6, 0.5, scale, convention)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("convention", ["pysal", "commonground"])
def test_proximity_sums_in_blocks_equal_one_block(convention) -> None:
    rng = np.random.default_rng(7)
    n = 2_100  # > sqrt(4e6): two blocks of rows
    pts, area = rng.uniform(0, 3e4, (n, 2)), rng.uniform(1e4, 1e6, n)
    x = rng.integers(0, 40, (n, 2)).astype(float)
    t = x.sum(axis=1) + 5
    blocks = ex._proximity_sums(pts, area, x, t, 0.6, 0.5, 500.0, convention)
    ref_rows = [0, 1, n // 2, n - 1]
    d = np.sqrt(((pts[ref_rows, None, :] - pts[None, :, :]) ** 2).sum(axis=2))
    if convention == "pysal":
        colsum = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)).sum(axis=0)
        c = 1 - np.exp(-d / colsum)
        c[np.arange(4), ref_rows] = 1 - np.exp(-((0.6 * area[ref_rows]) ** 0.5))
    else:
        c = np.exp(-d / 500.0)
        c[np.arange(4), ref_rows] = np.exp(-((0.6 * area[ref_rows]) ** 0.5) / 500.0)
    np.testing.assert_allclose(blocks[0][ref_rows], c @ x, rtol=1e-11)
    np.testing.assert_allclose(blocks[1][ref_rows], c @ t, rtol=1e-11)


def _naive_divergence_sums(x, pts):
    n = len(x)
    p = x.sum(axis=0) / x.sum()
    out = np.zeros(n)
    for i in range(n):
        order = np.argsort(cdist(pts[i:i + 1], pts)[0])  # the same distances, so ties fall the same way
        cum = np.zeros(x.shape[1])
        for j in order:
            cum += x[j]
            if cum.sum() > 0:
                q = cum / cum.sum()
                out[i] += sum(qg * np.log(qg / pg) for qg, pg in zip(q, p, strict=True) if qg > 0)
    return out


@given(arrays(np.float64, st.tuples(st.integers(2, 30), st.just(2)), elements=st.floats(0, 1e4), unique=True),
       st.integers(1, 5), st.integers(0, 2**31))
def test_divergence_sums_equal_the_definition_in_any_blocks(pts, block_rows, seed) -> None:
    n = len(pts)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, (n, 3)).astype(float)
    x[rng.random((n, 3)) < 0.3] = 0  # empty units and absent groups
    if x.sum() == 0:
        x[0, 0] = 1
    ref = _naive_divergence_sums(x, pts)
    np.testing.assert_allclose(pr._divergence_sums(x, pts), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(pr._divergence_sums(x, pts, block_cells=block_rows * n * 3), ref, rtol=1e-10,
                               atol=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.just(2)), elements=st.floats(-1e7, 1e7)),
       arrays(np.float64, st.tuples(st.integers(1, 30), st.just(2)), elements=st.floats(-1e7, 1e7)))
def test_distances_equal_scipy_cdist(a, b) -> None:
    np.testing.assert_allclose(distances(a, b), cdist(a, b), rtol=1e-15, atol=0)


@pytest.mark.parametrize("convention", ["pysal", "commonground"])
def test_spatial_proximity_equals_white_1983_from_the_definition(convention) -> None:
    # SP = (X P_xx + Y P_yy) / (T P_tt), P_xx = sum_ij x_i x_j c_ij / X^2 (White 1983; Massey & Denton 1988),
    # written here with a dense c_ij from _naive_proximity_sums: spatial_proximity shares the clustering
    # indices' proximity sums, and this pins that sharing to the published formula.
    from commonground.measure import Counts
    from commonground.measure.spatial import spatial_proximity

    rng = np.random.default_rng(3)
    n = 30
    pts, area = rng.uniform(0, 5e3, (n, 2)), rng.uniform(1e4, 1e6, n)
    x = rng.integers(0, 40, (n, 2)).astype(float)
    c = Counts(x, ["a", "b"])
    got = spatial_proximity(c, pts, area, scale=800.0, convention=convention).loc["all"].to_numpy()
    t = x.sum(axis=1)
    want = []
    for k in range(2):
        xk = x[:, k]
        yk = t - xk
        cx, ct, _ = _naive_proximity_sums(pts, area, np.column_stack([xk, yk]), t, 0.6, 0.5, 800.0, convention)
        X, Y, T = xk.sum(), yk.sum(), t.sum()
        pxx, pyy, ptt = xk @ cx[:, 0] / X**2, yk @ cx[:, 1] / Y**2, t @ ct / T**2
        want.append((X * pxx + Y * pyy) / (T * ptt))
    np.testing.assert_allclose(got, want, rtol=1e-12)
