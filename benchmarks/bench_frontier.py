"""The frontier command's work on a whole sales exercise, against the ballot alone on the same instances (one run).

The issue's target: the frontier on a whole sales exercise in under a minute. Instances are the projects of HDB
sales exercises on real towns (commonground.exercise), each project's booking households one instance; the peer
is the ballot run on the same instances and seed. Also times priority-optimal against the ballot on one launch.

    python benchmarks/bench_frontier.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ballot import launch, timed  # noqa: E402
from commonground.allocate import allocate  # noqa: E402
from commonground.exercise import ExerciseParams, run_exercises  # noqa: E402
from commonground.frontier import frontier  # noqa: E402
from commonground.policy import load_policy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rows = []
    for exercises in ([1] if args.quick else [1, 3]):
        params = ExerciseParams(exercises=exercises)
        policy = load_policy(params.policy)
        t = time.perf_counter()
        run = run_exercises(params, seed=0, keep_problems=True)
        t_run = time.perf_counter() - t
        instances = [(f"{k} {n}", p) for k, n, p in run.problems]
        frontier(instances[:1], policy, mechanisms=("ballot",))  # compile outside the timings
        t_ballot = timed(lambda inst=instances, policy=policy: frontier(inst, policy, mechanisms=("ballot",)), 1)
        t = time.perf_counter()
        frontier(instances, policy)
        t_frontier = time.perf_counter() - t
        rows.append({"what": f"frontier, {exercises} exercise(s)", "instances": len(instances),
                     "applications": len(run.applications), "seconds": round(t_frontier, 2),
                     "peer_s": round(t_ballot, 3), "ratio_to_peer": round(t_frontier / t_ballot, 1),
                     "exercise_sim_s": round(t_run, 2)})
    policy = load_policy("sg-eip-2010")
    for n, nb, fpb in ([(1000, 5, 60)] if args.quick else [(1000, 5, 60), (3000, 10, 100)]):
        p = launch(n, nb, fpb)
        allocate(p, policy, "ballot", seed=1)
        t_b = timed(lambda p=p: allocate(p, policy, "ballot", seed=1))
        t_p = timed(lambda p=p: allocate(p, policy, "priority-optimal", seed=1), 1)
        rows.append({"what": f"priority-optimal, {n} applicants / {nb * fpb} flats", "instances": 1,
                     "applications": n, "seconds": round(t_p, 2), "peer_s": round(t_b, 4),
                     "ratio_to_peer": round(t_p / t_b, 0)})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
