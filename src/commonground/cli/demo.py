"""``commonground demo``: the built-in BTO scenario with and without the caps, side by side."""

from __future__ import annotations

from pathlib import Path

import typer

from commonground.allocate import allocate
from commonground.cli.common import console, guarded, progress
from commonground.cli.summary import summary_table
from commonground.io import schema
from commonground.io.atomic import output_folder
from commonground.scenarios import SCENARIOS, get_scenario


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


@guarded
def demo_command(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for inputs, results and the report"),
    scenario: str = typer.Option("sg-bto", "--scenario", help=f"Built-in scenario: {', '.join(SCENARIOS)}"),
    seed: int = typer.Option(0, "--seed", help="Ballot seed"),
    mechanism: str = typer.Option("", "--mechanism", help="Mechanism (default: the scenario's own)"),
    force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
) -> None:
    """Run a built-in scenario with and without its integration caps and print a side-by-side summary."""
    sc = get_scenario(scenario)
    mech = mechanism or sc.mechanism
    runs = {"with caps": sc.policy, "without caps": sc.policy.without_caps()}
    parts = {label: label.replace(" ", "-") for label in runs}
    results = {}
    with progress() as bar, output_folder(out, schema.COMPARISON, force=force, seed=seed,
                                          inputs={"scenario": {"name": sc.name}},
                                          extra={"parts": parts}) as w:
        task = bar.add_task("allocating", total=len(runs) + 2)
        sc.write_inputs(w.path / schema.INPUTS_FOLDER)
        bar.advance(task)
        for label, pol in runs.items():
            results[label] = allocate(sc.problem, pol, mech, seed=seed)
            results[label].write(w.path / parts[label])
            bar.advance(task)
        _report(w.path, results)
        bar.advance(task)
        w.json(schema.DEMO_JSON, {k: v.summary() for k, v in results.items()})
    console.print(f"[bold]{sc.name}[/]: {sc.description}")
    console.print(summary_table(results, title=f"{mech}, seed {seed}: policy {sc.policy.name} vs no caps"))
    if (out / schema.REPORT_HTML).is_file():
        console.print(f"report: {out / schema.REPORT_HTML}")
    console.print(f"wrote {out}/with-caps/, {out}/without-caps/, {out}/inputs/, {out}/demo.json and "
                  f"{out}/manifest.json")


def _report(folder: Path, results: dict) -> None:
    """Write the HTML report when the report module is available."""
    try:
        from commonground.report import write_comparison_report
    except ImportError:
        return
    write_comparison_report(results, folder / schema.REPORT_HTML)
