"""The mechanism frontier: its envy and dominance definitions on hand-worked cases, and the command end to end.

Independent facts used: the ballot is serial dictatorship in its queue, so no one ahead in the queue envies a
household of the same cap class behind it (it could have taken that flat when its turn came); the caps-respecting
optimum has share 1 of itself; caps-respecting mechanisms breach no cap (the shared oracle agrees).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from commonground.allocate import Allocation
from commonground.cli import app
from commonground.frontier import dominance, frontier, justified_envy, summarise
from commonground.model import BlockUtilities, Development, Households, Problem
from commonground.policy import Cap, CapLimit, Policy
from commonground.policy.state import CapState

from .instances import random_instance
from .test_ballot_properties import check_caps


def _two_flat_market():
    dev = Development.from_frame(pd.DataFrame({"flat_id": ["top", "low"], "block_id": "B", "neighbourhood_id": "N",
                                               "value": [1.0, 0.0]}))
    hh = Households(ids=np.array(["h0", "h1", "h2"], dtype=object),
                    attributes={"ethnicity": np.array(["A", "A", "B"], dtype=object)})
    problem = Problem.build(dev, hh, BlockUtilities(block=np.ones((3, 1)), flat_type=np.zeros((3, 1))))
    return problem, Policy(name="t", caps=(Cap("ethnicity", "block", (CapLimit("A", frozenset({"A"}), 1.0),)),))


def test_justified_envy_hand_worked():
    """Queue h0, h1, h2. h1 holds the top flat, h0 the low one: h0 (same group, ahead) envies h1 → 1. h2 (other
    group) is behind everyone: its envy is not justified. Swap them and no one has justified envy."""
    problem, policy = _two_flat_market()
    caps = CapState.build(policy, problem.development, problem.households)
    rank = np.array([0, 1, 2])

    def alloc(flat_of):
        return Allocation(problem=problem, policy=policy, mechanism="x", seed=0, flat_of=np.array(flat_of),
                          reason=np.array(["", "", "x"], dtype=object), queue_position=rank + 1)

    assert justified_envy(alloc([1, 0, -1]), rank, caps) == 1
    assert justified_envy(alloc([0, 1, -1]), rank, caps) == 0
    # h2 ahead of h1 but in another cap class: still not counted.
    assert justified_envy(alloc([0, -1, 1]), np.array([0, 2, 1]), caps) == 0
    assert justified_envy(alloc([-1, 0, 1]), rank, caps) == 1  # h0 unhoused, ahead of h1: envies


def test_dominance_hand_worked():
    s = pd.DataFrame({"housed": [10, 10, 12], "welfare": [5.0, 4.0, 3.0], "justified_envy": [0, 0, 0],
                      "cap_breaches": [0, 0, 1], "block_dissimilarity": [0.2, 0.2, 0.1],
                      "neighbourhood_dissimilarity": [0.1, 0.1, 0.1]}, index=["a", "b", "c"])
    d = dominance(s)
    assert d[["dominates", "dominated"]].values.tolist() == [["a", "b"]]
    assert d["strictly_better_on"].iloc[0] == "welfare"


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**31))
def test_frontier_on_random_instances(seed, queue_seed):
    problem, policy = random_instance(seed, 20, 3, 30)
    table = frontier([("r", problem)], policy, seeds=[queue_seed],
                     mechanisms=("ballot", "da-ceilings", "priority-optimal", "optimal"))
    by = table.set_index("mechanism")
    assert by.loc["ballot", "justified_envy"] == 0
    assert by.loc["optimal", "share_of_optimum"] == 1.0 or by.loc["optimal", "welfare"] == 0
    assert (by["cap_breaches"] == 0).all()
    assert (by["housed"] + by["turned_away"] == problem.n_households).all()
    assert (by["welfare"] <= by.loc["optimal", "welfare"] + 1e-6).all()
    s = summarise(table)
    assert list(s.index) == ["ballot", "da-ceilings", "priority-optimal", "optimal"]


def test_frontier_counts_soft_bound_breaches_as_the_caps_oracle_sees_them():
    problem, policy = random_instance(7, 30, 3, 60)
    table = frontier([("r", problem)], policy, seeds=[1], mechanisms=("da-soft-bounds", "da-ceilings"))
    from commonground.allocate import allocate

    soft = allocate(problem, policy, "da-soft-bounds", seed=1)
    try:
        check_caps(soft, problem, policy)
        oracle_ok = True
    except AssertionError:
        oracle_ok = False
    assert (table.set_index("mechanism").loc["da-soft-bounds", "cap_breaches"] == 0) == oracle_ok


def test_frontier_command_writes_a_complete_folder(tmp_path):
    out = tmp_path / "fr"
    res = CliRunner().invoke(app, ["frontier", "--mechanisms", "ballot,da-ceilings,priority-optimal",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "frontier"
    table = pd.read_csv(out / "frontier.csv")
    assert set(table["mechanism"]) == {"ballot", "da-ceilings", "priority-optimal"}
    assert table["instance"].nunique() == 4  # one exercise: four projects
    assert "## Dominance" in (out / "frontier.md").read_text()


def test_frontier_command_refuses_an_unknown_mechanism(tmp_path):
    res = CliRunner().invoke(app, ["frontier", "--mechanisms", "ballot,da-ceiling", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "unknown mechanism 'da-ceiling'" in res.output
    assert not (tmp_path / "x").exists()


def test_dissimilarity_of_a_single_unit_is_not_reported_as_perfect_mixing():
    # One neighbourhood of two blocks: every allocation puts all households in that one neighbourhood, where D is
    # trivially 0 ("even"), which a reader would take for perfect integration. The frontier says n/a (NaN), keeps
    # block D (two blocks: defined), and the report explains the n/a.
    from commonground.frontier import markdown_report

    dev = Development.from_frame(pd.DataFrame({"flat_id": [f"f{i}" for i in range(4)],
                                               "block_id": ["A", "A", "B", "B"], "neighbourhood_id": "N"}))
    hh = Households(ids=np.array([f"h{i}" for i in range(4)], dtype=object),
                    attributes={"g": np.array(["x", "x", "y", "y"], dtype=object)})
    U = np.array([[2.0, 1.0], [2.0, 1.0], [2.0, 1.0], [1.0, 2.0]])
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((4, 1))))
    policy = Policy("p", caps=(Cap("g", "block", (CapLimit("x", frozenset({"x"}), 1.0),)),))
    table = frontier([("one", problem)], policy, mechanisms=("ballot", "optimal"))
    assert table["neighbourhood_dissimilarity"].isna().all()
    assert table["block_dissimilarity"].notna().all()
    summary = summarise(table)
    assert "neighbourhood_dissimilarity is undefined" in markdown_report("t", "p", table, summary,
                                                                       dominance(summary))
