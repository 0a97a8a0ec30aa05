"""The computer ballot: a random queue order from ballot chances and priority-scheme shares.

Ballot chances: a household with k chances holds k ballot entries and keeps its best (lowest) draw,
so its key is the minimum of k uniforms, drawn in one step as ``1 - (1 - U) ** (1 / k)``.
Households with equal chances are therefore in uniformly random order among themselves.

Priority schemes (HDB): a scheme with share q of the flats has ``floor(q × flats)`` queue places
reserved; its members with the best keys take them, in key order among all reserved places; everyone
else (including the scheme's unlucky members) follows in key order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from commonground.model.households import Households


def ballot_keys(households: Households, rng: np.random.Generator) -> np.ndarray:
    """One key per household in [0, 1); lower is better. Exactly one uniform draw per household."""
    u = rng.random(households.n)
    k = households.ballot_chances.astype(float)
    return 1.0 - (1.0 - u) ** (1.0 / k)


def ballot_queue(households: Households, n_flats: int, priority_shares: Mapping[str, float],
                 rng: np.random.Generator) -> np.ndarray:
    """Household indices in selection order."""
    keys = ballot_keys(households, rng)
    first = np.zeros(households.n, dtype=bool)
    for scheme, share in priority_shares.items():
        members = np.flatnonzero(households.priority == scheme)
        quota = int(np.floor(share * n_flats + 1e-9))
        if quota and len(members):
            best = members[np.argsort(keys[members], kind="stable")[:quota]]
            first[best] = True
    # Reserved places first, then the rest, each in key order.
    return np.lexsort((keys, ~first))
