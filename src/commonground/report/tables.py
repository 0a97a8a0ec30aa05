"""DataFrames as HTML tables: numbers right-aligned and formatted for reading (shares as %, counts with commas).

Long tables show their first rows with a note saying how many there are and which file holds all of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

#: Columns shown as percentages wherever they appear.
PERCENT_COLUMNS = {"share", "share_before", "share_limit", "cap", "utilisation", "share_housed", "share housed",
                   "share of applicants", "share_of_optimum"}
MAX_ROWS = 200
#: Tables with more columns than this get the ``wide`` class (a smaller print font).
WIDE_COLUMNS = 9


def as_float(v: object) -> float:
    """A summary value as a float; NaN for a missing or non-numeric one (an older run's summary may lack it)."""
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def fmt_number(x: object, *, percent: bool = False, digits: int = 3) -> str:
    """One cell: ``1,234`` for integers, 3 significant decimals for reals, ``12.5%`` for shares, blank for NaN."""
    if x is None or x is pd.NA or x is pd.NaT:
        return ""
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    if isinstance(x, float | np.floating):
        v = float(x)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if percent:
            return f"{v:.1%}"
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 1000:
            return f"{v:,.1f}"
        return f"{v:.{digits}g}" if abs(v) < 1e-3 else f"{v:,.{digits}f}".rstrip("0").rstrip(".")
    return str(x)


def html_table(df: pd.DataFrame, *, caption: str = "", index: bool = False, max_rows: int = MAX_ROWS,
               full_source: str = "", formats: Mapping[str, Callable[[Any], str]] | None = None,
               percent: set[str] | frozenset[str] = frozenset(), css_class: str = "") -> Markup:
    """Render ``df`` (optionally with its index as the first columns) as an escaped HTML table."""
    if index:
        df = df.reset_index()
    formats = dict(formats or {})
    pct = PERCENT_COLUMNS | set(percent)
    n = len(df)
    shown = df.head(max_rows)
    numeric = {c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in df.columns}
    if len(df.columns) > WIDE_COLUMNS:  # printed smaller so no column is lost on paper
        css_class = f"{css_class} wide".strip()
    out = [f'<div class="table-wrap"><table class="{escape(css_class)}">']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{" class=num" if numeric[c] else ""}>{escape(str(c).replace("_", " "))}</th>'
        for c in df.columns) + "</tr></thead><tbody>")
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(df.columns, row, strict=True):
            if c in formats:
                text = formats[c](v)
            elif _is_ratio(c) and isinstance(v, float | np.floating) and not math.isnan(v):
                text = f"{float(v):.4f}"
            else:
                text = fmt_number(v, percent=str(c).split(":")[0] in pct or str(c).startswith("utilisation"))
            cells.append(f'<td class="num">{escape(text)}</td>' if numeric[c] else f"<td>{escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if n > len(shown):
        where = f"; all of them are in {escape(full_source)}" if full_source else ""
        out.append(f'<p class="note">Showing the first {len(shown):,} of {n:,} rows{where}.</p>')
    return Markup("".join(out))


def _is_ratio(column: object) -> bool:
    """Ratios close to 1 (the price of diversity) need four decimals to show a difference."""
    return "price of diversity" in str(column).replace("_", " ")


def key_numbers(items: Mapping[str, object]) -> Markup:
    """Headline figures as a row of cards (label above, value below); ``None`` values are left out."""
    cards = []
    for label, value in items.items():
        if value is None:
            continue
        text = value if isinstance(value, str) else fmt_number(value)
        cards.append(f'<div class="card"><div class="label">{escape(label)}</div>'
                     f'<div class="value">{escape(text)}</div></div>')
    return Markup('<div class="cards">' + "".join(cards) + "</div>")


def definition_list(items: Mapping[str, object]) -> Markup:
    """Parameters (e.g. a run's settings) as a compact two-column list."""
    rows = "".join(f"<dt>{escape(str(k))}</dt><dd>{escape(v if isinstance(v, str) else fmt_number(v))}</dd>"
                   for k, v in items.items())
    return Markup(f'<dl class="params">{rows}</dl>')


def paragraph(text: str, css_class: str = "") -> Markup:
    cls = f' class="{escape(css_class)}"' if css_class else ""
    return Markup(f"<p{cls}>{escape(text)}</p>")


def details(summary: str, body: Markup) -> Markup:
    """A collapsed block (no script needed) for long tables."""
    return Markup(f"<details><summary>{escape(summary)}</summary>{body}</details>")
