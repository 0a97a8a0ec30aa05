"""Simulation reports: index trajectories over the years with uncertainty bands across replicates.

The charts come from :mod:`commonground.report.sim_charts`, which also draws ``simulate``'s own PNG files.

Reads the tidy table ``results.parquet`` (or ``results.csv``) with columns scenario, policy, replicate, year,
metric, value; ``summary.csv`` and ``simulation.json`` are shown as they are when present. Which files are
present is what the folder's ``manifest.json`` lists (:mod:`commonground.io.schema`), not what lies there.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from commonground.errors import InputError
from commonground.io import schema
from commonground.io.schema import read_manifest
from commonground.io.tables import read_table
from commonground.report.figures import figure_block
from commonground.report.page import Section
from commonground.report.sim_charts import BAND, bands, metric_families, trajectory_figure
from commonground.report.tables import definition_list, details, html_table, paragraph

RESULT_COLUMNS = schema.SIM_RESULTS.columns
MAX_METRIC_FIGURES = 12
MAX_OTHER_FIGURES = 4
MAX_OTHER_MEMBERS = 6


def read_results(folder: Path) -> tuple[pd.DataFrame | None, Path | None]:
    """The tidy results table (validated), or (None, None) when the folder's manifest lists none."""
    manifest = read_manifest(folder, verify=False)  # verified when the folder was opened
    for name in (schema.SIM_RESULTS.parquet, schema.SIM_RESULTS.csv):
        if not manifest.has(name):
            continue
        path = manifest.path(name)
        df = read_table(path, text=("scenario", "policy", "metric"), table=schema.SIM_RESULTS)
        missing = [c for c in RESULT_COLUMNS if c not in df.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)} (a simulation results table has "
                             f"{', '.join(RESULT_COLUMNS)})", source=str(path))
        for c in ("scenario", "policy", "metric"):
            df[c] = df[c].astype(str)
        return df, path
    return None, None


def is_index_metric(metric: str) -> bool:
    """Metrics named after a segregation or diversity index (``block.theil_h``, ``block.isolation.Malay``)."""
    from commonground.measure import INDICES

    names = set(INDICES) | {"dissimilarity", "theil_h", "isolation", "exposure", "similar_share"}
    return any(part in names for part in metric.split("."))


def _add_families(sec: Section, b: pd.DataFrame, metrics: list[str], max_figures: int, band: str, *,
                  max_members: int = 12) -> None:
    fams = metric_families(metrics)
    for k, (fam, members) in enumerate(fams.items()):
        if k >= max_figures:
            sec.add(paragraph(f"{len(fams) - k} more groups of metrics are in the table below.", "note"))
            break
        title = fam or "totals"
        shown = members[:max_members]
        sec.add(f"<h3>{_esc(title)}</h3>",
                figure_block(trajectory_figure(b, shown, fam), f"{title}: median and {band} band by year"
                             + (f" (first {len(shown)} of {len(members)})." if len(shown) < len(members) else ".")))


