"""An independent, deliberately naive re-implementation of the ballot's selection rule, for oracle tests.

Written from ../shared/reference/hdb_allocation.md alone (no code shared with the package): households in
queue order each take the highest-utility vacant flat whose block and neighbourhood caps still hold
after entering (strict: count after ≤ floor(share × units)); ties go to the lower flat index (the flat earlier
in the file); a flat worth ≤ 0 is not acceptable (no better than staying unhoused; docs/preferences.md).
"""

from __future__ import annotations

import math


def naive_ballot(order, n_flats, flat_block, block_nbhd, occupant, household_groups, utility, caps, rule="strict"):
    """``caps``: list of (attribute, level, {value: (limit_id, share)}); ``occupant[f]``: dict or None;
    ``household_groups[h]``: dict attribute→value; ``utility(h, f)`` → float or None (unacceptable)."""
    units = {"block": {}, "neighbourhood": {}}
    for f in range(n_flats):
        b = flat_block[f]
        units["block"][b] = units["block"].get(b, 0) + 1
        n = block_nbhd[b]
        units["neighbourhood"][n] = units["neighbourhood"].get(n, 0) + 1
    count = {}

    def unit(level, f):
        return flat_block[f] if level == "block" else block_nbhd[flat_block[f]]

    def add(groups, f):
        for ci, (attr, level, limits) in enumerate(caps):
            v = groups.get(attr)
            if v in limits:
                key = (ci, unit(level, f), limits[v][0])
                count[key] = count.get(key, 0) + 1

    def allowed(groups, f):
        for ci, (attr, level, limits) in enumerate(caps):
            v = groups.get(attr)
            if v not in limits:
                continue
            lim_id, share = limits[v]
            n_units = units[level][unit(level, f)]
            c = count.get((ci, unit(level, f), lim_id), 0)
            if rule == "strict":
                if c + 1 > math.floor(share * n_units + 1e-9):
                    return False
            elif not c < share * n_units - 1e-12:
                return False
        return True

    taken = [occupant[f] is not None for f in range(n_flats)]
    for f in range(n_flats):
        if occupant[f] is not None:
            add(occupant[f], f)
    result = {}
    for h in order:
        best, best_u = None, -math.inf
        for f in range(n_flats):
            if taken[f]:
                continue
            u = utility(h, f)
            if u is None or u <= 0:
                continue
            if u > best_u and allowed(household_groups[h], f):
                best, best_u = f, u
        result[h] = best
        if best is not None:
            taken[best] = True
            add(household_groups[h], best)
    return result
