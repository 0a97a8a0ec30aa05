"""Mechanisms: every one is ``mechanism(problem, policy, *, seed) -> Allocation``.

* ``ballot`` — HDB's computer ballot, sequential selection under the caps;
* ``ballot-unconstrained`` — the same queue without caps (baseline);
* ``cbl`` — UK-style choice-based lettings (bands, waiting time, bids);
* ``optimal`` / ``optimal-unconstrained`` — welfare-maximising assignment with / without the caps;
* ``da-ceilings`` / ``da-soft-bounds`` — deferred acceptance with the caps as hard ceilings / soft bounds;
* ``da-reserves`` — deferred acceptance where each block reserves places for under-represented groups (minority
  reserves, filled first; unfilled ones go to anyone), under the caps as hard ceilings;
* ``priority-optimal`` — the queue's earliest applicants any cap-feasible assignment can house, best welfare among
  their assignments.
"""

from __future__ import annotations

from collections.abc import Callable

from commonground import extras
from commonground.allocate.ballot import ballot, ballot_unconstrained
from commonground.allocate.cbl import choice_based_lettings
from commonground.allocate.deferred_acceptance import deferred_acceptance, deferred_acceptance_soft
from commonground.allocate.priority_optimal import priority_optimal
from commonground.allocate.reserves import deferred_acceptance_reserves
from commonground.allocate.result import Allocation
from commonground.model.problem import Problem
from commonground.policy.caps import Policy

Mechanism = Callable[..., Allocation]


def _optimal(problem: Problem, policy: Policy, *, seed: int | None = 0, **options) -> Allocation:
    extras.require("optimal", "the 'optimal' mechanism")
    from commonground.allocate.optimal import optimal

    return optimal(problem, policy, seed=seed, **options)


def _optimal_unconstrained(problem: Problem, policy: Policy, *, seed: int | None = 0, **options) -> Allocation:
    extras.require("optimal", "the 'optimal-unconstrained' mechanism")
    from commonground.allocate.optimal import optimal_unconstrained

    return optimal_unconstrained(problem, policy, seed=seed, **options)


MECHANISMS: dict[str, Mechanism] = {
    "ballot": ballot,
    "ballot-unconstrained": ballot_unconstrained,
    "cbl": choice_based_lettings,
    "optimal": _optimal,
    "optimal-unconstrained": _optimal_unconstrained,
    "da-ceilings": deferred_acceptance,
    "da-soft-bounds": deferred_acceptance_soft,
    "da-reserves": deferred_acceptance_reserves,
    "priority-optimal": priority_optimal,
}


def get_mechanism(name: str) -> Mechanism:
    """The mechanism registered as ``name`` (see the module docstring for the list).

    Parameters
    ----------
    name : str
        A key of ``MECHANISMS``, e.g. ``"ballot"``.

    Returns
    -------
    Mechanism
        ``mechanism(problem, policy, *, seed, **options) -> Allocation``.

    Raises
    ------
    ValueError
        Unknown name; the message lists the valid ones.

    Examples
    --------
    >>> get_mechanism("ballot").__name__
    'ballot'
    """
    try:
        return MECHANISMS[name]
    except KeyError:
        from commonground.policy.checks import closest_hint

        hint = closest_hint(name, list(MECHANISMS))
        raise ValueError(f"unknown mechanism '{name}'{hint} (choose from: {', '.join(MECHANISMS)})") from None


def allocate(problem: Problem, policy: Policy, mechanism: str = "ballot", *, seed: int | None = 0,
             **options) -> Allocation:
    """Allocate the development's vacant flats to the households under ``policy`` with the named mechanism.

    Parameters
    ----------
    problem
        Flats, households and their utilities (:meth:`commonground.model.Problem.build`).
    policy
        The caps and priority scheme (:func:`commonground.policy.load_policy`).
    mechanism
        One of :data:`MECHANISMS`: ``ballot``, ``ballot-unconstrained``, ``cbl``, ``optimal`` (needs the
        ``[optimal]`` extra) or ``optimal-unconstrained``.
    seed
        Seed of the mechanism's random draws: the same seed gives the same allocation.
    **options
        Passed to the mechanism, e.g. ``time_limit`` for ``optimal``, ``max_bids`` for ``cbl``.

    Returns
    -------
    Allocation
        Who got which flat, why the others were skipped, and views of the result (counts, caps, groups).

    Examples
    --------
    >>> from commonground.scenarios import get_scenario
    >>> sc = get_scenario("sg-bto")
    >>> result = allocate(sc.problem, sc.policy, "ballot", seed=0)
    >>> result.n_allocated, round(result.welfare(), 2)
    (800, 6258.56)
    """
    return get_mechanism(mechanism)(problem, policy, seed=seed, **options)


__all__ = ["MECHANISMS", "Allocation", "allocate", "ballot", "ballot_unconstrained", "choice_based_lettings",
           "get_mechanism"]
