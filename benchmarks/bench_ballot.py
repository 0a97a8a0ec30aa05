"""Ballot throughput: households seated per second, against a named peer measured in the same run.

Peer: the straightforward pure-Python sequential ballot in tests/core/reference.py (each household scans the
vacant flats for its best cap-allowed one) — what one writes without arrays or a compiled loop. It is
run on the same instance at the sizes it can manage; the project's ballot (Numba) runs at 10k and 100k.

    python benchmarks/bench_ballot.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from commonground.allocate import allocate  # noqa: E402
from commonground.model import BlockUtilities, Development, Households, Problem  # noqa: E402
from commonground.policy import load_policy  # noqa: E402
from tests.core.instances import naive_inputs  # noqa: E402
from tests.core.reference import naive_ballot  # noqa: E402

GROUPS = ["Chinese", "Malay", "Indian", "Others"]
SHARES = [0.743, 0.135, 0.090, 0.032]


def launch(n_households: int, n_blocks: int, flats_per_block: int, seed: int = 0) -> Problem:
    """A BTO-like launch: blocks in 5 neighbourhoods, 4 flat types, homophilous block utilities."""
    rng = np.random.default_rng(seed)
    n_flats = n_blocks * flats_per_block
    block = np.repeat(np.arange(n_blocks), flats_per_block)
    flats = pd.DataFrame({"flat_id": np.arange(n_flats).astype(str), "block_id": [f"B{b:04d}" for b in block],
                          "neighbourhood_id": [f"N{b % 5}" for b in block],
                          "flat_type": rng.choice(["2-room", "3-room", "4-room", "5-room"], n_flats),
                          "value": rng.random(n_flats) * 0.1})
    dev = Development.from_frame(flats)
    eth = rng.choice(GROUPS, n_households, p=SHARES)
    hh = Households(ids=np.arange(n_households).astype(str).astype(object),
                    attributes={"ethnicity": eth.astype(object)}, ballot_chances=rng.integers(1, 3, n_households))
    tilt = rng.random((len(GROUPS), n_blocks)) * 2
    U = tilt[pd.Index(GROUPS).get_indexer(eth)] + rng.gumbel(size=(n_households, n_blocks))
    V = np.full((n_households, 4), -np.inf)
    V[np.arange(n_households), rng.integers(0, 4, n_households)] = 0.0
    return Problem.build(dev, hh, BlockUtilities(block=U, flat_type=V))


def timed(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    policy = load_policy("sg-eip-2010")
    rows = []
    allocate(launch(100, 2, 20), policy, "ballot", seed=0)  # compile once (Numba cache) outside the timings
    sizes = [(10_000, 20, 125), (100_000, 100, 200)] if not args.quick else [(10_000, 20, 125)]
    for n, nb, fpb in sizes:
        p = launch(n, nb, fpb)
        t = timed(lambda p=p: allocate(p, policy, "ballot", seed=1))
        rows.append({"households": n, "flats": nb * fpb, "blocks": nb, "commonground_s": t,
                     "households_per_s": n / t})
    # Same-instance comparison with the pure-Python peer at a size it finishes.
    n_peer = 2_000
    p = launch(n_peer, 10, 50)
    res = allocate(p, policy, "ballot", seed=1)
    order = np.argsort(res.queue_position).tolist()
    inputs = naive_inputs(p, policy)
    t0 = time.perf_counter()
    ref = naive_ballot(order, *inputs)
    t_peer = time.perf_counter() - t0
    t_ours = timed(lambda: allocate(p, policy, "ballot", seed=1))
    assert all((ref[h] if ref[h] is not None else -1) == res.flat_of[h] for h in range(n_peer)), "results differ"
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"\npeer (pure-Python sequential ballot) on {n_peer} households x {p.development.n_flats} flats: "
          f"{t_peer:.2f} s; commonground {t_ours:.4f} s; ratio {t_peer / t_ours:.0f}x (identical results)")


if __name__ == "__main__":
    main()
