"""The CLI end to end, the file round trip, preferences parsing, and the HDB property loader on real data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.allocate import allocate
from commonground.cli import app
from commonground.errors import InputError
from commonground.io import development_from_hdb, read_hdb_property_information, read_problem
from commonground.model import BlockUtilities, Development, FlatUtilities, Households, Problem
from commonground.policy import load_policy, policy_from_toml, policy_to_toml
from commonground.scenarios import get_scenario

runner = CliRunner()


def test_demo_writes_both_runs_and_a_summary(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    assert "with caps" in res.output and "without caps" in res.output
    summary = json.loads((tmp_path / "demo" / "demo.json").read_text())
    assert summary["with caps"]["allocated"] > 0
    assert summary["without caps"]["binding_caps"] == 0
    caps = pd.read_csv(tmp_path / "demo" / "with-caps" / "caps.csv")
    launch = caps[caps["unit_id"].str.contains("-B")]          # the new blocks (existing ones may start over)
    assert len(launch) and (launch["count"] <= launch["max_count"]).all()
    free = pd.read_csv(tmp_path / "demo" / "without-caps" / "composition.csv")
    assert free["count"].sum() > 0


def test_files_reproduce_the_library_result(tmp_path):
    """Writing a scenario to files and allocating from them gives the same result as in memory."""
    sc = get_scenario("sg-bto")
    sc.write_inputs(tmp_path)
    problem = read_problem(tmp_path / "flats.csv", tmp_path / "households.csv", tmp_path / "preferences.csv")
    policy = load_policy(tmp_path / "policy.toml")
    a = allocate(sc.problem, sc.policy, "ballot", seed=5)
    b = allocate(problem, policy, "ballot", seed=5)
    assert np.array_equal(a.flat_of, b.flat_of)
    assert problem.fingerprint() == sc.problem.fingerprint()
    res = runner.invoke(app, ["allocate", "--flats", str(tmp_path / "flats.csv"), "--households",
                              str(tmp_path / "households.csv"), "--preferences", str(tmp_path / "preferences.csv"),
                              "--policy", str(tmp_path / "policy.toml"), "--seed", "5", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "o" / "allocation.csv", dtype={"flat_id": str})
    expected = a.households_frame()
    assert (out["flat_id"].fillna("").to_numpy() == expected["flat_id"].fillna("").astype(str).to_numpy()).all()
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["allocated"] == a.n_allocated


def test_policy_toml_round_trip():
    pol = load_policy("sg-eip-2010,sg-spr,sg-ft-priority")
    again = policy_from_toml(policy_to_toml(pol))
    assert again.caps == pol.caps and again.groups == pol.groups
    assert dict(again.priority_shares) == {"FT": 0.95}


def small_dev() -> Development:
    return Development.from_frame(pd.DataFrame({
        "flat_id": ["a1", "a2", "b1", "b2"], "block_id": ["A", "A", "B", "B"], "neighbourhood_id": "N",
        "flat_type": ["3-room", "4-room", "3-room", "4-room"]}))


def test_ranked_preferences_become_borda_utilities():
    """Rank r of k is worth k - r + 1 (docs: model/preferences.py); unlisted blocks are unacceptable."""
    dev = small_dev()
    hh = Households(ids=np.array(["x", "y", "z"], dtype=object))
    prefs = pd.DataFrame({"household_id": ["x", "x", "y", "y"], "block_id": ["B", "A", "A", ""],
                          "flat_type": ["", "", "", "4-room"], "rank": [1, 2, 1, 1]})
    p = Problem.build(dev, hh, prefs)
    assert isinstance(p.utilities, BlockUtilities)
    assert p.utilities.block[0].tolist() == [1.0, 2.0]            # x: B first (2), A second (1)
    assert p.utilities.block[1].tolist() == [1.0, -np.inf]        # y: only A
    assert p.utilities.flat_type[1].tolist() == [-np.inf, 1.0]    # y: only 4-room
    assert p.utilities.block[2].tolist() == [1.0, 1.0]            # z: no rows: every flat worth 1
    assert p.utility(np.array([1, 1]), np.array([1, 0])).tolist() == [2.0, -np.inf]


def test_flat_level_preferences():
    dev = small_dev()
    hh = Households(ids=np.array(["x", "y"], dtype=object))
    prefs = pd.DataFrame({"household_id": ["x", "x", "y"], "flat_id": ["b2", "a1", ""], "block_id": ["", "", "A"],
                          "flat_type": ["", "", "3-room"], "utility": [5.0, 3.0, 1.0]})
    p = Problem.build(dev, hh, prefs)
    assert isinstance(p.utilities, FlatUtilities)
    assert p.utilities.flat[:2].tolist() == [3, 0]                 # best first
    assert p.utility(np.array([1]), np.array([0])).tolist() == [1.0]   # y: block A & 3-room = flat a1
    res = allocate(p, load_policy("none"), "ballot", seed=0)
    assert res.households_frame()["flat_id"].tolist() == ["b2", "a1"]


def test_preferences_errors_name_the_row():
    dev = small_dev()
    hh = Households(ids=np.array(["x"], dtype=object))
    with pytest.raises(InputError, match="row 3.*rank 1 twice"):
        Problem.build(dev, hh, pd.DataFrame({"household_id": ["x", "x"], "block_id": ["A", "B"], "rank": [1, 1]}))
    with pytest.raises(InputError, match="exactly one of the columns 'rank' or 'utility'"):
        Problem.build(dev, hh, pd.DataFrame({"household_id": ["x"], "block_id": ["A"]}))
    with pytest.raises(InputError, match="unknown flat type '6-room'"):
        Problem.build(dev, hh, pd.DataFrame({"household_id": ["x"], "flat_type": ["6-room"], "rank": [1]}))


def test_hdb_property_loader_on_the_real_file(shared_data):
    """Tampines (TAP) in the published 2023 snapshot: every residential dwelling unit becomes one flat."""
    raw = pd.read_csv(shared_data / "sg_hdb_property_information.csv")
    tap = raw[(raw["bldg_contract_town"] == "TAP") & (raw["residential"] == "Y") & (raw["total_dwelling_units"] > 0)]
    df = read_hdb_property_information(shared_data / "sg_hdb_property_information.csv")
    dev = development_from_hdb(df, town="Tampines")
    assert dev.n_flats == tap["total_dwelling_units"].sum()
    assert dev.n_blocks == len(tap)
    assert dev.n_neighbourhoods == len({int("".join(c for c in b if c.isdigit()) or 0) // 100 for b in tap["blk_no"]})
    types = pd.Series(np.asarray(dev.flat_type_names)[dev.flat_type]).value_counts()
    assert types["4-room"] == tap["4room_sold"].sum()
    assert not dev.occupied.any()


def test_hdb_loader_errors(tmp_path, shared_data):
    with pytest.raises(InputError, match="unknown HDB town 'Atlantis'"):
        development_from_hdb(read_hdb_property_information(shared_data / "sg_hdb_property_information.csv"),
                             town="Atlantis")
    bad = tmp_path / "hdb.csv"
    raw = pd.read_csv(shared_data / "sg_hdb_property_information.csv", nrows=5, dtype=str)
    raw.loc[2, "total_dwelling_units"] = "many"
    raw.to_csv(bad, index=False)
    with pytest.raises(InputError, match="row 4.*total_dwelling_units.*'many'"):
        read_hdb_property_information(bad)


def test_allocate_optimal_with_a_time_limit_and_no_solver_banner(tmp_path):
    """`--time-limit` reaches the optimal mechanism; HiGHS's licence banner never lands in the output."""
    import subprocess
    import sys

    get_scenario("uk-town").write_inputs(tmp_path)
    cmd = [sys.executable, "-m", "commonground.cli", "allocate", "--flats", str(tmp_path / "flats.csv"),
           "--households", str(tmp_path / "households.csv"), "--preferences", str(tmp_path / "preferences.csv"),
           "--policy", "uk-balanced-example", "--mechanism", "optimal", "--time-limit", "30",
           "--out", str(tmp_path / "o")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Running HiGHS" not in done.stdout + done.stderr
    info = json.loads((tmp_path / "o" / "summary.json").read_text())["info"]
    assert info["exact"] is True and info["gap"] <= 1e-6


@pytest.mark.parametrize("name", ["sg-bto", "uk-town"])
def test_summary_max_share_counts_only_blocks_with_new_homes(name):
    """Issue 12: the CLI headline "max share in a block" must not show an existing-only block as if the caps had
    failed. Independent recount: existing occupants plus allocated households, per block with a vacant flat."""
    from commonground.cli.summary import _max_share

    sc = get_scenario(name)
    res = allocate(sc.problem, sc.policy, sc.mechanism, seed=0)
    dev = sc.problem.development
    attr = next(c.attribute for c in sc.policy.caps)
    rows = [(dev.flat_block[f], dev.occupants[attr][f]) for f in np.flatnonzero(dev.occupied)]
    rows += [(dev.flat_block[f], sc.problem.households.attributes[attr][h])
             for h, f in enumerate(res.flat_of) if f >= 0]
    people = pd.DataFrame(rows, columns=["block", "group"])
    size = pd.Series(np.bincount(dev.flat_block, minlength=dev.n_blocks))
    new_blocks = set(dev.flat_block[~dev.occupied].tolist())
    share = people[people["block"].isin(new_blocks)].groupby(["block", "group"]).size() / size.reindex(
        people[people["block"].isin(new_blocks)].groupby(["block", "group"]).size().index.get_level_values(0)).values
    best = share.idxmax()
    assert _max_share(res, attr, "block") == f"{share.max():.1%} {best[1]}"
    # With caps on, no block with new homes is above its cap for the largest group (sg-bto: 87 %, uk-town: 85 %).
    assert share.max() <= max(lim.share for c in sc.policy.caps if c.level == "block" for lim in c.limits) + 1e-9


def test_misspelt_policy_and_mechanism_name_the_closest(tmp_path):
    """A misspelt preset or mechanism is one line naming the closest valid name (the brief: never guess, but say
    what was probably meant), exit 2, nothing written."""
    sc = get_scenario("sg-bto")
    sc.write_inputs(tmp_path / "in")
    base = ["allocate", "--flats", str(tmp_path / "in" / "flats.csv"), "--households",
            str(tmp_path / "in" / "households.csv"), "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(app, [*base, "--policy", "sg-eip-2011"])
    assert res.exit_code == 2 and "unknown policy 'sg-eip-2011' (closest 'sg-eip-2010')" in res.output
    res = CliRunner().invoke(app, [*base, "--policy", "sg-eip-2010", "--mechanism", "balot"])
    assert res.exit_code == 2 and "unknown mechanism 'balot' (closest 'ballot')" in res.output
    assert not (tmp_path / "out").exists()
