"""The declared input schema of a households table: what each column means, and nothing guessed.

* **Known columns** have a meaning of their own: ``household_id`` (required), ``priority`` (a band or scheme,
  blank = none), ``ballot_chances`` (whole number ≥ 1), and waiting time as ``waiting_days`` (number ≥ 0)
  *or* ``registration_date`` (``YYYY-MM-DD``; waiting days are counted to a reference date, by default the
  latest registration date in the file, so the same file always gives the same days).
* **Attributes** are the columns households are grouped by (caps, measurement, reports): those a policy caps
  or the user names. An attribute with more than ``max_groups`` distinct values (default
  :data:`MAX_GROUPS`) is an error that names it: a postcode or a date is not a group. A blank value becomes
  the group :data:`BLANK`; whether a policy may leave it uncapped is the policy's ``unknown`` option.
* **Carried columns**: every other column is kept verbatim and written to the outputs, never grouped.
* A column whose name is a near miss of a known one (``Waiting Days``) is an error, not an attribute; so is one
  named like a column the allocation output writes itself (``status``, ``flat_id``, …).

Numbers must be finite and of a size that means something (see the ``MAX_*`` bounds); every error is one
line naming the file, the CSV line and the column (docs/inputs.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.errors import InputError

KNOWN_COLUMNS = ("household_id", "priority", "ballot_chances", "waiting_days", "registration_date")
#: Columns allocation.csv adds of its own (io/schema.py's ALLOCATION_TABLE): an input column of the same name
#: would be shadowed in the output, so it is an error.
OUTPUT_COLUMNS = ("flat_id", "block_id", "neighbourhood_id", "status", "reason", "queue_position", "utility")
#: Most distinct values an attribute may have before it is treated as a mistake (a postcode, a date).
MAX_GROUPS = 50
#: The group a blank attribute value falls in (kept only where the policy allows it: ``unknown = "uncapped"``).
BLANK = "(blank)"
#: More ballot chances than this is not a ballot (HDB gives at most a few).
MAX_BALLOT_CHANCES = 1_000_000
#: A century on a waiting list: anything longer is a unit mistake (minutes, seconds).
MAX_WAITING_DAYS = 36_525
DATE_FORMAT = "%Y-%m-%d"


@dataclass(frozen=True)
class HouseholdColumns:
    """What a households table holds once read: known arrays, attributes and carried columns."""

    ids: np.ndarray
    priority: np.ndarray | None
    ballot_chances: np.ndarray | None
    waiting_days: np.ndarray | None
    reference_date: str | None
    attributes: dict[str, np.ndarray]
    carried: dict[str, np.ndarray]


def read_columns(df: pd.DataFrame, *, source: str, attributes: Iterable[str] | None = None,
                 max_groups: int = MAX_GROUPS, reference_date: str | None = None) -> HouseholdColumns:
    """Split a households table by the declared schema (``attributes=None``: every other column)."""
    df = df.reset_index(drop=True)
    _check_column_names(df, source)
    if "household_id" not in df.columns:
        raise InputError("missing required column: household_id", source=source)
    if len(df) == 0:
        raise InputError("no households", source=source)
    ids = _ids(df, source)
    priority = None
    if "priority" in df.columns:
        priority = df["priority"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    chances = None
    if "ballot_chances" in df.columns:
        s = _numbers(df, "ballot_chances", source)
        bad = (s < 1) | (s != np.round(s)) | (s > MAX_BALLOT_CHANCES)
        _first_bad(bad, df, "ballot_chances", source, f"must be a whole number from 1 to {MAX_BALLOT_CHANCES:,}")
        chances = s.astype(np.int64)
    waiting, ref = _waiting(df, source, reference_date)

    others = [str(c) for c in df.columns if c not in KNOWN_COLUMNS]
    if attributes is None:
        names = others
    else:
        names = list(dict.fromkeys(str(a) for a in attributes))
        absent = [a for a in names if a not in df.columns]
        if absent:
            raise InputError(f"households have no attribute '{absent[0]}', which the policy or --attributes names "
                             f"(columns: {', '.join(map(str, df.columns))})", source=source)
        known = [a for a in names if a in KNOWN_COLUMNS]
        if known:
            raise InputError(f"'{known[0]}' is a known column with its own meaning, not a group attribute",
                             source=source)
    attrs = {a: _attribute(df, a, source, max_groups) for a in names}
    carried = {c: df[c].fillna("").astype(str).to_numpy(dtype=object) for c in others if c not in attrs}
    if "registration_date" in df.columns:
        carried["registration_date"] = df["registration_date"].fillna("").astype(str).str.strip().to_numpy(object)
    return HouseholdColumns(ids=ids, priority=priority, ballot_chances=chances, waiting_days=waiting,
                            reference_date=ref, attributes=attrs, carried=carried)


def _norm(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower())


def _check_column_names(df: pd.DataFrame, source: str) -> None:
    """A near miss of a known column (case, spaces, hyphens) would silently become a group: say so instead."""
    for c in df.columns:
        if str(c) in OUTPUT_COLUMNS:
            raise InputError(f"column '{c}' has the name of a column allocation.csv writes itself: rename it",
                             source=source)
        n = _norm(c)
        if n in KNOWN_COLUMNS and c != n:
            raise InputError(f"column '{c}' looks like the known column '{n}': rename it to '{n}' "
                             "(other columns are carried through, not read)", source=source)


def _ids(df: pd.DataFrame, source: str) -> np.ndarray:
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
    return ids


def _numbers(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    """A numeric column: every value a finite number (blank, text, inf and nan are errors)."""
    s = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    _first_bad(~np.isfinite(s), df, col, source, "must be a finite number")
    return s


def _first_bad(bad: np.ndarray, df: pd.DataFrame, col: str, source: str, what: str) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        more = f" ({int(bad.sum())} rows)" if bad.sum() > 1 else ""
        raise InputError(f"{col} {what}, got '{df[col].iloc[i]}'{more}", source=source, row=i + 2, column=col)


def _waiting(df: pd.DataFrame, source: str, reference_date: str | None) -> tuple[np.ndarray | None, str | None]:
    has_days, has_date = "waiting_days" in df.columns, "registration_date" in df.columns
    if has_days and has_date:
        raise InputError("give waiting_days or registration_date, not both", source=source)
    if has_days:
        s = _numbers(df, "waiting_days", source)
        _first_bad((s < 0) | (s > MAX_WAITING_DAYS), df, "waiting_days", source,
                   f"must be from 0 to {MAX_WAITING_DAYS:,} days")
        return s, None
    if not has_date:
        if reference_date is not None:
            raise InputError("a reference date was given but the file has no registration_date column",
                             source=source)
        return None, None
    text = df["registration_date"].fillna("").astype(str).str.strip()
    dates = pd.to_datetime(text, format=DATE_FORMAT, errors="coerce")
    _first_bad(dates.isna().to_numpy(), df, "registration_date", source, "must be a date as YYYY-MM-DD")
    if reference_date is None:
        ref = dates.max()
    else:
        ref = pd.to_datetime(str(reference_date), format=DATE_FORMAT, errors="coerce")
        if pd.isna(ref):
            raise InputError(f"reference date must be YYYY-MM-DD, got '{reference_date}'", source=source)
    days = (ref - dates).dt.days.to_numpy(dtype=float)
    label = ref.strftime(DATE_FORMAT)
    _first_bad(days < 0, df, "registration_date", source, f"is after the reference date {label}")
    _first_bad(days > MAX_WAITING_DAYS, df, "registration_date", source,
               f"is more than {MAX_WAITING_DAYS:,} days before the reference date {label}")
    return days, label


def _attribute(df: pd.DataFrame, col: str, source: str, max_groups: int) -> np.ndarray:
    raw = df[col]
    vals = raw.fillna("").astype(str).str.strip()
    vals = vals.where(vals != "", BLANK).to_numpy(dtype=object)
    n = len(pd.unique(vals))
    if n > max_groups:
        raise InputError(f"{n} distinct values, more than the {max_groups} an attribute (a grouping) may have: "
                         "a column like a postcode or a date is not a group; name the attributes with "
                         "--attributes, or raise --max-groups", source=source, column=col)
    return vals
