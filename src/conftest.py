"""Names every doctest in the package starts with (``make test`` runs them with ``--doctest-modules``).

As in NumPy's and pandas' docstrings, the examples take ``np`` and ``pd`` as imported; the index examples also
share two small tables (``c``, and ``line`` with its centroids ``xy``) and the allocation examples one small
problem and policy (``problem``, ``pol``), so that each example shows only the call it documents. The docstrings
say which of these names they use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    from commonground.measure import Counts
    from commonground.model import Development, Households, Problem
    from commonground.policy import Cap, Policy

    dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2", "b1"], "block_id": ["A", "A", "B"],
                                               "neighbourhood_id": "N"}))
    hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2", "h3", "h4"],
                                             "ethnicity": ["Malay", "Malay", "Malay", "Chinese"]}))
    doctest_namespace.update(
        np=np,
        pd=pd,
        Counts=Counts,
        # two units of ten residents, groups x and y split 8/2 and 2/8 (one region, "all")
        c=Counts.from_frame(pd.DataFrame({"x": [8, 2], "y": [2, 8]}), ["x", "y"]),
        # three units in a row, one apart (the spatial examples)
        line=Counts.from_frame(pd.DataFrame({"x": [8, 6, 2], "y": [2, 4, 8]}), ["x", "y"]),
        xy=np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]),
        # the example of commonground.allocate.result.Allocation: four households (three Malay), three flats
        # (two in block A, one in block B) and a 50 % Malay cap per block
        problem=Problem.build(dev, hh),
        pol=Policy(name="demo", caps=(Cap.of("ethnicity", "block", {"Malay": 0.5}),)),
    )
