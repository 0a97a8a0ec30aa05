"""``commonground report DIR``: a self-contained HTML report for an output folder."""

from __future__ import annotations

from pathlib import Path

import typer

from commonground.cli.common import console, err_console, guarded


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


@guarded
def report_command(
    path: Path = typer.Argument(..., help="Allocation, demo, measurement, price-of-diversity or simulation output "
                                          "folder (or a measurement table file)"),
    out: Path | None = typer.Option(None, "--out", help="HTML file to write (default: DIR/report.html)"),
) -> None:
    """Write a self-contained HTML report (key numbers, tables and plots) for an output folder."""
    import time

    from commonground.report.api import REPORT_NAME, write_html
    from commonground.report.detect import inspect_output
    from commonground.report.page import render_page

    t0 = time.monotonic()
    with err_console.status("report: finding the outputs") as status:
        found = inspect_output(path)
        status.update(f"report: reading the {' and '.join(found.kinds)} tables and drawing the charts")
        page = found.page(None)
        status.update(f"report: writing {len(page.sections)} sections")
        html = render_page(page)
        if out is None:
            out = path / REPORT_NAME if path.is_dir() else path.with_name(f"{path.stem}.{REPORT_NAME}")
        written = write_html(html, Path(out))
    console.print(f"wrote {written} ({time.monotonic() - t0:.1f} s)")
