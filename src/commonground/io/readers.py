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
    """Read a development's flats (one row per flat) from CSV, TSV or Parquet.

    Parameters
    ----------
    path : str or Path
        The file; it needs the flat columns of :data:`commonground.model.development.FLAT_COLUMNS`.

    Returns
    -------
    Development
        Flats grouped into blocks and neighbourhoods, checked.

    Raises
    ------
    InputError
        Missing file or column, or a bad value, naming file, row and column.
    """
    return Development.from_frame(read_table(path, required=FLAT_COLUMNS), source=str(path))


def read_households(path: str | Path, *, attributes: Iterable[str] | None = None, max_groups: int = MAX_GROUPS,
                    reference_date: str | None = None) -> Households:
    """Read households (one row per household) by the declared schema (:mod:`commonground.model.household_schema`).

    Parameters
    ----------
    path : str or Path
        CSV, TSV or Parquet file with a ``household_id`` column.
    attributes : iterable of str, optional
        The columns to group by; ``None``: every column that is not a known one. The rest are carried through.
    max_groups : int, optional
        Most distinct values an attribute may have.
    reference_date : str, optional
        YYYY-MM-DD date waiting times are counted to from ``registration_date`` (``None``: the latest
        registration date in the file).

    Returns
    -------
    Households
        The households as parallel arrays.

    Raises
    ------
    InputError
        Missing file or column, or a bad value, naming file, row and column.
    """
    return Households.from_frame(read_table(path, required=("household_id",)), source=str(path),
                                 attributes=attributes, max_groups=max_groups, reference_date=reference_date)


def read_problem(flats: str | Path, households: str | Path, preferences: str | Path | None = None, *,
                 attributes: Iterable[str] | None = None, max_groups: int = MAX_GROUPS,
                 reference_date: str | None = None) -> Problem:
    """Read everything a mechanism needs, validated once, with errors naming file, line and problem.

    Parameters
    ----------
    flats : str or Path
        The development's flats (see :func:`read_development`).
    households : str or Path
        The households (see :func:`read_households`).
    preferences : str or Path, optional
        Preferences table keyed by ``household_id`` (docs/preferences.md); ``None``: none given.
    attributes, max_groups, reference_date
        Passed to :func:`read_households`.

    Returns
    -------
    Problem
        The validated problem (:meth:`Problem.build <commonground.model.problem.Problem.build>`).

    Raises
    ------
    InputError
        The first problem found, naming file, row and column.
    """
    dev = read_development(flats)
    hh = read_households(households, attributes=attributes, max_groups=max_groups, reference_date=reference_date)
    prefs = read_table(preferences, required=("household_id",)) if preferences else None
    return Problem.build(dev, hh, prefs, source=str(preferences) if preferences else "preferences")
