"""Measure the result of an allocation or simulation: one call, block and/or neighbourhood level.

Anything with a ``counts(attribute, level=..., when=...) -> DataFrame`` method (rows: unit ids, columns: the
attribute's values, integer counts including existing residents) can be measured -- an
:class:`~commonground.allocate.result.Allocation` or a simulation state. Only that method is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts
from commonground.measure.table import measure


class HasCounts(Protocol):
    def counts(self, attribute: str, level: str = "block", when: str = "after") -> pd.DataFrame: ...


def allocation_counts(result: HasCounts, attribute: str, level: str = "block", when: str = "after") -> Counts:
    """The :class:`Counts` of ``attribute`` per unit at ``level`` (``"block"`` or ``"neighbourhood"``).

    Parameters
    ----------
    result : Allocation
        Or anything with ``counts(attribute, level, when)`` returning units x groups.
    attribute : str
        The household attribute whose groups are counted.
    level : {"block", "neighbourhood"}, optional
        The units.
    when : {"after", "before"}, optional
        After the allocation, or existing residents only.

    Returns
    -------
    Counts
        One region; units are the blocks or neighbourhoods.

    Raises
    ------
    TypeError
        ``result`` has no usable ``counts`` method.

    Examples
    --------
    >>> import pandas as pd
    >>> class Result:
    ...     def counts(self, attribute, level="block", when="after"):
    ...         return pd.DataFrame({"Malay": [1, 0], "Chinese": [1, 1]}, index=["A", "B"])
    >>> c = allocation_counts(Result(), "ethnicity")
    >>> c.n_units, c.groups
    (2, ('Malay', 'Chinese'))
    """
    if not hasattr(result, "counts"):
        raise TypeError(f"{type(result).__name__} has no counts(attribute, level, when) method")
    table = result.counts(attribute, level=level, when=when)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"counts() returned {type(table).__name__}, expected a DataFrame")
    groups = [str(g) for g in table.columns]
    return Counts(table.to_numpy(dtype=float), groups, units=table.index.to_numpy(),
                  source=f"{attribute} by {level}")


def measure_allocation(result: HasCounts, attribute: str, level: str | Sequence[str] = "block",
                       indices: Sequence[str] | str | None = None, *, when: str = "after",
                       tidy: bool = False) -> pd.DataFrame:
    """Integration indices of ``attribute`` across the units of an allocation or simulation result.

    ``level`` may be one level or several (``("block", "neighbourhood")``): the result has one row per
    level (index named ``level``), columns as :func:`commonground.measure.measure` (default: every index;
    single-group ones per attribute value, e.g. ``dissimilarity[Malay]``). ``when="before"`` measures the
    existing residents only. ``tidy=True`` gives one row per (level, index, group).

    Parameters
    ----------
    result
        An :class:`~commonground.allocate.Allocation` or anything with ``counts(attribute, level, when)``.
    attribute
        The household attribute whose groups are measured (``ethnicity``).
    level
        ``block``, ``neighbourhood`` or both.
    indices
        Index names (default: every index).
    when
        ``after`` the allocation, or ``before`` it (existing residents only).
    tidy
        One row per (level, index, group).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from commonground.allocate import allocate
    >>> from commonground.scenarios import get_scenario
    >>> sc = get_scenario("sg-bto")
    >>> result = allocate(sc.problem, sc.policy, "ballot", seed=0)
    >>> measure_allocation(result, "ethnicity", ("block", "neighbourhood"), ["theil_h"]).round(3)["theil_h"].tolist()
    [0.051, 0.012]
    """
    levels = [level] if isinstance(level, str) else list(level)
    if not levels:
        raise InputError("at least one level is needed")
    rows = []
    for lv in levels:
        counts = allocation_counts(result, attribute, lv, when)
        table = measure(counts, indices, tidy=tidy)
        if tidy:
            rows.append(table.drop(columns=[counts.regions.name]).assign(level=lv))
        else:
            rows.append(table.set_axis(pd.Index([lv], name="level")))
    if tidy:
        out = pd.concat(rows, ignore_index=True)
        return out[["level", *[c for c in out.columns if c != "level"]]]
    return pd.concat(rows)
