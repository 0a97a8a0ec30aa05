"""The verdict panel of a simulation report: where each policy ended, against the baseline policy, with bands
across replicates, and what it cost (sellers refused by a cap, months to sell, discounts, households left
unhoused) — the costs next to the result instead of among "the other metrics".

The baseline is the policy named like "no caps"/"none" in each scenario (else the first policy written). The
change against it is computed per replicate and summarised as its median and 5–95 % band, which with common
random numbers (the simulator's default) compares like with like.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from commonground.report.page import Section
from commonground.report.tables import html_table, paragraph

#: Index metrics the verdict states (when present), in order.
VERDICT_METRICS = ("block.dissimilarity", "block.theil_h", "neighbourhood.dissimilarity", "neighbourhood.theil_h")
#: Cost metrics (summed over the years for counts; final-year medians for the others).
COUNT_COSTS = ("sellers_refused_by_cap", "launch.skipped_by_cap", "buybacks")
LEVEL_COSTS = ("refused_sellers.months_to_sell", "other_sellers.months_to_sell", "refused_sellers.discount",
               "other_sellers.discount", "left_unhoused")
BAND = (0.05, 0.95)
BASELINE_NAMES = ("no caps", "none", "no-caps", "baseline", "uncapped")


def baseline_policy(policies: list[str]) -> str:
    for p in policies:
        if p.lower() in BASELINE_NAMES or "no cap" in p.lower():
            return p
    return policies[0]


def _band(values: pd.Series) -> tuple[float, float, float]:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return (math.nan,) * 3
    lo, med, hi = np.quantile(v, [BAND[0], 0.5, BAND[1]])
    return float(med), float(lo), float(hi)


def _cell(t: tuple[float, float, float], digits: int = 3, signed: bool = False) -> str:
    med, lo, hi = t
    if math.isnan(med):
        return "–"
    f = f"{{:{'+' if signed else ''}.{digits}f}}"
    return f.format(med) if lo == hi else f"{f.format(med)} [{f.format(lo)}, {f.format(hi)}]"


def verdict_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, policy and verdict metric: start (year 0 median), end (final-year median [band]) and, for
    policies other than the baseline, the final-year difference from the baseline per replicate [band]."""
    rows = []
    metrics = [m for m in VERDICT_METRICS if m in set(results["metric"])]
    for sc, d in results[results["metric"].isin(metrics)].groupby("scenario", sort=False):
        policies = list(dict.fromkeys(d["policy"]))
        base = baseline_policy(policies)
        last = d["year"].max()
        for m in metrics:
            dm = d[d["metric"] == m]
            end = dm[dm["year"] == last].pivot_table(index="replicate", columns="policy", values="value")
            start = dm[dm["year"] == dm["year"].min()]
            for pol in policies:
                row = {"scenario": sc, "policy": pol, "metric": m,
                       "start": _band(start.loc[start["policy"] == pol, "value"])[0],
                       "end": _cell(_band(end[pol]) if pol in end else (math.nan,) * 3),
                       "end_median": _band(end[pol])[0] if pol in end else math.nan}
                if pol != base and pol in end and base in end:
                    row[f"vs {base}"] = _cell(_band(end[pol] - end[base]), signed=True)
                    row["_diff"] = _band(end[pol] - end[base])
                rows.append(row)
    return pd.DataFrame(rows)


