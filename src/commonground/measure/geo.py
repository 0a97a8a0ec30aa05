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

from dataclasses import dataclass
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


@dataclass(frozen=True)
class UnitGeometry:
    """Per-unit centroid coordinates ``(n, 2)``, areas and perimeters ``(n,)``, in the frame's row order."""

    coords: np.ndarray
    areas: np.ndarray
    perimeters: np.ndarray


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
    import shapely

    geoms = np.asarray(gdf.geometry.array)
    return UnitGeometry(shapely.get_coordinates(shapely.centroid(geoms)), shapely.area(geoms), shapely.length(geoms))


def shared_boundaries(gdf: Any, unit: str | None = None) -> pd.DataFrame:
    """Neighbouring polygons and the length of the boundary they share: ``unit, neighbour, length``.

    Pairs that touch only at a point (queen-but-not-rook neighbours) have length 0 and are left out, so the
    pairs are rook contiguity weighted by shared length (PySAL's boundary-length weights). Each pair appears
    in both directions. ``unit`` names the id column (default: the frame's index).
    """
    _check_frame(gdf)
    geom = gdf.geometry.reset_index(drop=True)
    ids = gdf[unit].to_numpy() if unit is not None else gdf.index.to_numpy()
    left, right = geom.sindex.query(geom, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    length = geom.iloc[left].reset_index(drop=True).intersection(
        geom.iloc[right].reset_index(drop=True), align=False).length.to_numpy()
    pos = length > 0
    left, right, length = left[pos], right[pos], length[pos]
    return pd.DataFrame({"unit": np.r_[ids[left], ids[right]], "neighbour": np.r_[ids[right], ids[left]],
                         "length": np.r_[length, length]})
