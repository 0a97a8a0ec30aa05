"""Read policies from TOML files or shipped presets, and combine several into one."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from commonground.errors import PolicyError
from commonground.policy.caps import Cap, CapLimit, Policy
from commonground.policy.schema import parse_policy_file


def preset_names() -> list[str]:
    """Names of the policies shipped with the package (``commonground/presets/*.toml``).

    Returns
    -------
    list of str
        Sorted preset names, each accepted by :func:`load_policy`.

    Examples
    --------
    >>> "sg-eip-2010" in preset_names()
    True
    """
    folder = resources.files("commonground") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_policy(spec: str | Path) -> Policy:
    """A policy from a preset name, a TOML path, or several joined with commas (their caps apply together).

    Parameters
    ----------
    spec
        ``sg-eip-2010``, ``sg-eip-2010,sg-spr``, or a path to a policy TOML file (docs/policies.md).

    Returns
    -------
    Policy
        The caps, rounding rule, source and priority scheme.

    Raises
    ------
    PolicyError
        An unknown preset, a missing file, or a file that is not a valid policy (one line naming the problem).

    Examples
    --------
    >>> pol = load_policy("sg-eip-2010")
    >>> [(c.level, [(lim.label, lim.share) for lim in c.limits]) for c in pol.caps][0]
    ('block', [('Chinese', 0.87), ('Malay', 0.25), ('Indian/Others', 0.15)])
    """
    text = str(spec)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise PolicyError("empty policy name")
    if len(parts) > 1:
        return combine([load_policy(p) for p in parts])
    path = Path(text)
    if text in preset_names():
        raw = (resources.files("commonground") / "presets" / f"{text}.toml").read_text(encoding="utf-8")
        return policy_from_toml(raw, source=f"preset {text}")
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise PolicyError(f"no such policy file (presets: {', '.join(preset_names())})", source=str(path))
        return policy_from_toml(path.read_text(encoding="utf-8"), source=str(path))
    from commonground.policy.checks import closest_hint

    hint = closest_hint(text, preset_names())
    raise PolicyError(f"unknown policy '{text}'{hint}: not a preset ({', '.join(preset_names())}) or a .toml file")


def policy_from_toml(text: str, *, source: str = "policy") -> Policy:
    """Parse a policy from TOML text (the format of docs/policies.md).

    Parameters
    ----------
    text : str
        The TOML document.
    source : str, optional
        Name used in error messages (usually the file's path).

    Returns
    -------
    Policy
        The checked policy.

    Raises
    ------
    PolicyError
        Malformed TOML, or a structure or meaning :func:`policy_from_dict` rejects.

    Examples
    --------
    >>> policy_from_toml('name = "none"').name
    'none'
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"malformed TOML: {e}", source=source) from None
    return policy_from_dict(data, source=source)


def policy_from_dict(data: dict[str, Any], *, source: str = "policy") -> Policy:
    """Build a policy from the TOML structure documented in docs/policies.md.

    The structure is checked by :func:`~commonground.policy.schema.parse_policy_file` (Pydantic), the meaning
    by :class:`~commonground.policy.caps.Cap` and :class:`~commonground.policy.caps.Policy`; either way the
    error is one line naming the file, the entry and the problem.
    """
    model = parse_policy_file(data, source=source)
    caps = []
    for i, c in enumerate(model.caps, start=1):
        where = f"{source} [[caps]] #{i}"
        try:
            limits = tuple(CapLimit(label, frozenset(lim.groups if lim.groups is not None else [label]),
                                    float(lim.share)) for label, lim in c.limits.items())
            caps.append(Cap(c.attribute, c.level, limits))  # type: ignore[arg-type]  # Cap checks the level
        except PolicyError as e:
            raise PolicyError(e.problem, source=where) from None
    try:
        return Policy(name=model.name if model.name is not None else Path(source).stem, caps=tuple(caps),
                      rule=model.rule, source=model.source if model.source is not None else source,  # type: ignore[arg-type]
                      priority_shares={k: float(v) for k, v in model.priority_shares.items()},
                      priority_order=tuple(model.priority_order),
                      groups={k: tuple(v) for k, v in model.groups.items()}, unknown=dict(model.unknown))
    except PolicyError as e:
        raise PolicyError(e.problem, source=source) from None


def combine(policies: list[Policy]) -> Policy:
    """All caps of all policies together; rule and priority schemes must agree where given.

    Parameters
    ----------
    policies : list of Policy
        The policies to apply together.

    Returns
    -------
    Policy
        Named by the policies' names joined with commas.

    Raises
    ------
    PolicyError
        Different rounding rules, priority shares or orders, declared groups or ``unknown`` options.

    Examples
    --------
    >>> combine([load_policy("sg-eip-2010"), load_policy("sg-spr")]).name
    'sg-eip-2010,sg-spr'
    """
    rules = {p.rule for p in policies if p.caps}
    if len(rules) > 1:
        raise PolicyError("cannot combine policies with different rounding rules")
    shares: dict[str, float] = {}
    order: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = {}
    unknown: dict[str, str] = {}
    for p in policies:
        for a, how in p.unknown.items():
            if unknown.get(a, how) != how:
                raise PolicyError(f"cannot combine policies that treat unknown values of '{a}' differently")
            unknown[a] = how
        for a, g in p.groups.items():
            groups[a] = tuple(dict.fromkeys([*groups.get(a, ()), *g]))
        shares.update(p.priority_shares)
        order = order or p.priority_order
    return Policy(name=",".join(p.name for p in policies), caps=tuple(c for p in policies for c in p.caps),
                  rule=rules.pop() if rules else "strict", source="; ".join(p.source for p in policies if p.source),
                  priority_shares=shares, priority_order=order, groups=groups, unknown=unknown)


def policy_to_toml(policy: Policy) -> str:
    """Write a policy as TOML (tomli-w); :func:`policy_from_toml` reads it back to an equal policy, whatever
    characters its names hold (newlines, quotes, non-ASCII).

    Parameters
    ----------
    policy : Policy
        The policy.

    Returns
    -------
    str
        The TOML document (docs/policies.md).

    Examples
    --------
    >>> from commonground.policy.caps import Cap
    >>> pol = Policy(name='two\\nlines "quoted"', caps=(Cap.of("ethnicity", "block", {"Malay": 0.25}),))
    >>> policy_from_toml(policy_to_toml(pol)) == pol
    True
    """
    doc: dict[str, Any] = {"name": policy.name, "rule": policy.rule, "source": policy.source}
    if policy.priority_order:
        doc["priority_order"] = list(policy.priority_order)
    if policy.priority_shares:
        doc["priority_shares"] = dict(policy.priority_shares)
    if policy.groups:
        doc["groups"] = {a: list(g) for a, g in policy.groups.items()}
    if policy.unknown:
        doc["unknown"] = dict(policy.unknown)
    if policy.caps:
        doc["caps"] = [{"attribute": cap.attribute, "level": cap.level,
                        "limits": {lim.label: {"share": lim.share, "groups": sorted(lim.values)}
                                   for lim in cap.limits}} for cap in policy.caps]
    return tomli_w.dumps(doc)
