"""The yearly decomposition of the change in block/neighbourhood D and H (new flats, departures, moves out,
moves in): the parts add up to the year's change, and each part is what the counts say it is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.measure import Counts, theil_h
from commonground.simulate.metrics import CHANGE_PARTS, change_parts
from commonground.simulate.model import TownModel
from commonground.simulate.params import PolicySpec

from .test_town_model import UK_CAPS, small_params

INDICES = ("block.dissimilarity", "block.theil_h", "neighbourhood.dissimilarity", "neighbourhood.theil_h")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["none", "caps-new", "caps-resale", "caps-buyback"]),
       net=st.sampled_from([0.0, 5e6]))
def test_parts_add_up_to_the_years_change(seed, kind, net):
    spec = PolicySpec("p", kind, None if kind == "none" else UK_CAPS)
    m = TownModel(small_params(net=net), spec, seed)
    prev = m.measure()
    for _ in range(m.params.years):
        out = m.step()
        for ix in INDICES:
            parts = [out[f"change.{p}.{ix}"] for p in CHANGE_PARTS]
            assert sum(parts) == pytest.approx(out[ix] - prev[ix], abs=1e-12), ix
        prev = out


def test_launch_part_is_the_index_change_over_the_launch():
    """Hand-made stages: the new-flats part is stage 1 - stage 0 (Theil's H from commonground.measure of two
    2-block tables), and a missing index at the start gives NaN rather than a made-up change."""
    def h(t):
        return float(theil_h(Counts(np.asarray(t, float), ["a", "b"])).iloc[0])
    s0 = {"block.theil_h": h([[5, 5], [5, 5]])}  # even: 0
    s1 = {"block.theil_h": h([[9, 1], [1, 9]])}
    out = change_parts([s0, s1, s1, s1, s1])
    assert out["change.new_flats.block.theil_h"] == pytest.approx(s1["block.theil_h"] - 0.0)
    assert out["change.moves_in.block.theil_h"] == 0.0
    assert np.isnan(change_parts([{}, s1, s1, s1, s1])["change.new_flats.block.theil_h"])