def cost_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and policy: counts summed over the years and final-year levels, each median [band] across
    replicates. Empty when the results carry none of the cost metrics."""
    have = set(results["metric"])
    counts = [m for m in COUNT_COSTS if m in have]
    levels = [m for m in LEVEL_COSTS if m in have]
    if not counts and not levels:
        return pd.DataFrame()
    rows = []
    for (sc, pol), d in results.groupby(["scenario", "policy"], sort=False):
        row: dict[str, object] = {"scenario": sc, "policy": pol}
        for m in counts:
            per_rep = d[d["metric"] == m].groupby("replicate")["value"].sum()
            row[f"{m} (all years)"] = _cell(_band(per_rep), digits=0)
        last = d[d["year"] == d["year"].max()]
        for m in levels:
            row[f"{m} (final year)"] = _cell(_band(last.loc[last["metric"] == m, "value"]), digits=2)
        rows.append(row)
    return pd.DataFrame(rows)


#: The parts of a year's change (``change.<part>.<index>`` metrics written by the town model), with labels.
CHANGE_PARTS = {"new_flats": "new flats (launch allocation)", "departures": "departures (sellers leaving town)",
                "moves_out": "moves out (movers' homes sold)", "moves_in": "moves in (buyers: arrivals, new "
                                                                            "households, movers)"}


def decomposition_table(results: pd.DataFrame, index: str) -> pd.DataFrame:
    """Per scenario and policy: each part's change in ``index`` summed over the years (median across replicates)
    and the total; empty when the results have no ``change.*`` metrics."""
    names = {f"change.{p}.{index}": p for p in CHANGE_PARTS}
    d = results[results["metric"].isin(names)]
    if d.empty:
        return pd.DataFrame()
    per_rep = d.groupby(["scenario", "policy", "replicate", "metric"], sort=False)["value"].sum().unstack("metric")
    per_rep = per_rep.rename(columns=names)
    per_rep["total"] = per_rep[[p for p in CHANGE_PARTS if p in per_rep.columns]].sum(axis=1)
    out = per_rep.groupby(level=["scenario", "policy"], sort=False).median()
    return out.rename(columns={p: CHANGE_PARTS[p] for p in CHANGE_PARTS}).reset_index()


def decomposition_sentence(table: pd.DataFrame, index: str) -> str | None:
    """Which part made each policy end away from the baseline (the largest difference in a part)."""
    parts = [c for c in table.columns if c in CHANGE_PARTS.values()]
    out = []
    for sc, d in table.groupby("scenario", sort=False):
        base = baseline_policy(list(dict.fromkeys(d["policy"])))
        b = d[d["policy"] == base]
        if b.empty:
            continue
        for _, r in d[d["policy"] != base].iterrows():
            diff = {p: float(r[p]) - float(b[p].iloc[0]) for p in parts}
            top = max(diff, key=lambda k: abs(diff[k]))
            out.append(f"{sc} / {r['policy']}: {float(r['total']) - float(b['total'].iloc[0]):+.4f} against "
                       f"{base}, mostly from {top} ({diff[top]:+.4f})")
    if not out:
        return None
    return (f"Where the difference in {index} comes from (change summed over the years, median across replicates): "
            + "; ".join(out) + ".")


def simulation_verdict_section(results: pd.DataFrame) -> Section:
    sec = Section("Verdict")
    t = verdict_table(results)
    if t.empty:
        return sec
    sentences = []
    for sc, d in t.groupby("scenario", sort=False):
        base = baseline_policy(list(dict.fromkeys(d["policy"])))
        for m in dict.fromkeys(d["metric"]):
            dm = d[d["metric"] == m]
            b = dm[dm["policy"] == base].iloc[0]
            parts = [f"{escape(base)} {b['start']:.3f} → <b class=\"fig\" data-key=\"{escape(f'{sc}:{base}:{m}')}\">"
                     f"{b['end_median']:.3f}</b>"]
            for _, r in dm[dm["policy"] != base].iterrows():
                diff = r.get("_diff", (math.nan,) * 3)
                word = ""
                if isinstance(diff, tuple) and not math.isnan(diff[0]):
                    word = (" (lower than the baseline in at least 95 % of replicate pairs)" if diff[2] < 0 else
                            " (higher than the baseline in at least 95 % of replicate pairs)" if diff[1] > 0 else
                            " (the 5–95 % band of the difference includes 0)")
                pol = str(r["policy"])
                parts.append(f"{escape(pol)} {r['start']:.3f} → <b class=\"fig\" data-key=\""
                             f"{escape(f'{sc}:{pol}:{m}')}\">{r['end_median']:.3f}</b>{word}")
            sentences.append(f"<strong>{escape(str(sc))}</strong>, {escape(m)} (start → final-year median): "
                             + "; ".join(parts) + ".")
            break  # one index per scenario in the sentences; the table has the rest
    sec.add('<div class="verdict"><ul>' + "".join(f"<li>{s}</li>" for s in sentences) + "</ul></div>")
    shown = t.drop(columns=[c for c in ("_diff", "end_median") if c in t.columns])
    sec.add(html_table(shown, caption="Segregation at the start and in the final year (median [5%, 95%] across "
                                      "replicates); the difference from the baseline is per replicate pair",
                       formats={"start": lambda v: f"{float(v):.3f}"}))
    for index in ("block.theil_h", "block.dissimilarity"):
        dec = decomposition_table(results, index)
        if dec.empty:
            continue
        sentence = decomposition_sentence(dec, index)
        if sentence:
            sec.add(paragraph(sentence))
        sec.add(html_table(dec, caption=f"Change in {index} over the years by where it came from (parts add up to "
                                        "the total; median across replicates)",
                           formats={c: (lambda v: f"{float(v):+.4f}") for c in dec.columns
                                    if c not in ("scenario", "policy")}))
        break
    costs = cost_table(results)
    if not costs.empty:
        sec.add(html_table(costs, caption="What the policies cost: median [5%, 95%] across replicates"))
        sec.add(paragraph("Refused sellers and other sellers are not like for like: a home that stays on the "
                          "market longer collects more refusals, so refused sellers' longer time to sell and larger "
                          "discounts are partly selection, not only the cap's effect.", "note"))
    return sec
