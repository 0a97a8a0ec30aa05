"""The priority-respecting optimum: who is housed follows the queue, where they live maximises welfare.

Property (stated in allocate/priority_optimal.py): the housed set is the queue-lexicographically largest set of
households that some cap-feasible assignment houses, and no cap-feasible assignment of exactly that set has higher
welfare. Oracle: brute force over every assignment of small markets, cap feasibility judged by the shared caps
oracle (check_caps), not by the mechanism's own constraint matrix. Beyond: Hypothesis on larger random instances,
where every other cap-respecting mechanism's housed set must come no earlier in queue order.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.allocate import allocate

from .instances import random_instance
from .test_ballot_properties import caps_allow, check_caps


def _equal_values(problem):
    """Flats of one (block, type) place worth the same: the mechanism's acceptability rule for a place (every flat
    of it worth > 0) is then exactly the per-flat rule (docs/mechanisms.md)."""
    from commonground.model import Problem

    dev = dataclasses.replace(problem.development, flat_value=np.zeros(problem.development.n_flats))
    return Problem.build(dev, problem.households, problem.utilities)


def _queue_key(housed: frozenset, queue: np.ndarray) -> tuple:
    """Larger is earlier in queue order: compare who is housed, first applicant first."""
    return tuple(int(h) in housed for h in queue)


def _brute_force(res):
    """Every cap-feasible assignment of the market: (housed set, welfare) pairs."""
    problem = res.problem
    dev = problem.development
    vacant = np.flatnonzero(~dev.occupied)
    options = []
    for h in range(problem.n_households):
        ok = vacant[problem.utility(np.full(len(vacant), h), vacant) > 0]
        options.append([-1, *ok.tolist()])
    out = []
    for combo in itertools.product(*options):
        taken = [f for f in combo if f >= 0]
        if len(set(taken)) < len(taken):
            continue
        flat_of = np.array(combo, np.int64)
        if not caps_allow(res, flat_of):
            continue
        hs = np.flatnonzero(flat_of >= 0)
        out.append((frozenset(hs.tolist()), float(problem.utility(hs, flat_of[hs]).sum())))
    return out


def _welfare(res) -> float:
    hs = np.flatnonzero(res.flat_of >= 0)
    return float(res.problem.utility(hs, res.flat_of[hs]).sum())


def test_housed_set_is_queue_first_and_welfare_is_best_for_it_exhaustively():
    checked = beats_ballot = 0
    for market in range(40):
        rng = np.random.default_rng(market)
        problem, policy = random_instance(market, int(rng.integers(2, 6)), int(rng.integers(1, 4)),
                                          int(rng.integers(3, 6)), flat_form=bool(market % 3 == 0),
                                          occupied_share=0.3, rule=str(rng.choice(["strict", "literal"])))
        problem = _equal_values(problem)
        res = allocate(problem, policy, "priority-optimal", seed=market)
        check_caps(res, problem, policy)
        queue = np.argsort(res.queue_position)
        every = _brute_force(res)
        best_set = max((s for s, _ in every), key=lambda s: _queue_key(s, queue))
        got = frozenset(np.flatnonzero(res.flat_of >= 0).tolist())
        assert got == best_set, market
        best_welfare = max(w for s, w in every if s == best_set)
        assert abs(_welfare(res) - best_welfare) < 1e-6, market
        ballot = allocate(problem, policy, "ballot", seed=market)
        beats_ballot += _queue_key(got, queue) > _queue_key(frozenset(np.flatnonzero(ballot.flat_of >= 0).tolist()),
                                                             queue) or _welfare(res) > _welfare(ballot) + 1e-9
        checked += len(every)
    assert checked > 50
    assert beats_ballot > 0  # the markets are not all ones where the ballot is already optimal


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_flats=st.integers(1, 30), n_blocks=st.integers(1, 5),
       n_households=st.integers(1, 40), flat_form=st.booleans(), rule=st.sampled_from(["strict", "literal"]),
       queue_seed=st.integers(0, 2**31))
def test_priority_optimal_keeps_caps_and_houses_no_later_than_any_cap_respecting_mechanism(
        seed, n_flats, n_blocks, n_households, flat_form, rule, queue_seed):
    problem, policy = random_instance(seed, n_flats, n_blocks, n_households, flat_form=flat_form, rule=rule)
    problem = _equal_values(problem)
    res = allocate(problem, policy, "priority-optimal", seed=queue_seed)
    check_caps(res, problem, policy)
    housed = res.flat_of[res.flat_of >= 0]
    assert len(np.unique(housed)) == len(housed)
    assert not problem.development.occupied[housed].any()
    assert (problem.utility(np.flatnonzero(res.flat_of >= 0), housed) > 0).all()
    assert all(r for r in res.reason[res.flat_of < 0])
    queue = np.argsort(res.queue_position)
    mine = _queue_key(frozenset(np.flatnonzero(res.flat_of >= 0).tolist()), queue)
    for other in ("ballot", "da-ceilings"):
        o = allocate(problem, policy, other, seed=queue_seed)
        assert (o.queue_position == res.queue_position).all()
        theirs = frozenset(np.flatnonzero(o.flat_of >= 0).tolist())
        assert mine >= _queue_key(theirs, queue), other
        if mine == _queue_key(theirs, queue):  # same households housed: welfare can only be better
            assert _welfare(res) >= _welfare(o) - 1e-6, other


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 5), st.integers(1, 60),
       st.sampled_from([0.0, 0.3, 0.7]), st.integers(0, 2**31))
def test_network_lp_houses_the_set_the_milp_greedy_houses(inst_seed, n_flats, n_blocks, n_households, occupied,
                                                          seed):
    """Block caps on one attribute, whole-block tastes: the one-LP stage 1 (gammoid, greedy = max-weight basis)
    must give exactly the greedy-with-MILP-oracle's housed set, and the same welfare."""
    problem, policy = random_instance(seed=inst_seed, n_flats=n_flats, n_blocks=n_blocks,
                                      n_households=n_households, flat_form=False, occupied_share=occupied,
                                      rule="strict", with_types=False, two_attributes=False)
    policy = dataclasses.replace(policy, caps=tuple(c for c in policy.caps if c.level == "block")[:1])
    problem = _equal_values(problem)
    lp = allocate(problem, policy, "priority-optimal", seed=seed)
    assert lp.info["stage_1"] == "one network LP (block caps only)"
    greedy = allocate(problem, policy, "priority-optimal", seed=seed, oracle="milp")
    assert set(np.flatnonzero(lp.flat_of >= 0)) == set(np.flatnonzero(greedy.flat_of >= 0))
    assert np.isclose(lp.welfare(), greedy.welfare())
    check_caps(lp, problem, policy)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(1, 5), st.integers(1, 50),
       st.sampled_from([0.0, 0.3, 0.7]), st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_max_flow_refusals_change_nothing(inst_seed, n_flats, n_blocks, n_households, occupied, flat_form,
                                          two_attributes, seed):
    """The max-flow relaxations only refuse households no cap-feasible assignment can add: the housed set and
    the welfare equal the plain greedy's with the MILP oracle, on general instances (flat types, flat-level
    lists, neighbourhood caps, two capped attributes, existing residents)."""
    problem, policy = random_instance(seed=inst_seed, n_flats=n_flats, n_blocks=n_blocks, n_households=n_households,
                                      flat_form=flat_form, occupied_share=occupied, two_attributes=two_attributes)
    problem = _equal_values(problem)
    fast = allocate(problem, policy, "priority-optimal", seed=seed)
    plain = allocate(problem, policy, "priority-optimal", seed=seed, oracle="milp")
    assert set(np.flatnonzero(fast.flat_of >= 0)) == set(np.flatnonzero(plain.flat_of >= 0))
    assert np.isclose(fast.welfare(), plain.welfare())
    check_caps(fast, problem, policy)
