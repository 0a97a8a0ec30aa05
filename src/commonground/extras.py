"""Optional parts of the package and the one-line message when one is missing.

The plain install gives the model, policies, mechanisms that need no solver, indices and the CLI. Heavier parts
come with extras (``pip install 'commonground[optimal]'``); :func:`require` checks an extra before its stack is
imported, so a missing one is one clear line naming the extra (exit 2 from the CLI), not a traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

from commonground.errors import CommongroundError

#: extra -> the import names it provides (checked without importing them).
EXTRAS: dict[str, tuple[str, ...]] = {
    "optimal": ("highspy",),
    "sim": ("dask", "distributed"),
    "report": ("matplotlib", "jinja2"),
    "app": ("fastapi", "uvicorn", "sqlalchemy", "alembic", "multipart", "jinja2", "matplotlib", "limits"),
    "geo": ("geopandas", "shapely"),
}


class MissingExtraError(CommongroundError):
    """A feature needs an optional extra that is not installed."""

    def __init__(self, what: str, extra: str) -> None:
        self.what = what
        self.extra = extra
        super().__init__(f"{what} needs the [{extra}] extra: pip install 'commonground[{extra}]'")


def missing(extra: str) -> list[str]:
    """The import names of ``extra`` that are not installed (empty when the extra is complete).

    Examples
    --------
    >>> missing("optimal") in ([], ["highspy"])
    True
    """
    return [name for name in EXTRAS[extra] if find_spec(name) is None]


def has(extra: str) -> bool:
    """Whether every package of ``extra`` is installed."""
    return not missing(extra)


def require(extra: str, what: str) -> None:
    """Raise :class:`MissingExtraError` naming ``what`` (e.g. ``"commonground serve"``) when ``extra`` is absent.

    Parameters
    ----------
    extra
        One of :data:`EXTRAS`.
    what
        The command or feature that needs it, as the user named it.

    Raises
    ------
    MissingExtraError
        When a package of the extra cannot be found.
    """
    if missing(extra):
        raise MissingExtraError(what, extra)
