"""The mechanism frontier: every mechanism on the same instances and seeds, and which dominate which.

For each (instance, seed, mechanism): households housed and turned away (overall and per group of the first capped
attribute), welfare, its share of the caps-respecting welfare optimum on that instance, justified envy, cap
breaches, integration after allocation (multigroup dissimilarity at block and neighbourhood level) and run time.

*Justified envy* here is the part no cap can excuse: household h envies g if h prefers g's flat to its own (or
to nothing), h is ahead of g in the ballot queue (same seed, same queue for every mechanism), and h and g fall
under the same limit of every cap, so giving h g's flat instead would keep every cap. The figure is the number
of households with such envy. Mechanisms without a queue of their own (the optimum) are judged against the
ballot queue of the same seed.

*Dominance*: mechanism A dominates B if, averaged over the instances and seeds, A houses at least as many, has
at least the welfare, no more envy, no more cap breaches and no more segregation at either level, and is strictly
better on one of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from commonground.allocate import allocate
from commonground.allocate.ballot import _queue
from commonground.allocate.result import Allocation
from commonground.measure import measure_allocation
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.state import CapState

#: Mechanisms compared by default: every caps-respecting one, the soft-bounds DA and the uncapped baselines.
DEFAULT_MECHANISMS = ("ballot", "da-ceilings", "da-soft-bounds", "da-reserves", "priority-optimal", "optimal",
                      "ballot-unconstrained", "optimal-unconstrained")
#: Columns where larger is better / smaller is better, for dominance.
HIGHER = ("housed", "welfare")
LOWER = ("justified_envy", "cap_breaches", "block_dissimilarity", "neighbourhood_dissimilarity")


def justified_envy(result: Allocation, queue_rank: np.ndarray, caps: CapState, *, chunk: int = 2_000_000) -> int:
    """Households with justified envy (see the module docstring) towards someone housed behind them."""
    problem = result.problem
    flat_of = result.flat_of
    n = problem.n_households
    own = np.full(n, -np.inf)
    housed = np.flatnonzero(flat_of >= 0)
    own[housed] = problem.utility(housed, flat_of[housed])
    key = np.unique(caps.hh_limit.T, axis=0, return_inverse=True)[1].ravel() if caps.n_caps else np.zeros(n, int)
    envious = np.zeros(n, bool)
    for k in np.unique(key):
        members = np.flatnonzero(key == k)
        targets = members[flat_of[members] >= 0]
        if len(targets) == 0:
            continue
        step = max(1, chunk // len(targets))
        for a in range(0, len(members), step):
            h = members[a:a + step]
            u = problem.utility(np.repeat(h, len(targets)), np.tile(flat_of[targets], len(h))).reshape(len(h), -1)
            behind = queue_rank[targets][None, :] > queue_rank[h][:, None]
            better = u > np.maximum(own[h], 0.0)[:, None]  # worth ≤ 0 is not acceptable: no envy for it
            envious[h] |= (better & behind).any(axis=1)
    return int(envious.sum())


def cap_breaches(result: Allocation) -> int:
    """(unit, limit) pairs over their maximum after allocation that were not already over it before."""
    after = result.cap_utilisation()
    before = Allocation(problem=result.problem, policy=result.policy, mechanism="none", seed=None,
                        flat_of=np.full(result.problem.n_households, -1), reason=result.reason,
                        queue_position=result.queue_position).cap_utilisation()
    over = after["count"].to_numpy() > after["max_count"].to_numpy()
    return int((over & (after["count"].to_numpy() > before["count"].to_numpy())).sum())


def _dissimilarity(result: Allocation, attribute: str, level: str) -> float:
    """Multigroup D after allocation at ``level``; NaN where it says nothing: fewer than two units at that level
    (one neighbourhood is trivially "even", D = 0), or one group."""
    dev = result.problem.development
    if (dev.n_blocks if level == "block" else dev.n_neighbourhoods) < 2:
        return float("nan")
    try:
        table = measure_allocation(result, attribute, level, ["multi_dissimilarity"])
    except Exception:  # one unit or one group: the index is undefined
        return float("nan")
    return float(table["multi_dissimilarity"].iloc[0])


def evaluate(result: Allocation, queue_rank: np.ndarray, caps: CapState, attribute: str | None) -> dict:
    """One row of the frontier table for one allocation."""
    hh = result.problem.households
    row = {"housed": int((result.flat_of >= 0).sum()),
           "turned_away": int((result.flat_of < 0).sum()),
           "welfare": result.welfare(),
           "justified_envy": justified_envy(result, queue_rank, caps),
           "cap_breaches": cap_breaches(result)}
    if attribute is not None:
        values = hh.attributes[attribute].astype(str)
        for g in sorted(set(values)):
            m = values == g
            row[f"housed[{g}]"] = int((m & (result.flat_of >= 0)).sum())
            row[f"turned_away[{g}]"] = int((m & (result.flat_of < 0)).sum())
        row["block_dissimilarity"] = _dissimilarity(result, attribute, "block")
        row["neighbourhood_dissimilarity"] = _dissimilarity(result, attribute, "neighbourhood")
    return row


def frontier(instances: Iterable[tuple[str, Problem]], policy: Policy, *, seeds: Sequence[int] = (0,),
             mechanisms: Sequence[str] = DEFAULT_MECHANISMS, time_limit: float = 30.0) -> pd.DataFrame:
    """Run every mechanism on every instance and seed; one row per (instance, seed, mechanism)."""
    attribute = policy.caps[0].attribute if policy.caps else None
    rows = []
    for label, problem in instances:
        caps = CapState.build(policy, problem.development, problem.households)
        for seed in seeds:
            queue = _queue(problem, policy, seed)
            rank = np.empty(problem.n_households, np.int64)
            rank[queue] = np.arange(problem.n_households)
            optimum = None
            for name in mechanisms:
                options = {"time_limit": time_limit} if name.startswith("optimal") or name == "priority-optimal" \
                    else {}
                t = time.perf_counter()
                res = allocate(problem, policy, name, seed=seed, **options)
                seconds = time.perf_counter() - t
                row = {"instance": label, "seed": seed, "mechanism": name, "seconds": round(seconds, 3),
                       **evaluate(res, rank, caps, attribute)}
                if name == "optimal":
                    optimum = row["welfare"]
                rows.append(row)
            # Distance from the optimum: each mechanism's welfare as a share of the caps-respecting optimum.
            if optimum is not None:
                for r in rows[-len(mechanisms):]:
                    r["share_of_optimum"] = r["welfare"] / optimum if optimum else float("nan")
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of every figure per mechanism, in the order first seen."""
    order = list(dict.fromkeys(table["mechanism"]))
    numeric = table.drop(columns=["instance", "seed"]).groupby("mechanism").mean(numeric_only=True)
    return numeric.reindex(order)


