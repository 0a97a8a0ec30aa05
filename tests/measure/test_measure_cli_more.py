"""``commonground measure spatial | null | compare`` and the default ``measure FILE`` still working.

Expected values: the library functions called directly (already checked against PySAL elsewhere), and a
hand-built simulation result whose year-on-year differences are worked out in the test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.measure import Counts, dissimilarity, mutual_difference, theil_h
from commonground.measure import explicit as ex

runner = CliRunner()


def _tidy_csv(path: Path) -> pd.DataFrame:
    got = pd.read_csv(path, dtype={"group": str})
    got["group"] = got["group"].fillna("")  # multigroup indices have no group
    return got


def test_default_table_still_runs(shared_data: Path) -> None:
    r = runner.invoke(app, ["measure", str(shared_data / "us_sacramento_tracts_2000.csv"), "-g", "WHITE_,BLACK_",
                            "-i", "D"])
    assert r.exit_code == 0, r.output
    assert "0.580" in r.output


def test_spatial_with_edges_and_xy(shared_data: Path, tmp_path: Path, sacramento: pd.DataFrame,
                                   sac_xy_area) -> None:
    xy, area = sac_xy_area
    table = sacramento.assign(x=xy[:, 0], y=xy[:, 1], area=area)
    path = tmp_path / "sac.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "spatial"
    r = runner.invoke(app, ["measure", "spatial", str(path), "-g", "BLACK_,HISP_", "-t", "TOT_POP", "-u", "POLYID",
                            "--x", "x", "--y", "y", "--area", "area", "--edges",
                            str(shared_data / "us_sacramento_tracts_2000_queen_contiguity_edges.csv"),
                            "-i", "delta,absolute_centralization,spatial_dissimilarity", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "manifest.json").exists() and (out / "spatial.parquet").exists()
    got = _tidy_csv(out / "spatial.csv")
    assert list(got.columns) == ["unit", "by", "index", "group", "value"]
    c = Counts.from_frame(sacramento, ["BLACK_", "HISP_"], total="TOT_POP", unit="POLYID")
    row = got[(got["index"] == "delta") & (got["group"] == "BLACK_")]
    assert row["value"].iloc[0] == pytest.approx(ex.delta(c, area).loc["all", "BLACK_"], abs=1e-12)
    row = got[(got["index"] == "absolute_centralization") & (got["group"] == "HISP_")]
    assert row["value"].iloc[0] == pytest.approx(ex.absolute_centralization(c, xy, area).loc["all", "HISP_"],
                                                 abs=1e-12)
    assert set(got["unit"]) == {"POLYID"} and set(got["by"]) == {"all"}


def test_spatial_with_polygons(shared_data: Path, sacramento: pd.DataFrame, sac_gdf) -> None:
    pytest.importorskip("geopandas")
    r = runner.invoke(app, ["measure", "spatial", str(shared_data / "us_sacramento_tracts_2000.csv"), "-g", "BLACK_",
                            "-t", "TOT_POP", "-u", "POLYID", "--geometry",
                            str(shared_data / "sacramento_shp" / "sacramentot2.shp"), "-i", "boundary_dissimilarity"])
    assert r.exit_code == 0, r.output
    assert "geographic CRS" in r.output  # it says it projected the WGS84 shapefile


def test_spatial_bad_input_exits_2(shared_data: Path, tmp_path: Path) -> None:
    f = str(shared_data / "us_sacramento_tracts_2000.csv")
    r = runner.invoke(app, ["measure", "spatial", f, "-g", "BLACK_", "-i", "delta"])
    assert r.exit_code == 2 and "needs unit areas" in r.output
    r = runner.invoke(app, ["measure", "spatial", f, "-g", "BLACK_", "-i", "nonsense", "--out",
                            str(tmp_path / "x")])
    assert r.exit_code == 2 and "unknown spatial index" in r.output
    assert not (tmp_path / "x").exists()
    r = runner.invoke(app, ["measure", "spatial", f, "-g", "BLACK_", "-i", "delta", "--out",
                            str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "names a folder" in r.output
    bad = tmp_path / "edges.csv"
    pd.DataFrame({"a": [1, 2], "b": [2, 999999]}).to_csv(bad, index=False)
    r = runner.invoke(app, ["measure", "spatial", f, "-g", "BLACK_", "-u", "POLYID", "--edges", str(bad), "-i",
                            "spatial_dissimilarity"])
    assert r.exit_code == 2 and "999999" in r.output


def test_null_command(shared_data: Path) -> None:
    r = runner.invoke(app, ["measure", "null", str(shared_data / "us_sacramento_tracts_2000.csv"), "-g",
                            "BLACK_,HISP_", "-t", "TOT_POP", "-i", "D", "--null", "systematic", "--reps", "9",
                            "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert "observed" in r.output and "p_value" in r.output
    r = runner.invoke(app, ["measure", "null", str(shared_data / "us_sacramento_tracts_2000.csv"), "-g", "BLACK_",
                            "--null", "bogus"])
    assert r.exit_code == 2


def test_compare_tables(ew_oa: pd.DataFrame, tmp_path: Path) -> None:
    groups = ["WhiteBrit", "Pakistani", "Indian"]
    a, b = tmp_path / "slough.csv", tmp_path / "oldham.csv"
    ew_oa[ew_oa["LAD"] == "Slough"].to_csv(a, index=False)
    ew_oa[ew_oa["LAD"] == "Oldham"].to_csv(b, index=False)
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["measure", "compare", str(a), str(b), "-g", ",".join(groups), "-u", "OA", "-i",
                            "D,H", "--decompose", "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = _tidy_csv(out / "comparison.csv")
    ca = Counts.from_frame(ew_oa[ew_oa["LAD"] == "Slough"], groups)
    cb = Counts.from_frame(ew_oa[ew_oa["LAD"] == "Oldham"], groups)
    d = got[(got["index"] == "dissimilarity") & (got["group"] == "Pakistani")].iloc[0]
    assert d["difference"] == pytest.approx(dissimilarity(cb).iloc[0]["Pakistani"] -
                                            dissimilarity(ca).iloc[0]["Pakistani"], abs=1e-12)
    assert d["spatial"] + d["composition"] == pytest.approx(d["difference"], abs=1e-12)
    h = got[got["index"] == "theil_h"].iloc[0]
    assert h["b"] - h["a"] == pytest.approx(theil_h(cb).iloc[0] - theil_h(ca).iloc[0], abs=1e-12)
    m = got[got["index"] == "mutual_information"].iloc[0]  # different units: all change is additions/removals
    assert m["additions_removals"] == pytest.approx(m["difference"], abs=1e-12)


def test_compare_allocation_folders(tmp_path: Path) -> None:
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert r.exit_code == 0, r.output
    caps, free = tmp_path / "demo" / "with-caps", tmp_path / "demo" / "without-caps"
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["measure", "compare", str(free), str(caps), "--level", "block", "--decompose",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = _tidy_csv(out / "comparison.csv")
    comp = pd.read_csv(caps / "composition.csv", dtype={"unit_id": str, "value": str})
    attr = comp["attribute"].iloc[0]
    sub = comp[(comp["attribute"] == attr) & (comp["level"] == "block")]
    wide_caps = sub.pivot_table(index="unit_id", columns="value", values="count", aggfunc="sum", fill_value=0)
    sub_f = pd.read_csv(free / "composition.csv", dtype={"unit_id": str, "value": str})
    sub_f = sub_f[(sub_f["attribute"] == attr) & (sub_f["level"] == "block")]
    wide_free = sub_f.pivot_table(index="unit_id", columns="value", values="count", aggfunc="sum", fill_value=0)
    h = got[got["index"] == "theil_h"].iloc[0]
    assert h["b"] == pytest.approx(theil_h(Counts(wide_caps.to_numpy(float))).iloc[0], abs=1e-12)
    m = got[got["index"] == "mutual_information"].iloc[0]
    ref = mutual_difference(wide_free.reindex(wide_caps.index, fill_value=0).to_numpy(float),
                            wide_caps.to_numpy(float))
    assert m["structural"] == pytest.approx(ref["structural"], abs=1e-9)
    # before vs after in one folder: existing residents against everyone after the allocation
    r = runner.invoke(app, ["measure", "compare", str(caps), str(caps), "--when-a", "before", "-i", "H"])
    assert r.exit_code == 0, r.output


def test_compare_simulation_years(tmp_path: Path) -> None:
    # a hand-built results.parquet: 3 replicates, the metric rises by 0.1, 0.2, 0.3 from year 0 to year 10
    rows = []
    for rep, (v0, v10) in enumerate([(0.5, 0.6), (0.4, 0.6), (0.3, 0.6)]):
        rows += [("base", "caps", rep, 0, "block.theil_h", v0), ("base", "caps", rep, 10, "block.theil_h", v10)]
    sim = tmp_path / "sim"
    sim.mkdir()
    pd.DataFrame(rows, columns=["scenario", "policy", "replicate", "year", "metric", "value"]).to_parquet(
        sim / "results.parquet")
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["measure", "compare", str(sim), str(sim), "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out / "comparison.csv").iloc[0]
    assert got["a"] == pytest.approx(0.4) and got["b"] == pytest.approx(0.6)
    assert got["difference"] == pytest.approx(0.2) and got["sd"] == pytest.approx(0.1)
    assert got["ci95_low"] == pytest.approx(0.2 - 1.96 * 0.1 / np.sqrt(3))
    r = runner.invoke(app, ["measure", "compare", str(sim), str(sim), "--year-b", "7"])
    assert r.exit_code == 2 and "no year 7" in r.output


def test_compare_mismatched_kinds(tmp_path: Path, shared_data: Path) -> None:
    sim = tmp_path / "sim"
    sim.mkdir()
    pd.DataFrame({"scenario": [], "policy": [], "replicate": [], "year": [], "metric": [], "value": []}).to_parquet(
        sim / "results.parquet")
    r = runner.invoke(app, ["measure", "compare", str(shared_data / "us_sacramento_tracts_2000.csv"), str(sim)])
    assert r.exit_code == 2 and "cannot compare" in r.output


def test_compare_zero_cells_fail_clearly_unless_zero_fill(tmp_path: Path) -> None:
    # R segregation's "zero weights" tables (test_mutual_difference.R; see test_measure_vs_r_segregation): on the
    # common units no table has A's zero cells and B's margins. Without --zero-fill the command names the option
    # and writes nothing; with it, M's parts are R's (1e-10 fill) as mutual_difference gives them.
    a_tab = np.array([[0, 30, 20, 10], [5, 10, 15, 20], [4, 3, 2, 1]], dtype=float)
    b_tab = np.array([[40, 20, 20, 15], [5, 10, 10, 0], [1, 2, 3, 4]], dtype=float)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    cols = ["g1", "g2", "g3", "g4"]
    pd.DataFrame(a_tab, columns=cols).assign(unit=["a", "b", "c"]).to_csv(a, index=False)
    pd.DataFrame(b_tab, columns=cols).assign(unit=["a", "b", "d"]).to_csv(b, index=False)
    out = tmp_path / "cmp"
    args = ["measure", "compare", str(a), str(b), "-g", ",".join(cols), "-u", "unit", "-i", "M", "--decompose",
            "--out", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "--zero-fill 1e-10" in r.output, r.output
    assert not out.exists()
    r = runner.invoke(app, [a for a in args if a != "--decompose"] + ["--zero-fill", "1e-10"])
    assert r.exit_code == 2 and "--zero-fill applies with --decompose only" in r.output, r.output
    r = runner.invoke(app, [*args, "--zero-fill", "-1"])
    assert r.exit_code == 2 and "--zero-fill" in r.output, r.output
    assert not out.exists()
    r = runner.invoke(app, [*args, "--zero-fill", "1e-10"])
    assert r.exit_code == 0, r.output
    m = _tidy_csv(out / "comparison.csv").query("index == 'mutual_information'").iloc[0]
    union = ["a", "b", "c", "d"]
    xa = pd.DataFrame(a_tab, index=["a", "b", "c"]).reindex(union, fill_value=0).to_numpy()
    xb = pd.DataFrame(b_tab, index=["a", "b", "d"]).reindex(union, fill_value=0).to_numpy()
    ref = mutual_difference(xa, xb, zero_fill=1e-10)
    for part in ("group_marginal", "unit_marginal", "structural", "additions_removals"):
        assert m[part] == pytest.approx(ref[part], abs=1e-12), part
