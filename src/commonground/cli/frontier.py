"""``commonground frontier``: every mechanism on the same instances and seeds, with who dominates whom."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commonground.cli.common import console, guarded
from commonground.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("frontier")(frontier_command)


@guarded
def frontier_command(
    scenario: str = typer.Option("exercise", "--scenario",
                                 help="'exercise' (each project of HDB sales exercises on real towns, its booking "
                                      "households as one instance) or a built-in scenario: sg-bto, uk-town"),
    exercises: int = typer.Option(1, "--exercises", min=1, help="Sales exercises in a row (scenario 'exercise')"),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Seeds 0..N-1, the same for every mechanism"),
    mechanisms: str = typer.Option("", "--mechanisms",
                                   help="Comma-joined mechanisms (default: every caps-respecting one, soft-bounds DA "
                                        "and the uncapped baselines)"),
    policy: str = typer.Option("", "--policy", help="Policy preset(s) or .toml (default: the scenario's)"),
    time_limit: float = typer.Option(30.0, "--time-limit", min=0.1, help="Seconds per optimisation"),
    out: Path | None = typer.Option(None, "--out", help="Output folder: frontier.csv, summary.csv, dominance.csv, "
                                                        "frontier.md, manifest.json (replaced as a whole)"),
    force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
) -> None:
    """Compare mechanisms: housed and turned away by group, welfare, envy, integration, distance from the optimum."""
    from commonground.allocate import MECHANISMS
    from commonground.frontier import DEFAULT_MECHANISMS, dominance, frontier, summarise, write_frontier
    from commonground.io.atomic import check_target
    from commonground.policy import load_policy

    names = [m.strip() for m in mechanisms.split(",") if m.strip()] or list(DEFAULT_MECHANISMS)
    for m in names:
        if m not in MECHANISMS:
            from commonground.policy.checks import closest_hint

            raise InputError(f"unknown mechanism '{m}'{closest_hint(m, list(MECHANISMS))} "
                             f"(choose from: {', '.join(MECHANISMS)})")
    if out is not None:
        check_target(out, force=force)
    if scenario == "exercise":
        from commonground.exercise import ExerciseParams, run_exercises

        params = ExerciseParams(exercises=exercises)
        pol = load_policy(policy or params.policy)
        run = run_exercises(params, seed=0, keep_problems=True)
        instances = [(f"exercise {k} {name}", p) for k, name, p in run.problems]
    else:
        from commonground.scenarios import get_scenario

        sc = get_scenario(scenario)
        pol = load_policy(policy) if policy else sc.policy
        instances = [(scenario, sc.problem)]
    with console.status(f"running {len(names)} mechanisms on {len(instances)} instances × {seeds} seeds"):
        table = frontier(instances, pol, seeds=range(seeds), mechanisms=names, time_limit=time_limit)
    summary = summarise(table)
    dom = dominance(summary)
    _print(summary, dom)
    if out is not None:
        write_frontier(out, table, scenario=scenario, policy=pol.name, mechanisms=names, force=force)
        console.print(f"wrote {out}/frontier.csv, summary.csv, dominance.csv, frontier.md and manifest.json")


COLUMNS = ("housed", "turned_away", "welfare", "share_of_optimum", "justified_envy", "cap_breaches",
           "block_dissimilarity", "seconds")


def _print(summary, dom) -> None:
    t = Table(title="mechanism frontier (means over instances and seeds)")
    t.add_column("mechanism")
    cols = [c for c in COLUMNS if c in summary.columns]
    for c in cols:
        t.add_column(c, justify="right")
    for m, r in summary.iterrows():
        t.add_row(str(m), *[f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols])
    console.print(t)
    if len(dom):
        for _, r in dom.iterrows():
            console.print(f"{r['dominates']} dominates {r['dominated']} (better on {r['strictly_better_on']})")
    else:
        console.print("no mechanism dominates another on every figure")
