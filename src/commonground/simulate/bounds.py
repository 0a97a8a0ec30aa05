"""Sizes a simulation may ask for: every count and rate must be one the machine can hold.

A scenario that asks for more (``net_per_year = 1e15`` persons, a billion homes per block) used to get the
process killed for memory; it is now a one-line :class:`~commonground.errors.InputError` naming the key,
raised before anything runs. The limits are far above any real town or country (Singapore has about
1.1 million HDB flats; the UK about 30 million homes) and far below what would exhaust memory.
"""

from __future__ import annotations

from typing import Any

from commonground.errors import InputError

MAX_YEARS = 1_000
MAX_REPLICATES = 100_000
MAX_HOMES = 5_000_000             # homes in a town, initial plus launched over the run
MAX_ARRIVALS_PER_YEAR = 1_000_000  # arriving households a year (an upper bound, computed before the town is built)
MAX_VIEWINGS_PER_MONTH = 10_000
MAX_MONTHS = 12 * MAX_YEARS
MAX_APPLICANTS_PER_HOME = 1_000
MAX_NATIONAL_POPULATION = 1e10
#: Upper bounds of the homes of towns whose size is known only once built (uk-town: about 2,100 homes;
#: hdb: every HDB flat, about 1.1 million).
TOWN_HOMES_UPPER = {"uk-town": 5_000, "hdb": 1_200_000}


def check_bounds(p: Any) -> None:
    """Reject sizes no run could hold (``p``: :class:`~commonground.simulate.params.TownParams`)."""
    t, m, la, mk = p.town, p.migration, p.launches, p.market

    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise InputError(f"'{key}' {what}")

    need(p.years <= MAX_YEARS, "years", f"must be ≤ {MAX_YEARS:,}, got {p.years:,}")
    homes = t.neighbourhoods * t.blocks_per_neighbourhood * t.homes_per_block
    need(t.kind != "english" or homes <= MAX_HOMES, "town.neighbourhoods × blocks_per_neighbourhood × homes_per_block",
         f"is {homes:,} homes, more than the {MAX_HOMES:,} a simulation may hold")
    need(la.homes_per_year * p.years <= MAX_HOMES, "launches.homes_per_year",
         f"× years is {la.homes_per_year * p.years:,} homes, more than the {MAX_HOMES:,} a simulation may hold")
    need(la.block_size <= MAX_HOMES, "launches.block_size", f"must be ≤ {MAX_HOMES:,}")
    need(la.applicants_per_home <= MAX_APPLICANTS_PER_HOME, "launches.applicants_per_home",
         f"must be ≤ {MAX_APPLICANTS_PER_HOME:,}")
    need(t.national_population <= MAX_NATIONAL_POPULATION, "town.national_population",
         f"must be ≤ {MAX_NATIONAL_POPULATION:g}")
    need(t.household_size <= 100, "town.household_size", "must be ≤ 100 persons")
    town_homes = homes if t.kind == "english" else TOWN_HOMES_UPPER.get(t.kind, MAX_HOMES)
    share = m.population_share or min(1.0, town_homes * t.household_size / t.national_population)
    arrivals = m.net_per_year * share * m.concentration / t.household_size
    need(arrivals <= MAX_ARRIVALS_PER_YEAR, "migration.net_per_year",
         f"= {m.net_per_year:g} persons gives up to {arrivals:,.0f} arriving households a year in this town, more "
         f"than the {MAX_ARRIVALS_PER_YEAR:,} a simulation may hold")
    need(mk.viewings_per_month <= MAX_VIEWINGS_PER_MONTH, "market.viewings_per_month",
         f"must be ≤ {MAX_VIEWINGS_PER_MONTH:,}")
    need(mk.max_search_years <= MAX_YEARS, "market.max_search_years", f"must be ≤ {MAX_YEARS:,}")
    need(mk.buyback_after_months <= MAX_MONTHS, "market.buyback_after_months", f"must be ≤ {MAX_MONTHS:,}")


MAX_GRID_NEIGHBOURS = 50_000_000   # cells × neighbours of the Schelling grid (the neighbour table's size)
MAX_STEPS = 100_000


def check_schelling_bounds(p: Any, steps: int) -> None:
    """The Schelling grid's neighbour table and the number of steps must fit (``p``: SchellingParams)."""
    if steps > MAX_STEPS:
        raise InputError(f"'years' (steps of the Schelling model) must be ≤ {MAX_STEPS:,}, got {steps:,}")
    size = p.width * p.height * ((2 * min(p.radius, max(p.width, p.height)) + 1) ** 2 - 1)
    if size > MAX_GRID_NEIGHBOURS:
        raise InputError(f"[schelling] width × height × neighbours is {size:,}, more than the "
                         f"{MAX_GRID_NEIGHBOURS:,} a simulation may hold")
