"""``commonground price-of-diversity``: optimal and ballot welfare with and without the caps."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from commonground.cli.choices import MAX_GROUPS, SCENARIO_NAMES
from commonground.cli.common import console, guarded, progress, renamed
from commonground.cli.inputs import ATTRIBUTES_HELP, MAX_GROUPS_HELP, REFERENCE_DATE_HELP, read_inputs
from commonground.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("price-of-diversity")(price_of_diversity_command)


@guarded
def price_of_diversity_command(
    scenario: str | None = typer.Option(None, "--scenario", help=f"Built-in scenario: {', '.join(SCENARIO_NAMES)}"),
    flats: Path | None = typer.Option(None, "--flats", help="Flats CSV/Parquet (instead of --scenario)"),
    households: Path | None = typer.Option(None, "--households", help="Households CSV/Parquet"),
    preferences: Path | None = typer.Option(None, "--preferences", help="Long preferences table (optional)"),
    policy: str = typer.Option("", "--policy", help="Preset name(s), comma-joined, or a .toml (default: the "
                                                  "scenario's own policy)"),
    replicates: int | None = typer.Option(None, "--replicates", min=1,
                                          help="How many ballots (seeds 0..N-1) to average over [default: 20]"),
    old_seeds: int | None = typer.Option(None, "--seeds", min=1, hidden=True, help="Old name of --replicates."),
    attribute: str = typer.Option("", "--attribute", help="Group attribute for per-group figures (default: "
                                                         "the first capped one)"),
    attributes: str = typer.Option("", "--attributes", help=ATTRIBUTES_HELP),
    max_groups: int = typer.Option(MAX_GROUPS, "--max-groups", min=1, help=MAX_GROUPS_HELP),
    reference_date: str | None = typer.Option(None, "--reference-date", help=REFERENCE_DATE_HELP),
    out: Path | None = typer.Option(None, "--out", help="Folder for price_of_diversity.json, ballots.csv, "
                                                       "groups.csv, fairness.csv, manifest.json"),
    force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
) -> None:
    """Welfare of the optimal assignment and of the ballot, with and without the caps, and the price of
    diversity (optimal welfare without caps / with caps; Benabbou et al., AAMAS 2018)."""
    from commonground import extras

    seeds = renamed("--seeds N", "--replicates N", old_seeds, replicates) or 20
    extras.require("optimal", "commonground price-of-diversity")
    from rich.table import Table

    from commonground.analysis.fairness import fairness_table
    from commonground.analysis.welfare import price_of_diversity
    from commonground.io.atomic import check_target
    from commonground.io.schema import input_fingerprints
    from commonground.policy import load_policy
    from commonground.scenarios import get_scenario

    if out is not None:
        check_target(out, force=force)  # before the long run, not after it
    inputs = input_fingerprints(flats=flats, households=households, preferences=preferences,
                                policy=policy if policy.endswith(".toml") else None)
    if flats is not None or households is not None:
        if scenario:
            raise InputError("give either --scenario or --flats/--households, not both")
        if flats is None or households is None:
            raise InputError("--flats and --households go together")
        if not policy:
            raise InputError("--policy is required with --flats/--households (e.g. sg-eip-2010)")
        problem, pol = read_inputs(flats, households, preferences, policy, attributes=f"{attributes},{attribute}",
                                   max_groups=max_groups, reference_date=reference_date)
        label = str(flats)
    else:
        sc = get_scenario(scenario or "sg-bto")
        inputs["scenario"] = {"name": sc.name}
        problem, pol, label = sc.problem, (load_policy(policy) if policy else sc.policy), sc.name
    with progress() as bar:
        task = bar.add_task("optimal assignments", total=seeds + 2)
        bar.update(task, description="ballots")

        def tick(seed: int) -> None:
            bar.update(task, advance=1, description=f"ballot seed {seed}")

        result = price_of_diversity(problem, pol, seeds=seeds, attribute=attribute or None, on_seed=tick)
        bar.update(task, advance=1, description="fairness")
        fair = fairness_table(result.optimal, result.attribute) if result.attribute else None
        bar.update(task, advance=1)
    s = result.summary()
    table = Table(title=escape(f"Price of diversity: {label} under {pol.name}"))
    table.add_column("")
    table.add_column("with caps", justify="right")
    table.add_column("without caps", justify="right")
    table.add_column("ratio (without / with)", justify="right")
    table.add_row("optimal welfare", f"{s['welfare_optimal']:,.2f}", f"{s['welfare_optimal_unconstrained']:,.2f}",
                  f"{s['price_of_diversity']:.4f}")
    table.add_row(f"ballot welfare (mean ± sd, {seeds} seeds)",
                  f"{s['ballot_welfare_mean']:,.2f} ± {s['ballot_welfare_sd']:,.2f}",
                  f"{s['ballot_welfare_unconstrained_mean']:,.2f} ± {s['ballot_welfare_unconstrained_sd']:,.2f}",
                  f"{s['ballot_price_of_diversity_mean']:.4f}")
    table.add_row("ballot / optimal (with caps)", f"{s['ballot_share_of_optimum_mean']:.1%}", "", "")
    table.add_row("lottery ratio (optimal without caps / ballot with caps)", "", "", f"{s['lottery_ratio']:.4f}")
    console.print(table)
    console.print(f"optimal: {s['optimal_method']}; exact: {s['optimal_exact']} (gap {s['optimal_gap']:.2g})",
                  markup=False)
    from commonground.policy.lawful import policy_caveat

    if lawful := policy_caveat(pol, scenario=inputs.get("scenario", {}).get("name")):  # issue 13
        console.print(f"Note: {lawful}", markup=False)
    if len(result.groups):
        g = result.groups
        gt = Table(title=escape(f"Per {result.attribute}: share housed and mean utility per applicant"))
        gt.add_column("mechanism")
        gt.add_column("group")
        gt.add_column("share housed", justify="right")
        gt.add_column("mean utility / applicant", justify="right")
        for _, r in g.iterrows():
            gt.add_row(escape(str(r["mechanism"])), escape(str(r["group"])), f"{r['share_housed']:.1%}",
                       f"{r['mean_utility_applicant']:.3f}")
        console.print(gt)
    if out is not None:
        result.write(out, fairness=fair, force=force, inputs=inputs)
        console.print(f"wrote {out}/price_of_diversity.json, ballots.csv, groups.csv, fairness.csv, manifest.json",
                      markup=False)
