"""Checks of households against a policy before any mechanism runs: nothing in the data is dropped unsaid.

* **Priorities**: where a policy orders bands (``priority_order``) or reserves places (``priority_shares``),
  every household's non-blank priority must be one of them; unknown values are one error listing them, each
  with the closest known value (``'Band A' (closest 'A')``). Blank means no band (after every band).
* **Unknown categories**: a household whose value of a capped attribute is outside the policy's declared
  groups (or blank, where no groups are declared) is an error unless the policy says
  ``unknown = { attribute = "uncapped" }``; the error counts them and names the first line.
* **Notes**: a mechanism that does not use the bands (the ballot, the optimum; cbl under a policy with no
  ``priority_order``) says so.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from commonground.errors import PolicyError
from commonground.model.household_schema import BLANK
from commonground.model.households import Households
from commonground.policy.caps import Policy


def closest(value: str, known: Sequence[str]) -> str | None:
    """The known value a misspelt one most likely means: same letters ignoring case, a shared word
    ('Band A' → 'A'), else the nearest by :mod:`difflib` (None if nothing is near)."""
    if not known:
        return None
    low = {k.lower(): k for k in known}
    if value.lower() in low:
        return low[value.lower()]
    words = [w for w in re.split(r"[\s_\-/.:,()]+", value.lower()) if w]
    for w in reversed(words):        # 'Band A': the distinguishing word is usually the last
        if w in low:
            return low[w]
    for k in known:
        kw = [w for w in re.split(r"[\s_\-/.:,()]+", k.lower()) if w]
        if value.lower() in kw:
            return k
    near = difflib.get_close_matches(value, list(known), n=1, cutoff=0.5)
    return near[0] if near else None


def closest_hint(value: str, known: Sequence[str]) -> str:
    """`` (closest 'X')`` for a misspelt name, or ``""`` when nothing known is near: one wording for every
    "unknown ..." message (policies, mechanisms, groups, bands)."""
    near = closest(value, known)
    return f" (closest '{near}')" if near else ""


def _listing(values: Sequence[str], known: Sequence[str], limit: int = 6) -> str:
    parts = []
    for v in values[:limit]:
        if v == BLANK:
            parts.append("blank")
            continue
        c = closest(v, known)
        parts.append(f"'{v}' (closest '{c}')" if c else f"'{v}'")
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(parts) + more


def _row(hh: Households, i: int) -> int | None:
    return i + 2 if hh.source else None


def known_priorities(policy: Policy) -> list[str]:
    return list(dict.fromkeys([*policy.priority_order, *policy.priority_shares]))


def check_priorities(policy: Policy, hh: Households) -> None:
    """Every non-blank priority is a band or scheme the policy knows (when it names any)."""
    known = known_priorities(policy)
    if not known:
        return
    prio = np.asarray(hh.priority, dtype=object)
    bad = (prio != "") & ~pd.Series(prio).isin(known).to_numpy()
    if not bad.any():
        return
    values = sorted(map(str, pd.unique(prio[bad])))
    raise PolicyError(f"{int(bad.sum())} households have priority values policy '{policy.name}' does not know: "
                      f"{_listing(values, known)}; known: {', '.join(known)} (rename them in the data, or list "
                      "them in the policy's priority_order)", source=hh.source or None,
                      row=_row(hh, int(np.flatnonzero(bad)[0])), column="priority")


def check_categories(policy: Policy, hh: Households) -> None:
    """Values of a capped attribute outside the declared groups (or blank) need ``unknown = "uncapped"``."""
    for attr in policy.attributes:
        vals = hh.attributes.get(attr)
        if vals is None or policy.unknown.get(attr) == "uncapped":
            continue
        declared = policy.groups.get(attr)
        bad = (~pd.Series(vals).isin(declared).to_numpy() if declared is not None
               else np.asarray(vals == BLANK, dtype=bool))
        if not bad.any():
            continue
        n = int(bad.sum())
        who = f"{n} household{'s' if n > 1 else ''}"
        if declared is not None:
            values = sorted(str(v) for v in pd.unique(vals[bad]))
            what = (f"unknown group {_listing(values, list(declared))} for '{attr}' in {who}: policy "
                    f"'{policy.name}' knows {', '.join(declared)}")
        else:
            what = f"blank value for '{attr}' in {who}: policy '{policy.name}' caps '{attr}'"
        raise PolicyError(f'{what}; fix the data, or add unknown = {{ {attr} = "uncapped" }} to the policy to keep '
                          "them as their own, never capped, group", source=hh.source or None,
                          row=_row(hh, int(np.flatnonzero(bad)[0])), column=attr)


def check_households(policy: Policy, hh: Households) -> None:
    """Priorities and categories of the households against the policy (one-line errors)."""
    check_priorities(policy, hh)
    check_categories(policy, hh)


def has_bands(hh: Households) -> bool:
    return bool((np.asarray(hh.priority, dtype=object) != "").any())


def priority_notes(hh: Households, policy: Policy, mechanism: str) -> list[str]:
    """What a mechanism that does not order by band leaves unused (for its summary and stderr)."""
    if not has_bands(hh):
        return []
    base = mechanism.split("-")[0]
    if base == "cbl":
        if policy.priority_order:
            return []
        return [f"cbl ignores the households' priority bands: policy '{policy.name}' gives no priority_order, so "
                "all are one band (--no-caps keeps a policy's bands and drops only its caps)"]
    if policy.priority_order:
        shares = ", ".join(policy.priority_shares)
        how = (f"its queue is random, with places reserved for {shares} (priority_shares)"
               if base == "ballot" and shares else "its queue is random" if base == "ballot"
               else "it maximises total utility")
        return [f"{base} ignores the priority bands of priority_order ({', '.join(policy.priority_order)}): {how}"]
    if not policy.priority_shares:
        return [f"{base} ignores the households' priority values: policy '{policy.name}' gives no priority_order "
                "or priority_shares"]
    return []


def waiting_note(hh: Households) -> list[str]:
    """cbl orders by waiting time within a band: say when there is none to order by."""
    if hh.n > 1 and not np.any(hh.waiting_days):
        return ["no waiting_days or registration_date: within a band the shortlist order is random"]
    return []
