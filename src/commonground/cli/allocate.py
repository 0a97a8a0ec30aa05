"""``commonground allocate``: run one mechanism on files and write the result folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from commonground.cli.choices import MAX_GROUPS, MECHANISM_NAMES
from commonground.cli.common import console, guarded, progress
from commonground.cli.inputs import (
    ATTRIBUTES_HELP,
    MAX_GROUPS_HELP,
    NO_CAPS_HELP,
    REFERENCE_DATE_HELP,
    print_notes,
    read_inputs,
)
from commonground.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("allocate")(allocate_command)


@guarded
def allocate_command(
    flats: Path = typer.Option(..., "--flats", help="Flats CSV/Parquet: flat_id, block_id, neighbourhood_id, ..."),
    households: Path = typer.Option(..., "--households", help="Households CSV/Parquet: household_id + attributes"),
    preferences: Path | None = typer.Option(None, "--preferences", help="Long preferences table (optional)"),
    policy: str = typer.Option("none", "--policy", help="Preset name(s), comma-joined, or a policy .toml"),
    no_caps: bool = typer.Option(False, "--no-caps", help=NO_CAPS_HELP),
    attributes: str = typer.Option("", "--attributes", help=ATTRIBUTES_HELP),
    max_groups: int = typer.Option(MAX_GROUPS, "--max-groups", min=1, help=MAX_GROUPS_HELP),
    reference_date: str | None = typer.Option(None, "--reference-date", help=REFERENCE_DATE_HELP),
    mechanism: str = typer.Option("ballot", "--mechanism", help=f"One of: {', '.join(MECHANISM_NAMES)}"),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same result"),
    time_limit: float | None = typer.Option(None, "--time-limit", min=0.1,
                                            help="Seconds the optimal mechanisms may search (default 600); "
                                                 "on time-out the best found is kept and its gap reported"),
    home_column: str | None = typer.Option(None, "--home-column",
                                           help="Deferred acceptance only: household column of home block (or "
                                                "neighbourhood) ids where a household is ranked first; 'none' = no "
                                                "home"),
    reserves: str | None = typer.Option(None, "--reserves",
                                        help="da-reserves only: floors as limit=share pairs, comma-separated, "
                                             "e.g. 'Malay=0.134,Indian/Others=0.125' (default: each limit but the "
                                             "largest gets its share of the applicants)"),
    out: Path = typer.Option(..., "--out", help="Output folder (allocation.csv, composition.csv, summary.json, "
                                                "manifest.json), replaced as a whole"),
    force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
) -> None:
    """Allocate the vacant flats to the households under a policy, and write the result to OUT."""
    if mechanism not in MECHANISM_NAMES:
        from commonground.policy.checks import closest_hint

        hint = closest_hint(mechanism, MECHANISM_NAMES)
        raise InputError(f"unknown mechanism '{mechanism}'{hint} (choose from: {', '.join(MECHANISM_NAMES)})")
    if home_column is not None and not mechanism.startswith("da-"):
        raise InputError(f"--home-column applies to deferred acceptance only (da-ceilings, da-soft-bounds, "
                         f"da-reserves), not '{mechanism}'")
    if reserves is not None and mechanism != "da-reserves":
        raise InputError(f"--reserves applies to da-reserves only, not '{mechanism}'")
    floors = parse_reserves(reserves) if reserves is not None else None
    if mechanism.startswith("optimal") or mechanism == "priority-optimal":
        from commonground import extras

        extras.require("optimal", f"commonground allocate --mechanism {mechanism}")
    from commonground.allocate import allocate
    from commonground.cli.summary import summary_table
    from commonground.io.atomic import check_target
    from commonground.io.schema import input_fingerprints
    from commonground.policy.lawful import policy_caveat

    check_target(out, force=force)
    with progress() as bar:
        task = bar.add_task("reading inputs", total=3)
        problem, pol = read_inputs(flats, households, preferences, policy, attributes=attributes, no_caps=no_caps,
                                   max_groups=max_groups, reference_date=reference_date)
        bar.update(task, advance=1, description=f"allocating ({mechanism})")
        options: dict[str, float | str | dict[str, float]] = {}
        if time_limit is not None and mechanism.startswith("optimal"):
            options["time_limit"] = time_limit
        if home_column is not None:
            options["home"] = home_column
        if floors is not None:
            options["reserves"] = floors
        result = allocate(problem, pol, mechanism, seed=seed, **options)
        bar.update(task, advance=1, description="writing outputs")
        result.write(out, force=force, inputs=input_fingerprints(
            flats=flats, households=households, preferences=preferences,
            policy=policy if policy.endswith(".toml") else None))
        bar.update(task, advance=1)
    print_notes(result)
    console.print(summary_table({mechanism: result}, title=escape(f"{mechanism} under {pol.name}")))
    if lawful := policy_caveat(pol):  # an ethnicity cap on a GB run (issue 13)
        console.print(f"Note: {lawful}", markup=False)
    console.print(f"wrote {out}/allocation.csv, composition.csv, caps.csv, groups.csv, summary.json (+ Parquet) "
                  "and manifest.json", markup=False)


def parse_reserves(text: str) -> dict[str, float]:
    """``'Malay=0.134,Indian/Others=0.125'`` → ``{"Malay": 0.134, "Indian/Others": 0.125}``; a malformed pair is an
    ``InputError`` naming it (the labels are checked against the policy by the mechanism)."""
    out: dict[str, float] = {}
    for item in (t.strip() for t in text.split(",")):
        label, sep, share = item.partition("=")
        try:
            value = float(share)
        except ValueError:
            value = float("nan")
        if not sep or not label.strip() or not 0.0 <= value <= 1.0:
            raise InputError(f"--reserves: '{item}' is not limit=share with a share in [0, 1] "
                             "(e.g. Malay=0.134)")
        out[label.strip()] = value
    return out
