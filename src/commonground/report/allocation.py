"""Report sections for one allocation or several side by side (e.g. with and without caps)."""

from __future__ import annotations

import math

import pandas as pd
from markupsafe import Markup

from commonground.report.allocation_charts import (
    composition_figure,
    group_bars_figure,
    outcome_figure,
    utilisation_figure,
)
from commonground.report.blockmap import block_map_figure, blocks_missing_coordinates
from commonground.report.data import AllocationData
from commonground.report.figures import figure_block
from commonground.report.indices import segregation_indices
from commonground.report.outcomes import cap_skips, skipped_by_reason
from commonground.report.page import Section
from commonground.report.tables import (
    as_float,
    definition_list,
    details,
    fmt_number,
    html_table,
    key_numbers,
    paragraph,
)

#: Caps at or above this utilisation are listed as (nearly) binding.
NEAR_CAP = 0.95
#: Longer lists of near-cap limits are collapsed.
MAX_NEAR_ROWS = 30


def allocation_sections(results: list[AllocationData]) -> list[Section]:
    """Every section, in reading order; sections with nothing to show are left out by the page."""
    from commonground.report.impact import impact_section
    from commonground.report.verdict import verdict_section

    return [lawful_use_section(results), verdict_section(results), headline_section(results), impact_section(results),
            indices_section(results), welfare_section(results), outcomes_section(results),
            skipped_section(results), composition_section(results), caps_section(results),
            map_section(results), run_section(results)]


def lawful_use_section(results: list[AllocationData]) -> Section:
    """Issue 13: an ethnicity cap on a GB run is for analysis only; the rule and the sentence are
    :mod:`commonground.policy.lawful`'s. Empty (left out) otherwise."""
    from commonground.policy.lawful import caveat

    for r in results:
        attrs = r.caps["attribute"].astype(str).unique() if "attribute" in r.caps.columns else []
        text = caveat(attrs, policy_names=[r.summary.get("policy")], scenario=r.scenario or None)
        if text:
            return Section("Lawful use").add(paragraph(text, "caution"))
    return Section("Lawful use")


def headline(r: AllocationData) -> dict[str, object]:
    """The headline figures of one result (label -> value), from its summary and tables."""
    s = r.summary
    out: dict[str, object] = {
        "mechanism": s.get("mechanism"), "policy": s.get("policy"),
        "households": s.get("households"), "vacant flats": s.get("vacant_flats"),
        "allocated": s.get("allocated"), "skipped": s.get("skipped"),
        "flats left vacant": s.get("flats_left_vacant"),
        "welfare (total utility points)": s.get("welfare"),
        "binding cap limits": s.get("binding_caps"),
        "skipped because of a cap": cap_skips(r.households),
    }
    for level in ("block", "neighbourhood"):
        out[f"largest group share in a {level} with new homes"] = _max_share(r, level, new_only=True)
        out[f"largest group share in an existing {level} (residents before)"] = _max_share(r, level,
                                                                                          existing_only=True)
    return out


def headline_section(results: list[AllocationData]) -> Section:
    sec = Section("Key numbers")
    if len(results) == 1:
        return sec.add(key_numbers(headline(results[0])))
    table = pd.DataFrame({r.label: pd.Series(headline(r), dtype=object) for r in results})
    table = table[table.notna().any(axis=1)]
    table.index.name = ""
    sec.intro = "The same applicants and flats allocated under each policy, side by side."
    return sec.add(html_table(table, index=True, formats={r.label: _cell for r in results}))


