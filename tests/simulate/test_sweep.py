"""Sweeps: identical results in-process and on Dask (a LocalCluster, and a real scheduler with two workers
started here on 127.0.0.1), seeds from the task's identity, tidy output and summaries."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.simulate import simulation_from_dict, summarise, sweep, task_seed
from commonground.simulate.sweep import RESULT_COLUMNS, make_tasks, run_tasks

SMALL = {
    "name": "small", "years": 3, "replicates": 3, "seed": 99, "measure_caps": "uk-balanced-example",
    "town": {"neighbourhoods": 3, "blocks_per_neighbourhood": 4, "homes_per_block": 30},
    "migration": {"net_per_year": 3_000_000.0},
    "launches": {"homes_per_year": 30, "block_size": 15},
    "behaviour": {"model": "logit", "tolerance": 0.3},
    "scenarios": [{"name": "low", "migration": {"net_per_year": 1_000_000.0}}, {"name": "high"}],
    "policies": [{"name": "none", "kind": "none"},
                 {"name": "buy-back", "kind": "caps-buyback", "caps": "uk-balanced-example"}],
}


def write_toml(path: Path) -> Path:
    path.write_text("""
name = "small"
years = 3
replicates = 2
seed = 99
measure_caps = "uk-balanced-example"
[town]
neighbourhoods = 3
blocks_per_neighbourhood = 4
homes_per_block = 30
[migration]
net_per_year = 3_000_000.0
[launches]
homes_per_year = 30
block_size = 15
[behaviour]
model = "logit"
[[scenarios]]
name = "only"
[[policies]]
name = "none"
kind = "none"
[[policies]]
name = "caps"
kind = "caps-resale"
caps = "uk-balanced-example"
""", encoding="utf-8")
    return path


def test_results_are_tidy_and_seeded_by_task_identity():
    sim = simulation_from_dict(SMALL)
    res = sweep(sim, scheduler="inprocess")
    assert list(res.columns) == RESULT_COLUMNS
    assert set(res["scenario"]) == {"low", "high"} and set(res["policy"]) == {"none", "buy-back"}
    assert sorted(res["replicate"].unique()) == [0, 1, 2] and sorted(res["year"].unique()) == [0, 1, 2, 3]
    # Replicates differ; a task's seed depends only on (seed, scenario, [policy,] replicate).
    one = res[(res.metric == "block.theil_h") & (res.year == 3) & (res.policy == "none") & (res.scenario == "high")]
    assert one["value"].nunique() == 3
    a = task_seed(99, "high", "none", 1)
    assert a.spawn_key == task_seed(99, "high", "other policy", 1).spawn_key  # common random numbers
    assert task_seed(99, "high", "none", 1, common_random_numbers=False).spawn_key != \
        task_seed(99, "high", "x", 1, common_random_numbers=False).spawn_key
    assert a.generate_state(4).tolist() != task_seed(99, "high", "none", 2).generate_state(4).tolist()
    # Running one task alone gives the same rows as inside the sweep (no hidden shared state).
    t = make_tasks(sim)[5]
    from commonground.simulate.sweep import run_task

    alone = run_task(t)
    inside = res[(res.scenario == t.scenario) & (res.policy == t.policy.name) & (res.replicate == t.replicate)]
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), inside.reset_index(drop=True))


def test_summary_bands():
    res = pd.DataFrame({"scenario": "s", "policy": "p", "replicate": np.arange(20), "year": 1, "metric": "m",
                        "value": np.arange(20.0)})
    s = summarise(res).iloc[0]
    assert s["n"] == 20 and s["mean"] == pytest.approx(9.5) and s["q50"] == pytest.approx(9.5)
    assert s["q05"] == pytest.approx(np.quantile(np.arange(20.0), 0.05))
    assert s["ci95_low"] < s["mean"] < s["ci95_high"]


def test_local_cluster_gives_identical_results():
    sim = simulation_from_dict({**SMALL, "replicates": 2})
    here = sweep(sim, scheduler="inprocess")
    there = sweep(sim, scheduler="local", n_workers=2)
    pd.testing.assert_frame_equal(here, there, check_exact=True)


def test_run_tasks_keeps_task_order():
    assert run_tasks(abs, [-3, 1, -2], scheduler="inprocess") == [3, 1, 2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_cli() -> list[str]:
    exe = Path(sys.executable).parent / "dask"
    if exe.exists():
        return [str(exe)]
    if shutil.which("dask"):
        return ["dask"]
    pytest.skip("the dask command is not installed")


@pytest.fixture
def dask_scheduler(tmp_path):
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (random ports, no dashboard)."""
    from dask.distributed import Client

    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([*_dask_cli(), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [*_dask_cli(), "worker", addr, "--host", "127.0.0.1", "--no-dashboard", "--nthreads", "1",
                 "--nworkers", "1", "--local-directory", str(tmp_path / f"w{i}"), "--name", f"test-worker-{i}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(addr, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=60)
                    assert len(c.scheduler_info()["workers"]) == 2
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_cli_sweep_through_a_real_scheduler_and_two_workers(dask_scheduler, tmp_path):
    from dask.distributed import Client

    toml = write_toml(tmp_path / "small.toml")
    runner = CliRunner()
    on_dask = runner.invoke(app, ["simulate", str(toml), "--scheduler", dask_scheduler, "--out",
                                  str(tmp_path / "dask")])
    assert on_dask.exit_code == 0, on_dask.output
    here = runner.invoke(app, ["simulate", str(toml), "--in-process", "--no-plots", "--out", str(tmp_path / "here")])
    assert here.exit_code == 0, here.output
    a = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    b = pd.read_parquet(tmp_path / "here" / "results.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(a) > 0
    # Both workers took part.
    with Client(dask_scheduler, timeout="10s") as c:
        counts = c.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
    assert len(counts) == 2 and all(v > 0 for v in counts.values())


def test_unreachable_scheduler_is_a_one_line_input_error():
    from commonground.errors import InputError

    port = _free_port()  # nothing listens there
    with pytest.raises(InputError, match="cannot reach the Dask scheduler") as e:
        run_tasks(abs, [1], scheduler=f"tcp://127.0.0.1:{port}", connect_timeout="2s")
    assert "\n" not in str(e.value)
