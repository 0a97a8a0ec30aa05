"""The simulation file format and the CLI's edges: one-line errors, exit 2, no partial output."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.errors import InputError, PolicyError
from commonground.simulate import load, load_simulation, simulation_from_dict
from commonground.simulate.builtin import UK_MIGRATION

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "simulate"
runner = CliRunner()

TINY = """
name = "tiny"
years = 2
replicates = 2
seed = 5
[town]
neighbourhoods = 2
blocks_per_neighbourhood = 3
homes_per_block = 20
[migration]
net_per_year = 1_000_000.0
[[scenarios]]
name = "a"
[[policies]]
name = "none"
kind = "none"
[[policies]]
name = "caps"
kind = "caps-buyback"
caps = "uk-balanced-example"
"""


def test_builtin_equals_example_file():
    assert tomllib.loads((EXAMPLES / "uk-migration.toml").read_text()) == UK_MIGRATION
    a, b = load("uk-migration"), load_simulation(EXAMPLES / "uk-migration.toml")
    assert a.scenarios == b.scenarios and a.policies == b.policies and a.replicates == b.replicates == 20


def test_every_example_file_loads(monkeypatch, shared_data):
    monkeypatch.chdir(ROOT)  # the HDB example's data path is relative to the repository root
    for path in EXAMPLES.glob("*.toml"):
        sim = load_simulation(path)
        assert sim.scenarios and sim.policies


def test_scenarios_override_base_sections():
    sim = load("uk-migration")
    params = dict(sim.scenarios)
    assert params["tens-of-thousands"].migration.net_per_year == 50_000
    assert params["hundreds-of-thousands"].migration.net_per_year == 300_000
    assert params["hundreds-of-thousands"].migration.formation_rate == 0.02  # kept from the base


@pytest.mark.parametrize("change, error, words", [
    ({"migration": {"net_per_year": -5.0}}, InputError, "net_per_year"),
    ({"launches": {"homes_per_year": -1}}, InputError, "homes_per_year"),
    ({"migration": {"formation_rate": 2.0}}, InputError, "formation_rate"),
    ({"migration": {"net_per_year": "lots"}}, InputError, "must be a number"),
    ({"town": {"colour": "red"}}, InputError, "unknown key 'colour'"),
    ({"launches": {"mechanism": "lottery"}}, InputError, "lottery"),
    ({"behaviour": {"model": "gravity"}}, InputError, "threshold or logit"),
    ({"policies": [{"name": "p", "kind": "quota"}]}, PolicyError, "unknown kind 'quota'"),
    ({"policies": [{"name": "p", "kind": "caps-new"}]}, PolicyError, "needs 'caps'"),
    ({"policies": [{"name": "p", "kind": "caps-new", "caps": "no-such-preset"}]}, PolicyError, "no-such-preset"),
    ({"policies": [{"name": "p", "kind": "caps-new", "caps": "sg-eip-2010"}]}, PolicyError, "unknown group"),
    ({"replicates": 0}, InputError, "replicates"),
    ({"scenarios": [{"name": "a"}, {"name": "a"}]}, InputError, "twice"),
])
def test_bad_input_is_one_clear_line(change, error, words):
    data = {**tomllib.loads(TINY), **change}
    with pytest.raises(error) as e:
        simulation_from_dict(data, source="x.toml")
    assert words in str(e.value) and "\n" not in str(e.value)


def test_cli_writes_the_documented_outputs(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    out = tmp_path / "out"
    r = runner.invoke(app, ["simulate", str(tmp_path / "tiny.toml"), "--in-process", "--replicates", "3",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} >= {"results.parquet", "summary.csv", "simulation.json", "indices.png",
                                               "market.png"}
    res = pd.read_parquet(out / "results.parquet")
    assert list(res.columns) == ["scenario", "policy", "replicate", "year", "metric", "value"]
    assert res["replicate"].nunique() == 3
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["scenario", "policy", "year", "metric", "n", "mean", "sd", "ci95_low",
                                     "ci95_high", "q05", "q25", "q50", "q75", "q95"]
    meta = json.loads((out / "simulation.json").read_text())
    assert meta["simulation"]["replicates"] == 3 and len(meta["tasks"]) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # temp folder cleaned up
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "simulation" and manifest["inputs"]["simulation"]["path"].endswith("tiny.toml")
    r = runner.invoke(app, ["simulate", str(tmp_path / "tiny.toml"), "--in-process", "--replicates", "1",
                            "--no-plots", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert not list(out.glob("*.png"))  # --no-plots is honoured, and the earlier run's plots are gone


@pytest.mark.parametrize("text, words", [
    ("name = [unclosed", "malformed TOML"),
    (TINY.replace('kind = "caps-buyback"', 'kind = "caps-forever"'), "unknown kind"),
    (TINY.replace("net_per_year = 1_000_000.0", "net_per_year = -10.0"), "net_per_year"),
])
def test_cli_bad_input_exits_2_without_output(tmp_path, text, words):
    (tmp_path / "bad.toml").write_text(text)
    out = tmp_path / "out"
    r = runner.invoke(app, ["simulate", str(tmp_path / "bad.toml"), "--in-process", "--out", str(out)])
    assert r.exit_code == 2
    assert words in r.output
    assert not out.exists()


def test_cli_unknown_builtin_and_missing_file(tmp_path):
    r = runner.invoke(app, ["simulate", "no-such-thing.toml", "--in-process", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "no such simulation file" in r.output
    r = runner.invoke(app, ["simulate", "uk-migration", "--in-process", "--replicates", "0", "--out",
                            str(tmp_path / "o")])
    assert r.exit_code == 2 and "replicates" in r.output


def test_cli_schelling_preset(tmp_path):
    r = runner.invoke(app, ["simulate", str(EXAMPLES / "schelling-mesa.toml"), "--in-process", "--replicates", "2",
                            "--out", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    res = pd.read_parquet(tmp_path / "s" / "results.parquet")
    assert {"similar_share", "pct_happy", "moves"} <= set(res["metric"])
    assert res["year"].max() == 50
