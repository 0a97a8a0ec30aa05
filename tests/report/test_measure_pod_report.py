"""Measurement (index table) and price-of-diversity reports, from the files the colleagues' commands write."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.io.schema import read_manifest, write_manifest
from commonground.measure import Counts, measure
from commonground.report import render_report, write_report
from commonground.report.measurement import read_index_table

from .helpers import card, check_page, section_ids

runner = CliRunner()
COUNTS = pd.DataFrame({"unit": ["a1", "a2", "a3", "b1", "b2", "b3"], "town": ["Alpha"] * 3 + ["Beta"] * 3,
                       "White": [90, 10, 50, 30, 30, 30], "Asian": [5, 80, 25, 30, 35, 25],
                       "Black": [5, 10, 25, 40, 35, 45]})


def expected(index: str) -> pd.DataFrame:
    c = Counts.from_frame(COUNTS, ["White", "Asian", "Black"], unit="unit", by="town")
    return measure(c, [index])


@pytest.fixture(scope="module")
def counts_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("measure") / "towns.csv"
    COUNTS.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("out_name, extra, table", [("wide", [], "indices.csv"), ("wide", [], "indices.parquet"),
                                                    ("tidy", ["--tidy"], "indices.csv"),
                                                    ("tidy", ["--tidy"], "indices.parquet")])
def test_index_tables_written_by_commonground_measure(counts_csv, out_name, extra, table):
    out = counts_csv.parent / out_name
    res = runner.invoke(app, ["measure", str(counts_csv), "-g", "White,Asian,Black", "-u", "unit", "-b", "town",
                              "-i", "theil_h,multi_dissimilarity,dissimilarity", "-o", str(out), *extra])
    assert res.exit_code == 0, res.output
    tidy = read_index_table(out / table)
    assert set(tidy["town"]) == {"Alpha", "Beta"}  # region labels survive CSV and Parquet, wide and tidy
    assert "notes" not in tidy.columns
    html = render_report(out / table if table.endswith(".parquet") else out)  # the folder, or a table file
    check_page(html)
    assert {"multigroup-indices", "single-group-indices"} <= set(section_ids(html))
    h, d = expected("theil_h"), expected("dissimilarity")
    for town in ("Alpha", "Beta"):
        row = re.search(rf"<td>{town}</td>((?:<td class=\"num\">[^<]*</td>)+)</tr>", html)
        assert row, town
        cells = re.findall(r">([^<]*)<", row.group(1))
        assert f"{h.loc[town, 'theil_h']:.3f}" in cells
    table = html[html.index("dissimilarity: dissimilarity D"):]
    for town in ("Alpha", "Beta"):
        row = re.search(rf"<td>{town}</td><td class=\"num\">([^<]*)</td><td class=\"num\">([^<]*)</td>"
                        rf"<td class=\"num\">([^<]*)</td>", table)
        groups = re.findall(r"<th[^>]*>([^<]*)</th>", table[:table.index("</thead>")])[1:]
        got = dict(zip(groups, row.groups(), strict=True))
        for g in ("White", "Asian", "Black"):
            assert got[g] == f"{d.loc[town, f'dissimilarity[{g}]']:.3f}"
    written = write_report(out)
    assert written == out / "report.html" and written.is_file()
    assert read_manifest(out).has("report.html")  # the folder's manifest lists the report it now holds
    if table.endswith(".parquet"):
        written = write_report(out / table)
        assert written == out / "indices.report.html" and written.is_file()


def test_a_measure_folder_shows_only_its_own_table(counts_csv, tmp_path):
    out = tmp_path / "m"
    res = runner.invoke(app, ["measure", str(counts_csv), "-g", "White,Asian,Black", "-u", "unit", "-o", str(out)])
    assert res.exit_code == 0, res.output
    (out / "other.csv").write_text("theil_h\n0.5\n")  # an index table the run did not write: not shown
    html = render_report(out)
    check_page(html)
    assert "Index tables: indices.parquet" in html and "other.csv" not in html


POD = {"policy": "sg-eip-2010", "households": 30, "vacant_flats": 12, "welfare_optimal": 100.0,
       "welfare_optimal_unconstrained": 108.0, "price_of_diversity": 1.08, "housed_optimal": 12,
       "housed_optimal_unconstrained": 12, "optimal_method": "flow", "optimal_exact": True, "optimal_gap": 0.0,
       "ballot_seeds": 2, "ballot_welfare_mean": 80.0, "ballot_welfare_sd": 1.0, "ballot_welfare_min": 79.0,
       "ballot_welfare_max": 81.0, "ballot_welfare_unconstrained_mean": 84.0, "ballot_welfare_unconstrained_sd": 1.0,
       "ballot_welfare_unconstrained_min": 83.0, "ballot_welfare_unconstrained_max": 85.0,
       "ballot_price_of_diversity_mean": 1.05012, "ballot_share_of_optimum_mean": 0.8}


def test_price_of_diversity_folder(tmp_path):
    (tmp_path / "price_of_diversity.json").write_text(json.dumps(POD))
    pd.DataFrame({"seed": [0, 1], "welfare": [79.0, 81.0], "welfare_unconstrained": [83.0, 85.0],
                  "price_of_diversity": [83 / 79, 85 / 81]}).to_csv(tmp_path / "ballots.csv", index=False)
    pd.DataFrame({"mechanism": ["optimal", "optimal", "ballot", "ballot"], "attribute": "ethnicity",
                  "group": ["Chinese", "Malay"] * 2, "share_housed": [0.5, 0.25, 0.4, 0.3]}).to_csv(
        tmp_path / "groups.csv", index=False)
    pd.DataFrame({"group": ["Chinese", "Malay"], "max_envy": [0.0, 3.5], "envies_most": ["", "Chinese"]}).to_csv(
        tmp_path / "fairness.csv", index=False)
    write_manifest(tmp_path, "price-of-diversity")
    html = render_report(tmp_path)
    check_page(html)
    assert card(html, "price of diversity (optimal)") == "1.0800"
    assert card(html, "ballot price of diversity (mean)") == "1.0501"
    assert card(html, "ballot welfare / optimal (with caps)") == "80.0%"
    assert "<td>optimal</td><td class=\"num\">100</td><td class=\"num\">108</td><td class=\"num\">1.0800</td>" in html
    assert f"<td class=\"num\">{83 / 79:.4f}</td>" in html  # per seed
    assert {"price-of-diversity", "ballot-seeds", "groups-under-each-mechanism",
            "group-envy-under-the-optimal-allocation"} <= set(section_ids(html))
    assert 'class="caution"' not in html  # every group housed under both mechanisms, PoD above 1
    # The optimum housing no Malay applicant, and a ballot PoD below 1, each bring their caution.
    pd.DataFrame({"mechanism": ["optimal", "optimal"], "group": ["Chinese", "Malay"],
                  "share_housed": [0.5, 0.0]}).to_csv(tmp_path / "groups.csv", index=False)
    (tmp_path / "price_of_diversity.json").write_text(json.dumps({**POD, "ballot_price_of_diversity_mean": 0.98}))
    write_manifest(tmp_path, "price-of-diversity")
    html = render_report(tmp_path)
    assert "Caution: optimal houses no Malay applicant." in html
    assert "The price of diversity of the ballot is below 1 (0.9800)" in html


def test_price_of_diversity_command_output(tmp_path):
    out = tmp_path / "pod"
    res = runner.invoke(app, ["price-of-diversity", "--scenario", "sg-bto", "--replicates", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = render_report(out)
    check_page(html)
    s = json.loads((out / "price_of_diversity.json").read_text())
    assert card(html, "price of diversity (optimal)") == f"{s['price_of_diversity']:.4f}"
    assert card(html, "optimal welfare with caps") == f"{s['welfare_optimal']:,.1f}"
    # The lottery ratio (issue 11), recomputed from the summary's own welfare figures.
    assert card(html, "lottery ratio (optimal without caps / ballot with caps)") == (
        f"{s['welfare_optimal_unconstrained'] / s['ballot_welfare_mean']:.4f}")
    groups = pd.read_csv(out / "groups.csv")
    zero = groups[groups["share_housed"] == 0]
    for m, g in zip(zero["mechanism"], zero["group"], strict=True):  # docs: the optimum houses no "Others"
        assert f"{m} houses no {g} applicant" in html
    assert ('class="caution"' in html) == (len(zero) > 0 or s["price_of_diversity"] < 1)


def test_large_measurement_table_is_ranked_not_alphabetical(tmp_path):
    """100 regions named A000..A099 with Theil's H rising along the alphabet: the table starts with the highest
    H (A099), holds every region (searchable, paged on screen) and the ranked chart is drawn."""
    n = 100
    df = pd.DataFrame({"region": [f"A{i:03d}" for i in range(n)], "theil_h": np.linspace(0.01, 0.5, n),
                       "multi_dissimilarity": np.linspace(0.1, 0.7, n),
                       "dissimilarity[Malay]": np.linspace(0.2, 0.3, n)})
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    html = render_report(path)
    check_page(html)
    firsts = re.findall(r"<tr><td>(A\d{3})</td>", html)
    assert firsts[:3] == ["A099", "A098", "A097"]
    assert len(set(firsts)) == n  # every region in the page, none cut at 200 or alphabetically
    assert "data-paged" in html and "15 highest theil_h" in html
