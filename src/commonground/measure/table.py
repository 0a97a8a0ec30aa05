"""The index registry and :func:`measure`: many indices, all regions, one table.

Names are what results and the CLI use. Single-group indices give one column per group, named
``index[group]``; multigroup indices give one column, named ``index``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.measure import aspatial, evenness, multigroup
from commonground.measure.counts import Counts, require_counts


@dataclass(frozen=True)
class IndexSpec:
    """One index: its function, family and whether it is 0 under evenness (for bias adjustment)."""

    name: str
    func: Callable[[Counts], pd.DataFrame | pd.Series]
    family: str  # "single" (regions x groups) or "multi" (one value per region)
    zero_when_even: bool
    description: str
    symbol: str  # short header for printed tables


# A declarative registry, one row per index: the rows share their shape on purpose.
INDICES: dict[str, IndexSpec] = {s.name: s for s in [
    IndexSpec("dissimilarity", aspatial.dissimilarity, "single", True, "dissimilarity D", "D"),
    IndexSpec("gini", aspatial.gini, "single", True, "Gini", "G"),
    IndexSpec("isolation", aspatial.isolation, "single", False, "isolation xPx", "xPx"),
    IndexSpec("exposure", aspatial.exposure, "single", False, "exposure (interaction) xPy", "xPy"),
    IndexSpec("entropy", aspatial.entropy, "single", True, "entropy H (two-group)", "H2"),
    IndexSpec("atkinson", aspatial.atkinson, "single", True, "Atkinson A(0.5)", "A"),
    IndexSpec("correlation_ratio", aspatial.correlation_ratio, "single", True, "correlation ratio V", "V"),
    IndexSpec("minmax", evenness.minmax, "single", True, "MinMax", "MM"),
    IndexSpec("density_corrected_dissimilarity", evenness.density_corrected_dissimilarity, "single", True,
              "density-corrected D", "Ddc"),
    IndexSpec("concentration_profile", evenness.concentration_profile, "single", False, "concentration profile R",
              "CP"),
    IndexSpec("mutual_information", multigroup.mutual_information, "multi", False, "mutual information M (nats)",
              "M"),
    IndexSpec("multi_dissimilarity", multigroup.multi_dissimilarity, "multi", True, "multigroup D", "Dm"),
    IndexSpec("theil_h", multigroup.theil_h, "multi", True, "Theil's information index H", "H"),
    IndexSpec("multi_gini", multigroup.multi_gini, "multi", True, "multigroup Gini", "Gm"),
    IndexSpec("normalized_exposure", multigroup.normalized_exposure, "multi", True, "normalised exposure P", "P"),
    IndexSpec("squared_cv", multigroup.squared_cv, "multi", True, "squared coefficient of variation C", "C"),
    IndexSpec("relative_diversity", multigroup.relative_diversity, "multi", True, "relative diversity R", "R"),
    IndexSpec("divergence", multigroup.divergence, "multi", True, "divergence (KL, nats)", "Div"),
    IndexSpec("entropy_diversity", multigroup.entropy_diversity, "multi", False, "diversity: entropy E", "E"),
    IndexSpec("simpson_interaction", multigroup.simpson_interaction, "multi", False, "diversity: Simpson I", "I"),
    IndexSpec("simpson_concentration", multigroup.simpson_concentration, "multi", False,
              "Simpson concentration", "λ"),
]}

ALIASES = {"d": "dissimilarity", "dissim": "dissimilarity", "xpx": "isolation", "interaction": "exposure",
           "xpy": "exposure", "v": "correlation_ratio", "eta2": "correlation_ratio", "multi_d": "multi_dissimilarity",
           "h": "theil_h", "information": "theil_h", "theil": "theil_h", "p": "normalized_exposure",
           "c": "squared_cv", "scv": "squared_cv", "m": "mutual_information", "mutual": "mutual_information",
           "ddc": "density_corrected_dissimilarity", "conprof": "concentration_profile",
           "diversity": "entropy_diversity", "simpson": "simpson_interaction"}

#: What ``measure`` computes when no indices are named: every single-group and multigroup index.
DEFAULT_INDICES: tuple[str, ...] = tuple(INDICES)
#: The multigroup summary (one number per region) the CLI prints by default.
SUMMARY_INDICES: tuple[str, ...] = ("multi_dissimilarity", "theil_h", "multi_gini", "normalized_exposure",
                                    "squared_cv", "entropy_diversity", "simpson_interaction")


def resolve(name: str) -> IndexSpec:
    """The index called ``name`` (or an alias such as ``D`` or ``H``); unknown names raise InputError.

    Parameters
    ----------
    name : str
        An index name or alias; case, hyphens and spaces do not matter.

    Returns
    -------
    IndexSpec
        The index's function, family (single-group or multigroup) and labels.

    Raises
    ------
    InputError
        Unknown name; the message lists the known ones.

    Examples
    --------
    >>> resolve("D").name, resolve("Theil H").name
    ('dissimilarity', 'theil_h')
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key not in INDICES:
        raise InputError(f"unknown index '{name}' (have: {', '.join(INDICES)})")
    return INDICES[key]


