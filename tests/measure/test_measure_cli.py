"""``commonground measure``: reads CSV/Parquet, prints a Rich table or writes an output folder; bad input exits 2.

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
    out = tmp_path / "out"
    r = runner.invoke(app, ["measure", str(small_csv), "--unit", "block", "--groups", "x,y", "--by", "town",
                            "-i", "dissimilarity", "-i", "theil_h", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["indices.csv", "indices.parquet", "manifest.json"]
    for table in (pd.read_csv(out / "indices.csv", index_col=0), pd.read_parquet(out / "indices.parquet")):
        assert table.loc["A", "dissimilarity[x]"] == pytest.approx(0.6)
        assert list(table.columns) == ["theil_h", "dissimilarity[x]", "dissimilarity[y]", "notes"]
        assert all(pd.isna(v) or v == "" for v in table["notes"])  # nothing blank, nothing to explain


def test_tidy_and_all(small_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "tidy"
    r = runner.invoke(app, ["measure", str(small_csv), "--groups", "x,y", "--index", "all", "--tidy", "--out",
                            str(out)])
    assert r.exit_code == 0, r.output
    tidy = pd.read_csv(out / "indices.csv")
    assert set(tidy["index"]) == set(INDICES)  # every registered index
    assert len(tidy) == sum(2 if s.family == "single" else 1 for s in INDICES.values())


def test_parquet_input_matches_library(ew_oa: pd.DataFrame, tmp_path: Path) -> None:
    src = tmp_path / "oa.parquet"
    subset = ew_oa[ew_oa["RGN"] == "Wales"]
    subset.to_parquet(src)
    out = tmp_path / "wales"
    groups = "WhiteBrit,Indian,Pakistani,BlkAfrican,Chinese"
    r = runner.invoke(app, ["measure", str(src), "--unit", "OA", "--groups", groups, "--by", "LAD", "--total",
                            "Persons", "--out", str(out)])
    assert r.exit_code == 0, r.output
    expected = measure(Counts.from_frame(subset, groups.split(","), total="Persons", by="LAD", unit="OA"),
                       ["multi_dissimilarity", "theil_h", "multi_gini", "normalized_exposure", "squared_cv",
                        "entropy_diversity", "simpson_interaction"])
    got = pd.read_csv(out / "indices.csv", index_col=0).drop(columns="notes")
    pd.testing.assert_frame_equal(got, expected, check_names=False, rtol=1e-12)


@pytest.mark.parametrize(("args", "message"), [
    (["--groups", "x,nope"], "no column 'nope'"),
    (["--groups", "x,y", "--by", "county"], "no column 'county'"),
    (["--groups", "x,y", "--index", "segregatedness"], "unknown index"),
    (["--groups", " , "], "--groups names no columns"),
    (["--groups", "x", "--total", "y"], "exceeds the unit total"),  # x = 8 > y = 2 in the first row
])
def test_bad_arguments_exit_2(small_csv: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    r = runner.invoke(app, ["measure", str(small_csv), *args, "--out", str(out)])
    assert r.exit_code == 2
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1  # one line
    assert [p.name for p in tmp_path.iterdir()] == ["blocks.csv"]  # nothing written, not even a temp file


def test_bad_data_exits_2_without_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"block": ["a", "b"], "x": [3, -1], "y": [1, 1]}).to_csv(bad, index=False)
    out = tmp_path / "out"
    r = runner.invoke(app, ["measure", str(bad), "--unit", "block", "--groups", "x,y", "--out", str(out)])
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
    for name in ("o.json", "o.csv", "o.parquet"):
        r = runner.invoke(app, ["measure", str(small_csv), "--groups", "x,y", "--out", str(tmp_path / name)])
        assert r.exit_code == 2 and "--out names a folder" in r.output
        assert not (tmp_path / name).exists()


# -- issue 9, trap 10: blank cells are explained, a header-only file says so, --out behaves like every command's --


def test_blank_cells_are_explained_in_a_notes_column_and_on_stderr(tmp_path: Path) -> None:
    """Region C has zero population: every index is 0/0. In region A group y has no members and x is everyone:
    D[y] divides by y's total (0), D[x] by the rest's (0), Theil's H by the entropy of A (0, one group).
    Region B is the hand-worked D = 0.5 * (|0.8 - 0.2| + |0.2 - 0.8|) = 0.6 with nothing blank."""
    counts = tmp_path / "c.csv"
    pd.DataFrame({"unit": ["a1", "a2", "b1", "b2", "c1"], "region": ["A", "A", "B", "B", "C"],
                  "x": [1, 2, 8, 2, 0], "y": [0, 0, 2, 8, 0]}).to_csv(counts, index=False)
    out = tmp_path / "m"
    r = runner.invoke(app, ["measure", str(counts), "-u", "unit", "-b", "region", "-g", "x,y", "-i", "D,H",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "indices.csv", index_col=0, keep_default_na=False, na_values=[""])
    assert table.loc["B", "dissimilarity[x]"] == pytest.approx(0.6)  # 0.5 * (|.8 - .2| + |.2 - .8|)
    assert table.loc["B", "notes"] != table.loc["B", "notes"]  # NaN: nothing to explain in B
    assert table.loc["C"].drop("notes").isna().all()
    assert table.loc["C", "notes"] == "region has zero population: every index is undefined"
    assert pd.isna(table.loc["A", "dissimilarity[y]"])
    assert table.loc["A"].drop("notes").isna().all()
    assert table.loc["A", "notes"] == ("only one group is present in this region; group 'x' is the whole "
                                       "population of this region; group 'y' has no members in this region")
    assert "note: blank cells (undefined indices) in 2 row(s) (A, C)" in r.stderr
    assert "zero population" in r.stderr and "group 'y' has no members" in r.stderr
    tidy = tmp_path / "t"
    r = runner.invoke(app, ["measure", str(counts), "-u", "unit", "-b", "region", "-g", "x,y", "-i", "D",
                            "--tidy", "--out", str(tidy)])
    assert r.exit_code == 0, r.output
    long = pd.read_csv(tidy / "indices.csv", keep_default_na=False, na_values=[""])
    blank = long[long["value"].isna()]
    assert len(blank) == 4 and blank["notes"].notna().all()  # C: x and y; A: x and y
    assert long.loc[long["value"].notna(), "notes"].isna().all()


def test_printed_table_with_blank_cells_says_why_on_stderr(tmp_path: Path) -> None:
    counts = tmp_path / "c.csv"
    pd.DataFrame({"region": ["A", "A", "C"], "x": [1, 3, 0], "y": [2, 1, 0]}).to_csv(counts, index=False)
    r = runner.invoke(app, ["measure", str(counts), "-b", "region", "-g", "x,y"])
    assert r.exit_code == 0, r.output
    assert "note: blank cells (undefined indices) in 1 row(s) (C): region has zero population" in r.stderr


def test_header_only_csv_is_a_no_rows_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    r = runner.invoke(app, ["measure", str(empty), "--groups", "a,b"])
    assert r.exit_code == 2
    assert "no rows" in r.output and "not numeric" not in r.output
    assert str(empty) in r.output and len(r.output.strip().splitlines()) == 1


def test_out_creates_its_folder_with_shared_modes(small_csv: Path, tmp_path: Path) -> None:
    """Like allocate, demo, simulate and price-of-diversity: --out is a folder, created with its parents,
    files 0644 and folders 0755 (under the usual umask 022), never the private 0600 of a temporary file."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "new" / "deeper" / "m"
        r = runner.invoke(app, ["measure", str(small_csv), "--groups", "x,y", "--out", str(out)])
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {
        "indices.csv": 0o644, "indices.parquet": 0o644, "manifest.json": 0o644}
