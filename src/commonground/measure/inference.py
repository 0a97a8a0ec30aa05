"""Inference: what an index would be under random allocation, and bootstrap intervals.

Segregation indices are biased upwards when units are small: even if people were placed at random, a unit
of 50 residents will not mirror its region exactly, so D > 0. :func:`randomization_null` simulates
random allocation and reports its distribution -- the expected value (the small-unit bias), a p-value and
the index net of randomness. :func:`bootstrap` gives sampling intervals for the observed index.

Both work on every region and group at once. Draws are generated without per-unit Python loops: a
multivariate hypergeometric (or multinomial) draw over ``n`` units is split recursively into two halves
(left-half counts ~ hypergeometric/binomial given the half's capacity/weight), so each replication needs
``O(log n)`` vectorised NumPy calls over all regions together.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure.counts import Counts
from commonground.measure.table import IndexSpec, resolve

NULLS = ("permutation", "multinomial", "systematic", "systematic_permutation")
BOOTSTRAPS = ("multinomial", "units")
SeedLike = int | np.random.Generator | None
IndexLike = str | Callable[[Counts], pd.DataFrame | pd.Series]


def _nanstat(f: Callable[..., np.ndarray], draws: np.ndarray, **kw: float) -> np.ndarray:
    with warnings.catch_warnings():  # all-NaN cells (an undefined index) stay NaN quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(draws, axis=0, **kw)


def _like(template: pd.DataFrame | pd.Series, values: np.ndarray) -> pd.DataFrame | pd.Series:
    if isinstance(template, pd.DataFrame):
        return pd.DataFrame(values, index=template.index, columns=template.columns)
    return pd.Series(values, index=template.index, name=template.name)


class _Draws:
    """What a null distribution and a bootstrap share: an observed index and its draws, ``(reps, ...)``."""

    observed: pd.DataFrame | pd.Series
    draws: np.ndarray

    def _over_draws(self, f: Callable[..., np.ndarray], **kw: float) -> pd.DataFrame | pd.Series:
        """``f`` (a NaN-aware NumPy reduction) over the draws, shaped like the observed index."""
        return _like(self.observed, _nanstat(f, self.draws, **kw))

    def _table(self, parts: dict[str, pd.DataFrame | pd.Series]) -> pd.DataFrame:
        """``parts`` side by side: one row per region, or per (region, group) for a single-group index."""
        if isinstance(self.observed, pd.DataFrame):
            return pd.DataFrame({k: v.stack() for k, v in parts.items()})
        return pd.DataFrame(parts)


@dataclass
class NullDistribution(_Draws):
    """An index's observed value against its distribution under random allocation.

    ``draws`` has shape ``(reps, regions, groups)`` for single-group indices, ``(reps, regions)`` for
    multigroup ones. Summaries are labelled like ``observed`` and skip draws where the index is undefined
    (NaN, e.g. a multinomial draw in which a small group vanished). Made by :func:`randomization_null`.

    Parameters
    ----------
    index : str
        The index's name.
    null : str
        How people were reallocated to units (:data:`NULLS`).
    observed : pandas.DataFrame or pandas.Series
        The index on the data.
    draws : numpy.ndarray
        The index under each random allocation.
    even : pandas.DataFrame or pandas.Series
        The index for exactly even units.
    zero_when_even : bool
        The index is 0 under evenness and at most 1 (then :attr:`adjusted` is defined).
    """

    index: str
    null: str
    observed: pd.DataFrame | pd.Series
    draws: np.ndarray
    even: pd.DataFrame | pd.Series
    zero_when_even: bool

    # Named summaries of the draws; the work they share is _Draws._over_draws.
    @property
    def expected(self) -> pd.DataFrame | pd.Series:
        """Mean of the index under random allocation."""
        return self._over_draws(np.nanmean)

    @property
    def sd(self) -> pd.DataFrame | pd.Series:
        """Standard deviation of the index under random allocation (ddof=1)."""
        return self._over_draws(np.nanstd, ddof=1)

    @property
    def bias(self) -> pd.DataFrame | pd.Series:
        """Small-unit bias: expected value under random allocation minus the value for exactly even units
        (every unit with its region's composition, fractional counts allowed; 0 for evenness indices)."""
        return self.expected - self.even

    @property
    def p_value(self) -> pd.DataFrame | pd.Series:
        """One-sided: ``(1 + #{draws >= observed}) / (1 + reps)`` -- is there more segregation than chance?"""
        obs = self.observed.to_numpy()
        ge = (self.draws >= obs[None] - 1e-12).sum(axis=0)
        return _like(self.observed, np.where(np.isnan(obs), np.nan, (1 + ge) / (1 + self.draws.shape[0])))

    @property
    def adjusted(self) -> pd.DataFrame | pd.Series:
        """``(observed - expected) / (1 - expected)``: segregation beyond randomness on the index's own scale
        (Carrington & Troske 1997). Only for indices that are 0 under evenness and at most 1; NaN otherwise."""
        if not self.zero_when_even:
            return _like(self.observed, np.full(self.observed.shape, np.nan))
        e = self.expected
        return (self.observed - e) / (1 - e)

    def summary(self) -> pd.DataFrame:
        """One row per region (and group): observed, expected, sd, bias, p_value, adjusted."""
        parts = {"observed": self.observed, "expected": self.expected, "sd": self.sd, "bias": self.bias,
                 "p_value": self.p_value, "adjusted": self.adjusted}
        return self._table(parts)


@dataclass
class Bootstrap(_Draws):
    """Bootstrap distribution of an index: percentile interval and bias-corrected estimate.

    Made by :func:`bootstrap`.

    Parameters
    ----------
    index : str
        The index's name.
    method : str
        The resampling method.
    observed : pandas.DataFrame or pandas.Series
        The index on the data.
    draws : numpy.ndarray
        The index on each bootstrap sample.
    level : float
        Coverage of the percentile interval.
    """

    index: str
    method: str
    observed: pd.DataFrame | pd.Series
    draws: np.ndarray
    level: float

    @property
    def mean(self) -> pd.DataFrame | pd.Series:
        """Mean of the draws."""
        return self._over_draws(np.nanmean)

    @property
    def se(self) -> pd.DataFrame | pd.Series:
        """Bootstrap standard error: standard deviation of the draws (ddof=1)."""
        return self._over_draws(np.nanstd, ddof=1)

    @property
    def lower(self) -> pd.DataFrame | pd.Series:
        """Lower end of the percentile interval at ``level``."""
        return self._over_draws(np.nanquantile, q=(1 - self.level) / 2)

    @property
    def upper(self) -> pd.DataFrame | pd.Series:
        """Upper end of the percentile interval at ``level``."""
        return self._over_draws(np.nanquantile, q=(1 + self.level) / 2)

    @property
    def bias_corrected(self) -> pd.DataFrame | pd.Series:
        """``2 * observed - mean of draws`` (Allen, Burgess, Davidson & Windmeijer 2015)."""
        return 2 * self.observed - self.mean

    def summary(self) -> pd.DataFrame:
        """One row per region (and group): observed, mean, se, lower, upper, bias_corrected."""
        parts = {"observed": self.observed, "mean": self.mean, "se": self.se, "lower": self.lower,
                 "upper": self.upper, "bias_corrected": self.bias_corrected}
        return self._table(parts)


# -- recursive splitting of units --------------------------------------------------------------------------------
def _ends(c: Counts) -> np.ndarray:
    return np.r_[c.starts[1:], c.n_units].astype(np.int64)


def _split(c: Counts, totals: np.ndarray, measure_cum: np.ndarray,
           draw_left: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Distribute each region's ``totals`` ``(R, G)`` over its units by recursive halving.

    ``measure_cum`` is ``(n+1,)`` or ``(n+1, G)`` cumulative size/weight of units; ``draw_left(N, left, whole)``
    returns the counts that go to the left half of each node given the node's counts ``N`` and the left and
    whole measures.
    """
    out = np.zeros((c.n_units, totals.shape[1]), dtype=np.int64)
    lo, hi, N = c.starts.astype(np.int64), _ends(c), totals.astype(np.int64)
    while lo.size:
        leaf = hi - lo == 1
        out[lo[leaf]] = N[leaf]
        lo, hi, N = lo[~leaf], hi[~leaf], N[~leaf]
        if not lo.size:
            break
        mid = (lo + hi) // 2
        left = draw_left(N, measure_cum[mid] - measure_cum[lo], measure_cum[hi] - measure_cum[lo])
        lo, hi, N = np.r_[lo, mid], np.r_[mid, hi], np.vstack([left, N - left])
    return out


def _multivariate_hypergeometric(rng: np.random.Generator) -> Callable[..., np.ndarray]:
    def draw(N: np.ndarray, size: np.ndarray, _whole: np.ndarray) -> np.ndarray:
        out = np.empty_like(N)
        rest = N.sum(axis=1)
        remaining = np.asarray(size, dtype=np.int64).copy()
        for g in range(N.shape[1] - 1):
            rest = rest - N[:, g]
            out[:, g] = rng.hypergeometric(N[:, g], rest, remaining)
            remaining -= out[:, g]
        out[:, -1] = remaining
        return out
    return draw


def _binomial_split(rng: np.random.Generator) -> Callable[..., np.ndarray]:
    def draw(N: np.ndarray, left: np.ndarray, whole: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.clip(np.where(whole > 0, left / whole, 0.0), 0.0, 1.0)
        return rng.binomial(N, p)
    return draw


def permute(c: Counts, columns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random permutation of people across units: unit totals (row sums of ``columns``) and each region's
    column totals fixed; a multivariate hypergeometric table (PySAL's ``simulate_person_permutation``)."""
    cap = columns.sum(axis=1)
    if cap.max(initial=0) >= 1e9 or c.region_sum(cap).max(initial=0) >= 1e9:
        raise InputError("randomisation supports regions of fewer than 10^9 people")
    cum = np.r_[0, np.cumsum(cap)]
    return _split(c, c.region_sum(columns), cum, _multivariate_hypergeometric(rng))


def scatter(c: Counts, weights: np.ndarray, totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each column's region total spread over units as a multinomial with probabilities proportional to
    ``weights`` (Allen et al. 2015's bootstrap of a group's distribution over units)."""
    cum = np.vstack([np.zeros((1, weights.shape[1])), np.cumsum(weights, axis=0)])
    return _split(c, totals, cum, _binomial_split(rng))


def _integer_counts(c: Counts) -> tuple[np.ndarray, np.ndarray]:
    x, t = np.rint(c.x), np.rint(c.total)
    if not (np.allclose(x, c.x, rtol=0, atol=1e-9) and np.allclose(t, c.total, rtol=0, atol=1e-9)):
        raise InputError("randomisation and bootstrap need whole-number counts (not smoothed ones)")
    return x.astype(np.int64), t.astype(np.int64)


def _values(spec: IndexSpec, c: Counts) -> np.ndarray:
    return spec.func(c).to_numpy()


def _null_draw(c: Counts, spec: IndexSpec, null: str, rng: np.random.Generator, x: np.ndarray,
               t: np.ndarray) -> np.ndarray:
    single_separate = spec.family == "single" and c.explicit_total
    if null in ("systematic", "systematic_permutation"):
        # PySAL simulate_systematic_randomization: each group's regional total spread over units with
        # probabilities t_j / T; "_permutation" then moves unit contents to other units' places
        perm = _shuffle_within_regions(c, rng) if null == "systematic_permutation" else None
        if single_separate:  # each group and its complement spread separately; unit totals follow
            out = np.empty((c.n_regions, c.n_groups))
            size = np.repeat(t[:, None].astype(np.float64), 2, axis=1)
            for k, g in enumerate(c.groups):
                d = scatter(c, size, c.region_sum(np.stack([x[:, k], t - x[:, k]], axis=1)), rng)
                d = d if perm is None else d[perm]
                one = c.select([g]).replace(d[:, :1].astype(np.float64), d.sum(axis=1).astype(np.float64))
                out[:, k] = _values(spec, one)[:, 0]
            return out
        size = np.repeat(c.group_total[:, None].astype(np.float64), c.n_groups, axis=1)
        xs = scatter(c, size, c.region_sum(x), rng)
        return _values(spec, c.replace((xs if perm is None else xs[perm]).astype(np.float64)))
    if null == "permutation":
        if single_separate:  # each group against the rest of the unit total, separately
            xs = np.stack([permute(c, np.stack([x[:, k], t - x[:, k]], axis=1), rng)[:, 0]
                           for k in range(c.n_groups)], axis=1)
        else:
            xs = permute(c, x, rng)
    else:
        if single_separate:
            xs = rng.binomial(t[:, None], np.nan_to_num(c.broadcast(c.region_share)))
        else:
            P = c.broadcast(c.region_group_share)
            P = np.where(np.isfinite(P), P, 1.0 / c.n_groups)
            xs = rng.multinomial(c.group_total.astype(np.int64), P / P.sum(axis=1, keepdims=True))
    return _values(spec, c.replace(xs.astype(np.float64)))


def _shuffle_within_regions(c: Counts, rng: np.random.Generator) -> np.ndarray:
    """A permutation of stored rows that keeps each row in its region (PySAL's geographic permutation:
    the units' contents move to other units' places)."""
    keys = rng.random(c.n_units) + c.codes
    return np.argsort(keys, kind="stable")


def index_spec(index: IndexLike, c: Counts) -> IndexSpec:
    """A registry index by name, or any function of a Counts (a spatial index with its geometry bound,
    ``lambda c: spatial_dissimilarity(c, edges)``): regions x groups results are single-group."""
    if isinstance(index, str):
        return resolve(index)
    if not callable(index):
        raise InputError(f"index must be an index name or a function of Counts, got {type(index).__name__}")
    family = "single" if isinstance(index(c), pd.DataFrame) else "multi"
    name = getattr(index, "__name__", "index")
    return IndexSpec(name, index, family, False, name, name)


def randomization_null(c: Counts, index: IndexLike = "dissimilarity", *, reps: int = 199, null: str = "permutation",
                       seed: SeedLike = None) -> NullDistribution:
    """The index under random allocation of people to units, ``reps`` times, in every region.

    ``null="permutation"`` (default): people are shuffled across units within their region, keeping every
    unit's population and every group's regional total (PySAL ``simulate_person_permutation``).
    ``null="multinomial"``: each unit's residents are drawn independently with the region's group shares
    (PySAL ``simulate_evenness``); regional totals then vary. For single-group indices on a Counts with an
    explicit total, each group is randomised against the rest of the unit total.
    ``null="systematic"``: each group's regional total is spread over units with probabilities proportional
    to their populations (PySAL ``simulate_systematic_randomization``); unit sizes then vary.
    ``null="systematic_permutation"``: the same, then the units' contents are shuffled among the region's
    places (PySAL ``simulate_systematic_geo_permutation``) -- different from ``systematic`` only for a
    spatial index, passed as a function of the Counts (``index=lambda c: spatial_dissimilarity(c, edges)``).
    Needs whole-number counts.

    Parameters
    ----------
    c : Counts
        Whole-number units x groups counts with their regions.
    index : str or callable, optional
        A registry index name (:func:`~commonground.measure.table.resolve`) or a function of a Counts.
    reps : int, optional
        Random allocations drawn (at least 2).
    null : str, optional
        ``permutation``, ``multinomial``, ``systematic`` or ``systematic_permutation`` (above).
    seed : int or numpy.random.Generator, optional
        Seed of the random allocations; the same seed gives the same draws.

    Returns
    -------
    NullDistribution
        Observed value, draws, and summaries (expected, sd, bias, p_value, adjusted).

    Raises
    ------
    InputError
        Unknown index or null, ``reps`` < 2, or counts that are not whole numbers.

    Examples
    --------
    Complete segregation is beyond every one of 19 random allocations: p = 1 / (1 + 19):

    >>> c = Counts.from_frame(pd.DataFrame({"x": [10, 0], "y": [0, 10]}), ["x", "y"])
    >>> randomization_null(c, "dissimilarity", reps=19, seed=0).p_value.loc["all"].to_dict()
    {'x': 0.05, 'y': 0.05}
    """
    spec = index_spec(index, c)
    if null not in NULLS:
        raise InputError(f"null must be one of {NULLS}, got {null!r}")
    if reps < 2:
        raise InputError(f"reps must be at least 2, got {reps}")
    x, t = _integer_counts(c)
    rng = np.random.default_rng(seed)
    observed = spec.func(c)
    draws = np.stack([_null_draw(c, spec, null, rng, x, t) for _ in range(reps)])
    if spec.family == "single":
        even_x = c.total[:, None] * c.broadcast(np.nan_to_num(c.region_share))
    else:
        even_x = c.group_total[:, None] * c.broadcast(np.nan_to_num(c.region_group_share))
    even = _like(observed, _values(spec, c.replace(even_x)))
    return NullDistribution(spec.name, null, observed, draws, even, spec.zero_when_even)


def _boot_draw(c: Counts, spec: IndexSpec, method: str, rng: np.random.Generator, x: np.ndarray,
               t: np.ndarray) -> np.ndarray:
    if method == "units":
        ends = _ends(c)
        size = (ends - c.starts)[c.codes]
        rows = c.starts[c.codes] + np.minimum((rng.random(c.n_units) * size).astype(np.int64), size - 1)
        return _values(spec, c.replace(c.x[rows], c.total[rows] if c.explicit_total else None))
    if spec.family == "single" and c.explicit_total:
        # each group and its complement redistributed separately; unit totals follow
        out = np.empty((c.n_regions, c.n_groups))
        for k, g in enumerate(c.groups):
            cols = np.stack([x[:, k], t - x[:, k]], axis=1)
            d = scatter(c, cols.astype(np.float64), c.region_sum(cols), rng)
            one = c.select([g]).replace(d[:, :1].astype(np.float64), d.sum(axis=1).astype(np.float64))
            out[:, k] = _values(spec, one)[:, 0]
        return out
    d = scatter(c, x.astype(np.float64), c.region_sum(x), rng)
    return _values(spec, c.replace(d.astype(np.float64)))


def bootstrap(c: Counts, index: IndexLike = "dissimilarity", *, reps: int = 199, method: str = "multinomial",
              level: float = 0.95, seed: SeedLike = None) -> Bootstrap:
    """Bootstrap distribution of an index in every region; percentile interval at ``level``.

    ``method="multinomial"`` (default; Allen, Burgess, Davidson & Windmeijer 2015, as PySAL's
    ``BiasCorrectedDissim``): each group's regional total is re-drawn over units with probabilities equal
    to its observed distribution, capturing the sampling noise of small units. ``method="units"``: units are
    resampled with replacement within each region (PySAL ``simulate_bootstrap_resample``).
    ``bias_corrected = 2 * observed - mean(draws)``. Needs whole-number counts.

    Parameters
    ----------
    c : Counts
        Whole-number units x groups counts with their regions.
    index : str or callable, optional
        A registry index name (:func:`~commonground.measure.table.resolve`) or a function of a Counts.
    reps : int, optional
        Bootstrap draws (at least 2).
    method : {"multinomial", "units"}, optional
        How to resample (above).
    level : float, optional
        Coverage of the percentile interval, in (0, 1).
    seed : int or numpy.random.Generator, optional
        Seed of the resampling; the same seed gives the same interval.

    Returns
    -------
    Bootstrap
        Observed value, draws, and summaries (mean, se, lower, upper, bias_corrected).

    Raises
    ------
    InputError
        Unknown index or method, ``reps`` < 2, ``level`` outside (0, 1), or counts that are not whole
    numbers.

    Examples
    --------
    Units with one group each stay so whatever the draw:

    >>> c = Counts.from_frame(pd.DataFrame({"x": [10, 0], "y": [0, 10]}), ["x", "y"])
    >>> bootstrap(c, "theil_h", reps=19, seed=0).summary()[["lower", "upper"]].values.tolist()
    [[1.0, 1.0]]
    """
    spec = index_spec(index, c)
    if method not in BOOTSTRAPS:
        raise InputError(f"method must be one of {BOOTSTRAPS}, got {method!r}")
    if reps < 2:
        raise InputError(f"reps must be at least 2, got {reps}")
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, got {level}")
    x, t = _integer_counts(c)
    rng = np.random.default_rng(seed)
    observed = spec.func(c)
    draws = np.stack([_boot_draw(c, spec, method, rng, x, t) for _ in range(reps)])
    return Bootstrap(spec.name, method, observed, draws, level)
