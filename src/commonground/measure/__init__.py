"""Measuring integration: segregation, exposure and diversity indices over one prepared count table.

Build a :class:`Counts` once (units x groups, optional totals and region partition), then call any index;
each is computed for every region and group at once::

    from commonground.measure import Counts, dissimilarity, theil_h, measure
    c = Counts.from_frame(oa, groups=["WhiteBrit", "Indian", ...], total="Persons", by="LAD")
    dissimilarity(c)          # regions x groups
    theil_h(c)                # one value per region
    measure(c)                # every index in one table

Families (one call shape each): aspatial single-group (:mod:`.aspatial`), multigroup and diversity
(:mod:`.multigroup`), spatial (:mod:`.spatial`), local per-unit (:mod:`.local`), inference
(:mod:`.inference`), and allocation results (:mod:`.allocation`). Formulas, sources and conventions are in
each docstring and in ``docs/measure.md``.
"""

from commonground.measure.allocation import allocation_counts, measure_allocation
from commonground.measure.aspatial import (
    atkinson,
    correlation_ratio,
    dissimilarity,
    entropy,
    exposure,
    gini,
    isolation,
)
from commonground.measure.counts import Counts
from commonground.measure.inference import Bootstrap, NullDistribution, bootstrap, randomization_null
from commonground.measure.local import local_entropy, local_simpson, location_quotients, theil_h_contributions
from commonground.measure.multigroup import (
    divergence,
    entropy_diversity,
    multi_dissimilarity,
    multi_gini,
    normalized_exposure,
    relative_diversity,
    simpson_concentration,
    simpson_interaction,
    squared_cv,
    theil_h,
)
from commonground.measure.spatial import kernel_weights, smooth, spatial_dissimilarity, spatial_proximity
from commonground.measure.table import DEFAULT_INDICES, INDICES, SUMMARY_INDICES, measure, resolve

__all__ = [
    "DEFAULT_INDICES", "INDICES", "SUMMARY_INDICES", "Bootstrap", "Counts", "NullDistribution",
    "allocation_counts", "atkinson", "bootstrap", "correlation_ratio", "dissimilarity", "divergence", "entropy",
    "entropy_diversity", "exposure", "gini", "isolation", "kernel_weights", "local_entropy", "local_simpson",
    "location_quotients", "measure", "measure_allocation", "multi_dissimilarity", "multi_gini",
    "normalized_exposure", "randomization_null", "relative_diversity", "resolve", "simpson_concentration",
    "simpson_interaction", "smooth", "spatial_dissimilarity", "spatial_proximity", "squared_cv", "theil_h",
    "theil_h_contributions",
]
