"""TOML tables validated by Pydantic into the package's frozen dataclasses, with one-line errors.

A section of a simulation file (``[town]``, ``[market]``, ``[schelling]``, …) is defined once, as a frozen
dataclass with typed fields and defaults; :func:`table_from_dict` derives a strict Pydantic model from it
(unknown keys rejected, ``true`` is not a number, a whole number is wanted where the default is one, NaN and
infinity are not numbers) and turns the first problem into an :class:`~commonground.errors.InputError` in the
file's own words, e.g. ``'town.neighbourhoods' must be a whole number, got 'x'``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from commonground.errors import InputError

T = TypeVar("T")
_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


@functools.cache
def table_model(cls: type) -> type[BaseModel]:
    """The strict Pydantic model of a dataclass's fields (types and defaults taken from the dataclass)."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        fields[f.name] = (hints[f.name], default)
    return create_model(f"{cls.__name__}Table", __config__=_STRICT, **fields)


def table_from_dict(cls: type[T], data: Any, *, where: str) -> T:
    """Build the dataclass ``cls`` from a TOML table; unknown keys and wrong types raise one-line errors.

    Parameters
    ----------
    cls
        A dataclass whose fields have type hints and defaults.
    data
        The parsed TOML table.
    where
        The table's name in the file (``town``); keys are named ``town.neighbourhoods``.

    Returns
    -------
    An instance of ``cls`` with the keys given and the defaults for the others.

    Raises
    ------
    InputError
        On the first problem, naming the key.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Market:
    ...     viewings_per_month: int = 4
    ...     max_discount: float = 0.15
    >>> table_from_dict(Market, {"max_discount": 0}, where="market")
    Market(viewings_per_month=4, max_discount=0.0)
    >>> table_from_dict(Market, {"viewings_per_month": 2.5}, where="market")
    Traceback (most recent call last):
    ...
    commonground.errors.InputError: 'market.viewings_per_month' must be a whole number, got 2.5
    """
    model = table_model(cls)  # type: ignore[arg-type]  # a class is hashable
    try:
        checked = model.model_validate(data)
    except ValidationError as e:
        raise InputError(_explain(model, e.errors(), data, where)) from None
    return cls(**{k: getattr(checked, k) for k in checked.model_fields_set})


def _union_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, f in model.model_fields.items()
            if typing.get_origin(f.annotation) in (typing.Union, types.UnionType)}


def _explain(model: type[BaseModel], errors: list[Any], data: Any, where: str) -> str:
    """One line for the first error; for a union field (a number or a table) the member the value was meant
    for (a table if it is one, else a number)."""
    unions = _union_fields(model)
    err = errors[0]
    loc = tuple(err["loc"])
    if loc and loc[0] in unions:
        given = data.get(loc[0]) if isinstance(data, Mapping) else None
        wanted = [e for e in errors if tuple(e["loc"])[:1] == loc[:1]
                  and ("dict" in str(e["loc"][1])) == isinstance(given, Mapping)]
        err = wanted[0] if wanted else err
        loc = (loc[0], *tuple(err["loc"])[2:])
    kind, value = err["type"], err.get("input")
    if not loc:
        return f"[{where}] must be a table"
    if kind == "extra_forbidden":
        return f"[{where}] unknown key '{loc[0]}' (expected: {', '.join(model.model_fields)})"
    key = ".".join([where, *map(str, loc)]) if where else ".".join(map(str, loc))
    if kind == "finite_number":
        nan = isinstance(value, float) and math.isnan(value)
        return f"'{key}' must be {'a' if nan else 'a finite'} number, got {value!r}"
    if kind.startswith("int"):
        return f"'{key}' must be a whole number, got {value!r}"
    if kind.startswith("float"):
        return f"'{key}' must be a number, got {value!r}"
    if kind.startswith("bool"):
        return f"'{key}' must be true or false, got {value!r}"
    if kind.startswith("string"):
        return f"'{key}' must be a string, got {value!r}"
    if kind in ("dict_type", "mapping_type"):
        return f"'{key}' must be a table of group = share"
    return f"'{key}': {err['msg']}"
