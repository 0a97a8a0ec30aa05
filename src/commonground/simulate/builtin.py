"""Built-in simulations, by name (``commonground simulate uk-migration --out DIR``).

``uk-migration`` — a generated English town of 19,200 homes shaped like Bradford (2011 Census shares; 24
neighbourhoods ranging from mostly White to an Asian majority) over ten years, with UK net migration "in the
tens of thousands" (50,000 a year: the target of 2010–2019) against "in the hundreds of thousands" (300,000 a
year: about the ONS estimate for 2015–2019), each under no caps and under the illustrative EIP-style block caps
``uk-balanced-example`` on lettings and resales.

Scaling: UK net migration × the town's share of the UK population (its households × 2.4 persons, the 2011
Census average, over 63,182,000 UK residents, ONS 2011 Census) / 2.4 persons a household — about 15 arriving
households a year at 50,000 and 88 at 300,000. The arrivals' group mix (45 % White, 35 % Asian, 12 % Black,
4 % Mixed, 4 % Other) is an illustrative assumption, not an official figure: set ``migration.mix``.
Behaviour is illustrative too (logit moves and bids; White households want ≥ 50 % own-group around them,
Asian ≥ 20 %, smaller groups are indifferent). ``examples/simulate/uk-migration.toml`` is the same as a file.
"""

from __future__ import annotations

from typing import Any

from commonground.errors import InputError
from commonground.simulate.spec import Simulation, simulation_from_dict

UK_MIGRATION: dict[str, Any] = {
    "name": "uk-migration",
    "description": "English town (Bradford-like): net migration in the tens vs hundreds of thousands, "
                   "no caps vs caps",
    "model": "town",
    "years": 10,
    "replicates": 20,
    "seed": 2024,
    "measure_caps": "uk-balanced-example",
    "town": {"kind": "english", "neighbourhoods": 24, "blocks_per_neighbourhood": 10, "homes_per_block": 80,
             "household_size": 2.4, "national_population": 63_182_000.0},
    "migration": {"formation_rate": 0.02, "departure_rate": 0.02,
                  "mix": {"White": 0.45, "Asian": 0.35, "Black": 0.12, "Mixed": 0.04, "Other": 0.04}},
    "launches": {"homes_per_year": 60, "block_size": 30, "mechanism": "cbl", "applicants_per_home": 3.0},
    "behaviour": {"model": "logit", "tolerance": {"White": 0.5, "Asian": 0.2, "Black": 0.0, "Mixed": 0.0,
                                                  "Other": 0.0},
                  "block_weight": 0.5, "base_move_rate": 0.04, "unhappy_move_rate": 0.10, "beta": 8.0,
                  "alpha_buy": 0.0, "price_weight": 4.0},
    "market": {"viewings_per_month": 4, "discount_per_month": 0.01, "max_discount": 0.15, "max_search_years": 3},
    "scenarios": [{"name": "tens-of-thousands", "migration": {"net_per_year": 50_000.0}},
                  {"name": "hundreds-of-thousands", "migration": {"net_per_year": 300_000.0}}],
    "policies": [{"name": "no caps", "kind": "none"},
                 {"name": "caps", "kind": "caps-resale", "caps": "uk-balanced-example"}],
}

BUILTIN: dict[str, dict[str, Any]] = {"uk-migration": UK_MIGRATION}


def builtin_simulation(name: str) -> Simulation:
    try:
        data = BUILTIN[name]
    except KeyError:
        raise InputError(f"unknown built-in simulation '{name}' (choose from: {', '.join(BUILTIN)}, "
                         "or give a .toml file)") from None
    return simulation_from_dict(data, source=f"built-in {name}")
