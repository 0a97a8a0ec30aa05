"""The UK options report: its first screen answers "which options keep new homes mixed here, and at what cost".

Input: a summary table (``summarise`` output plus an ``authority`` column) of runs of the lawful council
options (:mod:`commonground.simulate.uk_policies`) against "do nothing". For each authority and migration
scenario, the first screen ranks the options by the dissimilarity of the *new* blocks after the last year
(lower = more mixed), with 5–95 % bands across replicates, the change against doing nothing, and the costs:
households who left without a home, new homes left empty, and waiting years of social applicants. Where an
ethnicity-cap policy appears, the lawful-use caveat stands above the table and beside the row.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from commonground.simulate.uk_policies import UNLAWFUL

NAN = float("nan")
BASELINE = "do nothing"
HEADLINE = "new.dissimilarity"
COLUMNS = {"new.dissimilarity": "new homes D", "block.dissimilarity": "block D", "neighbourhood.dissimilarity":
           "neighbourhood D", "block.theil_h": "block H", "block.isolation.White": "White isolation (block)",
           "block.isolation.Asian": "Asian isolation (block)", "block.isolation.Black": "Black isolation (block)",
           "left_unhoused": "left unhoused (yr)",
           "uk.new_homes_empty": "new homes empty (yr)"}


def is_ethnic_cap(policy: str) -> bool:
    return "ethnic" in policy.lower() or "unlawful" in policy.lower()


def options_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per authority, scenario and policy at the last year: headline metrics (mean, q05, q95) and
    the change in new-home D against doing nothing."""
    last = summary[summary["year"] == summary["year"].max()]
    keys = ["authority", "scenario", "policy"]
    rows = []
    for key, d in last.groupby(keys, sort=False):
        row = dict(zip(keys, key, strict=True))
        m = d.set_index("metric")
        for metric in COLUMNS:
            if metric in m.index:
                row[metric] = m.loc[metric, "mean"]
                row[f"{metric}.q05"] = m.loc[metric, "q05"]
                row[f"{metric}.q95"] = m.loc[metric, "q95"]
        wait = [m.loc[k, "mean"] for k in m.index if k.startswith("uk.wait_years.") and ".band." not in k]
        row["wait_years"] = float(pd.Series(wait).mean()) if wait else float("nan")
        rows.append(row)
    t = pd.DataFrame(rows)
    base = t[t["policy"] == BASELINE].set_index(["authority", "scenario"])[HEADLINE]
    t["change_vs_nothing"] = t[HEADLINE] - t.set_index(["authority", "scenario"]).index.map(base).to_numpy()
    return t.sort_values(["authority", "scenario", HEADLINE]).reset_index(drop=True)


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if pd.isna(x) else f"{x:.{digits}f}"


def first_screen(table: pd.DataFrame) -> str:
    """The answer, in sentences, one per authority and scenario."""
    lines = []
    for (a, s), d in table.groupby(["authority", "scenario"], sort=False):
        lawful = d[~d["policy"].map(is_ethnic_cap)]
        best = lawful.iloc[0]
        base = d[d["policy"] == BASELINE].iloc[0]
        lines.append(
            f"<li><b>{html.escape(a)}</b>, migration {html.escape(s)}: <b>{html.escape(best['policy'])}</b> keeps "
            f"new homes most mixed (new-home D {_fmt(best[HEADLINE])}, band {_fmt(best[HEADLINE + '.q05'])}–"
            f"{_fmt(best[HEADLINE + '.q95'])}; doing nothing {_fmt(base[HEADLINE])}; whole-town block D "
            f"{_fmt(best.get('block.dissimilarity', NAN))} vs {_fmt(base.get('block.dissimilarity', NAN))}"
            "), at a cost of "
            f"{_fmt(best.get('left_unhoused', float('nan')), 0)} households a year leaving unhoused "
            f"(doing nothing {_fmt(base.get('left_unhoused', float('nan')), 0)}) and "
            f"{_fmt(best.get('uk.new_homes_empty', float('nan')), 0)} new homes left empty.</li>")
    return "<ul>" + "\n".join(lines) + "</ul>"


def render(table: pd.DataFrame, title: str, notes: str = "") -> str:
    caps = table["policy"].map(is_ethnic_cap).any()
    caveat = f'<p class="caveat"><b>Lawful use.</b> {html.escape(UNLAWFUL)}</p>' if caps else ""
    head = ["authority", "scenario", "policy", *COLUMNS.values(), "wait (years)", "Δ new-home D vs nothing"]
    body = []
    for r in table.to_dict("records"):
        cells = [html.escape(str(r["authority"])), html.escape(str(r["scenario"])),
                 html.escape(str(r["policy"])) + (" <b>(unlawful to allocate by: analysis only)</b>"
                                                  if is_ethnic_cap(str(r["policy"])) else "")]
        for metric in COLUMNS:
            key = metric
            v = r.get(key, float("nan"))
            lo, hi = r.get(f"{key}_q05", float("nan")), r.get(f"{key}_q95", float("nan"))
            digits = 0 if metric in ("left_unhoused", "uk.new_homes_empty") else 3
            cells.append(f"{_fmt(v, digits)} <small>({_fmt(lo, digits)}–{_fmt(hi, digits)})</small>")
        cells += [_fmt(r.get("wait_years", float("nan")), 2), _fmt(r["change_vs_nothing"])]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left}}
.caveat{{background:#fff3cd;border-left:4px solid #c90;padding:.6em .9em}}small{{color:#666}}</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Which options keep new homes mixed here, and at what cost?</h2>
{caveat}
{first_screen(table)}
<p>"New homes D": multigroup dissimilarity across the new blocks after 10 years (0 = every new block has the
new residents' mix; 1 = each group in its own blocks); bands: 5–95 % of replicates. Costs are last-year
counts. {notes}</p>
<h2>Every option</h2>
<table><thead><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in head)}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
<p>What is assumed and checked: docs/uk.md.</p></body></html>"""


def write_report(summary: pd.DataFrame, out: str | Path, title: str, notes: str = "") -> pd.DataFrame:
    """Write ``options.csv`` and ``report.html`` into folder ``out``; returns the table."""
    from commonground.io.atomic import atomic_file

    table = options_table(summary)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    page = render(table, title, notes)  # rendered before anything is written
    with atomic_file(folder / "options.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_file(folder / "report.html") as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return table


GB_TOWN_KINDS = ("census", "english", "uk-town")


def caps_ethnicity_on_gb_town(settings: dict) -> bool:
    """Whether a simulation's settings (simulation.json) put an ethnicity cap on a Great Britain town."""
    from commonground.errors import CommongroundError
    from commonground.policy import load_policy

    sim = settings.get("simulation", {}) if isinstance(settings, dict) else {}
    scen = sim.get("scenarios", {}) or {}
    gb = any(isinstance(p, dict) and (p.get("town") or {}).get("kind") in GB_TOWN_KINDS for p in scen.values())
    if not gb:
        return False
    for pol in sim.get("policies", []) or []:
        caps = pol.get("caps") if isinstance(pol, dict) else None
        if not caps:
            continue
        try:
            if any(c.attribute == "ethnicity" for c in load_policy(caps).caps):
                return True
        except (CommongroundError, OSError):  # a policy file no longer there: say it, to be safe
            return True
    return False


def lawful_use_section(settings: dict):
    """A report section with :data:`UNLAWFUL`, or None when no ethnicity cap is on a GB town."""
    if not caps_ethnicity_on_gb_town(settings):
        return None
    from commonground.report.page import Section
    from commonground.report.tables import paragraph

    return Section("Lawful use").add(paragraph(UNLAWFUL, "caution"))
