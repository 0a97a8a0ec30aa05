"""Simulation benchmarks: the Mesa preset against Mesa, a city-scale HDB run, and sweep scaling on Dask.

    .venv/bin/python benchmarks/bench_simulate.py [--quick] [--json out.json] [--skip-city] [--skip-sweep]

1. **Schelling vs Mesa** — Mesa 3.3's own ``mesa.examples.basic.schelling`` model and our preset, same
   parameters, fresh models, the same number of steps, measured in the same run (median over replicates of each
   run's steps per second, robust to other load on the machine): steps per second of Mesa's
   ``model.step()``, of our ``Schelling.step()`` called from Python step by step, and of
   ``Schelling.advance(n)`` (all steps in one compiled loop). On Mesa's default model (20×20) and on a 100×100 grid.
2. **City scale** — every residential HDB block in data.gov.sg's property file (~1.1M dwellings, ~10,300
   blocks) for 10 years under EIP caps with buy-back, 20,000 new flats a year by ballot.
3. **Sweep scaling** — the same sweep on a Dask LocalCluster with 1 and with 2 worker processes.

Numbers are ratios and wall-clock times on this machine; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HDB = ROOT.parent / "shared" / "data" / "sg_hdb_property_information.csv"


def _mesa_steps_per_second(kw: dict, steps: int, seeds: list[int]) -> float:
    from mesa.examples.basic.schelling.model import Schelling as MesaSchelling

    rates = []
    for s in seeds:
        m = MesaSchelling(seed=s, **kw)
        t = time.perf_counter()
        for _ in range(steps):
            m.step()
        rates.append(steps / (time.perf_counter() - t))
    return statistics.median(rates)


def _ours_steps_per_second(kw: dict, steps: int, seeds: list[int], *, compiled_loop: bool) -> float:
    from commonground.simulate.schelling import Schelling, SchellingParams

    rates = []
    for s in seeds:
        m = Schelling(SchellingParams(**kw), seed=s)
        t = time.perf_counter()
        if compiled_loop:
            m.advance(steps)
        else:
            for _ in range(steps):
                m.step()
        rates.append(steps / (time.perf_counter() - t))
    return statistics.median(rates)


def bench_schelling(quick: bool) -> list[dict]:
    from commonground.simulate.schelling import Schelling

    Schelling(seed=0).run(2)  # compile (Numba cache) before timing
    rows = []
    cases = [("Mesa default (20×20)", {}, 50, 5 if quick else 30),
             ("100×100", {"width": 100, "height": 100}, 20 if quick else 50, 3 if quick else 7)]
    for name, kw, steps, reps in cases:
        seeds = list(range(reps))
        mesa = _mesa_steps_per_second(kw, steps, seeds)
        stepwise = _ours_steps_per_second(kw, steps, seeds, compiled_loop=False)
        loop = _ours_steps_per_second(kw, steps, seeds, compiled_loop=True)
        rows.append({"case": name, "steps": steps, "replicates": reps, "mesa_steps_per_s": mesa,
                     "ours_step_by_step_per_s": stepwise, "ours_compiled_loop_per_s": loop,
                     "speedup_step_by_step": stepwise / mesa, "speedup_compiled_loop": loop / mesa})
    return rows


def bench_city(years: int) -> dict:
    from commonground.simulate.model import TownModel
    from commonground.simulate.params import Behaviour, Launches, Migration, PolicySpec, Town, TownParams
    from commonground.simulate.town import build_layout

    p = TownParams(years=years,
                   town=Town(kind="hdb", path=str(HDB), hdb_town="all", household_size=3.1,
                             national_population=4_044_200.0),
                   migration=Migration(net_per_year=20_000.0, formation_rate=0.02, departure_rate=0.015),
                   launches=Launches(homes_per_year=20_000, block_size=160, mechanism="ballot"),
                   behaviour=Behaviour(model="logit", tolerance={"Chinese": 0.6, "Malay": 0.2, "Indian": 0.1,
                                                                 "Others": 0.0}, min_occupation_years=5))
    t = time.perf_counter()
    layout = build_layout(p.town)
    t_layout = time.perf_counter() - t
    t = time.perf_counter()
    m = TownModel(p, PolicySpec("EIP + buy-back", "caps-buyback", "sg-eip-2010"), 1)
    t_init = time.perf_counter() - t
    per_year = []
    sales = 0.0
    for _ in range(years):
        t = time.perf_counter()
        out = m.step()
        per_year.append(time.perf_counter() - t)
        sales += out["sales"]
    return {"dwellings_at_start": layout.n_homes, "blocks": len(layout.block_ids),
            "neighbourhoods": len(layout.nbhd_ids), "years": years,
            "dwellings_at_end": int(m.state.units()[0].sum()), "build_town_s": t_layout, "init_s": t_init,
            "run_s": sum(per_year), "mean_year_s": statistics.mean(per_year), "resales": sales}


def bench_sweep(replicates: int) -> list[dict]:
    """The built-in sweep on a LocalCluster of 1 and of 2 worker processes. Each cluster is started and warmed
    up (every worker loads the compiled kernels and builds the town once) before the timed sweep, so the figure
    is the sweep's own scaling, not process start-up."""
    from dask.distributed import Client, LocalCluster

    from commonground.simulate.builtin import UK_MIGRATION
    from commonground.simulate.spec import simulation_from_dict
    from commonground.simulate.sweep import make_tasks, run_task, sweep

    sim = simulation_from_dict({**UK_MIGRATION, "replicates": replicates})
    warm = simulation_from_dict({**UK_MIGRATION, "replicates": 1, "years": 1})
    rows = []
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
            client.gather(client.map(run_task, make_tasks(warm), pure=False))
            t = time.perf_counter()
            res = sweep(sim, scheduler=cluster.scheduler_address)
            rows.append({"workers": n, "tasks": len(make_tasks(sim)), "seconds": time.perf_counter() - t,
                         "rows": len(res)})
    rows[1]["speedup"] = rows[0]["seconds"] / rows[1]["seconds"]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--skip-sweep", action="store_true")
    a = ap.parse_args()
    import os

    report: dict = {"machine": {"python": platform.python_version(), "cores": os.cpu_count(),
                                "load_average_at_start": os.getloadavg()}}
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}")
    report["schelling"] = bench_schelling(a.quick)
    print("| case | Mesa steps/s | ours step-by-step /s | ours compiled loop /s | × (step-by-step) | × (loop) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in report["schelling"]:
        print(f"| {r['case']} | {r['mesa_steps_per_s']:,.0f} | {r['ours_step_by_step_per_s']:,.0f} | "
              f"{r['ours_compiled_loop_per_s']:,.0f} | {r['speedup_step_by_step']:.0f}× | "
              f"{r['speedup_compiled_loop']:.0f}× |")
    if not a.skip_city and HDB.exists():
        c = bench_city(3 if a.quick else 10)
        report["city"] = c
        print(f"\ncity: {c['dwellings_at_start']:,} dwellings in {c['blocks']:,} blocks, {c['neighbourhoods']} "
              f"neighbourhoods; {c['years']} years in {c['run_s']:.1f} s ({c['mean_year_s']:.2f} s/year), town "
              f"built in {c['build_town_s']:.1f} s; {c['dwellings_at_end']:,} dwellings at the end, "
              f"{c['resales']:,.0f} resales")
    if not a.skip_sweep:
        s = bench_sweep(2 if a.quick else 10)
        report["sweep"] = s
        print("\n| workers | tasks | seconds | speed-up |\n|---:|---:|---:|---:|")
        for r in s:
            print(f"| {r['workers']} | {r['tasks']} | {r['seconds']:.1f} | {r.get('speedup', 1.0):.2f}× |")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    report["machine"]["load_average_at_end"] = os.getloadavg()
    if a.json:
        a.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
