"""A simulation's output folder, written atomically (a temporary folder beside it, moved in when complete).

* ``results.parquet`` — tidy: scenario, policy, replicate, year, metric, value (one row per run, year and
  metric; year 0 is the initial state);
* ``summary.csv`` — per scenario, policy, year and metric: n, mean, sd, ci95_low, ci95_high (normal
  interval of the mean), q05, q25, q50, q75, q95 (bands across replicates);
* ``indices.png``, ``market.png`` — medians over time with 5–95 % bands, one line per scenario × policy
  (colour = policy, line style = scenario), drawn by :mod:`commonground.report.sim_charts` as in the HTML report;
* ``simulation.json`` — what was run (the simulation, its tasks' seeds, scheduler, versions, timings);
* ``manifest.json`` — the output's manifest (:mod:`commonground.io.schema`), written last.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from commonground.io import schema
from commonground.io.atomic import output_folder


def write_outputs(out: str | Path, results: pd.DataFrame, summary: pd.DataFrame, metadata: dict[str, Any],
                  *, plots: bool = True, force: bool = False, inputs: dict[str, Any] | None = None,
                  on_stage: Callable[[str], None] | None = None) -> Path:
    """Write the simulation's output folder (swapped in whole, ``manifest.json`` last); ``on_stage`` is told
    what is being written (a progress display's label)."""
    with output_folder(out, schema.SIMULATION, force=force, inputs=inputs) as w:
        tmp = w.path
        if on_stage:
            on_stage("writing results.parquet and summary.csv")
        results.to_parquet(tmp / schema.SIM_RESULTS.parquet, index=False)
        w.rows[schema.SIM_RESULTS.parquet] = len(results)
        w.table(schema.SIM_SUMMARY, summary)
        files = [schema.SIM_RESULTS.parquet, schema.SIM_SUMMARY.csv]
        if plots:
            if on_stage:
                on_stage("drawing indices.png and market.png")
            from commonground.report.sim_charts import write_png_charts  # the [report] extra: Matplotlib

            files += write_png_charts(results, tmp)
        files.append(schema.SIM_JSON)
        w.json(schema.SIM_JSON, {**metadata, "files": files})
    return Path(out)