def welfare_section(results: list[AllocationData]) -> Section:
    sec = Section("Welfare and the price of diversity")
    sec.intro = ("Welfare is the total utility of the housed households (the sum over households of how much "
                 "they value the flat they got), in utility points: Borda points when preferences were ranks, "
                 "one per household housed without a preferences file. The price of diversity is welfare "
                 "without caps divided by welfare with caps: 1 means the caps cost nothing.")
    rows = []
    base = [r for r in results if not r.has_caps]
    for r in results:
        w = as_float(r.summary.get("welfare"))
        row = {"result": r.label, "welfare": w, "allocated": r.summary.get("allocated"),
               "mean utility per housed household": w / r.summary["allocated"] if r.summary.get("allocated") else
               math.nan}
        if base and r.has_caps:
            same = [b for b in base if b.summary.get("mechanism") == r.summary.get("mechanism")] or base
            bw = as_float(same[0].summary.get("welfare"))
            row["price of diversity"] = bw / w if w else math.nan
            row["welfare lost to caps"] = bw - w
        rows.append(row)
    df = pd.DataFrame(rows)
    if "price of diversity" in df.columns:
        pod = df["price of diversity"].dropna()
        if len(pod):
            sec.add(key_numbers({f"price of diversity ({lab})": f"{v:.4f}" for lab, v in
                                 zip(df.loc[pod.index, "result"], pod, strict=True)}))
        if (pod < 1).any():
            sec.add(paragraph("A price of diversity below 1 (a negative 'welfare lost to caps') means the capped run "
                              "has the higher total utility. A queue-based mechanism (ballot, choice-based lettings) "
                              "can do this: when a cap skips a household, one further down the queue takes a home "
                              "it values more. It is not a gain the caps guarantee.", "warn"))
    elif len(results) == 1:
        sec.add(paragraph("No uncapped run to compare with: run the same problem and policy with --no-caps (it "
                          "keeps the bands and drops only the caps, as 'commonground demo' does) to see the price of "
                          "diversity.", "note"))
    return sec.add(html_table(df), paragraph("Mean utility per group is in the tables of the next section.", "note"))


def outcomes_section(results: list[AllocationData]) -> Section:
    sec = Section("Who was housed")
    sec.intro = "Per group: applicants, households housed and skipped, share housed and welfare."
    for attr in results[0].attributes:
        fig = group_bars_figure(results, attr, "share_housed", "share of applicants housed", percent=True)
        if fig is not None:
            sec.add(Markup(f"<h3>{_esc(attr)}</h3>"), figure_block(fig, f"Share of applicants housed by {attr}."))
        sec.add(html_table(group_table(results, attr)))
    return sec


def group_table(results: list[AllocationData], attribute: str) -> pd.DataFrame:
    """The group outcomes of ``attribute``: as written for one result; side by side (applicants once, then
    allocated, share housed and mean utility per result) for several."""
    frames = [r.groups[r.groups["attribute"].astype(str) == attribute].drop(columns="attribute")
              .assign(value=lambda d: d["value"].astype(str)).set_index("value") for r in results]
    if len(results) == 1:
        return frames[0].reset_index()
    out = pd.DataFrame({"applicants": frames[0]["applicants"]})
    for col, name in (("allocated", "allocated"), ("share_housed", "share housed"),
                      ("mean_utility_housed", "mean utility housed")):
        for r, f in zip(results, frames, strict=True):
            out[f"{name}: {r.label}"] = f[col].reindex(out.index)
    return out.rename_axis(attribute).reset_index()


def skipped_section(results: list[AllocationData]) -> Section:
    sec = Section("Who was skipped, and why")
    sec.intro = ("What happened to each group's applicants: housed, or skipped for a reason. Cap reasons are "
                 "counted over every unit where that cap stopped someone.")
    for attr in results[0].attributes:
        fig = outcome_figure(results, attr)
        if fig is None:
            continue
        sec.add(Markup(f"<h3>{_esc(attr)}</h3>"),
                figure_block(fig, f"Outcome of applicants by {attr}: housed (green), skipped because of a cap "
                                  "(warm colours), skipped for another reason (grey)."))
        for r in results:
            sec.add(html_table(skipped_by_reason(r.households, attr),
                               caption=f"Skipped households by {attr} and reason" +
                               (f": {r.label}" if len(results) > 1 else "")))
    for r in results:
        reasons = r.summary.get("skip_reasons") or {}
        if reasons:
            df = pd.DataFrame({"reason": list(reasons), "households": list(reasons.values())})
            sec.add(details(f"Skip reasons in full{': ' + r.label if len(results) > 1 else ''} "
                            f"({len(df)} most common)", html_table(df)))
    return sec