def measure(counts: Counts, indices: Sequence[str] | str | None = None, *, tidy: bool = False) -> pd.DataFrame:
    """Compute ``indices`` (default: all of :data:`INDICES`) for every region of ``counts``.

    Parameters
    ----------
    counts
        Units x groups counts, optionally split into regions (:class:`Counts`).
    indices
        Index names or symbols (``dissimilarity``, ``D``, ``theil_h``, ...), one name, or None for all.
    tidy
        One row per (region, index, group) instead of one row per region.

    Returns
    -------
    pandas.DataFrame
        One row per region with columns ``index`` (multigroup) and ``index[group]`` (single-group), or, with
        ``tidy=True``, columns ``region, index, group, value`` (``group`` empty for multigroup indices).

    Examples
    --------
    Two units, 8 + 2 and 2 + 8 people: the dissimilarity index is (|0.8 - 0.2| + |0.2 - 0.8|) / 2 = 0.6.

    >>> measure(c, ["dissimilarity", "theil_h"]).round(3).iloc[0].to_dict()
    {'theil_h': 0.278, 'dissimilarity[x]': 0.6, 'dissimilarity[y]': 0.6}
    """
    require_counts(counts)
    names = [indices] if isinstance(indices, str) else list(indices) if indices is not None else None
    if names is None:
        specs = [s for s in INDICES.values() if s.family == "single" or counts.n_groups >= 2]
    else:
        specs = list(dict.fromkeys(resolve(n) for n in names))
    cols: dict[str, np.ndarray] = {}
    long: list[pd.DataFrame] = []
    for spec in sorted(specs, key=lambda s: s.family != "multi"):  # multigroup summary first
        res = spec.func(counts)
        if spec.family == "multi":
            cols[spec.name] = res.to_numpy()
            if tidy:
                long.append(pd.DataFrame({"region": res.index, "index": spec.name, "group": "",
                                          "value": res.to_numpy()}))
            continue
        values = res.to_numpy()
        for j, g in enumerate(counts.groups):
            cols[f"{spec.name}[{g}]"] = values[:, j]
        if tidy:
            n_r, n_g = values.shape
            long.append(pd.DataFrame({"region": np.repeat(res.index.to_numpy(), n_g), "index": spec.name,
                                      "group": np.tile(np.asarray(counts.groups, dtype=object), n_r),
                                      "value": values.reshape(-1)}))
    if tidy:
        out = pd.concat(long, ignore_index=True) if long else pd.DataFrame(columns=["region", "index", "group",
                                                                                    "value"])
        return out.rename(columns={"region": counts.regions.name or "region"})
    return pd.DataFrame(cols, index=counts.regions.copy())
