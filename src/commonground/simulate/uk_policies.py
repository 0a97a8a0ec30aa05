"""What an English council controls, as options the town model runs (``[[policies]] council = {…}``).

* **Where new homes go** (``sites``): ``dispersed`` — each year's blocks in neighbourhoods drawn in proportion
  to their homes (as :func:`~commonground.simulate.town.plan_launches`); ``large`` — every new block on
  ``large_sites`` sites (neighbourhoods drawn once, or named in ``site_neighbourhoods``).
* **Tenure mix** (``tenure``, ``tenure_mix``): ``pepper-potted`` — every new block holds social rent, shared
  ownership and market homes in the mix (section 106 practice); ``by-block`` — each new block is one tenure,
  blocks given tenures so the totals keep the mix; ``none`` — no tenures (every applicant may take any home).
  Applicants want one tenure, drawn from national rates by group (:mod:`~commonground.simulate.uk_rates`:
  social renting, owner occupation; the rest want shared ownership).
* **Local lettings** (Housing Act 1996 s.166A(6)(b)): ``working_share`` of a new block's social lettings kept
  for working households, ``local_share`` for households with a local connection (households formed in the
  town or moving within it; arrivals from abroad have none). Written as block caps on the *other* social
  applicants, so the core mechanisms enforce them; a home no eligible applicant bids for stays empty and is
  then sold by the public body (a cost the metrics record). Working status is drawn from national employment
  rates by group.
* Homes are let by **choice-based lettings** with bands (``bands``: illustrative shares of social applicants
  in bands A–D) and waiting time (years looking); shared-ownership and market homes go to their applicants
  by waiting time then lot.
* **HDB-style ethnic caps** stay what they were (policy ``kind`` ``caps-new`` etc.) and are for analysis only
  in Great Britain: :data:`UNLAWFUL` is the sentence every summary and report shows beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from commonground.errors import InputError, PolicyError
from commonground.measure import Counts, multi_dissimilarity, theil_h
from commonground.policy import Cap, CapLimit, Policy
from commonground.policy.lawful import UNLAWFUL  # noqa: F401  (re-exported: the sentence lives in policy.lawful)
from commonground.simulate.town import Layout, plan_launches, with_new_blocks
from commonground.simulate.uk_rates import BROAD_GROUPS, DETAILED, broad_rates, detailed_values

TENURES = ("social", "shared", "market")
DEFAULT_MIX = {"social": 0.25, "shared": 0.10, "market": 0.65}  # illustrative section 106 mix (35 % affordable)
DEFAULT_BANDS = {"A": 0.10, "B": 0.25, "C": 0.35, "D": 0.30}    # illustrative, as the core's uk-town scenario
NOT_SOCIAL = "not social rent"  # the "band" of shared-ownership and market applicants: after every real band
SPLIT_BY_TENURE = True  # let each tenure as its own problem when no cap couples them (benchmarks switch it)
KEYS = ("sites", "large_sites", "site_neighbourhoods", "tenure", "tenure_mix", "working_share", "local_share",
        "bands", "rates")


@dataclass(frozen=True)
class CouncilOptions:
    sites: str = "dispersed"
    large_sites: int = 2
    site_neighbourhoods: tuple[str, ...] = ()
    tenure: str = "by-block"
    tenure_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    working_share: float = 0.0
    local_share: float = 0.0
    bands: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BANDS))
    rates: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"sites {self.sites}" + (f" ({self.large_sites})" if self.sites == "large" else ""),
                 f"tenure {self.tenure}"]
        if self.working_share:
            parts.append(f"{self.working_share:.0%} of social lettings to working households")
        if self.local_share:
            parts.append(f"{self.local_share:.0%} to local connection")
        return ", ".join(parts)


def council_from_dict(data: Any, where: str) -> CouncilOptions:
    """``council = {…}`` of a ``[[policies]]`` table → :class:`CouncilOptions` (one-line errors)."""
    if not isinstance(data, Mapping):
        raise PolicyError(f"{where}: 'council' must be a table")
    bad = sorted(set(data) - set(KEYS))
    if bad:
        raise PolicyError(f"{where}: council: unknown key '{bad[0]}' (expected: {', '.join(KEYS)})")
    kw: dict[str, Any] = dict(data)
    if "site_neighbourhoods" in kw:
        kw["site_neighbourhoods"] = tuple(str(x) for x in kw["site_neighbourhoods"])
    o = CouncilOptions(**kw)

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise PolicyError(f"{where}: council: {what}")

    need(o.sites in ("dispersed", "large"), f"sites must be dispersed or large, got '{o.sites}'")
    need(isinstance(o.large_sites, int) and o.large_sites >= 1, "large_sites must be a whole number ≥ 1")
    need(o.tenure in ("pepper-potted", "by-block", "none"),
         f"tenure must be pepper-potted, by-block or none, got '{o.tenure}'")
    need(isinstance(o.tenure_mix, Mapping) and set(o.tenure_mix) <= set(TENURES)
         and all(isinstance(v, int | float) and v >= 0 for v in o.tenure_mix.values())
         and sum(o.tenure_mix.values()) > 0, f"tenure_mix must be shares of {', '.join(TENURES)}")
    for k in ("working_share", "local_share"):
        v = getattr(o, k)
        need(isinstance(v, int | float) and 0 <= v <= 1, f"{k} must be in [0, 1], got {v!r}")
    need(isinstance(o.bands, Mapping) and len(o.bands) > 0 and all(v >= 0 for v in o.bands.values())
         and sum(o.bands.values()) > 0, "bands must be shares of band names")
    need(NOT_SOCIAL not in o.bands, f"bands: '{NOT_SOCIAL}' is reserved for non-social applicants")
    for name, table in o.rates.items():
        need(name in ("employment", "social_rent", "owner_occupied"),
             f"rates: unknown rate '{name}' (employment, social_rent, owner_occupied)")
        try:
            detailed_values(name, table)
        except InputError as e:
            raise PolicyError(f"{where}: council: rates: {e.problem}") from None
    return o


# -- plans ---------------------------------------------------------------------------------------------
def plan(layout: Layout, homes_per_year: int, block_size: int, years: int, seed: int, o: CouncilOptions
         ) -> tuple[Layout, np.ndarray]:
    """The launch plan under the options, and each home's tenure (index into :data:`TENURES`, -1 existing)."""
    if o.sites == "dispersed" or homes_per_year <= 0:
        lay = plan_launches(layout, homes_per_year, block_size, years, seed)
    else:
        lay = _large_sites(layout, homes_per_year, block_size, years, seed, o)
    return lay, tenures(lay, o)


