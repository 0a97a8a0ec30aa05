"""Simulation reports from a synthetic tidy results table with known quantiles."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from commonground.errors import InputError
from commonground.io.schema import write_manifest
from commonground.report import render_report
from commonground.report.simulation import bands, final_year_table, metric_families

from .helpers import check_page, section_ids

METRICS = ("block.theil_h", "block.dissimilarity.Malay", "block.dissimilarity.Chinese", "sales")


def synthetic_results(replicates: int = 20) -> pd.DataFrame:
    """value = replicate + 100 * year (+ 1000 under 'eip', + 0.5 in scenario 'growth'), for each metric:
    across 20 replicates the median is 9.5, the 5% quantile 0.95 and the 95% quantile 18.05 (plus the offsets)."""
    rows = []
    for sc, s_off in (("steady", 0.0), ("growth", 0.5)):
        for pol, p_off in (("none", 0.0), ("eip", 1000.0)):
            for r in range(replicates):
                for year in range(4):
                    for m in METRICS:
                        rows.append((sc, pol, r, year, m, r + 100 * year + p_off + s_off))
    return pd.DataFrame(rows, columns=["scenario", "policy", "replicate", "year", "metric", "value"])


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    df = synthetic_results()
    df.to_parquet(out / "results.parquet", index=False)
    s = df.groupby(["scenario", "policy", "year", "metric"], as_index=False)["value"].agg(["count", "mean"])
    s.to_csv(out / "summary.csv", index=False)
    (out / "simulation.json").write_text(json.dumps({"simulation": {"name": "toy", "years": 3, "replicates": 20,
                                                                    "policies": ["none", "eip"]}}))
    write_manifest(out, "simulation")  # a simulation folder assembled by hand, declared as one
    return out


def test_bands_are_quantiles_across_replicates():
    b = bands(synthetic_results()).set_index(["scenario", "policy", "metric", "year"])
    row = b.loc[("steady", "none", "sales", 0)]
    assert row["replicates"] == 20
    assert (row["low"], row["median"], row["high"]) == pytest.approx((0.95, 9.5, 18.05))
    row = b.loc[("growth", "eip", "block.theil_h", 3)]
    assert (row["low"], row["median"], row["high"]) == pytest.approx((1300.0 + 1.45, 1300 + 10.0, 1300 + 18.55))
    # Orders as written (not alphabetical): policies none then eip, scenarios steady then growth.
    assert list(dict.fromkeys(bands(synthetic_results())["policy"])) == ["none", "eip"]


def test_final_year_table_and_families():
    t = final_year_table(bands(synthetic_results()))
    assert list(t.columns) == ["steady / none", "steady / eip", "growth / none", "growth / eip"]
    assert t.loc["sales", "steady / none"] == "310 [301, 318]"  # 300 + (9.5 [0.95, 18.05]), 3 digits
    assert metric_families(list(METRICS)) == {"block.theil_h": ["block.theil_h"],
                                              "block.dissimilarity": ["block.dissimilarity.Malay",
                                                                      "block.dissimilarity.Chinese"],
                                              "": ["sales"]}


def test_simulation_report(sim_dir):
    html = render_report(sim_dir)
    page = check_page(html)
    text = " ".join(page.text)
    assert {"simulation-at-a-glance", "index-trajectories", "other-metrics-over-time", "final-year",
            "summary-table", "simulation-settings"} <= set(section_ids(html))
    for name in ("steady", "growth", "none", "eip", "block.theil_h", "block.dissimilarity", "Malay", "Chinese"):
        assert name in text, name
    traj = html[html.index('id="index-trajectories"'):html.index('id="other-metrics-over-time"')]
    assert traj.count("<svg") == 2  # block.theil_h and the block.dissimilarity family; sales is not an index
    assert "310 [301, 318]" in html
    assert re.search(r"<dt>replicates per scenario and policy</dt><dd>20</dd>", html)
    assert "<dt>simulation.name</dt><dd>toy</dd>" in html and "none, eip" in html


def test_simulation_from_csv_with_one_replicate(tmp_path):
    df = synthetic_results(replicates=1)
    df[df["metric"] == "block.theil_h"].to_csv(tmp_path / "results.csv", index=False)
    write_manifest(tmp_path, "simulation")
    html = render_report(tmp_path)
    check_page(html)
    assert "Only one replicate per scenario and policy" in html
    assert "other-metrics-over-time" not in section_ids(html)


@pytest.mark.parametrize("broken, message", [
    (lambda d: d.drop(columns="replicate"), "missing column(s) replicate"),
    (lambda d: d.assign(value=d["value"].astype(object).where(d.index != 3, "abc")),
     "row 5, column 'value': not a number"),
])
def test_bad_results_name_the_file(tmp_path, broken, message):
    broken(synthetic_results(replicates=2)).to_csv(tmp_path / "results.csv", index=False)
    write_manifest(tmp_path, "simulation")
    with pytest.raises(InputError) as e:
        render_report(tmp_path)
    assert str(tmp_path / "results.csv") in str(e.value) and message in str(e.value)


def test_values_come_through_numerically():
    b = bands(synthetic_results(3))
    assert np.issubdtype(b["median"].dtype, np.floating) and b["year"].is_monotonic_increasing


def test_verdict_decomposition_and_costs(tmp_path):
    """change.new_flats.block.theil_h = 0.001 * replicate under 'caps' (0 under 'no caps'), other parts 0, over
    3 years and replicates 0..4: the summed launch part has median 3 * 0.002 = 0.006 under caps, and the sentence
    names the launch as where the difference comes from."""
    rows = []
    for pol in ("no caps", "caps"):
        for r in range(5):
            for y in range(1, 4):
                for part in ("new_flats", "departures", "moves_out", "moves_in"):
                    v = 0.001 * r if (pol == "caps" and part == "new_flats") else 0.0
                    rows.append(("town", pol, r, y, f"change.{part}.block.theil_h", v))
                rows.append(("town", pol, r, y, "block.theil_h", 0.1))
                rows.append(("town", pol, r, y, "sellers_refused_by_cap", 2.0 if pol == "caps" else 0.0))
    pd.DataFrame(rows, columns=["scenario", "policy", "replicate", "year", "metric", "value"]).to_csv(
        tmp_path / "results.csv", index=False)
    write_manifest(tmp_path, "simulation")
    html = render_report(tmp_path)
    check_page(html)
    assert section_ids(html)[0] == "verdict"
    assert "town / caps: +0.0060 against no caps, mostly from new flats (launch allocation) (+0.0060)" in html
    assert "<td>caps</td><td class=\"num\">6</td>" in html or "<td>caps</td><td>6</td>" in html  # 3 years x 2
    assert "partly selection" in html
