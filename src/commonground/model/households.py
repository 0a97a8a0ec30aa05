"""Applicant households: ids, group attributes, priority band or scheme, ballot chances, waiting time.

Which column of a table is which is declared once in :mod:`commonground.model.household_schema`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.model.household_schema import KNOWN_COLUMNS, MAX_GROUPS, read_columns

#: Columns with a meaning of their own (kept for callers of the old name).
RESERVED_HOUSEHOLD_COLUMNS = KNOWN_COLUMNS


@dataclass(frozen=True, eq=False, init=False)
class Households:
    """Households as parallel arrays.

    ``attributes[attr][h]`` is household ``h``'s value of ``attr`` (a string label read from data).
    ``priority[h]`` names its priority scheme (``""`` for none; e.g. first-timer families ``FT``).
    ``ballot_chances[h]`` ≥ 1 is how many ballot entries it holds. ``waiting_days`` is time on a
    waiting list, used by choice-based lettings to order households within a priority band
    (``reference_date``: the date it was counted to, when derived from registration dates).
    ``carried`` holds the table's other columns verbatim: written to the outputs, never grouped.
    ``source`` names the file the households were read from (errors then name its lines).
    The constructor may omit priority, ballot chances and waiting days (no scheme, one chance, no wait); the
    fields always hold arrays. Build one from a table with :meth:`from_frame`.

    Parameters
    ----------
    ids : numpy.ndarray
        Household ids.
    attributes : dict of str to numpy.ndarray, optional
        Group attributes (string labels).
    priority : numpy.ndarray, optional
        Priority scheme per household (default: none).
    ballot_chances : numpy.ndarray, optional
        Ballot entries per household (default: one).
    waiting_days : numpy.ndarray, optional
        Days on the waiting list (default: 0).
    carried : dict of str to numpy.ndarray, optional
        Other columns, carried to the outputs.
    reference_date : str, optional
        Date waiting days were counted to.
    source : str, optional
        The file the households came from.

    Examples
    --------
    >>> import numpy as np
    >>> hh = Households(np.array(["h1", "h2"], dtype=object), {"ethnicity": np.array(["Malay", "Chinese"])})
    >>> len(hh), hh.ballot_chances.tolist(), hh.priority.tolist()
    (2, [1, 1], ['', ''])
    """

    ids: np.ndarray
    attributes: dict[str, np.ndarray]
    priority: np.ndarray
    ballot_chances: np.ndarray
    waiting_days: np.ndarray
    carried: dict[str, np.ndarray]
    reference_date: str | None
    source: str

    def __init__(self, ids: np.ndarray, attributes: dict[str, np.ndarray] | None = None,
                 priority: np.ndarray | None = None, ballot_chances: np.ndarray | None = None,
                 waiting_days: np.ndarray | None = None, carried: dict[str, np.ndarray] | None = None,
                 reference_date: str | None = None, source: str = "") -> None:
        n = len(ids)
        put = functools.partial(object.__setattr__, self)
        put("ids", ids)
        put("attributes", attributes if attributes is not None else {})
        put("priority", priority if priority is not None else np.full(n, "", dtype=object))
        put("ballot_chances", ballot_chances if ballot_chances is not None else np.ones(n, dtype=np.int64))
        put("waiting_days", waiting_days if waiting_days is not None else np.zeros(n, dtype=float))
        put("carried", carried if carried is not None else {})
        put("reference_date", reference_date)
        put("source", source)

    @property
    def n(self) -> int:
        """Number of households."""
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_frame(cls, households: pd.DataFrame, *, source: str = "households",
                   attributes: Iterable[str] | None = None, max_groups: int = MAX_GROUPS,
                   reference_date: str | None = None) -> Households:
        """Validate a households table (one row per household) and build it; errors name the CSV line.

        ``attributes``: the columns to group by (those a policy caps or the user names); ``None`` takes every
        column that is not a known one. Other columns are carried through. See
        :mod:`commonground.model.household_schema` for the rules.

        Parameters
        ----------
        households : pandas.DataFrame
            One row per household, with a ``household_id`` column.
        source : str, optional
            Name used in error messages (usually the file's path).
        attributes : iterable of str, optional
            Columns to group by; ``None``: every column that is not a known one.
        max_groups : int, optional
            Most distinct values an attribute may have.
        reference_date : str, optional
            YYYY-MM-DD date waiting times from ``registration_date`` are counted to (``None``: the latest
            registration date).

        Returns
        -------
        Households
            The checked households.

        Raises
        ------
        InputError
            A missing or duplicate id, a bad value or too many groups, naming the line and column.

        Examples
        --------
        >>> import pandas as pd
        >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2"], "ethnicity": ["Malay", "Chinese"],
        ...                                          "priority": ["FT", ""]}))
        >>> list(hh.attributes), hh.priority.tolist()
        (['ethnicity'], ['FT', ''])
        """
        cols = read_columns(households, source=source, attributes=attributes, max_groups=max_groups,
                            reference_date=reference_date)
        return cls(ids=cols.ids, attributes=cols.attributes, priority=cols.priority,
                   ballot_chances=cols.ballot_chances, waiting_days=cols.waiting_days, carried=cols.carried,
                   reference_date=cols.reference_date, source=source)

    def to_frame(self) -> pd.DataFrame:
        """The households table in the shape :meth:`from_frame` reads.

        Returns
        -------
        pandas.DataFrame
            household_id, priority, ballot_chances, waiting_days, the group attributes, then carried columns.
        """
        df = pd.DataFrame({"household_id": self.ids, "priority": self.priority,
                           "ballot_chances": self.ballot_chances, "waiting_days": self.waiting_days})
        for a, v in self.attributes.items():
            df[a] = v
        for c, v in self.carried.items():
            if c not in df.columns and c not in KNOWN_COLUMNS:
                df[c] = v
        return df
