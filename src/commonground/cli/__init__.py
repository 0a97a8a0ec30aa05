"""The ``commonground`` command line (Typer + Rich). Each command lives in its own module with ``register(app)``.

A command module defines only the command's options; it imports the command's stack (NumPy, the solver, Dask,
the web app) inside the command function, so ``commonground --help`` and ``--version`` start in a fraction of a
second (benchmarks/bench_cli.py).
"""

from __future__ import annotations

import importlib
import sys

import typer

from commonground import __version__

app = typer.Typer(name="commonground", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Allocate homes under integration caps; measure and simulate integration.")

#: Command modules, each exposing ``register(app)``.
COMMAND_MODULES = ("demo", "allocate", "measure", "optimal", "simulate", "report", "serve", "frontier")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"commonground {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Allocate homes under integration caps; measure and simulate integration."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"commonground.cli.{_name}").register(app)


def main() -> None:
    """Run the command line. A solver given up at its time limit may still be running when a command ends: then
    the process leaves at once with the command's own exit status (see ``allocate.welfare_milp.exit_now``)."""
    try:
        app()
    except SystemExit as e:
        milp = sys.modules.get("commonground.allocate.welfare_milp")
        if milp is not None:
            milp.exit_now(e.code if isinstance(e.code, int) else (0 if e.code is None else 1))
        raise
