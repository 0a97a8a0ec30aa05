"""Measurement reports: segregation and diversity index tables as ``commonground measure --out`` writes them.

Two shapes are read, as :func:`commonground.measure.measure` produces them: *wide* (one row per region,
columns ``index`` for multigroup indices and ``index[group]`` for single-group ones) and *tidy* (columns
``index``, ``value``, optionally ``group`` and any others naming the region, level, file, ...). Both are
brought to the tidy shape and shown as one table of multigroup indices and one table per single-group index.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from markupsafe import Markup
from matplotlib.figure import Figure

from commonground.errors import InputError
from commonground.io import schema
from commonground.io.tables import read_table
from commonground.report.figures import colours, figure_block, hbars, new_figure, style_axes
from commonground.report.page import Section
from commonground.report.tables import details, html_table

_COLUMN = re.compile(r"^(?P<index>[A-Za-z_][\w ]*?)(?:\[(?P<group>.*)\])?$")
#: Up to this many regions the multigroup indices are also drawn.
MAX_CHART_ROWS = 40


def known_indices() -> dict[str, str]:
    """Index name -> description, from :mod:`commonground.measure`."""
    from commonground.measure import INDICES

    return {name: spec.description for name, spec in INDICES.items()}


def _columns(path: Path) -> list[str]:
    try:
        if path.suffix.lower() == ".parquet":
            return list(pq.read_schema(path).names)
        return list(pd.read_csv(path, nrows=0).columns)
    except Exception:
        return []


def is_index_table(path: Path) -> bool:
    """A tidy table (``index`` and ``value`` columns) or a wide one with columns named after known indices."""
    cols = _columns(path)
    if {"index", "value"} <= set(cols):
        return True
    names = known_indices()
    return any((m := _COLUMN.match(str(c))) and m.group("index") in names for c in cols)


def read_index_table(path: Path) -> pd.DataFrame:
    """The table in tidy form: label columns..., ``index``, ``group`` ("" for multigroup), ``value``."""
    df = read_table(path, text=())  # numbers stay numbers; errors name the file and line
    if not isinstance(df.index, pd.RangeIndex):  # Parquet keeps the region labels as the index
        df = df.reset_index()
    df = df.drop(columns=[schema.NOTES_COLUMN], errors="ignore")  # explains blank cells; not a label
    if {"index", "value"} <= set(df.columns):
        tidy = df.copy()
        if "group" not in tidy.columns:
            tidy["group"] = ""
    else:
        names = known_indices()
        value_cols = [c for c in df.columns if (m := _COLUMN.match(str(c))) and m.group("index") in names]
        labels = [c for c in df.columns if c not in value_cols]
        if not value_cols:
            raise InputError("no index columns found", source=str(path))
        if not labels:
            df = df.reset_index(names="row")
            labels = ["row"]
        tidy = df.melt(id_vars=labels, value_vars=value_cols, var_name="column", value_name="value")
        parts = tidy["column"].astype(str).str.extract(_COLUMN)
        tidy = tidy.drop(columns="column").assign(index=parts["index"], group=parts["group"].fillna(""))
    tidy["group"] = tidy["group"].fillna("").astype(str)
    tidy["index"] = tidy["index"].astype(str)
    tidy["value"] = pd.to_numeric(tidy["value"], errors="coerce")
    return tidy


def label_columns(tidy: pd.DataFrame) -> list[str]:
    return [c for c in tidy.columns if c not in ("index", "group", "value")]


def multigroup_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """Rows: each labelled unit of analysis (region, level, ...); columns: the multigroup indices."""
    multi = tidy[tidy["group"] == ""]
    labels = label_columns(tidy)
    if multi.empty:
        return pd.DataFrame()
    if not labels:
        return multi.set_index("index")[["value"]].T
    return multi.pivot_table(index=labels, columns="index", values="value", sort=False, aggfunc="first")


def single_group_tables(tidy: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per single-group index: rows as :func:`multigroup_table`, columns the groups."""
    single = tidy[tidy["group"] != ""]
    labels = label_columns(tidy)
    out = {}
    for name, sub in single.groupby("index", sort=False):
        if labels:
            out[str(name)] = sub.pivot_table(index=labels, columns="group", values="value", sort=False,
                                             aggfunc="first")
        else:
            out[str(name)] = sub.set_index("group")[["value"]].T
    return out


