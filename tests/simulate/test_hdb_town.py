"""Real HDB towns from data.gov.sg's property file (../shared/data; skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commonground.simulate.model import TownModel
from commonground.simulate.params import Launches, Migration, PolicySpec, Town, TownParams
from commonground.simulate.town import build_layout

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sg_hdb_property_information.csv"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data/sg_hdb_property_information.csv absent")


def test_layout_matches_the_published_blocks():
    lay = build_layout(Town(kind="hdb", path=str(DATA), hdb_town="BH", household_size=3.1))
    df = pd.read_csv(DATA)
    bishan = df[(df["bldg_contract_town"] == "BH") & (df["residential"] == "Y") & (df["total_dwelling_units"] > 0)]
    assert len(lay.block_ids) == len(bishan)
    assert lay.n_homes == int(bishan["total_dwelling_units"].sum())
    assert lay.groups == ("Chinese", "Malay", "Indian", "Others")
    assert all(str(n).startswith("BH N") for n in lay.nbhd_ids)


def test_hdb_town_under_eip_with_buyback_keeps_the_caps():
    p = TownParams(years=3, town=Town(kind="hdb", path=str(DATA), hdb_town="BH", household_size=3.1,
                                      national_population=4_044_200.0),
                   migration=Migration(net_per_year=40_000.0), launches=Launches(homes_per_year=300, block_size=150))
    m = TownModel(p, PolicySpec("eip", "caps-buyback", "sg-eip-2010"), 2020)
    for _ in range(3):
        before = m.state.caps.count.copy()
        out = m.step()
        c = m.state.caps
        assert (c.count <= np.maximum(c.maximum, before)).all()
        m.check_caps()
    assert out["launch.allocated"] > 0
    assert "block.theil_h" in out and 0 <= out["block.theil_h"] < 1
