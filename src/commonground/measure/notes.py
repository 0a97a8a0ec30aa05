"""Say why an index table has blank cells, so an undefined index is never a silent gap.

An index is undefined (NaN, a blank cell in CSV) when its formula divides by zero: every index in a region with
no population, a single-group index for a group with no members in the region (or one that is the region's
whole population), a multigroup index where only one group is present. :func:`blank_notes` gives one text per
result row naming the cause; ``commonground measure`` writes it as the ``notes`` column and prints a line to
stderr.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.measure.counts import Counts


def _region_sums(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """(regions x groups counts, regions population) from the sorted units."""
    if counts.n_units == 0:
        return np.zeros((0, counts.n_groups)), np.zeros(0)
    g = np.add.reduceat(counts.x, counts.starts, axis=0)
    return g, g.sum(axis=1)


def _cause(g: np.ndarray, pop: float, groups: tuple[str, ...], index: str, group: str) -> str:
    if pop <= 0:
        return "region has zero population: every index is undefined"
    if group:
        j = groups.index(group)
        if g[j] <= 0:
            return f"group '{group}' has no members in this region"
        if g[j] >= pop:
            return f"group '{group}' is the whole population of this region"
        return f"{index}[{group}] is undefined for these counts"
    if int((g > 0).sum()) < 2:
        return "only one group is present in this region"
    return f"{index} is undefined for these counts"


def blank_notes(counts: Counts, result: pd.DataFrame, *, tidy: bool = False) -> pd.Series:
    """One note per row of ``result`` (as :func:`~commonground.measure.measure` returns it for ``counts``):
    "" where no cell is blank, else the causes, "; "-joined, each stated once."""
    gsum, pop = _region_sums(counts)
    row_of = {r: i for i, r in enumerate(counts.regions)}
    notes = []
    if tidy:
        region_col = result.columns[0]
        for region, index, group, value in zip(result[region_col], result["index"], result["group"],
                                               result["value"], strict=True):
            i = row_of[region]
            notes.append("" if pd.notna(value) else _cause(gsum[i], pop[i], counts.groups, index, group))
        return pd.Series(notes, index=result.index, name="notes", dtype=object)
    cols = [(c, *_split(str(c))) for c in result.columns]
    for region, row in zip(result.index, result.itertuples(index=False), strict=True):
        i = row_of[region]
        causes = [_cause(gsum[i], pop[i], counts.groups, index, group)
                  for (_, index, group), v in zip(cols, row, strict=True) if pd.isna(v)]
        notes.append("; ".join(dict.fromkeys(causes)))
    return pd.Series(notes, index=result.index, name="notes", dtype=object)


def _split(column: str) -> tuple[str, str]:
    """``dissimilarity[x]`` -> (``dissimilarity``, ``x``); ``theil_h`` -> (``theil_h``, "")."""
    name, _, group = column.partition("[")
    return name, group[:-1] if group.endswith("]") else group
