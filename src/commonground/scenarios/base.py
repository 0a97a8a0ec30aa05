"""What a built-in scenario is: a problem, the policy it is meant to be run under, and where its numbers come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from commonground.model.preferences import BlockUtilities
from commonground.model.problem import Problem
from commonground.policy.caps import Policy
from commonground.policy.toml import policy_to_toml


@dataclass(frozen=True, eq=False)
class Scenario:
    name: str
    description: str
    problem: Problem
    policy: Policy
    sources: tuple[str, ...] = ()
    mechanism: str = "ballot"

    def write_inputs(self, folder: str | Path) -> Path:
        """Write flats.csv, households.csv, preferences.csv and policy.toml: the scenario as files the CLI reads."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        dev, hh = self.problem.development, self.problem.households
        dev.to_frame().to_csv(out / "flats.csv", index=False)
        hh.to_frame().to_csv(out / "households.csv", index=False)
        preferences_frame(self.problem).to_csv(out / "preferences.csv", index=False)
        (out / "policy.toml").write_text(policy_to_toml(self.policy), encoding="utf-8")
        return out


def preferences_frame(problem: Problem) -> pd.DataFrame:
    """Long preferences table (household_id, block_id, flat_type, utility) that resolves back to the same utilities."""
    u = problem.utilities
    dev, hh = problem.development, problem.households
    if not isinstance(u, BlockUtilities):
        h = np.repeat(np.arange(hh.n), np.diff(u.indptr))
        return pd.DataFrame({"household_id": hh.ids[h], "flat_id": dev.flat_ids[u.flat],
                             "utility": u.value - dev.flat_value[u.flat]})
    frames = []
    hb, bb = np.nonzero(np.isfinite(u.block))
    frames.append(pd.DataFrame({"household_id": hh.ids[hb], "block_id": dev.block_ids[bb], "flat_type": "",
                                "utility": u.block[hb, bb]}))
    restricted = ~np.isfinite(u.flat_type).all(axis=1) | (u.flat_type != 0).any(axis=1)
    ht, tt = np.nonzero(np.isfinite(u.flat_type) & restricted[:, None])
    frames.append(pd.DataFrame({"household_id": hh.ids[ht], "block_id": "",
                                "flat_type": np.asarray(dev.flat_type_names, dtype=object)[tt],
                                "utility": u.flat_type[ht, tt]}))
    return pd.concat(frames, ignore_index=True)
