"""Issue 9, "No silent misreadings": one regression test (or more) per input-side trap.

Each test names the trap it covers. Every one failed on main before the fix (a silent misreading, a
traceback or a missing option) and passes after. The council example of the issue's "Done when" is
:func:`test_council_example_bands_error_then_cbl_with_and_without_caps`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.allocate import allocate
from commonground.allocate.cbl import choice_based_lettings
from commonground.cli import app
from commonground.errors import InputError, PolicyError
from commonground.io import read_problem, read_table
from commonground.model import Development, Households, Problem
from commonground.policy import Policy, load_policy, policy_from_toml, policy_to_toml
from commonground.scenarios import get_scenario
from commonground.simulate import simulation_from_dict

runner = CliRunner()


def one_line(res) -> str:
    return " ".join(res.output.split())


def expect_exit_2(args: list[str], *fragments: str, out: Path | None = None) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    text = one_line(res)
    for frag in fragments:
        assert frag in text, text
    if out is not None:
        assert not out.exists(), "nothing may be written on bad input"
    return text


# -- a small council: the "Done when" example ------------------------------------------------------
COUNCIL_POLICY = """
name = "council"
source = "illustrative local lettings policy for a test"
priority_order = [{bands}]
groups = {{ ethnicity = ["White", "Asian", "Black", "Mixed", "Other"] }}
{unknown}
[[caps]]
attribute = "ethnicity"
level = "block"
limits = {{ White = 0.85, Asian = 0.40, Black = 0.25, Mixed = 0.15, Other = 0.15 }}
"""


def council_policy(folder: Path, bands: list[str], *, uncapped: bool = True) -> Path:
    path = folder / f"council-{'-'.join(b.replace(' ', '') for b in bands)}-{int(uncapped)}.toml"
    path.write_text(COUNCIL_POLICY.format(bands=", ".join(f'"{b}"' for b in bands),
                                          unknown='unknown = { ethnicity = "uncapped" }' if uncapped else ""))
    return path


@pytest.fixture(scope="module")
def council(tmp_path_factory) -> Path:
    """300 homes in 6 blocks; 1,500 applicants with bands 'Band A'…'Band D', a registration date, a postcode and
    some blank ethnicity (the example of issue 9)."""
    folder = tmp_path_factory.mktemp("council")
    rng = np.random.default_rng(9)
    flats = pd.DataFrame({"flat_id": [f"F{i:03d}" for i in range(300)],
                          "block_id": [f"Block {i // 50 + 1}" for i in range(300)],
                          "neighbourhood_id": ["North" if i < 150 else "South" for i in range(300)]})
    flats.to_csv(folder / "flats.csv", index=False)
    n = 1500
    eth = rng.choice(["White", "Asian", "Black", "Mixed", "Other"], size=n, p=[0.6, 0.25, 0.07, 0.05, 0.03])
    eth = eth.astype(object)
    eth[rng.choice(n, 40, replace=False)] = ""
    bands = rng.choice(["Band A", "Band B", "Band C", "Band D"], size=n, p=[0.08, 0.22, 0.35, 0.35])
    reg = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    hh = pd.DataFrame({"household_id": [f"H{i:04d}" for i in range(n)], "priority": bands,
                       "registration_date": reg.strftime("%Y-%m-%d"),
                       "postcode": [f"BD{rng.integers(1, 20)} {rng.integers(1, 9)}{chr(65 + rng.integers(26))}"
                                    f"{chr(65 + rng.integers(26))}" for _ in range(n)],
                       "ethnicity": eth})
    hh.to_csv(folder / "households.csv", index=False)
    return folder


def council_args(folder: Path, out: Path, policy: Path, *extra: str) -> list[str]:
    return ["allocate", "--flats", str(folder / "flats.csv"), "--households", str(folder / "households.csv"),
            "--policy", str(policy), "--mechanism", "cbl", "--seed", "3", "--out", str(out), *extra]


def housed_rate(out: Path, band: str) -> float:
    alloc = pd.read_csv(out / "allocation.csv", dtype=str, keep_default_na=False)
    m = alloc["priority"] == band
    return float((alloc.loc[m, "status"] == "allocated").mean())


def test_council_example_bands_error_then_cbl_with_and_without_caps(council, tmp_path):
    """Traps 1, 2, 3 and 9 together: the bands are an error naming the closest known band; once the policy
    names the bands, cbl runs with and without caps with the bands honoured in both."""
    out = tmp_path / "out"
    wrong = council_policy(tmp_path, ["A", "B", "C", "D"])
    text = expect_exit_2(council_args(council, out, wrong), "priority", "'Band A'", "closest 'A'", out=out)
    assert "Traceback" not in text
    fixed = council_policy(tmp_path, ["Band A", "Band B", "Band C", "Band D"])
    rates = {}
    for label, extra in (("caps", ()), ("no-caps", ("--no-caps",))):
        res = runner.invoke(app, council_args(council, tmp_path / label, fixed, *extra))
        assert res.exit_code == 0, res.output
        # 300 homes, ~120 Band A households first on the shortlist, every home acceptable: all of Band A is housed.
        rates[label] = {b: housed_rate(tmp_path / label, b) for b in ("Band A", "Band D")}
        assert rates[label]["Band A"] > 0.95, rates
        assert rates[label]["Band D"] < 0.1, rates
        alloc = pd.read_csv(tmp_path / label / "allocation.csv", dtype=str, keep_default_na=False)
        # Trap 9: the shortlist can be checked from the output; trap 2: the postcode is carried, not grouped.
        assert {"priority", "waiting_days", "registration_date", "postcode"} <= set(alloc.columns)
        groups = pd.read_csv(tmp_path / label / "groups.csv")
        assert set(groups["attribute"]) == {"ethnicity"}
        assert "(blank)" in set(groups["value"])
        summary = json.loads((tmp_path / label / "summary.json").read_text())
        assert summary["inputs"]["waiting_days_reference_date"] == alloc["registration_date"].max()
    caps = pd.read_csv(tmp_path / "caps" / "caps.csv")
    assert caps["count"].le(caps["max_count"]).all()


# -- trap 1: bands dropped ---------------------------------------------------------------------------------
def banded_problem(bands: list[str], waiting: list[float] | None = None) -> Problem:
    n = len(bands)
    dev = Development.from_frame(pd.DataFrame({"flat_id": ["f1", "f2"], "block_id": ["b", "b"],
                                               "neighbourhood_id": ["n", "n"]}))
    hh = Households(ids=np.array([f"h{i}" for i in range(n)], dtype=object),
                    priority=np.array(bands, dtype=object),
                    waiting_days=None if waiting is None else np.array(waiting, dtype=float))
    return Problem.build(dev, hh)


def test_trap1_unknown_priority_values_are_an_error_with_the_closest_known_value():
    """Trap 1: 'Band A' where the policy says 'A' was silently put last; now a one-line error lists them."""
    problem = banded_problem(["Band A", "Band B", "C", "Band A"])
    pol = Policy(name="bands", priority_order=("A", "B", "C", "D"))
    for mech in ("cbl", "ballot", "optimal"):
        with pytest.raises(PolicyError) as e:
            allocate(problem, pol, mech)
        msg = str(e.value)
        assert "\n" not in msg
        assert "'Band A' (closest 'A')" in msg and "'Band B' (closest 'B')" in msg, msg
        assert "'C'" not in msg.split("known")[0]


def test_trap1_cbl_with_bands_but_no_order_says_so():
    """Trap 1: `--policy none` under cbl silently dropped the band order; now its summary says so."""
    problem = banded_problem(["A", "B", "A"])
    notes = allocate(problem, load_policy("none"), "cbl").summary()["notes"]
    assert any("ignores the households' priority bands" in n and "--no-caps" in n for n in notes), notes


def test_trap1_no_caps_keeps_the_bands(tmp_path):
    """Trap 1: `--no-caps` keeps everything but the caps (bands too); the result equals the library's."""
    folder = tmp_path / "in"
    sc = get_scenario("uk-town")
    sc.write_inputs(folder)
    out = tmp_path / "nocaps"
    res = runner.invoke(app, ["allocate", "--flats", str(folder / "flats.csv"), "--households",
                              str(folder / "households.csv"), "--preferences", str(folder / "preferences.csv"),
                              "--policy", "uk-balanced-example", "--no-caps", "--mechanism", "cbl", "--seed", "2",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    want = allocate(sc.problem, sc.policy.without_caps(), "cbl", seed=2)
    got = pd.read_csv(out / "allocation.csv", dtype=str, keep_default_na=False)
    assert (got["status"] == "allocated").sum() == want.n_allocated
    assert list(got["flat_id"]) == ["" if f < 0 else sc.problem.development.flat_ids[f] for f in want.flat_of]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["binding_caps"] == 0 and "no caps" in summary["policy"]


def test_trap1_ballot_says_it_ignores_bands(tmp_path):
    """Trap 1: the ballot ignores priority bands; it now says so in its summary and on stderr."""
    problem = banded_problem(["A", "B", "A"])
    r = allocate(problem, Policy(name="bands", priority_order=("A", "B")), "ballot")
    assert any("priority bands" in n for n in r.summary()["notes"])
    folder = tmp_path / "in"
    get_scenario("uk-town").write_inputs(folder)
    res = runner.invoke(app, ["allocate", "--flats", str(folder / "flats.csv"), "--households",
                              str(folder / "households.csv"), "--policy", "uk-balanced-example",
                              "--mechanism", "ballot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "ballot ignores the priority bands" in one_line(res)


# -- trap 2: every extra column became a group ---------------------------------------------------------------
def households_file(tmp_path: Path, **columns) -> Path:
    n = len(next(iter(columns.values())))
    df = pd.DataFrame({"household_id": [f"h{i}" for i in range(n)], **columns})
    path = tmp_path / "households.csv"
    df.to_csv(path, index=False)
    return path


def small_flats(tmp_path: Path, n: int = 4) -> Path:
    path = tmp_path / "flats.csv"
    pd.DataFrame({"flat_id": [f"f{i}" for i in range(n)], "block_id": ["b1", "b1", "b2", "b2"][:n],
                  "neighbourhood_id": "n"}).to_csv(path, index=False)
    return path


def test_trap2_other_columns_are_carried_not_grouped(tmp_path):
    """Trap 2: a postcode column became a group; now only named attributes are grouped, others are carried."""
    n = 200
    hh = households_file(tmp_path, ethnicity=["A", "B"] * (n // 2), postcode=[f"PC{i}" for i in range(n)])
    problem = read_problem(small_flats(tmp_path), hh, attributes=("ethnicity",))
    assert list(problem.households.attributes) == ["ethnicity"]
    assert list(problem.households.carried["postcode"][:2]) == ["PC0", "PC1"]
    r = allocate(problem, load_policy("none"), "ballot")
    frame = r.households_frame()
    assert list(frame["postcode"]) == [f"PC{i}" for i in range(n)]
    assert set(r.group_outcomes()["attribute"]) == {"ethnicity"}
    # Named by nobody, nothing is grouped, and the CLI says which columns it carried instead.
    res = runner.invoke(app, ["allocate", "--flats", str(small_flats(tmp_path)), "--households", str(hh),
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "ethnicity, postcode carried through" in one_line(res)
    assert pd.read_csv(tmp_path / "o" / "groups.csv").empty
    rep = runner.invoke(app, ["report", str(tmp_path / "o")])       # an ungrouped result still has a report
    assert rep.exit_code == 0, rep.output


def test_trap2_attribute_with_too_many_values_is_an_error(tmp_path):
    """Trap 2: a column with hundreds of values used as an attribute is an error that names it."""
    hh = households_file(tmp_path, postcode=[f"PC{i}" for i in range(120)])
    with pytest.raises(InputError, match=r"column 'postcode'.*120 distinct values.*50"):
        read_problem(small_flats(tmp_path), hh, attributes=("postcode",))
    out = tmp_path / "o"
    expect_exit_2(["allocate", "--flats", str(small_flats(tmp_path)), "--households", str(hh), "--attributes",
                   "postcode", "--out", str(out)], "postcode", "120 distinct values", out=out)
    # The limit is configurable.
    problem = read_problem(small_flats(tmp_path), hh, attributes=("postcode",), max_groups=200)
    assert len(set(problem.households.attributes["postcode"])) == 120


def test_trap2_registration_date_gives_waiting_days_with_a_named_reference_date(tmp_path):
    """Trap 2: a registration date instead of waiting_days silently turned waiting time off."""
    hh = households_file(tmp_path, registration_date=["2024-01-01", "2023-12-01", "2024-01-31"])
    problem = read_problem(small_flats(tmp_path), hh)
    assert problem.households.waiting_days.tolist() == [30.0, 61.0, 0.0]
    assert problem.households.reference_date == "2024-01-31"
    problem = read_problem(small_flats(tmp_path), hh, reference_date="2024-02-10")
    assert problem.households.waiting_days.tolist() == [40.0, 71.0, 10.0]
    # cbl: same band, so the longest wait (h1) comes first on the shortlist.
    r = allocate(problem, Policy(name="p"), "cbl")
    assert int(np.argmin(r.queue_position)) == 1
    with pytest.raises(InputError, match="after the reference date"):
        read_problem(small_flats(tmp_path), hh, reference_date="2024-01-15")
    bad = households_file(tmp_path, registration_date=["2024-01-01", "01/02/2024", "2024-01-31"])
    with pytest.raises(InputError, match=r"row 3.*registration_date.*YYYY-MM-DD"):
        read_problem(small_flats(tmp_path), bad)
    bad = households_file(tmp_path, registration_date=["2024-01-01", "2024-01-02"], waiting_days=["1", "2"])
    with pytest.raises(InputError, match="not both"):
        read_problem(small_flats(tmp_path), bad)


def test_trap2_near_miss_of_a_known_column_is_an_error(tmp_path):
    """Trap 2: 'Waiting Days' was read as a group; a near-miss of a known column name is now an error."""
    hh = households_file(tmp_path, **{"Waiting Days": ["3", "4"]})
    with pytest.raises(InputError, match="'Waiting Days'.*'waiting_days'"):
        read_problem(small_flats(tmp_path), hh)


def test_trap2_input_column_named_like_an_output_column_is_an_error(tmp_path):
    """Trap 2: a households column called 'status' would be silently shadowed in allocation.csv."""
    from commonground.io import schema
    from commonground.model.household_schema import KNOWN_COLUMNS, OUTPUT_COLUMNS

    assert set(schema.ALLOCATION_TABLE.columns) == set(KNOWN_COLUMNS) - {"registration_date"} | set(OUTPUT_COLUMNS)
    hh = households_file(tmp_path, status=["new", "old"])
    with pytest.raises(InputError, match="column 'status'"):
        read_problem(small_flats(tmp_path), hh)


# -- trap 3: unknown categories ----------------------------------------------------------------------------
def test_trap3_blank_and_undeclared_values_error_by_default_and_can_be_uncapped(tmp_path):
    """Trap 3: blank or 'Prefer not to say' was a hard error with no documented way out; now a policy option
    ``unknown = { attribute = "uncapped" }`` keeps them as their own, never capped, group."""
    n = 40
    eth = ["Malay"] * 30 + [""] * 5 + ["Prefer not to say"] * 5
    hh = households_file(tmp_path, ethnicity=eth)
    flats = tmp_path / "flats.csv"
    pd.DataFrame({"flat_id": [f"f{i}" for i in range(n)], "block_id": "b", "neighbourhood_id": "n"}).to_csv(
        flats, index=False)
    problem = read_problem(flats, hh, attributes=("ethnicity",))
    strict = policy_from_toml('name = "eip"\ngroups = { ethnicity = ["Chinese", "Malay"] }\n[[caps]]\n'
                              'attribute = "ethnicity"\nlevel = "block"\nlimits = { Malay = 0.25 }\n')
    with pytest.raises(PolicyError) as e:
        allocate(problem, strict, "ballot")
    assert "10 households" in str(e.value) and 'unknown = { ethnicity = "uncapped" }' in str(e.value)
    loose = policy_from_toml('name = "eip"\ngroups = { ethnicity = ["Chinese", "Malay"] }\n'
                             'unknown = { ethnicity = "uncapped" }\n[[caps]]\n'
                             'attribute = "ethnicity"\nlevel = "block"\nlimits = { Malay = 0.25 }\n')
    r = allocate(problem, loose, "ballot")
    g = r.group_outcomes().set_index("value")
    # 40 flats, 40 households: the Malay cap allows floor(0.25 × 40) = 10; the 10 unknown are never capped.
    assert g.loc["Malay", "allocated"] == 10
    assert g.loc["(blank)", "allocated"] == 5 and g.loc["Prefer not to say", "allocated"] == 5
    assert loose.without_caps().unknown == {"ethnicity": "uncapped"}
    assert policy_from_toml(policy_to_toml(loose)).unknown == {"ethnicity": "uncapped"}
    with pytest.raises(PolicyError, match="'error' or 'uncapped'"):
        policy_from_toml('name = "x"\nunknown = { ethnicity = "ignore" }\n')


# -- trap 5: uncapped by accident ---------------------------------------------------------------------------
@pytest.mark.parametrize("policy", [{"name": "caps", "caps": "uk-balanced-example"},
                                    {"name": "caps", "kind": "none", "caps": "uk-balanced-example"}])
def test_trap5_simulation_policy_with_caps_but_no_capping_kind_is_an_error(policy):
    """Trap 5: a policy with caps but no kind, or kind = "none" with caps, ran uncapped without a word."""
    with pytest.raises(PolicyError, match="kind"):
        simulation_from_dict({"name": "t", "years": 1, "replicates": 1, "policies": [policy]})


# -- trap 6: tie-breaking ----------------------------------------------------------------------------------
def test_trap6_ballot_breaks_ties_by_flat_order_in_the_file():
    """Trap 6: with equal utilities the ballot took block 'A' (alphabetical) over the file's first flat in 'Z'."""
    dev = Development.from_frame(pd.DataFrame({"flat_id": ["z1", "a1"], "block_id": ["Z", "A"],
                                               "neighbourhood_id": ["n", "n"]}))
    hh = Households(ids=np.array(["h"], dtype=object))
    for prefs in (None, pd.DataFrame({"household_id": ["h", "h"], "block_id": ["A", "Z"], "utility": [2.0, 2.0]})):
        problem = Problem.build(dev, hh, prefs)
        for mech in ("ballot", "cbl"):
            r = allocate(problem, Policy(name="none"), mech)
            assert dev.flat_ids[r.flat_of[0]] == "z1", (mech, prefs)


# -- trap 7: non-positive utilities --------------------------------------------------------------------------
def test_trap7_a_flat_worth_nothing_or_less_is_unacceptable_in_every_mechanism():
    """Trap 7: ballot gave a listed flat with utility −3, optimal left the household out with the wrong reason."""
    dev = Development.from_frame(pd.DataFrame({"flat_id": ["f1", "f2", "f3"], "block_id": ["b1", "b1", "b2"],
                                               "neighbourhood_id": "n"}))
    hh = Households(ids=np.array(["neg", "zero", "pos"], dtype=object))
    for prefs in (pd.DataFrame({"household_id": ["neg", "zero", "pos"], "flat_id": ["f1", "f2", "f3"],
                                "utility": [-3.0, 0.0, 1.0]}),
                  pd.DataFrame({"household_id": ["neg", "zero", "pos"], "block_id": ["b1", "b1", "b2"],
                                "utility": [-3.0, 0.0, 1.0]})):
        problem = Problem.build(dev, hh, prefs)
        for mech in ("ballot", "cbl", "optimal", "optimal-unconstrained", "ballot-unconstrained"):
            r = allocate(problem, Policy(name="none"), mech)
            assert r.flat_of[0] == -1 and r.flat_of[1] == -1, mech
            assert "worth ≤ 0" in r.reason[0] and "worth ≤ 0" in r.reason[1], (mech, r.reason)
            assert dev.flat_ids[r.flat_of[2]] == "f3"


# -- trap 8: crashes instead of errors --------------------------------------------------------------------------
@pytest.mark.parametrize("value", [math.inf, 1e15, -math.inf, math.nan])
def test_trap8_simulation_numbers_must_be_finite_and_hold_in_memory(value):
    """Trap 8: net_per_year = inf gave a traceback and 1e15 got the process killed for memory."""
    data = {"name": "t", "years": 2, "replicates": 1, "migration": {"net_per_year": value}}
    with pytest.raises(InputError, match="net_per_year"):
        simulation_from_dict(data)


@pytest.mark.parametrize("section,key,value", [("town", "homes_per_block", 10**9), ("launches", "homes_per_year",
                                                                                     10**12),
                                               ("market", "viewings_per_month", 10**12)])
def test_trap8_huge_counts_are_errors(section, key, value):
    with pytest.raises(InputError, match=key):
        simulation_from_dict({"name": "t", "years": 2, "replicates": 1, section: {key: value}})


def test_trap8_huge_schelling_grid_is_an_error():
    with pytest.raises(InputError, match="schelling"):
        simulation_from_dict({"name": "t", "model": "schelling", "years": 2, "replicates": 1,
                              "schelling": {"width": 100_000, "height": 100_000}})


def test_trap8_simulate_cli_gives_exit_2_not_a_traceback(tmp_path):
    f = tmp_path / "sim.toml"
    f.write_text('name = "t"\nyears = 1\n[migration]\nnet_per_year = inf\n')
    expect_exit_2(["simulate", str(f), "--out", str(tmp_path / "o"), "--in-process"], "net_per_year",
                  out=tmp_path / "o")


def test_trap8_overlong_csv_field_is_a_clean_error(tmp_path):
    """Trap 8: a field over 131,072 characters gave a traceback and exit 1."""
    path = tmp_path / "households.csv"
    path.write_text("household_id,ethnicity\nh1,A\nh2," + "x" * 200_000 + "\n")
    with pytest.raises(InputError, match="row 3"):
        read_table(path)
    out = tmp_path / "o"
    expect_exit_2(["allocate", "--flats", str(small_flats(tmp_path)), "--households", str(path), "--out", str(out)],
                  "row 3", out=out)


@pytest.mark.parametrize("column,value", [("waiting_days", "inf"), ("ballot_chances", "1e300")])
def test_trap8_household_numbers_must_be_finite_and_bounded(tmp_path, column, value):
    hh = households_file(tmp_path, **{column: ["1", value]})
    with pytest.raises(InputError, match=f"row 3.*{column}"):
        read_problem(small_flats(tmp_path), hh)


@pytest.mark.parametrize("column,value", [("value", "inf"), ("floor", "1e30"), ("lat", "nan")])
def test_trap8_flat_numbers_must_be_finite_and_bounded(tmp_path, column, value):
    flats = tmp_path / "flats.csv"
    df = pd.DataFrame({"flat_id": ["f1", "f2"], "block_id": "b", "neighbourhood_id": "n", "lat": "1.3",
                       "lng": "103.8"})
    df.loc[1, column] = value
    df.to_csv(flats, index=False)
    with pytest.raises(InputError, match=f"row 3.*{column}"):
        read_problem(flats, households_file(tmp_path, ethnicity=["A", "B"]))


def test_trap8_rich_markup_in_messages_prints_literally(tmp_path):
    """Trap 8: '[[policies]] #1 …' printed as '[] #1 …' because the message went through Rich markup."""
    f = tmp_path / "sim.toml"
    f.write_text('name = "t"\nyears = 1\n[[policies]]\nkind = "none"\n')
    text = expect_exit_2(["simulate", str(f), "--out", str(tmp_path / "o"), "--in-process"])
    assert "[[policies]] #1 needs a non-empty 'name'" in text, text


# -- trap 9: unauditable order ----------------------------------------------------------------------------------
def test_trap9_allocation_csv_carries_band_and_waiting_days(tmp_path):
    """Trap 9: allocation.csv dropped waiting_days, so a cbl shortlist could not be checked from the output."""
    sc = get_scenario("uk-town")
    r = allocate(sc.problem, sc.policy, "cbl", seed=1)
    r.write(tmp_path / "o")
    alloc = pd.read_csv(tmp_path / "o" / "allocation.csv", dtype={"household_id": str})
    np.testing.assert_array_equal(alloc["waiting_days"].to_numpy(), sc.problem.households.waiting_days)
    np.testing.assert_array_equal(alloc["priority"].to_numpy(dtype=object), sc.problem.households.priority)
    # The shortlist is band first, then longest wait: check it from the file alone.
    band = alloc["priority"].map({b: i for i, b in enumerate(sc.policy.priority_order)})
    q = alloc.sort_values("queue_position")
    key = list(zip(band[q.index], -q["waiting_days"], strict=True))
    assert key == sorted(key)


def test_cbl_says_why_few_homes_are_let_when_everyone_values_them_alike():
    # Hand-worked: 12 vacant homes, 6 households, no preferences (every home worth 1 to everyone), max_bids 2 and
    # max_cycles 2: all six bid for the same two homes each cycle (ties: file order), so 2 are let a cycle and 8
    # of the 12 stay unlet after the 2 cycles. The summary must say both, not just report 4 lettings.
    dev = Development.from_frame(pd.DataFrame({"flat_id": [f"f{i}" for i in range(12)], "block_id": "B",
                                                "neighbourhood_id": "N"}))
    hh = Households(ids=np.array([f"h{i}" for i in range(6)], dtype=object), attributes={})
    got = choice_based_lettings(Problem.build(dev, hh), Policy("none"), max_bids=2, cycles=1, max_cycles=2)
    assert got.n_allocated == 4
    notes = " | ".join(got.info["notes"])
    assert "max_cycles=2" in notes and "8 of 12 vacant homes still unlet" in notes
    assert "values the homes alike" in notes and "at most 2 homes are let a cycle" in notes
    # With different preferences the second note goes: households 0-5 each prefer their own two homes.
    prefs = pd.DataFrame({"household_id": [f"h{i // 2}" for i in range(12)],
                           "flat_id": [f"f{i}" for i in range(12)], "utility": 1.0})
    varied = choice_based_lettings(Problem.build(dev, hh, prefs), Policy("none"), max_bids=2, cycles=1,
                                   max_cycles=2)
    assert varied.n_allocated == 6
    assert not any("alike" in n for n in varied.info.get("notes", []))
