"""``commonground demo``: the built-in BTO scenario with and without the caps, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from commonground.cli.choices import SCENARIO_NAMES
from commonground.cli.common import console, guarded, progress
from commonground.cli.inputs import print_notes

if TYPE_CHECKING:
    from commonground.allocate.result import Allocation
    from commonground.scenarios.base import Scenario


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


@guarded
def demo_command(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for inputs, results and the report"),
    scenario: str = typer.Option("sg-bto", "--scenario", help=f"Built-in scenario: {', '.join(SCENARIO_NAMES)}"),
    seed: int = typer.Option(0, "--seed", help="Ballot seed"),
    mechanism: str = typer.Option("", "--mechanism", help="Mechanism (default: the scenario's own)"),
    force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
) -> None:
    """Run a built-in scenario with and without its integration caps and print a side-by-side summary."""
    from commonground.allocate import allocate
    from commonground.cli.summary import summary_table
    from commonground.io import schema
    from commonground.io.atomic import check_target
    from commonground.policy.lawful import policy_caveat
    from commonground.scenarios import get_scenario

    sc = get_scenario(scenario)
    mech = mechanism or sc.mechanism
    runs = {"with caps": sc.policy, "without caps": sc.policy.without_caps()}
    check_target(out, force=force)
    results = {}
    with progress() as bar:
        task = bar.add_task("allocating", total=len(runs) + 1)
        for label, pol in runs.items():
            bar.update(task, description=f"allocating {label} ({mech})")
            results[label] = allocate(sc.problem, pol, mech, seed=seed)
            bar.advance(task)
        bar.update(task, description="writing outputs and the report (verdict, tables, charts)")
        write_comparison(out, results, scenario=sc, seed=seed, force=force)
        bar.advance(task)
    print_notes(results["with caps"])
    console.print(f"[bold]{escape(sc.name)}[/]: {escape(sc.description)}")
    console.print(summary_table(results, title=escape(f"{mech}, seed {seed}: policy {sc.policy.name} vs no caps")))
    if lawful := policy_caveat(sc.policy, scenario=sc.name):  # an ethnicity cap on a GB town (issue 13)
        console.print(f"Note: {lawful}", markup=False)
    if (out / schema.REPORT_HTML).is_file():
        console.print(f"report: {out / schema.REPORT_HTML}", markup=False)
    console.print(f"wrote {out}/with-caps/, {out}/without-caps/, {out}/inputs/, {out}/demo.json and "
                  f"{out}/manifest.json", markup=False)


def write_comparison(out: Path, results: dict[str, Allocation], *, scenario: Scenario | None = None,
                     seed: int | None = None, force: bool = False, report: bool = True) -> Path:
    """A comparison output folder: one allocation folder per label (``with caps`` -> ``with-caps/``), the
    scenario's inputs, ``demo.json``, ``report.html``; swapped in whole, its manifest naming the parts."""
    from commonground.io import schema
    from commonground.io.atomic import output_folder

    parts = {label: label.replace(" ", "-") for label in results}
    inputs = {"scenario": {"name": scenario.name}} if scenario is not None else {}
    with output_folder(out, schema.COMPARISON, force=force, seed=seed, inputs=inputs,
                       extra={"parts": parts}) as w:
        if scenario is not None:
            scenario.write_inputs(w.path / schema.INPUTS_FOLDER)
        for label, result in results.items():
            result.write(w.path / parts[label])
        if report:
            _report(w.path, results, scenario.name if scenario is not None else None)
        w.json(schema.DEMO_JSON, {k: v.summary() for k, v in results.items()})
    return Path(out)


def _report(folder: Path, results: dict, scenario: str | None = None) -> None:
    """Write the HTML report, or say in one line that it needs the [report] extra."""
    from commonground import extras
    from commonground.io import schema

    if not extras.has("report"):
        console.print("no report.html: the report needs the [report] extra: pip install 'commonground[report]'",
                      highlight=False, markup=False)
        return
    from commonground.report import write_comparison_report

    write_comparison_report(results, folder / schema.REPORT_HTML, scenario=scenario)
