"""Benabbou et al.'s HDB price-of-diversity experiment, reproduced from its data and description with commonground.

Data: ../shared/data/benabbou_hdb/ (their repository's Data/housing, see SOURCES.md there): 9 blocks of a 2017 BTO
launch (numApts: 94-249 flats, 1,350 in all), block locations, and URA Master Plan 2014 planning areas with their
Chinese / Malay / Indian-Others populations. The experiment (AAMAS 2018; ACM TEAC 2020, section on HDB data):

* agents: 1,350 × the national shares 74.1 / 13.4 / 12.5 %, each truncated to a whole number (1,000 / 180 / 168);
* caps: floor(n_b × λ) per block with λ = 87 / 25 / 15 % (commonground's strict rule, block level);
* utility models, every agent valuing every flat (normalised to sum 1 per agent where stated):
  - *location*: a preferred point uniform in the blocks' bounding box; u(flat in b) = 1/dist(point, b) +
    max(0, σ·N(0,1)) drawn per flat, σ = 10, normalised;
  - *location + ethnicity*: one preferred point per ethnic group, shared by its agents; σ ∈ {1, 5, 10};
  - *random*: every flat worth Uniform(0, 1), normalised per agent (the authors' ``Agent(type)`` constructor;
    their README lists it among the HDB models, ``randomUtility``);
  - *project*: a preferred point at a planning area's centre, drawn in proportion to the agent's group's
    population there; u = 1 for every flat of a block within r km (r = 5, 7.5, 10; 111 km per degree), else 0;
* per run: OPT (no caps), OPT_C (caps); PoD = OPT/OPT_C; the lottery baseline OPT / mean welfare of the HDB
  ballot over 50 random orders; UB1 = 1/min α (α = cap / block size over blocks and groups); UB2 =
  1/(β* Σ_l min_b α_lb · n_l/n), β* the largest over optimal unconstrained (fractional) assignments of the least
  ratio between a group's mean utility and the overall mean utility.

Computed with the public API only (``allocate(problem, policy, "optimal" | "optimal-unconstrained" | "ballot")``).
β*: for the continuous (location) models the optimal assignment is unique with probability 1, so β* is the ratio
at the optimum found; for the 0/1 project model, whose optima are many, it is the LP above solved by HiGHS on
(agent, block) variables (flats of a block are interchangeable there).

    python examples/benabbou_replication.py [--runs N] [--lotteries 50] [--out docs/benabbou_replication.md]

The paper ran 100 runs per model; the default here is fewer (``--runs``) so the example takes minutes.
"""

from __future__ import annotations

import argparse
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_array, vstack

from commonground.allocate import allocate
from commonground.model import BlockUtilities, Development, FlatUtilities, Households, Problem
from commonground.policy import Cap, CapLimit, Policy

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "benabbou_hdb"
GROUPS = ("Chinese", "Malay", "Indian/Others")
SHARES = (0.741, 0.134, 0.125)
CAPS = (0.87, 0.25, 0.15)
N_AGENTS = 1350
KM_PER_DEGREE = 111.0


def vectors(name: str) -> list[list[float]]:
    """The numbers of one of their XML-wrapped .txt files: one list per <vector>."""
    root = ET.parse(DATA / f"{name}.txt").getroot()
    return [[float(v.text) for v in vec.findall("value")] for vec in root.findall("vector")]


def setting():
    sizes = np.array([int(v[0]) for v in vectors("numApts")])
    locations = np.array(vectors("locations"))
    areas = np.array(vectors("planningArea"))
    flats = pd.DataFrame({"flat_id": [f"b{b}-{k}" for b in range(len(sizes)) for k in range(sizes[b])],
                          "block_id": np.repeat([f"b{b}" for b in range(len(sizes))], sizes),
                          "neighbourhood_id": "launch"})
    dev = Development.from_frame(flats, source="benabbou_hdb/numApts.txt")
    counts = [int(N_AGENTS * s) for s in SHARES]
    eth = np.repeat(np.array(GROUPS, dtype=object), counts)
    hh = Households(ids=np.array([f"a{i}" for i in range(len(eth))], dtype=object), attributes={"ethnicity": eth})
    policy = Policy(name="benabbou-2018", caps=(Cap("ethnicity", "block", tuple(
        CapLimit(g, frozenset({g}), lam) for g, lam in zip(GROUPS, CAPS, strict=True))),),
        source="Benabbou et al. 2018: floor(n_b × λ)")
    return dev, hh, policy, sizes, locations, areas, np.array(counts)


