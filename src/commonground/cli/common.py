"""What every CLI command shares: consoles, one-line errors with exit code 2, progress bars."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from commonground.errors import CommongroundError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
INPUT_ERROR_EXIT = 2


def fail(message: str) -> typer.Exit:
    """Print a one-line error to stderr and return the exit (code 2) to raise (the message is printed
    literally: square brackets such as ``[[policies]]`` are not Rich markup)."""
    err_console.print(f"[bold red]error:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=INPUT_ERROR_EXIT)


def note(message: str) -> None:
    """Print a one-line note to stderr (something the user gave that a mechanism does not use, a default)."""
    err_console.print(f"[yellow]note:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


def guarded(fn: F) -> F:
    """Turn the package's own errors (bad input, infeasible caps) into a one-line message and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CommongroundError as e:
            raise fail(str(e)) from None
        except FileNotFoundError as e:
            raise fail(f"{e.filename}: no such file") from None

    return wrapper  # type: ignore[return-value]


def renamed(old: str, new: str, value: T | None, current: T | None) -> T | None:
    """An option's old name still works for now, with a one-line note naming the new one (docs/cli.md)."""
    if value is None:
        return current
    if current is not None:
        raise fail(f"{old} and {new} are the same option (now {new}); give it once")
    err_console.print(f"note: {old} is now {new} (the old name still works for now)", highlight=False,
                      markup=False)
    return value


def progress(transient: bool = True) -> Progress:
    """A Rich progress bar for long work (hidden automatically when output is not a terminal)."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=transient)
