"""Random small instances for the optimal-mechanism tests, built from a seed so Hypothesis can shrink them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.model import BlockUtilities, Development, FlatUtilities, Households, Problem
from commonground.policy import Cap, CapLimit, Policy

GROUPS = ("A", "B", "C")


def instance(seed: int, n_flats: int, n_blocks: int, n_households: int, *, kind: str = "block",
             occupied_share: float = 0.25, caps: str = "both", value: bool = True, share_scale: float = 1.0,
             rule: str = "strict") -> tuple[Problem, Policy]:
    """``kind``: "block" (block utilities only), "types" (block + flat-type terms) or "flat" (flat-level lists).
    ``caps``: "block" (one attribute, block level), "both" (block and neighbourhood), "two" (+ residency cap)."""
    rng = np.random.default_rng(seed)
    n_blocks = max(1, min(n_blocks, n_flats))
    block = np.sort(np.concatenate([np.arange(n_blocks), rng.integers(0, n_blocks, n_flats - n_blocks)]))
    nb_of_block = rng.integers(0, max(1, n_blocks // 2), n_blocks)
    occupied = rng.random(n_flats) < occupied_share
    flats = pd.DataFrame({
        "flat_id": [f"f{i}" for i in range(n_flats)],
        "block_id": [f"b{b}" for b in block],
        "neighbourhood_id": [f"n{nb_of_block[b]}" for b in block],
        "flat_type": rng.choice(["3-room", "4-room"], n_flats),
        "value": np.round(rng.random(n_flats) * 0.5, 2) if value else 0.0,
        "occupant_ethnicity": np.where(occupied, rng.choice(GROUPS, n_flats, p=[0.6, 0.25, 0.15]), None),
        "occupant_residency": np.where(occupied, rng.choice(["SC", "SPR"], n_flats, p=[0.85, 0.15]), None),
    })
    dev = Development.from_frame(flats)
    hh = Households(ids=np.array([f"h{i}" for i in range(n_households)], dtype=object),
                    attributes={"ethnicity": rng.choice(GROUPS, n_households, p=[0.5, 0.3, 0.2]).astype(object),
                                "residency": rng.choice(["SC", "SPR"], n_households, p=[0.7, 0.3]).astype(object)})
    if kind == "flat":
        rows = []
        for h in range(n_households):
            for f in rng.choice(n_flats, size=rng.integers(0, n_flats + 1), replace=False):
                rows.append((h, int(f), float(np.round(rng.uniform(0.0, 5.0), 2))))
        rows.sort(key=lambda r: (r[0], -r[2], r[1]))
        indptr = np.zeros(n_households + 1, np.int64)
        np.cumsum(np.bincount([r[0] for r in rows], minlength=n_households), out=indptr[1:])
        flat = np.array([r[1] for r in rows], np.int64)
        util = np.array([r[2] for r in rows], float) + dev.flat_value[flat]
        utils = FlatUtilities(indptr=indptr, flat=flat, value=util)
    else:
        U = np.round(rng.uniform(0.0, 5.0, size=(n_households, dev.n_blocks)), 2)
        U[rng.random(U.shape) < 0.2] = -np.inf
        V = np.zeros((n_households, len(dev.flat_type_names)))
        if kind == "types":
            V = np.round(rng.uniform(-1.0, 2.0, size=V.shape), 2)
            V[rng.random(V.shape) < 0.2] = -np.inf
        utils = BlockUtilities(block=U, flat_type=V)
    problem = Problem.build(dev, hh, utils)
    s = share_scale
    share_a, share_bc = min(1.0, s * rng.uniform(0.3, 0.8)), min(1.0, s * rng.uniform(0.1, 0.5))
    cap_list = [Cap("ethnicity", "block", (CapLimit("A", frozenset({"A"}), share_a),
                                           CapLimit("B+C", frozenset({"B", "C"}), share_bc)))]
    if caps in ("both", "two"):
        cap_list.append(Cap("ethnicity", "neighbourhood", (CapLimit("B", frozenset({"B"}),
                                                                    min(1.0, s * rng.uniform(0.1, 0.5))),)))
    if caps == "two":
        cap_list.append(Cap("residency", "block", (CapLimit("SPR", frozenset({"SPR"}),
                                                            min(1.0, s * rng.uniform(0.0, 0.4))),)))
    seen = {a: set(hh.attributes[a]) | {v for v in dev.occupants[a] if v is not None} for a in hh.attributes}
    cap_list = [Cap(c.attribute, c.level, tuple(CapLimit(lim.label, lim.values & seen[c.attribute], lim.share)
                                              for lim in c.limits if lim.values & seen[c.attribute]))
                for c in cap_list]
    return problem, Policy(name="random", caps=tuple(c for c in cap_list if c.limits), rule=rule)
