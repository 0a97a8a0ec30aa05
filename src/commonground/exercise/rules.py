"""HDB sales-exercise rules as functions: ballot chances, first-timer quotas, priority-scheme shares.

Every figure is from ../shared/reference/hdb_allocation.md (HDB, confirmed there unless marked). Marked *assumed*
where the reference leaves a gap; each is a parameter, not a constant buried in the mechanics.
"""

from __future__ import annotations

#: Applicant statuses: first-timer family, first-timer parents / married couple, second-timer family.
FT, FT_PARENTS, ST = "FT", "FT-parents", "ST"
STATUSES = (FT, FT_PARENTS, ST)

#: Ballot chances (confirmed): first-timer families 2, second-timers 1, first-timer parents/married couples 3.
BASE_CHANCES = {FT: 2, FT_PARENTS: 3, ST: 1}
#: Extra chances after failures in non-mature (Standard) estates are capped at 4 (other first-timers) and 5
#: (parents and married couples).
CHANCE_CAP = {FT: 4, FT_PARENTS: 5, ST: 1}

#: Priority schemes as shares of a project's flats (Family Care (Proximity) 30 % for first-timers, Family and
#: Parenthood 40 % of BTO flats, Third Child 5 %), balloted in this order.
SCHEME_SHARES = {"TCPS": 0.05, "FPPS": 0.40, "FCS": 0.30}

#: Flat types at or above 4-room, for the non-mature first-timer quota.
LARGE_TYPES = frozenset({"4-room", "5-room", "3Gen", "Executive"})


def ballot_chances(status: str, non_mature_failures: int, *, applying_non_mature: bool) -> int:
    """Ballot chances of one application.

    First-timers who have failed twice or more in non-mature estates get one extra chance per further try
    there: ``failures - 1`` extra from the second failure on, capped (4 for FT families, 5 for parents and
    married couples). Second-timers always have 1.

    >>> ballot_chances("FT", 0, applying_non_mature=True), ballot_chances("FT", 2, applying_non_mature=True)
    (2, 3)
    """
    if status not in BASE_CHANCES:
        raise ValueError(f"unknown applicant status '{status}' (choose from: {', '.join(STATUSES)})")
    base = BASE_CHANCES[status]
    if status == ST or not applying_non_mature or non_mature_failures < 2:
        return base
    return min(base + non_mature_failures - 1, CHANCE_CAP[status])


def first_timer_quota(flat_type: str, *, mature: bool, small_non_mature: float = 0.85) -> float:
    """Least share of a (project, flat type)'s flats for first-timers (from the Aug 2022 BTO): mature estates
    95 %; non-mature 95 % of 4-room and larger, 85 % of 3-room. 2-room Flexi in non-mature estates is not
    stated for families in the reference: ``small_non_mature`` (*assumed* 85 %, as 3-room)."""
    if mature:
        return 0.95
    if flat_type in LARGE_TYPES:
        return 0.95
    if flat_type == "3-room":
        return 0.85
    return small_non_mature
