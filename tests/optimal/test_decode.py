"""Turning the optimum's class counts into flats: within a flat class the best flats go to the households that
value the class least, so no one is housed at a worth ≤ 0 that another order avoids, and anyone still at ≤ 0 is
left unhoused (a flat is acceptable only if worth > 0; it adds nothing to the welfare).

Expected values are hand-worked: one block, flats worth 1 and 0 on their own, block utilities as given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.allocate import welfare_model as W
from commonground.allocate.optimal import optimal
from commonground.model import BlockUtilities, Development, Households, Problem
from commonground.policy import Policy


def _problem(block_utility: list[float]) -> Problem:
    dev = Development.from_frame(pd.DataFrame({"flat_id": ["good", "plain"], "block_id": "B",
                                               "neighbourhood_id": "N", "value": [1.0, 0.0]}))
    hh = Households(ids=np.array([f"h{i}" for i in range(len(block_utility))], dtype=object), attributes={})
    return Problem.build(dev, hh, BlockUtilities(block=np.array(block_utility, dtype=float)[:, None],
                                                 flat_type=np.zeros((len(block_utility), 1))))


def test_the_better_flat_goes_to_the_household_that_values_the_block_least():
    # h0 values the block at 1, h1 at 0; the counts send both to the block (welfare 1 + 0 + 1 + 0 = 2, as good as
    # housing h0 alone, so an optimum may do either). h1 on the plain flat would be worth 0 to it (not
    # acceptable); h1 on the good flat and h0 on the plain one houses both at worth 1 each.
    problem = _problem([1.0, 0.0])
    model = W.build_model(problem, Policy("none"))
    assert model.n_arcs == 2 and model.classes.n == 1
    flat_of = W.decode(model, np.ones(2, dtype=np.int64), np.random.default_rng(0))
    assert list(flat_of) == [1, 0]
    assert problem.assignment_utility(flat_of).tolist() == [1.0, 1.0]
    got = optimal(problem, Policy("none"))
    assert got.welfare() == pytest.approx(2.0)
    housed = got.flat_of >= 0
    assert (problem.assignment_utility(got.flat_of)[housed] > 0).all()


def test_a_household_whose_flat_would_be_worth_nothing_is_not_housed():
    # Both value the block at 0: one takes the good flat (worth 1); the plain flat is worth 0 to the other, so it
    # stays unhoused, with the welfare unchanged (1).
    got = optimal(_problem([0.0, 0.0]), Policy("none"))
    assert got.welfare() == pytest.approx(1.0)
    assert sorted(got.flat_of.tolist()) == [-1, 0]
    assert got.info["objective"] == pytest.approx(1.0)
