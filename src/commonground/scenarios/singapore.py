"""The built-in default scenario: a Build-To-Order launch added to existing HDB neighbourhoods.

Generated, not downloaded. Group shares are Singapore's resident population by ethnic group, Census 2020
(Chinese 74.3 %, Malay 13.5 %, Indian 9.0 %, Others 3.2 %; ../shared/reference/hdb_allocation.md). The
existing blocks have mixes of their own (some near the caps, as in estates that prompted the EIP), the launch
adds 5 blocks of 100–200 flats, applicants are about 4 per flat, and 40 % of households weigh how common their
own group is around a block, so the caps bind. The residency split (non-Malaysian SPR share of applicants)
and the first-timer share are illustrative, not official figures.

Block positions are real: 15 Punggol HDB blocks from the geocoded HDB Property Information (data.gov.sg, 2020
snapshot; ../shared/data/sg_hdb_property_information_geocoded_2020.csv), embedded below so the package needs no
data file. N1 is Edgefield Plains, N2 Edgedale Plains; the existing blocks are each street's oldest (completed
2000-2001) and the launch blocks its newest (2015-2017). Only the positions are taken: block sizes and residents
are generated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.model.development import Development
from commonground.model.households import Households
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.toml import combine, load_policy
from commonground.scenarios.base import Scenario

CENSUS_2020_SHARES = {"Chinese": 0.743, "Malay": 0.135, "Indian": 0.090, "Others": 0.032}
FLAT_TYPES = {"2-room Flexi": 0.10, "3-room": 0.25, "4-room": 0.45, "5-room": 0.20}
# Existing blocks: (neighbourhood, units, Chinese, Malay, Indian, Others shares).
EXISTING = [
    ("N1", 180, 0.66, 0.28, 0.04, 0.02), ("N1", 150, 0.68, 0.24, 0.06, 0.02), ("N1", 200, 0.80, 0.12, 0.06, 0.02),
    ("N1", 160, 0.86, 0.08, 0.04, 0.02), ("N1", 140, 0.66, 0.27, 0.05, 0.02), ("N1", 120, 0.76, 0.14, 0.08, 0.02),
    ("N2", 190, 0.84, 0.07, 0.07, 0.02), ("N2", 170, 0.72, 0.10, 0.14, 0.04), ("N2", 150, 0.86, 0.09, 0.03, 0.02),
    ("N2", 130, 0.78, 0.12, 0.07, 0.03),
]
# New blocks: (neighbourhood, units, index of the existing block beside it — its "precinct").
LAUNCH = [("N1", 160, 0), ("N1", 120, 4), ("N1", 200, 2), ("N2", 180, 7), ("N2", 140, 6)]
GROUPS = list(CENSUS_2020_SHARES)
#: (lat, lng) of each block, in the order of EXISTING then LAUNCH: HDB blocks 103A, 103B, 103C, 104A, 104B, 105A
#: Edgefield Plains; 109A-109D Edgedale Plains; 671B, 673A, 673B Edgefield Plains; 684C, 684D Edgedale Plains.
BLOCK_COORDINATES = [
    (1.398255, 103.904754), (1.397731, 103.904685), (1.397267, 103.904538), (1.396806, 103.905054),
    (1.396609, 103.905304), (1.396941, 103.905729), (1.394722, 103.909874), (1.394957, 103.909634),
    (1.395173, 103.909282), (1.395530, 103.908860),
    (1.406191, 103.911699), (1.406677, 103.911613), (1.406978, 103.911041), (1.403492, 103.914765),
    (1.403652, 103.914095),
]


def default_scenario(*, seed: int = 2020, applicants_per_flat: float = 4.0, homophily: float = 4.0,
                     homophilous_share: float = 0.4, spr_share: float = 0.07) -> Scenario:
    """A realistic BTO launch (5 new blocks, 800 flats) beside 10 existing blocks, ~3,200 applicants."""
    rng = np.random.default_rng(seed)
    rows = []
    existing_mix = {}
    for i, (nb, units, *mix) in enumerate(EXISTING):
        block = f"{nb}-E{i + 1:02d}"
        counts = rng.multinomial(units, mix)
        eth = np.repeat(GROUPS, counts)
        rng.shuffle(eth)
        res = np.where(rng.random(units) < 0.04, "SPR", "SC")
        existing_mix[i] = counts / units
        lat, lng = BLOCK_COORDINATES[i]
        for k in range(units):
            rows.append({"flat_id": f"{block}-{k + 1:03d}", "block_id": block, "neighbourhood_id": nb,
                         "flat_type": rng.choice(list(FLAT_TYPES), p=list(FLAT_TYPES.values())),
                         "floor": 2 + k // 8, "value": 0.0, "occupant_ethnicity": eth[k],
                         "occupant_residency": res[k], "lat": lat, "lng": lng})
    new_blocks = []
    precinct = {}
    for j, (nb, units, beside) in enumerate(LAUNCH):
        block = f"{nb}-B{j + 1}"
        new_blocks.append(block)
        precinct[block] = existing_mix[beside]
        types = np.repeat(list(FLAT_TYPES), np.round(np.array(list(FLAT_TYPES.values())) * units).astype(int))
        types = np.resize(types, units)
        lat, lng = BLOCK_COORDINATES[len(EXISTING) + j]
        for k in range(units):
            floor = 2 + k % 16
            rows.append({"flat_id": f"{block}-{k + 1:03d}", "block_id": block, "neighbourhood_id": nb,
                         "flat_type": types[k], "floor": floor, "value": round(0.02 * floor, 2),
                         "occupant_ethnicity": None, "occupant_residency": None, "lat": lat, "lng": lng})
    dev = Development.from_frame(pd.DataFrame(rows), source="default scenario")
    n_flats = int((~dev.occupied).sum())
    n = int(round(applicants_per_flat * n_flats))
    eth = rng.choice(GROUPS, size=n, p=list(CENSUS_2020_SHARES.values()))
    residency = np.where(rng.random(n) < spr_share, "SPR", "SC")
    first_timer = rng.random(n) < 0.85
    hh = Households(ids=np.array([f"H{i + 1:05d}" for i in range(n)], dtype=object),
                    attributes={"ethnicity": eth.astype(object), "residency": residency.astype(object)},
                    priority=np.where(first_timer, "FT", "ST").astype(object),
                    ballot_chances=np.where(first_timer, 2, 1).astype(np.int64))
    # Block utilities: a common appeal per new block + own-group share of its precinct for homophilous households.
    appeal = rng.normal(0.0, 0.5, len(new_blocks))
    homophilous = rng.random(n) < homophilous_share
    g_idx = pd.Index(GROUPS).get_indexer(eth)
    own_share = np.array([[precinct[b][g] for b in new_blocks] for g in range(len(GROUPS))])[g_idx]
    noise = rng.gumbel(0, 0.5, (n, len(new_blocks)))
    util_new = 2.0 + appeal[None, :] + homophily * homophilous[:, None] * own_share * 5 + noise
    U = np.full((n, dev.n_blocks), -np.inf)
    U[:, pd.Index(dev.block_ids).get_indexer(new_blocks)] = np.maximum(util_new, 0.1)
    # Each household applies for one flat type, drawn from the launch's mix.
    type_names = list(dev.flat_type_names)
    applied = rng.choice(len(FLAT_TYPES), size=n, p=list(FLAT_TYPES.values()))
    V = np.full((n, len(type_names)), -np.inf)
    V[np.arange(n), pd.Index(type_names).get_indexer(np.array(list(FLAT_TYPES))[applied])] = 0.0
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=V))
    policy = combine([load_policy("sg-eip-2010"), load_policy("sg-spr"), load_policy("sg-ft-priority")])
    return Scenario(name="sg-bto", description=__doc__.strip().splitlines()[0], problem=problem, policy=policy,
                    sources=("Singapore Census of Population 2020: resident ethnic shares",
                             "HDB EIP limits (5 March 2010) and SPR quota",
                             "HDB Property Information, geocoded 2020 snapshot (data.gov.sg): block positions"))
