"""GeoDataFrame in: the arrays the spatial indices need, from real polygons (optional ``[geo]`` extra).

The indices themselves take plain arrays; this module is the one place that touches geometry, so the core
install needs neither geopandas nor shapely (``pip install commonground[geo]``)::

    gdf = geopandas.read_file("tracts.shp").to_crs(26910)        # a projected CRS (metres)
    c = Counts.from_frame(gdf, ["WHITE_", "BLACK_"], total="TOT_POP", unit="POLYID")
    g = unit_geometry(gdf)                                        # centroids, areas, perimeters
    absolute_centralization(c, g.coords, g.areas)
    boundary_dissimilarity(c, shared_boundaries(gdf, unit="POLYID"))
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numba
import numpy as np
import pandas as pd

from commonground.errors import InputError


def _gpd() -> Any:
    try:
        import geopandas
    except ImportError:  # pragma: no cover - depends on the install
        raise InputError("geometry input needs the optional extra: pip install 'commonground[geo]'") from None
    return geopandas


class UnitGeometry:
    """Per-unit centroid coordinates ``(n, 2)``, areas and perimeters ``(n,)``, in the frame's row order.

    Each is computed on first use (a centroid costs more than an area), then kept.
    """

    def __init__(self, geoms: np.ndarray) -> None:
        self._geoms = geoms

    @cached_property
    def coords(self) -> np.ndarray:
        return centroids(self._geoms)

    @cached_property
    def areas(self) -> np.ndarray:
        import shapely

        return shapely.area(self._geoms)

    @cached_property
    def perimeters(self) -> np.ndarray:
        import shapely

        return shapely.length(self._geoms)


@numba.njit(cache=True)
def _ring_centroids(xy: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Area-weighted centroid of each closed ring ``xy[offsets[i]:offsets[i + 1]]`` (NaN for a zero-area ring).

    Shoelace sums over the ring's edges, taken relative to the ring's first vertex so that projected
    coordinates of ~10^6 m lose no precision to cancellation."""
    n = offsets.shape[0] - 1
    out = np.full((n, 2), np.nan)
    for i in range(n):
        s, e = offsets[i], offsets[i + 1]
        x0, y0 = xy[s, 0], xy[s, 1]
        a2 = 0.0
        cx = 0.0
        cy = 0.0
        for v in range(s, e - 1):
            px, py = xy[v, 0] - x0, xy[v, 1] - y0
            qx, qy = xy[v + 1, 0] - x0, xy[v + 1, 1] - y0
            cross = px * qy - qx * py
            a2 += cross
            cx += cross * (px + qx)
            cy += cross * (py + qy)
        if a2 != 0.0:
            out[i, 0] = x0 + cx / (3.0 * a2)
            out[i, 1] = y0 + cy / (3.0 * a2)
    return out


def centroids(geoms: np.ndarray) -> np.ndarray:
    """Centroid coordinates ``(n, 2)`` of an array of shapely polygons, as ``shapely.centroid`` gives them.

    Why not just ``shapely.centroid``: GEOS takes ~2 µs per polygon (~1 ms for a few hundred tracts), which
    dominated the cheap spatial indices. For a polygon without holes -- nearly every census unit -- the centroid
    is one shoelace pass over the shell's vertices, done here in one compiled loop over
    ``shapely.get_coordinates``; multipolygons, polygons with holes and degenerate (zero-area) polygons go to
    GEOS. Equal to GEOS to rounding (~1e-15 relative; tested).
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = np.empty((len(geoms), 2))
    n_coords = shapely.get_num_coordinates(geoms)
    simple = (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON) & (
        shapely.get_num_interior_rings(geoms) == 0) & (n_coords >= 4)  # empty polygons: GEOS
    if simple.any():
        rings = geoms[simple]
        offsets = np.r_[0, np.cumsum(n_coords[simple])].astype(np.int64)
        out[simple] = _ring_centroids(np.ascontiguousarray(shapely.get_coordinates(rings)), offsets)
    rest = ~simple | np.isnan(out[:, 0])
    if rest.any():
        points = shapely.centroid(geoms[rest])
        xy = np.full((len(points), 2), np.nan)  # NaN for an empty geometry
        found = ~shapely.is_empty(points)
        xy[found] = shapely.get_coordinates(points[found])
        out[rest] = xy
    return out


def _check_frame(gdf: Any) -> None:
    gpd = _gpd()
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is not None and gdf.crs.is_geographic:
        raise InputError(f"the geometry is in a geographic CRS ({gdf.crs.to_string()}); distances and areas "
                         "need a projected one: use gdf.to_crs(...)")
    import shapely

    geoms = np.asarray(gdf.geometry.array)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)  # on the array: ~20x cheaper than via pandas
    if empty.any():
        raise InputError("missing or empty geometry", row=int(np.flatnonzero(empty)[0]) + 1)


def unit_geometry(gdf: Any) -> UnitGeometry:
    """Centroids, areas and perimeters of a GeoDataFrame's polygons (a geographic CRS is refused)."""
    _check_frame(gdf)
    return UnitGeometry(np.asarray(gdf.geometry.array))


