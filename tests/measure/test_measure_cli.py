"""``commonground measure``: reads CSV/Parquet, prints a Rich table or writes a file; bad input exits 2.

Expected values: the hand-worked 2 x 2 table (D = 0.6) and, for the real file, the library call itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.measure import INDICES, Counts, measure

runner = CliRunner()


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    p = tmp_path / "blocks.csv"
    pd.DataFrame({"block": ["007", "010", "011", "012"], "town": ["A", "A", "B", "B"],
                  "x": [8, 2, 5, 5], "y": [2, 8, 5, 5]}).to_csv(p, index=False)
    return p


def test_prints_rich_table(small_csv: Path) -> None:
    r = runner.invoke(app, ["measure", str(small_csv), "--unit", "block", "--groups", "x,y", "--by", "town",
                            "--index", "D,H"])
    assert r.exit_code == 0, r.output
    assert "D x" in r.output and "0.600" in r.output and "0.000" in r.output
    assert "town" in r.output


def test_writes_csv_and_parquet(small_csv: Path, tmp_path: Path) -> None:
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"out{suffix}"
        r = runner.invoke(app, ["measure", str(small_csv), "--unit", "block", "--groups", "x,y", "--by", "town",
                                "-i", "dissimilarity", "-i", "theil_h", "--to", str(out)])
        assert r.exit_code == 0, r.output
        table = pd.read_csv(out, index_col=0) if suffix == ".csv" else pd.read_parquet(out)
        assert table.loc["A", "dissimilarity[x]"] == pytest.approx(0.6)
        assert list(table.columns) == ["theil_h", "dissimilarity[x]", "dissimilarity[y]"]


def test_tidy_and_all(small_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "tidy.csv"
    r = runner.invoke(app, ["measure", str(small_csv), "--groups", "x,y", "--index", "all", "--tidy", "--to",
                            str(out)])
    assert r.exit_code == 0, r.output
    tidy = pd.read_csv(out)
    assert set(tidy["index"]) == set(INDICES)  # every registered index
    assert len(tidy) == sum(2 if s.family == "single" else 1 for s in INDICES.values())


def test_parquet_input_matches_library(ew_oa: pd.DataFrame, tmp_path: Path) -> None:
    src = tmp_path / "oa.parquet"
    subset = ew_oa[ew_oa["RGN"] == "Wales"]
    subset.to_parquet(src)
    out = tmp_path / "wales.csv"
    groups = "WhiteBrit,Indian,Pakistani,BlkAfrican,Chinese"
    r = runner.invoke(app, ["measure", str(src), "--unit", "OA", "--groups", groups, "--by", "LAD", "--total",
                            "Persons", "--to", str(out)])
    assert r.exit_code == 0, r.output
    expected = measure(Counts.from_frame(subset, groups.split(","), total="Persons", by="LAD", unit="OA"),
                       ["multi_dissimilarity", "theil_h", "multi_gini", "normalized_exposure", "squared_cv",
                        "entropy_diversity", "simpson_interaction"])
    got = pd.read_csv(out, index_col=0)
    pd.testing.assert_frame_equal(got, expected, check_names=False, rtol=1e-12)


@pytest.mark.parametrize(("args", "message"), [
    (["--groups", "x,nope"], "no column 'nope'"),
    (["--groups", "x,y", "--by", "county"], "no column 'county'"),
    (["--groups", "x,y", "--index", "segregatedness"], "unknown index"),
    (["--groups", " , "], "--groups names no columns"),
    (["--groups", "x", "--total", "y"], "exceeds the unit total"),  # x = 8 > y = 2 in the first row
])
def test_bad_arguments_exit_2(small_csv: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never.csv"
    r = runner.invoke(app, ["measure", str(small_csv), *args, "--to", str(out)])
    assert r.exit_code == 2
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1  # one line
    assert [p.name for p in tmp_path.iterdir()] == ["blocks.csv"]  # nothing written, not even a temp file


def test_bad_data_exits_2_without_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"block": ["a", "b"], "x": [3, -1], "y": [1, 1]}).to_csv(bad, index=False)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["measure", str(bad), "--unit", "block", "--groups", "x,y", "--to", str(out)])
    assert r.exit_code == 2
    assert "row 2" in r.output and "column 'x'" in r.output and "negative" in r.output
    assert not out.exists()
    text = tmp_path / "text.csv"
    pd.DataFrame({"x": ["3", "many"], "y": [1, 1]}).to_csv(text, index=False)
    r = runner.invoke(app, ["measure", str(text), "--groups", "x,y"])
    assert r.exit_code == 2 and "not a number: 'many'" in r.output


def test_missing_file_and_bad_suffixes(small_csv: Path, tmp_path: Path) -> None:
    r = runner.invoke(app, ["measure", str(tmp_path / "nope.csv"), "--groups", "x,y"])
    assert r.exit_code == 2 and "no such file" in r.output
    r = runner.invoke(app, ["measure", str(small_csv.with_suffix(".xlsx")), "--groups", "x,y"])
    assert r.exit_code == 2 and "unsupported file type" in r.output
    r = runner.invoke(app, ["measure", str(small_csv), "--groups", "x,y", "--to", str(tmp_path / "o.json")])
    assert r.exit_code == 2 and "unsupported output type" in r.output