def multigroup_figure(table: pd.DataFrame) -> Figure | None:
    """One panel per multigroup index, one bar per row of the table."""
    if table.empty or len(table) > MAX_CHART_ROWS or len(table) < 1:
        return None
    cols = [c for c in table.columns if table[c].notna().any()][:8]
    if not cols:
        return None
    rows = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in table.index]
    ncols = min(4, len(cols))
    nrows = -(-len(cols) // ncols)
    fig = new_figure(2.4 * ncols + 1.5, (0.5 + 0.2 * len(rows)) * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    col = colours(cols)
    for i, c in enumerate(cols):
        ax = axes[i // ncols, i % ncols]
        style_axes(ax)
        hbars(ax, np.arange(len(rows)), table[c].to_numpy(dtype=float), color=col[c])
        ax.set_yticks(np.arange(len(rows)), rows, fontsize=7)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_title(c, fontsize=8, loc="left")
    for j in range(len(cols), nrows * ncols):
        axes[j // ncols, j % ncols].set_visible(False)
    return fig


#: Ranked charts show this many units at each end.
RANKED = 15
#: The order of preference for the index a large table is ranked by.
RANK_BY = ("theil_h", "multi_dissimilarity", "multi_gini", "normalized_exposure")
#: Tables up to this many rows are embedded whole (searchable and paged on screen, whole in print).
MAX_EMBEDDED_ROWS = 5000


def rank_index(table: pd.DataFrame) -> str | None:
    """The multigroup index a large table is ranked by (Theil's H if present)."""
    for name in (*RANK_BY, *table.columns):
        if name in table.columns and table[name].notna().any():
            return str(name)
    return None


def ranked_figure(table: pd.DataFrame, index: str, description: str) -> Figure:
    """The most and least segregated units by ``index`` (bars) and the distribution over all units."""
    v = table[index].dropna().sort_values(ascending=False)
    rows = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in v.index]
    k = min(RANKED, len(v) // 2)
    fig = new_figure(11, 0.8 + 0.2 * k)
    ax_hi, ax_lo, ax_d = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
    for ax, sl, title, colour in ((ax_hi, slice(0, k), f"{k} highest", "#D55E00"),
                                  (ax_lo, slice(len(v) - k, len(v)), f"{k} lowest", "#0072B2")):
        style_axes(ax)
        vals = v.to_numpy()[sl]
        hbars(ax, np.arange(len(vals)), vals, color=colour)
        ax.set_yticks(np.arange(len(vals)), rows[sl], fontsize=7)
        ax.set_ylim(len(vals) - 0.5, -0.5)
        ax.set_title(f"{title} {index}", fontsize=8, loc="left")
        ax.set_xlim(0, float(v.max()) * 1.05 or 1)
    style_axes(ax_d)
    ax_d.hist(v.to_numpy(), bins=min(40, max(10, len(v) // 8)), color="#999999")
    ax_d.axvline(float(v.median()), color="#000000", linewidth=1, linestyle="--")
    ax_d.set_title(f"all {len(v):,}: distribution (dashed: median {float(v.median()):.3f})", fontsize=8, loc="left")
    ax_d.set_xlabel(f"{index} ({description})", fontsize=8)
    ax_d.set_ylabel("units", fontsize=8)
    return fig


def searchable(table_html: Markup) -> Markup:
    """Mark a table for the page script: a search box and pages on screen, every row in print."""
    return Markup(str(table_html).replace('<div class="table-wrap">', '<div class="table-wrap" data-paged>', 1))


def index_value(v: object) -> str:
    """Index values with three decimals (blank where undefined)."""
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    return "" if np.isnan(f) else f"{f:.3f}"


def measurement_sections(tidy: pd.DataFrame, name: str, *, several: bool = False) -> list[Section]:
    desc = known_indices()
    suffix = f" ({name})" if several else ""
    multi = multigroup_table(tidy)
    secs = []
    head = Section(f"Multigroup indices{suffix}")
    head.intro = ("One value per unit of analysis: segregation indices are 0 when every areal unit has the "
                  "composition of the whole and 1 under complete segregation; diversity indices grow with the "
                  "number and evenness of groups.")
    large = len(multi) > MAX_CHART_ROWS
    by = rank_index(multi) if not multi.empty else None
    if large and by is not None:  # ranked, never the first rows alphabetically
        multi = multi.sort_values(by, ascending=False, kind="stable")
    if not multi.empty:
        legend = {c: desc[c] for c in multi.columns if c in desc}
        fig = multigroup_figure(multi)
        if fig is not None:
            head.add(figure_block(fig, "Multigroup indices: " + "; ".join(f"{k} = {v}" for k, v in legend.items())
                                  if legend else "Multigroup indices."))
        if large and by is not None and multi[by].notna().sum() >= 4:
            head.add(figure_block(ranked_figure(multi, by, desc.get(by, by)),
                                  f"The most and least segregated of {len(multi):,} units by {desc.get(by, by)}, "
                                  "and the distribution over all of them."))
        table = html_table(multi, index=True, full_source=name, formats=dict.fromkeys(multi.columns, index_value),
                           max_rows=MAX_EMBEDDED_ROWS if large else MAX_EMBEDDED_ROWS)
        if large:
            head.add(Markup(f'<p class="note">All {len(multi):,} units, ranked by {escape(desc.get(str(by), str(by)))} '
                            "(highest first); type in the box to search.</p>"))
            table = searchable(table)
        head.add(table)
        secs.append(head)
    singles = single_group_tables(tidy)
    if singles:
        sec = Section(f"Single-group indices{suffix}")
        sec.intro = "Each group against everyone else, per unit of analysis."
        if large and by is not None:
            sec.intro += f" Units in the same order as above (by {desc.get(by, by)}, highest first)."
        for idx, table in singles.items():
            if large and by is not None:
                table = table.reindex([i for i in multi.index if i in table.index])
            caption = f"{idx}: {desc[idx]}" if idx in desc else idx
            body = html_table(table, index=True, caption=caption, full_source=name,
                              formats=dict.fromkeys(table.columns, index_value), max_rows=MAX_EMBEDDED_ROWS)
            sec.add(details(f"{caption} ({len(table):,} units)", searchable(body)) if large else body)
        secs.append(sec)
    if not secs:
        secs.append(Section(f"Index table{suffix}").add(html_table(tidy, full_source=name)))
    return secs
