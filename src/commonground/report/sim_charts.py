"""Simulation charts, drawn in one place: the HTML report's trajectory figures and ``simulate``'s own PNG files.

Both show, per metric, the median across replicates by year with the 5–95 % band across replicates (one colour
per policy, one line style per scenario, the report's palette), computed from the tidy ``results`` table by
:func:`bands`. The report embeds the figures as SVG (:mod:`commonground.report.simulation`); ``simulate --out``
writes the headline ones as ``indices.png`` and ``market.png`` (:func:`write_png_charts`, called by
:mod:`commonground.simulate.output`). Matplotlib's object API only (no pyplot state), so it is safe in threads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from commonground.io import schema
from commonground.report.figures import colours, new_figure, style_axes

#: The band drawn around each median line: 5th to 95th percentile across replicates.
BAND = (0.05, 0.95)
LINESTYLES: tuple[Literal["-", "--", ":", "-."], ...] = ("-", "--", ":", "-.")
#: The headline metrics of ``indices.png`` (those present, then up to four block isolation indices).
INDEX_PLOTS = ("block.theil_h", "neighbourhood.theil_h", "block.dissimilarity", "neighbourhood.dissimilarity")
SCHELLING_PLOTS = ("similar_share", "pct_happy", "moves")
#: PNG resolution of the plot files.
PNG_DPI = 110


def bands(df: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, policy, metric and year: replicates, median and the band's low and high quantiles."""
    g = df.dropna(subset=["value"]).groupby(["scenario", "policy", "metric", "year"], sort=False)["value"]
    out = g.quantile([BAND[0], 0.5, BAND[1]]).unstack()
    out.columns = ["low", "median", "high"]
    out.insert(0, "replicates", g.size())
    # Scenarios, policies and metrics keep the order the simulation wrote them in; years ascend.
    return out.reset_index().sort_values("year", kind="stable").reset_index(drop=True)


def metric_families(metrics: list[str]) -> dict[str, list[str]]:
    """Metrics drawn together: ``block.dissimilarity.Malay``, ``block.dissimilarity.Chinese`` ... share the family
    ``block.dissimilarity``; names without a dot share the family "" (in order of first appearance)."""
    prefix = {m: (m.rsplit(".", 1)[0] if "." in m else "") for m in metrics}
    counts = pd.Series(list(prefix.values())).value_counts()
    fams: dict[str, list[str]] = {}
    for m in metrics:
        key = prefix[m] if (prefix[m] == "" or counts[prefix[m]] > 1) else m
        fams.setdefault(key, []).append(m)
    return fams


def trajectory_figure(b: pd.DataFrame, members: list[str], family: str) -> Figure:
    """Median over replicates per year with the 5-95% band: one panel per metric of the family, one colour per
    policy and one line style per scenario (with more than four scenarios, one panel per scenario and metric)."""
    scenarios = list(dict.fromkeys(b["scenario"]))
    policies = list(dict.fromkeys(b["policy"]))
    col = colours(policies)
    split = len(scenarios) > len(LINESTYLES)
    panels = [((sc,), m) for sc in scenarios for m in members] if split else [(tuple(scenarios), m) for m in members]
    ncols = min(4, len(members) if split else len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = new_figure(2.6 * ncols + 2.2, 2.1 * nrows + 0.5)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=bool(family))
    for i, (scs, m) in enumerate(panels):
        ax = axes[i // ncols, i % ncols]
        style_axes(ax)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        sub = b[b["metric"] == m]
        for k, sc in enumerate(scs):
            for pol in policies:
                s = sub[(sub["scenario"] == sc) & (sub["policy"] == pol)]
                if s.empty:
                    continue
                ax.fill_between(s["year"], s["low"], s["high"], color=col[pol], alpha=0.18, linewidth=0)
                ax.plot(s["year"], s["median"], color=col[pol], linewidth=1.5,
                        linestyle="-" if split else LINESTYLES[k])
        name = m[len(family) + 1:] if family and m.startswith(family + ".") else m
        ax.set_title(f"{scs[0]}: {name}" if split else name, fontsize=8, loc="left")
        if i + ncols >= len(panels):
            ax.set_xlabel("year", fontsize=8)
            ax.tick_params(labelbottom=True)
    for j in range(len(panels), nrows * ncols):
        axes[j // ncols, j % ncols].set_visible(False)
    handles = [Line2D([], [], color=col[p], linewidth=2, label=p) for p in policies]
    if not split and len(scenarios) > 1:
        handles += [Line2D([], [], color="#333333", linestyle=LINESTYLES[k], label=sc)
                    for k, sc in enumerate(scenarios)]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False,
               title="policy" + (" / scenario" if not split and len(scenarios) > 1 else ""), title_fontsize=8)
    return fig


def headline_metrics(metrics: Sequence[str]) -> tuple[list[str], list[str]]:
    """(index metrics, market / cost metrics) of the plot files, among those present."""
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


def write_png_charts(results: pd.DataFrame, folder: Path) -> list[str]:
    """Draw ``indices.png`` and ``market.png`` (:data:`commonground.io.schema.SIM_PLOTS`) into ``folder`` from the
    tidy results, with :func:`trajectory_figure` as in the report; returns the names written (a file whose
    metrics are all absent is not written)."""
    b = bands(results)
    written = []
    for name, metrics in zip(schema.SIM_PLOTS, headline_metrics(results["metric"].unique()), strict=True):
        if not metrics:
            continue
        fig = trajectory_figure(b, metrics, "")
        fig.suptitle(f"median across replicates, band: {BAND[0]:.0%}–{BAND[1]:.0%} of replicates", fontsize=9)
        fig.savefig(folder / name, dpi=PNG_DPI)
        written.append(name)
    return written
