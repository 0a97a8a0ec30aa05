"""``commonground demo``: the built-in BTO scenario with and without the caps, side by side."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from commonground.cli.choices import SCENARIO_NAMES
from commonground.cli.common import console, guarded, progress


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


@guarded
def demo_command(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for inputs, results and the report"),
    scenario: str = typer.Option("sg-bto", "--scenario", help=f"Built-in scenario: {', '.join(SCENARIO_NAMES)}"),
    seed: int = typer.Option(0, "--seed", help="Ballot seed"),
    mechanism: str = typer.Option("", "--mechanism", help="Mechanism (default: the scenario's own)"),
) -> None:
    """Run a built-in scenario with and without its integration caps and print a side-by-side summary."""
    from commonground.allocate import allocate
    from commonground.cli.summary import summary_table
    from commonground.scenarios import get_scenario

    sc = get_scenario(scenario)
    mech = mechanism or sc.mechanism
    runs = {"with caps": sc.policy, "without caps": sc.policy.without_caps()}
    results = {}
    with progress() as bar:
        task = bar.add_task("allocating", total=len(runs) + 2)
        sc.write_inputs(out / "inputs")
        bar.advance(task)
        for label, pol in runs.items():
            results[label] = allocate(sc.problem, pol, mech, seed=seed)
            results[label].write(out / label.replace(" ", "-"))
            bar.advance(task)
        _report(out, results)
        bar.advance(task)
    console.print(f"[bold]{sc.name}[/]: {sc.description}")
    console.print(summary_table(results, title=f"{mech}, seed {seed}: policy {sc.policy.name} vs no caps"))
    (out / "demo.json").write_text(json.dumps({k: v.summary() for k, v in results.items()}, indent=2,
                                              default=str) + "\n")
    console.print(f"wrote {out}/with-caps/, {out}/without-caps/, {out}/inputs/ and {out}/demo.json")


def _report(out: Path, results: dict) -> None:
    """Write the HTML report, or say in one line that it needs the [report] extra."""
    from commonground import extras

    if not extras.has("report"):
        console.print("no report.html: the report needs the [report] extra: pip install 'commonground[report]'",
                      highlight=False, markup=False)
        return
    from commonground.report import write_comparison_report

    path = write_comparison_report(results, out / "report.html")
    console.print(f"report: {path}")
