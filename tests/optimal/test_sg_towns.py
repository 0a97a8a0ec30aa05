"""The Singapore town experiment (examples/sg_price_of_diversity.py) on the real shared data, one small town."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commonground.allocate.optimal import optimal
from commonground.analysis.welfare import price_of_diversity
from commonground.policy import Cap, CapLimit, Policy, load_policy

from .oracles import cap_violations

REPO = Path(__file__).resolve().parents[2]


def _example():
    spec = importlib.util.spec_from_file_location("sg_pod_example", REPO / "examples" / "sg_price_of_diversity.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("model", ["random", "distance", "homophilous"])
def test_town_launch_from_real_blocks(shared_data, model):
    E = _example()
    blocks = E.read_hdb_property_information(shared_data / "sg_hdb_property_information.csv")
    geo = pd.read_csv(shared_data / "sg_hdb_property_information_geocoded_2020.csv")
    census = pd.read_csv(shared_data / "sg_census2020_ethnic_by_subzone.csv")
    ok = geo[(geo["lat"] != 0) & (geo["lng"] != 0)]
    b = E.launch_blocks(blocks, "BH", set(ok["blk_no"].astype(str) + "|" + ok["street"].astype(str)))
    # Real dwelling counts: the launch holds exactly the blocks' total_dwelling_units.
    problem = E.build(b, geo, census, "Bishan", model, np.random.default_rng(0), applicants_per_flat=2.0)
    assert problem.development.n_flats == int(b["total_dwelling_units"].sum()) >= 1000
    eip = load_policy("sg-eip-2010")
    policy = Policy("block", caps=tuple(c for c in eip.caps if c.level == "block"))
    r = price_of_diversity(problem, policy, seeds=2, attribute="ethnicity")
    assert r.optimal.info["exact"] and r.optimal.info["network"]       # one attribute, block caps: a flow
    assert r.price_of_diversity >= 1.0
    assert not cap_violations(r.optimal)
    assert (r.ballots["welfare"] <= r.welfare_optimal + 1e-9).all()


def test_neighbourhood_caps_on_real_blocks_use_the_milp(shared_data):
    E = _example()
    blocks = E.read_hdb_property_information(shared_data / "sg_hdb_property_information.csv")
    geo = pd.read_csv(shared_data / "sg_hdb_property_information_geocoded_2020.csv")
    census = pd.read_csv(shared_data / "sg_census2020_ethnic_by_subzone.csv")
    ok = geo[(geo["lat"] != 0) & (geo["lng"] != 0)]
    b = E.launch_blocks(blocks, "BH", set(ok["blk_no"].astype(str) + "|" + ok["street"].astype(str)),
                        min_units=300, max_units=600)
    problem = E.build(b, geo, census, "Bishan", "homophilous", np.random.default_rng(1), applicants_per_flat=3.0)
    # Tighten the neighbourhood limits so they bind: the model must fall back to the (exact) MILP.
    caps = []
    for c in load_policy("sg-eip-2010").caps:
        f = 0.5 if c.level == "neighbourhood" else 1.0
        caps.append(Cap(c.attribute, c.level, tuple(CapLimit(lim.label, lim.values, lim.share * f)
                                                    for lim in c.limits)))
    tight = Policy("tight", caps=tuple(caps))
    a = optimal(problem, tight)
    assert a.info["exact"] and not a.info["network"]
    assert not cap_violations(a)
