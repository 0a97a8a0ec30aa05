"""The optimum equals independent oracles: exhaustive search, the textbook MILP, and hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.allocate import allocate
from commonground.allocate import welfare_model as W
from commonground.allocate.optimal import NO_ACCEPTABLE, NOT_CHOSEN, optimal, optimal_unconstrained
from commonground.allocate.welfare_milp import solve
from commonground.model import BlockUtilities, Development, Households, Problem
from commonground.policy import NO_CAPS, Cap, Policy, load_policy

from .instances import instance
from .oracles import brute_force, cap_violations, textbook_milp

KINDS = ["block", "types", "flat"]
CAPS = ["block", "both", "two"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("caps", CAPS)
@pytest.mark.parametrize("seed", range(6))
def test_optimum_equals_brute_force(kind, caps, seed):
    # Expected value: exhaustive enumeration of every assignment (oracles.brute_force).
    problem, policy = instance(seed, n_flats=6, n_blocks=3, n_households=4, kind=kind, caps=caps, share_scale=0.8)
    got = optimal(problem, policy, seed=seed)
    assert got.info["exact"]
    assert got.welfare() == pytest.approx(brute_force(problem, policy), abs=1e-9)
    assert not cap_violations(got)
    # Unconstrained optimum = brute force with no caps.
    free = optimal_unconstrained(problem, policy, seed=seed)
    assert free.welfare() == pytest.approx(brute_force(problem, NO_CAPS), abs=1e-9)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("caps", CAPS)
@pytest.mark.parametrize("seed", range(3))
def test_optimum_equals_textbook_milp(kind, caps, seed):
    # Expected value: the textbook MILP (one binary per household × flat) solved by scipy.optimize.milp.
    problem, policy = instance(100 + seed, n_flats=30, n_blocks=4, n_households=45, kind=kind, caps=caps,
                               share_scale=0.6)
    got = optimal(problem, policy, seed=seed)
    assert got.info["exact"] and got.info["gap"] <= 1e-9
    assert got.welfare() == pytest.approx(textbook_milp(problem, policy), rel=1e-9, abs=1e-7)
    assert got.info["objective"] == pytest.approx(got.welfare(), rel=1e-9, abs=1e-9)
    assert not cap_violations(got)


def _hand_problem(existing_malay: bool = False) -> tuple[Problem, Policy]:
    rows = [{"flat_id": f"{b}-{i}", "block_id": b, "neighbourhood_id": "N", "occupant_ethnicity": None}
            for b in ("B1", "B2") for i in range(4)]
    if existing_malay:
        rows.append({"flat_id": "B1-old", "block_id": "B1", "neighbourhood_id": "N", "occupant_ethnicity": "Malay"})
    dev = Development.from_frame(pd.DataFrame(rows))
    hh = Households(ids=np.array(["M1", "M2", "C1"], dtype=object),
                    attributes={"ethnicity": np.array(["Malay", "Malay", "Chinese"], dtype=object)})
    U = np.array([[10.0, 1.0], [9.0, 8.0], [2.0, 1.0]])
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((3, len(dev.flat_type_names)))))
    return problem, Policy("malay-25", caps=(Cap.of("ethnicity", "block", {"Malay": 0.25}),))


def test_hand_worked_example():
    # Two blocks of 4 flats, Malay block cap 25 % → floor(0.25 × 4) = 1 Malay household per block.
    # Utilities: M1 (B1 10, B2 1), M2 (B1 9, B2 8), C1 (B1 2, B2 1).
    # With the cap: M1→B1, M2→B2, C1→B1 = 10 + 8 + 2 = 20. Without: all in B1 = 10 + 9 + 2 = 21.
    # Price of diversity = 21 / 20 = 1.05 (worked by hand).
    problem, policy = _hand_problem()
    con = optimal(problem, policy)
    free = optimal_unconstrained(problem, policy)
    assert con.welfare() == pytest.approx(20.0)
    assert free.welfare() == pytest.approx(21.0)
    blocks = problem.development.block_ids[problem.development.flat_block[con.flat_of]]
    assert list(blocks) == ["B1", "B2", "B1"]
    assert con.info["method"].startswith("min-cost flow")   # one attribute, block caps only: a network
    assert (con.queue_position == -1).all() and (con.reason == "").all()


def test_existing_occupants_count_towards_caps():
    # Same, plus an existing Malay household in B1 (now 5 units: floor(0.25 × 5) = 1, already taken).
    # So neither Malay household may enter B1: M2→B2 (8); M1 cannot enter B2 either (1 place, taken by M2,
    # which is worth more: 8 > 1), C1→B1 (2). Best = max(8 + 2, 1 + 2) = 10, M1 unhoused (worked by hand).
    problem, policy = _hand_problem(existing_malay=True)
    con = optimal(problem, policy)
    assert con.welfare() == pytest.approx(10.0)
    assert con.flat_of[0] == -1 and con.reason[0] == NOT_CHOSEN and con.queue_position[0] == -1


def test_unacceptable_everything_gets_its_own_reason():
    problem, policy = _hand_problem()
    U = problem.utilities.block.copy()
    U[2] = -np.inf
    p2 = Problem.build(problem.development, problem.households,
                       BlockUtilities(block=U, flat_type=problem.utilities.flat_type))
    got = optimal(p2, policy)
    assert got.reason[2] == NO_ACCEPTABLE


@pytest.mark.parametrize("kind", ["block", "types"])
@pytest.mark.parametrize("seed", range(4))
def test_non_binding_caps_change_nothing(kind, seed):
    # Shares of 1.0 allow a group every unit of a block/neighbourhood: caps cannot bind, so the constrained and
    # unconstrained optima are equal (and the model drops every cap row).
    problem, policy = instance(200 + seed, n_flats=40, n_blocks=5, n_households=60, kind=kind, caps="two",
                               share_scale=1e6)
    con, free = optimal(problem, policy), optimal_unconstrained(problem, policy)
    assert con.info["cap_rows"] == 0
    assert con.welfare() == pytest.approx(free.welfare(), rel=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_network_lp_is_integral_and_matches_the_milp(seed):
    # Where the model is declared a min-cost flow, the LP optimum must equal the MILP optimum of the same model
    # (and be integral, which solve() checks); an LP below the MILP would expose a wrong detection.
    problem, policy = instance(300 + seed, n_flats=60, n_blocks=6, n_households=120, kind="block", caps="block",
                               share_scale=0.5)
    model = W.build_model(problem, policy)
    assert model.network, model.why_not_network
    lp = solve(model)
    mip = solve(model, integer=True)
    assert "lp_fractional" not in lp.info
    assert lp.objective == pytest.approx(mip.objective, rel=1e-9)


def test_detection_rejects_crossing_caps_and_neighbourhood_caps():
    p, pol = instance(7, n_flats=60, n_blocks=6, n_households=150, kind="block", caps="two", share_scale=0.4)
    m = W.build_model(p, pol)
    assert not m.network and m.why_not_network
    p, pol = instance(7, n_flats=60, n_blocks=6, n_households=150, kind="types", caps="block", share_scale=0.4)
    m = W.build_model(p, pol)
    assert not m.network and "differently" in m.why_not_network


def test_neighbourhood_cap_counterexample_needs_the_milp():
    # The 5-cycle behind the detection rule: with a binding neighbourhood cap and household-specific block
    # utilities the LP relaxation can be fractional, so the model is solved as a MILP; brute force agrees.
    rows = [{"flat_id": f"{b}-{i}", "block_id": b, "neighbourhood_id": n}
            for b, n, k in (("B1", "N1", 1), ("B2", "N1", 1), ("B3", "N2", 1)) for i in range(k)]
    dev = Development.from_frame(pd.DataFrame(rows))
    hh = Households(ids=np.array(["x", "y", "z"], dtype=object),
                    attributes={"g": np.array(["M", "M", "C"], dtype=object)})
    U = np.array([[3.0, -np.inf, 2.0], [-np.inf, 3.0, -np.inf], [-np.inf, 2.0, 3.0]])
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((3, 1))))
    policy = Policy("n", caps=(Cap.of("g", "neighbourhood", {"M": 0.5}),))
    got = optimal(problem, policy)
    assert not got.info["network"] and got.info["exact"]
    assert got.welfare() == pytest.approx(brute_force(problem, policy))


def test_registry_and_sg_bto_scenario():
    from commonground.scenarios import get_scenario

    sc = get_scenario("sg-bto")
    con = allocate(sc.problem, sc.policy, "optimal", seed=0)
    free = allocate(sc.problem, sc.policy, "optimal-unconstrained", seed=0)
    ballot = allocate(sc.problem, sc.policy, "ballot", seed=0)
    assert con.mechanism == "optimal" and con.info["exact"]
    assert free.welfare() >= con.welfare() >= ballot.welfare()
    assert con.info["warm_start_welfare"] == pytest.approx(ballot.welfare())
    assert con.info["objective"] == pytest.approx(con.welfare(), rel=1e-9)
    # Several cap attributes (ethnicity and residency), block and neighbourhood caps: never exceeded.
    assert not cap_violations(con)


def test_same_seed_same_result_and_policy_preset():
    problem, _ = instance(5, n_flats=30, n_blocks=3, n_households=50)
    pol = load_policy("none")
    a, b = optimal(problem, pol, seed=3), optimal(problem, pol, seed=3)
    assert a.same_as(b)


@pytest.mark.parametrize("seed", range(6))
def test_priced_lp_equals_the_whole_lp(seed):
    # Column generation must stop at the full LP's optimum (expected value: the LP over every arc at once).
    problem, policy = instance(400 + seed, n_flats=80, n_blocks=12, n_households=300, kind="block", caps="block",
                               share_scale=0.4)
    model = W.build_model(problem, policy)
    assert model.network
    whole = solve(model, pricing=False)
    priced = solve(model, pricing=True)
    assert priced.objective == pytest.approx(whole.objective, rel=1e-12)
    assert priced.info["pricing_rounds"] >= 1


def test_time_limit_keeps_a_feasible_assignment_and_says_so():
    # Stopped almost at once, the MILP must still return a cap-respecting assignment at least as good as its
    # warm start (the ballot), and report whether optimality was proven.
    problem, policy = instance(11, n_flats=60, n_blocks=6, n_households=200, kind="types", caps="two",
                               share_scale=0.5)
    got = optimal(problem, policy, time_limit=1e-3)
    assert not got.info["network"]
    assert not cap_violations(got)
    assert got.welfare() >= got.info["warm_start_welfare"] - 1e-9
    assert got.info["exact"] == (got.info["status"] == "Optimal")
    assert got.info["objective"] == pytest.approx(got.welfare(), rel=1e-9)


def _odd_cycle_gadgets(k: int) -> tuple[Problem, Policy]:
    """k independent copies of a 5-cycle: in neighbourhood N1 = {B1 (2 flats), B2 (1)} households of group M may
    hold 1 place (share 0.34 of 3 units); B3 (1 flat) is in N2. h1 (M) accepts B1, B3; h2 (M) accepts B2;
    h3 (C) accepts B2, B3; every acceptable flat is worth 1; N2 also holds block B4 with two C occupants, so
    its M limit (1 of 3 units) does not bind. LP relaxation: all five arcs at ½ → 2.5;
    integer optimum 2 (hand-worked: h1 and h2 cannot both be housed in N1, and B3 serves h1 or h3)."""
    rows, ids, grp, U = [], [], [], []
    for i in range(k):
        for b, n, size in ((f"B1.{i}", f"N1.{i}", 2), (f"B2.{i}", f"N1.{i}", 1), (f"B3.{i}", f"N2.{i}", 1)):
            rows += [{"flat_id": f"{b}-{j}", "block_id": b, "neighbourhood_id": n, "occupant_g": None}
                     for j in range(size)]
        # Two occupied C flats in N2, so that N2 (3 units) also allows one M household.
        rows += [{"flat_id": f"B4.{i}-{j}", "block_id": f"B4.{i}", "neighbourhood_id": f"N2.{i}",
                  "occupant_g": "C"} for j in range(2)]
    dev = Development.from_frame(pd.DataFrame(rows))
    col = {b: j for j, b in enumerate(dev.block_ids)}
    for i in range(k):
        for h, g, acc in (("h1", "M", ("B1", "B3")), ("h2", "M", ("B2",)), ("h3", "C", ("B2", "B3"))):
            ids.append(f"{h}.{i}")
            grp.append(g)
            u = np.full(dev.n_blocks, -np.inf)
            u[[col[f"{b}.{i}"] for b in acc]] = 1.0
            U.append(u)
    hh = Households(ids=np.array(ids, dtype=object), attributes={"g": np.array(grp, dtype=object)})
    problem = Problem.build(dev, hh, BlockUtilities(block=np.array(U), flat_type=np.zeros((len(ids), 1))))
    return problem, Policy("n", caps=(Cap.of("g", "neighbourhood", {"M": 0.34}),))


@pytest.mark.parametrize("k", [1, 40])
def test_fractional_lp_is_closed_by_the_milp(k):
    problem, policy = _odd_cycle_gadgets(k)
    got = optimal(problem, policy)
    assert got.info["lp_bound"] == pytest.approx(2.5 * k)          # the relaxation is fractional
    assert got.info["arcs_after_fixing"] > 0                        # so the restricted MILP ran
    assert got.info["exact"] and got.welfare() == pytest.approx(2.0 * k)
    if k == 1:
        assert got.welfare() == pytest.approx(brute_force(problem, policy))
    assert not cap_violations(got)


def _shared_type_terms(problem: Problem, seed: int) -> Problem:
    """The same problem with flat-type terms shared within each cap limit (A; B and C together)."""
    rng = np.random.default_rng(seed)
    limit = np.where(problem.households.attributes["ethnicity"] == "A", 0, 1)
    nt = len(problem.development.flat_type_names)
    tau = np.round(rng.uniform(0, 2, (2, nt)), 2)    # ≥ 0: no arc is pruned as worth < 0
    V = tau[limit]
    return Problem.build(problem.development, problem.households,
                         BlockUtilities(block=problem.utilities.block, flat_type=V))


@pytest.mark.parametrize("seed", range(6))
def test_network_with_group_level_type_terms(seed):
    # Flat-type terms shared by each capped group keep the problem a flow (τ on the (limit, block) → class arcs).
    # Expected values: brute force (tiny) and the textbook MILP (medium).
    tiny, pol = instance(500 + seed, n_flats=6, n_blocks=2, n_households=4, kind="block", caps="block",
                         share_scale=0.6)
    tiny = _shared_type_terms(tiny, seed)
    got = optimal(tiny, pol)
    assert got.welfare() == pytest.approx(brute_force(tiny, pol), abs=1e-9)
    med, pol = instance(600 + seed, n_flats=40, n_blocks=4, n_households=70, kind="block", caps="block",
                        share_scale=0.4)
    med = _shared_type_terms(med, seed)
    got = optimal(med, pol)
    assert got.info["network"] and "lp_fractional" not in got.info
    assert got.welfare() == pytest.approx(textbook_milp(med, pol), rel=1e-9, abs=1e-7)
