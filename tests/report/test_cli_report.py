"""``commonground report``: writes the page for a recognised folder; anything else is one line and exit 2."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.io.schema import write_manifest

runner = CliRunner()


def test_report_command_writes_the_page(tiny, tmp_path):
    root, _ = tiny
    out = tmp_path / "page.html"
    res = runner.invoke(app, ["report", str(root / "run"), "--to", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.output.replace("\n", "")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _empty(d):
    pass


def _unrelated(d):
    (d / "notes.txt").write_text("hello")
    (d / "data.csv").write_text("a,b\n1,2\n")
    (d / "sub").mkdir()


def _partial_allocation(d):
    (d / "summary.json").write_text(json.dumps({"allocated": 1}))
    (d / "composition.csv").write_text("level,unit_id\n")


def _bad_results(d):
    (d / "results.csv").write_text("scenario,policy,year,value\nA,none,0,1\n")
    write_manifest(d, "simulation")


def _edited_after_the_run(d):
    _bad_results(d)
    (d / "results.csv").write_text("scenario,policy,replicate,year,metric,value\nA,none,0,0,x,1\n")


def _foreign_manifest(d):
    (d / "manifest.json").write_text(json.dumps({"name": "some other tool", "files": []}))


@pytest.mark.parametrize("make, words", [
    (_empty, ["no manifest.json", "not a commonground output folder"]),
    (_unrelated, ["no manifest.json", "not a commonground output folder"]),
    (_partial_allocation, ["no manifest.json", "run the command again"]),
    (_bad_results, ["results.csv", "missing column(s) replicate, metric"]),
    (_edited_after_the_run, ["results.csv changed after the run wrote it"]),
    (_foreign_manifest, ["manifest.json", "not a commonground manifest"]),
])
def test_unrecognised_folders_exit_2_and_write_nothing(tmp_path, make, words):
    folder = tmp_path / "outputs"
    folder.mkdir()
    make(folder)
    before = sorted(p.name for p in folder.rglob("*"))
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 2, res.output
    message = " ".join(res.output.split())
    assert message.startswith("error:") and str(folder) in message
    for w in words:
        assert w in message, (w, message)
    assert "Traceback" not in res.output
    assert sorted(p.name for p in folder.rglob("*")) == before  # no report.html, no temporary file


def test_missing_folder_and_unknown_file_exit_2(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such folder" in " ".join(res.output.split())
    (tmp_path / "x.txt").write_text("?")
    res = runner.invoke(app, ["report", str(tmp_path / "x.txt"), "--to", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and "not a report input" in " ".join(res.output.split())
    assert not (tmp_path / "r.html").exists()


def test_damaged_allocation_table_is_an_input_error(tiny, tmp_path):
    root, _ = tiny
    folder = tmp_path / "run"
    shutil.copytree(root / "run", folder, ignore=shutil.ignore_patterns("report.html"))
    for p in folder.glob("*.parquet"):
        p.unlink()
    text = (folder / "composition.csv").read_text().splitlines()
    text[1] = text[1].replace(",10,", ",ten,", 1)  # units column of the first row
    (folder / "composition.csv").write_text("\n".join(text) + "\n")
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 2 and "allocation.parquet is listed in manifest.json but missing" in res.output
    write_manifest(folder, "allocation")  # declare the edited files the output: now their content is checked
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 2, res.output
    message = " ".join(res.output.split())
    assert "composition.csv" in message and "row 2" in message and "not a number: 'ten'" in message
    assert not (folder / "report.html").exists()
