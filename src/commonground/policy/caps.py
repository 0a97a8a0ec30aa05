"""Integration caps and policies: what share of a block or neighbourhood one group may hold.

Semantics follow ../shared/reference/hdb_allocation.md: a cap's share is of the dwelling units of the
unit (block or neighbourhood), existing occupants included, and a household may take a flat only if,
after it does, every cap at the flat's block and neighbourhood still holds.

Rounding rules (``Policy.rule``):

* ``strict`` (default): the most households of a limited group a unit may hold is
  ``floor(share × units)``; a household may enter if the count after entering is ≤ that.
* ``literal``: HDB's wording "once the limit is reached": entry is allowed while the current share is
  below the limit, so the last entrant may overshoot; the most a unit may hold is ``ceil(share × units)``.

Both are computed with a 1e-9 tolerance so that e.g. 0.29 × 100 counts as 29, not 28.999….
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from commonground.errors import PolicyError
from commonground.model.household_schema import BLANK

Level = Literal["block", "neighbourhood"]
LEVELS: tuple[Level, ...] = ("block", "neighbourhood")
Rule = Literal["strict", "literal"]
_EPS = 1e-9


@dataclass(frozen=True)
class CapLimit:
    """One limit of a cap: households whose value is in ``values`` may hold at most ``share`` together.

    Several values may share one limit, as HDB's "Indian and Others" do.

    Parameters
    ----------
    label : str
        The limit's name in outputs and messages.
    values : frozenset of str
        The groups the limit counts together.
    share : float
        Most share of the unit's dwelling units they may hold, in [0, 1].

    Raises
    ------
    PolicyError
        ``share`` outside [0, 1], or no ``values``.

    Examples
    --------
    >>> CapLimit("Indian/Others", frozenset({"Indian", "Others"}), 0.15).share
    0.15
    """

    label: str
    values: frozenset[str]
    share: float

    def __post_init__(self) -> None:
        if not (0.0 <= float(self.share) <= 1.0) or math.isnan(float(self.share)):
            raise PolicyError(f"limit '{self.label}': share {self.share} is outside [0, 1]")
        if not self.values:
            raise PolicyError(f"limit '{self.label}' names no group")


@dataclass(frozen=True)
class Cap:
    """A cap on one categorical attribute at one level: its limits per group (other groups are free).

    Parameters
    ----------
    attribute : str
        The household attribute capped, e.g. ``ethnicity``.
    level : {"block", "neighbourhood"}
        The unit whose dwelling units the shares are of.
    limits : tuple of CapLimit
        One limit per group or set of groups; a group may be in one limit only.

    Raises
    ------
    PolicyError
        Unknown level, or a group in two limits.

    Examples
    --------
    >>> cap = Cap.of("ethnicity", "block", {"Chinese": 0.87, "Malay": 0.25})
    >>> cap.limit_of("Malay"), cap.limit_of("Indian")
    (1, -1)
    """

    attribute: str
    level: Level
    limits: tuple[CapLimit, ...]

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise PolicyError(f"cap on '{self.attribute}': level must be 'block' or 'neighbourhood', "
                              f"got '{self.level}'")
        seen: set[str] = set()
        for lim in self.limits:
            clash = seen & lim.values
            if clash:
                raise PolicyError(f"cap on '{self.attribute}' at {self.level}: group '{sorted(clash)[0]}' "
                                  "is in two limits")
            seen |= lim.values

    @classmethod
    def of(cls, attribute: str, level: Level, limits: Mapping[str, float]) -> Cap:
        """Shorthand: one limit per value, e.g. ``Cap.of("ethnicity", "block", {"Malay": 0.25})``.

        Parameters
        ----------
        attribute : str
            The household attribute capped.
        level : {"block", "neighbourhood"}
            The unit the shares are of.
        limits : mapping of str to float
            Group -> share limit.

        Returns
        -------
        Cap
            One :class:`CapLimit` per group, labelled with its name.
        """
        return cls(attribute, level, tuple(CapLimit(str(k), frozenset([str(k)]), float(v))
                                           for k, v in limits.items()))

    def limit_of(self, value: str) -> int:
        """Index of the limit that applies to ``value``, or -1 if the value is not capped.

        Parameters
        ----------
        value : str
            A group of the cap's attribute.

        Returns
        -------
        int
            Index into ``limits``, or -1.
        """
        for i, lim in enumerate(self.limits):
            if value in lim.values:
                return i
        return -1


@dataclass(frozen=True)
class Policy:
    """A named set of caps, applied together, with a rounding rule and optional priority-scheme shares.

    ``priority_shares`` maps a priority scheme (a household's ``priority``) to the share of the flats
    set aside for it; its members are balloted first for that many queue places (HDB's priority
    schemes). Order of ``priority_order`` ranks schemes as bands for choice-based lettings.
    ``unknown[attribute]`` says what happens to a household whose value of a capped attribute is outside the
    declared ``groups`` (or blank): ``"error"`` (default) or ``"uncapped"`` (never capped; its own group in
    measurement).

    Parameters
    ----------
    name : str
        The policy's name in outputs.
    caps : tuple of Cap, optional
        The caps, applied together.
    rule : {"strict", "literal"}, optional
        Rounding rule of the caps (module docstring).
    source : str, optional
        Where the policy's figures come from.
    priority_shares : mapping of str to float, optional
        Priority scheme -> share of the flats set aside for it (together at most 1).
    priority_order : tuple of str, optional
        Priority schemes as bands, highest first, for choice-based lettings.
    groups : mapping of str to tuple of str, optional
        Declared groups of each attribute.
    unknown : mapping of str to str, optional
        Attribute -> ``"error"`` or ``"uncapped"``.

    Raises
    ------
    PolicyError
        A cap naming an undeclared group, an unknown rule or ``unknown`` option, or bad priority shares.

    Examples
    --------
    >>> pol = Policy("demo", caps=(Cap.of("ethnicity", "block", {"Malay": 0.25}),), priority_shares={"FT": 0.5})
    >>> pol.attributes, pol.without_caps().caps, pol.without_caps().priority_shares
    (('ethnicity',), (), {'FT': 0.5})
    """

    name: str
    caps: tuple[Cap, ...] = ()
    rule: Rule = "strict"
    source: str = ""
    priority_shares: Mapping[str, float] = field(default_factory=dict)
    priority_order: tuple[str, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_unknown_option(self.name, self.unknown)
        for cap in self.caps:
            declared = self.groups.get(cap.attribute)
            if declared is None:
                continue
            for lim in cap.limits:
                unknown = sorted(lim.values - set(declared))
                if unknown:
                    raise PolicyError(f"policy '{self.name}': unknown group '{unknown[0]}' for '{cap.attribute}' "
                                      f"in the {cap.level} cap (declared groups: {', '.join(declared)})")
        if self.rule not in ("strict", "literal"):
            raise PolicyError(f"policy '{self.name}': rule must be 'strict' or 'literal', got '{self.rule}'")
        for k, v in self.priority_shares.items():
            if not 0.0 <= float(v) <= 1.0:
                raise PolicyError(f"policy '{self.name}': priority share for '{k}' is {v}, outside [0, 1]")
        if sum(float(v) for v in self.priority_shares.values()) > 1.0 + _EPS:
            raise PolicyError(f"policy '{self.name}': priority shares add up to more than 1")

    @property
    def attributes(self) -> tuple[str, ...]:
        """The capped attributes, in order of first cap."""
        return tuple(dict.fromkeys(c.attribute for c in self.caps))

    def without_caps(self) -> Policy:
        """The same policy with no caps (the unconstrained baseline keeps priority schemes).

        Returns
        -------
        Policy
            Named ``"<name> (no caps)"`` if it had caps; everything else kept.
        """
        return Policy(name=f"{self.name} (no caps)" if self.caps else self.name, caps=(), rule=self.rule,
                      source=self.source, priority_shares=self.priority_shares,
                      priority_order=self.priority_order, groups=self.groups, unknown=self.unknown)

    def validate_groups(self, known: Mapping[str, Iterable[str]]) -> None:
        """Check the policy against the data's values (``known``: attribute → values of households and occupants).

        Every capped attribute must exist. Where the policy declares an attribute's groups (presets do), every
        value in the data must be one of them — a misspelt group in the data is caught, and a declared group
        may be absent from a small launch. Where it does not, every group a limit names must occur in the data,
        so a misspelt group in the policy is caught.

        Parameters
        ----------
        known : mapping of str to iterable of str
            Attribute -> the values households and existing occupants have.

        Raises
        ------
        PolicyError
            A capped attribute missing from the data, a value outside the declared groups, a blank value of a
            capped attribute, or a limit's group absent from the data.
        """
        for cap in self.caps:
            uncapped = self.unknown.get(cap.attribute) == "uncapped"
            if cap.attribute not in known:
                raise PolicyError(f"policy '{self.name}': households have no attribute '{cap.attribute}' "
                                  f"(they have: {', '.join(sorted(known)) or 'none'})")
            values = set(map(str, known[cap.attribute]))
            declared = self.groups.get(cap.attribute)
            if declared is not None:
                stray = sorted(values - set(declared))
                if stray and not uncapped:
                    raise PolicyError(f"unknown group '{stray[0]}' for '{cap.attribute}' in the data: policy "
                                      f"'{self.name}' knows {', '.join(declared)}")
                continue
            if BLANK in values and not uncapped:
                raise PolicyError(f"blank values of '{cap.attribute}' in the data: policy '{self.name}' caps it; "
                                  f"add unknown = {{ {cap.attribute} = \"uncapped\" }} to keep them uncapped")
            for lim in cap.limits:
                unknown = sorted(lim.values - values)
                if unknown:
                    raise PolicyError(
                        f"policy '{self.name}': unknown group '{unknown[0]}' for '{cap.attribute}' in the "
                        f"{cap.level} cap (groups in the data: {', '.join(sorted(values))})")


UNKNOWN_OPTIONS = ("error", "uncapped")


def check_unknown_option(name: str, unknown: Mapping[str, str]) -> None:
    """``unknown`` maps an attribute to ``"error"`` or ``"uncapped"`` (values outside the declared groups)."""
    for attr, how in unknown.items():
        if how not in UNKNOWN_OPTIONS:
            raise PolicyError(f"policy '{name}': unknown for '{attr}' must be 'error' or 'uncapped', got '{how}'")


def max_count(share: float, units: int | float, rule: Rule) -> int:
    """Most households of a limited group a unit of ``units`` dwellings may hold under ``rule``.

    Parameters
    ----------
    share : float
        The limit's share.
    units : int or float
        Dwelling units of the block or neighbourhood.
    rule : {"strict", "literal"}
        ``strict``: floor(share x units); ``literal``: ceil(share x units) (1e-9 tolerance both ways).

    Returns
    -------
    int
        The most households of the group the unit may hold.

    Examples
    --------
    >>> max_count(0.25, 10, "strict"), max_count(0.25, 10, "literal"), max_count(0.29, 100, "strict")
    (2, 3, 29)
    """
    x = share * units
    return int(math.floor(x + _EPS)) if rule == "strict" else int(math.ceil(x - _EPS))
