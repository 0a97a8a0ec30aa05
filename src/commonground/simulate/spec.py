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
from commonground.io.config import table_from_dict
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
    """What to run: every scenario under every policy, ``replicates`` times, from ``seed``.

    Parameters
    ----------
    name : str
        The simulation's name.
    model : str
        ``town`` or ``schelling``.
    years : int
        Years (steps) per run.
    replicates : int
        Runs per scenario and policy.
    seed : int
        Seed of every run's seed (:func:`commonground.simulate.sweep.task_seed`).
    scenarios : tuple of (str, params)
        Named parameters (:class:`TownParams` or :class:`SchellingParams`).
    policies : tuple of PolicySpec
        The policies.
    description : str, optional
        Free text.
    common_random_numbers : bool, optional
        Every policy of a scenario sees the same draws in a replicate.
    source : str, optional
        Where it was read from.
    raw : mapping, optional
        The parsed file, for the output's record.
    """

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
        """The same simulation with ``n`` replicates (``None``: unchanged).

        Parameters
        ----------
        n : int or None
            Replicates per scenario and policy.

        Returns
        -------
        Simulation
            A copy with ``replicates = n`` (or ``self``).

        Raises
        ------
        InputError
            ``n`` outside 1 to ``MAX_REPLICATES``.
        """
        if n is None:
            return self
        if not 1 <= n <= MAX_REPLICATES:
            raise InputError(f"replicates must be from 1 to {MAX_REPLICATES:,}, got {n}")
        return Simulation(**{**self.__dict__, "replicates": int(n)})

    def metadata(self) -> dict[str, Any]:
        """What was run, JSON-ready (``simulation.json``): header, every scenario's parameters and the policies."""
        return {"name": self.name, "description": self.description, "model": self.model, "years": self.years,
                "replicates": self.replicates, "seed": self.seed,
                "common_random_numbers": self.common_random_numbers, "source": self.source,
                "scenarios": {n: _plain(asdict(p)) for n, p in self.scenarios},
                "policies": [asdict(p) for p in self.policies]}


def load_simulation(path: str | Path) -> Simulation:
    """Read and check a simulation TOML file (layout in this module's docstring and docs/simulate.md).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    Simulation
        Scenarios x policies x replicates, every value checked before anything runs.

    Raises
    ------
    InputError
        A missing or malformed file, or a bad value: one line naming the file, the key and the problem.

    Examples
    --------
    The same checks on an already parsed file (:func:`simulation_from_dict`):

    >>> sim = simulation_from_dict({"name": "tiny", "years": 2, "town": {"neighbourhoods": 2},
    ...                             "scenarios": [{"name": "a"}]})
    >>> sim.name, sim.years, [name for name, _ in sim.scenarios], [p.kind for p in sim.policies]
    ('tiny', 2, ['a'], ['none'])
    >>> simulation_from_dict({"years": 0}, source="my.toml")
    Traceback (most recent call last):
    ...
    commonground.errors.InputError: my.toml: 'years' must be ≥ 1, got 0
    """
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
    """Build a :class:`Simulation` from a parsed simulation file (the TOML structure of docs/simulate.md).

    Parameters
    ----------
    data : Mapping
        The parsed TOML document.
    source : str, optional
        Name used in error messages (usually the file's path).

    Returns
    -------
    Simulation
        The simulation ``data`` describes, checked section by section.

    Raises
    ------
    PolicyError, InputError
        A bad policy or a bad section, naming ``source``.
    """
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


@dataclass(frozen=True)
class _Header:
    """The file's top-level values (the sections and the arrays of tables are read separately)."""

    name: str = ""
    description: str = ""
    model: str = "town"
    years: int = 10
    replicates: int = 10
    seed: int = 0
    common_random_numbers: bool = True
    measure_caps: str = ""


