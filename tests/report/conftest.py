"""Allocation results for the report tests: the built-in scenario (real size) and a tiny development."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.allocate import allocate
from commonground.cli import app
from commonground.io import read_problem
from commonground.policy import load_policy
from commonground.scenarios import get_scenario


@pytest.fixture(scope="session")
def sg():
    """The sg-bto scenario allocated with and without its caps (seed 0, as ``commonground demo`` does)."""
    sc = get_scenario("sg-bto")
    results = {"with caps": allocate(sc.problem, sc.policy, sc.mechanism, seed=0),
               "without caps": allocate(sc.problem, sc.policy.without_caps(), sc.mechanism, seed=0)}
    return sc, results


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """The folder ``commonground demo`` writes (it writes report.html through write_comparison_report)."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--seed", "0"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def demo_html(demo_dir) -> str:
    """The comparison report ``commonground demo`` wrote (rendered from the Allocation objects in memory)."""
    return (demo_dir / "report.html").read_text(encoding="utf-8")


def tiny_inputs(folder, *, coordinates: bool = True):
    """Two blocks of 10 flats (B1 half occupied, B2 new) and 24 applicants of the four EIP groups."""
    folder.mkdir(parents=True, exist_ok=True)
    occ = ["Chinese", "Chinese", "Malay", "Malay", "Malay"] + [None] * 5 + [None] * 10
    flats = pd.DataFrame({"flat_id": [f"F{i:02d}" for i in range(20)],
                          "block_id": ["B1"] * 10 + ["B2"] * 10, "neighbourhood_id": "N1",
                          "occupant_ethnicity": occ})
    if coordinates:
        flats["lat"] = np.where(flats["block_id"] == "B1", 1.35, 1.352)
        flats["lng"] = np.where(flats["block_id"] == "B1", 103.94, 103.943)
    groups = ["Chinese"] * 12 + ["Malay"] * 8 + ["Indian"] * 2 + ["Others"] * 2
    hh = pd.DataFrame({"household_id": [f"H{i:02d}" for i in range(24)], "ethnicity": groups})
    flats.to_csv(folder / "flats.csv", index=False)
    hh.to_csv(folder / "households.csv", index=False)
    return read_problem(folder / "flats.csv", folder / "households.csv")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A tiny problem allocated under the 2010 EIP caps, written as ``commonground allocate`` would, with the
    inputs (and coordinates) beside it in the demo layout: ``<root>/inputs/flats.csv``, ``<root>/run/``."""
    root = tmp_path_factory.mktemp("tiny")
    problem = tiny_inputs(root / "inputs")
    result = allocate(problem, load_policy("sg-eip-2010"), "ballot", seed=1)
    result.write(root / "run")
    return root, result


@pytest.fixture(scope="session")
def uk_demo_dir(tmp_path_factory):
    """The folder ``commonground demo --scenario uk-town`` writes (cbl with and without the example caps)."""
    out = tmp_path_factory.mktemp("uk-demo") / "demo"
    res = CliRunner().invoke(app, ["demo", "--scenario", "uk-town", "--out", str(out), "--seed", "0"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def chromium_browser():
    """Headless Debian Chromium driven by Playwright (installed by the service tests' fixture or apt-get; the
    test is skipped when it is absent)."""
    from pathlib import Path

    exe = Path("/usr/bin/chromium")
    if not exe.exists():
        pytest.skip(f"{exe} not found; install Debian's chromium package (tests/service installs it as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(exe), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()
