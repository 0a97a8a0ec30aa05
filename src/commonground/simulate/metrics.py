"""What is recorded each year (Mesa's data-collector role): indices, caps binding, sellers affected.

Indices come from :mod:`commonground.measure` over the block × group and neighbourhood × group count tables
of resident households: multigroup dissimilarity (Sakoda 1981) and Theil's H (Theil 1972) at each level,
and per group the two-group dissimilarity (Duncan & Duncan 1955) and isolation xPx (Lieberson 1981).
Metric names are ``<level>.<index>`` and ``<level>.<index>.<group>``; every metric is listed in
``docs/simulate.md``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from commonground.measure import Counts, dissimilarity, isolation, multi_dissimilarity, theil_h
from commonground.policy import CapState
from commonground.policy.kernels import BLOCK
from commonground.simulate._market import BUYBACK, SALE

LEVELS = ("block", "neighbourhood")


def _occupied_counts(bcount: np.ndarray, ncount: np.ndarray,
                     groups: tuple[str, ...]) -> Iterator[tuple[str, Counts]]:
    """Per level, the counts of occupied units over the groups present (levels with fewer than two groups are
    left out: no index is defined)."""
    for level, table in zip(LEVELS, (bcount, ncount), strict=True):
        x = table[table.sum(axis=1) > 0]
        keep = x.sum(axis=0) > 0
        if len(x) < 1 or keep.sum() < 2:
            continue
        yield level, Counts(x[:, keep].astype(float), [g for g, k in zip(groups, keep, strict=True) if k])


def index_metrics(bcount: np.ndarray, ncount: np.ndarray, groups: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for level, c in _occupied_counts(bcount, ncount, groups):
        out[f"{level}.dissimilarity"] = float(multi_dissimilarity(c).iloc[0])
        out[f"{level}.theil_h"] = float(theil_h(c).iloc[0])
        d = dissimilarity(c).iloc[0]
        iso = isolation(c).iloc[0]
        for g in c.groups:
            out[f"{level}.dissimilarity.{g}"] = float(d[g])
            out[f"{level}.isolation.{g}"] = float(iso[g])
    return out


#: The parts a year's change in each index is split into (see :func:`change_parts`), in the order applied.
CHANGE_PARTS = ("new_flats", "departures", "moves_out", "moves_in")


def summary_indices(bcount: np.ndarray, ncount: np.ndarray, groups: tuple[str, ...]) -> dict[str, float]:
    """``<level>.dissimilarity`` and ``<level>.theil_h`` only (what the yearly decomposition tracks)."""
    out: dict[str, float] = {}
    for level, c in _occupied_counts(bcount, ncount, groups):
        out[f"{level}.dissimilarity"] = float(multi_dissimilarity(c).iloc[0])
        out[f"{level}.theil_h"] = float(theil_h(c).iloc[0])
    return out


def change_parts(stages: list[dict[str, float]]) -> dict[str, float]:
    """``change.<part>.<index>`` = index after part minus index before it, for consecutive ``stages`` (the
    index at the start of the year, then after each of :data:`CHANGE_PARTS`). The parts add up to the year's
    change exactly; the split depends on the order the parts are applied in (the order the year runs in, with a
    resale's seller leaving before its buyer moves in)."""
    out: dict[str, float] = {}
    for part, before, after in zip(CHANGE_PARTS, stages[:-1], stages[1:], strict=True):
        for k, v in after.items():
            out[f"change.{part}.{k}"] = v - before.get(k, float("nan"))
    return out


def cap_metrics(caps: CapState | None, bcount: np.ndarray, ncount: np.ndarray, block_units: np.ndarray,
                nbhd_units: np.ndarray) -> dict[str, float]:
    """Units whose group count has reached (``at_cap``) or passed (``over_cap``) the limit, per level.

    Measured against the policy's caps, or the scenario's ``measure_caps`` when the policy has none, from the
    resident counts (so also under no caps: how many blocks would be over an EIP-style limit).
    """
    out: dict[str, float] = {}
    if caps is None or caps.n_caps == 0:
        return out
    for level_code, level in enumerate(LEVELS):
        table = bcount if level_code == BLOCK else ncount
        units = block_units if level_code == BLOCK else nbhd_units
        built = units > 0
        at = over = 0
        for c in np.flatnonzero(caps.level == level_code):
            for li in range(caps.maximum.shape[2]):
                members = np.flatnonzero(caps.hh_limit[c] == li)
                if len(members) == 0:
                    continue
                n = table[:, members].sum(axis=1)
                mx = caps.maximum[c, : len(n), li]
                at += int((built & (n >= mx)).sum())
                over += int((built & (n > mx)).sum())
        out[f"caps.at_limit.{level}"] = float(at)
        out[f"caps.over_limit.{level}"] = float(over)
    return out


def seller_metrics(groups: tuple[str, ...], rec_seller: np.ndarray, rec_months: np.ndarray,
                   rec_discount: np.ndarray, rec_refused: np.ndarray, rec_kind: np.ndarray) -> dict[str, float]:
    """Per seller group, over private sellers whose sale or buy-back completed this year."""
    out: dict[str, float] = {}
    private = rec_kind != 2
    out["sales"] = float(((rec_kind == SALE)).sum())
    out["buybacks"] = float((rec_kind == BUYBACK).sum())
    out["public_sales"] = float((rec_kind == 2).sum())
    out["sellers_refused_by_cap"] = float((private & (rec_refused > 0)).sum())
    # Who pays: sellers who had a willing buyer refused by a cap against the other private sellers.
    for name, m in (("refused_sellers", private & (rec_refused > 0)), ("other_sellers", private & (rec_refused == 0))):
        n = int(m.sum())
        out[f"{name}.months_to_sell"] = float(rec_months[m].mean()) if n else float("nan")
        out[f"{name}.discount"] = float(rec_discount[m].mean()) if n else float("nan")
    for gi, g in enumerate(groups):
        m = private & (rec_seller == gi)
        n = int(m.sum())
        out[f"sales.{g}"] = float(((rec_kind == SALE) & (rec_seller == gi)).sum())
        out[f"buybacks.{g}"] = float(((rec_kind == BUYBACK) & (rec_seller == gi)).sum())
        out[f"months_to_sell.{g}"] = float(rec_months[m].mean()) if n else float("nan")
        out[f"discount.{g}"] = float(rec_discount[m].mean()) if n else float("nan")
        out[f"sellers_refused_by_cap.{g}"] = float((m & (rec_refused > 0)).sum())
        out[f"share_sellers_refused_by_cap.{g}"] = float((rec_refused[m] > 0).mean()) if n else float("nan")
    return out
