"""The ``commonground`` command line (Typer + Rich). Each command lives in its own module with ``register(app)``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(name="commonground", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Allocate homes under integration caps; measure and simulate integration.")

#: Command modules, each exposing ``register(app)``. A module not yet present is skipped.
COMMAND_MODULES = ("demo", "allocate", "measure", "optimal", "simulate", "report", "serve", "frontier")

for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"commonground.cli.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name == f"commonground.cli.{_name}":
            continue
        raise
    _mod.register(app)


def main() -> None:
    app()
