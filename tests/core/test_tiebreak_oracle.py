"""One tie-breaking rule and one acceptability rule for every mechanism and every preference form (issue 9,
traps 6 and 7), checked against naive reference implementations.

The rules (docs/preferences.md): equal utilities go to the flat earlier in the flats file; a flat is acceptable
only if worth > 0 to the household (better than staying unhoused). Utilities here are small integers, so ties
are frequent and exact, and many are ≤ 0. The references are tests/core/reference.py's ``naive_ballot`` (written
from the HDB rules alone) and ``naive_cbl_one_cycle`` below (written from cbl's docstring: one advertising cycle,
each household bids for its ``k`` best advertised homes, bidders in shortlist order take their best free bid home
the caps allow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from commonground.allocate import allocate
from commonground.allocate.cbl import choice_based_lettings
from commonground.model import Development, Households, Problem
from commonground.model.preferences import WORTHLESS
from commonground.policy import Cap, CapLimit, Policy

from .instances import naive_inputs
from .reference import naive_ballot

FORMS = ("none", "block-utility", "block-rank", "type-utility", "block-and-type", "flat-utility", "flat-rank",
         "block+type-joint")


def tie_instance(seed: int, n_flats: int, n_blocks: int, n_households: int, form: str, values: bool):
    """A development whose blocks are NOT in file order (so block order ≠ flat order) and integer utilities."""
    rng = np.random.default_rng(seed)
    n_blocks = min(n_blocks, n_flats)
    block = rng.integers(0, n_blocks, n_flats)
    block[:n_blocks] = np.arange(n_blocks)[::-1]          # the file starts with the alphabetically last block
    flats = pd.DataFrame({"flat_id": [f"f{i}" for i in range(n_flats)],
                          "block_id": [f"B{b}" for b in block],
                          "neighbourhood_id": [f"N{b % 2}" for b in block],
                          "flat_type": rng.choice(["2-room", "3-room"], n_flats),
                          "value": rng.integers(0, 2, n_flats) if values else 0})
    dev = Development.from_frame(flats)
    hh = Households(ids=np.array([f"h{i}" for i in range(n_households)], dtype=object),
                    attributes={"group": rng.choice(["X", "Y"], n_households).astype(object)},
                    priority=rng.choice(["A", "B"], n_households).astype(object),
                    waiting_days=rng.integers(0, 3, n_households).astype(float))
    rows = []
    for h in range(n_households):
        hid = f"h{h}"

        def pick(options):
            return rng.choice(options, size=rng.integers(0, len(options) + 1), replace=False)

        def score(k):
            return rng.integers(-2, 4, k)

        if form in ("block-utility", "block-rank", "block-and-type"):
            bs = pick(dev.block_ids)
            for b, s in zip(bs, score(len(bs)) if form != "block-rank" else np.arange(1, len(bs) + 1), strict=True):
                rows.append({"household_id": hid, "block_id": b, "score": s})
        if form in ("type-utility", "block-and-type"):
            ts = pick(list(dev.flat_type_names))
            for t, s in zip(ts, score(len(ts)), strict=True):
                rows.append({"household_id": hid, "flat_type": t, "score": s})
        if form in ("flat-utility", "flat-rank"):
            fs = pick(dev.flat_ids)
            for f, s in zip(fs, score(len(fs)) if form == "flat-utility" else np.arange(1, len(fs) + 1), strict=True):
                rows.append({"household_id": hid, "flat_id": f, "score": s})
        if form == "block+type-joint":
            pairs = flats[["block_id", "flat_type"]].drop_duplicates().to_numpy()
            for i in rng.choice(len(pairs), size=rng.integers(0, len(pairs) + 1), replace=False):
                rows.append({"household_id": hid, "block_id": pairs[i][0], "flat_type": pairs[i][1],
                             "score": int(score(1)[0])})
    prefs = None
    if form != "none":
        prefs = pd.DataFrame(rows, columns=["household_id", "block_id", "flat_type", "flat_id", "score"])
        if not len(prefs):
            prefs = None
        else:
            prefs = prefs.rename(columns={"score": "rank" if form.endswith("rank") else "utility"})
            prefs = prefs.dropna(axis=1, how="all")
    problem = Problem.build(dev, hh, prefs)
    policy = Policy(name="tie", caps=(Cap("group", "block", (CapLimit("X", frozenset({"X"}), 0.5),)),),
                    priority_order=("A", "B"), groups={"group": ("X", "Y")})
    return problem, policy


instances = st.builds(tie_instance, seed=st.integers(0, 2**32 - 1), n_flats=st.integers(1, 12),
                      n_blocks=st.integers(1, 4), n_households=st.integers(1, 10), form=st.sampled_from(FORMS),
                      values=st.booleans())


def naive_cbl_one_cycle(order, max_bids, n_flats, flat_block, block_nbhd, occupant, groups, utility, caps, rule):
    """cbl with every vacant home advertised once: bids fixed first, then the shortlist takes them in turn."""
    vacant = [f for f in range(n_flats) if occupant[f] is None]
    bids = {}
    for h in order:
        ok = [f for f in vacant if utility(h, f) > 0]
        ok.sort(key=lambda f: (-utility(h, f), f))
        bids[h] = ok[:max_bids]

    def util(h, f):
        return float(len(bids[h]) - bids[h].index(f)) if f in bids[h] else None

    return naive_ballot(order, n_flats, flat_block, block_nbhd, occupant, groups, util, caps, rule=rule)


def as_dict(flat_of):
    return {h: (int(f) if f >= 0 else None) for h, f in enumerate(flat_of)}


@given(instances, st.integers(0, 2**31))
def test_ballot_follows_file_order_ties_and_positive_utilities_in_every_form(inst, seed):
    problem, policy = inst
    for pol in (policy, policy.without_caps()):
        r = allocate(problem, pol, "ballot", seed=seed)
        order = np.argsort(r.queue_position).tolist()
        assert as_dict(r.flat_of) == naive_ballot(order, *naive_inputs(problem, pol), rule=pol.rule)


@given(instances, st.integers(0, 2**31), st.integers(1, 4))
def test_cbl_follows_file_order_ties_and_positive_utilities_in_every_form(inst, seed, max_bids):
    problem, policy = inst
    r = choice_based_lettings(problem, policy, seed=seed, cycles=1, max_bids=max_bids, max_cycles=1)
    order = np.argsort(r.queue_position).tolist()
    assert as_dict(r.flat_of) == naive_cbl_one_cycle(order, max_bids, *naive_inputs(problem, policy),
                                                     rule=policy.rule)


@given(instances)
def test_optimal_houses_no_one_at_utility_le_0_and_says_why(inst):
    problem, policy = inst
    for mech in ("optimal", "ballot", "cbl"):
        r = allocate(problem, policy, mech, seed=1)
        got = np.flatnonzero(r.flat_of >= 0)
        assert (problem.utility(got, r.flat_of[got]) > 0).all(), mech
        vacant = np.flatnonzero(~problem.development.occupied)
        for h in np.flatnonzero(r.flat_of < 0):
            u = problem.utility(np.full(len(vacant), h), vacant)
            if not (u > 0).any() and np.isfinite(u).any():
                assert r.reason[h] == WORTHLESS, (mech, r.reason[h])
