"""The time limit holds while the welfare model is being built: past the deadline the build stops (it checks
between stages and inside its loops) and ``optimal`` returns the ballot's assignment with the bound "every
household on its best flat", which needs no model.

Expected values: the bound is checked against the independent agent × flat optimum of ``test_benabbou`` (it must
not be below it) and against brute force over every vacant flat through ``Problem.utility`` (a separate code
path from ``best_utility``); the assignment against the shared cap oracle.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.allocate.optimal import OUT_OF_TIME, best_utility, optimal, optimal_unconstrained
from commonground.allocate.welfare_model import OutOfTime, build_model

from .benabbou import DATA, instance
from .instances import instance as small_instance
from .oracles import cap_violations


@pytest.mark.skipif(not (DATA / "numApts.txt").exists(), reason="needs ../shared/data/benabbou_hdb")
def test_a_limit_shorter_than_the_build_returns_the_ballot_with_a_valid_bound():
    problem, policy, U = instance("random", 2)
    with pytest.raises(OutOfTime):
        build_model(problem, policy, deadline=time.perf_counter())
    t0 = time.perf_counter()
    got = optimal(problem, policy, time_limit=0.01)
    elapsed = time.perf_counter() - t0
    # The full build alone takes 1-3 s here; stopping at its first check, the call is the ballot (~0.2 s) plus
    # the bound (one pass over the utilities).
    assert elapsed < 3.0, elapsed
    assert got.info["status"] == "Time limit reached (model not built)"
    assert not got.info["exact"] and got.info["gap"] > 0
    assert cap_violations(got) == []
    housed = np.flatnonzero(got.flat_of >= 0)
    assert len(np.unique(got.flat_of[housed])) == len(housed)
    welfare = float(U[housed, got.flat_of[housed]].sum())
    assert got.welfare() == pytest.approx(welfare, rel=1e-12)
    # Every household on its best flat: each row of U sums to 1 over 1,350 flats, so the bound is Σ max_j U[h, j].
    assert got.info["bound"] == pytest.approx(U.max(axis=1).sum(), rel=1e-12)
    full = optimal(problem, policy)
    assert got.info["bound"] >= full.welfare()
    assert set(got.reason[got.flat_of < 0]) <= {OUT_OF_TIME}        # here the ballot houses all but 0-2
    assert any("time limit passed before the welfare model was built" in n for n in got.info["notes"])
    free = optimal_unconstrained(problem, policy)       # dense: linear_sum_assignment, no build to time out
    assert free.info["status"] == "Optimal"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["block", "types", "flat"]))
def test_best_utility_is_the_best_vacant_flat(seed, kind):
    problem, policy = small_instance(seed, 12, 3, 8, kind=kind)
    vacant = np.flatnonzero(~problem.development.occupied)
    H = problem.n_households
    brute = np.array([problem.utility(np.full(len(vacant), h), vacant).max(initial=-np.inf) for h in range(H)])
    np.testing.assert_allclose(best_utility(problem), brute, rtol=1e-12)
    # Ran out of time at once, any problem returns a cap-feasible ballot whose bound is at least the optimum.
    got = optimal(problem, policy, time_limit=0.0)
    assert got.info["status"] == "Time limit reached (model not built)"
    assert cap_violations(got) == []
    unhoused = got.flat_of < 0
    assert all(r == OUT_OF_TIME for r in got.reason[unhoused & (brute > 0)])
    assert got.info["bound"] >= optimal(problem, policy).welfare() - 1e-9
