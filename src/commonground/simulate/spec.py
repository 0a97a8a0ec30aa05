"""Simulation files (TOML): scenarios × policies × replicates, validated before anything runs.

::

    name = "my-town"
    model = "town"            # or "schelling" (the Mesa preset; then [schelling] and years = steps)
    years = 10
    replicates = 20
    seed = 2024
    common_random_numbers = true
    measure_caps = "uk-balanced-example"   # caps to count units over, also under no caps

    [town]        # base sections, see commonground.simulate.params
    [migration]
    [launches]
    [behaviour]
    [market]

    [[scenarios]]                 # each overrides the base sections
    name = "tens-of-thousands"
    migration = { net_per_year = 50_000 }

    [[policies]]
    name = "no caps"
    kind = "none"                 # none | caps-new | caps-resale | caps-buyback
    [[policies]]
    name = "caps"
    kind = "caps-resale"
    caps = "uk-balanced-example"  # preset(s) or a policy TOML path

Errors are :class:`~commonground.errors.InputError` / :class:`~commonground.errors.PolicyError`, one line each.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from commonground.errors import InputError, PolicyError
from commonground.policy import load_policy
from commonground.simulate.bounds import MAX_REPLICATES, check_schelling_bounds
from commonground.simulate.params import POLICY_KINDS, PolicySpec, TownParams, params_from_dict
from commonground.simulate.schelling import SchellingParams
from commonground.simulate.town import default_shares

MODELS = ("town", "schelling")
TOP_KEYS = {"name", "description", "model", "years", "replicates", "seed", "common_random_numbers", "measure_caps",
            "town", "migration", "launches", "behaviour", "market", "schelling", "scenarios", "policies"}


@dataclass(frozen=True)
class Simulation:
    """What to run: every scenario under every policy, ``replicates`` times, from ``seed``."""

    name: str
    model: str
    years: int
    replicates: int
    seed: int
    scenarios: tuple[tuple[str, Any], ...]
    policies: tuple[PolicySpec, ...]
    description: str = ""
    common_random_numbers: bool = True
    source: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    def with_replicates(self, n: int | None) -> Simulation:
        if n is None:
            return self
        if not 1 <= n <= MAX_REPLICATES:
            raise InputError(f"replicates must be from 1 to {MAX_REPLICATES:,}, got {n}")
        return Simulation(**{**self.__dict__, "replicates": int(n)})

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "model": self.model, "years": self.years,
                "replicates": self.replicates, "seed": self.seed,
                "common_random_numbers": self.common_random_numbers, "source": self.source,
                "scenarios": {n: _plain(asdict(p)) for n, p in self.scenarios},
                "policies": [asdict(p) for p in self.policies]}


def load_simulation(path: str | Path) -> Simulation:
    """Read a simulation TOML file."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such simulation file", source=str(p))
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"malformed TOML: {e}", source=str(p)) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", source=str(p)) from None
    return simulation_from_dict(data, source=str(p))


def simulation_from_dict(data: Mapping[str, Any], *, source: str = "simulation") -> Simulation:
    try:
        return _build(data, source)
    except PolicyError as e:
        if e.source:
            raise
        raise PolicyError(e.problem, source=source) from None
    except InputError as e:
        if e.source:
            raise
        raise InputError(e.problem, source=source) from None


