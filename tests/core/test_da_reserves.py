"""Deferred acceptance with minority reserves (``da-reserves``).

Oracles: (1) a naive reference written here from the definition (Hafalir, Yenmez & Yildirim 2013, Theoretical
Economics 8(2), section 3: a school first admits minority applicants by priority up to its reserve, then fills
its remaining seats by priority; Ehlers et al. 2014 JET 153 for floors of several types), run as textbook
round-by-round DA fed the mechanism's own priority order — same blocks for every household — and stability for
that choice checked by brute force (no household chosen by a block it prefers; the check finds blocking pairs in
da-ceilings' outcomes, so it can fail); (2) the caps oracle
shared with the ballot; (3) strategy-proofness checked exhaustively on small markets (every ranked list of every
subset of blocks); (4) HYY's welfare result: with the reserve r = q − q^M in place of the majority quota q^M, the
reserve outcome is never Pareto-dominated by the quota outcome (HYY 2013, abstract and section 4: "The deferred
acceptance algorithm with minority reserves Pareto dominates the one with majority quotas"), checked
exhaustively over every list profile of tiny markets.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.allocate import allocate
from commonground.errors import InputError
from commonground.model import BlockUtilities, Development, Households, Problem
from commonground.policy import Cap, CapLimit, Policy
from commonground.policy.caps import max_count

from .test_ballot_properties import check_caps, instances

GROUPS = ("A", "B", "C")


def _market(rng: np.random.Generator, n_households: int, n_blocks: int, per_block: int, n_groups: int = 2,
            cut: float = 0.25):
    """Equal blocks of one flat group, households of ``n_groups`` groups with random block lists (a block is left
    off a list with probability ``cut``), a ceiling on every group and a random reserve for all but A."""
    flats = pd.DataFrame({"flat_id": [f"f{b}_{i}" for b in range(n_blocks) for i in range(per_block)],
                          "block_id": [f"b{b}" for b in range(n_blocks) for _ in range(per_block)],
                          "neighbourhood_id": "n0"})
    dev = Development.from_frame(flats)
    groups = np.array(GROUPS[:n_groups], dtype=object)[rng.integers(0, n_groups, n_households)]
    groups[:n_groups] = GROUPS[:n_groups]  # every group present (the policy refuses a limit on an absent group)
    hh = Households(ids=np.array([f"h{i}" for i in range(n_households)], dtype=object),
                    attributes={"ethnicity": groups}, ballot_chances=rng.integers(1, 3, n_households))
    ceilings = [float(rng.choice([0.34, 0.5, 0.67, 1.0])) for _ in range(n_groups)]
    policy = Policy(name="t", caps=(Cap("ethnicity", "block", tuple(
        CapLimit(g, frozenset({g}), c) for g, c in zip(GROUPS[:n_groups], ceilings, strict=True))),))
    reserves = {g: float(rng.choice([0.0, 0.34, 0.5, 0.67])) for g in GROUPS[1:n_groups]}
    truth = rng.permutation(np.arange(1, n_blocks + 1, dtype=float)[None, :].repeat(n_households, 0), axis=1)
    truth[rng.random(truth.shape) < cut] = -np.inf
    return dev, hh, policy, reserves, truth


def _problem(dev, hh, U):
    return Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((hh.n, 1))))


def naive_choice(pool, b, rank, group, size, ceiling, floor, home=None):
    """Block b's choice from ``pool``, straight from the definition: in priority order, households of a reserved
    group while that group is under its floor, then anyone, both within the block's size and every group's
    ceiling. Priority at b: households whose home is b first, then the queue."""
    pool = sorted(pool, key=lambda h: (home is None or home[h] != b, rank[h]))
    chosen: list[int] = []
    count: dict[str, int] = {}
    for stage in ("reserved", "open"):
        for h in pool:
            g = group[h]
            if h in chosen or len(chosen) >= size[b] or count.get(g, 0) >= ceiling[g]:
                continue
            if stage == "reserved" and count.get(g, 0) >= floor.get(g, 0):
                continue
            chosen.append(h)
            count[g] = count.get(g, 0) + 1
    return chosen


def naive_da_reserves(lists, rank, group, size, ceiling, floor, home=None):
    """Round-by-round DA (all rejected propose at once) with ``naive_choice``. Returns each household's block or
    None."""
    n = len(lists)
    nxt = [0] * n
    held: dict[int, list[int]] = {b: [] for b in range(len(size))}
    free = set(range(n))
    while True:
        proposals: dict[int, list[int]] = {}
        for h in sorted(free):
            if nxt[h] < len(lists[h]):
                proposals.setdefault(lists[h][nxt[h]], []).append(h)
                nxt[h] += 1
        if not proposals:
            break
        free = set()
        for b, new in proposals.items():
            pool = held[b] + new
            held[b] = naive_choice(pool, b, rank, group, size, ceiling, floor, home)
            free |= set(pool) - set(held[b])
    out: list[int | None] = [None] * n
    for b, hs in held.items():
        for h in hs:
            out[h] = b
    return out


def _lists(U: np.ndarray) -> list[list[int]]:
    return [[int(b) for b in np.argsort(-row, kind="stable") if row[b] > -np.inf] for row in U]


def test_equals_the_naive_reference_with_the_same_priorities():
    rng = np.random.default_rng(16)
    differs_from_ceilings = oracle_bites = 0
    for market in range(150):
        n_blocks, per_block = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        dev, hh, policy, reserves, truth = _market(rng, int(rng.integers(3, 13)), n_blocks, per_block,
                                                   n_groups=int(rng.integers(2, 4)))
        homes = None
        options: dict = {"reserves": reserves}
        if market % 2:  # a home (local-connection) priority in half the markets
            homes = rng.integers(-1, n_blocks, hh.n)
            hh = dataclasses.replace(hh, attributes={**hh.attributes, "home": np.where(
                homes >= 0, np.array([f"b{b}" for b in range(n_blocks)] + ["none"])[homes], "none").astype(object)})
            options["home"] = "home"
        problem = _problem(dev, hh, truth)
        res = allocate(problem, policy, "da-reserves", seed=market, **options)
        check_caps(res, problem, policy)
        slow = allocate(problem, policy, "da-reserves", seed=market, shortcut=False, **options)
        assert (slow.flat_of == res.flat_of).all()
        rank = res.queue_position - 1
        group = {h: str(g) for h, g in enumerate(hh.attributes["ethnicity"])}
        limits = policy.caps[0].limits
        ceiling = {lim.label: max_count(lim.share, per_block, "strict") for lim in limits}
        floor = {g: max_count(s, per_block, "strict") for g, s in reserves.items()}
        expected = naive_da_reserves(_lists(truth), rank, group, [per_block] * n_blocks, ceiling, floor, homes)
        got = [None if f < 0 else int(dev.flat_block[f]) for f in res.flat_of]
        assert got == expected, market
        # Stable for the reserve choice: no household would be chosen by a block it prefers to its own.
        def blocking(assigned, rank=rank, group=group, ceiling=ceiling, floor=floor, homes=homes, n_blocks=n_blocks,
                     per_block=per_block, truth=truth):
            for h, lst in enumerate(_lists(truth)):
                for b in lst[:lst.index(assigned[h])] if assigned[h] is not None else lst:
                    holders = [g for g in range(len(assigned)) if assigned[g] == b]
                    if h in naive_choice(holders + [h], b, rank, group, [per_block] * n_blocks, ceiling, floor,
                                         homes):
                        return h, b
            return None

        assert blocking(got) is None, market
        assert res.info["reserves"] == {g: s for g, s in reserves.items() if s > 0}
        hard = allocate(problem, policy, "da-ceilings", seed=market, **{k: v for k, v in options.items()
                                                                         if k == "home"})
        differs_from_ceilings += bool((hard.flat_of != res.flat_of).any())
        oracle_bites += blocking([None if f < 0 else int(dev.flat_block[f]) for f in hard.flat_of]) is not None
    assert differs_from_ceilings >= 5  # the reserves really change who is held (7 of 150 here)
    assert oracle_bites >= 3  # the stability oracle finds blocking pairs in da-ceilings' outcomes


def test_default_reserves_are_the_applicant_shares_of_all_but_the_largest_limit():
    rng = np.random.default_rng(3)
    dev, hh, policy, _, truth = _market(rng, 12, 2, 3, n_groups=3)
    res = allocate(_problem(dev, hh, truth), policy, "da-reserves", seed=0)
    eth = hh.attributes["ethnicity"]
    shares = {g: round(float((eth == g).mean()), 4) for g in GROUPS}
    largest = max(shares, key=shares.get)
    assert res.info["reserves"] == {g: s for g, s in shares.items() if g != largest and s > 0}


def test_unknown_reserve_label_names_the_closest_limit():
    rng = np.random.default_rng(4)
    dev, hh, policy, _, truth = _market(rng, 6, 2, 2)
    with pytest.raises(InputError, match="closest 'B'"):
        allocate(_problem(dev, hh, truth), policy, "da-reserves", seed=0, reserves={"b": 0.3})
    with pytest.raises(InputError, match="outside"):
        allocate(_problem(dev, hh, truth), policy, "da-reserves", seed=0, reserves={"B": 1.5})


@settings(max_examples=80, deadline=None)
@given(instances, st.integers(0, 2**31))
def test_keeps_every_cap_and_one_flat_each_on_general_instances(inst, seed):
    """Flat-level lists, several flat types, neighbourhood and two-attribute caps, existing residents."""
    problem, policy = inst
    res = allocate(problem, policy, "da-reserves", seed=seed)
    housed = res.flat_of[res.flat_of >= 0]
    assert len(np.unique(housed)) == len(housed)
    assert not problem.development.occupied[housed].any()
    assert (problem.utility(np.flatnonzero(res.flat_of >= 0), housed) > 0).all()
    check_caps(res, problem, policy)
    assert all(r for r in res.reason[res.flat_of < 0])
    assert (allocate(problem, policy, "da-reserves", seed=seed).flat_of == res.flat_of).all()
    # The prefix shortcut chooses what re-choosing every holder at every proposal chooses.
    assert (allocate(problem, policy, "da-reserves", seed=seed, shortcut=False).flat_of == res.flat_of).all()


def _value(row, dev, flat):
    return -np.inf if flat < 0 else row[dev.flat_block[flat]]


def test_no_household_gains_by_misreporting_exhaustively_on_small_markets():
    rng = np.random.default_rng(20261130)
    n_blocks = 3
    lists = [p for k in range(n_blocks + 1) for s in itertools.combinations(range(n_blocks), k)
             for p in itertools.permutations(s)]
    checked = differs = 0
    for market in range(40):
        dev, hh, policy, reserves, truth = _market(rng, int(rng.integers(3, 6)), n_blocks, int(rng.integers(1, 3)),
                                                   n_groups=int(rng.integers(2, 4)))
        for ceilings in (True, False):
            honest = allocate(_problem(dev, hh, truth), policy, "da-reserves", seed=market, reserves=reserves,
                              ceilings=ceilings)
            differs += bool((honest.flat_of != allocate(_problem(dev, hh, truth), policy, "da-ceilings",
                                                          seed=market).flat_of).any())
            for h in range(hh.n):
                gain = _value(truth[h], dev, honest.flat_of[h])
                for lst in lists:
                    lie = truth.copy()
                    lie[h] = -np.inf
                    for r, b in enumerate(lst):
                        lie[h, b] = float(n_blocks - r)
                    got = allocate(_problem(dev, hh, lie), policy, "da-reserves", seed=market, reserves=reserves,
                                   ceilings=ceilings).flat_of[h]
                    assert _value(truth[h], dev, got) <= gain, (market, ceilings, h, lst)
                    checked += 1
    assert checked > 1000 and differs >= 5


def _pareto_dominates(a, b, truth, dev, who) -> bool:
    """Allocation ``a`` Pareto-dominates ``b`` for the households ``who`` (true preferences)."""
    va = np.array([_value(truth[h], dev, a[h]) for h in who])
    vb = np.array([_value(truth[h], dev, b[h]) for h in who])
    return bool((va >= vb).all() and (va > vb).any())


def test_reserves_are_never_pareto_dominated_by_the_majority_quota_exhaustively():
    """HYY 2013: two groups, majority quota q^M on A (``da-ceilings``) against the minority reserve q − q^M for B
    with no ceiling (``da-reserves``, ``ceilings=False``); every profile of block lists in tiny markets.

    Also checked: (a) nor for the minority B alone (observed on every profile here; HYY's simulations report
    minorities better off on average, the theorem is for everyone); (b) with two groups the reserve choice takes
    the same households as a soft ceiling q^M on A (``da-soft-bounds``, Ehlers et al. 2014): both admit by priority
    everyone but the A households beyond q^M, then fill what is left with them."""
    rng = np.random.default_rng(2013)
    n_blocks = 2
    one = [p for k in range(n_blocks + 1) for s in itertools.combinations(range(n_blocks), k)
           for p in itertools.permutations(s)]
    compared = differ = 0
    for market in range(12):
        n, per_block = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        dev, hh, _, _, _ = _market(rng, n, n_blocks, per_block)
        q_major = int(rng.integers(0, per_block))
        quota = Policy(name="quota", caps=(Cap("ethnicity", "block", (
            CapLimit("A", frozenset({"A"}), q_major / per_block), CapLimit("B", frozenset({"B"}), 1.0))),))
        reserve = {"B": (per_block - q_major) / per_block}
        minority = [h for h in range(n) if hh.attributes["ethnicity"][h] == "B"]
        for profile in itertools.product(one, repeat=n):
            U = np.full((n, n_blocks), -np.inf)
            for h, lst in enumerate(profile):
                for r, b in enumerate(lst):
                    U[h, b] = float(n_blocks - r)
            problem = _problem(dev, hh, U)
            q = allocate(problem, quota, "da-ceilings", seed=market).flat_of
            r = allocate(problem, quota, "da-reserves", seed=market, reserves=reserve, ceilings=False).flat_of
            assert not _pareto_dominates(q, r, U, dev, range(n)), (market, profile)
            assert not _pareto_dominates(q, r, U, dev, minority), (market, profile)
            soft = allocate(problem, quota, "da-soft-bounds", seed=market).flat_of
            assert [_value(U[h], dev, r[h]) for h in range(n)] == [_value(U[h], dev, soft[h]) for h in range(n)]
            compared += 1
            differ += bool((q != r).any())
    assert compared > 1000 and differ > 50


def test_allocate_command_takes_reserves_for_da_reserves_only(tmp_path):
    """Two one-flat blocks, no caps binding: the Malay household is last in every queue it could be, yet with a
    reserve of one place per block for Malay households it is always housed."""
    from typer.testing import CliRunner

    from commonground.cli import app

    (tmp_path / "flats.csv").write_text("flat_id,block_id,neighbourhood_id\nf0,b0,n0\nf1,b1,n1\n")
    rows = ["h0,Chinese", "h1,Chinese", "h2,Malay", "h3,Indian"]
    (tmp_path / "hh.csv").write_text("household_id,ethnicity\n" + "\n".join(rows) + "\n")
    policy = tmp_path / "p.toml"
    policy.write_text('name = "t"\nrule = "strict"\n[[caps]]\nattribute = "ethnicity"\nlevel = "block"\n'
                      '[caps.limits]\nChinese = 1.0\nMalay = 1.0\nIndian = 1.0\n')
    base = ["allocate", "--flats", str(tmp_path / "flats.csv"), "--households", str(tmp_path / "hh.csv"),
            "--policy", str(policy), "--mechanism", "da-reserves"]
    housed_without = 0
    for seed in range(8):
        res = CliRunner().invoke(app, [*base, "--reserves", "Malay=1", "--seed", str(seed),
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 0, res.output
        got = pd.read_csv(tmp_path / "out" / "allocation.csv").set_index("household_id")["flat_id"]
        assert isinstance(got["h2"], str)  # the reserved place goes to the Malay household
        res = CliRunner().invoke(app, [*base[:-1], "ballot", "--seed", str(seed), "--out", str(tmp_path / "o2")])
        assert res.exit_code == 0, res.output
        plain = pd.read_csv(tmp_path / "o2" / "allocation.csv").set_index("household_id")["flat_id"]
        housed_without += isinstance(plain["h2"], str)
    assert housed_without < 8  # without the reserve it is sometimes left out
    bad = CliRunner().invoke(app, [*base, "--reserves", "Malay:0.1", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "'Malay:0.1' is not limit=share" in bad.output
    bad = CliRunner().invoke(app, [*base, "--reserves", "Maly=0.1", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "closest 'Malay'" in bad.output
    bad = CliRunner().invoke(app, [*base[:-1], "ballot", "--reserves", "Malay=0.1", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "da-reserves only" in bad.output
    assert not (tmp_path / "b").exists()



def test_a_limit_group_absent_from_the_applicants_is_no_error():
    """Regression: the EIP's "Indian/Others" limit with no "Others" applicant (a small project) — the ballot runs,
    so must da-reserves (its floors reuse the policy's limits)."""
    from commonground.policy import load_policy

    dev = Development.from_frame(pd.DataFrame({"flat_id": [f"f{i}" for i in range(8)],
                                               "block_id": ["b0"] * 4 + ["b1"] * 4, "neighbourhood_id": "n0"}))
    eth = np.array(["Chinese"] * 5 + ["Malay", "Indian", "Indian"], dtype=object)
    hh = Households(ids=np.array([f"h{i}" for i in range(8)], dtype=object), attributes={"ethnicity": eth})
    problem = _problem(dev, hh, np.ones((8, 2)))
    policy = load_policy("sg-eip-2010")
    for ceilings in (True, False):
        res = allocate(problem, policy, "da-reserves", seed=0, ceilings=ceilings)
        assert res.info["reserves"] == {"Malay": 0.125, "Indian/Others": 0.25}
    check_caps(allocate(problem, policy, "da-reserves", seed=0), problem, policy)
