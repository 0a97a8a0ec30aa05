"""Optimal allocation: the project's exact solver against the textbook MILP, in one run on the same instances.

Textbook MILP: one binary per household × acceptable flat, a row per household, per flat and per
(group, block) cap, solved by HiGHS (highspy) — what peers.md measured. The project's solver is
``commonground.allocate.optimal`` (aggregated model; a network LP when provably a min-cost flow, else a MILP).

Instances: a BTO-style launch with blocks of ~125 flats, three groups (Chinese 74.3 %, Malay 13.5 %,
Indian/Others 12.2 %, Census 2020), block caps 87/25/15 % (EIP 2010), homophilous block-level utilities (a
common appeal per block + own-group share of the block's precinct × homophily + Gumbel noise).
A second family adds what makes the problem a MILP: neighbourhood caps 84/22/12 % and an SPR cap.

Issue 11 sections (default): Benabbou et al.'s published HDB experiment (flat-level utilities, 1,348 households
× 1,350 flats, ``tests/optimal/benabbou.py``), ``--instances`` per utility model: ``optimal``'s time (median and
worst) and ``optimal-unconstrained`` against ``scipy.optimize.linear_sum_assignment`` on the same dense matrix;
a whole HDB sales exercise (~7,000 flats in 7 projects, ~35,000 applicants naming one project each, EIP block and
neighbourhood caps + SPR quota); the dense 10,000 × 50,000 block-level launch.

Run: ``.venv/bin/python benchmarks/bench_optimal.py [--instances 20] [--textbook] [--quick]``; prints Markdown
tables and writes ``benchmarks/results/optimal.json`` (``optimal_issue11.json`` for the issue 11 sections).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import queue
import statistics
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from timing import best_of

from commonground.allocate.optimal import optimal, optimal_unconstrained
from commonground.model import BlockUtilities, Development, Households, Problem
from commonground.policy import CapState, load_policy

SHARES = {"Chinese": 0.743, "Malay": 0.135, "Indian": 0.090, "Others": 0.032}


def launch(n_flats: int, n_households: int, *, seed: int = 0, block_size: int = 125, nbhd_blocks: int = 4,
           spr: bool = False) -> Problem:
    rng = np.random.default_rng(seed)
    n_blocks = max(4, round(n_flats / block_size))
    block = np.sort(np.r_[np.arange(n_blocks), rng.integers(0, n_blocks, n_flats - n_blocks)])
    flats = pd.DataFrame({"flat_id": [f"f{i}" for i in range(n_flats)], "block_id": [f"B{b:04d}" for b in block],
                          "neighbourhood_id": [f"N{b // nbhd_blocks:03d}" for b in block]})
    dev = Development.from_frame(flats)
    groups = list(SHARES)
    g = rng.choice(len(groups), n_households, p=list(SHARES.values()))
    attrs = {"ethnicity": np.array(groups, dtype=object)[g]}
    if spr:
        attrs["residency"] = np.where(rng.random(n_households) < 0.07, "SPR", "SC").astype(object)
    hh = Households(ids=np.array([f"h{i}" for i in range(n_households)], dtype=object), attributes=attrs)
    precinct = rng.dirichlet(np.array(list(SHARES.values())) * 20, dev.n_blocks)    # own-group share nearby
    appeal = rng.normal(0, 0.5, dev.n_blocks)
    homophilous = rng.random(n_households) < 0.4
    U = 2.0 + appeal[None, :] + 3.0 * homophilous[:, None] * precinct[:, g].T * 5 + rng.gumbel(0, 0.5, (
        n_households, dev.n_blocks))
    U = np.maximum(U, 0.1)
    return Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((n_households, 1))))


def textbook_milp(problem: Problem, policy, time_limit: float) -> dict:
    """One binary per household × flat in HiGHS."""
    t0 = time.perf_counter()
    dev = problem.development
    H, F = problem.n_households, dev.n_flats
    caps = CapState.build(policy, dev, problem.households)
    util = problem.utilities.block[:, dev.flat_block]          # H × F (no flat terms in these instances)
    hh, ff = np.nonzero(np.isfinite(util))
    n = len(hh)
    cols = np.arange(n)
    mats = [sparse.csr_matrix((np.ones(n), (hh, cols)), shape=(H, n)),
            sparse.csr_matrix((np.ones(n), (ff, cols)), shape=(F, n))]
    ub = [np.ones(H), np.ones(F)]
    for c in range(caps.n_caps):
        unit = dev.flat_block[ff] if caps.level[c] == 0 else dev.flat_neighbourhood[ff]
        lim = caps.hh_limit[c, hh]
        m = lim >= 0
        L = caps.maximum.shape[2]
        key = unit[m] * L + lim[m]
        uk, inv = np.unique(key, return_inverse=True)
        mats.append(sparse.csr_matrix((np.ones(m.sum()), (inv, cols[m])), shape=(len(uk), n)))
        u_, l_ = uk // L, uk % L
        ub.append(np.maximum(caps.maximum[c, u_, l_] - caps.count[c, u_, l_], 0).astype(float))
    A = sparse.vstack(mats).tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, A.shape[0]
    lp.col_cost_ = -util[hh, ff]
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
    lp.row_lower_, lp.row_upper_ = np.full(A.shape[0], -np.inf), np.concatenate(ub)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    obj = -info.objective_function_value if info.primal_solution_status else float("nan")
    return {"seconds": time.perf_counter() - t0, "status": status, "objective": obj,
            "bound": -info.mip_dual_bound, "gap": info.mip_gap, "binaries": n}


def textbook_hard_limit(problem: Problem, policy, time_limit: float) -> dict:
    """The textbook MILP in a child process killed at ``time_limit`` wall seconds (HiGHS's own time limit is
    not honoured while it builds and presolves a model of millions of binaries: 30 s took 143 s here)."""
    # A fresh interpreter ("spawn"): a forked child would inherit HiGHS's thread pool from this process and hang.
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    t0 = time.perf_counter()
    proc = ctx.Process(target=_textbook_child, args=(q, problem, policy, time_limit))
    proc.start()
    try:
        res = q.get(timeout=time_limit + 10)
    except queue.Empty:
        proc.kill()
        proc.join()
        return {"seconds": time.perf_counter() - t0, "status": "killed at the time limit", "objective": float("nan"),
                "gap": float("inf")}
    proc.join()
    res["wall_seconds_with_process_start"] = time.perf_counter() - t0
    return res


def _textbook_child(q, problem, policy, time_limit):
    q.put(textbook_milp(problem, policy, time_limit))


def ours(problem: Problem, policy, repeats: int = 1) -> dict:
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        a = optimal(problem, policy)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return {"seconds": best, "objective": a.welfare(), "exact": a.info["exact"], "method": a.info["method"],
            "gap": a.info["gap"], "arcs": a.info["arcs"]}


def benabbou_section(n: int) -> dict:
    """``n`` instances per utility model of the published experiment."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from optimal.benabbou import MODELS, instance

    out: dict = {}
    print("| utility model | instances | `optimal` median | worst | all exact | max gap | arcs kept after fixing "
          "(median) | `optimal-unconstrained` / `linear_sum_assignment` median | worst |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    warm = instance("location", 999)
    optimal(warm[0], warm[1])                   # compile the ballot's kernels once, outside the timings
    for model in MODELS:
        rows = []
        for seed in range(n):
            problem, policy, U = instance(model, seed)
            t0 = time.perf_counter()
            a = optimal(problem, policy)
            t_opt = time.perf_counter() - t0
            t_lsa, (r, c) = best_of(lambda U=U: linear_sum_assignment(U, maximize=True))
            t_unc, free = best_of(lambda p=problem, q=policy: optimal_unconstrained(p, q))
            same = abs(free.welfare() - U[r, c].sum()) <= 1e-9 * U[r, c].sum()
            rows.append({"seed": seed, "optimal_s": t_opt, "exact": a.info["exact"], "gap": a.info["gap"],
                         "arcs_after_fixing": a.info.get("arcs_after_fixing"), "lsa_s": t_lsa,
                         "unconstrained_s": t_unc, "ratio": t_unc / t_lsa, "same_unconstrained_optimum": same,
                         "welfare": a.welfare(), "welfare_unconstrained": free.welfare()})
        out[model] = rows
        ts = [r["optimal_s"] for r in rows]
        ratios = [r["ratio"] for r in rows]
        kept = [r["arcs_after_fixing"] or 0 for r in rows]
        print(f"| {model} | {n} | {statistics.median(ts):.2f} s | {max(ts):.2f} s | "
              f"{all(r['exact'] for r in rows)} | {max(r['gap'] for r in rows):.1g} | {statistics.median(kept):,.0f} | "
              f"{statistics.median(ratios):.2f}× | {max(ratios):.2f}× |", flush=True)
    return out


def sales_exercise(n_flats: int = 7000, n_households: int = 35000, n_projects: int = 7, seed: int = 7) -> Problem:
    """A whole HDB sales exercise: ``n_projects`` projects (neighbourhoods) of blocks of ~125 flats, each
    applicant names one project and ranks its blocks (block-level utilities, -inf elsewhere); 7 % SPR."""
    rng = np.random.default_rng(seed)
    n_blocks = round(n_flats / 125)
    block = np.sort(np.r_[np.arange(n_blocks), rng.integers(0, n_blocks, n_flats - n_blocks)])
    project_of_block = np.arange(n_blocks) * n_projects // n_blocks
    flats = pd.DataFrame({"flat_id": [f"f{i}" for i in range(n_flats)], "block_id": [f"B{b:04d}" for b in block],
                          "neighbourhood_id": [f"P{project_of_block[b]}" for b in block]})
    dev = Development.from_frame(flats)
    groups = list(SHARES)
    g = rng.choice(len(groups), n_households, p=list(SHARES.values()))
    attrs = {"ethnicity": np.array(groups, dtype=object)[g],
             "residency": np.where(rng.random(n_households) < 0.07, "SPR", "SC").astype(object)}
    hh = Households(ids=np.array([f"h{i}" for i in range(n_households)], dtype=object), attributes=attrs)
    proj_of_dev_block = np.array([int(dev.neighbourhood_ids[dev.block_neighbourhood[b]][1:])
                                  for b in range(dev.n_blocks)])
    chosen = rng.integers(0, n_projects, n_households)
    U = 2.0 + rng.normal(0, 0.5, dev.n_blocks)[None, :] + rng.gumbel(0, 0.5, (n_households, dev.n_blocks))
    U = np.maximum(U, 0.1)
    U[proj_of_dev_block[None, :] != chosen[:, None]] = -np.inf
    return Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((n_households, 1))))


