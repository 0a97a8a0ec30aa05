"""What a CSV download looks like: formula-safe for spreadsheets, and with small counts suppressed for
household tokens.

* **Formula injection.** A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
  run as a formula by a spreadsheet program (OWASP "CSV injection"). Such cells are prefixed with ``'`` unless
  they are plain numbers (``-1.5`` stays a number). Applied to every CSV the server sends; the stored files
  and the re-run check are unchanged.
* **Small counts.** What a household token may download or see (``composition.csv``, ``caps.csv``,
  ``groups.csv``, ``summary.json``'s groups and skip reasons, a run's summary in the API, and the run page)
  has every count from 1 to ``threshold - 1`` blanked, with the shares and figures derived from it (the
  threshold rule of statistical disclosure control; the threshold is
  :data:`commonground.service.settings.SMALL_COUNT_THRESHOLD`). Zero counts are shown. This is primary
  suppression only: totals elsewhere can narrow a blanked cell down.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re

import pandas as pd

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
SUPPRESSED_NOTE = "small counts (1 to {k}) suppressed for household tokens"

#: Per household-visible file: groups of columns blanked together, each keyed by the count that decides.
SUPPRESS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "composition.csv": [("count", ("count", "share")), ("count_before", ("count_before", "share_before"))],
    "caps.csv": [("count", ("count", "utilisation", "binding"))],
    "groups.csv": [("applicants", ("applicants", "allocated", "skipped", "share_housed", "welfare",
                                   "mean_utility_housed", "mean_utility_all")),
                   ("allocated", ("allocated", "skipped", "share_housed", "welfare", "mean_utility_housed",
                                  "mean_utility_all")),
                   ("skipped", ("allocated", "skipped", "share_housed", "welfare", "mean_utility_housed",
                                "mean_utility_all"))],
}


def safe_cell(value: str) -> str:
    if value.startswith(_DANGEROUS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def formula_safe(content: bytes) -> bytes:
    """The CSV with every cell that a spreadsheet would run as a formula prefixed with ``'``."""
    text = content.decode("utf-8-sig", errors="replace")
    if not any(ch in text for ch in _DANGEROUS):
        return content
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue().encode()


def suppress_frame(name: str, df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """``df`` (a household-visible output table, all text) with small counts and what derives from them
    blanked."""
    rules = SUPPRESS.get(name)
    if not rules or df.empty:
        return df
    df = df.copy()
    for key, cols in rules:
        if key not in df.columns:
            continue
        n = pd.to_numeric(df[key], errors="coerce")
        small = (n > 0) & (n < threshold)
        for c in cols:
            if c in df.columns:
                df[c] = df[c].astype(object).where(~small, "")
    return df


def suppress_csv(name: str, content: bytes, threshold: int) -> bytes:
    if name not in SUPPRESS:
        return content
    df = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    return suppress_frame(name, df, threshold).to_csv(index=False).encode()


def _small(n, threshold: int) -> bool:
    return isinstance(n, int | float) and 0 < n < threshold


def suppress_summary(summary: dict | None, threshold: int) -> dict | None:
    """A run summary (``summary.json``) as a household token may see it: per-group figures blanked as in
    ``groups.csv``, and skip reasons with small counts blanked (``None``)."""
    if not summary:
        return summary
    out = copy.deepcopy(summary)
    for g in out.get("groups") or []:
        for key, cols in SUPPRESS["groups.csv"]:
            if _small(g.get(key), threshold):
                for c in cols:
                    if c in g:
                        g[c] = None
    if isinstance(out.get("skip_reasons"), dict):
        out["skip_reasons"] = {r: None if _small(n, threshold) else n for r, n in out["skip_reasons"].items()}
    return out


def suppress_summary_json(content: bytes, threshold: int) -> bytes:
    return json.dumps(suppress_summary(json.loads(content or b"{}"), threshold), indent=2).encode()
