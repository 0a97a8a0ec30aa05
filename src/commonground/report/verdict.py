"""The verdict panel: the first thing on an allocation or comparison report, in sentences and a few figures.

It answers *did the caps keep the new homes mixed, what did that cost, and to whom?* on the units the allocation
could change — the blocks and neighbourhoods with new (vacant) homes, counting only the households moved in —
and reports the existing units separately: a block that was already over a cap before the allocation is
listed as such, with how many of that group the allocation added there (under a strict cap: none).

Every figure in the panel carries ``data-key`` so tests (and readers' scripts) can check it against the output
tables. Segregation indices come from :mod:`commonground.measure` (multigroup D, Theil's H, isolation).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from commonground.report.data import AllocationData
from commonground.report.displaced import displaced_households
from commonground.report.figures import colours, figure_block, hbars, new_figure, style_axes
from commonground.report.page import Section
from commonground.report.tables import as_float, html_table, paragraph

#: Index (name in commonground.measure) -> short label shown in the panel.
VERDICT_INDICES = {"multi_dissimilarity": "D (multigroup dissimilarity)", "theil_h": "H (Theil's information index)"}
WELFARE_UNITS = "utility points"
WELFARE_NOTE = ("Welfare is the sum of housed households' utilities, in the preferences file's units: Borda points "
                "when preferences were given as ranks (rank r of k is worth k − r + 1), one point per household "
                "housed when there was no preferences file.")
MAX_LISTED = 5


@dataclass
class Pair:
    """A capped result and the baseline it is compared with (same mechanism, no caps); baseline may be None."""

    capped: AllocationData
    baseline: AllocationData | None


def pairs(results: list[AllocationData]) -> list[Pair]:
    """Each capped result with its uncapped baseline (same mechanism when there is one); a lone or uncapped-only
    set gives each result alone."""
    base = [r for r in results if not r.has_caps]
    capped = [r for r in results if r.has_caps]
    if not capped:
        return [Pair(r, None) for r in results[:1]]
    out = []
    for r in capped:
        same = [b for b in base if b.summary.get("mechanism") == r.summary.get("mechanism")] or base
        out.append(Pair(r, same[0] if same else None))
    return out


def primary_attribute(r: AllocationData) -> str | None:
    """The attribute the verdict is about: the first capped one, else ethnicity, else the first."""
    if r.has_caps and "attribute" in r.caps.columns and len(r.caps):
        return str(r.caps["attribute"].iloc[0])
    attrs = r.attributes
    return "ethnicity" if "ethnicity" in attrs else (attrs[0] if attrs else None)


# -- units with new homes ---------------------------------------------------------------------------------------
def unit_table(r: AllocationData, attribute: str, level: str) -> pd.DataFrame:
    """Per unit at ``level``: dwellings, residents before, households moved in, and whether it had new homes."""
    c = r.composition
    sub = c[(c["level"] == level) & (c["attribute"] == attribute)]
    g = sub.groupby("unit_id", sort=False)
    out = pd.DataFrame({"units": g["units"].first(), "before": g["count_before"].sum(), "after": g["count"].sum()})
    out["new_homes"] = out["units"] - out["before"]
    out["moved_in"] = out["after"] - out["before"]
    return out


def newcomer_counts(r: AllocationData, attribute: str, level: str) -> pd.DataFrame:
    """Units with new homes x groups: households the allocation moved in (existing residents left out)."""
    c = r.composition
    sub = c[(c["level"] == level) & (c["attribute"] == attribute)].assign(
        new=lambda d: pd.to_numeric(d["count"]) - pd.to_numeric(d["count_before"]))
    mat = sub.pivot_table(index="unit_id", columns="value", values="new", aggfunc="sum", fill_value=0, sort=False)
    units = unit_table(r, attribute, level)
    return mat.loc[mat.index.isin(units.index[units["new_homes"] > 0])]


def newcomer_indices(r: AllocationData, attribute: str) -> dict[tuple[str, str], float]:
    """(level, index label) -> value over the newcomers in units with new homes: D and H, and each group's
    isolation. Missing when fewer than two units or groups have newcomers."""
    try:
        from commonground.measure import Counts, measure
    except ImportError:
        return {}
    out: dict[tuple[str, str], float] = {}
    for level in ("block", "neighbourhood"):
        mat = newcomer_counts(r, attribute, level)
        mat = mat.loc[mat.sum(axis=1) > 0, mat.sum(axis=0) > 0]
        if mat.shape[0] < 2 or mat.shape[1] < 2:
            continue
        counts = Counts(mat.to_numpy(dtype=float), [str(v) for v in mat.columns], units=mat.index.to_numpy())
        row = measure(counts, [*VERDICT_INDICES, "isolation"]).iloc[0]
        for name, label in VERDICT_INDICES.items():
            out[(level, label)] = float(row[name])
        for g in mat.columns:
            out[(level, f"isolation of {g}")] = float(row[f"isolation[{g}]"])
    return out


def index_table(pair: Pair, attribute: str) -> pd.DataFrame:
    """Level, index, the baseline's value, the capped run's value and the change (newcomers only)."""
    cap = newcomer_indices(pair.capped, attribute)
    base = newcomer_indices(pair.baseline, attribute) if pair.baseline is not None else {}
    rows = []
    for key in dict.fromkeys([*base, *cap]):
        row: dict[str, Any] = {"level": key[0], "index": key[1]}
        if pair.baseline is not None:
            row[pair.baseline.label] = base.get(key, math.nan)
        row[pair.capped.label] = cap.get(key, math.nan)
        if pair.baseline is not None:
            row["change"] = row[pair.capped.label] - row[pair.baseline.label]
        rows.append(row)
    return pd.DataFrame(rows)


# -- existing units over a cap -----------------------------------------------------------------------------------
def limit_values(label: str, values: list[str]) -> list[str]:
    """The group values a cap limit covers, from its label ("Malay"; "Indian/Others"; "Indian and Others")."""
    if label in values:
        return [label]
    parts = [p.strip() for p in re.split(r"/|,|\+| and ", label) if p.strip()]
    return [p for p in parts if p in values]


def over_cap_before(r: AllocationData) -> pd.DataFrame:
    """Cap limits already exceeded by the existing residents: level, unit, limit, cap, residents of the group
    before, the most the cap allows, households of the group the allocation added, and whether the unit had
    new homes. Vectorised (a merge per attribute and level), so it stays fast with thousands of blocks."""
    cols = ["level", "unit_id", "limit", "share_limit", "before", "max_count", "added", "had_new_homes"]
    if not r.has_caps:
        return pd.DataFrame(columns=cols)
    comp = r.composition
    parts = []
    for (attribute, level), caps in r.caps.groupby(["attribute", "level"], sort=False):
        sub = comp[(comp["attribute"] == attribute) & (comp["level"] == level)]
        values = [str(v) for v in sub["value"].dropna().unique()]
        members = pd.DataFrame([(lim, v) for lim in caps["limit"].astype(str).unique()
                                for v in limit_values(lim, values)], columns=["limit", "value"])
        if members.empty:
            continue
        counts = (sub.assign(value=sub["value"].astype(str), unit_id=sub["unit_id"].astype(str))
                  .merge(members, on="value")
                  .groupby(["unit_id", "limit"], as_index=False)[["count_before", "count"]].sum()
                  .rename(columns={"count_before": "group_before", "count": "group_after"}))
        m = caps.assign(unit_id=caps["unit_id"].astype(str), limit=caps["limit"].astype(str)).merge(
            counts, on=["unit_id", "limit"], how="inner")
        m = m[m["group_before"] > m["max_count"]]
        if m.empty:
            continue
        units = unit_table(r, str(attribute), str(level))
        units.index = units.index.astype(str)
        parts.append(pd.DataFrame({
            "level": level, "unit_id": m["unit_id"].to_numpy(), "limit": m["limit"].to_numpy(),
            "share_limit": m["share_limit"].to_numpy(), "before": m["group_before"].astype(int).to_numpy(),
            "max_count": m["max_count"].astype(int).to_numpy(),
            "added": (m["group_after"] - m["group_before"]).astype(int).to_numpy(),
            "had_new_homes": (units["new_homes"].reindex(m["unit_id"]).fillna(0) > 0).to_numpy()}))
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


# -- the panel ---------------------------------------------------------------------------------------------------
def _fig(key: str, value: str) -> str:
    return f'<b class="fig" data-key="{escape(key)}">{escape(value)}</b>'


def _signed(v: float, digits: int = 3) -> str:
    return f"{v:+.{digits}f}".replace("-", "−")


def housing_sentences(pair: Pair, attribute: str) -> list[str]:
    c, b = pair.capped, pair.baseline
    vac = int(c.summary.get("vacant_flats") or 0)
    empty_c = int(c.summary.get("flats_left_vacant") or 0)
    alloc_c = int(c.summary.get("allocated") or 0)
    s = [f"Of {_fig('vacant-flats', f'{vac:,}')} new homes, {_fig(f'allocated:{c.label}', f'{alloc_c:,}')} "
         f"were allocated {escape(_label(c))} and {_fig(f'left-empty:{c.label}', f'{empty_c:,}')} left empty"]
    if b is not None:
        empty_b = int(b.summary.get("flats_left_vacant") or 0)
        alloc_b = int(b.summary.get("allocated") or 0)
        s[0] += (f"; {escape(_label(b))} {_fig(f'allocated:{b.label}', f'{alloc_b:,}')} "
                 f"were allocated and {_fig(f'left-empty:{b.label}', f'{empty_b:,}')} left empty")
        if empty_c > empty_b:
            s[0] += f". <strong>The caps left {empty_c - empty_b:,} homes empty</strong>"
    s[0] += "."
    if b is None:
        return s
    g = group_change(pair, attribute)
    lost = g[g["change"] < 0].sort_values("change")
    gained = g[g["change"] > 0].sort_values("change", ascending=False)

    def item(row) -> str:
        return (f"{escape(str(row.value))} {_fig(f'housed:{c.label}:{row.value}', f'{int(row.with_caps):,}')} vs "
                f"{_fig(f'housed:{b.label}:{row.value}', f'{int(row.without_caps):,}')} "
                f"({_signed(row.change, 0)}; {row.share_b:.0%} → {row.share_c:.0%} of its applicants housed)")
    if len(lost):
        s.append(f"<strong>Groups housed less because of the caps</strong> ({escape(attribute)}): "
                 + "; ".join(item(r) for r in lost.itertuples()) + ".")
    else:
        s.append(f"No {escape(attribute)} group was housed less because of the caps.")
    if len(gained):
        s.append("Groups housed more: " + "; ".join(item(r) for r in gained.itertuples()) + ".")
    d = displaced_households(c.households, b.households, c.attributes)
    n_lost, n_gained = int((d["change"] == "lost a home").sum()), int((d["change"] == "gained a home").sum())
    s.append(f"Household by household, {_fig('households-lost', f'{n_lost:,}')} applicants lost a home because "
             f"of the caps and {_fig('households-gained', f'{n_gained:,}')} gained one "
             f"(see <a href=\"#who-lost-and-who-gained-a-home\">who lost and who gained</a>).")
    return s


def group_change(pair: Pair, attribute: str) -> pd.DataFrame:
    """Per group of ``attribute``: housed with and without caps, the change and the shares housed."""
    def frame(r: AllocationData) -> pd.DataFrame:
        g = r.groups[r.groups["attribute"].astype(str) == attribute]
        return g.assign(value=g["value"].astype(str)).set_index("value")
    if pair.baseline is None:
        raise ValueError("group_change compares with a baseline; this pair has none")
    c, b = frame(pair.capped), frame(pair.baseline)
    out = pd.DataFrame({"with_caps": c["allocated"], "without_caps": b["allocated"].reindex(c.index),
                        "applicants": c["applicants"]})
    out["change"] = out["with_caps"] - out["without_caps"]
    out["share_c"] = out["with_caps"] / out["applicants"]
    out["share_b"] = out["without_caps"] / out["applicants"]
    return out.rename_axis("value").reset_index()


def mix_sentences(pair: Pair, attribute: str, table: pd.DataFrame) -> list[str]:
    c, b = pair.capped, pair.baseline
    out: list[str] = []
    if table.empty:
        return out
    for level in ("block", "neighbourhood"):
        units = unit_table(c, attribute, level)
        n_new = int((units["new_homes"] > 0).sum())
        t = table[table["level"] == level]
        if t.empty:
            continue
        parts = []
        for label in VERDICT_INDICES.values():
            row = t[t["index"] == label]
            if row.empty:
                continue
            short = label.split(" ")[0]
            vc = float(row[c.label].iloc[0])
            if b is not None:
                vb = float(row[b.label].iloc[0])
                parts.append(f"{short} {_fig(f'{level}:{short}:{b.label}', f'{vb:.3f}')} {escape(_label(b))} → "
                             f"{_fig(f'{level}:{short}:{c.label}', f'{vc:.3f}')} {escape(_label(c))} "
                             f"({_signed(vc - vb)})")
            else:
                parts.append(f"{short} {_fig(f'{level}:{short}:{c.label}', f'{vc:.3f}')}")
        if not parts:
            continue
        verdict = ""
        if b is not None:
            d = t[t["index"] == VERDICT_INDICES["multi_dissimilarity"]]
            if len(d):
                ch = float(d["change"].iloc[0])
                verdict = (" — the caps made the new homes <strong>more mixed</strong>" if ch < -0.005 else
                           " — the caps made the new homes <strong>less mixed</strong>" if ch > 0.005 else
                           " — about the same mix either way")
        out.append(f"Mix of the households moved into the {n_new:,} {level}s with new homes "
                   f"(0 = every {level} mirrors the newcomers as a whole, 1 = completely apart): "
                   + "; ".join(parts) + verdict + ".")
    return out


def existing_sentence(pair: Pair) -> str | None:
    over = over_cap_before(pair.capped)
    if over.empty:
        return None
    parts = []
    for level, g in over.groupby("level", sort=False):
        units = g["unit_id"].nunique()
        existing = g.loc[~g["had_new_homes"], "unit_id"].nunique()
        added = int(g["added"].clip(lower=0).sum())
        listed = ", ".join(f"{u} ({lim} {int(round(float(sl) * 100))}% cap: {int(bf):,} residents, at most "
                           f"{int(mx):,} allowed)" for u, lim, sl, bf, mx in
                           g[["unit_id", "limit", "share_limit", "before", "max_count"]].head(MAX_LISTED)
                           .itertuples(index=False))
        more = f" and {len(g) - MAX_LISTED:,} more" if len(g) > MAX_LISTED else ""
        tail = ("this allocation added no one of that group there" if added == 0 else
                f"this allocation added {_fig(f'over-cap-added:{level}', f'{added:,}')} households of that group "
                "there")
        parts.append(f"{_fig(f'over-cap-before:{level}', f'{units:,}')} {escape(str(level))}(s) were already over "
                     f"a cap before this allocation ({existing:,} of them existing {escape(str(level))}s with no new "
                     f"homes): {escape(listed)}{more}; {tail}.")
    return ("Existing residents are counted separately: " + " ".join(parts)
            + " Their shares are the existing population, not a failure of the caps.")


def welfare_sentence(pair: Pair) -> str | None:
    c, b = pair.capped, pair.baseline
    wc = as_float(c.summary.get("welfare"))
    if math.isnan(wc):
        return None
    s = f"Welfare {escape(_label(c))}: {_fig(f'welfare:{c.label}', f'{wc:,.1f}')} {WELFARE_UNITS}"
    if b is None:
        return s + "."
    wb = as_float(b.summary.get("welfare"))
    s += f"; {escape(_label(b))}: {_fig(f'welfare:{b.label}', f'{wb:,.1f}')} ({_signed(wc - wb, 1)}"
    s += f", {(wc - wb) / wb:+.1%})" if wb else ")"
    if wc and wb:
        pod = wb / wc
        s += f"; price of diversity {_fig('price-of-diversity', f'{pod:.4f}')}"
        if pod < 1:
            s += (" — below 1: the capped run has <em>higher</em> total utility. Caps can do this with a queue-based "
                  "mechanism (ballot, choice-based lettings): skipping a household lets one further down the queue "
                  "take a home it values more; it is not a gain the caps guarantee")
    return s + "."


def verdict_sentences(pair: Pair, attribute: str, table: pd.DataFrame | None = None) -> list[str]:
    """The verdict's sentences (HTML, figures marked with ``data-key``) for one result and its baseline."""
    if table is None:
        table = index_table(pair, attribute)
    sentences = housing_sentences(pair, attribute) + mix_sentences(pair, attribute, table)
    for extra in (existing_sentence(pair), welfare_sentence(pair)):
        if extra:
            sentences.append(extra)
    return sentences


