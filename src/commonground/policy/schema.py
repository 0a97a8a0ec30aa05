"""The policy TOML file's shape as Pydantic models, and its errors as one line naming file, key and problem.

:func:`parse_policy_file` checks the structure (keys, types, nesting) with Pydantic; the policy's meaning (shares
in [0, 1], levels, a group in two limits, the rounding rule) is checked where it is defined, in
:mod:`commonground.policy.caps`. The layout is documented in docs/policies.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from commonground.errors import PolicyError

Share = StrictFloat | StrictInt


def _limit_table(v: Any) -> Any:
    """``A = 0.25`` is shorthand for ``A = { share = 0.25 }`` (the group named by the label)."""
    return v if isinstance(v, Mapping) else {"share": v}


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitModel(_Table):
    """One limit: ``share`` of the unit's dwellings, for the ``groups`` named (default: the label itself)."""

    share: Share
    groups: list[Annotated[str, BeforeValidator(str)]] | None = None


class CapModel(_Table):
    """A ``[[caps]]`` entry: the attribute capped, the level (block or neighbourhood) and its limits."""

    attribute: Annotated[str, BeforeValidator(str)]
    level: str
    limits: dict[str, Annotated[LimitModel, BeforeValidator(_limit_table)]] = Field(min_length=1)


class PolicyModel(_Table):
    """A policy file: name, rounding rule, source, caps, priority scheme and the groups of each attribute."""

    name: Annotated[str, BeforeValidator(str)] | None = None
    rule: str = "strict"
    source: Annotated[str, BeforeValidator(str)] | None = None
    caps: list[CapModel] = []
    priority_shares: dict[str, Share] = {}
    priority_order: list[Annotated[str, BeforeValidator(str)]] = []
    groups: dict[str, list[Annotated[str, BeforeValidator(str)]]] = {}
    unknown: dict[str, str] = {}  # attribute = "error" | "uncapped" (values checked by the Policy)


#: Messages for a wrong value under a key, in today's words (docs/policies.md).
_SHAPES = {
    "limits": "'limits' must be a non-empty table of group = share",
    "groups": "'groups' must be a table of attribute = [group, ...]",
    "priority_shares": "'priority_shares' must be a table of group = share",
    "priority_order": "'priority_order' must be an array of groups",
    "caps": "'caps' must be an array of tables ([[caps]])",
    "unknown": "'unknown' must be a table of attribute = \"error\" or \"uncapped\"",
}


def parse_policy_file(data: Mapping[str, Any], *, source: str) -> PolicyModel:
    """Validate a parsed policy TOML; raise :class:`PolicyError` on the first problem, naming the key.

    Examples
    --------
    >>> parse_policy_file({"caps": [{"attribute": "ethnicity", "level": "block", "limits": {"Malay": 0.25}}]},
    ...                   source="p.toml").caps[0].limits["Malay"].share
    0.25
    >>> parse_policy_file({"caps": [{"level": "block", "limits": {"Malay": 0.25}}]}, source="p.toml")
    Traceback (most recent call last):
    ...
    commonground.errors.PolicyError: p.toml [[caps]] #1: missing 'attribute'
    """
    try:
        return PolicyModel.model_validate(dict(data))
    except ValidationError as e:
        problem, where = _explain(e.errors()[0], source)
        raise PolicyError(problem, source=where) from None


def _explain(err: Any, source: str) -> tuple[str, str]:
    """(problem, where) for one Pydantic error, in the file's own words: ``[[caps]] #2``, ``limit 'Malay'``."""
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    where = source
    if len(loc) >= 2 and loc[0] == "caps" and isinstance(loc[1], int):
        where = f"{source} [[caps]] #{loc[1] + 1}"
        rest = loc[2:]
        if not rest:
            return "each [[caps]] entry must be a table", where
        if kind == "missing" and len(rest) == 1:
            return f"missing '{rest[0]}'", where
        if kind == "extra_forbidden" and len(rest) == 1:
            return f"unknown key '{rest[0]}' (expected: {', '.join(CapModel.model_fields)})", where
        if rest[0] == "limits" and len(rest) >= 2:
            label = rest[1]
            if len(rest) >= 3 and rest[2] == "share":
                got = value if kind != "missing" else None
                return f"limit '{label}': share must be a number, got {got!r}", where
            if kind == "extra_forbidden":
                return f"limit '{label}': unknown key '{rest[-1]}' (expected: share, groups)", where
            return f"limit '{label}': 'groups' must be an array of group names", where
        key = rest[0]
        if key in _SHAPES:
            return _SHAPES[key], where
        return f"'{key}' must be a string, got {value!r}", where
    if kind == "extra_forbidden" and len(loc) == 1:
        return f"unknown key '{loc[0]}' (expected: {', '.join(sorted(PolicyModel.model_fields))})", where
    key = str(loc[0]) if loc else "policy"
    return _SHAPES.get(key, f"'{key}': {err['msg']}"), where
