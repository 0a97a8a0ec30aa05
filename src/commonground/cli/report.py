"""``commonground report DIR``: a self-contained HTML report for an output folder."""

from __future__ import annotations

from pathlib import Path

import typer

from commonground.cli.common import console, guarded, renamed


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
    from commonground.report import write_report

    written = write_report(path, out)
    console.print(f"wrote {written}", markup=False)
