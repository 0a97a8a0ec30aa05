"""Migration as people quote it: UK net migration (ONS long-term international migration, persons a year)
apportioned to one local authority by a documented, switchable rule.

Rules (``migration.rule``):

* ``population`` (default) — the authority's share of the UK's population: its 2011 Census persons /
  63,182,000 (UK, 2011 Census). Every authority gets migrants in proportion to its size.
* ``minority`` — the authority's share of England and Wales's residents who are not White British (2011
  Census, from the same table), times England and Wales's share of the UK. A proxy for where recent migrants
  have settled (they join established communities); an assumption, not an ONS apportionment.
* ``fixed`` — the user's ``migration.population_share``.

Arriving *households* a year = net persons × share × ``concentration`` / the arrivals' mean household size
(their group mix × :data:`~commonground.simulate.uk_rates.HOUSEHOLD_SIZE`).

Scenarios (persons a year, ../shared/reference/hdb_allocation.md, ONS as revised): ``as-in-2023`` 906,000
(year ending June 2023, the peak); ``as-in-2025`` 204,000 (year ending June 2025, provisional); anything else
is user-given as ``migration.net_per_year``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from commonground.errors import InputError
from commonground.simulate.uk_rates import (
    BROAD,
    DETAILED,
    EW_POPULATION_2011,
    UK_POPULATION_2011,
    broad_rates,
    detailed_values,
)

if TYPE_CHECKING:
    from commonground.simulate.params import TownParams

RULES = ("population", "minority", "fixed")
NET_MIGRATION = {"as-in-2023": 906_000.0, "as-in-2025": 204_000.0}
NET_MIGRATION_SOURCE = {"as-in-2023": "ONS LTIM, year ending June 2023 (as revised): 906,000",
                        "as-in-2025": "ONS LTIM, year ending June 2025 (provisional): 204,000"}


def check_census_params(p: TownParams) -> None:
    """Validate a census town's keys (the file itself is read when the simulation is loaded)."""
    t = p.town
    if not t.path:
        raise InputError("'town.path' is needed for a census town (your copy of the ONS 2011 ethnic group table "
                         "by output area, or its folder)")
    if not t.authority.strip():
        raise InputError("'town.authority' is needed for a census town (a local authority name, e.g. Bradford)")
    if t.neighbourhood_level not in ("lsoa", "msoa"):
        raise InputError(f"'town.neighbourhood_level' must be lsoa or msoa, got '{t.neighbourhood_level}'")
    if t.start not in ("2011", "well-mixed"):
        raise InputError(f"'town.start' must be 2011 or well-mixed, got '{t.start}'")
    if t.groups not in ("broad", "detailed"):
        raise InputError(f"'town.groups' must be broad or detailed, got '{t.groups}'")
    for g, v in t.household_sizes.items():
        if g not in DETAILED:
            raise InputError(f"'town.household_sizes' names group '{g}' (census groups: {', '.join(DETAILED)})")
        if v <= 0:
            raise InputError(f"'town.household_sizes.{g}' must be > 0, got {v:g}")
    if p.migration.rule not in RULES:
        raise InputError(f"'migration.rule' must be one of {', '.join(RULES)}, got '{p.migration.rule}'")
    if p.migration.rule == "fixed" and p.migration.population_share <= 0:
        raise InputError("'migration.rule' = fixed needs 'migration.population_share' > 0")


def authority_share(p: TownParams) -> float:
    """The authority's share of UK net migration under ``migration.rule``."""
    from commonground.scenarios.census import authority_counts

    m, t = p.migration, p.town
    if m.rule == "fixed":
        return float(m.population_share)
    ac = authority_counts(t.path, t.authority, neighbourhood=t.neighbourhood_level)
    ew_of_uk = EW_POPULATION_2011 / UK_POPULATION_2011
    if m.rule == "minority":
        return ac.share_of_minority * ew_of_uk
    return float(ac.persons.sum()) / UK_POPULATION_2011


def arrival_household_size(p: TownParams, groups: tuple[str, ...], mix: np.ndarray) -> float:
    """Mean persons per arriving household for the arrivals' group mix."""
    size = detailed_values("household_size", p.town.household_sizes)
    if set(groups) <= set(DETAILED):
        per = np.array([size[g] for g in groups])
    else:  # broad groups: mean of their detailed groups weighted by the authority's persons
        from commonground.scenarios.census import authority_counts

        ac = authority_counts(p.town.path, p.town.authority, neighbourhood=p.town.neighbourhood_level)
        w = dict(zip(DETAILED, ac.persons.sum(axis=0).astype(float), strict=True))
        b = broad_rates(size, w)
        per = np.array([b[g] for g in groups])
    return float(mix @ per)


def arrivals_per_year(p: TownParams, groups: tuple[str, ...], mix: np.ndarray) -> float:
    """Arriving households a year for a census town."""
    return p.migration.net_per_year * authority_share(p) * p.migration.concentration / \
        arrival_household_size(p, groups, mix)


def describe(p: TownParams) -> str:
    """One line: how the national figure becomes this authority's arrivals (for summaries and reports)."""
    share = authority_share(p)
    return (f"{p.migration.net_per_year:,.0f} net migrants a year (UK) × {share:.4%} ({p.migration.rule} rule) × "
            f"concentration {p.migration.concentration:g}")


__all__ = ["BROAD", "NET_MIGRATION", "RULES", "arrivals_per_year", "authority_share", "check_census_params",
           "describe"]