def dominance(summary: pd.DataFrame) -> pd.DataFrame:
    """Pairs (A, B) where A dominates B on the mean figures (see the module docstring)."""
    rows = []
    hi = [c for c in HIGHER if c in summary.columns]
    lo = [c for c in LOWER if c in summary.columns]
    for a in summary.index:
        for b in summary.index:
            if a == b:
                continue
            x, y = summary.loc[a], summary.loc[b]
            ge = all(_ge(x[c], y[c]) for c in hi) and all(_ge(-x[c], -y[c]) for c in lo)
            gt = any(_gt(x[c], y[c]) for c in hi) or any(_gt(-x[c], -y[c]) for c in lo)
            if ge and gt:
                better = [c for c in hi if _gt(x[c], y[c])] + [c for c in lo if _gt(-x[c], -y[c])]
                rows.append({"dominates": a, "dominated": b, "strictly_better_on": ", ".join(better)})
    return pd.DataFrame(rows, columns=["dominates", "dominated", "strictly_better_on"])


def write_frontier(out, table: pd.DataFrame, *, scenario: str, policy: str, mechanisms: Sequence[str],
                   force: bool = False, seed: int | None = 0) -> None:
    """The frontier output folder, whole or not at all: frontier.csv (one row per instance, seed and mechanism),
    summary.csv (means), dominance.csv and frontier.md (a readable report), then manifest.json."""
    from commonground.io import schema
    from commonground.io.atomic import output_folder

    summary = summarise(table)
    dom = dominance(summary)
    with output_folder(out, schema.FRONTIER, force=force, seed=seed,
                       extra={"scenario": scenario, "policy": policy, "mechanisms": list(mechanisms)}) as w:
        w.table(schema.FRONTIER_TABLE, table)
        w.table(schema.FRONTIER_SUMMARY, summary.reset_index())
        w.table(schema.FRONTIER_DOMINANCE, dom)
        (w.path / schema.FRONTIER_REPORT).write_text(markdown_report(scenario, policy, table, summary, dom),
                                                     encoding="utf-8")
        w.rows[schema.FRONTIER_REPORT] = None


def markdown_report(scenario: str, policy: str, table: pd.DataFrame, summary: pd.DataFrame,
                    dom: pd.DataFrame) -> str:
    """frontier.md: the means per mechanism and the dominance pairs."""
    cols = list(summary.columns)
    lines = [f"# Mechanism frontier: scenario {scenario}, policy {policy}", "",
             f"{table['instance'].nunique()} instances × {table['seed'].nunique()} seeds; means per mechanism. "
             "Definitions: src/commonground/frontier.py and docs/mechanisms.md.", "",
             "| mechanism | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for m, r in summary.iterrows():
        lines.append(f"| {m} | " + " | ".join("n/a" if pd.isna(r[c]) else f"{r[c]:.4g}" for c in cols) + " |")
    undefined = [c for c in cols if c.endswith("_dissimilarity") and table[c].isna().all()]
    if undefined:
        lines += ["", f"n/a: {', '.join(undefined)} is undefined on every instance here (fewer than two units at "
                  "that level, e.g. one neighbourhood per project), so it plays no part in dominance."]
    lines += ["", "## Dominance", ""]
    if len(dom):
        lines += [f"- **{r['dominates']}** dominates {r['dominated']} (strictly better on {r['strictly_better_on']})"
                  for _, r in dom.iterrows()]
    else:
        lines.append("No mechanism dominates another on every figure.")
    return "\n".join(lines) + "\n"


def _ge(a: float, b: float) -> bool:
    if np.isnan(a) and np.isnan(b):
        return True
    return bool(a >= b - 1e-9 * max(1.0, abs(b)))


def _gt(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return False
    return bool(a > b + 1e-9 * max(1.0, abs(b)))
