"""run_simulation reports its stages in order (start-up/compilation, runs, summary, writing, plots), and
--no-plots is honoured."""

from __future__ import annotations

import tomllib

from commonground.simulate.run import run_simulation
from commonground.simulate.spec import simulation_from_dict

from .test_cli_and_spec import TINY


def _run(tmp_path, plots):
    stages, done = [], []
    sim = simulation_from_dict(tomllib.loads(TINY), source="tiny.toml").with_replicates(1)
    run_simulation(sim, tmp_path / "out", scheduler="inprocess", plots=plots,
                   on_stage=lambda s: stages.append((s, len(done))), on_done=lambda: done.append(1))
    return stages, len(done)


def test_stages_in_order_with_and_without_plots(tmp_path):
    stages, n = _run(tmp_path / "a", plots=True)
    labels = [s for s, _ in stages]
    assert labels[0].startswith("starting on here") and "compiles" in labels[0]
    assert labels[1:] == ["summarising across replicates", "writing results.parquet and summary.csv",
                          "drawing indices.png and market.png"]
    assert stages[0][1] == 0 and all(k == n for _, k in stages[1:])  # start-up before any run, the rest after
    assert (tmp_path / "a" / "out" / "indices.png").is_file()
    stages, _ = _run(tmp_path / "b", plots=False)
    assert "drawing indices.png and market.png" not in [s for s, _ in stages]
    assert not (tmp_path / "b" / "out" / "indices.png").exists()
