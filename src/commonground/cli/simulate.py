"""``commonground simulate``: sweep a simulation's scenarios × policies × replicates and write the results."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from commonground.cli.common import console, guarded, progress


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


@guarded
def simulate_command(
    simulation: str | None = typer.Argument(None, metavar="[SIMULATION]",
                                            help="Simulation TOML file, or a built-in simulation's name "
                                                 "(uk-migration, uk-borough; default with --town: uk-borough)"),
    out: Path = typer.Option(..., "--out", help="Output folder: results.parquet, summary.csv, plots, "
                                                "simulation.json, manifest.json (replaced as a whole)"),
    force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
    replicates: int | None = typer.Option(None, "--replicates", help="Replicates per scenario × policy "
                                                                     "(default: the file's)"),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler, e.g. "
                                                                   "tcp://10.0.0.5:8786 (default: a LocalCluster)"),
    workers: int | None = typer.Option(None, "--workers", help="LocalCluster worker processes (default: cores)"),
    in_process: bool = typer.Option(False, "--in-process", help="Run here, without Dask (same results)"),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write indices.png and market.png"),
    town: str | None = typer.Option(None, "--town", help="A real local authority, e.g. england:Bradford (needs "
                                                         "--census)"),
    census: str | None = typer.Option(None, "--census", help="Your copy of the ONS 2011 ethnic group table by "
                                                             "output area (file or folder)"),
) -> None:
    """Simulate integration over the years under each policy and write tidy results with uncertainty bands."""
    from commonground import extras
    from commonground.errors import InputError

    if not in_process:
        extras.require("sim", "commonground simulate (with Dask; --in-process runs without it)")
    if plots:
        extras.require("report", "commonground simulate's plots (--no-plots writes none)")
    from commonground.io.atomic import check_target
    from commonground.io.schema import input_fingerprints
    from commonground.simulate.run import load, run_simulation
    from commonground.simulate.sweep import make_tasks

    if in_process and scheduler:
        raise InputError("--in-process and --scheduler exclude each other")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be ≥ 1, got {workers}")
    check_target(out, force=force)
    if simulation is None and town is None:
        raise InputError("give a simulation (TOML file or built-in name) or --town england:NAME --census PATH")
    if simulation in (None, "uk-borough") or town is not None or census is not None:
        from commonground.simulate.uk_builtin import load_for_cli

        sim = load_for_cli(simulation, town, census, replicates).with_replicates(replicates)
        inputs = {"simulation": {"name": sim.name, **({"town": town} if town else {})},
                  **(input_fingerprints(simulation=simulation) if simulation and Path(simulation).is_file() else {})}
        if census is not None:
            from commonground.scenarios.census import resolve_path

            inputs.update(input_fingerprints(census=str(resolve_path(census))))
    else:
        sim = load(simulation).with_replicates(replicates)
        inputs = (input_fingerprints(simulation=simulation) if Path(simulation).is_file()
                  else {"simulation": {"name": simulation}})
    where = "inprocess" if in_process else (scheduler or "local")
    n = len(make_tasks(sim))
    head = f"{sim.name}: {n} runs ({where})"
    with progress() as bar:
        task = bar.add_task(escape(head), total=n)

        def stage(text: str) -> None:
            bar.update(task, description=escape(f"{head}: {text}"))

        def done() -> None:
            bar.update(task, advance=1, description=escape(f"{head}: running"))

        _, summary = run_simulation(sim, out, scheduler=where, n_workers=workers, on_done=done, on_stage=stage,
                                    plots=plots, force=force, inputs=inputs)
    last = summary[summary["year"] == summary["year"].max()]
    console.print(f"[bold]{escape(sim.name)}[/]: {len(sim.scenarios)} scenario(s) × {len(sim.policies)} policy(ies) × "
                  f"{sim.replicates} replicate(s), {sim.years} {'steps' if sim.model == 'schelling' else 'years'}")
    key = "similar_share" if sim.model == "schelling" else "block.theil_h"
    keys = [key, *(["new.dissimilarity"] if (last["metric"] == "new.dissimilarity").any() else [])]
    for key in keys:
        for r in last[last["metric"] == key].itertuples():
            console.print(f"  {escape(str(r.scenario))} · {escape(str(r.policy))}: {key} {r.mean:.3f} "
                          f"(5–95 %: {r.q05:.3f}–{r.q95:.3f})")
    if sim.model == "town":
        from commonground.simulate.uk_builtin import ethnic_caps_in
        from commonground.simulate.uk_policies import UNLAWFUL

        if ethnic_caps_in(sim):
            console.print(f"Note: {UNLAWFUL}", markup=False)
    console.print(f"wrote {out}/results.parquet, summary.csv, {'plots, ' if plots else ''}simulation.json and "
                  "manifest.json", markup=False)