def shared_boundaries(gdf: Any, unit: str | None = None) -> pd.DataFrame:
    """Neighbouring polygons and the length of the boundary they share: ``unit, neighbour, length``.

    Pairs that touch only at a point (queen-but-not-rook neighbours) have length 0 and are left out, so the
    pairs are rook contiguity weighted by shared length (PySAL's boundary-length weights). Each pair appears
    in both directions. ``unit`` names the id column (default: the frame's index).

    Most of a tessellation's shared boundary is edges that both polygons list with the same two vertices:
    those are matched exactly by hashing the edges. What is left (a vertex on one side only, the outer edge of
    the map) is intersected geometrically, only between polygons that both have such leftover edges; the
    total equals the length of the polygons' intersection.
    """
    _check_frame(gdf)
    import shapely

    geoms = np.asarray(gdf.geometry.array)
    ids = gdf[unit].to_numpy() if unit is not None else gdf.index.to_numpy()
    parts, part_owner = shapely.get_parts(geoms, return_index=True)  # multipolygons into polygons
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    owner = part_owner[ring_part]
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    step = ring[1:] == ring[:-1]
    a, b, poly = coords[:-1][step], coords[1:][step], owner[ring[:-1][step]]
    flip = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo, hi = np.where(flip[:, None], b, a), np.where(flip[:, None], a, b)
    seg = pd.DataFrame({"x0": lo[:, 0], "y0": lo[:, 1], "x1": hi[:, 0], "y1": hi[:, 1], "poly": poly,
                        "length": np.hypot(hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1])})
    seg = seg[seg["length"] > 0]
    key = ["x0", "y0", "x1", "y1"]
    pairs = seg.merge(seg[[*key, "poly"]], on=key, suffixes=("", "_other"))
    pairs = pairs[pairs["poly"] != pairs["poly_other"]]
    matched = pairs.groupby(["poly", "poly_other"])["length"].sum()
    # edges no other polygon lists identically: intersect them between candidate neighbours
    shared_edge = seg.set_index(key).index.isin(pairs.set_index(key).index)
    rest = seg[~shared_edge]
    extra = pd.Series(dtype=np.float64)
    if len(rest):
        lines = shapely.linestrings(np.stack([rest[["x0", "y0"]].to_numpy(), rest[["x1", "y1"]].to_numpy()], axis=1))
        owners = rest["poly"].to_numpy()
        order = np.argsort(owners, kind="stable")
        with_rest = np.unique(owners)
        multi = np.full(len(geoms), None, dtype=object)
        multi[with_rest] = shapely.multilinestrings(lines[order], indices=np.searchsorted(with_rest, owners[order]))
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        keep = (left < right) & np.isin(left, with_rest) & np.isin(right, with_rest)
        left, right = left[keep], right[keep]
        length = shapely.length(shapely.intersection(multi[left].astype(object), multi[right].astype(object)))
        pos = length > 0
        extra = pd.Series(np.r_[length[pos], length[pos]], index=pd.MultiIndex.from_arrays(
            [np.r_[left[pos], right[pos]], np.r_[right[pos], left[pos]]], names=["poly", "poly_other"]))
    total = matched.add(extra, fill_value=0.0)
    i, j = total.index.get_level_values(0).to_numpy(), total.index.get_level_values(1).to_numpy()
    once = (i < j) & (total.to_numpy() > 0)  # one value per pair (the two directions sum in different orders)
    i, j, length = i[once], j[once], total.to_numpy()[once]
    return pd.DataFrame({"unit": ids[np.r_[i, j]], "neighbour": ids[np.r_[j, i]], "length": np.r_[length, length]})
