"""One per-group outcome table: ``Allocation.group_outcomes`` (groups.csv), ``welfare_by_group`` (the
price-of-diversity folder's groups) and ``fairness_table`` agree, and all match a count made independently from
the per-household table (``households_frame``) with a pandas groupby."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.allocate.ballot import ballot
from commonground.analysis.fairness import fairness_table
from commonground.analysis.welfare import welfare_by_group
from commonground.io import schema

from .instances import instance


def _by_households(a, attr: str) -> pd.DataFrame:
    """The reference: per group, from allocation.csv's rows."""
    h = a.households_frame()
    h["got"] = h["status"] == "allocated"
    h["u"] = np.where(h["got"], h["utility"], 0.0)
    g = h.groupby(h[attr].astype(str)).agg(applicants=("got", "size"), allocated=("got", "sum"), welfare=("u", "sum"))
    return g


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["block", "types", "flat"]))
def test_three_views_of_one_table(seed, kind):
    problem, policy = instance(seed, 24, 4, 30, kind=kind, caps="two")
    a = ballot(problem, policy, seed=seed)
    table = a.group_outcomes()
    assert list(table.columns) == list(schema.GROUPS_TABLE.columns)
    for attr in problem.households.attributes:
        ref = _by_households(a, attr)
        mine = table[table["attribute"] == attr].set_index("value")
        assert list(mine.index) == list(ref.index)
        assert (mine["applicants"] == ref["applicants"]).all() and (mine["allocated"] == ref["allocated"]).all()
        np.testing.assert_allclose(mine["welfare"], ref["welfare"], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(mine["mean_utility_all"], ref["welfare"] / ref["applicants"], rtol=1e-12)
        w = welfare_by_group(a, attr).set_index("group")
        f = fairness_table(a, attr).set_index("group")
        for ours, theirs in schema.GROUP_OUTCOME_ALIASES.items():
            if ours != "value":
                assert (w[theirs].to_numpy() == mine[ours].to_numpy()).all()
        shared = ["applicants", "share_housed", "mean_utility_housed", "mean_utility_applicant"]
        pd.testing.assert_frame_equal(f[shared], w[shared], check_exact=True)


def test_one_attribute_only_and_unknown_attribute():
    problem, policy = instance(3, 20, 4, 25, caps="two")
    a = ballot(problem, policy, seed=1)
    attr = next(iter(problem.households.attributes))
    assert set(a.group_outcomes(attr)["attribute"]) == {attr}
    with pytest.raises(KeyError, match="no attribute 'nope'"):
        a.group_outcomes("nope")