def location_utilities(rng, dev, sizes, locations, points, sigma):
    """u[i, f] = 1/dist(point_i, block of f) + max(0, σ N(0,1)), normalised per agent (flat-level)."""
    dist = np.sqrt(((points[:, None, :] - locations[None, :, :]) ** 2).sum(-1))
    u = (1.0 / dist)[:, np.repeat(np.arange(len(sizes)), sizes)]
    u = u + np.maximum(0.0, sigma * rng.standard_normal(u.shape))
    return u / u.sum(axis=1, keepdims=True)


def flat_problem(dev, hh, u):
    order = np.argsort(-u, axis=1, kind="stable")
    n, f = u.shape
    return Problem.build(dev, hh, FlatUtilities(indptr=np.arange(n + 1, dtype=np.int64) * f,
                                                flat=order.ravel().astype(np.int64),
                                                value=np.take_along_axis(u, order, 1).ravel()))


def beta_at(u_of_agent: np.ndarray, eth: np.ndarray) -> float:
    """Least ratio of a group's mean utility to the overall mean, for one assignment."""
    overall = u_of_agent.mean()
    return float(min(u_of_agent[eth == g].mean() for g in GROUPS) / overall)


def beta_star_blocks(approve: np.ndarray, sizes: np.ndarray, eth: np.ndarray, opt: float) -> float:
    """β* for 0/1 block utilities: max t s.t. welfare ≥ OPT, each group's mean ≥ t·OPT/n, matching (LP)."""
    n, B = approve.shape
    ii, bb = np.nonzero(approve)
    k = len(ii)
    c = np.zeros(k + 1)
    c[-1] = -1.0
    rows = [coo_array((np.ones(k), (ii, np.arange(k))), shape=(n, k + 1)),          # each agent ≤ 1
            coo_array((np.ones(k), (bb, np.arange(k))), shape=(B, k + 1)),          # each block ≤ its flats
            coo_array((-np.ones(k), (np.zeros(k, int), np.arange(k))), shape=(1, k + 1))]  # welfare ≥ OPT
    ub = [np.ones(n), sizes.astype(float), [-opt + 1e-9]]
    for g in GROUPS:
        m = eth[ii] == g
        n_g = int((eth == g).sum())
        data = np.r_[-np.ones(int(m.sum())) / n_g, opt / n]
        cols = np.r_[np.flatnonzero(m), k]
        rows.append(coo_array((data, (np.zeros(len(cols), int), cols)), shape=(1, k + 1)))
        ub.append([0.0])
    res = linprog(c, A_ub=vstack(rows).tocsr(), b_ub=np.concatenate([np.asarray(u, float) for u in ub]),
                  bounds=[(0, 1)] * k + [(None, None)], method="highs")
    return float(res.x[-1]) if res.status == 0 else float("nan")


def run_model(label, problem, policy, eth, counts, alpha, lotteries, beta_fn, time_limit=120.0):
    t = time.perf_counter()
    unc = allocate(problem, policy, "optimal-unconstrained", seed=0, time_limit=time_limit)
    con = allocate(problem, policy, "optimal", seed=0, time_limit=time_limit)
    lottery = np.mean([allocate(problem, policy, "ballot", seed=s).welfare() for s in range(lotteries)])
    opt = unc.welfare()
    beta = beta_fn(unc, opt)
    min_alpha_g = alpha.min(axis=0)
    return {"model": label, "OPT": opt, "PoD": opt / con.welfare(), "lottery_PoD": opt / lottery,
            "UB1": 1.0 / alpha.min(), "beta_star": beta,
            "UB2": 1.0 / (beta * float((min_alpha_g * counts / counts.sum()).sum())),
            "OPT_C_status": str(con.info.get("status", "")), "OPT_C_gap": con.info.get("gap", float("nan")),
            "seconds": time.perf_counter() - t}


