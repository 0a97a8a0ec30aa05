"""Applicant households: ids, categorical attributes, priority scheme and ballot chances."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.errors import InputError

#: Columns with a meaning of their own; every other column is a categorical attribute (e.g. ethnicity).
RESERVED_HOUSEHOLD_COLUMNS = ("household_id", "priority", "ballot_chances", "waiting_days")


@dataclass(frozen=True, eq=False, init=False)
class Households:
    """Households as parallel arrays.

    ``attributes[attr][h]`` is household ``h``'s value of ``attr`` (a string label read from data).
    ``priority[h]`` names its priority scheme (``""`` for none; e.g. first-timer families ``FT``).
    ``ballot_chances[h]`` ≥ 1 is how many ballot entries it holds. ``waiting_days`` is time on a
    waiting list, used by choice-based lettings to order households within a priority band.
    The constructor may omit the last three (no scheme, one chance, no wait); the fields always hold arrays.
    """

    ids: np.ndarray
    attributes: dict[str, np.ndarray]
    priority: np.ndarray
    ballot_chances: np.ndarray
    waiting_days: np.ndarray

    def __init__(self, ids: np.ndarray, attributes: dict[str, np.ndarray] | None = None,
                 priority: np.ndarray | None = None, ballot_chances: np.ndarray | None = None,
                 waiting_days: np.ndarray | None = None) -> None:
        n = len(ids)
        put = functools.partial(object.__setattr__, self)
        put("ids", ids)
        put("attributes", attributes if attributes is not None else {})
        put("priority", priority if priority is not None else np.full(n, "", dtype=object))
        put("ballot_chances", ballot_chances if ballot_chances is not None else np.ones(n, dtype=np.int64))
        put("waiting_days", waiting_days if waiting_days is not None else np.zeros(n, dtype=float))

    @property
    def n(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_frame(cls, households: pd.DataFrame, *, source: str = "households") -> Households:
        """Validate a households table (one row per household) and build it; errors name the CSV line."""
        df = households.reset_index(drop=True)
        if "household_id" not in df.columns:
            raise InputError("missing required column: household_id", source=source)
        if len(df) == 0:
            raise InputError("no households", source=source)
        raw = df["household_id"]
        ids = raw.astype(str).str.strip().to_numpy(dtype=object)
        blank = raw.isna().to_numpy() | (ids == "")
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise InputError("empty household_id", source=source, row=i + 2, column="household_id")
        dup = pd.Series(ids).duplicated().to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise InputError(f"duplicate household_id '{ids[i]}'", source=source, row=i + 2, column="household_id")
        priority = None
        if "priority" in df.columns:
            priority = df["priority"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        chances = None
        if "ballot_chances" in df.columns:
            s = pd.to_numeric(df["ballot_chances"], errors="coerce")
            bad = s.isna() | (s < 1) | (s != s.round())
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"ballot_chances must be a whole number ≥ 1, got '{df['ballot_chances'].iloc[i]}'",
                                 source=source, row=i + 2, column="ballot_chances")
            chances = s.to_numpy(dtype=np.int64)
        waiting = None
        if "waiting_days" in df.columns:
            s = pd.to_numeric(df["waiting_days"], errors="coerce")
            bad = s.isna() | (s < 0)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"waiting_days must be a number ≥ 0, got '{df['waiting_days'].iloc[i]}'",
                                 source=source, row=i + 2, column="waiting_days")
            waiting = s.to_numpy(dtype=float)
        attrs: dict[str, np.ndarray] = {}
        for c in df.columns:
            if c in RESERVED_HOUSEHOLD_COLUMNS:
                continue
            col = df[c]
            vals = col.astype(str).str.strip()
            empty = col.isna().to_numpy() | (vals == "").to_numpy()
            if empty.any():
                i = int(np.flatnonzero(empty)[0])
                raise InputError(f"empty value for attribute '{c}'", source=source, row=i + 2, column=str(c))
            attrs[str(c)] = vals.to_numpy(dtype=object)
        return cls(ids=ids, attributes=attrs, priority=priority, ballot_chances=chances, waiting_days=waiting)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame({"household_id": self.ids, "priority": self.priority,
                           "ballot_chances": self.ballot_chances, "waiting_days": self.waiting_days})
        for a, v in self.attributes.items():
            df[a] = v
        return df
