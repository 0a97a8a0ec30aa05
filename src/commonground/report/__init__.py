"""Self-contained HTML reports for allocation, measurement, price-of-diversity and simulation outputs.

* :func:`render_report` / :func:`write_report` -- the report for an output folder (or a measurement table),
  whatever it holds (detected by the files present, see :mod:`.detect`);
* :func:`write_comparison_report` -- allocations held in memory side by side (``commonground demo``).

Pages carry their CSS inline and their plots as inline SVG: they open offline and fetch nothing.
"""

from commonground.report.api import (
    comparison_page,
    render_comparison_report,
    render_report,
    write_comparison_report,
    write_report,
)
from commonground.report.detect import EXPECTED, inspect_output

__all__ = ["EXPECTED", "comparison_page", "inspect_output", "render_comparison_report", "render_report",
           "write_comparison_report", "write_report"]
