"""Price-of-diversity reports, from the folder ``commonground price-of-diversity --out DIR`` writes:

``price_of_diversity.json`` (summary: optimal and ballot welfare with and without caps, their ratios),
``ballots.csv`` (one row per ballot seed), ``groups.csv`` (per mechanism and group: share housed, welfare)
and ``fairness.csv`` (per group: envy of other groups under the optimal allocation).
Price of diversity = optimal welfare without caps / with caps (Benabbou et al., AAMAS 2018).
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from commonground.io import schema
from commonground.io.jsonable import read_json_object
from commonground.io.schema import read_manifest
from commonground.io.tables import read_table
from commonground.report.figures import colours, figure_block, hbars, label_bars, new_figure, style_axes
from commonground.report.page import Section
from commonground.report.tables import as_float, definition_list, details, html_table, key_numbers
from commonground.report.verdict import WELFARE_NOTE


def read_pod(folder: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The summary and the tables the folder's manifest lists (keys: file names such as ``ballots.csv``)."""
    manifest = read_manifest(folder, verify=False)  # verified when the folder was opened
    summary = read_json_object(manifest.path(schema.POD_SUMMARY))
    tables = {}
    for name in (t.csv for t in schema.POD_TABLES):
        if manifest.has(name):
            tables[name] = read_table(manifest.path(name), text=("mechanism", "attribute", "group", "envies_most"),
                                      empty_ok=True)
    return summary, tables


def welfare_table(s: dict) -> pd.DataFrame:
    """Optimal and ballot welfare with and without caps, and the ratio (the price of diversity)."""
    rows = [{"mechanism": "optimal", "with caps": as_float(s.get("welfare_optimal")),
             "without caps": as_float(s.get("welfare_optimal_unconstrained")),
             "price of diversity (without / with)": as_float(s.get("price_of_diversity")),
             "housed with caps": as_float(s.get("housed_optimal")),
             "housed without caps": as_float(s.get("housed_optimal_unconstrained"))}]
    if "ballot_welfare_mean" in s:
        n = s.get("ballot_seeds", "")
        rows.append({"mechanism": f"ballot (mean of {n} seeds)", "with caps": as_float(s.get("ballot_welfare_mean")),
                     "without caps": as_float(s.get("ballot_welfare_unconstrained_mean")),
                     "price of diversity (without / with)": as_float(s.get("ballot_price_of_diversity_mean")),
                     "housed with caps": as_float(s.get("ballot_housed_mean")),
                     "housed without caps": as_float(s.get("ballot_housed_unconstrained_mean"))})
    return pd.DataFrame(rows)


def welfare_figure(s: dict) -> Figure | None:
    """Welfare of each mechanism with and without caps (ballot: mean with min-max whiskers over seeds)."""
    bars: list[tuple[str, float, float, tuple[float, float] | None, tuple[float, float] | None]] = [
        ("optimal", as_float(s.get("welfare_optimal")), as_float(s.get("welfare_optimal_unconstrained")), None, None)]
    if "ballot_welfare_mean" in s:
        bars.append(("ballot", as_float(s["ballot_welfare_mean"]),
                     as_float(s.get("ballot_welfare_unconstrained_mean")),
                     (as_float(s.get("ballot_welfare_min")), as_float(s.get("ballot_welfare_max"))),
                     (as_float(s.get("ballot_welfare_unconstrained_min")),
                      as_float(s.get("ballot_welfare_unconstrained_max")))))
    if all(math.isnan(b[1]) for b in bars):
        return None
    fig = new_figure(7.5, 0.9 + 0.7 * len(bars))
    ax = fig.subplots()
    style_axes(ax)
    col = colours(["with caps", "without caps"])
    for i, (_name, w, wu, rng, rngu) in enumerate(bars):
        for k, (label, v, r) in enumerate((("with caps", w, rng), ("without caps", wu, rngu))):
            y = i - 0.2 + 0.4 * k
            err = None
            if r is not None and not any(math.isnan(x) for x in r):
                err = [[max(v - r[0], 0)], [max(r[1] - v, 0)]]
            hbars(ax, [y], [v], height=0.38, color=col[label])
            if err is not None:
                ax.errorbar([v], [y], xerr=err, fmt="none", ecolor="#333333", elinewidth=0.8, capsize=3)
            label_bars(ax, [y], [max(v, r[1]) if err is not None and r is not None else v], [f"{v:,.1f}"], fontsize=7)
    ax.set_yticks(range(len(bars)), [b[0] for b in bars], fontsize=8)
    ax.set_ylim(len(bars) - 0.5, -0.5)
    ax.margins(x=0.14)
    ax.set_xlabel("welfare (total utility of housed households)", fontsize=8)
    fig.legend(handles=[Patch(color=c, label=k) for k, c in col.items()], loc="outside lower center", ncols=2,
               fontsize=8, frameon=False)
    return fig


