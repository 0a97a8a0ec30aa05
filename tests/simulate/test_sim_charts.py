"""One plotting path for simulations: ``simulate``'s indices.png/market.png and the report's trajectory figures are
drawn by the same function (report/sim_charts.py), from the same bands.

The drawn medians and bands are checked against summary.csv's q50/q05/q95, which ``simulate.sweep.summarise``
computes on its own (an independent path through pandas), so a change to either side shows up here.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from commonground.report import sim_charts
from commonground.simulate.run import run_simulation
from commonground.simulate.spec import simulation_from_dict

from .test_cli_and_spec import TINY


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sim = simulation_from_dict(tomllib.loads(TINY), source="tiny.toml").with_replicates(3)
    out = tmp_path_factory.mktemp("sim") / "out"
    calls = []
    real = sim_charts.trajectory_figure

    def spy(b, members, family):
        calls.append(list(members))
        return real(b, members, family)

    mp = pytest.MonkeyPatch()
    mp.setattr(sim_charts, "trajectory_figure", spy)
    try:
        results, summary = run_simulation(sim, out, scheduler="inprocess", plots=True)
    finally:
        mp.undo()
    return results, summary, out, calls


def test_plot_files_are_drawn_by_the_report_figure(run):
    results, _, out, calls = run
    idx, market = sim_charts.headline_metrics(results["metric"].unique())
    assert idx and market
    assert calls == [idx, market]           # one trajectory figure per file, with the headline metrics
    for name in ("indices.png", "market.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_drawn_lines_and_bands_match_the_summary(run):
    results, summary, _, _ = run
    idx, _ = sim_charts.headline_metrics(results["metric"].unique())
    b = sim_charts.bands(results)
    fig = sim_charts.trajectory_figure(b, idx, "")
    scen = list(dict.fromkeys(results["scenario"]))
    pols = list(dict.fromkeys(results["policy"]))
    assert len(scen) == 1                    # TINY: one scenario, so one median line per policy per panel
    for ax, metric in zip(fig.axes, idx, strict=False):
        assert ax.get_title(loc="left") == metric
        lines = list(ax.get_lines())
        assert len(lines) == len(pols)
        for ln, pol in zip(lines, pols, strict=True):
            s = (summary[(summary["metric"] == metric) & (summary["policy"] == pol)]
                 .sort_values("year"))
            np.testing.assert_allclose(ln.get_xdata(), s["year"].to_numpy(dtype=float))
            np.testing.assert_allclose(ln.get_ydata(), s["q50"].to_numpy(), rtol=1e-12)
        # bands: 5th and 95th percentiles, as summary's q05 and q95
        for coll, pol in zip(ax.collections, pols, strict=True):
            s = summary[(summary["metric"] == metric) & (summary["policy"] == pol)].sort_values("year")
            ys = coll.get_paths()[0].vertices[:, 1]
            assert np.nanmin(ys) == pytest.approx(s["q05"].min()) and np.nanmax(ys) == pytest.approx(s["q95"].max())


def test_headline_metrics_for_a_schelling_run():
    idx, market = sim_charts.headline_metrics(["moves", "similar_share", "pct_happy", "x"])
    assert idx == ["similar_share", "pct_happy", "moves"] and market == []


def test_no_plot_file_without_its_metrics(tmp_path):
    results = pd.DataFrame({"scenario": "s", "policy": "p", "replicate": 0, "year": [0, 1],
                            "metric": "block.theil_h", "value": [0.1, 0.2]})
    assert sim_charts.write_png_charts(results, tmp_path) == ["indices.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indices.png"]
