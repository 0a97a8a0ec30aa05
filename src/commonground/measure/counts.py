"""The one input of every index: a units x groups count matrix, prepared once.

A :class:`Counts` holds

* ``x`` -- counts, one row per areal unit (output area, tract, block), one column per group;
* ``total`` -- each unit's total population for the *single-group* indices. By default it is the sum of the
  listed groups; pass an explicit total column when the groups are not exhaustive or overlap (the Sacramento
  tracts list Hispanic, which overlaps the race columns, against ``TOT_POP``);
* an optional partition of units into *regions* (``by``: e.g. the local authority of each output area).

Rows are stored sorted by region (stable), so every region is one contiguous slice and every index is computed
for all regions and all groups at once with ``np.add.reduceat`` over the slice starts. Region-level sums
(group totals, population, shares) are computed once and cached.

Conventions shared by all indices (see ``docs/measure.md``):

* multigroup indices use the *sum of the listed groups* as each unit's total (PySAL's convention);
* single-group indices use ``total`` (the explicit total column if given);
* a unit with zero population has share 0 and contributes nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure._pairwise import pair_abs_sums

ALL_REGION = "all"


class Counts:
    """Units x groups counts with totals and an optional region partition (validated once, then trusted).

    Parameters
    ----------
    x:
        ``(n_units, n_groups)`` non-negative counts (integers or, after kernel smoothing, reals).
    groups:
        Group names, one per column (default ``g0, g1, ...``).
    total:
        Optional ``(n_units,)`` unit totals for the single-group indices; each must be at least every group
        count in its row. Default: the row sums of ``x``.
    by:
        Optional ``(n_units,)`` region label of each unit. Default: one region called ``"all"``.
    units:
        Optional unit labels (unique). Default ``0..n-1``.
    by_name:
        Name of the region index in results (default ``"region"``).
    source:
        Where the data came from (a file name), used in error messages.
    """

    def __init__(self, x: np.ndarray | Sequence[Sequence[float]], groups: Sequence[str] | None = None, *,
                 total: np.ndarray | Sequence[float] | None = None, by: Sequence[Hashable] | None = None,
                 units: Sequence[Hashable] | None = None, by_name: str | None = None,
                 source: str | None = None) -> None:
        mat = _as_matrix(x, source)
        n, k = mat.shape
        if n == 0:
            raise InputError("no units: the table has no rows", source=source)
        groups = tuple(str(g) for g in groups) if groups is not None else tuple(f"g{j}" for j in range(k))
        if len(groups) != k:
            raise InputError(f"{len(groups)} group names for {k} count columns", source=source)
        if len(set(groups)) != k:
            raise InputError(f"duplicate group names: {', '.join(groups)}", source=source)
        _check_counts(mat, groups, source)
        if total is None:
            tot, explicit = mat.sum(axis=1), False
        else:
            tot = _as_vector(total, n, "total", source)
            _check_counts(tot[:, None], ("total",), source)
            bad = np.flatnonzero((mat > tot[:, None] * (1 + 1e-12) + 1e-9).any(axis=1))
            if bad.size:
                j = int(np.argmax(mat[bad[0]] > tot[bad[0]]))
                raise InputError(f"count {mat[bad[0], j]:g} of group '{groups[j]}' exceeds the unit total "
                                 f"{tot[bad[0]]:g}", source=source, row=int(bad[0]) + 1, column=groups[j])
            # a total that is exactly the sum of the groups is no different from none: share caches
            explicit = not np.array_equal(tot, mat.sum(axis=1))
        unit_index = pd.Index(units if units is not None else np.arange(n), name="unit")
        if len(unit_index) != n:
            raise InputError(f"{len(unit_index)} unit ids for {n} rows", source=source)
        if not unit_index.is_unique:
            dup = unit_index[unit_index.duplicated()][0]
            raise InputError(f"unit id {dup!r} appears more than once", source=source)
        if by is None:
            codes = np.zeros(n, dtype=np.int64)
            regions = pd.Index([ALL_REGION], name=by_name or "region")
        else:
            by_arr = np.asarray(by, dtype=object) if not isinstance(by, pd.Series) else by.to_numpy()
            if len(by_arr) != n:
                raise InputError(f"{len(by_arr)} region labels for {n} rows", source=source)
            if pd.isna(by_arr).any():
                row = int(np.flatnonzero(pd.isna(by_arr))[0])
                raise InputError("missing region label", source=source, row=row + 1, column=by_name)
            codes, uniq = pd.factorize(by_arr, sort=True)
            regions = pd.Index(uniq, name=by_name or "region")
        order = np.argsort(codes, kind="stable")
        self._init(x=mat[order], total=tot[order], explicit_total=explicit, groups=groups,
                   units=unit_index[order], regions=regions, codes=codes[order].astype(np.int64), order=order)

    # -- construction helpers ---------------------------------------------------------------------------------
    def _init(self, *, x: np.ndarray, total: np.ndarray, explicit_total: bool, groups: tuple[str, ...],
              units: pd.Index, regions: pd.Index, codes: np.ndarray, order: np.ndarray) -> None:
        self.x = x
        self.total = total
        self.explicit_total = explicit_total
        self.groups = groups
        self.units = units
        self.regions = regions
        self.codes = codes
        self.order = order
        n = x.shape[0]
        self.starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if n else np.zeros(0, np.int64)
        if len(self.starts) != len(regions):  # cannot happen for factorized codes; guards hand-built Counts
            raise InputError("every region must contain at least one unit")

    def replace(self, x: np.ndarray, total: np.ndarray | None = None) -> Counts:
        """A Counts with the same units, regions and groups but new (already sorted, trusted) counts.

        Used by kernel smoothing and the randomisation/bootstrap draws, so no re-validation or re-sorting.
        ``total`` defaults to this Counts' explicit total, or to the row sums of ``x`` if it has none; a given
        ``total`` that differs from the row sums becomes an explicit total.
        """
        new = object.__new__(Counts)
        x = np.asarray(x, dtype=np.float64)
        if total is None:
            explicit = self.explicit_total
            total = self.total if explicit else x.sum(axis=1)
        else:
            total = np.asarray(total, dtype=np.float64)
            explicit = not np.array_equal(total, x.sum(axis=1))
        new._init(x=x, total=total, explicit_total=explicit, groups=self.groups, units=self.units,
                  regions=self.regions, codes=self.codes, order=self.order)
        return new

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, groups: Sequence[str] | None = None, *, total: str | None = None,
                   by: str | None = None, unit: str | None = None, source: str | None = None) -> Counts:
        """Counts from a table with one row per unit.

        ``groups`` are the count columns (default: every numeric column other than ``total``/``by``/``unit``);
        ``total`` names an optional total column; ``by`` names the region column; ``unit`` the unit-id column
        (default: the frame's index). Missing columns, non-numeric or negative counts raise :class:`InputError`.

        Parameters
        ----------
        frame
            One row per areal unit (block, output area, tract).
        groups
            The count columns.
        total
            A unit total column, when the groups do not add up to it (single-group indices use it).
        by
            A region column: every index is computed per region.
        unit
            The unit-id column.
        source
            The file's name, for error messages.

        Returns
        -------
        Counts

        Examples
        --------
        >>> import pandas as pd
        >>> c = Counts.from_frame(pd.DataFrame({"town": ["A", "A", "B"], "x": [8, 2, 5], "y": [2, 8, 5]}),
        ...                       ["x", "y"], by="town")
        >>> c.n_units, c.n_groups, c.n_regions
        (3, 2, 2)
        """
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"expected a pandas DataFrame, got {type(frame).__name__}", source=source)
        if len(frame) == 0:  # before the column checks: a header-only file is not "not numeric"
            raise InputError("no rows: the table has a header but no data", source=source)
        for name in (total, by, unit):
            if name is not None and name not in frame.columns:
                raise InputError(f"no column '{name}' (have: {_have(frame)})", source=source, column=name)
        if groups is None:
            skip = {total, by, unit}
            groups = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
            if not groups:
                raise InputError("no numeric count columns", source=source)
        groups = [str(g) for g in groups]
        if not groups:
            raise InputError("at least one group is needed", source=source)
        missing = [g for g in groups if g not in frame.columns]
        if missing:
            raise InputError(f"no column '{missing[0]}' (have: {_have(frame)})", source=source, column=missing[0])
        for name in [*groups, *([total] if total else [])]:
            col = frame[name]
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                bad = pd.to_numeric(col, errors="coerce").isna() & col.notna()
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
                raise InputError(f"not a number: {col[bad].iloc[0]!r}" if bad.any() else "not numeric",
                                 source=source, row=row, column=name)
        mat = frame[groups].to_numpy(dtype=np.float64, na_value=np.nan)
        tot = frame[total].to_numpy(dtype=np.float64, na_value=np.nan) if total else None
        units = frame[unit].to_numpy() if unit else frame.index.to_numpy()
        by_vals = frame[by].to_numpy() if by else None
        if tot is not None:
            _check_counts(tot[:, None], (str(total),), source)  # report the total column by name
        return cls(mat, groups, total=tot, by=by_vals, units=units, by_name=by, source=source)

    # -- shape ---------------------------------------------------------------------------------------------
    @property
    def n_units(self) -> int:
        """Number of units (rows)."""
        return self.x.shape[0]

    @property
    def n_groups(self) -> int:
        """Number of groups (columns)."""
        return self.x.shape[1]

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.regions)

    def __repr__(self) -> str:
        return (f"Counts({self.n_units} units x {self.n_groups} groups [{', '.join(self.groups)}], "
                f"{self.n_regions} region{'s' if self.n_regions != 1 else ''})")

    def select(self, groups: Sequence[str]) -> Counts:
        """The same units with only ``groups`` (unknown names raise :class:`InputError`).

        Single-group indices keep the unit totals; multigroup indices then use the sum of the selected groups.
        """
        cols = self.group_positions(groups)
        new = object.__new__(Counts)
        total = self.total if self.explicit_total else self.group_total
        new._init(x=self.x[:, cols], total=total, explicit_total=True, groups=tuple(self.groups[j] for j in cols),
                  units=self.units, regions=self.regions, codes=self.codes, order=self.order)
        return new

    def group_positions(self, groups: Sequence[str]) -> list[int]:
        """Column index of each of ``groups``.

        Parameters
        ----------
        groups : sequence of str
            Group names of this table.

        Returns
        -------
        list of int
            Their positions, in the order given.

        Raises
        ------
        InputError
            A name that is not a group of the table.

        Examples
        --------
        >>> import pandas as pd
        >>> Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"]).group_positions(["y"])
        [1]
        """
        pos = {g: j for j, g in enumerate(self.groups)}
        unknown = [g for g in groups if g not in pos]
        if unknown:
            raise InputError(f"unknown group '{unknown[0]}' (have: {', '.join(self.groups)})", column=unknown[0])
        return [pos[g] for g in groups]

    # -- per-region sums (cached) --------------------------------------------------------------------------
    def region_sum(self, a: np.ndarray) -> np.ndarray:
        """Sum a per-unit array (``(n,)`` or ``(n, k)``) over each region: ``(R,)`` or ``(R, k)``."""
        return np.add.reduceat(a, self.starts, axis=0) if self.n_units else np.zeros((0, *a.shape[1:]))

    def broadcast(self, a: np.ndarray) -> np.ndarray:
        """Expand a per-region array to one row per unit."""
        return a[self.codes]

    @cached_property
    def group_total(self) -> np.ndarray:
        """Unit totals for the multigroup indices: the sum of the listed groups, ``(n,)``."""
        return self.x.sum(axis=1) if self.explicit_total else self.total

    @cached_property
    def region_counts(self) -> np.ndarray:
        """Group totals per region ``X_rk``, ``(R, K)``."""
        return self.region_sum(self.x)

    @cached_property
    def region_total(self) -> np.ndarray:
        """Population per region from ``total`` (single-group convention), ``(R,)``."""
        return self.region_sum(self.total)

    @cached_property
    def region_group_total(self) -> np.ndarray:
        """Population per region as the sum of the listed groups (multigroup convention), ``(R,)``."""
        return self.region_counts.sum(axis=1) if self.explicit_total else self.region_total

    @cached_property
    def region_share(self) -> np.ndarray:
        """Share of each group in the region's total population ``P_rk = X_rk / T_r``, ``(R, K)``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.region_counts / self.region_total[:, None]

    @cached_property
    def region_group_share(self) -> np.ndarray:
        """Share of each group among the listed groups ``X_rk / sum_k X_rk``, ``(R, K)``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.region_counts / self.region_group_total[:, None]

    @cached_property
    def unit_share(self) -> np.ndarray:
        """Single-group unit shares ``p_ik = x_ik / t_i`` (0 where ``t_i = 0``), ``(n, K)``."""
        return _safe_ratio(self.x, self.total[:, None])

    @cached_property
    def unit_group_share(self) -> np.ndarray:
        """Multigroup unit shares ``pi_ik = x_ik / tau_i`` (0 where ``tau_i = 0``), ``(n, K)``."""
        return self.unit_share if not self.explicit_total else _safe_ratio(self.x, self.group_total[:, None])

    @cached_property
    def present(self) -> np.ndarray:
        """Whether each group has anyone in each region, ``(R, K)`` bool."""
        return self.region_counts > 0

    def pair_abs_sums(self, multigroup: bool = False) -> np.ndarray:
        """``(R, K)``: ``sum_ij t_i t_j |p_ik - p_jk|`` per region (the Gini numerator), cached.

        ``multigroup`` uses the sum of the listed groups as ``t``; otherwise ``total``.
        """
        key = "_pairs_multi" if (multigroup and self.explicit_total) else "_pairs"
        if key not in self.__dict__:
            t = self.group_total if multigroup else self.total
            self.__dict__[key] = pair_abs_sums(self.x, t, self.starts)
        return self.__dict__[key]

    # -- labelled results ----------------------------------------------------------------------------------
    def by_group(self, values: np.ndarray, name: str | None = None) -> pd.DataFrame:
        """Label an ``(R, K)`` array: regions x groups."""
        out = pd.DataFrame(values, index=self.regions.copy(), columns=pd.Index(self.groups, name="group"))
        if name:
            out.attrs["index"] = name
        return out

    def by_region(self, values: np.ndarray, name: str | None = None) -> pd.Series:
        """Label an ``(R,)`` array: one value per region."""
        return pd.Series(values, index=self.regions.copy(), name=name)

    def per_unit(self, values: np.ndarray, name: str | None = None) -> pd.DataFrame | pd.Series:
        """Label a per-unit array (stored order) and return it in the caller's original row order."""
        inv = np.empty_like(self.order)
        inv[self.order] = np.arange(len(self.order))
        units = self.units[inv]
        region = pd.Index(self.regions[self.codes[inv]], name=self.regions.name)
        if values.ndim == 1:
            s = pd.Series(values[inv], index=units, name=name)
            s.attrs["region"] = region
            return s
        out = pd.DataFrame(values[inv], index=units, columns=pd.Index(self.groups, name="group"))
        out.attrs["region"] = region
        return out


def require_counts(c: object, what: str = "") -> Counts:
    """``c`` if it is a :class:`Counts`, else a TypeError that says how to build one; every index checks this
    first (``what`` names the argument where a function takes two tables)."""
    if not isinstance(c, Counts):
        prefix = f"{what}: " if what else ""
        raise TypeError(f"{prefix}expected Counts, got {type(c).__name__} (build one with Counts.from_frame)")
    return c


def xlogx(p: np.ndarray) -> np.ndarray:
    """``-p ln p`` elementwise with ``0 ln 0 = 0`` (faster than ``scipy.special.entr`` for p in [0, 1])."""
    return -p * np.log(np.where(p > 0, p, 1.0))


def _safe_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with 0 where ``b == 0`` (a unit with nobody in it has share 0)."""
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
    np.divide(a, b, out=out, where=b > 0)
    return out


# -- validation ------------------------------------------------------------------------------------------------
def _have(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    return ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")


def _as_matrix(x: object, source: str | None) -> np.ndarray:
    try:
        mat = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"counts are not numeric ({e})", source=source) from None
    if mat.ndim == 1:
        mat = mat[:, None]
    if mat.ndim != 2:
        raise InputError(f"counts must be a 2-D units x groups table, got {mat.ndim}-D", source=source)
    if mat.shape[1] == 0:
        raise InputError("at least one group is needed", source=source)
    return np.ascontiguousarray(mat)


def _as_vector(v: object, n: int, what: str, source: str | None) -> np.ndarray:
    try:
        arr = np.asarray(v, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise InputError(f"{what} is not numeric ({e})", source=source) from None
    if arr.shape[0] != n:
        raise InputError(f"{arr.shape[0]} {what} values for {n} rows", source=source)
    return arr


def _check_counts(mat: np.ndarray, names: Sequence[str], source: str | None) -> None:
    bad = ~np.isfinite(mat)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError("missing or infinite count", source=source, row=int(i) + 1, column=names[j])
    neg = mat < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise InputError(f"negative count {mat[i, j]:g}", source=source, row=int(i) + 1, column=names[j])
