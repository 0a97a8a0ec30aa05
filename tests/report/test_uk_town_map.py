"""Issue 12 maps: composition.csv carries block lat/lng (a neighbourhood's = the mean of its blocks'), the
uk-town scenario has generated block positions in Bradford's extent, and its demo report draws the map."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from commonground.allocate import allocate
from commonground.io import schema
from commonground.io.tables import read_table
from commonground.policy import load_policy
from commonground.report import render_report
from commonground.report.data import AllocationData
from commonground.scenarios import get_scenario

from .conftest import tiny_inputs


def test_composition_has_block_and_neighbourhood_coordinates(tmp_path):
    problem = tiny_inputs(tmp_path / "in")  # B1 at (1.35, 103.94), B2 at (1.352, 103.943), both in N1
    result = allocate(problem, load_policy("sg-eip-2010"), "ballot", seed=1)
    result.write(tmp_path / "run")
    comp = read_table(tmp_path / "run" / schema.COMPOSITION_TABLE.csv, table=schema.COMPOSITION_TABLE)
    assert list(comp.columns[-2:]) == ["lat", "lng"] and comp["lat"].dtype == float
    at = comp.groupby(["level", "unit_id"])[["lat", "lng"]].first()
    assert at.loc[("block", "B1")].tolist() == pytest.approx([1.35, 103.94])
    assert at.loc[("block", "B2")].tolist() == pytest.approx([1.352, 103.943])
    # Hand-worked: N1 = mean of its two blocks = (1.351, 103.9415).
    assert at.loc[("neighbourhood", "N1")].tolist() == pytest.approx([1.351, 103.9415])


def test_neighbourhood_is_mean_of_its_blocks_on_uk_town():
    sc = get_scenario("uk-town")
    comp = allocate(sc.problem, sc.policy, sc.mechanism, seed=0).composition()
    blocks = comp[comp["level"] == "block"].drop_duplicates("unit_id").set_index("unit_id")
    flats = sc.problem.development.to_frame()  # independent: recompute from the flats table with pandas
    per_block = flats.groupby("block_id")[["lat", "lng", "neighbourhood_id"]].first()
    assert np.allclose(blocks.loc[per_block.index, ["lat", "lng"]].to_numpy(float), per_block[["lat", "lng"]])
    expected = per_block.groupby("neighbourhood_id")[["lat", "lng"]].mean()
    nb = comp[comp["level"] == "neighbourhood"].drop_duplicates("unit_id").set_index("unit_id")
    assert np.allclose(nb.loc[expected.index, ["lat", "lng"]].to_numpy(float), expected.to_numpy())


def test_no_coordinates_no_columns(tmp_path):
    problem = tiny_inputs(tmp_path / "in", coordinates=False)
    comp = allocate(problem, load_policy("sg-eip-2010"), "ballot", seed=1).composition()
    assert "lat" not in comp.columns and "lng" not in comp.columns


def test_uk_town_blocks_are_in_bradford_and_distinct():
    dev = get_scenario("uk-town").problem.development
    assert dev.block_lat is not None and np.isfinite(dev.block_lat).all()
    # Bradford district's extent, roughly 53.72-53.97 N, 2.06-1.64 W (generated positions must fall inside).
    assert ((dev.block_lat > 53.72) & (dev.block_lat < 53.97)).all()
    assert ((dev.block_lng > -2.06) & (dev.block_lng < -1.64)).all()
    assert len(set(zip(dev.block_lat, dev.block_lng, strict=True))) == dev.n_blocks  # no two blocks on one spot


def test_uk_town_demo_report_has_the_map(uk_demo_dir):
    written = (uk_demo_dir / "report.html").read_text(encoding="utf-8")
    for page in (written, render_report(uk_demo_dir), render_report(uk_demo_dir / "with-caps")):
        m = re.search(r'<section id="map-of-blocks">(.*?)</section>', page, re.S)
        assert m and "<svg" in m.group(1) and re.search(r">[\d.]+ km</text>", m.group(1))
    # A lone allocation folder (no inputs/ beside it) takes the positions from its composition.csv.
    data = AllocationData.from_folder(uk_demo_dir / "with-caps")
    assert data.blocks is not None and len(data.blocks) == get_scenario("uk-town").problem.development.n_blocks


def test_composition_csv_of_demo_has_coordinates(uk_demo_dir):
    comp = pd.read_csv(uk_demo_dir / "with-caps" / schema.COMPOSITION_TABLE.csv)
    assert comp["lat"].notna().all() and comp["lng"].notna().all()


def test_caps_csv_has_the_same_unit_coordinates(uk_demo_dir):
    caps = read_table(uk_demo_dir / "with-caps" / schema.CAPS_TABLE.csv, table=schema.CAPS_TABLE)
    comp = read_table(uk_demo_dir / "with-caps" / schema.COMPOSITION_TABLE.csv, table=schema.COMPOSITION_TABLE)
    assert list(caps.columns[-2:]) == ["lat", "lng"] and caps["lat"].notna().all()
    where = comp.drop_duplicates(["level", "unit_id"]).set_index(["level", "unit_id"])[["lat", "lng"]]
    got = caps.set_index(["level", "unit_id"])[["lat", "lng"]]
    assert np.allclose(got.to_numpy(float), where.loc[got.index].to_numpy(float))
