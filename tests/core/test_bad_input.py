"""Bad input gets one clear line naming file, line and problem, exit code 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.scenarios import get_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """The uk-town scenario written as files (small, with occupied flats and a policy that declares groups)."""
    folder = tmp_path_factory.mktemp("inputs")
    get_scenario("uk-town").write_inputs(folder)
    return folder


def allocate_args(folder: Path, out: Path, **override) -> list[str]:
    files = {"flats": folder / "flats.csv", "households": folder / "households.csv",
             "preferences": folder / "preferences.csv", "policy": "uk-balanced-example"}
    files.update(override)
    args = ["allocate", "--flats", str(files["flats"]), "--households", str(files["households"]),
            "--policy", str(files["policy"]), "--mechanism", "ballot", "--seed", "1", "--out", str(out)]
    if files["preferences"]:
        args += ["--preferences", str(files["preferences"])]
    return args


def expect_error(args: list[str], out: Path, *fragments: str) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    for frag in fragments:
        assert frag in text, text
    assert not out.exists(), "nothing may be written on bad input"
    return text


def write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def test_good_input_writes_every_output(inputs, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, allocate_args(inputs, out))
    assert res.exit_code == 0, res.output
    for name in ("allocation.csv", "composition.csv", "caps.csv", "summary.json", "allocation.parquet"):
        assert (out / name).is_file()
    alloc = pd.read_csv(out / "allocation.csv")
    assert list(alloc.columns[:7]) == ["household_id", "flat_id", "block_id", "neighbourhood_id", "status", "reason",
                                       "queue_position"]
    comp = pd.read_csv(out / "composition.csv")
    assert {"level", "unit_id", "attribute", "value", "count", "share", "cap"} <= set(comp.columns)


def test_malformed_csv_names_the_line(inputs, tmp_path):
    bad = tmp_path / "households.csv"
    lines = (inputs / "households.csv").read_text().splitlines()
    lines[5] = lines[5] + ",extra,fields"
    bad.write_text("\n".join(lines) + "\n")
    expect_error(allocate_args(inputs, tmp_path / "out", households=bad), tmp_path / "out",
                 str(bad), "row 6", "fields")


def test_missing_column(inputs, tmp_path):
    df = pd.read_csv(inputs / "flats.csv").drop(columns=["block_id"])
    bad = write(df, tmp_path / "flats.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", flats=bad), tmp_path / "out", "missing required", "block_id")


def test_duplicate_household_id(inputs, tmp_path):
    df = pd.read_csv(inputs / "households.csv", dtype=str)
    df.loc[10, "household_id"] = df.loc[3, "household_id"]
    bad = write(df, tmp_path / "households.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", households=bad), tmp_path / "out",
                 "row 12", f"duplicate household_id '{df.loc[3, 'household_id']}'")


def test_flat_in_two_blocks(inputs, tmp_path):
    df = pd.read_csv(inputs / "flats.csv", dtype=str)
    extra = df.iloc[[0]].copy()
    other = df["block_id"][df["block_id"] != df.loc[0, "block_id"]].iloc[0]
    extra["block_id"] = other
    bad = write(pd.concat([df, extra], ignore_index=True), tmp_path / "flats.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", flats=bad), tmp_path / "out", "a flat in two blocks",
                 f"row {len(df) + 2}")


def test_block_in_two_neighbourhoods(inputs, tmp_path):
    df = pd.read_csv(inputs / "flats.csv", dtype=str)
    df.loc[1, "neighbourhood_id"] = "Elsewhere"
    bad = write(df, tmp_path / "flats.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", flats=bad), tmp_path / "out", "in two neighbourhoods")


def test_unknown_group_in_policy(inputs, tmp_path):
    pol = tmp_path / "p.toml"
    pol.write_text('name = "typo"\n[[caps]]\nattribute = "ethnicity"\nlevel = "block"\nlimits = { Whte = 0.5 }\n')
    expect_error(allocate_args(inputs, tmp_path / "out", policy=pol), tmp_path / "out", "unknown group 'Whte'")


def test_unknown_group_in_data_against_declared_groups(inputs, tmp_path):
    df = pd.read_csv(inputs / "households.csv", dtype=str)
    df.loc[0, "ethnicity"] = "Whit"
    bad = write(df, tmp_path / "households.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", households=bad), tmp_path / "out", "unknown group 'Whit'")


def test_share_outside_unit_interval(inputs, tmp_path):
    pol = tmp_path / "p.toml"
    pol.write_text('[[caps]]\nattribute = "ethnicity"\nlevel = "block"\nlimits = { White = 1.5 }\n')
    expect_error(allocate_args(inputs, tmp_path / "out", policy=pol), tmp_path / "out", "outside [0, 1]")


def test_unknown_attribute_and_bad_level(inputs, tmp_path):
    pol = tmp_path / "p.toml"
    pol.write_text('[[caps]]\nattribute = "religion"\nlevel = "block"\nlimits = { X = 0.5 }\n')
    expect_error(allocate_args(inputs, tmp_path / "out", policy=pol), tmp_path / "out", "no attribute 'religion'")
    pol.write_text('[[caps]]\nattribute = "ethnicity"\nlevel = "street"\nlimits = { White = 0.5 }\n')
    expect_error(allocate_args(inputs, tmp_path / "out", policy=pol), tmp_path / "out", "level must be")


def test_malformed_toml_and_unknown_preset(inputs, tmp_path):
    pol = tmp_path / "p.toml"
    pol.write_text("[[caps]\n")
    expect_error(allocate_args(inputs, tmp_path / "out", policy=pol), tmp_path / "out", "malformed TOML")
    expect_error(allocate_args(inputs, tmp_path / "out", policy="sg-eip-2099"), tmp_path / "out",
                 "unknown policy 'sg-eip-2099'")


def test_preferences_naming_unknown_block(inputs, tmp_path):
    df = pd.read_csv(inputs / "preferences.csv", dtype=str)
    df.loc[4, "block_id"] = "Nowhere-7"
    bad = write(df, tmp_path / "preferences.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", preferences=bad), tmp_path / "out",
                 "row 6", "unknown block 'Nowhere-7'")


def test_preferences_naming_unknown_household(inputs, tmp_path):
    df = pd.read_csv(inputs / "preferences.csv", dtype=str)
    df.loc[0, "household_id"] = "ghost"
    bad = write(df, tmp_path / "preferences.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", preferences=bad), tmp_path / "out",
                 "row 2", "unknown household 'ghost'")


def test_bad_numbers(inputs, tmp_path):
    df = pd.read_csv(inputs / "households.csv", dtype=str)
    df.loc[2, "ballot_chances"] = "0"
    bad = write(df, tmp_path / "households.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", households=bad), tmp_path / "out", "row 4", "ballot_chances")
    fl = pd.read_csv(inputs / "flats.csv", dtype=str)
    fl.loc[3, "floor"] = "high"
    bad = write(fl, tmp_path / "flats.csv")
    expect_error(allocate_args(inputs, tmp_path / "out", flats=bad), tmp_path / "out", "row 5", "'high' is not")


def test_missing_file_and_unknown_mechanism(inputs, tmp_path):
    expect_error(allocate_args(inputs, tmp_path / "out", flats=tmp_path / "nope.csv"), tmp_path / "out",
                 "nope.csv", "no such file")
    args = allocate_args(inputs, tmp_path / "out")
    args[args.index("ballot")] = "lottery"
    expect_error(args, tmp_path / "out", "unknown mechanism 'lottery'")


def test_empty_file(inputs, tmp_path):
    bad = tmp_path / "flats.csv"
    bad.write_text("")
    expect_error(allocate_args(inputs, tmp_path / "out", flats=bad), tmp_path / "out", "empty file")
