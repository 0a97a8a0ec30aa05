"""One output format (issue 9): every output folder is replaced whole, ends with a manifest naming exactly its
files, and a folder commonground did not write is refused unless ``--force``.

Trap 4 of issue 9 (stale outputs) is reproduced first: on the code before the manifest, a re-run kept the earlier
report.html and the report read a stale Parquet twin instead of the new CSV.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from commonground.allocate import allocate
from commonground.analysis.welfare import PriceOfDiversity
from commonground.cli import app
from commonground.cli.demo import write_comparison
from commonground.errors import InputError
from commonground.io import schema
from commonground.io.atomic import output_folder
from commonground.io.schema import read_manifest, sha256_file
from commonground.report.data import AllocationData
from commonground.simulate.output import write_outputs

from .instances import random_instance

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A small problem as files, and two seeds' allocations of it."""
    folder = tmp_path_factory.mktemp("inputs")
    problem, policy = random_instance(3, 30, 4, 40)
    problem.development.to_frame().to_csv(folder / "flats.csv", index=False)
    problem.households.to_frame().to_csv(folder / "households.csv", index=False)
    return folder, problem, policy


# -- trap 4: stale outputs ---------------------------------------------------------------------------------


def test_rerun_of_allocate_keeps_no_old_file(inputs, tmp_path):
    folder, _, _ = inputs
    out = tmp_path / "run"
    args = ["allocate", "--flats", str(folder / "flats.csv"), "--households", str(folder / "households.csv"),
            "--out", str(out)]
    assert runner.invoke(app, [*args, "--seed", "1"]).exit_code == 0
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "report.html").is_file()
    first = json.loads((out / "summary.json").read_text())
    res = runner.invoke(app, [*args, "--seed", "2", "--mechanism", "cbl"])
    assert res.exit_code == 0, res.output
    assert not (out / "report.html").exists()  # the earlier run's report (its title named that run) is gone
    assert json.loads((out / "summary.json").read_text())["mechanism"] == "cbl" != first["mechanism"]
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == set(read_manifest(out).files) | {"manifest.json"}


def test_report_never_reads_a_stale_parquet_twin(inputs, tmp_path):
    """A run with Parquet twins, then one without (as the web service writes): the report shows the second."""
    _, problem, policy = inputs
    a = allocate(problem, policy, "ballot", seed=1)
    b = allocate(problem, policy, "ballot", seed=2)
    assert not a.same_as(b)
    out = tmp_path / "run"
    a.write(out, parquet=True)
    b.write(out, parquet=False)
    assert not list(out.glob("*.parquet"))
    got = AllocationData.from_folder(out).households
    expected = b.households_frame()
    assert got["flat_id"].fillna("").tolist() == expected["flat_id"].fillna("").tolist()


def test_price_of_diversity_writes_fairness_inside_the_folder_write(inputs, tmp_path, monkeypatch):
    """fairness.csv is part of the one folder write: a failure while writing it leaves the earlier output whole,
    and an output without it (no attribute) keeps no earlier fairness.csv."""
    _, problem, policy = inputs
    pod = _pod(problem, policy, seeds=[0, 1])
    out = tmp_path / "pod"
    fair = pd.DataFrame({"group": ["A", "B"], "max_envy": [0.0, 1.5], "envies_most": ["", "A"]})
    pod.write(out, fairness=fair)
    manifest = read_manifest(out)
    assert manifest.has("fairness.csv") and manifest.files["fairness.csv"]["rows"] == 2
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    real = pd.DataFrame.to_csv

    def fail_on_fairness(self, path=None, *args, **kwargs):
        if path is not None and Path(path).name == "fairness.csv":
            raise OSError("disk full")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_on_fairness)
    with pytest.raises(OSError, match="disk full"):
        _pod(problem, policy, seeds=[5]).write(out, fairness=fair)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pod"]  # no temporary folder left behind
    _pod(problem, policy, seeds=[7]).write(out)
    assert not (out / "fairness.csv").exists()


# -- refusing folders that are not ours ----------------------------------------------------------------------


def test_a_folder_that_is_not_an_output_is_refused_unless_forced(inputs, tmp_path):
    folder, _, _ = inputs
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    args = ["allocate", "--flats", str(folder / "flats.csv"), "--households", str(folder / "households.csv"),
            "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    message = " ".join(res.output.split())
    assert str(out) in message and "not a commonground output" in message and "--force" in message
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]  # nothing written beside it either
    res = runner.invoke(app, [*args, "--force"])
    assert res.exit_code == 0, res.output
    assert not (out / "thesis.tex").exists() and read_manifest(out).kind == "allocation"
    (tmp_path / "a-file").write_text("x")
    res = runner.invoke(app, [*args[:-1], str(tmp_path / "a-file"), "--force"])
    assert res.exit_code == 2 and "is a file" in res.output


