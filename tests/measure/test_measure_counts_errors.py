"""Bad input raises InputError naming the row and column; the Counts contract (sorting, select, labels).

Expected values: the rows and columns of the bad cells placed in each test's own table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commonground.errors import InputError
from commonground.measure import Counts, dissimilarity, location_quotients, spatial_dissimilarity, theil_h


def frame() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["u1", "u2", "u3"], "region": ["b", "a", "b"], "x": [3, 1, 4],
                         "y": [1, 5, 9], "total": [5, 6, 13]})


def test_from_frame_builds_sorted_partition() -> None:
    c = Counts.from_frame(frame(), ["x", "y"], total="total", by="region", unit="unit")
    assert list(c.regions) == ["a", "b"] and c.regions.name == "region"
    assert list(c.units) == ["u2", "u1", "u3"]  # stored sorted by region
    lq = location_quotients(c)
    assert list(lq.index) == ["u1", "u2", "u3"]  # results come back in the caller's order
    assert list(lq.attrs["region"]) == ["b", "a", "b"]
    assert "3 units x 2 groups" in repr(c)


@pytest.mark.parametrize(("change", "match", "row", "column"), [
    (lambda f: f.assign(x=[3, -1, 4]), "negative count -1", 2, "x"),
    (lambda f: f.assign(y=[1, np.nan, 9]), "missing", 2, "y"),
    (lambda f: f.assign(total=[5, 6, 8]), "exceeds the unit total", 3, "y"),
    (lambda f: f.assign(total=[5, -6, 13]), "negative", 2, "total"),
])
def test_bad_cells_name_row_and_column(change, match: str, row: int, column: str) -> None:
    with pytest.raises(InputError, match=match) as e:
        Counts.from_frame(change(frame()), ["x", "y"], total="total", source="f.csv")
    assert e.value.row == row and e.value.column == column and e.value.source == "f.csv"
    assert "\n" not in str(e.value)


def test_missing_columns_and_unknown_groups() -> None:
    with pytest.raises(InputError, match="no column 'z'"):
        Counts.from_frame(frame(), ["x", "z"])
    with pytest.raises(InputError, match="no column 'county'"):
        Counts.from_frame(frame(), ["x"], by="county")
    c = Counts.from_frame(frame(), ["x", "y"])
    with pytest.raises(InputError, match="unknown group 'w'"):
        c.select(["x", "w"])
    with pytest.raises(InputError, match="not a number"):
        Counts.from_frame(frame().assign(x=["3", "lots", "4"]), ["x", "y"])


def test_other_shape_errors() -> None:
    with pytest.raises(InputError, match="duplicate group"):
        Counts([[1, 2]], ["a", "a"])
    with pytest.raises(InputError, match="appears more than once"):
        Counts([[1, 2], [3, 4]], units=["u", "u"])
    with pytest.raises(InputError, match="region labels"):
        Counts([[1, 2], [3, 4]], by=["a"])
    with pytest.raises(InputError, match="missing region"):
        Counts([[1, 2], [3, 4]], by=["a", None])
    with pytest.raises(InputError, match="at least two groups"):
        theil_h(Counts([[1], [2]]))
    with pytest.raises(TypeError):
        dissimilarity(pd.DataFrame({"x": [1]}))
    with pytest.raises(InputError, match="no rows"):
        Counts.from_frame(frame().iloc[:0], ["x", "y"])


def test_select_keeps_unit_total_for_single_group_indices() -> None:
    # D of x against everyone else, whether or not y is listed
    c = Counts([[8, 2, 0], [2, 6, 2]], ["x", "y", "z"])
    assert dissimilarity(c.select(["x"])).iloc[0, 0] == pytest.approx(dissimilarity(c).iloc[0, 0])
    assert c.select(["x", "y"]).group_total.tolist() == [10, 8]


def test_edge_list_naming_unknown_unit() -> None:
    c = Counts.from_frame(frame(), ["x", "y"], unit="unit")
    with pytest.raises(InputError, match="'u9'"):
        spatial_dissimilarity(c, [("u1", "u9")])
