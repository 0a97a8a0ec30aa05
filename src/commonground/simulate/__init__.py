"""Simulating integration over the years: a town's arrivals, moves, resales and launches under policies.

One job per module:

* :mod:`~.params` — the model's parameters, one validated section each;
* :mod:`~.town` — initial towns as arrays (generated English town, the core's ``uk-town``, real HDB blocks);
* :mod:`~.state` — the simulation state (arrays) and the caps compiled for groups;
* :mod:`~.model` — the yearly step (:class:`TownModel`); :mod:`~.launch` allocates new developments with the
  core mechanisms; :mod:`~._market` holds the Numba kernels for moves and the resale market;
* :mod:`~.metrics` — what is recorded each year (indices from :mod:`commonground.measure`);
* :mod:`~.schelling` — the classic Schelling model with Mesa's example's rules;
* :mod:`~.spec` — simulation TOML files; :mod:`~.builtin` — built-in simulations;
* :mod:`~.sweep` — the runner (in-process or Dask) and summaries; :mod:`~.output` — the output folder;
  :mod:`~.run` — all of it end to end.
"""

from commonground.simulate.model import TownModel, run_town
from commonground.simulate.params import POLICY_KINDS, PolicySpec, TownParams
from commonground.simulate.run import load, run_simulation
from commonground.simulate.schelling import Schelling, SchellingParams, run_schelling
from commonground.simulate.spec import Simulation, load_simulation, simulation_from_dict
from commonground.simulate.sweep import make_tasks, run_tasks, summarise, sweep, task_seed

__all__ = ["POLICY_KINDS", "PolicySpec", "Schelling", "SchellingParams", "Simulation", "TownModel", "TownParams",
           "load", "load_simulation", "make_tasks", "run_schelling", "run_simulation", "run_tasks", "run_town",
           "simulation_from_dict", "summarise", "sweep", "task_seed"]
