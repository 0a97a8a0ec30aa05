"""Several HDB sales exercises in a row on real towns: who applies where, who books, who comes back.

Each exercise offers projects in towns drawn from :data:`commonground.exercise.towns.TOWNS` (each project: new
blocks beside existing blocks whose residents follow the town's Census 2020 mix, so the EIP binds where it would).
Applicants (new ones each exercise, plus the unsuccessful coming back) apply for one project and flat type:
the flat type they want, the project by a stated behaviour model (*assumed*: a mature-estate project is
``mature_weight`` times as likely to be chosen as a non-mature one, among projects offering their type). Queue
numbers, booking and outcomes follow :mod:`commonground.exercise.mechanics` and :mod:`commonground.exercise.rules`.
Between exercises: a booking household leaves; a first-timer that declined counts as a second-timer for the next
``exercises_per_year`` exercises (a year); every other unsuccessful application counts as a failure (towards
extra chances when it was for a non-mature estate); the unsuccessful return with probability ``return_share``.

Applicants' groups follow Singapore's resident shares (Census 2020). Generated, not downloaded. Values marked
*assumed* in :class:`ExerciseParams` are illustrative, not HDB figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commonground.exercise import mechanics as M
from commonground.exercise import rules as R
from commonground.exercise.towns import TOWNS
from commonground.model.development import Development
from commonground.model.households import Households
from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy import load_policy
from commonground.policy.state import CapState
from commonground.scenarios.singapore import CENSUS_2020_SHARES

GROUPS = ("Chinese", "Malay", "Indian", "Others")
#: Flat-type mix of a project and of applicants' wishes (as in the sg-bto scenario; illustrative).
FLAT_TYPES = {"2-room Flexi": 0.10, "3-room": 0.25, "4-room": 0.45, "5-room": 0.20}


@dataclass(frozen=True)
class ExerciseParams:
    """Scenario knobs. Confirmed figures: ``multiple`` (about 3× supply get queue numbers) and ``book_share``
    (about 40 % of the invited do not book); all others are *assumed*."""

    exercises: int = 3
    exercises_per_year: int = 3          # assumed: BTO exercises a year (declining first-timers' penalty)
    projects_per_exercise: int = 4
    blocks_per_project: int = 3
    flats_per_block: int = 120
    existing_blocks: int = 8
    existing_units: int = 120
    new_applicants_per_flat: float = 2.5  # assumed
    book_share: float = 0.6
    return_share: float = 0.8             # assumed
    mature_weight: float = 2.0            # assumed
    multiple: float = 3.0
    spr_share: float = 0.07               # assumed (as the sg-bto scenario)
    status_shares: dict[str, float] = field(default_factory=lambda: {R.FT: 0.6, R.FT_PARENTS: 0.25, R.ST: 0.15})
    scheme_member_shares: dict[str, float] = field(
        default_factory=lambda: {"FPPS": 0.25, "FCS": 0.15, "TCPS": 0.03})  # assumed
    policy: str = "sg-eip-2010,sg-spr"


@dataclass
class ExerciseRun:
    """Every application of every exercise (one row each) and, when kept, each project's booking problem."""

    applications: pd.DataFrame
    projects: pd.DataFrame
    problems: list[tuple[int, str, Problem]]

    def success_rates(self, by: str | list[str]) -> pd.DataFrame:
        """Applications, bookings and the booking rate per group (``by``: a column of ``applications``)."""
        g = self.applications.groupby(by, observed=True)
        out = g.size().rename("applications").to_frame()
        out["booked"] = g["outcome"].apply(lambda s: int((s == M.BOOKED).sum()))
        out["success_rate"] = (out["booked"] / out["applications"]).round(4)
        return out.reset_index()

    def outcome_shares(self) -> pd.DataFrame:
        """Share of applications ending in each outcome, per exercise."""
        t = pd.crosstab(self.applications["exercise"], self.applications["outcome"], normalize="index")
        return t.reindex(columns=[o for o in M.OUTCOMES if o in t.columns]).round(4).reset_index()