def groups_figure(groups: pd.DataFrame) -> Figure | None:
    """Share housed per group under each mechanism."""
    if groups.empty or not {"mechanism", "group", "share_housed"} <= set(groups.columns):
        return None
    mechs = list(dict.fromkeys(groups["mechanism"].astype(str)))
    names = list(dict.fromkeys(groups["group"].astype(str)))
    col = colours(mechs)
    fig = new_figure(8, 0.9 + 0.22 * len(names) * len(mechs))
    ax = fig.subplots()
    style_axes(ax)
    h = 0.8 / len(mechs)
    for k, m in enumerate(mechs):
        sub = groups[groups["mechanism"].astype(str) == m].assign(group=lambda d: d["group"].astype(str))
        v = sub.set_index("group")["share_housed"].reindex(names).to_numpy(dtype=float)
        hbars(ax, np.arange(len(names)) - 0.4 + h * (k + 0.5), v, height=h, color=col[m])
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_xlabel("share of applicants housed", fontsize=8)
    fig.legend(handles=[Patch(color=col[m], label=m) for m in mechs], loc="outside lower center",
               ncols=min(4, len(mechs)), fontsize=8, frameon=False)
    return fig


def _lawful_use(folder: Path, summary: dict) -> Section | None:
    """Issue 13: the s.13 sentence when the policy (by name) caps ethnicity on a GB run (policy.lawful's rule)."""
    from commonground.policy.lawful import named_policy_caveat

    inputs = read_manifest(folder, verify=False).data.get("inputs") or {}
    scenario = (inputs.get("scenario") or {}).get("name") if isinstance(inputs, dict) else None
    text = named_policy_caveat(summary.get("policy"), scenario=scenario)
    return Section("Lawful use").add(Markup(f'<p class="caution">{escape(text)}</p>')) if text else None


