"""When an ethnicity cap is unlawful to allocate by, and the sentence every output shows beside it (one rule).

HDB-style ethnic caps are modelled for analysis, but in Great Britain allocating homes by them would be direct
discrimination because of race (Equality Act 2010 s.13; "race" includes colour, nationality and ethnic or
national origins, s.9). Every CLI summary, report and web page that shows such a cap on a GB run states it with
:data:`UNLAWFUL`, and decides *whether* to through this module only:

* a run is **GB** when one of its policies is a ``uk-`` policy (a preset such as ``uk-balanced-example``, or
  any part of a comma-joined policy name), its scenario is a ``uk-`` scenario (``uk-town``, ``uk-borough``), or
  its simulated town is a GB kind (:data:`GB_TOWN_KINDS`: a census authority or the generated English town);
* an attribute **counts as ethnicity** when its name has a word of :data:`ETHNICITY_WORDS` (``ethnicity``,
  ``ethnic_group``, ``race``, ``nationality``, ``national_origin``, ``colour`` …).

A run on files with a policy that is not named ``uk-…`` cannot be told apart from a Singapore run, so it gets
no caveat: name a GB policy ``uk-…`` to have it shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commonground.policy.caps import Policy

UNLAWFUL = ("Ethnicity caps are shown for analysis only: using them to allocate homes in Great Britain would be "
            "unlawful direct discrimination (Equality Act 2010 s.13) — refusing a home because of the applicant's "
            "race or ethnic origin cannot be justified, and s.158 positive action does not permit quotas.")
#: Simulation town kinds that are places in Great Britain.
GB_TOWN_KINDS = ("census", "english", "uk-town")
#: Policy and scenario names that mark a GB run start with this.
GB_PREFIX = "uk-"
#: Words of an attribute name that make it a race attribute (Equality Act 2010 s.9).
ETHNICITY_WORDS = frozenset({"ethnicity", "ethnic", "ethnicities", "race", "racial", "colour", "color",
                             "nationality", "nationalities"})


def is_ethnicity(attribute: object) -> bool:
    """Whether a household attribute's name says it is ethnicity/race (``ethnic_group``, ``Race`` …)."""
    words = [w for w in re.split(r"[^a-z]+", str(attribute).lower()) if w]
    return any(w in ETHNICITY_WORDS for w in words) or "national origin" in " ".join(words)


def is_gb(*, policy_names: Iterable[object] = (), scenario: object = None, town_kinds: Iterable[object] = ()) -> bool:
    """Whether a run is in Great Britain: a ``uk-`` policy (any comma-joined part), ``uk-`` scenario or GB town."""
    parts = [p.strip().lower() for n in policy_names if n for p in str(n).split(",")]
    return (any(p.startswith(GB_PREFIX) for p in parts)
            or (scenario is not None and str(scenario).strip().lower().startswith(GB_PREFIX))
            or any(k in GB_TOWN_KINDS for k in town_kinds))


def caveat(cap_attributes: Iterable[object], *, policy_names: Iterable[object] = (), scenario: object = None,
           town_kinds: Iterable[object] = ()) -> str | None:
    """:data:`UNLAWFUL` when an ethnicity attribute is capped on a GB run, else None."""
    if not any(is_ethnicity(a) for a in cap_attributes):
        return None
    gb = is_gb(policy_names=policy_names, scenario=scenario, town_kinds=town_kinds)
    return UNLAWFUL if gb else None


def policy_caveat(policy: Policy, *, scenario: object = None) -> str | None:
    """:func:`caveat` for a loaded policy (its caps' attributes and its name), optionally run on ``scenario``."""
    return caveat((c.attribute for c in policy.caps), policy_names=[policy.name], scenario=scenario)


def named_policy_caveat(name: object, *, scenario: object = None) -> str | None:
    """:func:`caveat` for an output that recorded only its policy's *name* (e.g. price_of_diversity.json): the
    caps are read back from the presets it names; a name that is no longer loadable (a TOML file moved) on a
    GB run gets the sentence, to be safe."""
    from commonground.errors import CommongroundError
    from commonground.policy.toml import load_policy

    if not name or not is_gb(policy_names=[name], scenario=scenario):
        return None
    try:
        policy = load_policy(str(name))
    except (CommongroundError, OSError):
        return UNLAWFUL
    return caveat((c.attribute for c in policy.caps), policy_names=[name], scenario=scenario)
