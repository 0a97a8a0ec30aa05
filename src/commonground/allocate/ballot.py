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


def _queue(problem: Problem, policy: Policy, seed: int | None) -> np.ndarray:
    """The seeded ballot queue; both ballots draw it the same way, so one seed gives one queue."""
    n_vacant = int((~problem.development.occupied).sum())
    return ballot_queue(problem.households, n_vacant, policy.priority_shares, np.random.default_rng(seed))


def ballot(problem: Problem, policy: Policy, *, seed: int | None = 0) -> Allocation:
    """The HDB ballot under ``policy``'s caps.

    Parameters
    ----------
    problem : Problem
        Development, households and preferences.
    policy : Policy
        The caps, rounding rule and priority shares (places reserved in the queue).
    seed : int or None, optional
        Seed of the queue; the same seed gives the same allocation.

    Returns
    -------
    Allocation
        Who got which flat, and why the others were skipped: the cap that stopped them, or no acceptable
        flat left.

    Examples
    --------
    The ``problem`` and ``pol`` of :class:`Allocation`'s example: four households, three of them Malay, and
    three flats; a 50 % Malay cap on one-flat block B allows no Malay household there (strict rule):

    >>> ballot(problem, pol, seed=0).flat_of.tolist()
    [-1, -1, 1, 0]
    """
    return sequential_result(problem, policy, "ballot", seed, _queue(problem, policy, seed))


def ballot_unconstrained(problem: Problem, policy: Policy, *, seed: int | None = 0) -> Allocation:
    """The same ballot (same queue for the same seed) with the caps switched off: the baseline.

    Parameters
    ----------
    problem : Problem
        Development, households and preferences.
    policy : Policy
        Its caps are ignored; its priority shares shape the queue as in :func:`ballot`.
    seed : int or None, optional
        Seed of the queue; the same seed draws :func:`ballot`'s queue, so the two compare household by
        household.

    Returns
    -------
    Allocation
        Who got which flat; a household is skipped only when no flat it accepts is left.

    Examples
    --------
    Without the caps in the ``problem`` and ``pol`` of :class:`Allocation`'s example, block B's one flat goes
    to a Malay household (h2):

    >>> ballot_unconstrained(problem, pol, seed=0).flat_of.tolist()
    [-1, 2, 1, 0]
    """
    return sequential_result(problem, policy.without_caps(), "ballot-unconstrained", seed,
                             _queue(problem, policy, seed))
