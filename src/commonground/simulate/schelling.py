"""The classic Schelling model with exactly the rules of Mesa's Schelling example (Mesa 3.3,
``mesa/examples/basic/schelling``), as arrays and a Numba step, so its dynamics can be checked against Mesa.

Rules (Mesa's, restated):

* a ``width`` × ``height`` grid, not a torus, one agent per cell at most;
* set-up: each cell in turn is occupied with probability ``density``; an occupant is of the minority type (1)
  with probability ``minority_pc``, else of type 0;
* an agent's neighbours are the agents in the cells within Chebyshev distance ``radius`` (Moore
  neighbourhood), its own cell excluded; its similarity is the share of those of its own type (0 when it has
  no neighbours); it is happy when similarity ≥ ``homophily`` (a share, Mesa's 0.4 by default);
* a step: every agent in a fresh random order; one that was unhappy when states were last assigned jumps to a
  cell drawn uniformly from the empty cells at that moment; after all have acted, every agent's happiness is
  assigned again (so an agent acts on the state of the end of the previous step, as in Mesa);
* the model stops being ``running`` once every agent is happy (a step then moves no one).

The random streams differ from Mesa's (Mesa uses Python's ``random``), so runs agree in distribution, not
draw for draw; ``tests/simulate/test_schelling_vs_mesa.py`` checks that statistically.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numba import njit

from commonground.errors import InputError
from commonground.simulate._rng import new_state, randint, shuffle, uniform


@dataclass(frozen=True)
class SchellingParams:
    """Mesa's parameters and defaults (``Schelling.__init__`` in Mesa 3.3).

    Parameters
    ----------
    width, height : int, optional
        Grid size (not a torus).
    density : float, optional
        Share of cells with an agent.
    minority_pc : float, optional
        Share of agents of the minority type.
    homophily : float, optional
        Share of same-type neighbours an agent needs to be happy.
    radius : int, optional
        Neighbourhood radius (Chebyshev).

    Raises
    ------
    InputError
        A grid smaller than 1x1, a share outside [0, 1], or a radius below 1.
    """

    width: int = 20
    height: int = 20
    density: float = 0.8
    minority_pc: float = 0.5
    homophily: float = 0.4
    radius: int = 1

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise InputError(f"grid must be at least 1×1, got {self.width}×{self.height}")
        if not 0 <= self.density <= 1 or not 0 <= self.minority_pc <= 1 or not 0 <= self.homophily <= 1:
            raise InputError("density, minority_pc and homophily must be in [0, 1]")
        if self.radius < 1:
            raise InputError(f"radius must be ≥ 1, got {self.radius}")


@njit(cache=True)
def _neighbour_table(width, height, radius):
    """CSR list of each cell's neighbour cells (Chebyshev ball, not a torus); cell = x * height + y."""
    n = width * height
    ptr = np.zeros(n + 1, np.int64)
    side = 2 * radius + 1
    buf = np.empty(n * (side * side - 1), np.int64)
    k = 0
    for x in range(width):
        for y in range(height):
            for dx in range(-radius, radius + 1):
                for dy in range(-radius, radius + 1):
                    if dx == 0 and dy == 0:
                        continue
                    nx, ny = x + dx, y + dy
                    if 0 <= nx < width and 0 <= ny < height:
                        buf[k] = nx * height + ny
                        k += 1
            ptr[x * height + y + 1] = k
    return ptr, buf[:k].copy()


@njit(cache=True)
def _populate(rs, n_cells, density, minority_pc):
    """Mesa's set-up loop: cells in order, occupied with p = density, minority with p = minority_pc."""
    cell_agent = np.full(n_cells, -1, np.int64)
    agent_cell = np.empty(n_cells, np.int64)
    agent_type = np.empty(n_cells, np.int64)
    a = 0
    for c in range(n_cells):
        if uniform(rs) < density:
            agent_type[a] = 1 if uniform(rs) < minority_pc else 0
            agent_cell[a] = c
            cell_agent[c] = a
            a += 1
    return cell_agent, agent_cell[:a].copy(), agent_type[:a].copy()


@njit(cache=True)
def _assign_state(ptr, nbr, cell_agent, agent_cell, agent_type, homophily, happy, similarity, has_neighbours):
    n_happy = 0
    for a in range(agent_cell.shape[0]):
        c = agent_cell[a]
        same = 0
        valid = 0
        for k in range(ptr[c], ptr[c + 1]):
            o = cell_agent[nbr[k]]
            if o >= 0:
                valid += 1
                if agent_type[o] == agent_type[a]:
                    same += 1
        frac = same / valid if valid > 0 else 0.0
        similarity[a] = frac
        has_neighbours[a] = valid > 0
        happy[a] = not (frac < homophily)
        n_happy += happy[a]
    return n_happy


@njit(cache=True)
def _run(rs, steps, ptr, nbr, cell_agent, agent_cell, agent_type, empties, empty_pos, homophily,
         happy, similarity, has_neighbours, out_happy, out_similar, out_moves):
    """``steps`` Mesa steps; per step: happy agents, mean similarity (agents with neighbours), moves."""
    n = agent_cell.shape[0]
    order = np.arange(n)
    n_empty = empties.shape[0]
    for t in range(steps):
        shuffle(rs, order)
        moves = 0
        if n_empty > 0:
            for i in range(n):
                a = order[i]
                if happy[a]:
                    continue
                k = randint(rs, n_empty)
                dest = empties[k]
                old = agent_cell[a]
                empties[k] = old
                empty_pos[old] = k
                empty_pos[dest] = -1
                cell_agent[old] = -1
                cell_agent[dest] = a
                agent_cell[a] = dest
                moves += 1
        out_happy[t] = _assign_state(ptr, nbr, cell_agent, agent_cell, agent_type, homophily, happy, similarity,
                                     has_neighbours)
        s = 0.0
        m = 0
        for a in range(n):
            if has_neighbours[a]:
                s += similarity[a]
                m += 1
        out_similar[t] = s / m if m > 0 else np.nan
        out_moves[t] = moves


