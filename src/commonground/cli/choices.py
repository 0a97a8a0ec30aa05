"""Names the command options offer, kept here so registering a command imports no mechanism or scenario.

tests/core/test_cli_fast.py checks them against the registries they name (``MECHANISMS``, ``SCENARIOS``,
``household_schema.MAX_GROUPS``).
"""

MECHANISM_NAMES = ("ballot", "ballot-unconstrained", "cbl", "optimal", "optimal-unconstrained", "da-ceilings",
                   "da-soft-bounds", "da-reserves", "priority-optimal")
SCENARIO_NAMES = ("sg-bto", "uk-town")
MAX_GROUPS = 50
MEASURE_NULLS = ("permutation", "multinomial", "systematic", "systematic_permutation")
MEASURE_TEST_NULLS = ("random_label", "person_permutation", "composition", "dual_composition", "share")
