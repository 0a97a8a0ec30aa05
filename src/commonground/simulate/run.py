"""Run a simulation end to end: load it, sweep it, summarise it and write the output folder."""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from commonground import __version__
from commonground.io import schema
from commonground.io.atomic import check_target
from commonground.simulate.builtin import BUILTIN, builtin_simulation
from commonground.simulate.output import write_outputs
from commonground.simulate.spec import Simulation, load_simulation
from commonground.simulate.sweep import make_tasks, summarise, sweep


def load(spec: str | Path) -> Simulation:
    """A built-in simulation's name or a simulation TOML path.

    Parameters
    ----------
    spec : str or Path
        A built-in name (``uk-migration``) or a path; an existing file of that name wins.

    Returns
    -------
    Simulation
        The file's simulation if ``spec`` names an existing file, else the built-in one, checked.

    Raises
    ------
    InputError
        No such file, or a bad simulation file.

    Examples
    --------
    >>> load("uk-migration").name
    'uk-migration'
    """
    text = str(spec)
    if text in BUILTIN and not Path(text).exists():
        return builtin_simulation(text)
    return load_simulation(text)


def run_simulation(sim: Simulation, out: str | Path, *, scheduler: str | None = "local",
                   n_workers: int | None = None, on_done: Callable[[], None] | None = None,
                   plots: bool = True, force: bool = False, inputs: dict[str, Any] | None = None,
                   on_stage: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sweep ``sim`` and write ``out`` (results.parquet, summary.csv, plots, simulation.json, manifest.json).

    ``out`` is checked before the sweep (see :func:`commonground.io.atomic.check_target`); ``inputs`` are the
    fingerprints recorded in the manifest. ``on_stage`` is told each stage as it starts (start-up and
    compilation, runs, summary, writing, plots), so a command can show more than a bar stuck at 0 or at its end.

    Parameters
    ----------
    sim
        What to run (:func:`load`, :func:`~commonground.simulate.spec.load_simulation`).
    out
        The output folder, replaced as a whole.
    scheduler
        ``"local"`` (a Dask LocalCluster), a scheduler address (``tcp://host:8786``), or ``"inprocess"`` / None
        (no Dask; the same results).
    n_workers
        LocalCluster worker processes (default: cores).
    on_done
        Called after each run (progress bars).
    plots
        Write indices.png and market.png (the ``[report]`` extra).
    force
        Replace ``out`` even if it is not a commonground output.
    inputs
        Input fingerprints for the manifest.
    on_stage
        Told each stage's name as it starts.

    Returns
    -------
    (results, summary)
        The tidy results (one row per run, year and metric) and their summary across replicates.
    """
    def stage(text: str) -> None:
        if on_stage:
            on_stage(text)

    check_target(Path(out), force=force)
    t0 = time.perf_counter()
    where = "here" if scheduler in (None, "", "inprocess") else ("a local Dask cluster" if scheduler == "local"
                                                                 else f"the Dask scheduler {scheduler}")
    stage(f"starting on {where}; the first run also compiles the model (Numba)")
    results = sweep(sim, scheduler=scheduler, n_workers=n_workers, on_done=on_done)
    elapsed = time.perf_counter() - t0
    stage("summarising across replicates")
    summary = summarise(results)
    tasks = make_tasks(sim)
    meta = {
        "simulation": sim.metadata(),
        "tasks": [{"scenario": t.scenario, "policy": t.policy.name, "replicate": t.replicate,
                   "seed_entropy": t.seed.entropy, "seed_spawn_key": list(t.seed.spawn_key)} for t in tasks],
        "scheduler": scheduler or "inprocess", "n_workers": n_workers, "seconds": round(elapsed, 3),
        "versions": _versions(),
        "columns": {schema.SIM_RESULTS.parquet: list(results.columns), schema.SIM_SUMMARY.csv: list(summary.columns)},
    }
    write_outputs(out, results, summary, meta, plots=plots, force=force, inputs=inputs, on_stage=on_stage)
    return results, summary


def _versions() -> dict[str, str]:
    """Versions of the libraries that shape the results; Dask's read from its metadata, not imported (a run
    in process needs no Dask, and the plain install has none)."""
    import numba
    import numpy

    versions = {"commonground": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
                "pandas": pd.__version__, "numba": numba.__version__}
    with contextlib.suppress(metadata.PackageNotFoundError):
        versions["dask"] = metadata.version("dask")
    return versions
