"""The hand-worked EIP examples of ../shared/reference/hdb_allocation.md ("Counting rule"), as tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from commonground.allocate import allocate
from commonground.model import Development, Households, Problem
from commonground.policy import load_policy, max_count

EIP = load_policy("sg-eip-2010")


def development(blocks: list[tuple[str, str, int, dict[str, int]]]) -> Development:
    """Blocks as (neighbourhood, block, units, existing households by group); the rest of each block is vacant."""
    rows = []
    for nb, blk, units, existing in blocks:
        groups = [g for g, n in existing.items() for _ in range(n)]
        for i in range(units):
            rows.append({"flat_id": f"{blk}-{i}", "block_id": blk, "neighbourhood_id": nb,
                         "occupant_ethnicity": groups[i] if i < len(groups) else None})
    return Development.from_frame(pd.DataFrame(rows))


def applicants(*groups: str) -> Households:
    return Households(ids=np.array([f"h{i}" for i in range(len(groups))], dtype=object),
                      attributes={"ethnicity": np.array(groups, dtype=object)})


def run(dev: Development, hh: Households, rule: str = "strict", policy=EIP, only_block: str | None = None):
    """Ballot with every applicant accepting every flat (or only those of ``only_block``)."""
    prefs = None
    if only_block:
        prefs = pd.DataFrame({"household_id": hh.ids, "block_id": only_block, "rank": 1})
    return allocate(Problem.build(dev, hh, prefs), replace(policy, rule=rule), "ballot", seed=0)


def test_example_1_block_of_100_with_24_malay_admits_one_more_then_stops():
    # A big second block keeps the neighbourhood caps slack (reference: "neighbourhood caps not binding").
    dev = development([("N", "B", 100, {"Malay": 24, "Chinese": 20}),
                       ("N", "PAD", 900, {"Chinese": 700, "Indian": 50})])
    assert max_count(0.25, 100, "strict") == 25
    res = run(dev, applicants("Malay", "Malay"), only_block="B")
    assert res.n_allocated == 1                      # 24 + 1 = 25 ≤ 25
    assert sorted(res.reason) == ["", "block B: Malay cap 25% reached"]   # the 26th may not
    assert res.counts("ethnicity", "block").loc["B", "Malay"] == 25


def test_example_1_with_25_malay_no_further_malay_household():
    dev = development([("N", "B", 100, {"Malay": 25}), ("N", "PAD", 900, {"Chinese": 800})])
    res = run(dev, applicants("Malay"), only_block="B")
    assert res.reason[0] == "block B: Malay cap 25% reached"


def test_example_2_block_of_150_strict_stops_at_37_literal_allows_38():
    assert max_count(0.25, 150, "strict") == 37   # floor(37.5)
    assert max_count(0.25, 150, "literal") == 38  # allowed while share < 25 %: ends at 38 = 25.3 %
    block_only = replace(EIP, name="block", caps=(EIP.caps[0],))
    dev = development([("N", "B", 150, {"Malay": 37, "Chinese": 10})])
    strict = run(dev, applicants("Malay"), policy=block_only)
    assert strict.reason[0] == "block B: Malay cap 25% reached"
    literal = run(dev, applicants("Malay", "Malay"), rule="literal", policy=block_only)
    assert literal.n_allocated == 1   # the 38th enters; a 39th would not
    assert literal.counts("ethnicity", "block").loc["B", "Malay"] == 38


def test_example_3_block_of_120_chinese_skipped_indian_admitted():
    assert max_count(0.87, 120, "strict") == 104
    assert max_count(0.15, 120, "strict") == 18
    block_only = replace(EIP, name="block", caps=(EIP.caps[0],))
    dev = development([("N", "B", 120, {"Chinese": 104, "Indian": 5, "Others": 5})])
    res = run(dev, applicants("Chinese", "Indian"), policy=block_only)
    df = res.households_frame().set_index("ethnicity")
    assert df.loc["Chinese", "status"] == "skipped"
    assert df.loc["Chinese", "reason"] == "block B: Chinese cap 87% reached"
    assert df.loc["Indian", "status"] == "allocated"   # 10 Indian/Others < 18


def test_example_4_neighbourhood_cap_allows_one_more_malay_anywhere_in_it():
    # Neighbourhood of 1,000 units incl. a new block of 100 with no Malay; 219 Malay households in the rest.
    dev = development([("N", "OLD", 900, {"Malay": 219, "Chinese": 600, "Indian": 50}), ("N", "NEW", 100, {})])
    assert dev.neighbourhood_units.tolist() == [1000]   # the launch's flats count in the neighbourhood total
    assert max_count(0.22, 1000, "strict") == 220
    res = run(dev, applicants("Malay", "Malay", "Malay"))
    assert res.n_allocated == 1
    skipped = [r for r in res.reason if r]
    assert skipped == ["neighbourhood N: Malay cap 22% reached"] * 2


@pytest.mark.parametrize("share,units,strict,literal", [
    (0.87, 100, 87, 87), (0.29, 100, 29, 29), (0.25, 150, 37, 38), (0.15, 120, 18, 18), (0.22, 1000, 220, 220),
    (0.08, 130, 10, 11), (0.0, 50, 0, 0), (1.0, 7, 7, 7),
])
def test_rounding_rule(share, units, strict, literal):
    """floor(share × units) and ceil(share × units), with 0.29 × 100 = 29 despite binary floating point."""
    assert max_count(share, units, "strict") == strict
    assert max_count(share, units, "literal") == literal