@pytest.mark.parametrize("command", [
    ["demo", "--scenario", "uk-town"],
    ["measure", "COUNTS", "--groups", "x,y"],
    ["simulate", "uk-migration", "--in-process", "--replicates", "1", "--no-plots"],
    ["price-of-diversity", "--scenario", "uk-town", "--seeds", "1"],
])
def test_every_command_that_writes_a_folder_refuses_a_foreign_one(tmp_path, command):
    counts = tmp_path / "counts.csv"
    counts.write_text("x,y\n1,2\n3,4\n")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = [str(counts) if a == "COUNTS" else a for a in command]
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "not a commonground output" in " ".join(res.output.split())
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_an_empty_folder_and_an_earlier_output_are_replaced_without_force(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    with output_folder(out, schema.MEASURE) as w:
        w.table(schema.INDICES_TABLE, pd.DataFrame({"theil_h": [0.1]}))
    with output_folder(out, schema.SIMULATION) as w:  # another kind: still ours, so replaced
        w.json(schema.SIM_JSON, {})
    assert read_manifest(out).kind == "simulation" and not (out / "indices.csv").exists()


def test_a_failed_write_leaves_the_earlier_output_whole(tmp_path):
    out = tmp_path / "o"
    with output_folder(out, schema.MEASURE) as w:
        w.table(schema.INDICES_TABLE, pd.DataFrame({"theil_h": [0.1]}))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError), output_folder(out, schema.MEASURE) as w:
        w.table(schema.INDICES_TABLE, pd.DataFrame({"theil_h": [0.9]}))
        raise RuntimeError("bad data found late")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_manifest_of_another_tool_or_a_newer_schema_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "commonground-output", "kind": "measure",
                                                        "schema_version": schema.SCHEMA_VERSION + 1, "files": []}))
    with pytest.raises(InputError, match="newer than this commonground reads"):
        read_manifest(tmp_path)


# -- the property: any output, twice into one folder -----------------------------------------------------


def _pod(problem, policy, seeds, rng=None) -> PriceOfDiversity:
    rng = rng or np.random.default_rng(0)
    opt = allocate(problem, policy, "ballot", seed=0)  # stands in for the optimum: only its tables are written
    ballots = pd.DataFrame({"seed": seeds, "welfare": rng.random(len(seeds)),
                            "welfare_unconstrained": rng.random(len(seeds)),
                            "price_of_diversity": rng.random(len(seeds)), "share_of_optimum": rng.random(len(seeds)),
                            "housed": rng.integers(0, 9, len(seeds)),
                            "housed_unconstrained": rng.integers(0, 9, len(seeds))})
    groups = pd.DataFrame({"mechanism": "ballot", "attribute": "ethnicity", "group": ["A", "B"],
                           "share_housed": rng.random(2)})
    return PriceOfDiversity(policy=policy.name, attribute="ethnicity", optimal=opt, optimal_unconstrained=opt,
                            ballots=ballots, groups=groups)


def _write_random(kind: str, out: Path, seed: int, problem, policy) -> None:
    """One output of ``kind`` with content drawn from ``seed`` (sizes, options and values vary)."""
    rng = np.random.default_rng(seed)
    if kind == schema.ALLOCATION:
        allocate(problem, policy, "ballot", seed=seed).write(out, parquet=bool(rng.integers(2)))
    elif kind == schema.COMPARISON:
        labels = rng.choice(["with caps", "without caps", "strict", "lenient"], size=rng.integers(1, 3),
                            replace=False)
        results = {str(lab): allocate(problem, policy if i == 0 else policy.without_caps(), "ballot", seed=seed)
                   for i, lab in enumerate(labels)}
        write_comparison(out, results, seed=seed, report=False)
    elif kind == schema.MEASURE:
        n = int(rng.integers(0, 6))
        frame = pd.DataFrame({"theil_h": rng.random(n), "notes": [""] * n},
                             index=pd.Index([f"r{i}" for i in range(n)], name="region"))
        with output_folder(out, schema.MEASURE, seed=None) as w:
            w.table(schema.INDICES_TABLE, frame, parquet=bool(rng.integers(2)), index=True)
    elif kind == schema.PRICE_OF_DIVERSITY:
        fair = pd.DataFrame({"group": ["A"], "max_envy": [float(rng.random())]}) if rng.integers(2) else None
        _pod(problem, policy, list(range(int(rng.integers(1, 4)))), rng).write(out, fairness=fair)
    else:
        n = int(rng.integers(1, 20))
        results = pd.DataFrame({"scenario": "s", "policy": "p", "replicate": 0, "year": np.arange(n),
                                "metric": "m", "value": rng.random(n)})
        summary = results.rename(columns={"value": "mean"})
        write_outputs(out, results, summary, {"simulation": {"seed": seed}}, plots=False)


