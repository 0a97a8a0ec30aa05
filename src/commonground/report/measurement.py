"""Measurement reports: segregation and diversity index tables as ``commonground measure --out`` writes them.

Two shapes are read, as :func:`commonground.measure.measure` produces them: *wide* (one row per region,
columns ``index`` for multigroup indices and ``index[group]`` for single-group ones) and *tidy* (columns
``index``, ``value``, optionally ``group`` and any others naming the region, level, file, ...). Both are
brought to the tidy shape and shown as one table of multigroup indices and one table per single-group index.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from commonground.errors import InputError
from commonground.io import schema
from commonground.io.tables import read_table
from commonground.report.figures import colours, figure_block, hbars, new_figure, style_axes
from commonground.report.page import Section
from commonground.report.tables import html_table

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
    if not multi.empty:
        legend = {c: desc[c] for c in multi.columns if c in desc}
        fig = multigroup_figure(multi)
        if fig is not None:
            head.add(figure_block(fig, "Multigroup indices: " + "; ".join(f"{k} = {v}" for k, v in legend.items())
                                  if legend else "Multigroup indices."))
        head.add(html_table(multi, index=True, full_source=name, formats=dict.fromkeys(multi.columns, index_value)))
        secs.append(head)
    singles = single_group_tables(tidy)
    if singles:
        sec = Section(f"Single-group indices{suffix}")
        sec.intro = "Each group against everyone else, per unit of analysis."
        for idx, table in singles.items():
            caption = f"{idx}: {desc[idx]}" if idx in desc else idx
            sec.add(html_table(table, index=True, caption=caption, full_source=name,
                               formats=dict.fromkeys(table.columns, index_value)))
        secs.append(sec)
    if not secs:
        secs.append(Section(f"Index table{suffix}").add(html_table(tidy, full_source=name)))
    return secs
