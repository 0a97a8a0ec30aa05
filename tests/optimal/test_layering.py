"""Layering: the index library (``commonground.measure``) runs no mechanism, so importing it must not pull the
optimiser (HiGHS) or any allocation mechanism; the analyses that do live in ``commonground.analysis``."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import commonground.measure
bad = sorted(m for m in sys.modules if m == 'highspy' or m.startswith('commonground.allocate')
             or m.startswith('commonground.analysis'))
print(','.join(bad))
"""


def test_measure_imports_no_mechanism_or_solver():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_analysis_holds_price_of_diversity_and_fairness():
    from commonground.analysis.fairness import fairness_table
    from commonground.analysis.welfare import price_of_diversity

    assert callable(price_of_diversity) and callable(fairness_table)
