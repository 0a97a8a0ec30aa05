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
        import shapely

        return shapely.get_coordinates(shapely.centroid(self._geoms))

    @cached_property
    def areas(self) -> np.ndarray:
        import shapely

        return shapely.area(self._geoms)

    @cached_property
    def perimeters(self) -> np.ndarray:
        import shapely

        return shapely.length(self._geoms)


def _check_frame(gdf: Any) -> None:
    gpd = _gpd()
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is not None and gdf.crs.is_geographic:
        raise InputError(f"the geometry is in a geographic CRS ({gdf.crs.to_string()}); distances and areas "
                         "need a projected one: use gdf.to_crs(...)")
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise InputError("missing or empty geometry", row=int(np.flatnonzero(empty.to_numpy())[0]) + 1)


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
