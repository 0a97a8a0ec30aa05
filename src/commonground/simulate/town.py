"""Initial towns as arrays: blocks, their neighbourhoods and sizes, and each home's resident group.

Three kinds (``Town.kind``):

* ``english`` — a generated English town: ``neighbourhoods`` × ``blocks_per_neighbourhood`` blocks of
  ``homes_per_block`` homes; each neighbourhood's group mix is drawn from a Dirichlet around the town's shares
  (concentration ``neighbourhood_concentration``: lower = more segregated neighbourhoods, as Bradford's wards
  range from over 90 % White to an Asian majority), each block's around its neighbourhood's
  (``block_concentration``); residents are drawn from their block's mix. Default shares: Bradford, 2011 Census.
* ``uk-town`` — the development of the core's generated ``uk-town`` scenario; its wholly vacant new blocks are
  launched in year 1.
* ``hdb`` — real HDB blocks from data.gov.sg's *HDB Property Information* file (one home per dwelling unit;
  neighbourhood = town + the block number's hundreds digit, as :func:`commonground.io.development_from_hdb`);
  residents are drawn from Singapore's Census 2020 shares (no block's history is known).

The layout is drawn from ``Town.seed`` alone, so every replicate and policy starts from the same town.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.io.hdb import block_number
from commonground.simulate.params import Town

BRADFORD_2011 = {"White": 0.674, "Asian": 0.268, "Black": 0.018, "Mixed": 0.025, "Other": 0.015}
SINGAPORE_2020 = {"Chinese": 0.743, "Malay": 0.135, "Indian": 0.090, "Others": 0.032}


@dataclass(frozen=True, eq=False)
class Layout:
    """An initial town: ``block_nbhd[b]``, ``block_homes[b]``, and ``resident[d]`` (group index, -1 vacant)
    for the homes of all blocks in block order (block b's homes are a contiguous run)."""

    groups: tuple[str, ...]
    shares: np.ndarray
    block_ids: np.ndarray
    nbhd_ids: np.ndarray
    block_nbhd: np.ndarray
    block_homes: np.ndarray
    resident: np.ndarray
    launch_year: np.ndarray  # per block: 0 = standing at the start, t = launched in year t

    @property
    def n_homes(self) -> int:
        return int(self.block_homes.sum())


def default_shares(town: Town) -> dict[str, float]:
    if town.kind == "census":  # the groups only; shares come from the census table
        from commonground.scenarios.census import town_groups

        return {g: 1.0 for g in town_groups(town.groups)}
    if town.shares:
        return dict(town.shares)
    return dict(SINGAPORE_2020 if town.kind == "hdb" else BRADFORD_2011)


def build_layout(town: Town) -> Layout:
    """The initial town for ``town`` (cached per process: replicates share it)."""
    if town.kind == "census":
        from commonground.scenarios.census import census_layout

        return census_layout(town.path, town.authority, neighbourhood=town.neighbourhood_level, groups=town.groups,
                             household_sizes=tuple(sorted(town.household_sizes.items())),
                             occupancy=town.occupancy, seed=town.seed, start=town.start)
    return _cached_layout(town.kind, town.path, town.hdb_town, tuple(default_shares(town).items()),
                          town.neighbourhoods, town.blocks_per_neighbourhood, town.homes_per_block,
                          town.neighbourhood_concentration, town.block_concentration, town.occupancy, town.seed)


@lru_cache(maxsize=8)
def _cached_layout(kind, path, hdb_town, shares, n_nbhd, bpn, hpb, conc_n, conc_b, occupancy, seed) -> Layout:
    shares_d = dict(shares)
    if kind == "english":
        return english_town(shares_d, n_nbhd, bpn, hpb, conc_n, conc_b, occupancy, seed)
    if kind == "uk-town":
        return uk_town()
    return hdb_town_layout(path, hdb_town, shares_d, occupancy, seed)


def english_town(shares: dict[str, float], n_nbhd: int, blocks_per_nbhd: int, homes_per_block: int,
                 conc_n: float, conc_b: float, occupancy: float, seed: int) -> Layout:
    rng = np.random.default_rng(seed)
    groups = tuple(shares)
    p = _norm(np.array([shares[g] for g in groups], float))
    n_blocks = n_nbhd * blocks_per_nbhd
    nb_mix = np.array([_dirichlet(rng, conc_n * p) for _ in range(n_nbhd)])
    block_nbhd = np.repeat(np.arange(n_nbhd), blocks_per_nbhd)
    bl_mix = np.array([_dirichlet(rng, conc_b * nb_mix[n]) for n in block_nbhd])
    homes = np.full(n_blocks, homes_per_block, np.int64)
    resident = _draw_residents(rng, homes, bl_mix, occupancy)
    return Layout(groups=groups, shares=p, block_ids=np.array([f"N{n + 1:02d}-B{b % blocks_per_nbhd + 1:02d}"
                                                               for b, n in enumerate(block_nbhd)], dtype=object),
                  nbhd_ids=np.array([f"N{n + 1:02d}" for n in range(n_nbhd)], dtype=object), block_nbhd=block_nbhd,
                  block_homes=homes, resident=resident, launch_year=np.zeros(n_blocks, np.int64))


def uk_town() -> Layout:
    from commonground.scenarios import get_scenario

    sc = get_scenario("uk-town")
    dev = sc.problem.development
    occ = dev.occupants["ethnicity"]
    groups = tuple(sorted({str(x) for x in occ if x is not None} | set(sc.problem.households.attributes["ethnicity"])))
    code = {g: i for i, g in enumerate(groups)}
    order = np.argsort(dev.flat_block, kind="stable")
    resident = np.array([-1 if occ[f] is None else code[str(occ[f])] for f in order], np.int64)
    homes = dev.block_units.astype(np.int64)
    occupied_per_block = np.bincount(dev.flat_block[dev.occupied], minlength=dev.n_blocks)
    launch = np.where(occupied_per_block == 0, 1, 0).astype(np.int64)
    shares = np.bincount(resident[resident >= 0], minlength=len(groups)).astype(float)
    return Layout(groups=groups, shares=_norm(shares), block_ids=dev.block_ids.copy(),
                  nbhd_ids=dev.neighbourhood_ids.copy(),
                  block_nbhd=dev.block_neighbourhood.astype(np.int64), block_homes=homes, resident=resident,
                  launch_year=launch)


def hdb_town_layout(path: str, town: str, shares: dict[str, float], occupancy: float, seed: int) -> Layout:
    """Real HDB blocks (all of Singapore with ``town='all'``), built directly as arrays (no flats table)."""
    from commonground.io.hdb import _town_code, read_hdb_property_information

    df = read_hdb_property_information(path)
    if str(town).lower() != "all":
        code = _town_code(town)
        df = df[df["bldg_contract_town"].astype(str).str.upper() == code]
    df = df[(df["residential"].astype(str).str.upper() == "Y") & (df["total_dwelling_units"] > 0)]
    if df.empty:
        raise InputError(f"no residential HDB blocks for town '{town}'", source=path)
    df = df.reset_index(drop=True)
    tcode = df["bldg_contract_town"].astype(str)
    digits = df["blk_no"].astype(str).map(block_number)
    nbhd = (tcode + " N" + (digits // 100).astype(str)).to_numpy(object)
    nbhd_ids, block_nbhd = np.unique(nbhd, return_inverse=True)
    rng = np.random.default_rng(seed)
    groups = tuple(shares)
    p = _norm(np.array([shares[g] for g in groups], float))
    homes = df["total_dwelling_units"].to_numpy(np.int64)
    resident = _draw_residents(rng, homes, np.broadcast_to(p, (len(homes), len(p))), occupancy)
    block_ids = (tcode + " " + df["blk_no"].astype(str) + " " + df["street"].astype(str)).to_numpy(object)
    return Layout(groups=groups, shares=p, block_ids=block_ids, nbhd_ids=nbhd_ids.astype(object),
                  block_nbhd=block_nbhd.astype(np.int64), block_homes=homes, resident=resident,
                  launch_year=np.zeros(len(homes), np.int64))


def _draw_residents(rng: np.random.Generator, homes: np.ndarray, mix: np.ndarray, occupancy: float) -> np.ndarray:
    """Each home occupied with probability ``occupancy`` by a household drawn from its block's mix."""
    n = int(homes.sum())
    block = np.repeat(np.arange(len(homes)), homes)
    cum = np.cumsum(mix, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(n)
    g = (u[:, None] > cum[block]).sum(axis=1) if mix.shape[1] <= 8 else _searchsorted_rows(cum, block, u)
    g = np.minimum(g, mix.shape[1] - 1).astype(np.int64)
    vacant = rng.random(n) >= occupancy
    g[vacant] = -1
    return g


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """A Dirichlet draw over the groups with a positive parameter; groups with share 0 stay at 0."""
    out = np.zeros(len(alpha))
    pos = alpha > 1e-12
    if pos.sum() == 1:
        out[pos] = 1.0
    elif pos.any():
        out[pos] = rng.dirichlet(np.maximum(alpha[pos], 1e-3))
    return out


def _searchsorted_rows(cum: np.ndarray, block: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.array([np.searchsorted(cum[b], x, side="right") for b, x in zip(block, u, strict=True)])


def _norm(x: np.ndarray) -> np.ndarray:
    s = x.sum()
    if s <= 0:
        raise InputError("group shares must have a positive total")
    return x / s


def plan_launches(layout: Layout, homes_per_year: int, block_size: int, years: int, seed: int) -> Layout:
    """Append the blocks to be launched: each year ``homes_per_year`` homes in blocks of about ``block_size``,
    each in a neighbourhood drawn in proportion to its homes (drawn from the town's seed, so fixed)."""
    if homes_per_year <= 0:
        return layout
    rng = np.random.default_rng([seed, 1])
    n_nbhd = len(layout.nbhd_ids)
    weight = np.bincount(layout.block_nbhd, weights=layout.block_homes, minlength=n_nbhd).astype(float)
    weight = weight / weight.sum() if weight.sum() > 0 else np.full(n_nbhd, 1 / n_nbhd)
    k = max(1, int(np.ceil(homes_per_year / block_size)))
    sizes = np.full(k, homes_per_year // k, np.int64)
    sizes[: homes_per_year % k] += 1
    nb, hm, ly, ids = [], [], [], []
    for t in range(1, years + 1):
        where = rng.choice(n_nbhd, size=k, p=weight)
        for j in range(k):
            nb.append(where[j])
            hm.append(sizes[j])
            ly.append(t)
            ids.append(f"{layout.nbhd_ids[where[j]]}-Y{t:02d}L{j + 1:02d}")
    return with_new_blocks(layout, nb, hm, ly, ids)


def with_new_blocks(layout: Layout, nbhd: list[int], homes: list[int], year: list[int], ids: list[str]) -> Layout:
    """``layout`` with empty new blocks appended (neighbourhood, homes, launch year and id of each)."""
    hm_a = np.array(homes, np.int64)
    return Layout(groups=layout.groups, shares=layout.shares,
                  block_ids=np.concatenate([layout.block_ids, np.array(ids, dtype=object)]),
                  nbhd_ids=layout.nbhd_ids,
                  block_nbhd=np.concatenate([layout.block_nbhd, np.array(nbhd, np.int64)]),
                  block_homes=np.concatenate([layout.block_homes, hm_a]),
                  resident=np.concatenate([layout.resident, np.full(int(hm_a.sum()), -1, np.int64)]),
                  launch_year=np.concatenate([layout.launch_year, np.array(year, np.int64)]))


def layout_frame(layout: Layout) -> pd.DataFrame:
    """Blocks as a table (for inspection and docs)."""
    return pd.DataFrame({"block_id": layout.block_ids, "neighbourhood_id": layout.nbhd_ids[layout.block_nbhd],
                         "homes": layout.block_homes, "launch_year": layout.launch_year})
