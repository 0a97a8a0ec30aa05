"""Simulation files are checked by Pydantic (commonground/io/config.py) with the messages the hand-written
validator gave: each expected line below was recorded from main before the change, except the two marked new
(infinity used to be accepted; ``common_random_numbers`` now also says what it got)."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from commonground.errors import InputError
from commonground.simulate import simulation_from_dict
from commonground.simulate.params import Town

BASE = """
name = "tiny"
years = 2
replicates = 2
[town]
neighbourhoods = 2
blocks_per_neighbourhood = 3
homes_per_block = 20
[[scenarios]]
name = "a"
[[policies]]
name = "none"
"""

CASES = [
    ({"town": {"colour": "red"}}, "x.toml: scenario 'a': [town] unknown key 'colour' (expected: "
     + ", ".join(f.name for f in dataclasses.fields(Town)) + ")"),
    ({"town": 3}, "x.toml: scenario 'a': [town] must be a table"),
    ({"town": {"neighbourhoods": True}}, "x.toml: scenario 'a': 'town.neighbourhoods' must be a whole number, "
                                        "got True"),
    ({"town": {"neighbourhoods": 2.0}}, "x.toml: scenario 'a': 'town.neighbourhoods' must be a whole number, "
                                        "got 2.0"),
    ({"town": {"household_size": "x"}}, "x.toml: scenario 'a': 'town.household_size' must be a number, got 'x'"),
    ({"town": {"household_size": float("nan")}}, "x.toml: scenario 'a': 'town.household_size' must be a number, "
                                                 "got nan"),
    ({"town": {"household_size": float("inf")}},  # new: infinity was accepted
     "x.toml: scenario 'a': 'town.household_size' must be a finite number, got inf"),
    ({"town": {"kind": 3}}, "x.toml: scenario 'a': 'town.kind' must be a string, got 3"),
    ({"town": {"shares": 3}}, "x.toml: scenario 'a': 'town.shares' must be a table of group = share"),
    ({"town": {"shares": {"a": True}}}, "x.toml: scenario 'a': 'town.shares.a' must be a number, got True"),
    ({"behaviour": {"tolerance": "x"}}, "x.toml: scenario 'a': 'behaviour.tolerance' must be a number, got 'x'"),
    ({"behaviour": {"tolerance": {"A": "x"}}}, "x.toml: scenario 'a': 'behaviour.tolerance.A' must be a number, "
                                               "got 'x'"),
    ({"years": "ten"}, "x.toml: 'years' must be a whole number, got 'ten'"),
    ({"years": 0}, "x.toml: 'years' must be ≥ 1, got 0"),
    ({"seed": -1}, "x.toml: 'seed' must be ≥ 0, got -1"),
    ({"common_random_numbers": "yes"},  # new: says what it got
     "x.toml: 'common_random_numbers' must be true or false, got 'yes'"),
    ({"model": "agent"}, "x.toml: model must be one of town, schelling, got 'agent'"),
    ({"scenarios": [{}]}, "x.toml: [[scenarios]] #1 needs a non-empty 'name'"),
    ({"scenarios": [{"name": "a", "years": "x"}]}, "x.toml: scenario 'a': 'years' must be a whole number, got 'x'"),
    ({"scenarios": 3}, "x.toml: 'scenarios' must be a non-empty array of tables ([[scenarios]])"),
    ({"policies": []}, "x.toml: 'policies' must be a non-empty array of tables ([[policies]])"),
    ({"policies": [{"name": "p"}, {"name": "p"}]}, "x.toml: policy 'p' is defined twice"),
    ({"schelling": {}}, 'x.toml: [schelling] only applies with model = "schelling"'),
]


@pytest.mark.parametrize(("change", "message"), CASES)
def test_message(change: dict, message: str) -> None:
    with pytest.raises(InputError) as e:
        simulation_from_dict({**tomllib.loads(BASE), **change}, source="x.toml")
    assert str(e.value) == message


def test_schelling_section_is_typed() -> None:
    """[schelling] used to be passed to the dataclass as keyword arguments, with no type check."""
    data = {"model": "schelling", "years": 3, "schelling": {"width": "wide"}}
    with pytest.raises(InputError, match=r"'schelling.width' must be a whole number, got 'wide'"):
        simulation_from_dict(data, source="s.toml")