def composition_section(results: list[AllocationData]) -> Section:
    sec = Section("Composition against caps")
    sec.intro = ("Each group's share of a block's or neighbourhood's dwellings after allocation (existing residents "
                 "included). The dashed line is the group's cap; where one cap covers several groups (e.g. "
                 "Indian and Others) the line is that shared cap, and the cap tables below count them together.")
    comp = results[0].composition
    if comp.empty:
        return sec
    combos = comp[["attribute", "level"]].drop_duplicates()
    combos = combos.assign(capped=[comp.loc[(comp["attribute"] == a) & (comp["level"] == lv), "cap"].notna().any()
                                   for a, lv in zip(combos["attribute"], combos["level"], strict=True)])
    for _, c in combos.sort_values("capped", ascending=False, kind="stable").iterrows():
        fig = composition_figure(results, c["attribute"], c["level"])
        if fig is not None:
            sec.add(Markup(f"<h3>{_esc(c['attribute'])} by {_esc(c['level'])}</h3>"),
                    figure_block(fig, f"Share of each {c['level']}'s dwellings by {c['attribute']}"
                                      f"{' against its cap' if c['capped'] else ' (no cap)'}."))
    return sec


def caps_section(results: list[AllocationData]) -> Section:
    sec = Section("Cap utilisation")
    capped = [r for r in results if r.has_caps]
    if not capped:
        return sec
    sec.intro = (f"Households of each capped group per unit against the most the cap allows (existing residents "
                 f"included, so a unit can be over its cap). Limits at {NEAR_CAP:.0%} or more of their cap are "
                 "listed; red bars have reached it.")
    first = capped[0].caps
    for _, c in first[["attribute", "level"]].drop_duplicates().iterrows():
        fig = utilisation_figure(results, c["attribute"], c["level"])
        if fig is not None:
            sec.add(Markup(f"<h3>{_esc(c['attribute'])} caps by {_esc(c['level'])}</h3>"),
                    figure_block(fig, f"{c['attribute']} cap utilisation by {c['level']}."))
    for r in capped:
        label = f" ({r.label})" if len(results) > 1 else ""
        sec.add(html_table(cap_summary(r.caps), caption=f"Units at and over each cap{label}"))
        near = r.caps[r.caps["utilisation"] >= NEAR_CAP].sort_values("utilisation", ascending=False)
        if len(near) > MAX_NEAR_ROWS:
            sec.add(details(f"{len(near):,} limits at or near their cap{label}",
                            html_table(near, full_source="caps.csv")))
        elif len(near):
            sec.add(html_table(near, caption=f"Limits at or near their cap{label}"))
        else:
            sec.add(paragraph(f"No limit is within {1 - NEAR_CAP:.0%} of its cap{label}.", "note"))
        sec.add(details(f"All {len(r.caps):,} cap limits{label}", html_table(r.caps, full_source="caps.csv")))
    return sec


def cap_summary(caps: pd.DataFrame) -> pd.DataFrame:
    """Per cap limit: how many units it applies to, how many are at it (no more households of the group may
    move in) and over it (existing residents above the limit), and the highest and median utilisation."""
    g = caps.assign(at=caps["count"] >= caps["max_count"], over=caps["count"] > caps["max_count"]).groupby(
        ["attribute", "level", "limit", "share_limit"], sort=False)
    out = g.agg(units=("unit_id", "size"), at_cap=("at", "sum"), over_cap=("over", "sum"),
                median_utilisation=("utilisation", "median"), highest_utilisation=("utilisation", "max"))
    return out.reset_index().rename(columns={"units": "units capped", "at_cap": "at or over cap",
                                             "over_cap": "over cap", "median_utilisation": "utilisation: median",
                                             "highest_utilisation": "utilisation: highest"})


