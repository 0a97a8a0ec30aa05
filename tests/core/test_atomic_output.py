"""A write that fails part-way leaves the output folder as it was (no partial files, no temp leftovers)."""

from __future__ import annotations

import pandas as pd
import pytest

from commonground.allocate import allocate
from commonground.scenarios import get_scenario


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    sc = get_scenario("uk-town")
    result = allocate(sc.problem, sc.policy, "ballot", seed=0)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)   # fails after allocation.csv was written
    with pytest.raises(OSError, match="disk full"):
        result.write(tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_rewrite_replaces_files_in_place(tmp_path):
    sc = get_scenario("uk-town")
    a = allocate(sc.problem, sc.policy, "ballot", seed=0)
    b = allocate(sc.problem, sc.policy, "ballot", seed=1)
    a.write(tmp_path / "out")
    b.write(tmp_path / "out")
    got = pd.read_csv(tmp_path / "out" / "allocation.csv")
    assert got["queue_position"].tolist() == b.households_frame()["queue_position"].astype(int).tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
