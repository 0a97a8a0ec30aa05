"""The "who lost and who gained a home" section: the displaced-households table of :mod:`.displaced` on the page,
with its breakdowns by group, priority band and waiting time, and the full table downloadable as CSV.

For a UK policy it is titled as the equality impact evidence (Equality Act 2010 s.149, the public sector
equality duty); otherwise as an audit table of every changed outcome (HDB-style use).
"""

from __future__ import annotations

import base64
from html import escape

from markupsafe import Markup

from commonground.report.data import AllocationData
from commonground.report.displaced import GAINED, LOST, MOVED, displaced_households, impact_by, impact_columns
from commonground.report.page import Section
from commonground.report.tables import details, html_table, paragraph
from commonground.report.verdict import pairs

#: The CSV is embedded as a data: link up to this size; beyond it the page says how to get the table.
MAX_EMBEDDED_CSV = 8_000_000
CSV_NAME = "displaced.csv"


def is_uk(r: AllocationData) -> bool:
    policy = str(r.summary.get("policy") or "").lower()
    return policy.startswith("uk") or ",uk" in policy


def csv_link(df, name: str = CSV_NAME) -> Markup:
    """A download link carrying the table as a data: URI (the page stays self-contained)."""
    data = df.to_csv(index=False).encode("utf-8")
    if len(data) > MAX_EMBEDDED_CSV:
        return paragraph(f"The full table ({len(df):,} rows) is too large to embed; compute it with "
                         "commonground.report.displaced.displaced_households.", "note")
    href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(data).decode("ascii")
    return Markup(f'<p><a class="download" download="{escape(name)}" href="{href}">Download {escape(name)}</a> '
                  f"({len(df):,} rows: every household whose outcome changed)</p>")


def impact_section(results: list[AllocationData]) -> Section:
    sec = Section("Who lost and who gained a home")
    done = [p for p in pairs(results) if p.baseline is not None]
    if not done:
        return sec
    uk = is_uk(done[0].capped)
    sec.intro = (("Equality impact: the same applicants in the same queue with and without the caps, household by "
                  "household. A UK public body deciding on such a policy must have due regard to the public sector "
                  "equality duty (Equality Act 2010 s.149); these are the outcomes by protected characteristic, "
                  "band and waiting time that an equality impact assessment needs. In Great Britain ethnicity caps "
                  "are for analysis only.") if uk else
                 ("Audit table: the same applicants in the same queue with and without the caps, household by "
                  "household — who lost a home because of the caps, who gained one, and who got a different "
                  "block, by group, priority band and waiting time."))
    for pair in done:
        c, b = pair.capped, pair.baseline
        assert b is not None
        if len(done) > 1:
            sec.add(Markup(f"<h3>{escape(c.label)} vs {escape(b.label)}</h3>"))
        d = displaced_households(c.households, b.households, c.attributes)
        counts = d["change"].value_counts()
        sec.add(paragraph(f"{int(counts.get(LOST, 0)):,} households lost a home because of the caps, "
                          f"{int(counts.get(GAINED, 0)):,} gained one and {int(counts.get(MOVED, 0)):,} were housed "
                          "either way but in a different block."))
        if "queue_position" in c.households.columns and "queue_position" in b.households.columns:
            q = c.households[["household_id", "queue_position"]].merge(
                b.households[["household_id", "queue_position"]], on="household_id")
            differ = int((q["queue_position_x"].astype("Float64") != q["queue_position_y"].astype("Float64"))
                         .fillna(True).sum())
            if differ:
                sec.add(paragraph(f"The queues differ for {differ:,} households, so part of the difference is the "
                                  "queue, not the caps.", "warn"))
        columns = impact_columns(c.households, c.attributes)
        for col in columns:
            t = impact_by(c.households, b.households, col)
            sec.add(html_table(t, caption=f"Outcomes by {col}",
                               percent={"share housed without caps", "share housed with caps"}))
        if "waiting band" not in columns:
            sec.add(paragraph("The applicants have no waiting times (waiting_days in the households file), so "
                              "outcomes by waiting time are not shown.", "note"))
        sec.add(csv_link(d))
        sec.add(details(f"Every household whose outcome changed ({len(d):,})", html_table(d, full_source=CSV_NAME)))
    return sec
