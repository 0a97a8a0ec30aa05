"""Deferred acceptance with ceilings against the ballot on the same launch (ratio in one run).

The issue's target: DA with ceilings on 100,000 applicants in about a second. The peer is the project's own
ballot (serial dictatorship, the mechanism HDB runs) on the same instance and seed; DA does more work (rounds of
proposals and re-choices), so the ratio says what the stronger guarantees cost.

    python benchmarks/bench_da.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ballot import launch, timed  # noqa: E402
from commonground.allocate import allocate  # noqa: E402
from commonground.policy import load_policy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    policy = load_policy("sg-eip-2010")
    small = launch(100, 2, 20)
    for name in ("ballot", "da-ceilings", "da-soft-bounds", "da-reserves"):
        allocate(small, policy, name, seed=0)  # compile once (Numba cache) outside the timings
    sizes = [(10_000, 20, 125)] if args.quick else [(10_000, 20, 125), (100_000, 100, 200)]
    rows = []
    for n, nb, fpb in sizes:
        p = launch(n, nb, fpb)
        t_ballot = timed(lambda p=p: allocate(p, policy, "ballot", seed=1))
        for name in ("da-ceilings", "da-soft-bounds", "da-reserves"):
            t = timed(lambda p=p, name=name: allocate(p, policy, name, seed=1))
            res = allocate(p, policy, name, seed=1)
            rows.append({"households": n, "flats": nb * fpb, "mechanism": name, "seconds": round(t, 3),
                         "ballot_s": round(t_ballot, 3), "ratio_to_ballot": round(t / t_ballot, 1),
                         "housed": int((res.flat_of >= 0).sum())})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