def _inodes(folder: Path) -> set[tuple[int, int]]:
    return {(p.stat().st_dev, p.stat().st_ino) for p in folder.rglob("*") if p.is_file()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sampled_from(schema.KINDS), second=st.sampled_from(schema.KINDS),
       seeds=st.tuples(st.integers(0, 2**16), st.integers(0, 2**16)), junk=st.booleans())
def test_any_output_twice_into_one_folder(inputs, tmp_path_factory, first, second, seeds, junk):
    _, problem, policy = inputs
    root = tmp_path_factory.mktemp("twice")
    out = root / "out"
    _write_random(first, out, seeds[0], problem, policy)
    if junk:  # a file added to an output folder by hand is not part of any run: it goes too
        (out / "added-by-hand.txt").write_text("x")
    old = _inodes(out)
    _write_random(second, out, seeds[1], problem, policy)
    assert not _inodes(out) & old  # every file is the second run's own (old files existed while it wrote)
    manifest = read_manifest(out)  # also checks each listed file's size and SHA-256
    assert manifest.kind == second
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == set(manifest.files) | {"manifest.json"}
    for name, entry in manifest.files.items():
        assert entry["bytes"] == (out / name).stat().st_size and entry["sha256"] == sha256_file(out / name)
    assert sorted(p.name for p in root.iterdir()) == ["out"]  # no temporary folders left beside it
    shutil.rmtree(root)


def test_output_modes_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with output_folder(tmp_path / "o", schema.MEASURE) as w:
            w.table(schema.INDICES_TABLE, pd.DataFrame({"theil_h": [0.1]}))
    finally:
        os.umask(old)
    assert oct((tmp_path / "o").stat().st_mode & 0o777) == oct(0o755)
    assert {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "o").iterdir()} == {oct(0o644)}


def test_written_tables_have_the_columns_the_schema_declares(inputs, tmp_path):
    """The schema is what readers rely on: every table a writer produces has the declared columns (writers may
    add more, e.g. the households' attributes), and the manifest's row counts are the tables' lengths."""
    from commonground.analysis.fairness import fairness_table
    from commonground.analysis.welfare import price_of_diversity
    from commonground.simulate.sweep import summarise

    _, problem, policy = inputs
    result = allocate(problem, policy, "ballot", seed=0)
    result.write(tmp_path / "a")
    manifest = read_manifest(tmp_path / "a")
    for table in schema.ALLOCATION_TABLES:
        for name in (table.csv, table.parquet):
            frame = pd.read_parquet(tmp_path / "a" / name) if name.endswith("parquet") else pd.read_csv(
                tmp_path / "a" / name)
            assert set(table.columns) <= set(frame.columns), name
            assert manifest.files[name]["rows"] == len(frame)
    pod = price_of_diversity(problem, policy, seeds=1, attribute="ethnicity")
    pod.write(tmp_path / "p", fairness=fairness_table(pod.optimal, "ethnicity"))
    for table in schema.POD_TABLES:
        frame = pd.read_csv(tmp_path / "p" / table.csv)
        assert set(table.columns) <= set(frame.columns), table.csv
    results = pd.DataFrame({"scenario": "s", "policy": "p", "replicate": [0, 1], "year": 0, "metric": "m",
                            "value": [1.0, 2.0]})
    assert set(schema.SIM_SUMMARY.columns) <= set(summarise(results).columns)


def test_comparison_manifest_names_its_parts_and_their_rows(inputs, tmp_path):
    _, problem, policy = inputs
    results = {"with caps": allocate(problem, policy, "ballot", seed=0),
               "without caps": allocate(problem, policy.without_caps(), "ballot", seed=0)}
    write_comparison(tmp_path / "c", results, seed=0, report=False)
    manifest = read_manifest(tmp_path / "c")
    assert manifest.kind == "comparison" and manifest.parts == {"with caps": "with-caps",
                                                                "without caps": "without-caps"}
    assert manifest.files["with-caps/allocation.csv"]["rows"] == problem.n_households
    assert read_manifest(tmp_path / "c" / "without-caps").kind == "allocation"
