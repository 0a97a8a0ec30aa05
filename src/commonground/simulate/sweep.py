"""Scenario sweeps: every (scenario, policy, replicate) as one task, run in-process or on Dask distributed.

The runner (:func:`run_tasks`) knows nothing of any model: it maps a picklable function over picklable tasks
and gives the results back *in task order*, whatever order they finish in (Mesa's batch-runner role).
:func:`task_seed` derives each task's seed from the simulation seed and the task's identity with NumPy's
``SeedSequence`` — never from a worker's state — so a sweep gives identical results in-process, on a
``LocalCluster`` or on any scheduler.

With ``common_random_numbers`` (the default) the policy is left out of the seed: every policy of a scenario
and replicate starts from the same random stream (the same households deciding, arriving and bidding until
the policy makes their paths differ), which makes policy differences far less noisy than independent
streams would (common random numbers, Law & Kelton ch. 11). Set it false for independent streams.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commonground.simulate.params import PolicySpec
from commonground.simulate.spec import Simulation

RESULT_COLUMNS = ["scenario", "policy", "replicate", "year", "metric", "value"]


@dataclass(frozen=True)
class Task:
    """One run: a model name, its parameters, a policy and a seed (all picklable); ``steps`` for Schelling."""

    model: str
    scenario: str
    policy: PolicySpec
    replicate: int
    params: Any
    seed: np.random.SeedSequence
    steps: int = 0


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def task_seed(seed: int, scenario: str, policy: str, replicate: int, *, common_random_numbers: bool = True
              ) -> np.random.SeedSequence:
    """``SeedSequence(seed, spawn_key=(crc32(scenario)[, crc32(policy)], replicate))``.

    With common random numbers every policy of a scenario sees the same draws in a replicate, so policies
    are compared on the same towns; without, the policy's name is part of the key.

    Parameters
    ----------
    seed : int
        The simulation's seed.
    scenario, policy : str
        Names of the scenario and the policy.
    replicate : int
        The replicate's number.
    common_random_numbers : bool, optional
        Leave the policy out of the key.

    Returns
    -------
    numpy.random.SeedSequence
        The run's seed.

    Examples
    --------
    >>> task_seed(0, "base", "none", 1).entropy == task_seed(0, "base", "caps", 1).entropy
    True
    >>> task_seed(0, "base", "none", 1).spawn_key == task_seed(0, "base", "caps", 1).spawn_key
    True
    >>> len(task_seed(0, "base", "none", 1, common_random_numbers=False).spawn_key)
    3
    """
    key = (_key(scenario), replicate) if common_random_numbers else (_key(scenario), _key(policy), replicate)
    return np.random.SeedSequence(seed, spawn_key=key)


def make_tasks(sim: Simulation) -> list[Task]:
    """One task per (scenario, policy, replicate) of ``sim``, each with its own seed (:func:`task_seed`).

    Parameters
    ----------
    sim : Simulation
        What to run.

    Returns
    -------
    list of Task
        In scenario, policy, replicate order.

    Examples
    --------
    >>> from commonground.simulate import simulation_from_dict
    >>> sim = simulation_from_dict({"name": "tiny", "model": "schelling", "years": 2, "replicates": 2,
    ...                             "schelling": {"width": 5, "height": 5}})
    >>> [(t.scenario, t.policy.name, t.replicate) for t in make_tasks(sim)]
    [('base', 'none', 0), ('base', 'none', 1)]
    """
    return [Task(sim.model, sname, pol, r, params,
                 task_seed(sim.seed, sname, pol.name, r, common_random_numbers=sim.common_random_numbers),
                 steps=sim.years)
            for sname, params in sim.scenarios for pol in sim.policies for r in range(sim.replicates)]


def run_task(task: Task) -> pd.DataFrame:
    """Run one task and return its tidy rows (module-level, so Dask workers can import it)."""
    if task.model == "schelling":
        from commonground.simulate.schelling import run_schelling

        wide = run_schelling(task.params, task.steps, seed=task.seed)
        df = wide.rename(columns={"step": "year"}).melt(id_vars="year", var_name="metric", value_name="value")
    else:
        from commonground.simulate.model import run_town

        df = run_town(task.params, task.policy, task.seed)
    df.insert(0, "replicate", task.replicate)
    df.insert(0, "policy", task.policy.name)
    df.insert(0, "scenario", task.scenario)
    df["value"] = df["value"].astype(float)
    df["year"] = df["year"].astype(np.int64)
    return df[RESULT_COLUMNS]


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, scheduler: str | None = "local",
              n_workers: int | None = None, on_done: Callable[[], None] | None = None,
              connect_timeout: str = "20s") -> list[Any]:
    """``[fn(t) for t in tasks]``, in task order.

    ``scheduler``: ``None`` or ``"inprocess"`` runs here; ``"local"`` starts a Dask ``LocalCluster`` on
    127.0.0.1 (``n_workers`` processes, one thread each, no dashboard) and closes it after; anything else is
    the address of an existing Dask scheduler (e.g. ``tcp://10.0.0.5:8786``), which is left running.
    ``on_done`` is called once per finished task (a progress bar's advance).

    Parameters
    ----------
    fn : callable
        Run on each task; must be importable at module level for Dask workers.
    tasks : sequence
        The tasks (picklable for Dask).
    scheduler : str or None, optional
        As above.
    n_workers : int, optional
        LocalCluster worker processes (default: cores, at most one per task).
    on_done : callable, optional
        Called once per finished task.
    connect_timeout : str, optional
        How long to wait for an existing scheduler.

    Returns
    -------
    list
        ``fn``'s results in task order, whatever order they finished in.

    Raises
    ------
    InputError
        The scheduler at the given address cannot be reached.

    Examples
    --------
    >>> run_tasks(abs, [-1, 2], scheduler="inprocess")
    [1, 2]
    """
    tasks = list(tasks)
    if scheduler in (None, "", "inprocess"):
        out = []
        for t in tasks:
            out.append(fn(t))
            if on_done:
                on_done()
        return out
    from commonground import extras

    extras.require("sim", "a sweep on Dask (scheduler='inprocess' runs without it)")
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        import os

        n = n_workers or max(1, min(os.cpu_count() or 1, len(tasks)))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as e:
            from commonground.errors import InputError

            raise InputError(f"cannot reach the Dask scheduler at '{scheduler}': {str(e).splitlines()[0]}") from None
    try:
        futures = client.map(fn, tasks, pure=False)
        for _ in as_completed(futures):
            if on_done:
                on_done()
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sweep(sim: Simulation, *, scheduler: str | None = "local", n_workers: int | None = None,
          on_done: Callable[[], None] | None = None) -> pd.DataFrame:
    """Run every task of ``sim``; tidy results (scenario, policy, replicate, year, metric, value).

    Parameters
    ----------
    sim : Simulation
        What to run.
    scheduler, n_workers, on_done
        As in :func:`run_tasks`; the results do not depend on the scheduler.

    Returns
    -------
    pandas.DataFrame
        One row per run, year and metric.

    Examples
    --------
    >>> from commonground.simulate import simulation_from_dict
    >>> sim = simulation_from_dict({"name": "tiny", "model": "schelling", "years": 2, "replicates": 2,
    ...                             "schelling": {"width": 5, "height": 5}})
    >>> results = sweep(sim, scheduler="inprocess")
    >>> list(results.columns), sorted(results["year"].unique().tolist())
    (['scenario', 'policy', 'replicate', 'year', 'metric', 'value'], [0, 1, 2])
    """
    tasks = make_tasks(sim)
    frames = run_tasks(run_task, tasks, scheduler=scheduler, n_workers=n_workers, on_done=on_done)
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    for c in ("scenario", "policy", "metric"):
        out[c] = out[c].astype(str)
    return out


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, policy, year, metric): n, mean, sd, a 95 % interval of the mean, and quantile bands.

    The interval is the normal one, mean +- 1.96 sd / sqrt(n); missing values are left out.

    Parameters
    ----------
    results : pandas.DataFrame
        Tidy results as :func:`sweep` returns them.

    Returns
    -------
    pandas.DataFrame
        scenario, policy, year, metric, n, mean, sd, ci95_low, ci95_high, q05, q25, q50, q75, q95.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"scenario": "s", "policy": "p", "replicate": [0, 1], "year": 1, "metric": "m",
    ...                   "value": [1.0, 3.0]})
    >>> summarise(r)[["n", "mean", "q50"]].values.tolist()
    [[2.0, 2.0, 2.0]]
    """
    keys = ["scenario", "policy", "year", "metric"]
    v = results.dropna(subset=["value"])
    g = v.groupby(keys, sort=False)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = ["q05", "q25", "q50", "q75", "q95"]
    out = out.merge(q.reset_index(), on=keys, how="left")
    se = out["sd"].fillna(0.0) / np.sqrt(out["n"].clip(lower=1))
    out.insert(out.columns.get_loc("sd") + 1, "ci95_low", out["mean"] - 1.96 * se)
    out.insert(out.columns.get_loc("ci95_low") + 1, "ci95_high", out["mean"] + 1.96 * se)
    return out
