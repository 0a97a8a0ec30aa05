"""Errors raised at the edge of the package, each naming what is wrong and where."""

from __future__ import annotations


class CommongroundError(Exception):
    """Base class for every error the package raises on purpose."""


class InputError(CommongroundError, ValueError):
    """Bad input data: names the source (file), the row and the problem in one line."""

    def __init__(self, problem: str, *, source: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.problem = problem
        self.source = source
        self.row = row
        self.column = column
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (": ".join([", ".join(where), self.problem]) if where else self.problem)


class PolicyError(InputError):
    """A policy that cannot apply: unknown attribute or group, share outside [0, 1], bad TOML."""


class InfeasibleError(CommongroundError):
    """A problem with no feasible solution under the given caps (e.g. caps already violated)."""