def _build(data: Mapping[str, Any], source: str) -> Simulation:
    extra = sorted(set(data) - TOP_KEYS)
    if extra:
        raise InputError(f"unknown key '{extra[0]}' (expected: {', '.join(sorted(TOP_KEYS))})")
    model = data.get("model", "town")
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}, got '{model}'")
    years = _int(data, "years", 10, 1)
    replicates = _int(data, "replicates", 10, 1)
    if replicates > MAX_REPLICATES:
        raise InputError(f"'replicates' must be ≤ {MAX_REPLICATES:,}, got {replicates:,}")
    seed = _int(data, "seed", 0, 0)
    crn = data.get("common_random_numbers", True)
    if not isinstance(crn, bool):
        raise InputError("'common_random_numbers' must be true or false")
    scen_list = data.get("scenarios", [{"name": "base"}])
    if not isinstance(scen_list, list) or not scen_list:
        raise InputError("'scenarios' must be a non-empty array of tables ([[scenarios]])")
    sections = ("town", "migration", "launches", "behaviour", "market") if model == "town" else ("schelling",)
    base = {k: data[k] for k in sections if k in data}
    if model == "town" and "schelling" in data:
        raise InputError("[schelling] only applies with model = \"schelling\"")
    scenarios: list[tuple[str, Any]] = []
    for i, s in enumerate(scen_list, start=1):
        if not isinstance(s, Mapping) or not isinstance(s.get("name"), str) or not s["name"].strip():
            raise InputError(f"[[scenarios]] #{i} needs a non-empty 'name'")
        name = s["name"].strip()
        if any(name == n for n, _ in scenarios):
            raise InputError(f"scenario '{name}' is defined twice")
        unknown = sorted(set(s) - {"name", *sections, "years", "measure_caps"})
        if unknown:
            raise InputError(f"scenario '{name}': unknown key '{unknown[0]}' (expected: name, {', '.join(sections)})")
        merged = _merge(base, {k: s[k] for k in sections if k in s})
        where = f"scenario '{name}'"
        if model == "town":
            merged["years"] = s.get("years", years)
            if "measure_caps" in s or "measure_caps" in data:
                merged["measure_caps"] = s.get("measure_caps", data.get("measure_caps"))
            town = merged.get("town")
            if isinstance(town, Mapping) and isinstance(town.get("path"), str) and town["path"]:
                # Relative to the working directory at load time, made absolute so workers find it too.
                merged["town"] = {**town, "path": str(Path(town["path"]).expanduser().resolve())}
            try:
                params = params_from_dict(merged, where=where)
            except InputError as e:
                raise InputError(f"{where}: {e.problem}") from None
            if params.town.kind == "hdb" and not Path(params.town.path).is_file():
                raise InputError(f"{where}: no HDB property file at {params.town.path}")
            if params.town.kind == "census":  # the table and the authority, checked before anything runs
                from commonground.scenarios.census import check_town

                check_town(params.town.path, params.town.authority)
            if params.measure_caps:
                _check_caps(params.measure_caps, params, f"{where}: measure_caps")
        else:
            sch = merged.get("schelling", {})
            if not isinstance(sch, Mapping):
                raise InputError(f"{where}: [schelling] must be a table")
            bad = sorted(set(sch) - set(SchellingParams.__dataclass_fields__))
            if bad:
                raise InputError(f"{where}: [schelling] unknown key '{bad[0]}'")
            try:
                params = SchellingParams(**sch)
            except TypeError as e:
                raise InputError(f"{where}: [schelling] {e}") from None
            check_schelling_bounds(params, years)
        scenarios.append((name, params))
    pol_list = data.get("policies", [{"name": "none", "kind": "none"}])
    if not isinstance(pol_list, list) or not pol_list:
        raise PolicyError("'policies' must be a non-empty array of tables ([[policies]])")
    policies: list[PolicySpec] = []
    for i, p in enumerate(pol_list, start=1):
        if not isinstance(p, Mapping) or not isinstance(p.get("name"), str) or not p["name"].strip():
            raise PolicyError(f"[[policies]] #{i} needs a non-empty 'name'")
        unknown = sorted(set(p) - {"name", "kind", "caps", "council"})
        if unknown:
            raise PolicyError(f"policy '{p['name']}': unknown key '{unknown[0]}' (expected: name, kind, caps, "
                              "council)")
        _check_kind_and_caps(p)
        kind = p.get("kind", "none")
        if kind not in POLICY_KINDS:
            raise PolicyError(f"policy '{p['name']}': unknown kind '{kind}' (choose from: {', '.join(POLICY_KINDS)})")
        council = None
        if "council" in p:  # lawful options of an English council (commonground.simulate.uk_policies)
            from commonground.simulate.uk_policies import council_from_dict

            council = council_from_dict(p["council"], f"policy '{p['name']}'")
        spec = PolicySpec(name=p["name"].strip(), kind=kind, caps=str(p.get("caps", "")), council=council)
        if any(spec.name == q.name for q in policies):
            raise PolicyError(f"policy '{spec.name}' is defined twice")
        if spec.caps:
            for sname, params in scenarios:
                if model == "town":
                    _check_caps(spec.caps, params, f"policy '{spec.name}' in scenario '{sname}'")
        policies.append(spec)
    if model == "schelling" and any(p.kind != "none" for p in policies):
        raise PolicyError("the Schelling preset has no caps: its only policy kind is 'none'")
    return Simulation(name=str(data.get("name", Path(source).stem)), model=model, years=years,
                      replicates=replicates, seed=seed, scenarios=tuple(scenarios), policies=tuple(policies),
                      description=str(data.get("description", "")), common_random_numbers=crn, source=source,
                      raw=copy.deepcopy(dict(data)))


def _check_kind_and_caps(p: Mapping[str, Any]) -> None:
    """Caps with no capping kind would run uncapped without a word: a policy with ``caps`` must say how
    they apply (``kind`` = caps-new, caps-resale or caps-buyback)."""
    if not p.get("caps"):
        return
    capping = ", ".join(k for k in POLICY_KINDS if k != "none")
    if "kind" not in p:
        raise PolicyError(f"policy '{p['name']}' has caps but no 'kind': say how they apply ({capping}); "
                          "without a kind it would run with no caps")
    if p["kind"] == "none":
        raise PolicyError(f"policy '{p['name']}' has kind = \"none\" but names caps: choose a capping kind "
                          f"({capping}) or drop 'caps'")


def _check_caps(spec: str, params: TownParams, where: str) -> None:
    """The caps load, and name only the town's attribute and groups (checked before anything runs)."""
    try:
        pol = load_policy(spec)
    except PolicyError as e:
        raise PolicyError(f"{where}: {e}") from None
    for cap in pol.caps:
        if cap.attribute != params.town.attribute:
            raise PolicyError(f"{where}: caps on '{cap.attribute}', but households have only "
                              f"'{params.town.attribute}'")
    if params.town.kind != "uk-town":  # the generated uk-town's groups are known only once built
        groups = set(default_shares(params.town)) | set(params.migration.mix)
        try:
            pol.validate_groups({params.town.attribute: groups})
        except PolicyError as e:
            raise PolicyError(f"{where}: {e.problem} (groups in the town: {', '.join(sorted(groups))})") from None


def _int(data: Mapping[str, Any], key: str, default: int, least: int) -> int:
    v = data.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(f"'{key}' must be a whole number, got {v!r}")
    if v < least:
        raise InputError(f"'{key}' must be ≥ {least}, got {v}")
    return v


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = {**out[k], **v}
        else:
            out[k] = copy.deepcopy(v)
    return out


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x
