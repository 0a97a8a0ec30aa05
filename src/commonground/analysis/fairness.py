"""Fairness between groups: per-group mean utility and envy between groups.

Group envy follows the *type envy* of Benabbou, Chakraborty, Elkind, Zick, "Fairness towards groups of agents
in the allocation of indivisible items" (IJCAI 2019): a group's value for a set of flats is the best it could do
with them — the maximum-weight assignment of its members to those flats, ``v_G(S)``. Group G envies group G′
when it would prefer G′'s flats, scaled to its own size:

    envy(G → G′) = max(0, |G| / |G′| · v_G(F_G′) − v_G(F_G))

with ``|G|`` the group's applicants and ``F_G`` the flats its members were given. Zero everywhere means the
allocation is type envy-free. ``v_G`` is computed exactly with the same flow model as ``optimal``
(no caps, only G's members and only the flats of S), so it scales to launch-sized groups; on dense flat-level
utilities by SciPy's ``linear_sum_assignment``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commonground.allocate import welfare_model as W
from commonground.allocate.assignment import DenseUtilities, assign, dense_utilities
from commonground.allocate.result import Allocation
from commonground.allocate.welfare_milp import solve
from commonground.io import schema
from commonground.model.problem import Problem
from commonground.policy.caps import Policy


def group_value(problem: Problem, members: np.ndarray, flats: np.ndarray) -> float:
    """v_G(S): the best total utility the households ``members`` (mask) can get from the flats ``flats`` (mask).

    Parameters
    ----------
    problem : Problem
        The households' utilities.
    members : numpy.ndarray
        Boolean mask over households: the group G.
    flats : numpy.ndarray
        Boolean mask over flats: the bundle S.

    Returns
    -------
    float
        The maximum-weight assignment's total utility (no caps); 0 for an empty group or bundle.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from commonground.model import Development, Households
    >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2", "b1"], "block_id": ["A", "A", "B"],
    ...                                            "neighbourhood_id": "N"}))
    >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2"], "ethnicity": ["Malay", "Malay"]}))
    >>> group_value(Problem.build(dev, hh), np.array([True, True]), np.array([True, True, True]))
    2.0
    """
    if not members.any() or not flats.any():
        return 0.0
    dense = dense_utilities(problem, flats)
    if dense is not None:       # dense flat-level utilities: the assignment problem, solved by SciPy directly
        return assign(DenseUtilities(W=dense.W[members], flats=dense.flats, acceptable=dense.acceptable[members],
                                     pairs=dense.pairs))[1]
    model = W.build_model(problem, Policy(name="none"), available=flats, households=members)
    return solve(model).objective


def group_envy(allocation: Allocation, attribute: str) -> pd.DataFrame:
    """Envy matrix (rows: envious group, columns: envied group), in utility units per envious group.

    Parameters
    ----------
    allocation : Allocation
        The result whose groups' bundles are compared.
    attribute : str
        The household attribute that defines the groups.

    Returns
    -------
    pandas.DataFrame
        ``envy(G -> G')`` as in the module docstring; zero on the diagonal.

    Examples
    --------
    In the ``problem`` and ``pol`` of :class:`Allocation`'s example the three Malay households got one flat, the
    one Chinese household another; valuing the Chinese bundle at 3/1 x 1 against its own 1, the Malay group
    envies it by 2:

    >>> from commonground.allocate import ballot
    >>> float(group_envy(ballot(problem, pol, seed=0), "ethnicity").loc["Malay", "Chinese"])
    2.0
    """
    problem = allocation.problem
    vals = problem.households.attributes[attribute].astype(str)
    groups = sorted(set(vals))
    n_flats = problem.development.n_flats
    bundles = {}
    for g in groups:
        m = np.zeros(n_flats, dtype=bool)
        f = allocation.flat_of[(vals == g) & allocation.allocated]
        m[f] = True
        bundles[g] = m
    env = pd.DataFrame(0.0, index=pd.Index(groups, name="envious"), columns=pd.Index(groups, name="envied"))
    for g in groups:
        members = vals == g
        own = group_value(problem, members, bundles[g])
        for o in groups:
            if o == g or not bundles[o].any():
                continue
            scale = members.sum() / max((vals == o).sum(), 1)
            env.loc[g, o] = max(0.0, scale * group_value(problem, members, bundles[o]) - own)
    return env


def fairness_table(allocation: Allocation, attribute: str) -> pd.DataFrame:
    """Per group: applicants, share housed, mean utility (per housed household and per applicant), the most it
    envies another group (absolute and per applicant), and whom.

    The first columns are :meth:`Allocation.group_outcomes` under the price-of-diversity folder's names
    (:data:`commonground.io.schema.GROUP_OUTCOME_ALIASES`).

    Parameters
    ----------
    allocation : Allocation
        The result whose groups are compared: what each got, and whom it envies.
    attribute : str
        The household attribute that defines the groups.

    Returns
    -------
    pandas.DataFrame
        group, applicants, share_housed, mean_utility_housed, mean_utility_applicant, max_envy,
        max_envy_per_applicant, envies_most (``""`` if it envies nobody).

    Examples
    --------
    The ``problem`` and ``pol`` of :class:`Allocation`'s example:

    >>> from commonground.allocate import ballot
    >>> fairness_table(ballot(problem, pol, seed=0), "ethnicity")[["group", "max_envy", "envies_most"]].values.tolist()
    [['Chinese', 0.0, ''], ['Malay', 2.0, 'Chinese']]
    """
    env = group_envy(allocation, attribute)
    out = (allocation.group_outcomes(attribute).rename(columns=schema.GROUP_OUTCOME_ALIASES)
           [["group", "applicants", "share_housed", "mean_utility_housed", "mean_utility_applicant"]])
    most = env.max(axis=1).reindex(out["group"]).to_numpy(dtype=float)
    out["max_envy"] = most
    out["max_envy_per_applicant"] = most / np.maximum(out["applicants"].to_numpy(), 1)
    out["envies_most"] = [env.loc[g].idxmax() if m > 0 else "" for g, m in zip(out["group"], most, strict=True)]
    return out.reset_index(drop=True)