def indices_section(results: list[AllocationData]) -> Section:
    sec = Section("Segregation indices")
    measured = [(r, segregation_indices(r.composition)) for r in results]
    tables = [(r, t) for r, t in measured if t is not None and len(t)]
    if not tables:
        return sec
    sec.intro = ("Multigroup segregation of the whole area, existing residents included, across blocks and across "
                 "neighbourhoods (0 = every unit mirrors the whole, 1 = complete segregation), before allocation "
                 "(existing residents only, units with residents) and after it (every unit). The verdict above "
                 "measures the households moved in alone.")
    rising = [r.label for r, t in tables if r.has_caps and (t["after"] > t["before"]).any()]
    if rising:
        sec.add(paragraph(f"Some whole-area indices rise ({', '.join(rising)}) even where the "
                          "caps make the new homes more mixed: new blocks enter as new units, and their mix (the "
                          "applicants') differs from the existing residents' around them, so the area's spread "
                          "between units grows. Compare the capped and uncapped 'after' columns, not before and "
                          "after.", "note"))
    if len(tables) > 1:
        wide: pd.DataFrame | None = None
        for r, t in tables:
            part = t.set_index(["attribute", "level", "index"])[["before", "after"]]
            part = part.rename(columns={"after": f"after: {r.label}"})
            wide = part if wide is None else wide.join(part.drop(columns="before"), how="left")
        assert wide is not None  # two or more tables were joined
        return sec.add(html_table(wide, index=True, formats=dict.fromkeys(wide.columns, _index_value)))
    t = tables[0][1]
    return sec.add(html_table(t, formats={"before": _index_value, "after": _index_value, "change": _index_change}))


def map_section(results: list[AllocationData]) -> Section:
    sec = Section("Map of blocks")
    fig = block_map_figure(results)
    if fig is None:
        return sec
    sec.intro = "Blocks placed by their coordinates; marker size is the number of dwellings."
    sec.add(figure_block(fig, "Blocks by longitude and latitude (no map tiles; the bar gives the scale), coloured by "
                              "the largest group after allocation (labelled with its share of dwellings) and by the "
                              "highest utilisation of any block cap."))
    missing = blocks_missing_coordinates(results[0])
    if missing:
        sec.add(paragraph(f"{missing} block(s) have no coordinates and are not shown.", "note"))
    return sec


def run_section(results: list[AllocationData]) -> Section:
    sec = Section("Run details")
    for r in results:
        s = r.summary
        items = {k: s.get(k) for k in ("mechanism", "policy", "rule", "seed", "code_version", "problem_fingerprint")
                 if s.get(k) is not None}
        for k, v in (s.get("info") or {}).items():
            items[f"info: {k}"] = v if isinstance(v, str | int | float) else str(v)
        if r.source:
            items["folder"] = r.source
        if len(results) > 1:
            sec.add(Markup(f"<h3>{_esc(r.label)}</h3>"))
        sec.add(definition_list({k: str(v) if isinstance(v, bool) or v is None else v for k, v in items.items()}))
    return sec


def _max_share(r: AllocationData, level: str, *, new_only: bool = False, existing_only: bool = False) -> str | None:
    """The largest group share in any unit at ``level`` (of the verdict's attribute): among units with new homes
    (``new_only``, shares after allocation) or units without any (``existing_only``), so an existing block's
    share is not read as the caps' result."""
    from commonground.report.verdict import primary_attribute, unit_table

    comp = r.composition
    attribute = primary_attribute(r)
    if comp.empty or attribute is None:
        return None
    sub = comp[(comp["level"] == level) & (comp["attribute"] == attribute)]
    if new_only or existing_only:
        units = unit_table(r, attribute, level)
        keep = units.index[(units["new_homes"] > 0) if new_only else (units["new_homes"] <= 0)]
        sub = sub[sub["unit_id"].isin(keep)]
    if sub.empty:
        return None
    top = sub.loc[pd.to_numeric(sub["share"]).idxmax()]
    return f"{float(top['share']):.1%} {top['value']} ({top['unit_id']})"


def _index_value(v: object) -> str:
    f = as_float(v)
    return "" if math.isnan(f) else f"{f:.4f}"


def _index_change(v: object) -> str:
    f = as_float(v)
    return "" if math.isnan(f) else f"{f:+.4f}"


def _cell(v: object) -> str:
    return v if isinstance(v, str) else fmt_number(v)


def _esc(s: object) -> str:
    from html import escape
    return escape(str(s))
