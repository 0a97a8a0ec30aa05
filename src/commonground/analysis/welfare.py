"""Welfare under the caps and the price of diversity.

Price of diversity (Benabbou, Chakraborty, Ho, Sliwinski, Zick, AAMAS 2018 / ACM TEAC 2020): the optimal
welfare without the caps divided by the optimal welfare with them (≥ 1; 1 = the caps cost nothing). Because
HDB allocates by ballot, not by optimisation, the same figures are reported for the ballot over many seeds:
its welfare with and without caps, the ratio of the two (the ballot's own "price of diversity",
``ballot_price_of_diversity_*``), and its welfare as a share of the constrained optimum; and the paper's
**lottery ratio** (``lottery_ratio``): the unconstrained optimum divided by the mean capped ballot welfare.
Per group: applicants housed, welfare and mean utility.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from commonground.allocate.ballot import ballot, ballot_unconstrained
from commonground.allocate.optimal import optimal, optimal_unconstrained
from commonground.allocate.result import Allocation
from commonground.io import schema
from commonground.io.atomic import output_folder
from commonground.model.problem import Problem
from commonground.policy.caps import Policy


def welfare_by_group(allocation: Allocation, attribute: str) -> pd.DataFrame:
    """Per value of ``attribute``: applicants, housed, share housed, welfare, mean utility (housed / all).

    Part of :meth:`Allocation.group_outcomes` under the price-of-diversity folder's column names
    (:data:`commonground.io.schema.GROUP_OUTCOME_ALIASES`).

    Parameters
    ----------
    allocation : Allocation
        The result whose households are counted and valued.
    attribute : str
        The household attribute that defines the groups.

    Returns
    -------
    pandas.DataFrame
        group, applicants, housed, share_housed, welfare, mean_utility_housed, mean_utility_applicant.

    Examples
    --------
    Under the ``problem`` and ``pol`` of :class:`Allocation`'s example, one household of each group is housed:

    >>> from commonground.allocate import ballot
    >>> welfare_by_group(ballot(problem, pol, seed=0), "ethnicity")[["group", "housed"]].values.tolist()
    [['Chinese', 1], ['Malay', 1]]
    """
    g = allocation.group_outcomes(attribute).drop(columns=["attribute", "skipped"])
    return g.rename(columns=schema.GROUP_OUTCOME_ALIASES)


@dataclass(eq=False)
class PriceOfDiversity:
    """Welfare with and without caps, for the optimum and the ballot; see module docstring.

    Made by :func:`price_of_diversity`.

    Parameters
    ----------
    policy : str
        The policy's name.
    attribute : str or None
        The attribute of the per-group table.
    optimal, optimal_unconstrained : Allocation
        The welfare optimum with and without the caps.
    ballots : pandas.DataFrame
        One row per ballot seed: welfare with and without caps, their ratio, share of the optimum, housed.
    groups : pandas.DataFrame
        Per mechanism and group (ballots: mean over seeds).
    extra : dict, optional
        Added to :meth:`summary`.
    """

    policy: str
    attribute: str | None
    optimal: Allocation
    optimal_unconstrained: Allocation
    ballots: pd.DataFrame                      # one row per seed
    groups: pd.DataFrame                       # mechanism × group
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def welfare_optimal(self) -> float:
        """Optimal welfare under the caps."""
        return self.optimal.welfare()

    @property
    def welfare_optimal_unconstrained(self) -> float:
        """Optimal welfare without the caps."""
        return self.optimal_unconstrained.welfare()

    @property
    def price_of_diversity(self) -> float:
        """Optimal welfare without caps / with caps (the paper's definition)."""
        return _ratio(self.welfare_optimal_unconstrained, self.welfare_optimal)

    @property
    def lottery_ratio(self) -> float:
        """Unconstrained optimal welfare / mean welfare of the ballot under the caps: the ratio Benabbou et al.
        report for HDB's lottery (their ``optWithout / meanLot``), NaN without ballot seeds."""
        if not len(self.ballots):
            return float("nan")
        return _ratio(self.welfare_optimal_unconstrained, float(self.ballots["welfare"].mean()))

    def summary(self) -> dict[str, Any]:
        """Headline figures (``price_of_diversity.json``).

        Returns
        -------
        dict
            Optimal welfare with and without caps and their ratio, housed counts, the solver's method,
            exactness and gap, and per ballot column its mean, sd, min and max over seeds, the ballot's ratio of
            means and the lottery ratio; then ``extra``.
        """
        b = self.ballots
        out = {
            "policy": self.policy,
            "households": int(self.optimal.problem.n_households),
            "vacant_flats": int((~self.optimal.problem.development.occupied).sum()),
            "welfare_optimal": self.welfare_optimal,
            "welfare_optimal_unconstrained": self.welfare_optimal_unconstrained,
            "price_of_diversity": self.price_of_diversity,
            "housed_optimal": self.optimal.n_allocated,
            "housed_optimal_unconstrained": self.optimal_unconstrained.n_allocated,
            "optimal_method": self.optimal.info.get("method"),
            "optimal_exact": bool(self.optimal.info.get("exact")),
            "optimal_gap": self.optimal.info.get("gap"),
            "ballot_seeds": int(len(b)),
        }
        for col in ("welfare", "welfare_unconstrained", "price_of_diversity", "share_of_optimum", "housed",
                    "housed_unconstrained"):
            if len(b):
                out[f"ballot_{col}_mean"] = float(b[col].mean())
                out[f"ballot_{col}_sd"] = float(b[col].std(ddof=1)) if len(b) > 1 else 0.0
                out[f"ballot_{col}_min"] = float(b[col].min())
                out[f"ballot_{col}_max"] = float(b[col].max())
        if len(b):
            # Two ratios, named apart: the ballot against itself without caps, and the paper's lottery ratio.
            out["ballot_price_of_diversity_of_means"] = _ratio(b["welfare_unconstrained"].mean(), b["welfare"].mean())
            out["lottery_ratio"] = self.lottery_ratio
        out.update(self.extra)
        return out

    def write(self, out_dir: str | Path, *, fairness: pd.DataFrame | None = None, force: bool = False,
              inputs: dict[str, Any] | None = None) -> Path:
        """``price_of_diversity.json`` (summary), ``ballots.csv`` (per seed), ``groups.csv`` and, if given,
        ``fairness.csv``: one output folder, swapped in whole with its manifest.

        Parameters
        ----------
        out_dir : str or Path
            The output folder.
        fairness : pandas.DataFrame, optional
            :func:`commonground.analysis.fairness.fairness_table` to write too.
        force : bool, optional
            Replace a non-empty folder that is not a commonground output.
        inputs : dict, optional
            Input file fingerprints for the manifest, beside the fingerprint of the problem solved.

        Returns
        -------
        Path
            ``out_dir``, holding the summary, the per-seed and per-group tables and the manifest.
        """
        fingerprints = {"problem": {"sha256": self.optimal.problem.fingerprint()}, **(inputs or {})}
        with output_folder(out_dir, schema.PRICE_OF_DIVERSITY, force=force, inputs=fingerprints,
                           extra={"policy": self.policy, "seeds": self.ballots["seed"].tolist()}) as w:
            w.json(schema.POD_SUMMARY, self.summary())
            w.table(schema.BALLOTS_TABLE, self.ballots)
            w.table(schema.POD_GROUPS_TABLE, self.groups)
            if fairness is not None:
                w.table(schema.FAIRNESS_TABLE, fairness)
        return Path(out_dir)


def price_of_diversity(problem: Problem, policy: Policy, *, seeds: int | Iterable[int] = 20,
                       attribute: str | None = None, on_seed: Callable[[int], None] | None = None,
                       time_limit: float = 600.0) -> PriceOfDiversity:
    """Optimal and ballot welfare with and without ``policy``'s caps; per-group outcomes for ``attribute``
    (default: the first capped attribute, else the households' first attribute).

    Parameters
    ----------
    problem : Problem
        Development, households and preferences.
    policy : Policy
        The caps whose price is measured.
    seeds : int or iterable of int, optional
        How many ballot seeds (0..n-1) or which.
    attribute : str, optional
        Attribute of the per-group table.
    on_seed : callable, optional
        ``on_seed(seed)`` is called after each ballot seed (progress bars).
    time_limit : float, optional
        Seconds for each optimal solve.

    Returns
    -------
    PriceOfDiversity
        The optima, the ballots per seed and the per-group table.

    Examples
    --------
    In the ``problem`` and ``pol`` of :class:`Allocation`'s example, block B's single flat is closed to the Malay
    households by the cap, so the optimum houses 2 instead of 3:

    >>> result = price_of_diversity(problem, pol, seeds=2)
    >>> result.welfare_optimal, result.welfare_optimal_unconstrained, result.price_of_diversity
    (2.0, 3.0, 1.5)
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    attrs = list(problem.households.attributes)
    attr = attribute or (policy.attributes[0] if policy.attributes else (attrs[0] if attrs else None))
    con = optimal(problem, policy, time_limit=time_limit)
    free = optimal_unconstrained(problem, policy, time_limit=time_limit)
    w_con = con.welfare()
    rows, group_frames = [], []
    for s in seed_list:
        b, bu = ballot(problem, policy, seed=s), ballot_unconstrained(problem, policy, seed=s)
        wb, wbu = b.welfare(), bu.welfare()
        rows.append({"seed": s, "welfare": wb, "welfare_unconstrained": wbu,
                     "price_of_diversity": _ratio(wbu, wb), "share_of_optimum": _ratio(wb, w_con),
                     "housed": b.n_allocated, "housed_unconstrained": bu.n_allocated})
        if attr:
            for name, a in (("ballot", b), ("ballot-unconstrained", bu)):
                g = welfare_by_group(a, attr)
                g.insert(0, "mechanism", name)
                g.insert(1, "seed", s)
                group_frames.append(g)
        if on_seed:
            on_seed(s)
    groups = pd.DataFrame()
    if attr:
        fixed = []
        for name, a in (("optimal", con), ("optimal-unconstrained", free)):
            g = welfare_by_group(a, attr)
            g.insert(0, "mechanism", name)
            fixed.append(g)
        per_seed = pd.concat(group_frames, ignore_index=True) if group_frames else pd.DataFrame()
        if len(per_seed):
            agg = (per_seed.groupby(["mechanism", "group"], sort=False)
                   .agg(applicants=("applicants", "first"), housed=("housed", "mean"),
                        share_housed=("share_housed", "mean"), share_housed_sd=("share_housed", "std"),
                        welfare=("welfare", "mean"), mean_utility_applicant=("mean_utility_applicant", "mean"))
                   .reset_index())
            fixed.append(agg)
        groups = pd.concat(fixed, ignore_index=True)
        groups.insert(1, "attribute", attr)
    return PriceOfDiversity(policy=policy.name, attribute=attr, optimal=con, optimal_unconstrained=free,
                            ballots=pd.DataFrame(rows, columns=["seed", "welfare", "welfare_unconstrained",
                                                                "price_of_diversity", "share_of_optimum",
                                                                "housed", "housed_unconstrained"]),
                            groups=groups)


def _ratio(a: float, b: float) -> float:
    if b == 0:
        return 1.0 if a == 0 else float("inf")
    return float(a / b)
