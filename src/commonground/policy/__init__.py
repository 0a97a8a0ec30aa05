"""Integration rules: caps per group per block or neighbourhood, presets, TOML policies."""

from commonground.policy.caps import LEVELS, Cap, CapLimit, Policy, max_count
from commonground.policy.state import CapState
from commonground.policy.toml import combine, load_policy, policy_from_toml, policy_to_toml, preset_names

NO_CAPS = Policy(name="none", source="no caps")

__all__ = ["LEVELS", "NO_CAPS", "Cap", "CapLimit", "CapState", "Policy", "combine", "load_policy", "max_count",
           "policy_from_toml", "policy_to_toml", "preset_names"]