def final_year_table(b: pd.DataFrame) -> pd.DataFrame:
    """Rows: metrics; columns: scenario / policy; cells: median [p5, p95] in each run's last year."""
    last = b[b["year"] == b.groupby(["scenario", "policy", "metric"])["year"].transform("max")]
    cell = last.apply(lambda r: f"{_num(r['median'])} [{_num(r['low'])}, {_num(r['high'])}]", axis=1)
    last = last.assign(cell=cell, run=last["scenario"] + " / " + last["policy"])
    wide = last.pivot_table(index="metric", columns="run", values="cell", aggfunc="first", sort=False)
    wide.columns.name = None
    return wide


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def simulation_sections(folder: Path) -> list[Section]:
    results, path = read_results(folder)
    settings = _read_json(folder / schema.SIM_JSON)
    secs = []
    if results is not None:
        b = bands(results)
        n_rep = results.groupby(["scenario", "policy"])["replicate"].nunique()
        metrics = list(dict.fromkeys(results["metric"]))
        head = Section("Simulation at a glance").add(definition_list({
            "scenarios": ", ".join(dict.fromkeys(results["scenario"])),
            "policies": ", ".join(dict.fromkeys(results["policy"])),
            "metrics": f"{len(metrics)}",
            "years": f"{_year(results['year'].min())} to {_year(results['year'].max())}",
            "replicates per scenario and policy": (str(int(n_rep.min())) if n_rep.min() == n_rep.max()
                                                   else f"{int(n_rep.min())} to {int(n_rep.max())}"),
            "rows": f"{len(results):,}" + (f" (in {path.name})" if path is not None else "")}))
        from commonground.report.sim_verdict import simulation_verdict_section

        secs.append(simulation_verdict_section(results))
        from commonground.report.uk import lawful_use_section  # ethnicity caps on a GB town: analysis only

        secs.extend(x for x in [lawful_use_section(settings)] if x is not None)
        secs.append(head)
        indices = [m for m in metrics if is_index_metric(m)]
        others = [m for m in metrics if m not in indices]
        if not indices:  # e.g. a Schelling run: its metrics are the trajectories to show
            indices, others = metrics, []
        band = f"{BAND[0]:.0%}–{BAND[1]:.0%}"
        traj = Section("Index trajectories")
        traj.intro = (f"Lines are medians across replicates; bands span the {band} quantiles across replicates, "
                      "one colour per policy" + (" and one line style per scenario." if len(n_rep) > 1 else "."))
        if int(n_rep.max()) < 2:
            traj.add(paragraph("Only one replicate per scenario and policy: there is no band to draw.", "note"))
        _add_families(traj, b, indices, MAX_METRIC_FIGURES, band)
        secs.append(traj)
        if others:
            other = Section("Other metrics over time", intro="The first metrics of each kind; every metric's last "
                                                               "year is in the table below.")
            _add_families(other, b, others, MAX_OTHER_FIGURES, band, max_members=MAX_OTHER_MEMBERS)
            secs.append(other)
        final = final_year_table(b)
        last = Section("Final year", intro=f"Each metric in the last simulated year: median [{BAND[0]:.0%}, "
                                           f"{BAND[1]:.0%} quantiles] across replicates.")
        last.add(html_table(final.loc[[m for m in final.index if m in indices]], index=True))
        if others:
            last.add(details(f"The other {len(others)} metrics",
                             html_table(final.loc[[m for m in final.index if m in others]], index=True)))
        secs.append(last)
    if read_manifest(folder, verify=False).has(schema.SIM_SUMMARY.csv):
        summary = read_table(folder / schema.SIM_SUMMARY.csv, text=("scenario", "policy", "metric"), empty_ok=True)
        body = html_table(summary, full_source="summary.csv")
        secs.append(Section("Summary table", intro="summary.csv as written by the simulation.")
                    .add(details(f"summary.csv ({len(summary):,} rows)", body) if len(summary) > 30 else body))
    if settings:
        flat = flatten(settings)
        body = definition_list(flat)
        secs.append(Section("Simulation settings").add(
            details(f"All {len(flat)} settings (simulation.json)", body) if len(flat) > 24 else body))
    return secs


def flatten(d: dict, prefix: str = "") -> dict[str, object]:
    """Nested settings as ``a.b: value`` pairs (lists joined with commas)."""
    out: dict[str, object] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list):
            out[key] = ", ".join(json.dumps(x) if isinstance(x, dict | list) else str(x) for x in v)
        else:
            out[key] = v if isinstance(v, int | float) and not isinstance(v, bool) else str(v)
    return out


def _read_json(path: Path) -> dict:
    if not read_manifest(path.parent, verify=False).has(path.name):
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e.msg})", source=str(path), row=e.lineno) from None
    return data if isinstance(data, dict) else {"value": data}


def _year(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _esc(s: str) -> str:
    from html import escape
    return escape(s)
