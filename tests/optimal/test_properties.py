"""Invariants of the optimal mechanisms on random instances (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.allocate import ballot
from commonground.allocate.optimal import optimal, optimal_unconstrained

from .instances import instance
from .oracles import cap_violations

cases = st.tuples(st.integers(0, 10_000), st.integers(2, 40), st.integers(1, 6), st.integers(1, 60),
                  st.sampled_from(["block", "types", "flat"]), st.sampled_from(["block", "both", "two"]),
                  st.floats(0.2, 1.2), st.sampled_from(["strict", "literal"]))


@settings(max_examples=40)
@given(cases)
def test_invariants(case):
    seed, n_flats, n_blocks, n_hh, kind, caps, scale, rule = case
    problem, policy = instance(seed, n_flats, n_blocks, n_hh, kind=kind, caps=caps, share_scale=scale, rule=rule)
    dev = problem.development
    con = optimal(problem, policy, seed=seed)
    free = optimal_unconstrained(problem, policy, seed=seed)
    for a in (con, free):
        got = a.flat_of[a.flat_of >= 0]
        assert len(np.unique(got)) == len(got)                    # each flat at most one household
        assert not dev.occupied[got].any()                         # only vacant flats
        assert np.isfinite(a.household_utility()[a.flat_of >= 0]).all()   # only acceptable flats
        assert ((a.reason == "") == (a.flat_of >= 0)).all()
        assert (a.queue_position == -1).all()
        assert a.info["exact"]
        assert a.info["objective"] == pytest.approx(a.welfare(), rel=1e-9, abs=1e-9)
    assert not cap_violations(con)                                 # caps never violated
    # The ballot's outcome is feasible under the caps, so the optimum is at least as good (any seed);
    # dropping the caps can only help, so the price of diversity is ≥ 1.
    assert con.welfare() >= ballot(problem, policy, seed=seed).welfare() - 1e-9
    assert free.welfare() >= con.welfare() - 1e-9