def _large_sites(layout: Layout, homes_per_year: int, block_size: int, years: int, seed: int,
                 o: CouncilOptions) -> Layout:
    n_nbhd = len(layout.nbhd_ids)
    if o.site_neighbourhoods:
        idx = {str(x): i for i, x in enumerate(layout.nbhd_ids)}
        missing = [s for s in o.site_neighbourhoods if s not in idx]
        if missing:
            raise InputError(f"council.site_neighbourhoods: no neighbourhood '{missing[0]}' in the town")
        sites = np.array([idx[s] for s in o.site_neighbourhoods], np.int64)
    else:
        rng = np.random.default_rng([seed, 2])
        w = np.bincount(layout.block_nbhd, weights=layout.block_homes, minlength=n_nbhd).astype(float)
        sites = rng.choice(n_nbhd, size=min(o.large_sites, n_nbhd), replace=False, p=w / w.sum())
    k = max(1, int(np.ceil(homes_per_year / block_size)))
    sizes = np.full(k, homes_per_year // k, np.int64)
    sizes[: homes_per_year % k] += 1
    nb, hm, ly, ids = [], [], [], []
    for t in range(1, years + 1):
        for j in range(k):
            s = sites[(t * k + j) % len(sites)]
            nb.append(s)
            hm.append(sizes[j])
            ly.append(t)
            ids.append(f"{layout.nbhd_ids[s]}-SITE-Y{t:02d}L{j + 1:02d}")
    return with_new_blocks(layout, nb, hm, ly, ids)


def _mix(o: CouncilOptions) -> np.ndarray:
    m = np.array([float(o.tenure_mix.get(t, 0.0)) for t in TENURES])
    return m / m.sum()


def _split(n: int, p: np.ndarray) -> np.ndarray:
    """``n`` into parts in proportion ``p`` by largest remainder."""
    x = n * p
    out = np.floor(x).astype(np.int64)
    out[np.argsort(-(x - out), kind="stable")[: n - int(out.sum())]] += 1
    return out


def tenures(lay: Layout, o: CouncilOptions) -> np.ndarray:
    ten = np.full(int(lay.block_homes.sum()), -1, np.int64)
    start = np.r_[0, np.cumsum(lay.block_homes)]
    new = np.flatnonzero(lay.launch_year > 0)
    if o.tenure == "none":
        for b in new:
            ten[start[b]:start[b + 1]] = 0
        return ten
    p = _mix(o)
    if o.tenure == "pepper-potted":
        for b in new:
            ten[start[b]:start[b + 1]] = np.repeat(np.arange(3), _split(int(lay.block_homes[b]), p))
        return ten
    # by block: each block one tenure, the tenure furthest behind its share of homes so far
    done = np.zeros(3)
    for b in new[np.lexsort((new, lay.launch_year[new]))]:
        h = int(lay.block_homes[b])
        t = int(np.argmax(p * (done.sum() + h) - done))
        ten[start[b]:start[b + 1]] = t
        done[t] += h
    return ten


# -- attributes of applicants ----------------------------------------------------------------------------
def group_rates(groups: tuple[str, ...], o: CouncilOptions, weights: Mapping[str, float] | None
                ) -> dict[str, np.ndarray]:
    """Per simulated group: employment, social_rent and owner_occupied rates."""
    out = {}
    for name in ("employment", "social_rent", "owner_occupied"):
        vals = detailed_values(name, o.rates.get(name))
        if set(groups) <= set(DETAILED):
            out[name] = np.array([vals[g] for g in groups])
        elif set(groups) <= set(BROAD_GROUPS):
            b = broad_rates(vals, weights or {})
            out[name] = np.array([b[g] for g in groups])
        else:
            raise InputError(f"council options need census groups (broad: {', '.join(BROAD_GROUPS)}; or the 15 "
                             f"detailed ones), the town has {', '.join(groups)}")
    return out


def tenure_demand(rates: dict[str, np.ndarray]) -> np.ndarray:
    """(G, 3) probability of wanting social / shared / market: social renters → social, owners → market, the
    rest (private renters) → shared ownership."""
    s = np.clip(rates["social_rent"], 0, 1)
    m = np.clip(rates["owner_occupied"], 0, 1 - s)
    return np.column_stack([s, 1 - s - m, m])


# -- the launch ------------------------------------------------------------------------------------------
def letting_policy(base: Policy, o: CouncilOptions, social_fraction: float) -> Policy:
    """The base (ethnic) caps plus the local lettings caps, with the bands as the shortlist order."""
    caps = list(base.caps)
    groups = dict(base.groups)
    for attr, share in (("lettings_work", o.working_share), ("lettings_local", o.local_share)):
        if share > 0:
            caps.append(Cap(attr, "block", (CapLimit("restricted", frozenset({"restricted"}),
                                                     float(min(1.0, (1 - share) * social_fraction))),)))
            groups[attr] = ("restricted", "free")
    return Policy(name=f"{base.name} + council", caps=tuple(caps), rule=base.rule, source=base.source,
                  priority_order=(*o.bands, NOT_SOCIAL), groups=groups)


@dataclass
class UKLaunch:
    homes: int
    applicants: int
    allocated: int
    skipped_by_cap: int
    housed: np.ndarray
    metrics: dict[str, float]


def launch_year_uk(model: Any, year: int) -> UKLaunch | None:
    """Allocate the year's new blocks with tenures, bands and local lettings (see the module docstring).

    Applicants want one tenure and no cap couples tenures unless the policy has ethnic caps, so without them
    each tenure is let as its own problem (the same lettings, about 2.3× less work for the core's choice-based
    lettings, whose bids compare every bidder with every advertised home); with them, one problem holds every
    new home and, as stand-ins, the other homes of the neighbourhoods it touches (neighbourhood caps count them).
    """
    st, o, rng = model.state, model.council, model.rng
    lay = st.layout
    new_blocks = np.flatnonzero(lay.launch_year == year)
    if len(new_blocks) == 0:
        return None
    from commonground.simulate.launch import open_blocks

    open_blocks(st, new_blocks)
    new_homes = np.concatenate([np.arange(st.block_start[b], st.block_start[b + 1]) for b in new_blocks])
    looking = np.flatnonzero(model.pool_active)
    n_app = int(min(len(looking), np.ceil(model.params.launches.applicants_per_home * len(new_homes))))
    metrics: dict[str, float] = {"uk.new_homes": float(len(new_homes))}
    if n_app == 0:
        metrics["uk.new_homes_empty"] = float(len(new_homes))
        _public_sale(st, new_homes)
        return UKLaunch(len(new_homes), 0, 0, 0, np.zeros(0, np.int64), metrics)
    apps = np.sort(rng.choice(looking, size=n_app, replace=False))
    g = st.pool_group[apps]
    # Attributes the census lacks, drawn from national rates by group.
    r = model.uk_rates
    if o.tenure == "none":
        demand = np.zeros(n_app, np.int64)
    else:
        cum = np.cumsum(model.tenure_demand[g], axis=1)
        demand = (rng.random(n_app)[:, None] > cum).sum(axis=1).clip(0, 2)
    working = rng.random(n_app) < r["employment"][g]
    local = st.pool_kind[apps] != 0
    band_names = tuple(o.bands)
    bp = np.array([o.bands[b] for b in band_names], float)
    band = rng.choice(len(band_names), size=n_app, p=bp / bp.sum())
    social = demand == 0
    priority = np.where(social, np.array(band_names, dtype=object)[band], NOT_SOCIAL).astype(object)
    noise = rng.gumbel(0.0, 1.0, (n_app, len(new_blocks)))
    social_fraction = _mix(o)[0] if o.tenure == "pepper-potted" else 1.0
    policy = letting_policy(model.caps_policy, o, social_fraction)
    home_ten = np.maximum(model.home_tenure[new_homes], 0)
    flat_home = np.full(n_app, -1, np.int64)  # the home each applicant got
    skipped = 0
    joint = model.caps_policy.caps or o.tenure == "none" or not SPLIT_BY_TENURE
    parts = [(None, None)] if joint else [(t, t) for t in range(3)]
    for t_homes, t_apps in parts:
        sel_h = new_homes if t_homes is None else new_homes[home_ten == t_homes]
        sel_a = np.arange(n_app) if t_apps is None else np.flatnonzero(demand == t_apps)
        if len(sel_h) == 0 or len(sel_a) == 0:
            continue
        got_a, got_h, sk = _let(model, policy, year, new_blocks, sel_h, sel_a, g, demand, social, working, local,
                                priority, apps, noise, stand_ins=t_homes is None)
        flat_home[got_a] = got_h
        skipped += sk
    got = np.flatnonzero(flat_home >= 0)
    for h in got:
        model._admit_home(int(flat_home[h]), int(g[h]))
    left = new_homes[st.resident[new_homes] < 0]
    _public_sale(st, left)
    metrics["uk.new_homes_empty"] = float(len(left))
    got_ten = np.maximum(model.home_tenure[flat_home[got]], 0)
    for ti, t in enumerate(TENURES):
        metrics[f"uk.let.{t}"] = float((got_ten == ti).sum())
        metrics[f"uk.empty.{t}"] = float((model.home_tenure[left] == ti).sum()) if o.tenure != "none" else 0.0
    wait = st.pool_years[apps[got]].astype(float)
    soc = social[got]
    for gi, name in enumerate(lay.groups):
        m = g[got] == gi
        metrics[f"uk.social_lettings.{name}"] = float((m & soc).sum())
        metrics[f"uk.applicants.{name}"] = float((g == gi).sum())
        metrics[f"uk.housed.{name}"] = float(m.sum())
        metrics[f"uk.wait_years.{name}"] = float(wait[m & soc].mean()) if (m & soc).any() else float("nan")
    for bi, b in enumerate(band_names):
        m = soc & (band[got] == bi)
        metrics[f"uk.wait_years.band.{b}"] = float(wait[m].mean()) if m.any() else float("nan")
    metrics["uk.social_lettings.working"] = float((soc & working[got]).sum())
    metrics["uk.social_lettings.local"] = float((soc & local[got]).sum())
    return UKLaunch(len(new_homes), n_app, len(got), skipped, apps[got], metrics)


def _let(model: Any, policy: Policy, year: int, new_blocks: np.ndarray, sel_h: np.ndarray, sel_a: np.ndarray,
         g: np.ndarray, demand: np.ndarray, social: np.ndarray, working: np.ndarray, local: np.ndarray,
         priority: np.ndarray, apps: np.ndarray, noise: np.ndarray, *, stand_ins: bool
         ) -> tuple[np.ndarray, np.ndarray, int]:
    """One core allocation of the new homes ``sel_h`` to the applicants ``sel_a``: (applicants housed, their
    homes, applicants skipped by a cap)."""
    from commonground.allocate import allocate
    from commonground.model import Development, Households, Problem
    from commonground.model.preferences import BlockUtilities

    st = model.state
    lay = st.layout
    blocks = np.unique(st.home_block[sel_h])
    nbhds = np.unique(lay.block_nbhd[blocks])
    home_nb = lay.block_nbhd[st.home_block]
    rest = (np.flatnonzero(np.isin(home_nb, nbhds) & st.built[st.home_block]
                           & (lay.launch_year[st.home_block] != year)) if stand_ins else np.zeros(0, np.int64))
    homes = np.concatenate([sel_h, rest])
    nb_code = np.full(len(lay.nbhd_ids), -1, np.int64)
    nb_code[nbhds] = np.arange(len(nbhds))
    flat_block = np.concatenate([np.searchsorted(blocks, st.home_block[sel_h]),
                                 len(blocks) + nb_code[home_nb[rest]]]).astype(np.int64)
    groups = np.array(lay.groups, dtype=object)
    res = st.resident[homes]
    n = len(homes)
    ten = np.concatenate([np.maximum(model.home_tenure[sel_h], 0), np.zeros(len(rest), np.int64)])
    dev = Development(
        neighbourhood_ids=lay.nbhd_ids[nbhds].astype(object),
        block_ids=np.concatenate([lay.block_ids[blocks],
                                  np.array([f"{x} (standing)" for x in lay.nbhd_ids[nbhds]] if stand_ins else [],
                                           dtype=object)]),
        block_neighbourhood=np.concatenate([nb_code[lay.block_nbhd[blocks]],
                                            np.arange(len(nbhds)) if stand_ins else np.zeros(0, np.int64)]),
        flat_ids=np.arange(n).astype(object), flat_block=flat_block, flat_type=ten, flat_type_names=TENURES,
        flat_floor=np.zeros(n, np.int64), flat_value=np.zeros(n), occupied=res >= 0,
        occupants={model.attribute: np.where(res >= 0, groups[np.maximum(res, 0)],
                                                       np.array(None, dtype=object)).astype(object)})
    k = len(sel_a)
    G = len(groups) if stand_ins else 0
    ga = g[sel_a]
    free = np.full(G, "free", dtype=object)
    restricted = {"lettings_work": social & ~working, "lettings_local": social & ~local}
    hh = Households(
        ids=np.array([f"P{p}" for p in apps[sel_a]] + [f"stand-in {x}" for x in groups[:G]], dtype=object),
        attributes={model.attribute: np.concatenate([groups[ga], groups[:G]]),
                    **{a: np.concatenate([np.where(m[sel_a], "restricted", "free"), free])
                       for a, m in restricted.items()}},
        priority=np.concatenate([priority[sel_a], np.full(G, NOT_SOCIAL, dtype=object)]),
        waiting_days=np.concatenate([365.0 * st.pool_years[apps[sel_a]].astype(float), np.zeros(G)]))
    around = st.ncount[lay.block_nbhd[blocks]]
    nb_share = around / np.maximum(around.sum(axis=1, keepdims=True), 1)
    cols = np.searchsorted(new_blocks, blocks)
    U = np.full((k + G, dev.n_blocks), -np.inf)
    U[:k, :len(blocks)] = (1.0 + model.params.launches.mix_weight * nb_share[:, ga].T + noise[np.ix_(sel_a, cols)])
    V = np.full((k + G, len(TENURES)), -np.inf)
    V[np.arange(k), demand[sel_a]] = 0.0
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=V))
    result = allocate(problem, policy, model.params.launches.mechanism, seed=int(model.rng.integers(2**31)))
    got = np.flatnonzero(result.flat_of[:k] >= 0)
    skipped = int(sum(1 for x in result.reason[:k] if "cap" in str(x)))
    return sel_a[got], homes[result.flat_of[got]], skipped


def _public_sale(st: Any, homes: np.ndarray) -> None:
    st.for_sale_months[homes] = 0
    st.seller[homes] = -1


def new_home_metrics(st: Any) -> dict[str, float]:
    """Dissimilarity and Theil's H across the *new* blocks built so far (are new homes mixed?)."""
    lay = st.layout
    new = np.flatnonzero((lay.launch_year > 0) & st.built)
    out: dict[str, float] = {}
    if len(new) < 2:
        return out
    x = st.bcount[new]
    x = x[x.sum(axis=1) > 0]
    keep = x.sum(axis=0) > 0
    if len(x) < 2 or keep.sum() < 2:
        return out
    c = Counts(x[:, keep].astype(float), [g for g, k in zip(lay.groups, keep, strict=True) if k])
    out["new.dissimilarity"] = float(multi_dissimilarity(c).iloc[0])
    out["new.theil_h"] = float(theil_h(c).iloc[0])
    return out
