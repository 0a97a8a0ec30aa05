"""Caps compiled against one development and one set of households into arrays for the hot loops.

For cap c: ``hh_limit[c, h]`` is the limit index that household h falls under (-1: not capped);
``count[c, u, l]`` and ``maximum[c, u, l]`` are the current count and the most allowed of limit l in
unit u (block or neighbourhood by ``level[c]``). Existing occupants are counted at construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.model.development import Development
from commonground.model.households import Households
from commonground.policy.caps import Policy, max_count
from commonground.policy.kernels import BLOCK, LEVEL_CODE, admit, blocking_cap


@dataclass(eq=False)
class CapState:
    """Array form of a policy's caps over one development (mutable counts; copy before reuse).

    Build with :meth:`build`. C caps, H households, F flats, U units (the larger of blocks and
    neighbourhoods), L limits (the most of any cap).

    Parameters
    ----------
    policy : Policy
        The policy.
    level : numpy.ndarray
        (C,) ``BLOCK`` or ``NEIGHBOURHOOD`` (:mod:`commonground.policy.kernels`).
    hh_limit : numpy.ndarray
        (C, H) limit index per household, -1 = uncapped.
    occ_limit : numpy.ndarray
        (C, F) limit index of each flat's existing occupant, -1 = none or uncapped.
    count : numpy.ndarray
        (C, U, L) households of each limit in each unit.
    maximum : numpy.ndarray
        (C, U, L) most allowed.
    block_neighbourhood : numpy.ndarray
        Neighbourhood index of each block.

    Examples
    --------
    >>> import pandas as pd
    >>> from commonground.model import Development, Households
    >>> from commonground.policy import Cap
    >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2"], "block_id": "A", "neighbourhood_id": "N"}))
    >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2"], "ethnicity": ["Malay", "Malay"]}))
    >>> caps = CapState.build(Policy("demo", caps=(Cap.of("ethnicity", "block", {"Malay": 0.5}),)), dev, hh)
    >>> caps.blocking_cap(0, 0)
    -1
    >>> caps.admit(0, 0)
    >>> caps.blocking_cap(1, 0), caps.describe(0, 1, 0, dev)
    (0, 'block A: Malay cap 50% reached')
    """

    policy: Policy
    level: np.ndarray          # (C,) BLOCK or NEIGHBOURHOOD (policy.kernels)
    hh_limit: np.ndarray       # (C, H) limit index per household, -1 = uncapped
    occ_limit: np.ndarray      # (C, F) limit index of each flat's existing occupant, -1 = none/uncapped
    count: np.ndarray          # (C, U, L) households of each limit in each unit
    maximum: np.ndarray        # (C, U, L) most allowed
    block_neighbourhood: np.ndarray

    @classmethod
    def build(cls, policy: Policy, dev: Development, hh: Households) -> CapState:
        """Check the policy against the households and occupants and count the occupants in.

        Parameters
        ----------
        policy : Policy
            The caps.
        dev : Development
            The flats; existing occupants count towards the caps.
        hh : Households
            The applicants.

        Returns
        -------
        CapState
            Counts of the existing occupants; nobody admitted yet.

        Raises
        ------
        PolicyError
            The policy does not fit the data (:meth:`Policy.validate_groups`).
        """
        from commonground.policy.checks import check_households

        check_households(policy, hh)
        known: dict[str, set[str]] = {}
        for a, v in hh.attributes.items():
            known.setdefault(a, set()).update(distinct_values(v))
        for a, v in dev.occupants.items():
            known.setdefault(a, set()).update(distinct_values(v))
        policy.validate_groups(known)
        C = len(policy.caps)
        U = max(dev.n_blocks, dev.n_neighbourhoods, 1)
        L = max((len(c.limits) for c in policy.caps), default=1)
        level = np.array([LEVEL_CODE[c.level] for c in policy.caps], dtype=np.int64)
        hh_limit = np.full((C, hh.n), -1, dtype=np.int64)
        occ_limit = np.full((C, dev.n_flats), -1, dtype=np.int64)
        count = np.zeros((C, U, L), dtype=np.int64)
        maximum = np.zeros((C, U, L), dtype=np.int64)
        for c, cap in enumerate(policy.caps):
            hh_limit[c] = limit_codes(cap, hh.attributes[cap.attribute])
            units = dev.units_at(cap.level)
            for li, lim in enumerate(cap.limits):
                maximum[c, : len(units), li] = [max_count(lim.share, n, policy.rule) for n in units]
            occ = dev.occupants.get(cap.attribute)
            if occ is not None:
                occ_limit[c] = limit_codes(cap, occ)
                unit = dev.unit_of_flat(cap.level)
                m = occ_limit[c] >= 0
                np.add.at(count[c], (unit[m], occ_limit[c][m]), 1)
        return cls(policy=policy, level=level, hh_limit=hh_limit, occ_limit=occ_limit, count=count,
                   maximum=maximum, block_neighbourhood=dev.block_neighbourhood.astype(np.int64))

    def copy(self) -> CapState:
        """A copy with its own counts; the other arrays (limits, maxima) are shared with the original."""
        return CapState(self.policy, self.level, self.hh_limit, self.occ_limit, self.count.copy(),
                        self.maximum, self.block_neighbourhood)

    @property
    def n_caps(self) -> int:
        """Number of caps."""
        return len(self.level)

    def blocking_cap(self, h: int, block: int) -> int:
        """Index of the first cap that stops household h entering ``block`` (-1 if none does).

        Parameters
        ----------
        h : int
            Index of the household asking to move in.
        block : int
            Index of the block it asks for; the caps of the block's neighbourhood apply too.

        Returns
        -------
        int
            Cap index, or -1.
        """
        return int(blocking_cap(self.level, self.hh_limit, self.count, self.maximum, self.block_neighbourhood,
                                h, block))

    def admit(self, h: int, block: int) -> None:
        """Count household h into ``block`` and its neighbourhood.

        Parameters
        ----------
        h : int
            Index of the household moving in.
        block : int
            Index of its block; the block's neighbourhood counts it too.
        """
        admit(self.level, self.hh_limit, self.count, self.block_neighbourhood, h, block, 1)

    def release(self, h: int, block: int) -> None:
        """Count household h out of ``block`` and its neighbourhood (a move or resale).

        Parameters
        ----------
        h : int
            Index of the household moving out.
        block : int
            Index of the block it leaves, and so of the neighbourhood.
        """
        admit(self.level, self.hh_limit, self.count, self.block_neighbourhood, h, block, -1)

    def describe(self, c: int, h: int, block: int, dev: Development) -> str:
        """Why cap c stops household h: e.g. ``block B3: Malay cap 25% reached``.

        Parameters
        ----------
        c : int
            Cap index (from :meth:`blocking_cap`).
        h : int
            Index of the household stopped.
        block : int
            Index of the block it asked for (the cap may be its neighbourhood's).
        dev : Development
            For the unit's id.

        Returns
        -------
        str
            The skip reason text.
        """
        cap = self.policy.caps[c]
        lim = cap.limits[self.hh_limit[c, h]]
        unit = block if self.level[c] == BLOCK else int(self.block_neighbourhood[block])
        uid = dev.unit_ids(cap.level)[unit]
        return f"{cap.level} {uid}: {lim.label} cap {lim.share * 100:g}% reached"


def limit_codes(cap, values: np.ndarray) -> np.ndarray:
    """Limit index for each value under ``cap`` (-1 for values the cap does not limit, or None)."""
    lookup = {v: i for i, lim in enumerate(cap.limits) for v in lim.values}
    # Map the distinct values once: a city has ~1M residents but a handful of groups; None (vacant) → -1.
    cat = pd.Categorical(np.asarray(values, dtype=object))
    table = np.array([lookup.get(str(c), -1) for c in cat.categories] + [-1], dtype=np.int64)
    return table[cat.codes]


def distinct_values(values: np.ndarray) -> set[str]:
    """The distinct non-missing values of an attribute column, as strings."""
    return {str(c) for c in pd.Categorical(np.asarray(values, dtype=object)).categories}
