"""Who was housed, who was skipped and why, per group: the tables behind the outcome charts.

Skip reasons name the unit (``block N1-B3: Malay cap 25% reached``); for counting by group they are folded
into categories that drop the unit (``Malay cap 25% (block)``), so one category counts every household that
a given cap stopped, wherever it stopped them.
"""

from __future__ import annotations

import re

import pandas as pd

HOUSED = "housed"
_CAP_REASON = re.compile(r"^(block|neighbourhood) (.+?): (.+) cap (\S+%) reached$")


def reason_category(reason: str) -> str:
    """``block B3: Malay cap 25% reached`` -> ``Malay cap 25% (block)``; other reasons unchanged; "" -> housed."""
    if not reason:
        return HOUSED
    m = _CAP_REASON.match(reason)
    return f"{m.group(3)} cap {m.group(4)} ({m.group(1)})" if m else reason


def is_cap_category(category: str) -> bool:
    return bool(re.search(r" cap \S+% \((block|neighbourhood)\)$", category))


def outcome_table(households: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """Rows: groups of ``attribute``; columns: applicants, then households per outcome (housed first, then
    skip categories, most common first)."""
    if attribute not in households.columns or "reason" not in households.columns:
        return pd.DataFrame()
    housed = households["status"].eq("allocated") if "status" in households.columns else households["reason"].eq("")
    cat = households["reason"].fillna("").astype(str).map(reason_category).where(~housed, HOUSED)
    tab = pd.crosstab(households[attribute].astype(str).rename(attribute), cat)
    order = [HOUSED] if HOUSED in tab.columns else []
    order += [c for c in tab.sum().sort_values(ascending=False).index if c != HOUSED]
    tab = tab[order]
    tab.insert(0, "applicants", tab.sum(axis=1))
    return tab


def skipped_by_reason(households: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """Long table: group, reason category, skipped households and their share of the group's applicants."""
    tab = outcome_table(households, attribute)
    if tab.empty:
        return pd.DataFrame(columns=[attribute, "reason", "skipped", "share of applicants"])
    long = tab.drop(columns=["applicants", HOUSED], errors="ignore").stack().rename("skipped").reset_index()
    long.columns = [attribute, "reason", "skipped"]
    long = long[long["skipped"] > 0]
    long["share of applicants"] = long["skipped"] / long[attribute].map(tab["applicants"])
    return long.sort_values([attribute, "skipped"], ascending=[True, False]).reset_index(drop=True)


def cap_skips(households: pd.DataFrame) -> int:
    """Households skipped because a cap stopped them."""
    if "reason" not in households.columns:
        return 0
    return int(households["reason"].fillna("").astype(str).map(reason_category).map(is_cap_category).sum())