class Rows(list):
    """Result rows, each printed as it comes (a long run shows its progress)."""

    def append(self, row: dict) -> None:
        super().append(row)
        print(", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="runs per model (the paper: 100)")
    ap.add_argument("--lotteries", type=int, default=50, help="random orders averaged for the lottery (paper: 50)")
    ap.add_argument("--models", default="project,location,location-ethnicity,random")
    ap.add_argument("--out", type=Path, default=None, help="write the table as Markdown here")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per optimisation (then best found)")
    args = ap.parse_args()
    dev, hh, policy, sizes, locations, areas, counts = setting()
    eth = hh.attributes["ethnicity"]
    caps = np.floor(sizes[:, None] * np.array(CAPS)[None, :] + 1e-9)
    alpha = caps / sizes[:, None]
    lo, hi = locations.min(axis=0), locations.max(axis=0)
    wanted = set(args.models.split(","))
    rows = Rows()
    for run in range(args.runs):
        rng = np.random.default_rng(2018 + run)

        def flat_beta(unc, opt):
            return beta_at(np.nan_to_num(unc.household_utility()), eth)

        if "project" in wanted:
            for radius in (5.0, 7.5, 10.0):
                points = np.empty((hh.n, 2))
                for gi, g in enumerate(GROUPS):
                    m = eth == g
                    w = areas[:, 2 + gi] / areas[:, 2 + gi].sum()
                    points[m] = areas[rng.choice(len(areas), int(m.sum()), p=w), :2]
                dist = KM_PER_DEGREE * np.sqrt(((points[:, None, :] - locations[None, :, :]) ** 2).sum(-1))
                approve = dist <= radius
                U = np.where(approve, 1.0, -np.inf)
                problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((hh.n, 1))))

                def block_beta(unc, opt, approve=approve):
                    return beta_star_blocks(approve, sizes, eth, opt)

                row = run_model(f"project, r={radius:g} km", problem, policy, eth, counts, alpha, args.lotteries,
                                block_beta, args.time_limit)
                row["approved_share"] = float(approve.mean())
                rows.append(row | {"run": run})
        if "location" in wanted:
            points = lo + rng.random((hh.n, 2)) * (hi - lo)
            u = location_utilities(rng, dev, sizes, locations, points, 10.0)
            rows.append(run_model("location, σ=10", flat_problem(dev, hh, u), policy, eth, counts, alpha,
                                  args.lotteries, flat_beta, args.time_limit) | {"run": run})
        if "location-ethnicity" in wanted:
            for sigma in (1.0, 5.0, 10.0):
                group_point = {g: lo + rng.random(2) * (hi - lo) for g in GROUPS}
                points = np.array([group_point[g] for g in eth])
                u = location_utilities(rng, dev, sizes, locations, points, sigma)
                rows.append(run_model(f"location+ethnicity, σ={sigma:g}", flat_problem(dev, hh, u), policy, eth,
                                      counts, alpha, args.lotteries, flat_beta, args.time_limit) | {"run": run})
        if "random" in wanted:
            u = rng.random((hh.n, dev.n_flats))
            u /= u.sum(axis=1, keepdims=True)
            rows.append(run_model("random", flat_problem(dev, hh, u), policy, eth, counts, alpha, args.lotteries,
                                  flat_beta, args.time_limit) | {"run": run})
    table = pd.DataFrame(rows).groupby("model", sort=False).mean(numeric_only=True).drop(columns=["run"])
    table["runs"] = args.runs
    print(table.round(4).to_string())
    if args.out is not None:
        t = table.round(4).reset_index()
        lines = ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
        lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in t.itertuples(index=False)]
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