class Schelling:
    """Model state (arrays) and ``step``; what is recorded is read off by :meth:`metrics`.

    ``Schelling(params, seed=…)``; ``run(steps)`` returns one row per step with ``step``, ``happy``,
    ``pct_happy`` (Mesa's reporters), ``similar_share`` (mean share of same-type neighbours over agents with
    neighbours) and ``moves``; row 0 is the initial state, as Mesa's data collector records it.

    Parameters
    ----------
    params : SchellingParams, optional
        The parameters; if None, built from ``kwargs``.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the placement and of the moves.
    **kwargs
        :class:`SchellingParams` fields.

    Examples
    --------
    >>> model = Schelling(width=5, height=5, seed=0)
    >>> model.n_agents
    17
    >>> table = model.run(2)
    >>> table["step"].tolist(), model.steps
    ([0, 1, 2], 2)
    """

    def __init__(self, params: SchellingParams | None = None, *, seed: int | np.random.SeedSequence | None = 0,
                 **kwargs) -> None:
        self.params = params or SchellingParams(**kwargs)
        p = self.params
        self._rs = new_state(np.random.default_rng(seed))
        n_cells = p.width * p.height
        self._ptr, self._nbr = _neighbour_table(p.width, p.height, p.radius)
        self.cell_agent, self.agent_cell, self.agent_type = _populate(self._rs, n_cells, p.density, p.minority_pc)
        self.empties = np.flatnonzero(self.cell_agent < 0).astype(np.int64)
        self._empty_pos = np.full(n_cells, -1, np.int64)
        self._empty_pos[self.empties] = np.arange(len(self.empties))
        n = len(self.agent_cell)
        self.happy = np.zeros(n, np.bool_)
        self.similarity = np.zeros(n)
        self._has_nbr = np.zeros(n, np.bool_)
        self.n_happy = _assign_state(self._ptr, self._nbr, self.cell_agent, self.agent_cell, self.agent_type,
                                     p.homophily, self.happy, self.similarity, self._has_nbr)
        self.steps = 0

    @property
    def n_agents(self) -> int:
        """Number of agents."""
        return len(self.agent_cell)

    @property
    def running(self) -> bool:
        """True while some agent is unhappy (Mesa's stopping rule)."""
        return self.n_happy < self.n_agents

    def metrics(self) -> dict[str, float]:
        """The current state's record: step, happy, pct_happy, similar_share (NaN if nobody has neighbours)."""
        n = self.n_agents
        sim = self.similarity[self._has_nbr]
        return {"step": self.steps, "happy": int(self.n_happy), "pct_happy": 100.0 * self.n_happy / n if n else 0.0,
                "similar_share": float(sim.mean()) if len(sim) else float("nan")}

    def advance(self, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run ``steps`` steps in one compiled loop; per-step happy counts, mean similarity and moves.

        Parameters
        ----------
        steps : int
            Steps to run; the per-step arrays have this length.

        Returns
        -------
        (happy, similar_share, moves) : tuple of numpy.ndarray
            One value per step.
        """
        h = np.zeros(steps, np.int64)
        s = np.zeros(steps)
        m = np.zeros(steps, np.int64)
        _run(self._rs, steps, self._ptr, self._nbr, self.cell_agent, self.agent_cell, self.agent_type,
             self.empties, self._empty_pos, self.params.homophily, self.happy, self.similarity, self._has_nbr,
             h, s, m)
        self.steps += steps
        if steps:
            self.n_happy = int(h[-1])
        return h, s, m

    def step(self) -> None:
        """One Mesa step."""
        self.advance(1)

    def run(self, steps: int) -> pd.DataFrame:
        """Record the state, run ``steps`` steps in one compiled loop, and return the per-step table.

        Parameters
        ----------
        steps : int
            Steps to run after recording the state (0: the state alone).

        Returns
        -------
        pandas.DataFrame
            ``steps + 1`` rows (the state before, then each step): step, happy, pct_happy, similar_share, moves.
        """
        first = {**self.metrics(), "moves": 0}
        start = self.steps
        h, s, m = self.advance(steps)
        n = max(self.n_agents, 1)
        rest = pd.DataFrame({"step": np.arange(start + 1, start + steps + 1), "happy": h, "pct_happy": 100.0 * h / n,
                             "similar_share": s, "moves": m})
        return pd.concat([pd.DataFrame([first]), rest], ignore_index=True)


def run_schelling(params: SchellingParams, steps: int, seed: int | np.random.SeedSequence | None = 0
                  ) -> pd.DataFrame:
    """One run of ``steps`` steps; see :class:`Schelling`.

    Parameters
    ----------
    params : SchellingParams
        The parameters.
    steps : int
        Steps to run.
    seed : int or numpy.random.SeedSequence, optional
        The run's seed; the same seed gives the same table.

    Returns
    -------
    pandas.DataFrame
        As :meth:`Schelling.run`.

    Examples
    --------
    >>> run_schelling(SchellingParams(width=5, height=5), steps=2, seed=0)["moves"].tolist()
    [0, 5, 2]
    """
    return Schelling(params, seed=seed).run(steps)


def params_dict(p: SchellingParams) -> dict:
    return asdict(p)
