"""Parameters of the town model, one frozen section each, validated once when built.

Every section is built from a TOML table with :func:`section_from_dict`, which rejects unknown keys and bad
values with an :class:`~commonground.errors.InputError` naming the key. Defaults are illustrative, not
estimates; ``docs/simulate.md`` says where each comes from and what it means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from commonground.errors import InputError, PolicyError
from commonground.io.config import table_from_dict
from commonground.simulate.bounds import check_bounds

POLICY_KINDS = ("none", "caps-new", "caps-resale", "caps-buyback")
PREFERENCE_MODELS = ("threshold", "logit")


# Frozen dataclasses of defaults, one per simulation-file section: their fields are declarations, alike in shape.
@dataclass(frozen=True)
class Town:
    """Where the simulation happens.

    ``kind``: ``english`` (generated English town, :func:`~commonground.simulate.town.english_town`),
    ``uk-town`` (the core's generated ``uk-town`` scenario's development), ``hdb`` (real HDB blocks from
    data.gov.sg's property file at ``path``; ``hdb_town`` a town code such as ``TAP``, or ``all``).
    ``shares``: the groups and their shares among the initial residents; empty = the kind's default
    (Bradford 2011 for English towns, Singapore Census 2020 for HDB). ``household_size`` and
    ``national_population`` scale national migration to the town (see :class:`Migration`).
    """

    kind: str = "english"
    path: str = ""
    hdb_town: str = "all"
    attribute: str = "ethnicity"
    shares: Mapping[str, float] = field(default_factory=dict)
    neighbourhoods: int = 24
    blocks_per_neighbourhood: int = 10
    homes_per_block: int = 80
    neighbourhood_concentration: float = 6.0
    block_concentration: float = 40.0
    occupancy: float = 0.97
    household_size: float = 2.4
    national_population: float = 63_182_000.0    # UK, 2011 Census: UK net migration is over UK residents
    seed: int = 2011
    # kind = "census": a local authority from the ONS 2011 table at ``path`` (commonground.scenarios.census)
    authority: str = ""
    neighbourhood_level: str = "lsoa"
    groups: str = "broad"
    household_sizes: Mapping[str, float] = field(default_factory=dict)
    start: str = "2011"  # census towns: "2011" (as counted) or "well-mixed" (same homes and totals, shuffled)


@dataclass(frozen=True)
class Migration:
    """Arrivals and departures per year.

    Arriving households a year = ``net_per_year`` (persons, a *national* figure) × the town's share of the
    national population (``population_share``; 0 = the town's persons / ``Town.national_population``) ×
    ``concentration`` (how much more than its population share the town attracts) / ``Town.household_size``.
    ``mix``: arrivals' group shares (empty = the town's initial shares). ``formation_rate``: new households
    formed a year per resident household (same group as the household they come from); ``departure_rate``:
    resident households dissolving or leaving a year (their homes are put up for sale).
    """

    net_per_year: float = 0.0
    population_share: float = 0.0
    concentration: float = 1.0
    mix: Mapping[str, float] = field(default_factory=dict)
    formation_rate: float = 0.02
    departure_rate: float = 0.02
    rule: str = "population"  # census towns: how national migration is apportioned (simulate.uk_migration)


@dataclass(frozen=True)
class Launches:
    """New developments: ``homes_per_year`` new homes in blocks of ``block_size``, placed in neighbourhoods
    drawn in proportion to their size, allocated at the start of each year by ``mechanism`` (any of
    :data:`commonground.allocate.MECHANISMS`) to ``applicants_per_home`` × homes applicants drawn from the
    households looking for a home (all of them if fewer). Homes left empty go on the resale market, sold by
    the public body."""

    homes_per_year: int = 0
    block_size: int = 80
    mechanism: str = "ballot"
    applicants_per_home: float = 3.0
    mix_weight: float = 2.0


@dataclass(frozen=True)
class Behaviour:
    """What residents and buyers want of their block's and neighbourhood's mix, and of price.

    A household's *own-group share* at a block is ``block_weight`` × its group's share of the block's
    residents + (1 − ``block_weight``) × its share of the neighbourhood's. With ``tolerance`` τ (one value, or
    per group) the *mix term* is ``s − τ``.

    * ``threshold`` (Schelling): a resident is unhappy when ``s < τ``. It decides to move with probability
      ``base_move_rate`` + ``unhappy_move_rate`` × [unhappy]. A buyer viewing a home buys it when
      ``s − τ + price_weight × discount ≥ 0`` (a discount can buy a buyer's tolerance).
    * ``logit``: it moves with probability ``base_move_rate`` + ``unhappy_move_rate`` ×
      logistic(−``beta`` × (s − τ)); a buyer buys with probability
      logistic(``alpha_buy`` + ``beta`` × (s − τ) + ``price_weight`` × discount).

    Residents move only after ``min_occupation_years`` in their home (HDB's minimum occupation period).
    """

    model: str = "threshold"
    tolerance: float | Mapping[str, float] = 0.3
    block_weight: float = 0.5
    base_move_rate: float = 0.04
    unhappy_move_rate: float = 0.15
    beta: float = 8.0
    alpha_buy: float = 0.0
    price_weight: float = 2.0
    min_occupation_years: int = 0


@dataclass(frozen=True)
class Market:
    """The resale market, in monthly rounds: each month every home for sale is viewed by
    ``viewings_per_month`` households drawn at random from those looking; the first who wants it, and whom
    the caps allow, buys it. The asking price falls by ``discount_per_month`` (share of market value) for every
    month unsold, to at most ``max_discount``. Households looking for ``max_search_years`` years without
    finding a home leave the town. Under ``caps-buyback`` the public body buys, at ``buyback_discount``, a home
    unsold after ``buyback_after_months`` months for which at least one buyer was refused by a cap, and sells
    it again itself."""

    viewings_per_month: int = 4
    discount_per_month: float = 0.01
    max_discount: float = 0.15
    max_search_years: int = 3
    buyback_after_months: int = 6
    buyback_discount: float = 0.05


@dataclass(frozen=True)
class PolicySpec:
    """A policy of the simulation: ``kind`` is one of :data:`POLICY_KINDS`; ``caps`` names the caps (a preset,
    comma-joined presets or a policy TOML, as :func:`commonground.policy.load_policy` reads).

    Parameters
    ----------
    name : str
        The policy's name in results.
    kind : str, optional
        ``none`` (no caps), ``caps-new`` (on new homes), ``caps-resale`` (and on resales), ``caps-buyback``
        (and a public body buys a home the caps left unsold for
        ``market.buyback_after_months``).
    caps : str, optional
        The caps; needed unless ``kind`` is ``none``.
    council : CouncilOptions, optional
        An English council's lawful options (:mod:`commonground.simulate.uk_policies`).

    Raises
    ------
    PolicyError
        Unknown kind, or caps missing.

    Examples
    --------
    >>> spec = PolicySpec("eip", kind="caps-resale", caps="sg-eip-2010")
    >>> spec.caps_on_allocation, spec.caps_on_resale, spec.buyback
    (True, True, False)
    """

    name: str
    kind: str = "none"
    caps: str = ""
    council: Any = None  # CouncilOptions (commonground.simulate.uk_policies): lawful options of an English council

    def __post_init__(self) -> None:
        if self.kind not in POLICY_KINDS:
            raise PolicyError(f"policy '{self.name}': unknown kind '{self.kind}' (choose from: "
                              f"{', '.join(POLICY_KINDS)})")
        if self.kind != "none" and not self.caps:
            raise PolicyError(f"policy '{self.name}': kind '{self.kind}' needs 'caps' (a preset or policy file)")

    @property
    def caps_on_allocation(self) -> bool:
        """Caps apply to new homes."""
        return self.kind != "none"

    @property
    def caps_on_resale(self) -> bool:
        """Caps apply to resales."""
        return self.kind in ("caps-resale", "caps-buyback")

    @property
    def buyback(self) -> bool:
        """Homes a cap keeps unsold are bought back (kind ``caps-buyback``)."""
        return self.kind == "caps-buyback"


@dataclass(frozen=True)
class TownParams:
    """Everything one run of the town model needs besides the policy and the seed.

    Parameters
    ----------
    years : int, optional
        Years simulated.
    town, migration, launches, behaviour, market : optional
        The sections (:class:`Town`, :class:`Migration`, :class:`Launches`, :class:`Behaviour`,
        :class:`Market`), each with its documented defaults.
    measure_caps : str, optional
        Caps to report utilisation against even when the policy applies none.

    Raises
    ------
    InputError
        A value out of range (checked on construction).
    """

    years: int = 10
    town: Town = field(default_factory=Town)
    migration: Migration = field(default_factory=Migration)
    launches: Launches = field(default_factory=Launches)
    behaviour: Behaviour = field(default_factory=Behaviour)
    market: Market = field(default_factory=Market)
    measure_caps: str = ""

    def __post_init__(self) -> None:
        validate(self)


SECTIONS = {"town": Town, "migration": Migration, "launches": Launches, "behaviour": Behaviour, "market": Market}


def section_from_dict(cls: type, data: Mapping[str, Any], *, where: str) -> Any:
    """Build a section, rejecting unknown keys and values of the wrong type (Pydantic, via
    :func:`commonground.io.config.table_from_dict`)."""
    return table_from_dict(cls, data, where=where)


@dataclass(frozen=True)
class _TopLevel:
    """The scenario-level keys beside the sections."""

    years: int = 10
    measure_caps: str = ""


def validate(p: TownParams) -> None:
    """Reject impossible values with one line naming the key."""
    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise InputError(f"'{key}' {what}")

    need(p.years >= 1, "years", f"must be ≥ 1, got {p.years}")
    t, m, la, b, mk = p.town, p.migration, p.launches, p.behaviour, p.market
    need(t.kind in ("english", "uk-town", "hdb", "census"), "town.kind",
         f"must be english, uk-town, hdb or census, got '{t.kind}'")
    if t.kind == "census":
        from commonground.simulate.uk_migration import check_census_params

        check_census_params(p)
    need(t.kind != "hdb" or bool(t.path), "town.path", "is needed for an HDB town (data.gov.sg property file)")
    for k in ("neighbourhoods", "blocks_per_neighbourhood", "homes_per_block"):
        need(getattr(t, k) >= 1, f"town.{k}", "must be ≥ 1")
    need(0 < t.occupancy <= 1, "town.occupancy", "must be in (0, 1]")
    need(t.household_size > 0, "town.household_size", "must be > 0")
    need(t.national_population > 0, "town.national_population", "must be > 0")
    need(t.neighbourhood_concentration > 0 and t.block_concentration > 0, "town.*_concentration", "must be > 0")
    _shares(t.shares, "town.shares")
    _shares(m.mix, "migration.mix")
    need(m.net_per_year >= 0, "migration.net_per_year",
         f"must be ≥ 0 (net inflow of persons a year), got {m.net_per_year:g}")
    need(0 <= m.population_share <= 1, "migration.population_share", "must be in [0, 1]")
    need(m.concentration >= 0, "migration.concentration", "must be ≥ 0")
    need(0 <= m.formation_rate <= 1, "migration.formation_rate", "must be in [0, 1]")
    need(0 <= m.departure_rate <= 1, "migration.departure_rate", "must be in [0, 1]")
    need(la.homes_per_year >= 0, "launches.homes_per_year", f"must be ≥ 0, got {la.homes_per_year}")
    need(la.block_size >= 1, "launches.block_size", "must be ≥ 1")
    need(la.applicants_per_home > 0, "launches.applicants_per_home", "must be > 0")
    from commonground.allocate import MECHANISMS

    need(la.mechanism in MECHANISMS, "launches.mechanism",
         f"'{la.mechanism}' is not a mechanism (choose from: {', '.join(MECHANISMS)})")
    need(b.model in PREFERENCE_MODELS, "behaviour.model", f"must be threshold or logit, got '{b.model}'")
    tol = b.tolerance.values() if isinstance(b.tolerance, Mapping) else [b.tolerance]
    need(all(0 <= float(x) <= 1 for x in tol), "behaviour.tolerance", "must be in [0, 1]")
    need(0 <= b.block_weight <= 1, "behaviour.block_weight", "must be in [0, 1]")
    need(0 <= b.base_move_rate <= 1 and 0 <= b.unhappy_move_rate <= 1 and b.base_move_rate + b.unhappy_move_rate <= 1,
         "behaviour.*_move_rate", "must be in [0, 1] and add up to at most 1")
    need(b.min_occupation_years >= 0, "behaviour.min_occupation_years", "must be ≥ 0")
    need(b.beta >= 0 and b.price_weight >= 0, "behaviour.beta/price_weight", "must be ≥ 0")
    need(mk.viewings_per_month >= 1, "market.viewings_per_month", "must be ≥ 1")
    need(0 <= mk.discount_per_month <= 1 and 0 <= mk.max_discount <= 1, "market.*discount*", "must be in [0, 1]")
    need(mk.max_search_years >= 1, "market.max_search_years", "must be ≥ 1")
    need(mk.buyback_after_months >= 1, "market.buyback_after_months", "must be ≥ 1")
    need(0 <= mk.buyback_discount <= 1, "market.buyback_discount", "must be in [0, 1]")
    check_bounds(p)


def _shares(s: Mapping[str, float], key: str) -> None:
    if not s:
        return
    if any(v < 0 for v in s.values()) or sum(s.values()) <= 0:
        raise InputError(f"'{key}' must be non-negative shares with a positive total")


def params_from_dict(data: Mapping[str, Any], *, where: str = "scenario") -> TownParams:
    """``{"years": …, "town": {…}, "migration": {…}, …}`` → :class:`TownParams`."""
    known = {"years", "measure_caps", *SECTIONS}
    extra = sorted(set(data) - known)
    if extra:
        raise InputError(f"{where}: unknown key '{extra[0]}' (expected: {', '.join(sorted(known))})")
    kw: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        if name in data:
            kw[name] = section_from_dict(cls, data[name], where=name)
    top = table_from_dict(_TopLevel, {k: data[k] for k in ("years", "measure_caps") if k in data}, where="")
    kw.update({k: getattr(top, k) for k in ("years", "measure_caps") if k in data})
    return TownParams(**kw)
