"""Charts of allocation results; each takes one or more labelled results so a comparison is the same chart."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from commonground.report.data import AllocationData
from commonground.report.figures import PALETTE, colours, hbars, label_bars, new_figure, style_axes
from commonground.report.outcomes import HOUSED, is_cap_category, outcome_table

#: Above this many units a composition chart shows the spread of shares instead of one bar per unit.
MAX_UNIT_BARS = 40
_WARM = ("#D55E00", "#CC79A7", "#E69F00", "#F0E442", "#b2182b", "#f4a582", "#8c510a", "#dfc27d")
_GREYS = ("#9aa5ad", "#c5ccd1", "#6b767d", "#e1e5e8")


def reason_colours(categories: list[str]) -> dict[str, str]:
    """Housed green, cap reasons warm, every other reason grey: caps stand out whatever the labels."""
    out, warm, grey = {}, iter(_WARM * 4), iter(_GREYS * 8)
    for c in categories:
        out[c] = "#009E73" if c == HOUSED else next(warm) if is_cap_category(c) else next(grey)
    return out


def outcome_figure(results: list[AllocationData], attribute: str) -> Figure | None:
    """Per group, the share of applicants housed and skipped for each reason (one panel per result)."""
    tabs = [outcome_table(r.households, attribute) for r in results]
    if all(t.empty for t in tabs):
        return None
    cats = list(dict.fromkeys(c for t in tabs for c in t.columns if c != "applicants"))
    cats = [HOUSED, *[c for c in cats if c != HOUSED]] if HOUSED in cats else cats
    col = reason_colours(cats)
    groups = sorted({g for t in tabs for g in t.index})
    n = len(results)
    fig = new_figure(8.5, 1.0 + 0.32 * len(groups) * n + 0.22 * len(cats))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for ax, r, t in zip(axes, results, tabs, strict=True):
        t = t.reindex(groups, fill_value=0)
        left = np.zeros(len(groups))
        share = t[[c for c in cats if c in t.columns]].div(t["applicants"].clip(lower=1), axis=0)
        y = np.arange(len(groups))
        for c in share.columns:
            hbars(ax, y, share[c].to_numpy(), left=left.copy(), color=col[c], height=0.7, edgecolor="white",
                  linewidth=0.4)
            left += share[c].to_numpy()
        ax.set_yticks(y, [f"{g} ({int(a):,})" for g, a in zip(groups, t["applicants"], strict=True)])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
        style_axes(ax)
        if n > 1:
            ax.set_title(r.label, fontsize=9, loc="left")
    axes[-1].set_xlabel(f"share of each {attribute} group's applicants (applicants in brackets)", fontsize=8)
    fig.legend(handles=[Patch(color=col[c], label=c) for c in cats], loc="outside lower center",
               ncols=min(2, len(cats)), fontsize=8, frameon=False)
    return fig


def composition_figure(results: list[AllocationData], attribute: str, level: str) -> Figure | None:
    """Share of each unit's dwellings held by each group after allocation, against the group's cap."""
    subs = [r.composition[(r.composition["level"] == level) & (r.composition["attribute"] == attribute)]
            for r in results]
    if all(s.empty for s in subs):
        return None
    groups = list(dict.fromkeys(v for s in subs for v in s["value"].astype(str)))
    units = list(dict.fromkeys(u for s in subs for u in s["unit_id"].astype(str)))
    caps = {g: _cap_of(subs, g) for g in groups}
    per_row = min(len(groups), 4)
    nrows = math.ceil(len(groups) / per_row)
    many = len(units) > MAX_UNIT_BARS
    height = (2.2 if many else 0.6 + 0.16 * len(units) * max(1, len(results) * 0.8)) * nrows + 0.6
    fig = new_figure(9.5, min(height, 30))
    axes = fig.subplots(nrows, per_row, squeeze=False, sharey=not many)
    group_col = colours(groups)
    result_col = colours([r.label for r in results])
    for i, g in enumerate(groups):
        ax = axes[i // per_row, i % per_row]
        style_axes(ax)
        for k, (r, s) in enumerate(zip(results, subs, strict=True)):
            m = s[s["value"].astype(str) == g]
            share = m.groupby(m["unit_id"].astype(str))["share"].sum().reindex(units, fill_value=0.0)
            colour = group_col[g] if len(results) == 1 else result_col[r.label]
            if many:
                ax.hist(share.to_numpy(), bins=20, range=(0, _upper(subs, g, caps[g])), histtype="step",
                        color=colour, linewidth=1.4, label=r.label)
            else:
                h = 0.8 / len(results)
                y = np.arange(len(units)) - 0.4 + h * (k + 0.5)
                hbars(ax, y, share.to_numpy(), height=h, color=colour)
        title = g
        if not math.isnan(caps[g]):
            ax.axvline(caps[g], color="#b2182b", linestyle="--", linewidth=1.2)
            title = f"{g} (cap {caps[g]:.0%})"
        ax.set_title(title, fontsize=9, loc="left", color=group_col[g] if len(results) == 1 else "black")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
        ax.set_xlim(0, _upper(subs, g, caps[g]))
        if not many:
            ax.set_yticks(np.arange(len(units)), units, fontsize=7 if len(units) > 20 else 8)
            ax.set_ylim(len(units) - 0.5, -0.5)
        if i % per_row == 0:
            ax.set_ylabel(f"{level}s" if many else level, fontsize=8)
        ax.set_xlabel("share of dwellings", fontsize=8)
    for j in range(len(groups), nrows * per_row):
        axes[j // per_row, j % per_row].set_visible(False)
    if len(results) > 1:
        fig.legend(handles=[Patch(color=result_col[r.label], label=r.label) for r in results],
                   loc="outside lower center", ncols=len(results), fontsize=8, frameon=False)
    return fig


def utilisation_figure(results: list[AllocationData], attribute: str, level: str) -> Figure | None:
    """Each cap limit's count against the most it allows, per unit (100% = the cap binds)."""
    subs = [r.caps[(r.caps["attribute"] == attribute) & (r.caps["level"] == level)] for r in results if r.has_caps]
    labels = [r.label for r in results if r.has_caps]
    if not subs or all(s.empty for s in subs):
        return None
    limits = list(dict.fromkeys(x for s in subs for x in s["limit"].astype(str)))
    units = list(dict.fromkeys(u for s in subs for u in s["unit_id"].astype(str)))
    if len(units) > MAX_UNIT_BARS:
        return None
    fig = new_figure(9.5, 0.9 + 0.16 * len(units) * max(1, len(subs) * 0.8))
    axes = fig.subplots(1, len(limits), squeeze=False, sharey=True)[0]
    col = colours(labels)
    for ax, lim in zip(axes, limits, strict=True):
        style_axes(ax)
        for k, (lab, s) in enumerate(zip(labels, subs, strict=True)):
            u = s[s["limit"].astype(str) == lim]
            u = u.set_index(u["unit_id"].astype(str))
            util = u["utilisation"].reindex(units)
            h = 0.8 / len(subs)
            y = np.arange(len(units)) - 0.4 + h * (k + 0.5)
            binding = u["binding"].reindex(units, fill_value=False).to_numpy(dtype=bool)
            hbars(ax, y, util.to_numpy(), height=h,
                  color=np.where(binding, "#b2182b", col[lab] if len(subs) > 1 else PALETTE[0]).tolist())
        ax.axvline(1.0, color="#b2182b", linestyle="--", linewidth=1.0)
        share = subs[0].loc[subs[0]["limit"].astype(str) == lim, "share_limit"]
        ax.set_title(f"{lim} (cap {share.iloc[0]:.0%})" if len(share) else lim, fontsize=9, loc="left")
        top = max([float(s_["utilisation"].max()) for s_ in subs if len(s_)] + [1.0])
        ax.set_xlim(0, top * 1.06)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
        ax.set_yticks(np.arange(len(units)), units, fontsize=7 if len(units) > 20 else 8)
        ax.set_ylim(len(units) - 0.5, -0.5)
        ax.set_xlabel("count / most allowed", fontsize=8)
    handles = [Patch(color="#b2182b", label="cap reached")]
    if len(subs) > 1:
        handles = [Patch(color=col[lab], label=lab) for lab in labels] + handles
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    return fig


