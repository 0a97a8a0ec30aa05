"""Read policies from TOML files or shipped presets, and combine several into one."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from commonground.errors import PolicyError
from commonground.policy.caps import Cap, CapLimit, Policy


def preset_names() -> list[str]:
    """Names of the policies shipped with the package (``commonground/presets/*.toml``)."""
    folder = resources.files("commonground") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_policy(spec: str | Path) -> Policy:
    """A preset name, a TOML path, or several joined with commas (their caps apply together)."""
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
    raise PolicyError(f"unknown policy '{text}': not a preset ({', '.join(preset_names())}) or a .toml file")


def policy_from_toml(text: str, *, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"malformed TOML: {e}", source=source) from None
    return policy_from_dict(data, source=source)


def policy_from_dict(data: dict[str, Any], *, source: str = "policy") -> Policy:
    """Build a policy from the TOML structure documented in docs/policies.md."""
    known = {"name", "rule", "source", "caps", "priority_shares", "priority_order", "groups", "unknown"}
    extra = sorted(set(data) - known)
    if extra:
        raise PolicyError(f"unknown key '{extra[0]}' (expected: {', '.join(sorted(known))})", source=source)
    caps = []
    for i, c in enumerate(data.get("caps", []), start=1):
        where = f"{source} [[caps]] #{i}"
        if not isinstance(c, dict):
            raise PolicyError("each [[caps]] entry must be a table", source=where)
        for key in ("attribute", "level", "limits"):
            if key not in c:
                raise PolicyError(f"missing '{key}'", source=where)
        limits = []
        if not isinstance(c["limits"], dict) or not c["limits"]:
            raise PolicyError("'limits' must be a non-empty table of group = share", source=where)
        for label, v in c["limits"].items():
            if isinstance(v, dict):
                groups = v.get("groups", [label])
                share = v.get("share")
            else:
                groups, share = [label], v
            if not isinstance(share, int | float) or isinstance(share, bool):
                raise PolicyError(f"limit '{label}': share must be a number, got {share!r}", source=where)
            limits.append(CapLimit(str(label), frozenset(str(g) for g in groups), float(share)))
        try:
            caps.append(Cap(str(c["attribute"]), c["level"], tuple(limits)))
        except PolicyError as e:
            raise PolicyError(e.problem, source=where) from None
    try:
        return Policy(name=str(data.get("name", Path(source).stem)), caps=tuple(caps),
                      rule=data.get("rule", "strict"), source=str(data.get("source", source)),
                      priority_shares={str(k): float(v) for k, v in data.get("priority_shares", {}).items()},
                      priority_order=tuple(str(x) for x in data.get("priority_order", ())),
                      groups=_groups(data.get("groups", {}), source), unknown=_unknown(data.get("unknown", {}), source))
    except PolicyError as e:
        raise PolicyError(e.problem, source=source) from None


def _groups(raw: Any, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise PolicyError("'groups' must be a table of attribute = [group, ...]", source=source)
    return {str(k): tuple(str(x) for x in v) for k, v in raw.items()}


def _unknown(raw: Any, source: str) -> dict[str, str]:
    """``unknown = { attribute = "error" | "uncapped" }`` (values checked by the Policy)."""
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise PolicyError("'unknown' must be a table of attribute = \"error\" or \"uncapped\"", source=source)
    return {str(k): v for k, v in raw.items()}


def combine(policies: list[Policy]) -> Policy:
    """All caps of all policies together; rule and priority schemes must agree where given."""
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
    """Write a policy back as TOML (round-trips through :func:`policy_from_toml`)."""
    lines = [f"name = {_q(policy.name)}", f"rule = {_q(policy.rule)}", f"source = {_q(policy.source)}"]
    if policy.priority_order:
        lines.append("priority_order = [" + ", ".join(_q(x) for x in policy.priority_order) + "]")
    if policy.priority_shares:
        lines.append("priority_shares = { " + ", ".join(f"{_q(k)} = {v!r}" for k, v in
                                                         policy.priority_shares.items()) + " }")
    if policy.groups:
        lines.append("groups = { " + ", ".join(f"{_q(a)} = [" + ", ".join(_q(x) for x in g) + "]"
                                                for a, g in policy.groups.items()) + " }")
    if policy.unknown:
        lines.append("unknown = { " + ", ".join(f"{_q(a)} = {_q(v)}" for a, v in policy.unknown.items()) + " }")
    for cap in policy.caps:
        lines += ["", "[[caps]]", f"attribute = {_q(cap.attribute)}", f"level = {_q(cap.level)}", "[caps.limits]"]
        for lim in cap.limits:
            groups = ", ".join(_q(g) for g in sorted(lim.values))
            lines.append(f"{_q(lim.label)} = {{ share = {lim.share!r}, groups = [{groups}] }}")
    return "\n".join(lines) + "\n"


def _q(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'