def big_section(limit: float) -> dict:
    out = {}
    print("| instance | flats × households | time | exact | gap | method |")
    print("|---|---|---:|---|---:|---|")
    for name, problem, policy in (
            ("HDB sales exercise: 7 projects, one each, EIP block + nbhd + SPR", sales_exercise(), _eip_full()),
            ("dense block-level launch, EIP block caps", launch(10000, 50000, seed=10001), _eip_block())):
        t0 = time.perf_counter()
        a = optimal(problem, policy, time_limit=limit)
        dt = time.perf_counter() - t0
        out[name] = {"seconds": dt, "exact": a.info["exact"], "gap": a.info["gap"], "method": a.info["method"],
                     "arcs": a.info["arcs"], "flats": problem.development.n_flats,
                     "households": problem.n_households}
        print(f"| {name} | {problem.development.n_flats:,} × {problem.n_households:,} | {dt:.1f} s | "
              f"{a.info['exact']} | {a.info['gap']:.1g} | {a.info['method'].split(' (')[0]} |", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes and time limits")
    ap.add_argument("--instances", type=int, default=20, help="instances per utility model (published experiment)")
    ap.add_argument("--no-big", action="store_true", help="skip the sales exercise and the 10,000 × 50,000 case")
    ap.add_argument("--textbook", action="store_true", help="also the head-to-head against the textbook MILP")
    ap.add_argument("--textbook-limit", type=float, default=300.0)
    ap.add_argument("--scale-limit", type=float, default=60.0)
    args = ap.parse_args()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    issue11 = {"benabbou": benabbou_section(2 if args.quick else args.instances)}
    if not args.no_big and not args.quick:
        print()
        issue11["big"] = big_section(args.scale_limit * 5)
    (out / "optimal_issue11.json").write_text(json.dumps(issue11, indent=2, default=str) + "\n")
    if args.textbook:
        textbook_sections(args)


def textbook_sections(args) -> None:
    eip_block = _eip_block()
    full = _eip_full()
    results: dict = {"head_to_head": [], "scaling": []}
    sizes = [(40, 200), (80, 400), (120, 600), (1000, 5000)]
    if args.quick:
        sizes = [(40, 200), (80, 400)]
    print("| instance | flats × households | project solver | method | textbook MILP (HiGHS) | speed-up "
          "| same optimum |")
    print("|---|---|---:|---|---:|---:|---|")
    for fam, pol, spr in (("block caps", eip_block, False), ("block + neighbourhood + SPR caps", full, True)):
        for F, H in sizes:
            p = launch(F, H, seed=F, spr=spr)
            o = ours(p, pol, repeats=3)
            limit = args.textbook_limit if not args.quick else 60.0
            t = textbook_hard_limit(p, pol, time_limit=limit)
            done = t["status"] == "Optimal"
            same = abs(t["objective"] - o["objective"]) <= 1e-6 * max(1.0, abs(o["objective"])) if done else None
            ratio = t["seconds"] / o["seconds"]
            row = {"family": fam, "flats": F, "households": H, "ours": o, "textbook": t, "speedup": ratio,
                   "speedup_is_lower_bound": not done, "same_optimum": same}
            results["head_to_head"].append(row)
            tb = f"{t['seconds']:.2f} s" if done else f"not solved in {limit:.0f} s ({t['status']})"
            print(f"| {fam} | {F:,} × {H:,} | {o['seconds']:.3f} s | {o['method'].split(' (')[0]} | {tb} | "
                  f"{'≥' if not done else ''}{ratio:,.0f}× | {same if done else 'n/a (not solved)'} |", flush=True)
    print()
    print("| instance | flats × households | blocks | arcs | project solver | exact |")
    print("|---|---|---:|---:|---:|---|")
    scale = [(1000, 5000), (2500, 12500), (5000, 25000), (10000, 50000), (20000, 100000)]
    if args.quick:
        scale = scale[:2]
    for fam, pol, spr in (("block caps", eip_block, False), ("block + neighbourhood + SPR caps", full, True)):
        for F, H in scale:
            p = launch(F, H, seed=F + 1, spr=spr)
            t0 = time.perf_counter()
            a = optimal(p, pol, time_limit=args.scale_limit)
            dt = time.perf_counter() - t0
            row = {"family": fam, "flats": F, "households": H, "blocks": p.development.n_blocks,
                   "seconds": dt, "exact": a.info["exact"], "gap": a.info["gap"], "method": a.info["method"],
                   "arcs": a.info["arcs"]}
            results["scaling"].append(row)
            print(f"| {fam} | {F:,} × {H:,} | {p.development.n_blocks} | {a.info['arcs']:,} | {dt:.2f} s | "
                  f"{a.info['exact']} (gap {a.info['gap']:.1g}) |", flush=True)
            if dt > args.scale_limit or not a.info["exact"]:
                break
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "optimal.json").write_text(json.dumps(results, indent=2, default=str) + "\n")


def _eip_block():
    from commonground.policy import Cap, CapLimit, Policy

    return Policy("eip-2010-block", caps=(Cap("ethnicity", "block", (
        CapLimit("Chinese", frozenset({"Chinese"}), 0.87), CapLimit("Malay", frozenset({"Malay"}), 0.25),
        CapLimit("Indian/Others", frozenset({"Indian", "Others"}), 0.15))),))


def _eip_full():
    from commonground.policy import combine

    return combine([load_policy("sg-eip-2010"), load_policy("sg-spr")])


if __name__ == "__main__":
    main()
