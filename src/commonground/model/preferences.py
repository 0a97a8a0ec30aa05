"""Household preferences, resolved against a development into utilities.

A preferences table is long: one row per (household, option) with ``household_id``, the option as
``block_id``, ``flat_type``, ``block_id`` + ``flat_type`` or ``flat_id``, and its ``rank`` (1 = best) or
``utility``. A household's listed options are the only ones it accepts of that kind.

Utility of flat f for household h (documented convention, used by every mechanism and welfare figure):

* block/type form: ``u(h, f) = block[h, block(f)] + type[h, type(f)] + value(f)``; a household with no
  block rows accepts every block with term 0, likewise for types; a household with no rows at all has
  term 1 for every block, so being housed is worth 1 to it;
* flat form (any ``flat_id`` row, or a row naming a block and a flat type together): ``u(h, f)`` = the
  row's utility + ``value(f)``, for the listed flats only.

Ranks become Borda utilities: among a household's k ranked options of one kind, rank r is worth
k - r + 1, so the last acceptable option is still worth 1 (better than nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.model.development import Development
from commonground.model.households import Households

NEG_INF = -np.inf
#: Skip reasons for a household with no acceptable flat (the same words in every mechanism).
NO_ACCEPTABLE = "no acceptable flat in this development"
WORTHLESS = "no acceptable flat: every flat open to it is worth ≤ 0 (no better than staying unhoused)"
#: Bounds on preference numbers: beyond these, sums lose meaning (or overflow).
MAX_ABS_UTILITY = 1e12
MAX_RANK = 1e9


@dataclass(frozen=True, eq=False)
class BlockUtilities:
    """Separable utilities: ``block[h, b] + flat_type[h, t] + value[f]``; ``-inf`` marks unacceptable.

    Parameters
    ----------
    block : numpy.ndarray
        (households, blocks) term of each household for each block.
    flat_type : numpy.ndarray
        (households, flat types) term of each household for each flat type.
    """

    block: np.ndarray
    flat_type: np.ndarray

    kind = "block"


@dataclass(frozen=True, eq=False)
class FlatUtilities:
    """Sparse flat-level utilities in CSR form: household h accepts ``flat[indptr[h]:indptr[h+1]]``.

    Each household's entries are sorted best first (utility descending, then flat index).

    Parameters
    ----------
    indptr : numpy.ndarray
        (households + 1,) row pointers.
    flat : numpy.ndarray
        Flat index of each entry.
    value : numpy.ndarray
        Utility of each entry (without the flat's own ``value``).
    """

    indptr: np.ndarray
    flat: np.ndarray
    value: np.ndarray

    kind = "flat"


Utilities = BlockUtilities | FlatUtilities


def indifferent(n_households: int, dev: Development) -> BlockUtilities:
    """Every household accepts every flat, and being housed is worth 1 (plus the flat's own value)."""
    return BlockUtilities(block=np.ones((n_households, dev.n_blocks)),
                          flat_type=np.zeros((n_households, len(dev.flat_type_names))))


def resolve(table: pd.DataFrame | None, dev: Development, hh: Households, *,
            source: str = "preferences") -> Utilities:
    """Validate a long preferences table against the development and households and resolve it."""
    if table is None:
        return indifferent(hh.n, dev)
    df = table.reset_index(drop=True)
    if "household_id" not in df.columns:
        raise InputError("missing required column: household_id", source=source)
    has = {c: c in df.columns for c in ("household_id", "block_id", "flat_type", "flat_id", "rank", "utility")}
    if has["rank"] == has["utility"]:
        raise InputError("needs exactly one of the columns 'rank' or 'utility'", source=source)
    if not (has["block_id"] or has["flat_type"] or has["flat_id"]):
        raise InputError("needs a 'block_id', 'flat_type' or 'flat_id' column", source=source)
    if len(df) == 0:
        return indifferent(hh.n, dev)

    def col(name: str) -> np.ndarray:
        if not has[name]:
            return np.full(len(df), "", dtype=object)
        return df[name].fillna("").astype(str).str.strip().to_numpy(dtype=object)

    hid, blk, ftyp, fid = col("household_id"), col("block_id"), col("flat_type"), col("flat_id")
    h_index = pd.Index(hh.ids)
    h = h_index.get_indexer(hid)
    if (h < 0).any():
        i = int(np.flatnonzero(h < 0)[0])
        raise InputError(f"unknown household '{hid[i]}'", source=source, row=i + 2, column="household_id")
    b = _lookup(blk, dev.block_ids, "block", "block_id", source)
    t = _lookup(ftyp, np.asarray(dev.flat_type_names, dtype=object), "flat type", "flat_type", source)
    f = _lookup(fid, dev.flat_ids, "flat", "flat_id", source)
    none = (b < 0) & (t < 0) & (f < 0)
    if none.any():
        i = int(np.flatnonzero(none)[0])
        raise InputError("row names no block, flat type or flat", source=source, row=i + 2)
    both = (f >= 0) & ((b >= 0) | (t >= 0))
    if both.any():
        i = int(np.flatnonzero(both)[0])
        raise InputError("a row names a flat_id and also a block or flat type", source=source, row=i + 2)

    score = _scores(df, h, b, t, f, source)
    flat_form = bool((f >= 0).any() or ((b >= 0) & (t >= 0)).any())
    if not flat_form:
        return _block_form(hh.n, dev, h, b, t, score)
    return _flat_form(hh.n, dev, h, b, t, f, score, source)


def _lookup(names: np.ndarray, known: np.ndarray, what: str, column: str, source: str) -> np.ndarray:
    out = np.full(len(names), -1, dtype=np.int64)
    given = names != ""
    if given.any():
        idx = pd.Index(known).get_indexer(names[given])
        if (idx < 0).any():
            i = int(np.flatnonzero(given)[np.flatnonzero(idx < 0)[0]])
            raise InputError(f"unknown {what} '{names[i]}'", source=source, row=i + 2, column=column)
        out[given] = idx
    return out


def _scores(df: pd.DataFrame, h: np.ndarray, b: np.ndarray, t: np.ndarray, f: np.ndarray,
            source: str) -> np.ndarray:
    if "utility" in df.columns:
        u = pd.to_numeric(df["utility"], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(u) | (np.abs(u) > MAX_ABS_UTILITY)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"utility '{df['utility'].iloc[i]}' is not a finite number within "
                             f"±{MAX_ABS_UTILITY:g}", source=source, row=i + 2, column="utility")
        return u
    r = pd.to_numeric(df["rank"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(r) | (r < 1) | (r != np.round(r)) | (r > MAX_RANK)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"rank '{df['rank'].iloc[i]}' is not a whole number from 1 to {MAX_RANK:g}", source=source,
                         row=i + 2, column="rank")
    kind = np.where(f >= 0, 0, np.where((b >= 0) & (t >= 0), 0, np.where(b >= 0, 1, 2)))
    key = pd.DataFrame({"h": h, "k": kind, "r": r})
    dup = key.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"household '{df['household_id'].iloc[i]}' gives rank {int(r[i])} twice",
                         source=source, row=i + 2, column="rank")
    k = key.groupby(["h", "k"])["r"].transform("size").to_numpy(dtype=float)
    # Borda: rank r of k is worth k - r + 1 (by position among the household's ranks of that kind).
    pos = key.groupby(["h", "k"])["r"].rank(method="first").to_numpy(dtype=float)
    return k - pos + 1.0


def _block_form(n: int, dev: Development, h: np.ndarray, b: np.ndarray, t: np.ndarray,
                score: np.ndarray) -> BlockUtilities:
    nb, nt = dev.n_blocks, len(dev.flat_type_names)
    block = np.zeros((n, nb))
    ftype = np.zeros((n, nt))
    rb, rt = b >= 0, t >= 0
    has_b = np.zeros(n, bool)
    has_b[h[rb]] = True
    has_t = np.zeros(n, bool)
    has_t[h[rt]] = True
    block[has_b] = NEG_INF
    ftype[has_t] = NEG_INF
    block[h[rb], b[rb]] = score[rb]
    ftype[h[rt], t[rt]] = score[rt]
    block[~has_b & ~has_t] = 1.0
    return BlockUtilities(block=block, flat_type=ftype)


def _flat_form(n: int, dev: Development, h: np.ndarray, b: np.ndarray, t: np.ndarray, f: np.ndarray,
               score: np.ndarray, source: str) -> FlatUtilities:
    rows_h, rows_f, rows_u = [h[f >= 0]], [f[f >= 0]], [score[f >= 0]]
    joint = np.flatnonzero((b >= 0) & (t >= 0))
    if len(joint):
        key = dev.flat_block * max(len(dev.flat_type_names), 1) + dev.flat_type
        order = np.argsort(key, kind="stable")
        sk = key[order]
        want = b[joint] * max(len(dev.flat_type_names), 1) + t[joint]
        lo, hi = np.searchsorted(sk, want, "left"), np.searchsorted(sk, want, "right")
        cnt = hi - lo
        rows_h.append(np.repeat(h[joint], cnt))
        rows_u.append(np.repeat(score[joint], cnt))
        rows_f.append(np.concatenate([order[a:z] for a, z in zip(lo, hi, strict=True)]) if cnt.sum() else
                      np.zeros(0, np.int64))
    lone = np.flatnonzero((f < 0) & ~((b >= 0) & (t >= 0)))
    if len(lone):
        i = int(lone[0])
        raise InputError("flat-level preferences cannot mix rows naming only a block or only a flat type",
                         source=source, row=i + 2)
    hh = np.concatenate(rows_h)
    ff = np.concatenate(rows_f).astype(np.int64)
    uu = np.concatenate(rows_u) + dev.flat_value[ff]
    pair = pd.DataFrame({"h": hh, "f": ff, "u": uu})
    # A flat listed twice for a household keeps its best utility.
    pair = pair.sort_values(["h", "u", "f"], ascending=[True, False, True]).drop_duplicates(["h", "f"])
    hs = pair["h"].to_numpy()
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(hs, minlength=n), out=indptr[1:])
    return FlatUtilities(indptr=indptr, flat=pair["f"].to_numpy(np.int64), value=pair["u"].to_numpy(float))