def verdict_from_tables(summary: dict, tables: dict[str, pd.DataFrame], label: str = "this run") -> list[Markup]:
    """The verdict of one allocation from its tables as read from storage (e.g. the web app's run page):
    ``tables`` maps ``composition``, ``caps``, ``groups`` and ``allocation`` to frames (text columns are made
    numeric here). Empty when the tables are incomplete."""
    found = _from_tables(summary, tables, label)
    if found is None:
        return []
    data, attribute = found
    return [Markup(s) for s in verdict_sentences(Pair(data, None), attribute)]


def verdict_chart_from_tables(summary: dict, tables: dict[str, pd.DataFrame], label: str = "this run"
                              ) -> Markup | None:
    """The verdict's indices chart (as :func:`verdict_section` draws it) for one allocation's stored tables, as
    an inline-SVG ``<figure>``; None when the tables are incomplete or too few units/groups have newcomers."""
    found = _from_tables(summary, tables, label)
    if found is None:
        return None
    data, attribute = found
    pair = Pair(data, None)
    table = index_table(pair, attribute)
    fig = indices_figure(table, pair) if not table.empty else None
    if fig is None:
        return None
    return figure_block(fig, f"Segregation of the households moved into units with new homes, by {attribute}. "
                             "Lower is more mixed.")


