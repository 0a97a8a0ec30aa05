"""Who lost and who gained a home because of the caps: the same applicants with and without them, household by
household.

Two allocation tables (``allocation.csv``) of the same problem — one under the caps, one the baseline (the
same mechanism and queue without caps) — are joined on ``household_id``. A household *lost a home* when the
baseline housed it and the capped run did not, *gained a home* in the opposite case, and *moved* when both
housed it in different blocks. The summaries count these by group, by priority band and by waiting time, so a
UK public body has the table an equality impact assessment needs (Equality Act 2010 s.149, the public sector
equality duty) and an HDB-style user has an audit table of every changed outcome.

Columns beyond the required ``household_id``, ``status`` and ``block_id`` are used when present: household
attributes (the group columns), ``priority`` (band), ``waiting_days``, ``queue_position``, ``reason``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOST, GAINED, MOVED = "lost a home", "gained a home", "moved block"
#: Waiting-time bands (days, left-closed) used when ``waiting_days`` is present.
WAIT_EDGES = (0, 365, 2 * 365, 5 * 365, np.inf)
WAIT_LABELS = ("under 1 year", "1-2 years", "2-5 years", "5 years or more")


def _housed(df: pd.DataFrame) -> pd.Series:
    return df["status"].astype(str).eq("allocated")


def displaced_households(capped: pd.DataFrame, baseline: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    """One row per household whose outcome differs between ``baseline`` (no caps) and ``capped``: change (lost a
    home / gained a home / moved block), its groups, band, waiting time, queue position and both outcomes.
    Sorted by change, then queue position."""
    keep = ["household_id", *[a for a in attributes if a in capped.columns],
            *[c for c in ("priority", "waiting_days", "queue_position") if c in capped.columns]]
    left = capped[keep].copy()
    left["housed with caps"] = _housed(capped).to_numpy()
    left["block with caps"] = capped["block_id"].to_numpy()
    if "reason" in capped.columns:
        left["reason with caps"] = capped["reason"].fillna("").astype(str).to_numpy()
    right = pd.DataFrame({"household_id": baseline["household_id"].to_numpy(),
                          "housed without caps": _housed(baseline).to_numpy(),
                          "block without caps": baseline["block_id"].to_numpy()})
    m = left.merge(right, on="household_id", how="inner", validate="one_to_one")
    hc, hb = m["housed with caps"], m["housed without caps"]
    change = np.select([hb & ~hc, hc & ~hb, hc & hb & (m["block with caps"].astype(str)
                                                       != m["block without caps"].astype(str))],
                       [LOST, GAINED, MOVED], default="")
    m.insert(1, "change", change)
    m = m[m["change"] != ""].copy()
    order = {LOST: 0, GAINED: 1, MOVED: 2}
    sort = ["_o", "queue_position"] if "queue_position" in m.columns else ["_o"]
    m["_o"] = m["change"].map(order)
    m = m.sort_values(sort, kind="stable").drop(columns=["_o", "housed with caps", "housed without caps"])
    if "reason with caps" in m.columns:
        m.loc[m["change"] != LOST, "reason with caps"] = ""
    return m.reset_index(drop=True)


def waiting_band(days: pd.Series) -> pd.Series:
    """Waiting time in days as a band label (NaN stays NaN)."""
    d = pd.to_numeric(days, errors="coerce")
    return pd.cut(d, bins=list(WAIT_EDGES), labels=list(WAIT_LABELS), right=False).astype(object)


def impact_by(capped: pd.DataFrame, baseline: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per value of ``column`` (a group, ``priority`` or ``waiting band``): applicants, housed without and with
    caps, households that lost and gained a home, the net change and the share housed each way."""
    def key(df: pd.DataFrame) -> pd.Series:
        if column == "waiting band":
            return waiting_band(df["waiting_days"])
        return df[column].astype(str)

    base = pd.DataFrame({"household_id": baseline["household_id"].to_numpy(), "hb": _housed(baseline).to_numpy()})
    cap = pd.DataFrame({"household_id": capped["household_id"].to_numpy(), "hc": _housed(capped).to_numpy(),
                        column: key(capped).to_numpy()})
    m = cap.merge(base, on="household_id", validate="one_to_one")
    g = m.groupby(column, sort=True, dropna=True)
    out = pd.DataFrame({
        "applicants": g.size(),
        "housed without caps": g["hb"].sum(),
        "housed with caps": g["hc"].sum(),
        "lost a home": g.apply(lambda d: int((d["hb"] & ~d["hc"]).sum()), include_groups=False),
        "gained a home": g.apply(lambda d: int((d["hc"] & ~d["hb"]).sum()), include_groups=False),
    })
    out["net change"] = out["housed with caps"] - out["housed without caps"]
    out["share housed without caps"] = out["housed without caps"] / out["applicants"]
    out["share housed with caps"] = out["housed with caps"] / out["applicants"]
    if column == "waiting band":
        out = out.reindex([w for w in WAIT_LABELS if w in out.index])
    return out.rename_axis(column).reset_index()


def impact_columns(capped: pd.DataFrame, attributes: list[str]) -> list[str]:
    """The columns the impact is broken down by: each group attribute, the priority band, the waiting band."""
    cols = [a for a in attributes if a in capped.columns]
    if "priority" in capped.columns and capped["priority"].nunique() > 1:
        cols.append("priority")
    if "waiting_days" in capped.columns and pd.to_numeric(capped["waiting_days"], errors="coerce").notna().any():
        cols.append("waiting band")
    return cols
