"""HDB's Build-To-Order computer ballot with sequential flat selection under the integration caps.

Applications get a random queue order (:mod:`commonground.allocate.queue`); in that order each household
selects its most preferred vacant flat among those the caps allow at that moment; a household with none
is skipped and the reason recorded. Same seed, same queue, same result.
"""

from __future__ import annotations

import numpy as np

from commonground.allocate.queue import ballot_queue
from commonground.allocate.result import Allocation
from commonground.allocate.selection import sequential_result
from commonground.model.problem import Problem
from commonground.policy.caps import Policy


def ballot(problem: Problem, policy: Policy, *, seed: int | None = 0) -> Allocation:
    """The HDB ballot under ``policy``'s caps."""
    rng = np.random.default_rng(seed)
    n_vacant = int((~problem.development.occupied).sum())
    order = ballot_queue(problem.households, n_vacant, policy.priority_shares, rng)
    return sequential_result(problem, policy, "ballot", seed, order)


def ballot_unconstrained(problem: Problem, policy: Policy, *, seed: int | None = 0) -> Allocation:
    """The same ballot (same queue for the same seed) with the caps switched off: the baseline."""
    rng = np.random.default_rng(seed)
    n_vacant = int((~problem.development.occupied).sum())
    order = ballot_queue(problem.households, n_vacant, policy.priority_shares, rng)
    return sequential_result(problem, policy.without_caps(), "ballot-unconstrained", seed, order)