def _project(rng: np.random.Generator, town: pd.Series, name: str, p: ExerciseParams) -> Development:
    rows = []
    mix = town[list(GROUPS)].to_numpy(float)
    for e in range(p.existing_blocks):
        block_mix = rng.dirichlet(mix * 60)
        eth = rng.choice(GROUPS, p.existing_units, p=block_mix)
        res = np.where(rng.random(p.existing_units) < 0.04, "SPR", "SC")
        for k in range(p.existing_units):
            rows.append((f"{name}-E{e + 1}-{k}", f"{name}-E{e + 1}", name, "4-room", 0.0, eth[k], res[k]))
    for b in range(p.blocks_per_project):
        types = np.resize(np.repeat(list(FLAT_TYPES), np.round(np.array(list(FLAT_TYPES.values()))
                                                               * p.flats_per_block).astype(int)), p.flats_per_block)
        for k in range(p.flats_per_block):
            rows.append((f"{name}-B{b + 1}-{k}", f"{name}-B{b + 1}", name, types[k], 0.01 * (k % 16), None, None))
    frame = pd.DataFrame(rows, columns=["flat_id", "block_id", "neighbourhood_id", "flat_type", "value",
                                        "occupant_ethnicity", "occupant_residency"])
    return Development.from_frame(frame, source=f"project {name}")


def run_exercises(params: ExerciseParams | None = None, *, seed: int = 0, keep_problems: bool = False) -> ExerciseRun:
    """Run ``params.exercises`` sales exercises in a row (see the module docstring)."""
    p = params or ExerciseParams()
    rng = np.random.default_rng(seed)
    policy = load_policy(p.policy)
    # The applicant population grows as exercises go; columns as parallel lists in a frame.
    pop = pd.DataFrame(columns=["applicant", "ethnicity", "residency", "status", "scheme", "wants",
                                "non_mature_failures", "penalty_until", "tries", "active"])
    apps: list[pd.DataFrame] = []
    proj_rows: list[dict[str, object]] = []
    problems: list[tuple[int, str, Problem]] = []
    for k in range(p.exercises):
        picks = TOWNS.iloc[rng.choice(len(TOWNS), p.projects_per_exercise, replace=False)]
        projects = []
        for _, town in picks.iterrows():
            name = f"X{k + 1}-{town['code']}"
            projects.append((name, town, _project(rng, town, name, p)))
            proj_rows.append({"exercise": k + 1, "project": name, "town": town["town"], "mature": bool(town["mature"]),
                              "flats": p.blocks_per_project * p.flats_per_block})
        supply = p.projects_per_exercise * p.blocks_per_project * p.flats_per_block
        n_new = int(round(p.new_applicants_per_flat * supply))
        statuses = list(p.status_shares)
        new = pd.DataFrame({
            "applicant": [f"A{k + 1}-{i:05d}" for i in range(n_new)],
            "ethnicity": rng.choice(GROUPS, n_new, p=[CENSUS_2020_SHARES[g] for g in GROUPS]),
            "residency": np.where(rng.random(n_new) < p.spr_share, "SPR", "SC"),
            "status": rng.choice(statuses, n_new, p=list(p.status_shares.values())),
            "scheme": _schemes(rng, n_new, p.scheme_member_shares),
            "wants": rng.choice(list(FLAT_TYPES), n_new, p=list(FLAT_TYPES.values())),
            "non_mature_failures": 0, "penalty_until": 0, "tries": 0, "active": True})
        pop = pd.concat([pop, new], ignore_index=True) if len(pop) else new
        active = np.flatnonzero(pop["active"].to_numpy(bool))
        weight = np.array([p.mature_weight if t["mature"] else 1.0 for _, t, _ in projects])
        choice = rng.choice(len(projects), len(active), p=weight / weight.sum())
        for j, (name, town, dev) in enumerate(projects):
            who = active[choice == j]
            if len(who) == 0:
                continue
            rows = _one_project(rng, pop.iloc[who], dev, bool(town["mature"]), k, policy, p, keep_problems, problems,
                                name)
            rows["exercise"], rows["project"], rows["town"] = k + 1, name, town["town"]
            rows["mature"] = bool(town["mature"])
            apps.append(rows)
            # Update the population for the next exercise.
            idx = who
            out = rows["outcome"].to_numpy()
            pop.loc[idx, "tries"] = pop.loc[idx, "tries"].to_numpy() + 1
            pop.loc[idx[out == M.BOOKED], "active"] = False
            declined_ft = (out == M.DECLINED) & (rows["base_status"].to_numpy() != R.ST)
            pop.loc[idx[declined_ft], "penalty_until"] = k + 1 + p.exercises_per_year
            failed = ~np.isin(out, [M.BOOKED, M.DECLINED])
            if not town["mature"]:
                pop.loc[idx[failed], "non_mature_failures"] = pop.loc[idx[failed], "non_mature_failures"].to_numpy() + 1
            leave = (out != M.BOOKED) & (rng.random(len(idx)) >= p.return_share)
            pop.loc[idx[leave], "active"] = False
    applications = pd.concat(apps, ignore_index=True)
    return ExerciseRun(applications=applications, projects=pd.DataFrame(proj_rows), problems=problems)


