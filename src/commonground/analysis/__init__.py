"""Analyses that run allocation mechanisms: the price of diversity and fairness between groups.

They sit above :mod:`commonground.allocate` (they call ``optimal``, the ballot and the welfare model) and beside
:mod:`commonground.measure`, whose indices depend on no mechanism and no solver.

* :mod:`.welfare` — welfare with and without the caps, for the optimum and the ballot (price of diversity);
* :mod:`.fairness` — per-group mean utility and type envy between groups.
"""
