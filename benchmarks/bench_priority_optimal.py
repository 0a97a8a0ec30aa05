"""priority-optimal with block caps only: one network LP for stage 1 against the greedy with a MILP oracle.

Peer: the project's ballot on the same instance and seed; the MILP-oracle greedy (``oracle="milp"``, the method
before the network LP) is timed on the same instance as the "before". The instance is the DA benchmark's launch
with the EIP's block limits only and whole-block tastes (any flat type, a block's flats worth the same), the case
the network LP covers; with neighbourhood caps or flat-type tastes priority-optimal keeps the MILP oracle
(bench_frontier.py times that).

    python benchmarks/bench_priority_optimal.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ballot import launch, timed  # noqa: E402
from commonground.allocate import allocate  # noqa: E402
from commonground.model import BlockUtilities, Problem  # noqa: E402
from commonground.policy import load_policy  # noqa: E402


def block_only(n: int, n_blocks: int, per_block: int) -> Problem:
    """The launch with whole-block tastes: any flat type, every flat of a block worth the same."""
    p = launch(n, n_blocks, per_block)
    u = p.utilities
    dev = dataclasses.replace(p.development, flat_value=np.zeros(p.development.n_flats))
    return Problem.build(dev, p.households,
                         BlockUtilities(block=u.block, flat_type=np.zeros_like(u.flat_type)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    eip = load_policy("sg-eip-2010")
    policy = dataclasses.replace(eip, caps=tuple(c for c in eip.caps if c.level == "block"))
    sizes = [(1000, 5, 60)] if args.quick else [(1000, 5, 60), (3000, 10, 100)]
    rows = []
    for n, nb, fpb in sizes:
        p = block_only(n, nb, fpb)
        allocate(p, policy, "ballot", seed=1)
        t_b = timed(lambda p=p: allocate(p, policy, "ballot", seed=1))
        t_lp = timed(lambda p=p: allocate(p, policy, "priority-optimal", seed=1), 1)
        res = allocate(p, policy, "priority-optimal", seed=1)
        row = {"applicants": n, "flats": nb * fpb, "ballot_s": round(t_b, 4), "network_lp_s": round(t_lp, 2),
               "lp_ratio": round(t_lp / t_b), "stage_1": res.info["stage_1"], "housed": int((res.flat_of >= 0).sum())}
        if n <= 3000:
            t_milp = timed(lambda p=p: allocate(p, policy, "priority-optimal", seed=1, oracle="milp"), 1)
            slow = allocate(p, policy, "priority-optimal", seed=1, oracle="milp")
            row |= {"milp_oracle_s": round(t_milp, 2), "milp_ratio": round(t_milp / t_b),
                    "oracle_milps": slow.info["oracle_milps"],
                    "same_set": bool(((slow.flat_of >= 0) == (res.flat_of >= 0)).all())}
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
