"""UK benchmarks: a 10-year run of Birmingham (~420,000 households) from the census table, target ≤ 10 s.

    .venv/bin/python benchmarks/bench_uk.py [--json out.json] [--policy "do nothing"]

Times the town's build from the ONS output-area table (cold: read + check + households; warm: cached), the
model's set-up, and the 10 years of ``uk-borough``'s options on Birmingham under migration as in 2023. The
first run is a warm-up (Numba compilation), then each policy is timed once, wall clock and process CPU (the
machine is shared: CPU time is the figure that does not depend on others' load). The peer, measured in the
same run: "do nothing" let as one joint choice-based-lettings problem (the core's CBL compares every bidder
with every advertised home) instead of one problem per tenure. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--authority", default="Birmingham")
    ap.add_argument("--policy", action="append")
    args = ap.parse_args()
    from commonground.scenarios.census import census_layout
    from commonground.simulate.model import TownModel
    from commonground.simulate.spec import simulation_from_dict
    from commonground.simulate.uk_builtin import uk_borough

    t = time.perf_counter()
    lay = census_layout(str(DATA), args.authority)
    cold = time.perf_counter() - t
    sim = simulation_from_dict(uk_borough(DATA, args.authority, replicates=1))
    params = dict(sim.scenarios)["as-in-2023"]
    pols = {p.name: p for p in sim.policies}
    TownModel(params, pols["do nothing"], 0).run()  # warm-up: Numba compilation
    out = {"authority": args.authority, "households": int((lay.resident >= 0).sum()), "homes": lay.n_homes,
           "units": len(lay.block_ids), "neighbourhoods": len(lay.nbhd_ids), "layout_cold_s": round(cold, 2),
           "new_homes_per_year": params.launches.homes_per_year, "runs": {}}
    from commonground.simulate import uk_policies

    cases = [(n, True) for n in (args.policy or ["do nothing", "large sites + pepper-potted",
                                                 "local lettings: 50% working"])]
    cases.append(("do nothing", False))  # the peer: the core's CBL on one problem holding every tenure
    for name, split in cases:
        uk_policies.SPLIT_BY_TENURE = split
        t, c = time.perf_counter(), time.process_time()
        m = TownModel(params, pols[name], 1)
        setup = time.perf_counter() - t
        df = m.run()
        total, cpu = time.perf_counter() - t, time.process_time() - c
        out["runs"][name + ("" if split else " (one joint CBL problem)")] = {
            "setup_s": round(setup, 2), "ten_years_wall_s": round(total, 2), "ten_years_cpu_s": round(cpu, 2),
            "households_end": float(df[(df.year == 10) & (df.metric == "households")].value.iloc[0])}
    uk_policies.SPLIT_BY_TENURE = True
    out["load_average"] = __import__("os").getloadavg()
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
