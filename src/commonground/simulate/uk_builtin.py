"""The built-in ``uk-borough`` simulation and ``--town``/``--census`` for any simulation.

``uk-borough`` is Oldham by default: the most segregated of the 348 authorities of England and Wales in 2011
by Theil's H over output areas and by multigroup dissimilarity (docs/ew_league_table.md, rank 1: H 0.408,
D 0.676), and one of the towns of the 2001 disturbances after which the Cantle report (Home Office, 2001)
described "parallel lives" and urged mixed housing — the case the project exists for. ``--town`` puts the
same options on any other authority.

It runs every lawful option of :mod:`~commonground.simulate.uk_policies` against doing nothing (dispersed
sites, tenure by block, no local lettings: a developer's default), plus HDB-style ethnic caps for analysis
only, under UK net migration "as in 2023" and "as in 2025" (:mod:`~commonground.simulate.uk_migration`).
New homes a year: 0.6 % of the authority's 2011 households, in blocks of 30 (illustrative: no per-authority
source was used). Behaviour parameters are those of ``uk-migration`` (illustrative).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from commonground.errors import InputError
from commonground.simulate.uk_migration import NET_MIGRATION

DEFAULT_AUTHORITY = "Oldham"
NEW_HOMES_SHARE = 0.006  # illustrative: new homes a year per 2011 household
NOTHING: dict[str, Any] = {"sites": "dispersed", "tenure": "by-block"}
LAWFUL_POLICIES: list[dict[str, Any]] = [
    {"name": "do nothing", "kind": "none", "council": dict(NOTHING)},
    {"name": "pepper-potted tenure", "kind": "none", "council": {**NOTHING, "tenure": "pepper-potted"}},
    {"name": "a few large sites", "kind": "none", "council": {**NOTHING, "sites": "large", "large_sites": 2}},
    {"name": "large sites + pepper-potted", "kind": "none",
     "council": {"sites": "large", "large_sites": 2, "tenure": "pepper-potted"}},
    {"name": "local lettings: 50% working", "kind": "none", "council": {**NOTHING, "working_share": 0.5}},
    {"name": "local lettings: 50% local connection", "kind": "none", "council": {**NOTHING, "local_share": 0.5}},
]
ETHNIC_CAPS: dict[str, Any] = {"name": "ethnic caps (analysis only: unlawful)", "kind": "caps-new",
                               "caps": "uk-balanced-example", "council": dict(NOTHING)}


def uk_borough(census: str | Path, authority: str = DEFAULT_AUTHORITY, *, replicates: int = 5) -> dict[str, Any]:
    """The ``uk-borough`` simulation as a dict (a simulation TOML's content) for ``authority``."""
    from commonground.scenarios.census import authority_counts
    from commonground.simulate.uk_rates import DETAILED, detailed_values

    ac = authority_counts(census, authority)
    size = detailed_values("household_size")
    households = sum(float(ac.persons[:, i].sum()) / size[g] for i, g in enumerate(DETAILED))
    homes = homes_per_year(households)
    return {
        "name": f"uk-borough ({ac.name})",
        "description": f"{ac.name}: lawful council options for new homes vs doing nothing, UK net migration as in "
                       "2023 and 2025; ethnic caps for analysis only",
        "model": "town", "years": 10, "replicates": replicates, "seed": 2011,
        "measure_caps": "uk-balanced-example",
        "town": {"kind": "census", "path": str(Path(census).expanduser().resolve()), "authority": ac.name,
                 "neighbourhood_level": "lsoa", "groups": "broad"},
        "migration": {"formation_rate": 0.02, "departure_rate": 0.02, "rule": "population"},
        "launches": {"homes_per_year": homes, "block_size": 30, "mechanism": "cbl", "applicants_per_home": 3.0},
        "behaviour": {"model": "logit", "tolerance": {"White": 0.5, "Asian": 0.2, "Black": 0.0, "Mixed": 0.0,
                                                      "Other": 0.0},
                      "block_weight": 0.5, "base_move_rate": 0.04, "unhappy_move_rate": 0.10, "beta": 8.0,
                      "alpha_buy": 0.0, "price_weight": 4.0},
        "market": {"viewings_per_month": 4, "discount_per_month": 0.01, "max_discount": 0.15,
                   "max_search_years": 3},
        "scenarios": [{"name": k, "migration": {"net_per_year": v}} for k, v in NET_MIGRATION.items()],
        "policies": copy.deepcopy([*LAWFUL_POLICIES, ETHNIC_CAPS]),
    }


def with_town(data: Mapping[str, Any], town: str | None, census: str | None) -> dict[str, Any]:
    """A simulation dict with its town set to ``--town`` (an authority, as the table spells it) from the table at
    ``--census``."""
    out = copy.deepcopy(dict(data))
    if town is None and census is None:
        return out
    if town is not None:
        from commonground.scenarios.census import parse_town

        if census is None:
            raise InputError("--town needs --census PATH (your copy of the ONS 2011 ethnic group table by output "
                             "area, or its folder)")
        base = dict(out.get("town", {}))
        if base.get("kind") != "census":
            base = {"kind": "census", "neighbourhood_level": "lsoa", "groups": "broad"}
        from commonground.scenarios.census import check_town

        path = str(Path(census).expanduser().resolve())
        out["town"] = {**base, "authority": check_town(path, parse_town(town)), "path": path}
        for s in out.get("scenarios", []):
            if isinstance(s, dict) and "town" in s:
                s["town"] = {k: v for k, v in s["town"].items() if k not in ("kind", "authority", "path", "hdb_town")}
    elif census is not None:
        t = dict(out.get("town", {}))
        if t.get("kind") != "census":
            raise InputError("--census applies to census towns only (give --town england:NAME, or a simulation "
                             "whose [town] kind is census)")
        out["town"] = {**t, "path": str(Path(census).expanduser().resolve())}
    return out


def load_for_cli(scenario: str | None, town: str | None, census: str | None, replicates: int | None):
    """What ``commonground simulate`` runs: a file or built-in name, optionally moved to ``--town``."""
    from commonground.simulate.builtin import BUILTIN
    from commonground.simulate.run import load
    from commonground.simulate.spec import simulation_from_dict

    if scenario in (None, "uk-borough"):
        if census is None:
            raise InputError("uk-borough needs --census PATH (your copy of the ONS 2011 ethnic group table by "
                             "output area, or its folder)")
        from commonground.scenarios.census import parse_town

        authority = parse_town(town) if town else DEFAULT_AUTHORITY
        return simulation_from_dict(uk_borough(census, authority), source="built-in uk-borough")
    if town is None and census is None:
        return load(scenario)
    if scenario in BUILTIN and not Path(scenario).exists():
        data: Mapping[str, Any] = BUILTIN[scenario]
        source = f"built-in {scenario}"
    else:
        sim = load(scenario)
        data, source = sim.raw, sim.source
    return simulation_from_dict(with_town(data, town, census), source=source)


def ethnic_caps_in(sim: Any) -> bool:
    """Whether any policy of the simulation caps ethnicity on a Great Britain town (needs the caveat; the rule
    is :func:`commonground.policy.lawful.caveat`)."""
    from commonground.policy import load_policy
    from commonground.policy.lawful import caveat

    kinds = [p.town.kind for _, p in sim.scenarios if getattr(p, "town", None) is not None]
    caps = [pol.caps for pol in sim.policies if pol.caps]
    attrs = [c.attribute for spec in caps for c in load_policy(spec).caps]
    return caveat(attrs, town_kinds=kinds, policy_names=caps) is not None


def homes_per_year(households: float) -> int:
    return max(30, int(math.floor(NEW_HOMES_SHARE * households / 30.0 + 0.5)) * 30)
