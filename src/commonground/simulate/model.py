"""The town model: state (arrays) and a yearly ``step``; the runner sees only ``run_town``.

One year, in order:

1. **Demography.** Each resident household not already selling leaves town with probability
   ``departure_rate``, or (after ``min_occupation_years``) decides to move by its mix preference
   (:class:`~commonground.simulate.params.Behaviour`); either puts its home up for sale. New households form
   (``formation_rate`` per resident household, of their parents' groups) and migrants arrive (``Migration``):
   both join the households looking for a home.
2. **Launch.** The year's new blocks are allocated by the core mechanism (caps on new allocations under every
   policy but ``none``); homes left empty are sold by the public body.
3. **Resale market**, 12 monthly rounds (``Market``): a buyer must want the home (mix and price) and, under
   ``caps-resale``/``caps-buyback``, be allowed by the caps; under ``caps-buyback`` the public body buys homes
   the caps left unsold. A mover whose home sells starts looking for a new one.
4. **Search ends.** Households looking for ``max_search_years`` years leave town.
5. **Measure** (:mod:`commonground.simulate.metrics`), including where the year's change in block and
   neighbourhood D and H came from: ``change.new_flats.*`` (the launch), ``change.departures.*`` and
   ``change.moves_out.*`` (sold homes' sellers leaving: households leaving town, residents moving), and
   ``change.moves_in.*`` (buyers moving into resale and public-sale homes: arrivals, new households, movers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from commonground.policy import NO_CAPS, Policy, load_policy
from commonground.policy.kernels import admit
from commonground.simulate import _market as K
from commonground.simulate._rng import new_state as new_rng_state
from commonground.simulate.launch import LaunchResult, launch_year
from commonground.simulate.metrics import (
    cap_metrics,
    change_parts,
    index_metrics,
    seller_metrics,
    summary_indices,
)
from commonground.simulate.params import PolicySpec, TownParams
from commonground.simulate.state import TownState, compile_caps, new_state, recount_caps, refresh_maximum
from commonground.simulate.town import build_layout, plan_launches

if TYPE_CHECKING:
    from commonground.simulate.uk_policies import UKLaunch


class TownModel:
    """``TownModel(params, policy, seed)``; ``step()`` runs one year and returns its metrics.

    Parameters
    ----------
    params : TownParams
        The town, migration, launches, behaviour and market.
    policy : PolicySpec
        Where the caps apply (new homes, resales, buy-backs) and which caps.
    seed : int or numpy.random.SeedSequence, optional
        The run's seed; the same seed gives the same run.

    Examples
    --------
    >>> from commonground.simulate.params import Launches, Town
    >>> params = TownParams(years=2, town=Town(neighbourhoods=2, blocks_per_neighbourhood=2, homes_per_block=20),
    ...                     launches=Launches(homes_per_year=20, block_size=20))
    >>> model = TownModel(params, PolicySpec("none"), seed=0)
    >>> model.measure()["homes"]
    80.0
    >>> model.step()["homes"]
    100.0
    """

    def __init__(self, params: TownParams, policy: PolicySpec, seed: int | np.random.SeedSequence = 0) -> None:
        self.params = params
        self.policy_spec = policy
        self.rng = np.random.default_rng(seed)
        self.rs = new_rng_state(self.rng)
        p = params
        self.attribute = p.town.attribute
        self.council = policy.council
        if self.council is not None:  # an English council's lawful options (commonground.simulate.uk_policies)
            from commonground.simulate import uk_policies

            layout, self.home_tenure = uk_policies.plan(build_layout(p.town), p.launches.homes_per_year,
                                                        p.launches.block_size, p.years, p.town.seed, self.council)
        else:
            layout = plan_launches(build_layout(p.town), p.launches.homes_per_year, p.launches.block_size,
                                   p.years, p.town.seed)
        self.caps_policy: Policy = load_policy(policy.caps) if policy.caps_on_allocation else NO_CAPS
        self.state: TownState = new_state(layout, self.caps_policy, self.attribute)
        st = self.state
        # Measuring caps: the policy's own, else the scenario's reference caps (to count units over them).
        ref = self.caps_policy if policy.caps_on_allocation else (load_policy(p.measure_caps) if p.measure_caps
                                                                  else None)
        self.reference_caps = None
        if ref is not None and ref.caps:
            self.reference_caps = compile_caps(ref, layout.groups, self.attribute, len(layout.block_ids),
                                               len(layout.nbhd_ids), layout.block_nbhd)
        # Tenure at the start: up to 30 years, so a minimum occupation period does not freeze year 1.
        occ = st.resident >= 0
        st.since[occ] = -self.rng.integers(0, 30, size=int(occ.sum()))
        G = st.n_groups
        self.tol = _per_group(p.behaviour.tolerance, layout.groups, "behaviour.tolerance")
        mix = p.migration.mix
        self.arrival_mix = (np.array([float(mix.get(g, 0.0)) for g in layout.groups]) if mix else layout.shares.copy())
        if mix and set(mix) - set(layout.groups):
            from commonground.errors import InputError

            raise InputError(f"migration.mix names group '{sorted(set(mix) - set(layout.groups))[0]}' not in the "
                             f"town (groups: {', '.join(layout.groups)})")
        self.arrival_mix = self.arrival_mix / self.arrival_mix.sum()
        households0 = int(occ.sum())
        share = p.migration.population_share or households0 * p.town.household_size / p.town.national_population
        self.arrivals_per_year = (p.migration.net_per_year * share * p.migration.concentration
                                  / p.town.household_size)
        if p.town.kind == "census":  # UK figures apportioned by a documented rule (simulate.uk_migration)
            from commonground.simulate.uk_migration import arrivals_per_year

            self.arrivals_per_year = arrivals_per_year(p, layout.groups, self.arrival_mix)
        if self.council is not None:
            self._council_rates(p, layout)
        self.pool_active = np.zeros(0, np.bool_)
        self.year = 0
        self.G = G

    # -- helpers -------------------------------------------------------------------------------------
    def _council_rates(self, p: TownParams, layout) -> None:
        """Employment and tenure demand per group for the council's options (national rates by group)."""
        from commonground.simulate.uk_policies import group_rates, tenure_demand

        weights = None
        if p.town.kind == "census":
            from commonground.scenarios.census import authority_counts
            from commonground.simulate.uk_rates import DETAILED

            ac = authority_counts(p.town.path, p.town.authority, neighbourhood=p.town.neighbourhood_level)
            weights = dict(zip(DETAILED, ac.persons.sum(axis=0).astype(float), strict=True))
        self.uk_rates = group_rates(layout.groups, self.council, weights)
        self.tenure_demand = tenure_demand(self.uk_rates)

    def _occupancy(self) -> tuple[np.ndarray, np.ndarray]:
        st = self.state
        return st.bcount.sum(axis=1), st.ncount.sum(axis=1)

    def _admit_home(self, d: int, g: int) -> None:
        st = self.state
        b = int(st.home_block[d])
        n = int(st.block_nbhd[b])
        st.resident[d] = g
        st.since[d] = self.year
        st.for_sale_months[d] = -1
        st.bcount[b, g] += 1
        st.ncount[n, g] += 1
        c = st.caps
        admit(c.level, c.hh_limit, c.count, c.block_neighbourhood, g, b, 1)

    def _join_pool(self, groups: np.ndarray, kind: int) -> None:
        st = self.state
        st.pool_group = np.concatenate([st.pool_group, groups.astype(np.int64)])
        st.pool_years = np.concatenate([st.pool_years, np.zeros(len(groups), np.int64)])
        st.pool_kind = np.concatenate([st.pool_kind, np.full(len(groups), kind, np.int64)])
        self.pool_active = np.concatenate([self.pool_active, np.ones(len(groups), np.bool_)])

    # -- the year ------------------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """Run one year: demography (arrivals, departures, new households), the launch, the resale market, the
        end of searches, then measure.

        Returns
        -------
        dict of str to float
            The year's metrics (:meth:`measure` plus the year's flows and the change decomposition).
        """
        self.year += 1
        st, p, b, mk = self.state, self.params, self.params.behaviour, self.params.market
        year, G = self.year, self.G
        out: dict[str, float] = {}
        stages = [summary_indices(st.bcount, st.ncount, st.groups)]  # for the decomposition of the change
        # 1. demography
        bocc, nocc = self._occupancy()
        departed = np.zeros(G, np.int64)
        moving = np.zeros(G, np.int64)
        unhappy = np.zeros(G, np.int64)
        K.decide_moves(self.rs, year, st.resident, st.since, st.for_sale_months, st.seller, st.seller_moves,
                       st.refused, st.home_block, st.block_nbhd, st.bcount, st.ncount, bocc, nocc, self.tol,
                       b.block_weight, b.model == "logit", b.base_move_rate, b.unhappy_move_rate, b.beta,
                       b.min_occupation_years, p.migration.departure_rate, departed, moving, unhappy)
        totals = st.bcount.sum(axis=0)
        n_form = self.rng.binomial(int(totals.sum()), p.migration.formation_rate)
        formed = np.repeat(np.arange(G), self.rng.multinomial(n_form, totals / max(totals.sum(), 1)))
        n_arr = self.rng.poisson(self.arrivals_per_year)
        arrived = np.repeat(np.arange(G), self.rng.multinomial(n_arr, self.arrival_mix))
        self._join_pool(arrived, 0)
        self._join_pool(formed, 1)
        out["departures"] = float(departed.sum())
        out["moves_decided"] = float(moving.sum())
        out["arrivals"] = float(n_arr)
        out["new_households"] = float(n_form)
        for gi, g in enumerate(st.groups):
            out[f"unhappy.{g}"] = float(unhappy[gi])
        # 2. launch
        if self.council is not None:
            from commonground.simulate.uk_policies import launch_year_uk

            uk = launch_year_uk(self, year)
            if uk is not None:
                out.update(uk.metrics)
            lr: UKLaunch | LaunchResult | None = uk
        else:
            lr = launch_year(st, year, self.caps_policy, p.launches.mechanism, p.launches.applicants_per_home,
                             p.launches.mix_weight, self.attribute, self.pool_active, self.rng, self._admit_home)
        if lr is not None:
            self.pool_active[lr.housed] = False
            out["launch.homes"] = float(lr.homes)
            out["launch.applicants"] = float(lr.applicants)
            out["launch.allocated"] = float(lr.allocated)
            out["launch.skipped_by_cap"] = float(lr.skipped_by_cap)
        stages.append(summary_indices(st.bcount, st.ncount, st.groups))
        # 3. resale market
        before = (st.resident.copy(), st.since.copy(), st.seller_moves.copy(), st.bcount.copy())
        listings = np.flatnonzero(st.for_sale_months >= 0).astype(np.int64)
        n_pool = len(st.pool_group)
        cap = n_pool + len(listings)
        pool_group = np.zeros(cap, np.int64)
        pool_group[:n_pool] = st.pool_group
        pool_kind = np.zeros(cap, np.int64)
        pool_kind[:n_pool] = st.pool_kind
        pool_years = np.zeros(cap, np.int64)
        pool_years[:n_pool] = st.pool_years
        pool_active = np.zeros(cap, np.bool_)
        pool_active[:n_pool] = self.pool_active
        R = 2 * len(listings) + 1
        rec = K.Records(np.zeros(R, np.int64), np.zeros(R, np.int64), np.zeros(R, np.int64), np.zeros(R),
                        np.zeros(R, np.int64), np.zeros(R, np.int64))
        bocc, nocc = self._occupancy()
        c = st.caps
        n_rec, n_pool = K.resale_market(
            self.rs, year, 12, listings,
            K.Homes(st.home_block, st.resident, st.since, st.for_sale_months, st.seller, st.seller_moves,
                    st.refused),
            K.Mix(st.block_nbhd, st.bcount, st.ncount, bocc, nocc),
            K.CapArrays(c.level, c.hh_limit, c.count, c.maximum),
            K.Pool(pool_group, pool_kind, pool_active), n_pool,
            K.Buyers(self.tol, float(b.block_weight), b.model == "logit", float(b.beta), float(b.alpha_buy),
                     float(b.price_weight)),
            K.Rules(int(mk.viewings_per_month), float(mk.discount_per_month), float(mk.max_discount),
                    self.policy_spec.caps_on_resale, self.policy_spec.buyback, int(mk.buyback_after_months),
                    float(mk.buyback_discount)),
            rec)
        r_seller, _r_buyer, r_months, r_disc, r_ref, r_kind = (a[:n_rec] for a in rec)
        stages += self._market_stages(*before)
        out.update(seller_metrics(st.groups, r_seller, r_months, r_disc, r_ref, r_kind))
        still = st.for_sale_months >= 0
        out["for_sale.year_end"] = float(still.sum())
        for gi, g in enumerate(st.groups):
            out[f"for_sale.year_end.{g}"] = float((still & (st.seller == gi)).sum())
        # 4. search ends: compact the pool, age it, and let the longest-looking leave.
        keep = pool_active[:n_pool]
        st.pool_group = pool_group[:n_pool][keep]
        st.pool_kind = pool_kind[:n_pool][keep]
        st.pool_years = pool_years[:n_pool][keep] + 1
        gone = st.pool_years >= mk.max_search_years
        out["left_unhoused"] = float(gone.sum())
        for gi, g in enumerate(st.groups):
            out[f"left_unhoused.{g}"] = float((gone & (st.pool_group == gi)).sum())
        st.pool_group, st.pool_kind, st.pool_years = st.pool_group[~gone], st.pool_kind[~gone], st.pool_years[~gone]
        self.pool_active = np.ones(len(st.pool_group), np.bool_)
        out.update(self.measure())
        out.update(change_parts(stages))
        return out

    def _market_stages(self, resident0: np.ndarray, since0: np.ndarray, moves0: np.ndarray, bcount0: np.ndarray
                       ) -> list[dict[str, float]]:
        """Indices after the market's sellers who leave town move out, then after the movers' move out, then
        after every buyer has moved in (the end state). The homes that changed hands are those whose resident or
        move-in year changed during the market."""
        st = self.state
        nb, G = st.bcount.shape
        changed = (st.resident != resident0) | (st.since != since0)

        def per_block(m: np.ndarray, group: np.ndarray) -> np.ndarray:
            return np.bincount(st.home_block[m] * G + group[m], minlength=nb * G).reshape(nb, G)

        gone_dep = per_block(changed & (resident0 >= 0) & ~moves0, resident0)
        gone_mov = per_block(changed & (resident0 >= 0) & moves0, resident0)
        came = per_block(changed & (st.resident >= 0), st.resident)
        if not np.array_equal(bcount0 - gone_dep - gone_mov + came, st.bcount):
            raise AssertionError("the market's moves do not account for the change in resident counts")
        stages = []
        for b in (bcount0 - gone_dep, bcount0 - gone_dep - gone_mov):
            n = np.zeros_like(st.ncount)
            np.add.at(n, st.block_nbhd, b)
            stages.append(summary_indices(b, n, st.groups))
        stages.append(summary_indices(st.bcount, st.ncount, st.groups))
        return stages

    def measure(self) -> dict[str, float]:
        """Metrics of the current state: households, homes, people looking, shares and indices per group.

        Returns
        -------
        dict of str to float
            Metric name -> value.
        """
        st = self.state
        out: dict[str, float] = {}
        totals = st.bcount.sum(axis=0)
        out["households"] = float(totals.sum())
        out["homes"] = float(st.units()[0].sum())
        out["looking"] = float(len(st.pool_group))
        for gi, g in enumerate(st.groups):
            out[f"share.{g}"] = float(totals[gi] / max(totals.sum(), 1))
            out[f"looking.{g}"] = float((st.pool_group == gi).sum())
        out.update(index_metrics(st.bcount, st.ncount, st.groups))
        if self.council is not None or self.params.town.kind == "census":
            from commonground.simulate.uk_policies import new_home_metrics

            out.update(new_home_metrics(st))
        bu, nu = st.units()
        if self.reference_caps is not None:
            if self.reference_caps is not st.caps:
                refresh_maximum(self.reference_caps, bu, nu)
            out.update(cap_metrics(self.reference_caps, st.bcount, st.ncount, bu, nu))
        return out

    def run(self) -> pd.DataFrame:
        """Year 0 (the initial state) and every simulated year, as a tidy (year, metric, value) table.

        Returns
        -------
        pandas.DataFrame
            Columns year, metric, value.
        """
        rows = [(0, k, v) for k, v in self.measure().items()]
        for _ in range(self.params.years):
            rows += [(self.year, k, v) for k, v in self.step().items()]
        return pd.DataFrame(rows, columns=["year", "metric", "value"])

    def check_caps(self) -> None:
        """Assert the compiled counts equal a recount from residents (a consistency check for tests)."""
        st = self.state
        saved = st.caps.count.copy()
        recount_caps(st.caps, st.bcount, st.ncount)
        if not np.array_equal(saved, st.caps.count):
            raise AssertionError("cap counts drifted from the resident counts")


def _per_group(v: float | Mapping[str, float], groups: tuple[str, ...], key: str) -> np.ndarray:
    if isinstance(v, Mapping):
        unknown = set(v) - set(groups)
        if unknown:
            from commonground.errors import InputError

            raise InputError(f"'{key}' names group '{sorted(unknown)[0]}' not in the town "
                             f"(groups: {', '.join(groups)})")
        return np.array([float(v.get(g, 0.0)) for g in groups])
    return np.full(len(groups), float(v))


def run_town(params: TownParams, policy: PolicySpec, seed: int | np.random.SeedSequence) -> pd.DataFrame:
    """One run: (year, metric, value).

    Parameters
    ----------
    params : TownParams
        The town and its dynamics.
    policy : PolicySpec
        The policy.
    seed : int or numpy.random.SeedSequence
        The run's seed.

    Returns
    -------
    pandas.DataFrame
        :meth:`TownModel.run`'s table.

    Examples
    --------
    >>> from commonground.simulate.params import Launches, Town
    >>> params = TownParams(years=2, town=Town(neighbourhoods=2, blocks_per_neighbourhood=2, homes_per_block=20),
    ...                     launches=Launches(homes_per_year=20, block_size=20))
    >>> df = run_town(params, PolicySpec("none"), seed=0)
    >>> df[df["metric"] == "homes"]["value"].tolist()
    [80.0, 100.0, 120.0]
    """
    return TownModel(params, policy, seed).run()
