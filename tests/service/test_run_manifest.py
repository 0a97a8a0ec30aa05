"""The web service stores a run's manifest with its files and renders reports through it; a run stored before
outputs had manifests still gets its report (the service writes the manifest for exactly the stored files)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from commonground.allocate import allocate
from commonground.io import schema
from commonground.scenarios import get_scenario
from commonground.service import runner, store, views


@pytest.fixture(scope="module")
def stored():
    sc = get_scenario("uk-town")
    return runner.result_files(allocate(sc.problem, sc.policy, "ballot", seed=3))


def test_a_run_stores_its_manifest(stored):
    assert set(stored) == set(runner.OUTPUT_FILES) and schema.MANIFEST in stored
    import json

    listed = {f["name"] for f in json.loads(stored[schema.MANIFEST])["files"]}
    assert listed == set(runner.OUTPUT_FILES) - {schema.MANIFEST}  # no Parquet twins: the service writes CSV


@pytest.mark.parametrize("drop_manifest", [False, True])
def test_report_of_a_stored_run(stored, monkeypatch, drop_manifest):
    files = {k: v for k, v in stored.items() if not (drop_manifest and k == schema.MANIFEST)}
    monkeypatch.setattr(store, "run_files", lambda db, run_id: files)
    html = views._render_report(None, SimpleNamespace(id=7, seed=3))
    assert html.lstrip().lower().startswith("<!doctype html>") and "<svg" in html and "run-7" in html


def test_a_stored_file_changed_since_the_run_is_not_reported_as_the_run(stored, monkeypatch):
    files = dict(stored)
    files["groups.csv"] = files["groups.csv"].replace(b"0.", b"1.", 1)
    monkeypatch.setattr(store, "run_files", lambda db, run_id: files)
    with pytest.raises(Exception, match="groups.csv changed after the run wrote it"):
        views._render_report(None, SimpleNamespace(id=7, seed=3))
