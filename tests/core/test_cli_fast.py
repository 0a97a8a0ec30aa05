"""The CLI's start-up path: ``--version``, lazy command registration and the one-line message naming a missing
extra (exit 2). Timing lives in benchmarks/bench_cli.py, not here."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from commonground import __version__, extras
from commonground.allocate import MECHANISMS
from commonground.cli import app, choices
from commonground.cli.choices import MECHANISM_NAMES, SCENARIO_NAMES
from commonground.measure.compare import TEST_NULLS
from commonground.measure.inference import NULLS
from commonground.model import household_schema
from commonground.scenarios import SCENARIOS

runner = CliRunner()


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"commonground {__version__}"


def test_choices_name_the_registries() -> None:
    assert tuple(MECHANISMS) == MECHANISM_NAMES
    assert tuple(SCENARIOS) == SCENARIO_NAMES
    assert choices.MAX_GROUPS == household_schema.MAX_GROUPS
    assert choices.MEASURE_NULLS == NULLS and choices.MEASURE_TEST_NULLS == TEST_NULLS


def test_help_imports_no_command_stack() -> None:
    """``commonground --help`` must not import NumPy, pandas, Numba, the solver, Dask or the web app."""
    code = ("import sys; from commonground.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = {'numpy', 'pandas', 'numba', 'highspy', 'dask', 'fastapi', 'sqlalchemy', 'matplotlib'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(("args", "extra", "what"), [
    (["serve"], "app", "commonground serve"),
    (["report", "."], "report", "commonground report"),
    (["price-of-diversity"], "optimal", "commonground price-of-diversity"),
    (["simulate", "uk-migration", "--out", "x"], "sim", "commonground simulate"),
])
def test_missing_extra_is_one_line_exit_2(monkeypatch, tmp_path, args, extra, what) -> None:
    absent = set(extras.EXTRAS[extra])
    real = extras.find_spec
    monkeypatch.setattr(extras, "find_spec", lambda name: None if name in absent else real(name))
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    line = " ".join(r.output.split())
    assert what in line and f"needs the [{extra}] extra: pip install 'commonground[{extra}]'" in line
    assert not any(tmp_path.iterdir())  # nothing written


def test_optimal_mechanism_names_its_extra(monkeypatch) -> None:
    from commonground.allocate import allocate
    from commonground.errors import CommongroundError
    from commonground.scenarios import get_scenario

    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    sc = get_scenario("sg-bto")
    with pytest.raises(CommongroundError, match=r"'optimal' mechanism needs the \[optimal\] extra"):
        allocate(sc.problem, sc.policy, "optimal")


def test_report_file_is_to_and_the_old_out_still_works(tmp_path) -> None:
    """docs/cli.md: ``--out`` is always a folder; the one file ``report`` writes is ``--to FILE``; the old name
    works with a note, and both at once is an error (exit 2, nothing written)."""
    folder = tmp_path / "m"
    table = tmp_path / "t.csv"
    table.write_text("x,y\n8,2\n2,8\n")
    assert runner.invoke(app, ["measure", str(table), "--groups", "x,y", "--out", str(folder)]).exit_code == 0
    r = runner.invoke(app, ["report", str(folder), "--to", str(tmp_path / "a.html")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", str(folder), "--out", str(tmp_path / "b.html")])
    assert r.exit_code == 0 and "--out FILE is now --to FILE" in r.output and (tmp_path / "b.html").is_file()
    r = runner.invoke(app, ["report", str(folder), "--to", str(tmp_path / "c.html"), "--out", str(tmp_path / "d.html")])
    assert r.exit_code == 2 and not (tmp_path / "c.html").exists() and not (tmp_path / "d.html").exists()


def test_simulate_argument_is_a_simulation() -> None:
    r = runner.invoke(app, ["simulate", "--help"])
    assert "SIMULATION" in r.output and "SCENARIO" not in r.output
    r = runner.invoke(app, ["price-of-diversity", "--help"])
    assert "--replicates" in r.output and "--seeds" not in r.output
