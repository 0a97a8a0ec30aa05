"""Numba kernels for the inherently sequential parts of a year: who moves, and the resale market.

Each sale changes the mix that the next buyer sees and the caps' counts, so sales are taken one at a time.
The cap check is the core's: ``blocking_cap(level, hh_limit, count, maximum, block_nbhd, g, b)`` with the
group g standing for the household (see :mod:`commonground.simulate.state`). A sale between two households
of the same group never changes a count, so it is always allowed (as HDB's resale check).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from commonground.policy.kernels import admit, blocking_cap
from commonground.simulate._rng import randint, shuffle, uniform

SALE, BUYBACK, PUBLIC_SALE = 0, 1, 2


class Homes(NamedTuple):
    """Per home d: its block, resident group (-1 empty), year moved in, months on the market (-1 not for sale),
    seller's group, whether the seller looks for a home in town, buyers refused by a cap."""

    home_block: np.ndarray
    resident: np.ndarray
    since: np.ndarray
    for_sale: np.ndarray
    seller: np.ndarray
    seller_moves: np.ndarray
    refused: np.ndarray


class Mix(NamedTuple):
    """Residents per (block, group) and (neighbourhood, group), occupied homes per block and neighbourhood."""

    block_nbhd: np.ndarray
    bcount: np.ndarray
    ncount: np.ndarray
    bocc: np.ndarray
    nocc: np.ndarray


class CapArrays(NamedTuple):
    """The caps as :mod:`commonground.policy.kernels` reads them (``CapState``'s arrays)."""

    level: np.ndarray
    hh_limit: np.ndarray
    counts: np.ndarray
    maximum: np.ndarray


class Pool(NamedTuple):
    """Households looking for a home: group, kind, still looking."""

    group: np.ndarray
    kind: np.ndarray
    active: np.ndarray


class Buyers(NamedTuple):
    """How a buyer judges a home: tolerance per group, block weight, logit or threshold and its weights."""

    tol: np.ndarray
    block_weight: float
    logit: bool
    beta: float
    alpha_buy: float
    price_weight: float


class Rules(NamedTuple):
    """The market's and the policy's rules for a year's rounds."""

    viewings: int
    discount_per_month: float
    max_discount: float
    caps_on_resale: bool
    buyback: bool
    buyback_after: int
    buyback_discount: float


class Records(NamedTuple):
    """One row per sale or buy-back (capacity ≥ twice the listings): seller's group (-1 public), buyer's group
    (-1 buy-back), months on the market, discount, buyers refused by a cap, kind."""

    seller: np.ndarray
    buyer: np.ndarray
    months: np.ndarray
    discount: np.ndarray
    refused: np.ndarray
    kind: np.ndarray


@njit(cache=True, inline="always")
def own_share(bcount, ncount, bocc, nocc, b, n, g, block_weight, self_counted):
    """Group g's share among the *other* residents of block b and of its neighbourhood n, weighted.

    ``self_counted`` is 1 for a resident judging its own home (it is in the counts), 0 for a buyer.
    With no other residents a level counts as share 1: there is no one to object to.
    """
    ob = bocc[b] - self_counted
    sb = (bcount[b, g] - self_counted) / ob if ob > 0 else 1.0
    on = nocc[n] - self_counted
    sn = (ncount[n, g] - self_counted) / on if on > 0 else 1.0
    return block_weight * sb + (1.0 - block_weight) * sn


@njit(cache=True, inline="always")
def _put_on_sale(d, g, moves, for_sale, seller, seller_moves, refused):
    """Home d goes on the market, sold by its resident group g, who then looks in town (``moves``) or leaves."""
    for_sale[d] = 0
    seller[d] = g
    seller_moves[d] = moves
    refused[d] = 0


@njit(cache=True)
def decide_moves(rs, year, resident, since, for_sale, seller, seller_moves, refused, home_block, block_nbhd,
                 bcount, ncount, bocc, nocc, tol, block_weight, logit, base_rate, unhappy_rate, beta, mop,
                 departure_rate, out_departed, out_moving, out_unhappy):
    """Every resident household not already selling: leaves town (departure), or decides to move, or stays.

    Both put the home up for sale; a mover looks for a new home in town once the sale completes.
    """
    for d in range(resident.shape[0]):
        g = resident[d]
        if g < 0 or for_sale[d] >= 0:
            continue
        b = home_block[d]
        x = own_share(bcount, ncount, bocc, nocc, b, block_nbhd[b], g, block_weight, 1) - tol[g]
        if x < 0:
            out_unhappy[g] += 1
        if uniform(rs) < departure_rate:
            _put_on_sale(d, g, False, for_sale, seller, seller_moves, refused)
            out_departed[g] += 1
            continue
        if year - since[d] < mop:
            continue
        if logit:
            p = base_rate + unhappy_rate / (1.0 + np.exp(beta * x))
        else:
            p = base_rate + (unhappy_rate if x < 0 else 0.0)
        if uniform(rs) < p:
            _put_on_sale(d, g, True, for_sale, seller, seller_moves, refused)
            out_moving[g] += 1


@njit(cache=True)
def _leave(d, b, n, g, bcount, ncount, bocc, nocc, level, hh_limit, count, block_nbhd):
    bcount[b, g] -= 1
    ncount[n, g] -= 1
    bocc[b] -= 1
    nocc[n] -= 1
    admit(level, hh_limit, count, block_nbhd, g, b, -1)


