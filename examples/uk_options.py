"""Which lawful options keep new homes mixed in the ten most segregated authorities of England and Wales?

Runs the built-in ``uk-borough`` simulation (every lawful council option against doing nothing, plus
ethnic caps for analysis only, under UK net migration as in 2023 and as in 2025) on each of the ten most
segregated authorities of the 2011 league table (docs/ew_league_table.csv, by Theil's H), every run one
Dask task, and writes ``options.csv``, ``summary.csv`` and ``report.html`` (first screen: which options keep
new homes mixed, and at what cost).

Run: ``.venv/bin/python examples/uk_options.py --out uk_options --replicates 5`` (the census table defaults to
../shared/data; ``--census PATH`` for your own copy).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from commonground.report.uk import write_report
from commonground.simulate.spec import simulation_from_dict
from commonground.simulate.sweep import make_tasks, run_task, run_tasks, summarise
from commonground.simulate.uk_builtin import uk_borough

REPO = Path(__file__).resolve().parents[1]


def ten_most_segregated() -> list[str]:
    league = pd.read_csv(REPO / "docs" / "ew_league_table.csv")
    return league.sort_values("rank")["local_authority"].head(10).tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--census", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out", default="uk_options")
    ap.add_argument("--replicates", type=int, default=5)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--authorities", type=int, default=10, help="how many of the most segregated")
    ap.add_argument("--scheduler", default="local", help="'local' (a LocalCluster), 'inprocess' or an address")
    args = ap.parse_args()
    tasks, owner = [], []
    for name in ten_most_segregated()[: args.authorities]:
        data = uk_borough(args.census, name, replicates=args.replicates)
        data["years"] = args.years
        sim = simulation_from_dict(data, source=f"uk-borough ({name})")
        for t in make_tasks(sim):
            tasks.append(t)
            owner.append(name)
    t0 = time.perf_counter()
    frames = run_tasks(run_task, tasks, scheduler=args.scheduler)
    seconds = time.perf_counter() - t0
    for f, name in zip(frames, owner, strict=True):
        f.insert(0, "authority", name)
    results = pd.concat(frames, ignore_index=True)
    summary = pd.concat([summarise(d.drop(columns="authority")).assign(authority=a)
                         for a, d in results.groupby("authority", sort=False)], ignore_index=True)
    notes = (f"{len(tasks)} runs ({args.authorities} authorities × 7 policies × 2 migration scenarios × "
             f"{args.replicates} replicates, {args.years} years) in {seconds:.0f} s on {args.scheduler}.")
    table = write_report(summary, args.out, "Lawful options for new homes in the ten most segregated authorities "
                                            "of England and Wales (2011)", notes)
    summary.to_csv(Path(args.out) / "summary.csv", index=False)
    print(notes)
    print(table[["authority", "scenario", "policy", "new.dissimilarity", "change_vs_nothing"]]
          .to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
