"""HDB sales exercise mechanics against hand-worked examples from ../shared/reference/hdb_allocation.md.

Chances: FT families 2, second-timers 1, FT parents / married couples 3; from the second failure in non-mature
estates one extra per further try, capped at 4 (families) and 5 (parents). Quotas (Aug 2022): non-mature 95 % of
4-room+, 85 % of 3-room; mature 95 %. Queue numbers for about 3 × supply; booking in queue order under the caps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.exercise import ExerciseParams, run_exercises
from commonground.exercise import mechanics as M
from commonground.exercise import rules as R
from commonground.model import BlockUtilities, Development, Households, Problem
from commonground.policy import Cap, CapLimit, Policy
from commonground.policy.state import CapState


@pytest.mark.parametrize(("status", "failures", "non_mature", "expected"), [
    ("FT", 0, True, 2), ("FT", 1, True, 2), ("FT", 2, True, 3), ("FT", 3, True, 4), ("FT", 7, True, 4),
    ("FT-parents", 0, True, 3), ("FT-parents", 2, True, 4), ("FT-parents", 3, True, 5), ("FT-parents", 9, True, 5),
    ("ST", 5, True, 1), ("FT", 4, False, 2), ("FT-parents", 4, False, 3),
])
def test_ballot_chances_hand_worked(status, failures, non_mature, expected):
    assert R.ballot_chances(status, failures, applying_non_mature=non_mature) == expected


def test_unknown_status_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown applicant status 'FT2'"):
        R.ballot_chances("FT2", 0, applying_non_mature=True)


def test_first_timer_quotas():
    assert R.first_timer_quota("4-room", mature=False) == 0.95
    assert R.first_timer_quota("5-room", mature=False) == 0.95
    assert R.first_timer_quota("3-room", mature=False) == 0.85
    assert R.first_timer_quota("3-room", mature=True) == 0.95


def test_queue_numbers_keep_the_first_timer_quota_and_schemes_first():
    """10 flats → 30 numbers; quota 95 % → at least floor(28.5) = 28 to first-timers, so at most 2 second-timers,
    the two with the best draws. Three FPPS members (40 % → 4 places reserved) with the worst draws still come
    first."""
    rng = np.random.default_rng(3)
    keys = rng.random(80)
    ft = np.r_[np.ones(40, bool), np.zeros(40, bool)]
    scheme = np.full(80, "", dtype=object)
    worst_ft = np.argsort(keys[:40])[-3:]
    scheme[worst_ft] = "FPPS"
    q = M.queue_numbers(keys, ft, scheme, 10, ft_quota=0.95, scheme_shares={"FPPS": 0.4})
    assert len(q) == 30
    assert set(q[:3]) == set(worst_ft.tolist())
    st_in = [h for h in q if not ft[h]]
    assert sorted(st_in) == sorted((40 + np.argsort(keys[40:])[:2]).tolist())
    ft_rest = [h for h in q[3:] if ft[h]]
    others = [h for h in range(40) if h not in set(worst_ft.tolist())]
    assert sorted(ft_rest) == sorted(np.array(others)[np.argsort(keys[others])[:25]].tolist())
    assert (np.diff(keys[q[3:]]) > 0).all()  # after the reserved places, queue order is draw order


def test_unused_first_timer_numbers_go_to_second_timers():
    keys = np.linspace(0.01, 0.99, 45)
    ft = np.r_[np.ones(5, bool), np.zeros(40, bool)]
    q = M.queue_numbers(keys, ft, np.full(45, "", dtype=object), 10, ft_quota=0.95, scheme_shares={})
    assert len(q) == 30 and set(range(5)) <= set(q.tolist())
    assert q.tolist() == list(range(30))


def test_booking_in_queue_order_under_a_block_cap_hand_worked():
    """One new block of 4 flats, Malay cap 25 % (strict: floor(0.25 × 4) = 1). Queue: M1 declines, M2 books,
    C1 books, M3 is refused by the cap, C2 and C3 book, C4 finds no flat left: not invited."""
    dev = Development.from_frame(pd.DataFrame({"flat_id": [f"f{i}" for i in range(4)], "block_id": "B1",
                                               "neighbourhood_id": "N1", "flat_type": "4-room"}))
    names = ["M1", "M2", "C1", "M3", "C2", "C3", "C4"]
    eth = np.array([n[0] for n in names], dtype=object)
    hh = Households(ids=np.array(names, dtype=object), attributes={"ethnicity": eth})
    problem = Problem.build(dev, hh, BlockUtilities(block=np.ones((7, 1)), flat_type=np.zeros((7, 1))))
    policy = Policy(name="t", caps=(Cap("ethnicity", "block", (CapLimit("Malay", frozenset({"M"}), 0.25),)),))
    books = np.array([False, True, True, True, True, True, True])
    flat_of, outcome = M.book(problem, CapState.build(policy, dev, hh), np.arange(7), books, np.zeros(7, np.int64))
    assert outcome.tolist() == [M.DECLINED, M.BOOKED, M.BOOKED, M.CAPPED, M.BOOKED, M.BOOKED, M.NOT_INVITED]
    assert sorted(flat_of[flat_of >= 0].tolist()) == [0, 1, 2, 3]


def test_interleave_by_relative_place():
    assert M.interleave([np.array([1, 2, 3, 4]), np.array([10, 20])]).tolist() == [1, 2, 10, 3, 4, 20]


@pytest.fixture(scope="module")
def year():
    return run_exercises(ExerciseParams(exercises=3, projects_per_exercise=3, flats_per_block=60), seed=5)


def test_a_year_of_exercises_carries_status_failures_and_chances_forward(year):
    a = year.applications
    assert set(a["outcome"]) <= set(M.OUTCOMES)
    # Chances always follow the rules from the status and failures the applicant had.
    expected = [R.ballot_chances(s, f, applying_non_mature=not m)
                for s, f, m in zip(a["status"], a["failures_before"], a["mature"], strict=True)]
    assert (a["chances"].to_numpy() == expected).all()
    nxt = a.set_index(["applicant", "exercise"])
    declined = a[(a["outcome"] == M.DECLINED) & (a["status"] != R.ST) & (a["exercise"] < 3)]
    failed = a[~a["outcome"].isin([M.BOOKED, M.DECLINED]) & ~a["mature"] & (a["exercise"] < 3)]
    seen_declined = seen_failed = 0
    for _, r in declined.iterrows():
        key = (r["applicant"], r["exercise"] + 1)
        if key in nxt.index:  # came back: a second-timer now, one chance
            assert nxt.loc[key, "status"] == R.ST and nxt.loc[key, "chances"] == 1
            seen_declined += 1
    for _, r in failed.iterrows():
        key = (r["applicant"], r["exercise"] + 1)
        if key in nxt.index:
            assert nxt.loc[key, "failures_before"] == r["failures_before"] + 1
            seen_failed += 1
    assert seen_declined > 0 and seen_failed > 0
    # Nobody books twice; booked households do not come back.
    booked = a[a["outcome"] == M.BOOKED]
    assert booked["applicant"].is_unique
    later = a.merge(booked[["applicant", "exercise"]], on="applicant", suffixes=("", "_booked"))
    assert (later["exercise"] <= later["exercise_booked"]).all()


def test_success_rates_are_reported_by_group(year):
    rates = year.success_rates(["status", "chances"])
    assert {"applications", "booked", "success_rate"} <= set(rates.columns)
    assert rates["applications"].sum() == len(year.applications)
    by_status = year.success_rates("status").set_index("status")["success_rate"]
    assert by_status["FT-parents"] > by_status["ST"]  # 3 chances and the first-timer quota against 1 and none
