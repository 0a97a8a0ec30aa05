"""Segregation indices before and after an allocation, computed by :mod:`commonground.measure`.

The report computes no index itself: it builds the units x groups counts from the composition table
(existing occupants only = before; with the allocated households = after) and hands them to
:func:`commonground.measure.measure`. If the measure module cannot be imported the section is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.errors import CommongroundError

#: The multigroup indices the report shows (names in ``commonground.measure.INDICES``).
REPORT_INDICES = ("multi_dissimilarity", "theil_h", "multi_gini", "normalized_exposure")


def counts_matrix(composition: pd.DataFrame, level: str, attribute: str, when: str) -> pd.DataFrame:
    """Units x groups counts from a composition table (``when``: ``before`` or ``after``)."""
    sub = composition[(composition["level"] == level) & (composition["attribute"] == attribute)]
    col = "count_before" if when == "before" else "count"
    return sub.pivot_table(index="unit_id", columns="value", values=col, aggfunc="sum", fill_value=0, sort=False)


def segregation_indices(composition: pd.DataFrame) -> pd.DataFrame | None:
    """One row per (attribute, level, index) with its value before and after and the change; None when
    nothing could be measured."""
    from commonground.measure import INDICES, Counts, measure

    names = [n for n in REPORT_INDICES if n in INDICES]
    if composition.empty or not names:
        return None
    rows = []
    for (attribute, level), _ in composition.groupby(["attribute", "level"], sort=False):
        values = {when: _measure(Counts, measure, counts_matrix(composition, level, attribute, when), names)
                  for when in ("before", "after")}
        if not values["after"]:
            continue
        for n in names:
            rows.append({"attribute": attribute, "level": level, "index": INDICES[n].description,
                         "before": values["before"].get(n, np.nan), "after": values["after"].get(n, np.nan)})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    df["change"] = df["after"] - df["before"]
    return df


def _measure(Counts, measure, mat: pd.DataFrame, names: list[str]) -> dict[str, float]:
    mat = mat.loc[mat.sum(axis=1) > 0]  # units nobody lives in say nothing about segregation
    if mat.shape[0] < 2 or (mat.sum(axis=0) > 0).sum() < 2:
        return {}
    try:
        counts = Counts(mat.to_numpy(dtype=float), [str(c) for c in mat.columns], units=mat.index.to_numpy())
        row = measure(counts, names).iloc[0]
    except (CommongroundError, ValueError, TypeError, ZeroDivisionError):
        return {}
    return {n: float(row[n]) for n in names if n in row.index}