def _from_tables(summary: dict, tables: dict[str, pd.DataFrame], label: str
                 ) -> tuple[AllocationData, str] | None:
    from commonground.io.schema import ALLOCATION_TABLES
    from commonground.io.tables import typed as type_table

    declared = {t.stem: t for t in ALLOCATION_TABLES}
    need = ("composition", "caps", "groups", "allocation")
    if any(n not in tables for n in need) or tables["composition"].empty or tables["groups"].empty:
        return None
    typed = {n: type_table(tables[n].copy(), declared[n], f"{n}.csv") for n in need}
    data = AllocationData(label=label, summary=summary, composition=typed["composition"], caps=typed["caps"],
                          groups=typed["groups"], households=typed["allocation"])
    attribute = primary_attribute(data)
    return None if attribute is None else (data, attribute)


def verdict_section(results: list[AllocationData]) -> Section:
    """The verdict panel (first section of an allocation or comparison report)."""
    sec = Section("Verdict")
    if not results:
        return sec
    for pair in pairs(results):
        attribute = primary_attribute(pair.capped)
        if attribute is None:
            continue
        table = index_table(pair, attribute)
        sentences = verdict_sentences(pair, attribute, table)
        if len(pairs(results)) > 1:
            sec.add(Markup(f"<h3>{escape(pair.capped.label)}</h3>"))
        sec.add(Markup('<div class="verdict"><ul>' + "".join(f"<li>{s}</li>" for s in sentences) + "</ul></div>"))
        if not table.empty:
            fig = indices_figure(table, pair)
            if fig is not None:
                sec.add(figure_block(fig, f"Segregation of the households moved into units with new homes, by "
                                          f"{attribute} ({'with and without caps' if pair.baseline else 'this run'})."
                                          " Lower is more mixed."))
            sec.add(html_table(table, formats={col: _index_value for col in table.columns
                                               if col not in ("level", "index")},
                               caption=f"Indices over the households moved in (by {attribute})"))
        sec.add(paragraph(WELFARE_NOTE, "note"))
    return sec


