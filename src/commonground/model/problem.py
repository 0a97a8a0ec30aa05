"""A Problem is what every mechanism takes: a development, its applicants and their utilities.

Acceptability (one rule for every mechanism, docs/preferences.md): a flat is acceptable to a household only if
its utility is > 0, i.e. better than staying unhoused (worth 0). Flat-level entries worth ≤ 0 are dropped when
the problem is built; the mechanisms apply the same test to the block/type form's sums.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.model.development import Development
from commonground.model.households import Households
from commonground.model.preferences import (
    NO_ACCEPTABLE,
    WORTHLESS,
    BlockUtilities,
    FlatUtilities,
    Utilities,
    resolve,
)


@dataclass(frozen=True, eq=False)
class Problem:
    """A development, its applicant households and their utilities: what every mechanism takes.

    Validated once when built (:meth:`build`); mechanisms trust it (the scikit-learn ``check_array`` habit).

    Parameters
    ----------
    development : Development
        The flats, blocks and neighbourhoods.
    households : Households
        The applicants.
    utilities : BlockUtilities or FlatUtilities
        Each household's utility for the flats.
    listed_worthless : numpy.ndarray, optional
        Households whose every listed flat was worth <= 0 (flat form; set by :meth:`build`).
    """

    development: Development
    households: Households
    utilities: Utilities
    #: (H,) households whose every listed flat was worth ≤ 0 (flat form; set by :meth:`build`).
    listed_worthless: np.ndarray | None = None

    @classmethod
    def build(cls, development: Development, households: Households,
              preferences: pd.DataFrame | Utilities | None = None, *, source: str = "preferences") -> Problem:
        """Check the parts against each other once and build the problem every mechanism takes.

        Parameters
        ----------
        development
            The flats, blocks and neighbourhoods (:meth:`Development.from_frame`).
        households
            The applicants (:meth:`Households.from_frame`).
        preferences
            A long preferences table (docs/preferences.md), utilities already built, or None: every
            household accepts every flat alike.
        source
            The preferences file's name, for error messages.

        Returns
        -------
        Problem

        Examples
        --------
        >>> import pandas as pd
        >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2", "b1"], "block_id": ["A", "A", "B"],
        ...                                            "neighbourhood_id": "N"}))
        >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2"], "ethnicity": ["Malay", "Chinese"]}))
        >>> problem = Problem.build(dev, hh)
        >>> problem.n_households, problem.development.n_flats
        (2, 3)
        """
        if isinstance(preferences, BlockUtilities | FlatUtilities):
            utils = preferences
            _check_shapes(utils, development, households)
        else:
            utils = resolve(preferences, development, households, source=source)
        worthless = None
        if isinstance(utils, FlatUtilities):
            utils, worthless = _drop_worthless(utils)
        return cls(development=development, households=households, utilities=utils, listed_worthless=worthless)

    @property
    def n_households(self) -> int:
        """Number of applicant households."""
        return self.households.n

    def fingerprint(self) -> str:
        """SHA-256 of everything that defines the problem, so a published result can be re-run and checked.

        Returns
        -------
        str
            64 hex digits; equal problems (same ids, attributes, occupants, utilities) give the same digest.

        Examples
        --------
        >>> import pandas as pd
        >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1"], "block_id": ["A"], "neighbourhood_id": "N"}))
        >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1"], "ethnicity": ["Malay"]}))
        >>> Problem.build(dev, hh).fingerprint() == Problem.build(dev, hh).fingerprint()
        True
        """
        dig = hashlib.sha256()
        dev, hh, u = self.development, self.households, self.utilities
        parts = [dev.flat_ids, dev.block_ids, dev.neighbourhood_ids, dev.flat_block, dev.block_neighbourhood,
                 dev.flat_type, np.asarray(dev.flat_type_names, dtype=object), dev.flat_floor, dev.flat_value,
                 dev.occupied, hh.ids, hh.priority, hh.ballot_chances, hh.waiting_days]
        parts += [dev.occupants[k] for k in sorted(dev.occupants)]
        parts += [hh.attributes[k] for k in sorted(hh.attributes)]
        parts += ([u.block, u.flat_type] if isinstance(u, BlockUtilities) else [u.indptr, u.flat, u.value])
        for key in [*sorted(dev.occupants), "|", *sorted(hh.attributes)]:
            dig.update(key.encode())
        for a in parts:
            a = np.asarray(a)
            if a.dtype == object:
                dig.update("\x1f".join("" if x is None else str(x) for x in a.ravel()).encode())
            else:
                dig.update(str(a.shape).encode())
                dig.update(np.ascontiguousarray(a).tobytes())
        return dig.hexdigest()

    def no_acceptable_reason(self, h: np.ndarray) -> np.ndarray:
        """Skip reasons for households ``h`` that have no acceptable flat: none listed, or all worth ≤ 0.

        Parameters
        ----------
        h : numpy.ndarray
            Household indices (each with no acceptable vacant flat).

        Returns
        -------
        numpy.ndarray
            One reason text per household of ``h``.
        """
        h = np.asarray(h, dtype=np.int64)
        out = np.full(len(h), NO_ACCEPTABLE, dtype=object)
        u = self.utilities
        if isinstance(u, FlatUtilities):
            worthless = (self.listed_worthless[h] if self.listed_worthless is not None
                         else np.zeros(len(h), dtype=bool))
        else:
            dev = self.development
            vacant = np.flatnonzero(~dev.occupied)
            worthless = np.zeros(len(h), dtype=bool)
            for i in range(0, len(h), 256):   # households × vacant flats, in chunks
                hs = h[i:i + 256]
                V = u.flat_type[np.ix_(hs, dev.flat_type[vacant])] if u.flat_type.shape[1] else 0.0
                A = u.block[np.ix_(hs, dev.flat_block[vacant])] + V + dev.flat_value[vacant]
                worthless[i:i + 256] = np.isfinite(A).any(axis=1) & ~(A > 0).any(axis=1)
        out[worthless] = WORTHLESS
        return out

    def utility(self, h: np.ndarray, f: np.ndarray) -> np.ndarray:
        """u(h, f) for parallel index arrays; ``-inf`` where household h does not accept flat f.

        Parameters
        ----------
        h, f : numpy.ndarray
            Household and flat indices, same length.

        Returns
        -------
        numpy.ndarray
            Float utility per pair (the convention of :mod:`commonground.model.preferences`).
        """
        h = np.asarray(h, dtype=np.int64)
        f = np.asarray(f, dtype=np.int64)
        dev, u = self.development, self.utilities
        if isinstance(u, BlockUtilities):
            return u.block[h, dev.flat_block[f]] + u.flat_type[h, dev.flat_type[f]] + dev.flat_value[f]
        keys, values = _flat_lookup(u, dev.n_flats)
        want = h * dev.n_flats + f
        pos = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
        hit = (keys[pos] == want) if len(keys) else np.zeros(len(want), bool)
        return np.where(hit, values[pos] if len(keys) else 0.0, -np.inf)

    def assignment_utility(self, flat_of: np.ndarray) -> np.ndarray:
        """Each household's utility from an assignment.

        Parameters
        ----------
        flat_of : numpy.ndarray
            ``flat_of[h]`` = flat index household h gets, or -1.

        Returns
        -------
        numpy.ndarray
            Float per household; NaN if unhoused.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "b1"], "block_id": ["A", "B"],
        ...                                            "neighbourhood_id": "N"}))
        >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2"], "ethnicity": ["Malay", "Chinese"]}))
        >>> Problem.build(dev, hh).assignment_utility(np.array([1, -1])).tolist()
        [1.0, nan]
        """
        out = np.full(self.n_households, np.nan)
        got = np.flatnonzero(flat_of >= 0)
        if len(got):
            out[got] = self.utility(got, flat_of[got])
        return out


def _drop_worthless(u: FlatUtilities) -> tuple[FlatUtilities, np.ndarray]:
    """Drop flat-level entries worth ≤ 0 (not better than staying unhoused); flag who had only such entries."""
    keep = u.value > 0
    n = len(u.indptr) - 1
    listed = np.diff(u.indptr) > 0
    if keep.all():
        return u, np.zeros(n, dtype=bool)
    h = np.repeat(np.arange(n, dtype=np.int64), np.diff(u.indptr))
    counts = np.bincount(h[keep], minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return FlatUtilities(indptr=indptr, flat=u.flat[keep], value=u.value[keep]), listed & (counts == 0)


def _flat_lookup(u: FlatUtilities, n_flats: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (household × n_flats + flat) keys and their utilities, built once per utilities object."""
    cached = getattr(u, "_lookup", None)
    if cached is None:
        h = np.repeat(np.arange(len(u.indptr) - 1, dtype=np.int64), np.diff(u.indptr))
        keys = h * n_flats + u.flat
        order = np.argsort(keys, kind="stable")
        cached = (keys[order], u.value[order])
        object.__setattr__(u, "_lookup", cached)
    return cached


def _check_shapes(u: Utilities, dev: Development, hh: Households) -> None:
    if isinstance(u, BlockUtilities):
        if u.block.shape != (hh.n, dev.n_blocks) or u.flat_type.shape != (hh.n, len(dev.flat_type_names)):
            raise ValueError("block utilities must be (households × blocks) and (households × flat types)")
    elif len(u.indptr) != hh.n + 1 or (len(u.flat) and (u.flat.min() < 0 or u.flat.max() >= dev.n_flats)):
        raise ValueError("flat utilities must have one indptr entry per household + 1 and valid flat indices")
