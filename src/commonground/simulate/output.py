"""A simulation's output folder, written atomically (a temporary folder beside it, moved in when complete).

* ``results.parquet`` — tidy: scenario, policy, replicate, year, metric, value (one row per run, year and
  metric; year 0 is the initial state);
* ``summary.csv`` — per scenario, policy, year and metric: n, mean, sd, ci95_low, ci95_high (normal
  interval of the mean), q05, q25, q50, q75, q95 (bands across replicates);
* ``indices.png``, ``market.png`` — medians over time with 5–95 % bands, one line per scenario × policy
  (colour = policy, line style = scenario, the HTML report's colours);
* ``simulation.json`` — what was run (the simulation, its tasks' seeds, scheduler, versions, timings);
* ``manifest.json`` — the output's manifest (:mod:`commonground.io.schema`), written last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commonground.io import schema
from commonground.io.atomic import output_folder

INDEX_PLOTS = ("block.theil_h", "neighbourhood.theil_h", "block.dissimilarity", "neighbourhood.dissimilarity")
SCHELLING_PLOTS = ("similar_share", "pct_happy", "moves")


def write_outputs(out: str | Path, results: pd.DataFrame, summary: pd.DataFrame, metadata: dict[str, Any],
                  *, plots: bool = True, force: bool = False, inputs: dict[str, Any] | None = None,
                  on_stage: Callable[[str], None] | None = None) -> Path:
    """Write the simulation's output folder (swapped in whole, ``manifest.json`` last); ``on_stage`` is told
    what is being written (a progress display's label)."""
    with output_folder(out, schema.SIMULATION, force=force, inputs=inputs) as w:
        tmp = w.path
        if on_stage:
            on_stage("writing results.parquet and summary.csv")
        results.to_parquet(tmp / schema.SIM_RESULTS.parquet, index=False)
        w.rows[schema.SIM_RESULTS.parquet] = len(results)
        w.table(schema.SIM_SUMMARY, summary)
        files = [schema.SIM_RESULTS.parquet, schema.SIM_SUMMARY.csv]
        if plots:
            if on_stage:
                on_stage("drawing indices.png and market.png")
            files += plot_summary(summary, tmp)
        files.append(schema.SIM_JSON)
        w.json(schema.SIM_JSON, {**metadata, "files": files})
    return Path(out)


def headline_metrics(metrics: Sequence[str]) -> tuple[list[str], list[str]]:
    """(index metrics, market / cost metrics) to plot, among those present."""
    have = set(metrics)
    if "similar_share" in have:
        return [m for m in SCHELLING_PLOTS if m in have], []
    idx = [m for m in INDEX_PLOTS if m in have]
    groups = sorted({m.split(".", 2)[2] for m in have if m.startswith("block.isolation.")})
    idx += [f"block.isolation.{g}" for g in groups[:4]]
    market = ["households", "looking", "left_unhoused", "caps.over_limit.block", "sellers_refused_by_cap",
              "refused_sellers.months_to_sell", "other_sellers.months_to_sell", "refused_sellers.discount",
              "other_sellers.discount"]
    market = [m for m in market if m in have]
    market += sorted(m for m in have if m.startswith("months_to_sell."))[:6]
    market += sorted(m for m in have if m.startswith("discount."))[:6]
    return idx, market


def plot_summary(summary: pd.DataFrame, folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx, market = headline_metrics(summary["metric"].unique())
    written = []
    for name, metrics in zip(schema.SIM_PLOTS, (idx, market), strict=True):
        if not metrics:
            continue
        ncol = 3 if len(metrics) > 4 else 2
        nrow = int(np.ceil(len(metrics) / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.4 * nrow), squeeze=False)
        combos = summary[["scenario", "policy"]].drop_duplicates().itertuples(index=False)
        combos = [tuple(c) for c in combos]
        scen = list(dict.fromkeys(s for s, _ in combos))
        pols = list(dict.fromkeys(p for _, p in combos))
        from commonground.report.figures import PALETTE  # the HTML report's colours: colour = policy there too

        styles = ["-", "--", ":", "-."]
        for ax, metric in zip(axes.ravel(), metrics, strict=False):
            for s, p in combos:
                d = summary[(summary["metric"] == metric) & (summary["scenario"] == s) & (summary["policy"] == p)]
                d = d.sort_values("year")
                if d.empty:
                    continue
                col = PALETTE[pols.index(p) % len(PALETTE)]
                ax.plot(d["year"], d["q50"], styles[scen.index(s) % 4], color=col, label=f"{s} · {p}")
                ax.fill_between(d["year"], d["q05"], d["q95"], color=col, alpha=0.12, linewidth=0)
            ax.set_title(metric, fontsize=10)
            ax.set_xlabel("year")
            ax.grid(alpha=0.3)
        for ax in axes.ravel()[len(metrics):]:
            ax.axis("off")
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(4, max(1, len(labels))), fontsize=8,
                   frameon=False)
        fig.suptitle("median across replicates, band: 5–95 % of replicates (colour = policy, line style = "
                     "scenario)", fontsize=10)
        fig.tight_layout(rect=(0, 0.06, 1, 0.97))
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        written.append(name)
    return written