def indices_figure(table: pd.DataFrame, pair: Pair) -> Figure | None:
    """Horizontal bars: each level's D and H (and isolation) over newcomers, baseline vs capped."""
    runs = [r.label for r in (pair.baseline, pair.capped) if r is not None]
    t = table.dropna(subset=runs, how="all")
    if t.empty:
        return None
    labels = [f"{lv}: {ix}" for lv, ix in zip(t["level"], t["index"], strict=True)]
    y = np.arange(len(t))
    col = colours(runs[::-1])
    fig = new_figure(7.5, 0.7 + 0.3 * len(t) * len(runs))
    ax = fig.subplots()
    h = 0.8 / len(runs)
    for k, run in enumerate(runs):
        hbars(ax, y + (k - (len(runs) - 1) / 2) * h, t[run].to_numpy(dtype=float), height=h * 0.95, color=col[run])
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(0.05, float(np.nanmax(t[runs].to_numpy(dtype=float))) * 1.1))
    style_axes(ax)
    from matplotlib.patches import Patch
    fig.legend(handles=[Patch(color=col[r], label=r) for r in runs], loc="outside lower center", ncols=len(runs),
               fontsize=8, frameon=False)
    return fig


def _label(r: AllocationData) -> str:
    return r.label if r.label.startswith(("with", "without")) else f"in {r.label}"


def _index_value(v: object) -> str:
    f = as_float(v)
    return "" if math.isnan(f) else f"{f:.4f}"
