"""Neighbour weights in the forms the field uses, turned into position pairs of a :class:`Counts`.

Spatial indices accept, wherever they need neighbours:

* an edge list -- a DataFrame or array of ``(unit id, neighbour id)`` pairs, optionally with a third column of
  weights (shared boundary length, say);
* a libpysal ``W`` (``.sparse`` in ``.id_order``) or libpysal ``Graph`` (``.adjacency``), whose ids are the
  Counts' unit ids -- or, when none of them is a unit id, row positions 0..n-1 in the caller's order (what
  ``Queen.from_dataframe(gdf, use_index=False)`` gives).

libpysal is never imported here: objects are recognised by their attributes, so the core stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts

WeightsLike: TypeAlias = pd.DataFrame | np.ndarray | Sequence[Sequence[object]] | Any


def _raw(weights: WeightsLike) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """``(ids_a, ids_b, weight or None, from_libpysal)`` from any accepted form."""
    if hasattr(weights, "sparse") and hasattr(weights, "id_order"):  # libpysal W
        coo = weights.sparse.tocoo()
        ids = np.asarray(weights.id_order, dtype=object)
        return ids[coo.row], ids[coo.col], np.asarray(coo.data, dtype=np.float64), True
    if hasattr(weights, "adjacency") and isinstance(weights.adjacency, pd.Series):  # libpysal Graph
        adj = weights.adjacency
        keep = adj.index.get_level_values(0) != adj.index.get_level_values(1)
        adj = adj[keep & (adj.to_numpy() != 0)]
        return (adj.index.get_level_values(0).to_numpy(), adj.index.get_level_values(1).to_numpy(),
                adj.to_numpy(dtype=np.float64), True)
    if isinstance(weights, pd.DataFrame):
        if weights.shape[1] < 2:
            raise InputError("the edge list needs two columns: unit id and neighbour id")
        w = weights.iloc[:, 2].to_numpy(dtype=np.float64) if weights.shape[1] >= 3 else None
        return weights.iloc[:, 0].to_numpy(), weights.iloc[:, 1].to_numpy(), w, False
    arr = np.asarray(weights, dtype=object)
    if arr.size == 0:
        return np.zeros(0, object), np.zeros(0, object), None, False
    if arr.ndim != 2 or arr.shape[1] not in (2, 3):
        raise InputError(f"the edge list must be pairs (or triples with a weight) of unit ids, got shape {arr.shape}")
    w = arr[:, 2].astype(np.float64) if arr.shape[1] == 3 else None
    return arr[:, 0], arr[:, 1], w, False


def _are_rows(c: Counts, ids: np.ndarray) -> bool:
    """libpysal ids are row numbers when they are integers in 0..n-1 but the unit ids are not 0..n-1."""
    rows = pd.to_numeric(pd.Index(ids), errors="coerce").to_numpy(dtype=np.float64)
    if not (np.isfinite(rows).all() and (rows == np.round(rows)).all() and rows.min() >= 0
            and rows.max() < c.n_units):
        return False
    units = pd.to_numeric(pd.Index(c.units), errors="coerce").to_numpy(dtype=np.float64)
    return not np.array_equal(np.sort(units), np.arange(c.n_units, dtype=np.float64))


def _positions(c: Counts, ids: np.ndarray, allow_rows: bool) -> np.ndarray:
    """Stored positions of unit ids (or, for libpysal objects, of caller row numbers)."""
    if not len(ids):
        return np.zeros(0, np.int64)
    lookup = pd.Index(c.units)
    if allow_rows and _are_rows(c, ids):
        inv = np.empty_like(c.order)
        inv[c.order] = np.arange(c.n_units)  # caller row -> stored position
        return inv[np.asarray(ids, dtype=np.int64)]
    try:
        pos = lookup.get_indexer(pd.Index(ids).astype(lookup.dtype, copy=False))
    except (TypeError, ValueError):
        pos = np.full(len(ids), -1)
    if (pos < 0).any():
        i = int(np.flatnonzero(pos < 0)[0])
        raise InputError(f"the weights name unit {ids[i]!r}, which is not in the counts", row=i + 1)
    return pos.astype(np.int64)


def weighted_pairs(c: Counts, weights: WeightsLike, *, within_regions: bool = True,
                   symmetric: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed ``(src, dst, weight)`` in stored positions, each neighbour pair in both directions.

    Self-pairs and zero weights are dropped; a pair listed twice must carry the same weight. With
    ``within_regions`` pairs whose units lie in different regions are dropped (each region is measured on
    its own). ``symmetric=False`` keeps the direction as given (row-specific weights).
    """
    a_ids, b_ids, w, lib = _raw(weights)
    a, b = _positions(c, a_ids, lib), _positions(c, b_ids, lib)
    w = np.ones(len(a)) if w is None else w
    if not np.isfinite(w).all() or (w < 0).any():
        i = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise InputError(f"weight {w[i]!r} is not a finite non-negative number", row=i + 1)
    keep = (a != b) & (w > 0)
    a, b, w = a[keep], b[keep], w[keep]
    if symmetric:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        frame = pd.DataFrame({"lo": lo, "hi": hi, "w": w})
        spread = frame.groupby(["lo", "hi"])["w"].agg(["min", "max"])
        bad = spread["max"] - spread["min"] > 1e-9 * spread["max"]
        if bad.any():
            lo_b, hi_b = bad[bad].index[0]
            raise InputError(f"units {c.units[int(lo_b)]!r} and {c.units[int(hi_b)]!r} are given two different "
                             "weights; weights must be symmetric")
        frame = frame.drop_duplicates(["lo", "hi"])
        lo, hi, w = frame["lo"].to_numpy(), frame["hi"].to_numpy(), frame["w"].to_numpy()
        a, b, w = np.r_[lo, hi], np.r_[hi, lo], np.r_[w, w]
    if within_regions:
        same = c.codes[a] == c.codes[b]
        a, b, w = a[same], b[same], w[same]
    return a.astype(np.int64), b.astype(np.int64), w.astype(np.float64)


def region_slices(c: Counts) -> list[tuple[int, int, int]]:
    """``(region number, start, end)`` of each region's contiguous rows."""
    ends = np.r_[c.starts[1:], c.n_units]
    return [(r, int(s), int(e)) for r, (s, e) in enumerate(zip(c.starts, ends, strict=True))]


def stored(c: Counts, a: np.ndarray | Sequence[float], what: str, width: int | None = None) -> np.ndarray:
    """A per-unit array given in the caller's row order, checked and put in stored order."""
    arr = np.asarray(a, dtype=np.float64)
    shape = (c.n_units, width) if width else (c.n_units,)
    if arr.shape != shape:
        raise InputError(f"{what} must have shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{what} has missing or infinite values", row=int(np.argwhere(~np.isfinite(arr))[0][0]) + 1)
    return arr[c.order]
