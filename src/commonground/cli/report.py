"""``commonground report DIR``: a self-contained HTML report for an output folder."""

from __future__ import annotations

from pathlib import Path

import typer

from commonground.cli.common import console, err_console, guarded, renamed


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


@guarded
def report_command(
    path: Path = typer.Argument(..., help="Allocation, demo, measurement, price-of-diversity or simulation output "
                                          "folder (or a measurement table file)"),
    to: Path | None = typer.Option(None, "--to", "-o", help="HTML file to write (default: DIR/report.html)"),
    old_out: Path | None = typer.Option(None, "--out", hidden=True, help="Old name of --to."),
) -> None:
    """Write a self-contained HTML report (key numbers, tables and plots) for an output folder."""
    out = renamed("--out FILE", "--to FILE", old_out, to)
    from commonground import extras

    extras.require("report", "commonground report")
    import time

    from rich.markup import escape

    from commonground.report import write_report

    t0 = time.monotonic()
    with err_console.status("report: starting") as status:
        written = write_report(path, out, on_stage=lambda text: status.update(escape(f"report: {text}")))
    console.print(f"wrote {written} ({time.monotonic() - t0:.1f} s)", markup=False)
