"""The input options every command that reads a problem from files shares, read one way.

The policy is read first: the attributes households are grouped by are those its caps name plus
``--attributes``; every other households column is carried through to the outputs (docs/inputs.md).
``--no-caps`` keeps the policy's bands, priority shares and groups and drops only its caps, so "with vs
without caps" compares the caps and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from commonground.cli.choices import MAX_GROUPS
from commonground.cli.common import note

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    from commonground.allocate.result import Allocation
    from commonground.model.problem import Problem
    from commonground.policy import Policy

ATTRIBUTES_HELP = ("Households columns to group by, comma-separated, besides those the policy caps (other columns "
                   "are carried through to the outputs, never grouped)")
NO_CAPS_HELP = "Drop the policy's caps but keep its priority bands, shares and groups (the baseline to compare with)"
MAX_GROUPS_HELP = f"Most distinct values a group attribute may have (default {MAX_GROUPS})"
REFERENCE_DATE_HELP = ("Date (YYYY-MM-DD) waiting days are counted to from a registration_date column "
                       "(default: the latest registration date in the file)")


def attribute_names(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()]


def read_inputs(flats: Path, households: Path, preferences: Path | None, policy: str, *, attributes: str = "",
                no_caps: bool = False, max_groups: int = MAX_GROUPS,
                reference_date: str | None = None) -> tuple[Problem, Policy]:
    """The policy, then the problem with the attributes it and the user name; notes what was derived."""
    from commonground.io import read_problem
    from commonground.policy import load_policy

    pol = load_policy(policy)
    names = list(dict.fromkeys([*pol.attributes, *attribute_names(attributes)]))
    problem = read_problem(flats, households, preferences, attributes=names, max_groups=max_groups,
                           reference_date=reference_date)
    hh = problem.households
    carried = [c for c in hh.carried if c != "registration_date"]
    if not hh.attributes and carried:
        note(f"no group attributes (the policy caps none and --attributes names none): {', '.join(carried[:6])} "
             "carried through to the outputs, not grouped")
    if hh.reference_date:
        how = "given" if reference_date else "the latest registration date; --reference-date to change"
        note(f"waiting_days counted from registration_date to {hh.reference_date} ({how})")
    return problem, (pol.without_caps() if no_caps else pol)


def print_notes(result: Allocation) -> None:
    """What the mechanism did not use (e.g. the ballot ignores priority bands), on stderr."""
    for n in result.info.get("notes", []):
        note(n)