def _schemes(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    names = list(shares) + [""]
    probs = list(shares.values()) + [1.0 - sum(shares.values())]
    return rng.choice(names, n, p=probs)


def _one_project(rng, people: pd.DataFrame, dev: Development, mature: bool, k: int, policy, p: ExerciseParams,
                 keep_problems: bool, problems: list[tuple[int, str, Problem]], name: str) -> pd.DataFrame:
    n = len(people)
    base = people["status"].to_numpy(object)
    status = np.where(people["penalty_until"].to_numpy(int) > k, R.ST, base)
    fails = people["non_mature_failures"].to_numpy(int)
    chances = np.array([R.ballot_chances(s, f, applying_non_mature=not mature) for s, f in zip(status, fails,
                                                                                               strict=True)])
    keys = 1.0 - (1.0 - rng.random(n)) ** (1.0 / chances)
    types = list(dev.flat_type_names)
    wants = people["wants"].to_numpy(object)
    type_of = np.array([types.index(w) for w in wants], np.int64)
    scheme = people["scheme"].to_numpy(object)
    first_timer = status != R.ST
    queues = []
    for t, tname in enumerate(types):
        pool = np.flatnonzero(type_of == t)
        supply = int(((dev.flat_type == t) & ~dev.occupied).sum())
        if len(pool) == 0 or supply == 0:
            continue
        q = M.queue_numbers(keys[pool], first_timer[pool], scheme[pool], supply,
                            ft_quota=R.first_timer_quota(tname, mature=mature), scheme_shares=R.SCHEME_SHARES,
                            multiple=p.multiple)
        queues.append(pool[q])
    order = M.interleave(queues)
    books = rng.random(n) < p.book_share
    hh = Households(ids=people["applicant"].to_numpy(object),
                    attributes={"ethnicity": people["ethnicity"].to_numpy(object),
                                "residency": people["residency"].to_numpy(object)},
                    ballot_chances=chances.astype(np.int64))
    new_block = np.array([not dev.occupied[dev.flat_block == b].any() for b in range(dev.n_blocks)])
    # Block tastes: positive (every new block beats staying unhoused for an applicant to the project).
    U = np.where(new_block[None, :], 1.0 + rng.exponential(size=(n, dev.n_blocks)), -np.inf)
    V = np.full((n, len(types)), -np.inf)
    V[np.arange(n), type_of] = 0.0
    problem = Problem.build(dev, hh, BlockUtilities(block=U, flat_type=V))
    caps = CapState.build(policy, dev, hh)
    flat_of, outcome = M.book(problem, caps, order, books, type_of)
    if keep_problems:
        invited_bookers = order[books[order]]
        sub = Problem.build(dev, Households(ids=hh.ids[invited_bookers],
                                            attributes={a: v[invited_bookers] for a, v in hh.attributes.items()},
                                            ballot_chances=chances[invited_bookers].astype(np.int64)),
                            BlockUtilities(block=U[invited_bookers], flat_type=V[invited_bookers]))
        problems.append((k + 1, name, sub))
    position = np.full(n, -1)
    position[order] = np.arange(1, len(order) + 1)
    return pd.DataFrame({"applicant": people["applicant"].to_numpy(), "ethnicity": hh.attributes["ethnicity"],
                         "residency": hh.attributes["residency"], "base_status": base, "status": status,
                         "scheme": scheme, "flat_type": wants, "chances": chances,
                         "failures_before": fails, "queue_position": position, "outcome": outcome,
                         "flat_id": np.where(flat_of >= 0, dev.flat_ids[np.maximum(flat_of, 0)], "")})
