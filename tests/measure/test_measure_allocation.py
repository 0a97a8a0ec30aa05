"""measure_allocation: one call measures an allocation or simulation result at block and neighbourhood level.

Expected values: the hand-worked 2 x 2 table (D = 0.6, see test_measure_hand.py) served by a fake result,
and for a real allocation the same indices computed directly from its ``counts()`` table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.errors import InputError
from commonground.measure import Counts, measure, measure_allocation


class FakeResult:
    """Exposes only what measure_allocation may use: counts(attribute, level, when)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def counts(self, attribute: str, level: str = "block", when: str = "after") -> pd.DataFrame:
        self.calls.append((attribute, level, when))
        if level == "block":  # two blocks: 8 x + 2 y and 2 x + 8 y (the 2 x 2 worked by hand)
            data, ids = [[8, 2], [2, 8]], ["B1", "B2"]
        else:  # one neighbourhood holding both blocks: nothing to segregate between units
            data, ids = [[10, 10]], ["N1"]
        if when == "before":
            data = [[4, 1], [1, 4]] if level == "block" else [[5, 5]]
        return pd.DataFrame(data, index=pd.Index(ids, name=f"{level}_id"),
                            columns=pd.Index(["x", "y"], name=attribute))


def test_block_and_neighbourhood_in_one_call() -> None:
    fake = FakeResult()
    out = measure_allocation(fake, "ethnicity", level=("block", "neighbourhood"), indices=["D", "H"])
    assert list(out.index) == ["block", "neighbourhood"] and out.index.name == "level"
    assert out.loc["block", "dissimilarity[x]"] == pytest.approx(0.6)
    assert out.loc["neighbourhood", "dissimilarity[x]"] == pytest.approx(0.0)
    assert fake.calls == [("ethnicity", "block", "after"), ("ethnicity", "neighbourhood", "after")]


def test_default_level_all_indices_and_before() -> None:
    fake = FakeResult()
    out = measure_allocation(fake, "ethnicity")
    assert list(out.index) == ["block"]
    assert "theil_h" in out.columns and "gini[y]" in out.columns
    before = measure_allocation(fake, "ethnicity", indices="D", when="before")
    assert before.loc["block", "dissimilarity[x]"] == pytest.approx(0.6)  # 4:1 and 1:4 -> same D
    assert fake.calls[-1] == ("ethnicity", "block", "before")


def test_tidy() -> None:
    out = measure_allocation(FakeResult(), "ethnicity", ["block", "neighbourhood"], ["D"], tidy=True)
    assert list(out.columns) == ["level", "index", "group", "value"]
    assert len(out) == 4


def test_rejects_objects_without_counts() -> None:
    with pytest.raises(TypeError):
        measure_allocation(object(), "ethnicity")
    with pytest.raises(InputError):
        measure_allocation(FakeResult(), "ethnicity", level=[])


def test_real_allocation() -> None:
    from commonground import allocate as allocate_mod
    from commonground import scenarios

    scen = scenarios.default_scenario()
    alloc = allocate_mod.allocate(scen.problem, scen.policy, scen.mechanism, seed=0)
    out = measure_allocation(alloc, "ethnicity", level=("block", "neighbourhood"))
    for level in ("block", "neighbourhood"):
        table = alloc.counts("ethnicity", level=level)
        direct = measure(Counts(table.to_numpy(dtype=float), [str(g) for g in table.columns]))
        np.testing.assert_allclose(out.loc[[level], direct.columns].to_numpy(), direct.to_numpy(), equal_nan=True)
    # integration is measured, not just head-counts: indices are defined and between 0 and 1
    assert 0 < out.loc["block", "theil_h"] < 1
    # blocks are finer than neighbourhoods, so they can only be at least as segregated (H is decomposable)
    assert out.loc["block", "theil_h"] >= out.loc["neighbourhood", "theil_h"]
