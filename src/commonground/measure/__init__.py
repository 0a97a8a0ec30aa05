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
(:mod:`.inference`), and allocation results (:mod:`.allocation`); spatially explicit Massey & Denton indices
(:mod:`.explicit`), weighted-boundary indices and the proximity profile (:mod:`.boundary`), more evenness
indices (:mod:`.evenness`), scale profiles and distortion (:mod:`.profiles`), M decompositions and change
over time (:mod:`.mutual`), two-table comparison (:mod:`.compare`); polygons in via :mod:`.geo` (``[geo]``).
Formulas, sources and conventions are in
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
from commonground.measure.boundary import boundary_dissimilarity, par_dissimilarity, spatial_proximity_profile
from commonground.measure.compare import TwoSample, decompose_difference, one_region, two_sample_test
from commonground.measure.counts import Counts
from commonground.measure.evenness import concentration_profile, density_corrected_dissimilarity, minmax
from commonground.measure.explicit import (
    absolute_centralization,
    absolute_clustering,
    absolute_concentration,
    delta,
    relative_centralization,
    relative_clustering,
    relative_concentration,
)
from commonground.measure.inference import Bootstrap, NullDistribution, bootstrap, randomization_null
from commonground.measure.local import local_entropy, local_simpson, location_quotients, theil_h_contributions
from commonground.measure.multigroup import (
    divergence,
    entropy_diversity,
    multi_dissimilarity,
    multi_gini,
    mutual_information,
    normalized_exposure,
    relative_diversity,
    simpson_concentration,
    simpson_interaction,
    squared_cv,
    theil_h,
)
from commonground.measure.mutual import mutual_difference, mutual_hierarchy, mutual_within
from commonground.measure.profiles import (
    global_distortion,
    local_distortion,
    local_relative_centralization,
    multiscalar_profile,
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
    # issue 14: spatially explicit, boundary, evenness, profiles, M decompositions, comparison
    "TwoSample", "absolute_centralization", "absolute_clustering", "absolute_concentration",
    "boundary_dissimilarity", "concentration_profile", "decompose_difference", "delta",
    "density_corrected_dissimilarity", "global_distortion", "local_distortion", "local_relative_centralization",
    "minmax", "multiscalar_profile", "mutual_difference", "mutual_hierarchy", "mutual_information",
    "mutual_within", "one_region", "par_dissimilarity", "relative_centralization", "relative_clustering",
    "relative_concentration", "spatial_proximity_profile", "two_sample_test",
]
