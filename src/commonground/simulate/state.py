"""The simulation state: arrays only, so the sequential loops can be Numba kernels.

Homes are indexed ``d``, blocks ``b``, neighbourhoods ``n``, groups ``g`` (a household is its group: the caps
and preferences see nothing else). A home for sale keeps its owner counted until the sale completes, as HDB's
resale check counts the registered owner; ``for_sale_months[d]`` ≥ 0 marks a listing, ``seller[d]`` its
owner's group (-1: the public body sells it, empty).

Caps are the core's :class:`~commonground.policy.CapState` compiled for *groups* instead of households:
``hh_limit[c, g]`` is group g's limit under cap c, so the core kernels ``blocking_cap(…, h=g, b)`` and
``admit(…, h=g, b, ±1)`` apply as they are. Maxima follow the dwelling units *built* so far (a launch
enlarges its neighbourhood's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commonground.policy import NO_CAPS, CapState, Policy, max_count
from commonground.policy.kernels import BLOCK, LEVEL_CODE
from commonground.policy.state import limit_codes
from commonground.simulate.town import Layout


@dataclass(eq=False)
class TownState:
    layout: Layout
    home_block: np.ndarray       # (D,)
    block_start: np.ndarray      # (B+1,) homes of block b are block_start[b]:block_start[b+1]
    built: np.ndarray            # (B,) bool
    resident: np.ndarray         # (D,) group or -1
    since: np.ndarray            # (D,) year moved in
    for_sale_months: np.ndarray  # (D,) months on the market, -1 = not for sale
    seller: np.ndarray           # (D,) seller's group (-1 = public body)
    seller_moves: np.ndarray     # (D,) bool: the seller stays in town and looks for a home after the sale
    refused: np.ndarray          # (D,) buyers refused by a cap while on the market
    bcount: np.ndarray           # (B, G) residents per block and group (sellers included until sale)
    ncount: np.ndarray           # (N, G)
    caps: CapState
    # households looking for a home
    pool_group: np.ndarray
    pool_years: np.ndarray
    pool_kind: np.ndarray        # 0 arrival, 1 new household, 2 mover, 3 public-sector / initial
    year: int = 0

    @property
    def groups(self) -> tuple[str, ...]:
        return self.layout.groups

    @property
    def n_groups(self) -> int:
        return len(self.layout.groups)

    @property
    def block_nbhd(self) -> np.ndarray:
        return self.layout.block_nbhd

    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """Dwelling units built per block and per neighbourhood (the caps' denominators)."""
        bu = np.where(self.built, self.layout.block_homes, 0)
        nu = np.bincount(self.layout.block_nbhd, weights=bu, minlength=len(self.layout.nbhd_ids)).astype(np.int64)
        return bu, nu


def compile_caps(policy: Policy, groups: tuple[str, ...], attribute: str, n_blocks: int, n_nbhd: int,
                 block_nbhd: np.ndarray) -> CapState:
    """A :class:`CapState` whose "households" are the groups (``hh_limit[c, g]``); counts start at 0."""
    known = {attribute: set(groups)}
    policy.validate_groups(known)
    for cap in policy.caps:
        if cap.attribute != attribute:
            from commonground.errors import PolicyError

            raise PolicyError(f"policy '{policy.name}': the simulation's households have only '{attribute}', "
                              f"not '{cap.attribute}'")
    C = len(policy.caps)
    U = max(n_blocks, n_nbhd, 1)
    L = max((len(c.limits) for c in policy.caps), default=1)
    names = np.array(groups, dtype=object)
    hh_limit = np.stack([limit_codes(c, names) for c in policy.caps]) if C else np.zeros((0, len(groups)), np.int64)
    return CapState(policy=policy, level=np.array([LEVEL_CODE[c.level] for c in policy.caps], np.int64),
                    hh_limit=hh_limit.astype(np.int64), occ_limit=np.zeros((C, 0), np.int64),
                    count=np.zeros((C, U, L), np.int64), maximum=np.zeros((C, U, L), np.int64),
                    block_neighbourhood=np.asarray(block_nbhd, np.int64))


def refresh_maximum(caps: CapState, block_units: np.ndarray, nbhd_units: np.ndarray,
                    blocks: np.ndarray | None = None) -> None:
    """Recompute maxima from units (all units, or the given blocks and their neighbourhoods)."""
    if caps.n_caps == 0:
        return
    rule = caps.policy.rule
    nbhds = None if blocks is None else np.unique(caps.block_neighbourhood[blocks])
    for c, cap in enumerate(caps.policy.caps):
        units = block_units if caps.level[c] == BLOCK else nbhd_units
        which = np.arange(len(units)) if blocks is None or nbhds is None else (
            blocks if caps.level[c] == BLOCK else nbhds)
        for li, lim in enumerate(cap.limits):
            caps.maximum[c, which, li] = [max_count(lim.share, int(units[u]), rule) for u in which]


def recount_caps(caps: CapState, bcount: np.ndarray, ncount: np.ndarray) -> None:
    """Cap counts from the resident counts (used at the start; kernels keep them up to date after)."""
    caps.count[:] = 0
    for c in range(caps.n_caps):
        table = bcount if caps.level[c] == BLOCK else ncount
        for g in range(bcount.shape[1]):
            li = caps.hh_limit[c, g]
            if li >= 0:
                caps.count[c, : table.shape[0], li] += table[:, g]


def new_state(layout: Layout, policy: Policy, attribute: str) -> TownState:
    B, N, G = len(layout.block_ids), len(layout.nbhd_ids), len(layout.groups)
    home_block = np.repeat(np.arange(B), layout.block_homes).astype(np.int64)
    block_start = np.zeros(B + 1, np.int64)
    np.cumsum(layout.block_homes, out=block_start[1:])
    built = layout.launch_year == 0
    resident = layout.resident.copy()
    occ = resident >= 0
    bcount = np.zeros((B, G), np.int64)
    np.add.at(bcount, (home_block[occ], resident[occ]), 1)
    ncount = np.zeros((N, G), np.int64)
    np.add.at(ncount, layout.block_nbhd, bcount)
    caps = compile_caps(policy if policy is not None else NO_CAPS, layout.groups, attribute, B, N, layout.block_nbhd)
    D = len(home_block)
    st = TownState(layout=layout, home_block=home_block, block_start=block_start, built=built, resident=resident,
                   since=np.zeros(D, np.int64), for_sale_months=np.full(D, -1, np.int64),
                   seller=np.full(D, -1, np.int64),
                   seller_moves=np.zeros(D, np.bool_), refused=np.zeros(D, np.int64), bcount=bcount, ncount=ncount,
                   caps=caps, pool_group=np.zeros(0, np.int64), pool_years=np.zeros(0, np.int64),
                   pool_kind=np.zeros(0, np.int64))
    bu, nu = st.units()
    refresh_maximum(caps, bu, nu)
    recount_caps(caps, bcount, ncount)
    # Homes standing empty at the start are for sale by the public body.
    empty = (~occ) & built[home_block]
    st.for_sale_months[empty] = 0
    return st
