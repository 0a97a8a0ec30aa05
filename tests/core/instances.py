"""Small random allocation instances for property tests, built from a seed so Hypothesis can shrink them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.model import BlockUtilities, Development, FlatUtilities, Households, Problem
from commonground.policy import Cap, CapLimit, Policy

GROUPS = ("A", "B", "C")
RES = ("SC", "SPR")


def random_instance(seed: int, n_flats: int, n_blocks: int, n_households: int, *, flat_form: bool = False,
                    occupied_share: float = 0.3, rule: str = "strict", with_types: bool = True,
                    two_attributes: bool = True):
    """A development, households with two capped attributes, random utilities and a random policy."""
    rng = np.random.default_rng(seed)
    n_blocks = min(n_blocks, n_flats)
    block = np.sort(np.concatenate([np.arange(n_blocks), rng.integers(0, n_blocks, n_flats - n_blocks)]))
    n_nb = max(1, n_blocks // 2)
    nb_of_block = rng.integers(0, n_nb, n_blocks)
    occupied = rng.random(n_flats) < occupied_share
    flats = pd.DataFrame({
        "flat_id": [f"f{i}" for i in range(n_flats)],
        "block_id": [f"b{b}" for b in block],
        "neighbourhood_id": [f"n{nb_of_block[b]}" for b in block],
        "flat_type": rng.choice(["3-room", "4-room"] if with_types else ["4-room"], n_flats),
        "value": rng.random(n_flats) * 0.1,
        "occupant_ethnicity": np.where(occupied, rng.choice(GROUPS, n_flats, p=[0.6, 0.25, 0.15]), None),
        "occupant_residency": np.where(occupied, rng.choice(RES, n_flats, p=[0.85, 0.15]), None),
    })
    dev = Development.from_frame(flats)
    hh = Households(ids=np.array([f"h{i}" for i in range(n_households)], dtype=object),
                    attributes={"ethnicity": rng.choice(GROUPS, n_households, p=[0.5, 0.3, 0.2]).astype(object),
                                "residency": rng.choice(RES, n_households, p=[0.8, 0.2]).astype(object)},
                    ballot_chances=rng.integers(1, 3, n_households))
    if flat_form:
        lists = [rng.choice(n_flats, size=rng.integers(0, n_flats + 1), replace=False) for _ in range(n_households)]
        rows = [(h, f, rng.normal()) for h, lst in enumerate(lists) for f in lst]
        rows.sort(key=lambda r: (r[0], -r[2], r[1]))
        indptr = np.zeros(n_households + 1, np.int64)
        np.cumsum(np.bincount([r[0] for r in rows], minlength=n_households), out=indptr[1:])
        utils = FlatUtilities(indptr=indptr, flat=np.array([r[1] for r in rows], np.int64),
                              value=np.array([r[2] for r in rows], float))
    else:
        U = rng.normal(size=(n_households, dev.n_blocks))
        U[rng.random(U.shape) < 0.2] = -np.inf
        V = rng.normal(size=(n_households, len(dev.flat_type_names)))
        V[rng.random(V.shape) < 0.2] = -np.inf
        utils = BlockUtilities(block=U, flat_type=V)
    problem = Problem.build(dev, hh, utils)
    seen = {a: set(hh.attributes[a]) | {v for v in dev.occupants[a] if v is not None} for a in hh.attributes}
    caps = [Cap("ethnicity", "block", (CapLimit("A", frozenset({"A"}), rng.uniform(0.3, 0.9)),
                                       CapLimit("B+C", frozenset({"B", "C"}), rng.uniform(0.1, 0.5)))),
            Cap("ethnicity", "neighbourhood", (CapLimit("B", frozenset({"B"}), rng.uniform(0.1, 0.6)),))]
    if two_attributes:
        caps.append(Cap("residency", "block", (CapLimit("SPR", frozenset({"SPR"}), rng.uniform(0.0, 0.3)),)))
    # A policy may only name groups present in the data (unknown groups are an input error).
    caps = [Cap(c.attribute, c.level, tuple(CapLimit(lim.label, lim.values & seen[c.attribute], lim.share)
                                          for lim in c.limits if lim.values & seen[c.attribute]))
            for c in caps]
    return problem, Policy(name="random", caps=tuple(c for c in caps if c.limits), rule=rule)


def naive_inputs(problem: Problem, policy: Policy):
    """The instance in the plain-Python form tests/core/reference.py takes."""
    dev, hh = problem.development, problem.households
    occupant = [({a: dev.occupants[a][f] for a in dev.occupants} if dev.occupied[f] else None)
                for f in range(dev.n_flats)]
    groups = [{a: hh.attributes[a][h] for a in hh.attributes} for h in range(hh.n)]
    caps = [(c.attribute, c.level, {v: (i, lim.share) for i, lim in enumerate(c.limits) for v in lim.values})
            for c in policy.caps]

    def utility(h, f):
        return float(problem.utility(np.array([h]), np.array([f]))[0])

    return (dev.n_flats, dev.flat_block.tolist(), dev.block_neighbourhood.tolist(), occupant, groups, utility, caps)