def pod_sections(folder: Path) -> list[Section]:
    s, tables = read_pod(folder)
    head = Section("Price of diversity")
    head.intro = ("Price of diversity = optimal welfare without caps / optimal welfare with caps (1 = the caps cost "
                  "nothing; Benabbou et al., AAMAS 2018). The same ratio is shown for the ballot, averaged over "
                  "seeds. The lottery ratio is the paper's comparison with the lottery: optimal welfare without "
                  "caps / mean ballot welfare with caps. Welfare is the total utility of housed households.")
    cards = {"price of diversity (optimal)": _fmt4(s.get("price_of_diversity")),
             "ballot price of diversity (mean)": _fmt4(s.get("ballot_price_of_diversity_mean")),
             # Benabbou et al.'s lottery baseline: optimum without caps / mean capped ballot (issue 11).
             "lottery ratio (optimal without caps / ballot with caps)": _fmt4(s.get("lottery_ratio")),
             "optimal welfare with caps": s.get("welfare_optimal"),
             "optimal welfare without caps": s.get("welfare_optimal_unconstrained"),
             "ballot welfare / optimal (with caps)": (f"{s['ballot_share_of_optimum_mean']:.1%}"
                                                      if isinstance(s.get("ballot_share_of_optimum_mean"), int | float)
                                                      else None),
             "households": s.get("households"), "vacant flats": s.get("vacant_flats")}
    head.add(key_numbers({k: v for k, v in cards.items() if v is not None}))
    fig = welfare_figure(s)
    if fig is not None:
        head.add(figure_block(fig, "Welfare with and without caps (ballot: mean over seeds, whiskers from the "
                                   "lowest to the highest seed)."))
    head.add(html_table(welfare_table(s)))
    for text in pod_cautions(s, tables.get("groups.csv")):
        head.add(Markup(f'<p class="caution">{escape(text)}</p>'))
    head.add(Markup(f'<p class="note">{escape(WELFARE_NOTE)}</p>'))
    secs = [head]
    lawful = _lawful_use(folder, s)
    if lawful is not None:
        secs.insert(0, lawful)
    ballots = tables.get("ballots.csv")
    if ballots is not None and len(ballots):
        secs.append(Section("Ballot seeds", intro="Each ballot seed with and without caps.")
                    .add(details(f"{len(ballots)} seeds", html_table(ballots, full_source="ballots.csv"))
                         if len(ballots) > 20 else html_table(ballots)))
    groups = tables.get("groups.csv")
    if groups is not None and len(groups):
        sec = Section("Groups under each mechanism", intro="Share of each group's applicants housed and their "
                                                             "welfare, per mechanism (ballot: mean over seeds).")
        fig = groups_figure(groups)
        if fig is not None:
            sec.add(figure_block(fig, "Share of applicants housed by group and mechanism."))
        secs.append(sec.add(html_table(groups, full_source="groups.csv")))
    fair = tables.get("fairness.csv")
    if fair is not None and len(fair):
        envy = Section("Group envy under the optimal allocation",
                       intro="Type envy (Benabbou et al.): how much more a group would value another group's "
                             "flats, scaled to its size, than its own (0 = envies no group).")
        secs.append(envy.add(html_table(fair, full_source="fairness.csv")))
    other = {k: v for k, v in s.items() if k in ("policy", "optimal_method", "optimal_exact", "optimal_gap",
                                                 "ballot_seeds")}
    if other:
        secs.append(Section("Run details").add(definition_list({k.replace("_", " "): (str(v) if isinstance(v, bool)
                                                                                       else v)
                                                                 for k, v in other.items()})))
    return secs


def unhoused_groups(groups: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(mechanism, group) pairs where the mechanism houses none of a group's applicants."""
    if groups is None or groups.empty or not {"mechanism", "group", "share_housed"} <= set(groups.columns):
        return []
    zero = groups[pd.to_numeric(groups["share_housed"], errors="coerce") == 0]
    if "applicants" in zero.columns:
        zero = zero[pd.to_numeric(zero["applicants"], errors="coerce") > 0]
    return [(str(m), str(g)) for m, g in zip(zero["mechanism"], zero["group"], strict=True)]


def pod_cautions(s: dict, groups: pd.DataFrame | None) -> list[str]:
    """The cautions this run's data calls for: a mechanism that houses no applicant of a group (the welfare
    optimum chooses *who* is housed, favouring high reported utilities), and a price of diversity below 1."""
    out = []
    zero = unhoused_groups(groups)
    if zero:
        listed = "; ".join(f"{m} houses no {g} applicant" for m, g in zero)
        out.append(f"Caution: {listed}. Maximising total utility decides who is housed, not only where, and favours "
                   "households reporting higher utilities; the optimum is a yardstick for what the caps cost, not a "
                   "proposal to replace the ballot (docs/price_of_diversity.md).")
    for key, name in (("price_of_diversity", "the optimum"), ("ballot_price_of_diversity_mean", "the ballot")):
        v = as_float(s.get(key))
        if not math.isnan(v) and v < 1:
            out.append(f"The price of diversity of {name} is below 1 ({v:.4f}): with caps its welfare is higher than "
                       "without. For the exact optimum this can only come from a time limit or solver gap; for a "
                       "queue-based mechanism, skipping a capped household lets someone further down the queue take a "
                       "home they value more.")
    return out


def _fmt4(v: object) -> str | None:
    f = as_float(v)
    return None if math.isnan(f) else f"{f:.4f}"
