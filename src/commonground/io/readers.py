"""Read a development, households and preferences from files into a validated Problem."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from commonground.io.tables import read_table
from commonground.model.development import FLAT_COLUMNS, Development
from commonground.model.household_schema import MAX_GROUPS
from commonground.model.households import Households
from commonground.model.problem import Problem


def read_development(path: str | Path) -> Development:
    return Development.from_frame(read_table(path, required=FLAT_COLUMNS), source=str(path))


def read_households(path: str | Path, *, attributes: Iterable[str] | None = None, max_groups: int = MAX_GROUPS,
                    reference_date: str | None = None) -> Households:
    """Households by the declared schema (:mod:`commonground.model.household_schema`): ``attributes`` are the
    columns to group by (``None``: every column that is not a known one); the rest are carried through."""
    return Households.from_frame(read_table(path, required=("household_id",)), source=str(path),
                                 attributes=attributes, max_groups=max_groups, reference_date=reference_date)


def read_problem(flats: str | Path, households: str | Path, preferences: str | Path | None = None, *,
                 attributes: Iterable[str] | None = None, max_groups: int = MAX_GROUPS,
                 reference_date: str | None = None) -> Problem:
    """Everything a mechanism needs, validated once, with errors naming file, line and problem."""
    dev = read_development(flats)
    hh = read_households(households, attributes=attributes, max_groups=max_groups, reference_date=reference_date)
    prefs = read_table(preferences, required=("household_id",)) if preferences else None
    return Problem.build(dev, hh, prefs, source=str(preferences) if preferences else "preferences")