def group_bars_figure(results: list[AllocationData], attribute: str, column: str, xlabel: str, *,
                      percent: bool = False) -> Figure | None:
    """One bar per group (and per result) of a group-outcome column, e.g. share housed or mean utility."""
    frames = [r.groups[r.groups["attribute"].astype(str) == attribute].set_index("value")[column] for r in results]
    if all(f.empty for f in frames):
        return None
    groups = list(dict.fromkeys(str(g) for f in frames for g in f.index))
    fig = new_figure(7.5, 0.9 + 0.28 * len(groups) * max(1, len(results) * 0.7))
    ax = fig.subplots()
    style_axes(ax)
    col = colours([r.label for r in results])
    h = 0.8 / len(results)
    for k, (r, f) in enumerate(zip(results, frames, strict=True)):
        f.index = f.index.astype(str)
        vals = pd.to_numeric(f.reindex(groups), errors="coerce").to_numpy(dtype=float)
        y = np.arange(len(groups)) - 0.4 + h * (k + 0.5)
        hbars(ax, y, vals, height=h, color=col[r.label])
        label_bars(ax, y, vals, [("" if np.isnan(v) else f"{v:.1%}" if percent else f"{v:,.2f}") for v in vals])
    ax.set_yticks(np.arange(len(groups)), groups, fontsize=8)
    ax.set_ylim(len(groups) - 0.5, -0.5)
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.margins(x=0.12)
    ax.set_xlabel(xlabel, fontsize=8)
    if len(results) > 1:
        fig.legend(handles=[Patch(color=col[r.label], label=r.label) for r in results], loc="outside lower center",
                   ncols=len(results), fontsize=8, frameon=False)
    return fig


def _cap_of(subs: list[pd.DataFrame], group: str) -> float:
    for s in subs:
        c = pd.to_numeric(s.loc[s["value"].astype(str) == group, "cap"], errors="coerce").dropna()
        if len(c):
            return float(c.iloc[0])
    return math.nan


def _upper(subs: list[pd.DataFrame], group: str, cap: float) -> float:
    """Right end of a group's share axis: its largest share or its cap, with room to spare."""
    shares = [float(pd.to_numeric(s.loc[s["value"].astype(str) == group, "share"]).max()) for s in subs if len(s)]
    top = max([x for x in shares if not math.isnan(x)] + [0.0 if math.isnan(cap) else cap, 0.05])
    return min(1.0, top * 1.12) if top <= 1 else top * 1.05