def _build(data: Mapping[str, Any], source: str) -> Simulation:
    extra = sorted(set(data) - TOP_KEYS)
    if extra:
        raise InputError(f"unknown key '{extra[0]}' (expected: {', '.join(sorted(TOP_KEYS))})")
    head = table_from_dict(_Header, {k: data[k] for k in _Header.__dataclass_fields__ if k in data}, where="")
    if head.model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}, got '{head.model}'")
    for key, least in (("years", 1), ("replicates", 1), ("seed", 0)):
        if getattr(head, key) < least:
            raise InputError(f"'{key}' must be ≥ {least}, got {getattr(head, key)}")
    if head.replicates > MAX_REPLICATES:
        raise InputError(f"'replicates' must be ≤ {MAX_REPLICATES:,}, got {head.replicates:,}")
    if head.model == "town" and "schelling" in data:
        raise InputError("[schelling] only applies with model = \"schelling\"")
    scenarios = _scenarios(data, head)
    policies = _policies(data, head, scenarios)
    return Simulation(name=head.name or Path(source).stem, model=head.model, years=head.years,
                      replicates=head.replicates, seed=head.seed, scenarios=tuple(scenarios),
                      policies=tuple(policies), description=head.description,
                      common_random_numbers=head.common_random_numbers, source=source, raw=copy.deepcopy(dict(data)))


def _entries(data: Mapping[str, Any], key: str, default: list[dict[str, str]], error: type[InputError]) -> list[Any]:
    """The ``[[key]]`` array of tables, each with a non-empty ``name``."""
    entries = data.get(key, default)
    if not isinstance(entries, list) or not entries:
        raise error(f"'{key}' must be a non-empty array of tables ([[{key}]])")
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, Mapping) or not isinstance(e.get("name"), str) or not e["name"].strip():
            raise error(f"[[{key}]] #{i} needs a non-empty 'name'")
    return entries


def _scenarios(data: Mapping[str, Any], head: _Header) -> list[tuple[str, Any]]:
    """Each ``[[scenarios]]`` entry over the base sections, built and checked."""
    sections = ("town", "migration", "launches", "behaviour", "market") if head.model == "town" else ("schelling",)
    base = {k: data[k] for k in sections if k in data}
    scenarios: list[tuple[str, Any]] = []
    for s in _entries(data, "scenarios", [{"name": "base"}], InputError):
        name = s["name"].strip()
        if any(name == n for n, _ in scenarios):
            raise InputError(f"scenario '{name}' is defined twice")
        unknown = sorted(set(s) - {"name", *sections, "years", "measure_caps"})
        if unknown:
            raise InputError(f"scenario '{name}': unknown key '{unknown[0]}' (expected: name, {', '.join(sections)})")
        merged = _merge(base, {k: s[k] for k in sections if k in s})
        where = f"scenario '{name}'"
        try:
            if head.model == "town":
                params: Any = _town_params(merged, s, data, head, where)
            else:
                params = table_from_dict(SchellingParams, merged.get("schelling", {}), where="schelling")
        except PolicyError:
            raise
        except InputError as e:
            raise InputError(f"{where}: {e.problem}") from None
        if head.model == "schelling":
            check_schelling_bounds(params, head.years)
        scenarios.append((name, params))
    return scenarios


def _town_params(merged: dict[str, Any], scenario: Mapping[str, Any], data: Mapping[str, Any], head: _Header,
                 where: str) -> TownParams:
    merged["years"] = scenario.get("years", head.years)
    if "measure_caps" in scenario or "measure_caps" in data:
        merged["measure_caps"] = scenario.get("measure_caps", data.get("measure_caps"))
    town = merged.get("town")
    if isinstance(town, Mapping) and isinstance(town.get("path"), str) and town["path"]:
        # Relative to the working directory at load time, made absolute so workers find it too.
        merged["town"] = {**town, "path": str(Path(town["path"]).expanduser().resolve())}
    params = params_from_dict(merged, where=where)
    if params.town.kind == "hdb" and not Path(params.town.path).is_file():
        raise InputError(f"no HDB property file at {params.town.path}")
    if params.town.kind == "census":  # the table and the authority, checked before anything runs
        from commonground.scenarios.census import check_town

        check_town(params.town.path, params.town.authority)
    if params.measure_caps:
        _check_caps(params.measure_caps, params, f"{where}: measure_caps")
    return params


def _policies(data: Mapping[str, Any], head: _Header, scenarios: list[tuple[str, Any]]) -> list[PolicySpec]:
    """Each ``[[policies]]`` entry; its caps are checked against every scenario's town."""
    policies: list[PolicySpec] = []
    for p in _entries(data, "policies", [{"name": "none", "kind": "none"}], PolicyError):
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
        if spec.caps and head.model == "town":
            for sname, params in scenarios:
                _check_caps(spec.caps, params, f"policy '{spec.name}' in scenario '{sname}'")
        policies.append(spec)
    if head.model == "schelling" and any(p.kind != "none" for p in policies):
        raise PolicyError("the Schelling preset has no caps: its only policy kind is 'none'")
    return policies


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
