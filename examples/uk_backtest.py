"""Back-test: from a well-mixed start, can plausible preferences grow each authority's 2011 segregation?

For each of the ten most segregated authorities (docs/ew_league_table.csv), the town keeps its 2011 homes per
output area and its household totals by broad group, but households are placed at random
(``town.start = "well-mixed"``). The town model then runs ``--years`` years with no new homes and no migration
(households form and dissolve at 2 % a year each), under the threshold preference model with one tolerance τ
for every group (a household is unhappy when less than τ of its surroundings is its own group, as Schelling).
The observed figure is the multigroup dissimilarity over output areas of the 2011 households (broad groups),
computed by the same code. The calibrated range is every τ on the grid whose mean simulated D after
``--years`` lies within ``--error`` of the observed D. Writes docs/uk_backtest.csv and docs/uk_backtest.md.

Run: ``.venv/bin/python examples/uk_backtest.py`` (census table from ../shared/data by default).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from commonground.scenarios.census import census_layout
from commonground.simulate.metrics import index_metrics
from commonground.simulate.params import PolicySpec, params_from_dict
from commonground.simulate.sweep import Task, run_task, run_tasks, task_seed

REPO = Path(__file__).resolve().parents[1]
TAUS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def observed_d(census: str, name: str) -> float:
    lay = census_layout(census, name)
    occ = lay.resident >= 0
    block = np.repeat(np.arange(len(lay.block_homes)), lay.block_homes)
    b = np.zeros((len(lay.block_homes), len(lay.groups)), np.int64)
    np.add.at(b, (block[occ], lay.resident[occ]), 1)
    n = np.zeros((len(lay.nbhd_ids), len(lay.groups)), np.int64)
    np.add.at(n, lay.block_nbhd, b)
    return index_metrics(b, n, lay.groups)["block.dissimilarity"]


def params(census: str, name: str, tau: float, years: int):
    return params_from_dict({
        "years": years,
        "town": {"kind": "census", "path": census, "authority": name, "start": "well-mixed"},
        "migration": {"net_per_year": 0.0, "formation_rate": 0.02, "departure_rate": 0.02},
        "launches": {"homes_per_year": 0},
        "behaviour": {"model": "threshold", "tolerance": tau, "block_weight": 0.5, "base_move_rate": 0.04,
                      "unhappy_move_rate": 0.15, "price_weight": 2.0},
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--census", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--authorities", type=int, default=10)
    ap.add_argument("--error", type=float, default=0.05)
    ap.add_argument("--scheduler", default="local")
    args = ap.parse_args()
    league = pd.read_csv(REPO / "docs" / "ew_league_table.csv").sort_values("rank").head(args.authorities)
    names = league["local_authority"].tolist()
    tasks = [Task("town", f"{a}|{tau}", PolicySpec("none"), r, params(args.census, a, tau, args.years),
                  task_seed(2011, a, "none", r), args.years)
             for a in names for tau in TAUS for r in range(args.replicates)]
    t0 = time.perf_counter()
    frames = run_tasks(run_task, tasks, scheduler=args.scheduler)
    seconds = time.perf_counter() - t0
    res = pd.concat(frames, ignore_index=True)
    res = res[(res["metric"] == "block.dissimilarity") & (res["year"].isin([0, args.years]))]
    res[["authority", "tau"]] = res["scenario"].str.split("|", expand=True)
    res["tau"] = res["tau"].astype(float)
    sim = res.groupby(["authority", "tau", "year"])["value"].agg(["mean", "min", "max"]).reset_index()
    rows = []
    for a in names:
        obs = observed_d(args.census, a)
        end = sim[(sim["authority"] == a) & (sim["year"] == args.years)].sort_values("tau")
        start = sim[(sim["authority"] == a) & (sim["year"] == 0)]["mean"].mean()
        ok = end[(end["mean"] - obs).abs() <= args.error]["tau"].tolist()
        best = end.iloc[int(np.argmin((end["mean"] - obs).abs().to_numpy()))]
        rows.append({"authority": a, "observed_d_2011": round(obs, 3), "well_mixed_d": round(start, 3),
                     "calibrated_tau": (", ".join(f"{t:.2f}" for t in ok) if ok else "none"),
                     "closest_tau": best["tau"], "closest_d": round(best["mean"], 3),
                     "closest_error": round(best["mean"] - obs, 3),
                     **{f"d_tau_{t:.2f}": round(float(end[end["tau"] == t]["mean"].iloc[0]), 3) for t in TAUS}})
    out = pd.DataFrame(rows)
    out.to_csv(REPO / "docs" / "uk_backtest.csv", index=False)
    cols = ["authority", "observed_d_2011", "well_mixed_d", "calibrated_tau", "closest_tau", "closest_d",
            "closest_error"]
    md = ["# Back-test: growing 2011 segregation from a well-mixed start", "",
          f"Made by `examples/uk_backtest.py` ({len(tasks)} runs of {args.years} years, {args.replicates} "
          f"replicates per τ, {seconds:.0f} s on {args.scheduler}). D: multigroup dissimilarity of households "
          f"(five broad groups) over output areas. Calibrated: τ on the grid {', '.join(map(str, TAUS))} whose "
          f"mean D after {args.years} years is within ±{args.error} of the observed D. See docs/uk.md.", "",
          "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    md += ["", "Simulated D after the run, by τ:", "",
           "| authority | " + " | ".join(f"τ={t:.2f}" for t in TAUS) + " |", "|---|" + "---:|" * len(TAUS)]
    md += ["| " + r["authority"] + " | " + " | ".join(str(r[f"d_tau_{t:.2f}"]) for t in TAUS) + " |" for r in rows]
    (REPO / "docs" / "uk_backtest.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print(out[cols].to_string(index=False))


if __name__ == "__main__":
    main()
