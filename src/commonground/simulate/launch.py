"""New developments: the year's launched blocks are allocated by a core mechanism under the policy's caps.

The launch becomes a core :class:`~commonground.model.Problem`: its new blocks, plus one stand-in block per
neighbourhood it touches that holds every other built home of that neighbourhood with its resident (so the
neighbourhood caps count existing residents and the launch's own units, as the core's counting rule says).
No applicant accepts a stand-in block (utility ``-inf``), so only new homes are allocated. Applicants value a
new block at ``1 + mix_weight × own-group share of its neighbourhood + Gumbel noise``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commonground.allocate import allocate
from commonground.model import Development, Households, Problem
from commonground.model.preferences import BlockUtilities
from commonground.policy import Policy
from commonground.simulate.state import TownState, refresh_maximum


@dataclass
class LaunchResult:
    homes: int
    applicants: int
    allocated: int
    skipped_by_cap: int
    housed: np.ndarray  # pool indices housed


def open_blocks(st: TownState, new_blocks: np.ndarray) -> None:
    """The year's new blocks are built: their homes count in the units, and the caps' maxima grow with them."""
    st.built[new_blocks] = True
    bu, nu = st.units()
    refresh_maximum(st.caps, bu, nu, new_blocks)


def launch_year(st: TownState, year: int, policy: Policy, mechanism: str, applicants_per_home: float,
                mix_weight: float, attribute: str, pool_active: np.ndarray, rng: np.random.Generator,
                admit_fn) -> LaunchResult | None:
    lay = st.layout
    new_blocks = np.flatnonzero(lay.launch_year == year)
    if len(new_blocks) == 0:
        return None
    open_blocks(st, new_blocks)
    nbhds = np.unique(lay.block_nbhd[new_blocks])
    # Homes in the development: the new blocks' (vacant), then the rest of their neighbourhoods (stand-ins).
    new_homes = np.concatenate([np.arange(st.block_start[b], st.block_start[b + 1]) for b in new_blocks])
    home_nb = lay.block_nbhd[st.home_block]
    rest = np.flatnonzero(np.isin(home_nb, nbhds) & st.built[st.home_block] & (lay.launch_year[st.home_block] != year))
    homes = np.concatenate([new_homes, rest])
    n_new_blocks = len(new_blocks)
    nb_code = np.full(len(lay.nbhd_ids), -1, np.int64)
    nb_code[nbhds] = np.arange(len(nbhds))
    block_of_new = np.searchsorted(new_blocks, st.home_block[new_homes])
    block_of_rest = n_new_blocks + nb_code[home_nb[rest]]
    flat_block = np.concatenate([block_of_new, block_of_rest]).astype(np.int64)
    block_neighbourhood = np.concatenate([nb_code[lay.block_nbhd[new_blocks]], np.arange(len(nbhds))])
    groups = np.array(lay.groups, dtype=object)
    res = st.resident[homes]
    occ_attr = np.where(res >= 0, groups[np.maximum(res, 0)], np.array(None, dtype=object)).astype(object)
    n = len(homes)
    dev = Development(
        neighbourhood_ids=lay.nbhd_ids[nbhds].astype(object),
        block_ids=np.concatenate([lay.block_ids[new_blocks], np.array([f"{x} (standing)" for x in lay.nbhd_ids[nbhds]],
                                                                     dtype=object)]),
        block_neighbourhood=block_neighbourhood, flat_ids=np.arange(n).astype(object),  # positions: never shown
        flat_block=flat_block, flat_type=np.zeros(n, np.int64), flat_type_names=("",),
        flat_floor=np.zeros(n, np.int64), flat_value=np.zeros(n), occupied=res >= 0, occupants={attribute: occ_attr})
    looking = np.flatnonzero(pool_active)
    n_app = int(min(len(looking), np.ceil(applicants_per_home * len(new_homes))))
    if n_app == 0:
        return LaunchResult(len(new_homes), 0, 0, 0, np.zeros(0, np.int64))
    apps = np.sort(rng.choice(looking, size=n_app, replace=False))
    g = st.pool_group[apps]
    # One stand-in household per group, accepting nothing, so every group the caps name is known to the core's
    # policy check even when no applicant or resident of these neighbourhoods belongs to it.
    G = len(groups)
    hh = Households(ids=np.array([f"P{p}" for p in apps] + [f"stand-in {x}" for x in groups], dtype=object),
                    attributes={attribute: np.concatenate([groups[g], groups])},
                    waiting_days=np.concatenate([365.0 * st.pool_years[apps].astype(float), np.zeros(G)]))
    around = st.ncount[lay.block_nbhd[new_blocks]]
    nb_share = around / np.maximum(around.sum(axis=1, keepdims=True), 1)
    U = np.full((n_app + G, dev.n_blocks), -np.inf)
    U[:n_app, :n_new_blocks] = 1.0 + mix_weight * nb_share[:, g].T + rng.gumbel(0.0, 1.0, (n_app, n_new_blocks))
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((n_app + G, 1))))
    result = allocate(problem, policy, mechanism, seed=int(rng.integers(2**31)))
    got = np.flatnonzero(result.flat_of[:n_app] >= 0)
    for h in got:
        admit_fn(int(homes[result.flat_of[h]]), int(g[h]))
    skipped_cap = int(sum(1 for r in result.reason[:n_app] if "cap" in str(r)))
    # Homes the launch left empty are sold by the public body on the resale market.
    left = new_homes[st.resident[new_homes] < 0]
    st.for_sale_months[left] = 0
    st.seller[left] = -1
    return LaunchResult(len(new_homes), n_app, len(got), skipped_cap, apps[got])
