"""A generated English town: new apartment blocks added to existing neighbourhoods, let by choice-based lettings.

Group shares are Bradford's usual residents by broad ethnic group, 2011 Census (White 67.4 %, Asian 26.8 %,
Black 1.8 %, Mixed 2.5 %, Other 1.5 %; ../shared/reference/hdb_allocation.md, computed from the ONS
output-area file). Existing neighbourhoods differ as Bradford's wards do (an inner area with an Asian
majority, an outer one over 90 % White). Priority bands A–D and waiting times are illustrative.

Block positions (``lat``/``lng``, for the report's map) are generated, not real: each neighbourhood's blocks sit
on a ring of 800 m around a made-up centre inside Bradford's extent (inner near the city centre, outer
to the north), with its new blocks nearer the centre. No real address or building is meant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.model.development import Development
from commonground.model.households import Households
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.toml import load_policy
from commonground.scenarios.base import Scenario

BRADFORD_2011 = {"White": 0.674, "Asian": 0.268, "Black": 0.018, "Mixed": 0.025, "Other": 0.015}
GROUPS = list(BRADFORD_2011)
# Existing neighbourhoods: (name, blocks, homes per block, group shares in the order of GROUPS).
AREAS = [
    ("Inner", 6, 90, (0.35, 0.58, 0.03, 0.03, 0.01)),
    ("Middle", 6, 80, (0.70, 0.24, 0.02, 0.03, 0.01)),
    ("Outer", 6, 70, (0.93, 0.03, 0.01, 0.02, 0.01)),
]
NEW = [("Inner", 120), ("Inner", 80), ("Middle", 150), ("Middle", 100), ("Outer", 120), ("Outer", 60)]
TYPES = {"1-bed": 0.3, "2-bed": 0.45, "3-bed": 0.25}
#: Generated (not real) centre of each neighbourhood, (lat, lng) within Bradford's extent; blocks ring it.
CENTRES = {"Inner": (53.797, -1.760), "Middle": (53.808, -1.726), "Outer": (53.828, -1.754)}
KM_PER_DEGREE_LAT = 111.2


def block_position(area: str, k: int, n: int, radius_km: float, turn: float = 0.0) -> tuple[float, float]:
    """A generated position: block ``k`` of ``n`` evenly on a circle of ``radius_km`` around the area's centre,
    the circle turned by ``turn`` of a step (so new blocks fall between existing ones)."""
    lat0, lng0 = CENTRES[area]
    angle = 2 * np.pi * (k + turn) / n
    dlat = radius_km * np.sin(angle) / KM_PER_DEGREE_LAT
    dlng = radius_km * np.cos(angle) / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat0)))
    return round(lat0 + dlat, 6), round(lng0 + dlng, 6)


def english_town_scenario(*, seed: int = 2011, applicants_per_flat: float = 3.0, homophily: float = 2.0) -> Scenario:
    rng = np.random.default_rng(seed)
    rows = []
    area_mix = {}
    for name, n_blocks, size, mix in AREAS:
        area_mix[name] = np.array(mix)
        for b in range(n_blocks):
            block = f"{name}-E{b + 1}"
            lat, lng = block_position(name, b, n_blocks, 0.8)
            eth = np.array(GROUPS, dtype=object)[rng.choice(len(GROUPS), size=size, p=np.array(mix) / sum(mix))]
            for k in range(size):
                rows.append({"flat_id": f"{block}-{k + 1:03d}", "block_id": block, "neighbourhood_id": name,
                             "flat_type": rng.choice(list(TYPES), p=list(TYPES.values())), "floor": 0,
                             "occupant_ethnicity": eth[k], "lat": lat, "lng": lng})
    new_blocks = []
    for j, (name, size) in enumerate(NEW):
        block = f"{name}-N{j + 1}"
        new_blocks.append((block, name))
        lat, lng = block_position(name, sum(a == name for a, _ in NEW[:j]), sum(a == name for a, _ in NEW), 0.35,
                                  turn=0.5)
        types = np.resize(np.repeat(list(TYPES), np.round(np.array(list(TYPES.values())) * size).astype(int)), size)
        for k in range(size):
            rows.append({"flat_id": f"{block}-{k + 1:03d}", "block_id": block, "neighbourhood_id": name,
                         "flat_type": types[k], "floor": k % 6, "occupant_ethnicity": None,
                         "lat": lat, "lng": lng})
    dev = Development.from_frame(pd.DataFrame(rows), source="uk-town scenario")
    n = int(round(applicants_per_flat * int((~dev.occupied).sum())))
    g = rng.choice(len(GROUPS), size=n, p=list(BRADFORD_2011.values()))
    bands = np.array(["A", "B", "C", "D"], dtype=object)[rng.choice(4, size=n, p=[0.1, 0.25, 0.35, 0.3])]
    hh = Households(ids=np.array([f"U{i + 1:05d}" for i in range(n)], dtype=object),
                    attributes={"ethnicity": np.array(GROUPS, dtype=object)[g]}, priority=bands,
                    waiting_days=rng.integers(0, 5 * 365, size=n).astype(float))
    own = np.array([[area_mix[a][gi] for _, a in new_blocks] for gi in range(len(GROUPS))])[g]
    util = 2.0 + homophily * own * 3 + rng.gumbel(0, 0.6, (n, len(new_blocks)))
    U = np.full((n, dev.n_blocks), -np.inf)
    U[:, pd.Index(dev.block_ids).get_indexer([b for b, _ in new_blocks])] = np.maximum(util, 0.1)
    need = rng.choice(len(TYPES), size=n, p=list(TYPES.values()))
    V = np.full((n, len(dev.flat_type_names)), -np.inf)
    V[np.arange(n), pd.Index(dev.flat_type_names).get_indexer(np.array(list(TYPES))[need])] = 0.0
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=V))
    return Scenario(name="uk-town", description=__doc__.strip().splitlines()[0], problem=problem,
                    policy=load_policy("uk-balanced-example"), mechanism="cbl",
                    sources=("ONS 2011 Census KS201EW, Bradford usual residents by ethnic group",))