@njit(cache=True, inline="always")
def _start_looking(g, pool_group, pool_kind, pool_active, active, pos, n_active, n_pool):
    """A mover whose home is sold joins the households looking for a home."""
    pool_group[n_pool] = g
    pool_kind[n_pool] = 2
    pool_active[n_pool] = True
    active[n_active] = n_pool
    pos[n_pool] = n_active
    return n_active + 1, n_pool + 1


@njit(cache=True)
def resale_market(rs, year, months, listings, homes, mix, caps, pool, n_pool, buyers, rules, records):
    """``months`` monthly rounds of the resale market over the homes in ``listings``.

    The arrays come grouped in named tuples (:class:`Homes`, :class:`Mix`, :class:`CapArrays`, :class:`Pool`,
    :class:`Buyers`, :class:`Rules`, :class:`Records`), updated in place. Returns (records written, pool size
    after movers who sold joined it). Records: seller's group (-1 public), buyer's group (-1 for a buy-back),
    months on the market (the month of sale included), discount, buyers refused by a cap, kind (SALE, BUYBACK,
    PUBLIC_SALE).
    """
    home_block, resident, since, for_sale, seller, seller_moves, refused = homes
    block_nbhd, bcount, ncount, bocc, nocc = mix
    level, hh_limit, count, maximum = caps
    pool_group, pool_kind, pool_active = pool
    tol, block_weight, logit, beta, alpha_buy, price_weight = buyers
    viewings, discount_per_month, max_discount, caps_on_resale, buyback, buyback_after, buyback_discount = rules
    rec_seller, rec_buyer, rec_months, rec_discount, rec_refused, rec_kind = records
    n_rec = 0
    active = np.empty(pool_group.shape[0], np.int64)
    pos = np.full(pool_group.shape[0], -1, np.int64)
    n_active = 0
    for p in range(n_pool):
        if pool_active[p]:
            active[n_active] = p
            pos[p] = n_active
            n_active += 1
    order = listings.copy()
    for _m in range(months):
        shuffle(rs, order)
        for i in range(order.shape[0]):
            d = order[i]
            if for_sale[d] < 0:
                continue
            b = home_block[d]
            n = block_nbhd[b]
            sg = seller[d]
            disc = min(max_discount, discount_per_month * for_sale[d])
            sold = False
            for _v in range(viewings):
                if n_active == 0:
                    break
                p = active[randint(rs, n_active)]
                g = pool_group[p]
                x = own_share(bcount, ncount, bocc, nocc, b, n, g, block_weight, 0) - tol[g]
                if logit:
                    accept = uniform(rs) < 1.0 / (1.0 + np.exp(-(alpha_buy + beta * x + price_weight * disc)))
                else:
                    accept = x + price_weight * disc >= 0.0
                if not accept:
                    continue
                if caps_on_resale and sg != g and blocking_cap(level, hh_limit, count, maximum, block_nbhd, g, b) >= 0:
                    refused[d] += 1
                    continue
                if sg >= 0:
                    _leave(d, b, n, sg, bcount, ncount, bocc, nocc, level, hh_limit, count, block_nbhd)
                    if seller_moves[d]:
                        n_active, n_pool = _start_looking(sg, pool_group, pool_kind, pool_active, active, pos,
                                                          n_active, n_pool)
                bcount[b, g] += 1
                ncount[n, g] += 1
                bocc[b] += 1
                nocc[n] += 1
                admit(level, hh_limit, count, block_nbhd, g, b, 1)
                resident[d] = g
                since[d] = year
                rec_seller[n_rec] = sg
                rec_buyer[n_rec] = g
                rec_months[n_rec] = for_sale[d] + 1
                rec_discount[n_rec] = disc
                rec_refused[n_rec] = refused[d]
                rec_kind[n_rec] = SALE if sg >= 0 else PUBLIC_SALE
                n_rec += 1
                for_sale[d] = -1
                seller[d] = -1
                seller_moves[d] = False
                refused[d] = 0
                # the buyer stops looking
                k = pos[p]
                last = active[n_active - 1]
                active[k] = last
                pos[last] = k
                pos[p] = -1
                n_active -= 1
                pool_active[p] = False
                sold = True
                break
            if sold:
                continue
            for_sale[d] += 1
            if buyback and sg >= 0 and for_sale[d] >= buyback_after and refused[d] > 0:
                # The public body buys the home the caps left unsold, and sells it again itself.
                _leave(d, b, n, sg, bcount, ncount, bocc, nocc, level, hh_limit, count, block_nbhd)
                if seller_moves[d]:
                    n_active, n_pool = _start_looking(sg, pool_group, pool_kind, pool_active, active, pos,
                                                      n_active, n_pool)
                rec_seller[n_rec] = sg
                rec_buyer[n_rec] = -1
                rec_months[n_rec] = for_sale[d]
                rec_discount[n_rec] = buyback_discount
                rec_refused[n_rec] = refused[d]
                rec_kind[n_rec] = BUYBACK
                n_rec += 1
                resident[d] = -1
                seller[d] = -1
                seller_moves[d] = False
                for_sale[d] = 0
                refused[d] = 0
    return n_rec, n_pool
