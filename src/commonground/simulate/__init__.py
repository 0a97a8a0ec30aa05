"""Simulating integration over the years: a town's arrivals, moves, resales and launches under policies.

* :mod:`~commonground.simulate.schelling` — the classic Schelling model with Mesa's example's rules;
"""

from commonground.simulate.schelling import Schelling, SchellingParams, run_schelling

__all__ = ["Schelling", "SchellingParams", "run_schelling"]
