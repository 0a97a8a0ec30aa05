"""Fixtures for the measurement tests: the real data sets in ../shared/data, each loaded once per session.

Data come from ``shared_data`` (tests/conftest.py: repo root's ../shared/data, skipped when absent).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commonground.measure import Counts

SAC_GROUPS = ["WHITE_", "BLACK_", "ASIAN_", "HISP_"]
EW_GROUPS = ["WhiteBrit", "Irish", "OtherWhite", "Mixed", "Indian", "Pakistani", "Bangladeshi", "Chinese",
             "OtherAsian", "BlkAfrican", "BlkCaribbean", "OtherBlk", "Arab", "Other", "GypsyTraveller_derived"]
#: Local authorities compared with PySAL one by one (PySAL's O(n^2) Gini makes the whole country too slow
#: for a unit test; benchmarks/ does all 348). Small, mid-sized, very diverse and very homogeneous ones.
EW_LADS = ["City of London", "Adur", "Rutland", "Tower Hamlets", "Slough", "Leicester", "Copeland", "Oldham"]


@pytest.fixture(scope="session")
def sacramento(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "us_sacramento_tracts_2000.csv", dtype={"FIPS": str})


@pytest.fixture(scope="session")
def sac_counts(sacramento: pd.DataFrame) -> Counts:
    return Counts.from_frame(sacramento, SAC_GROUPS, total="TOT_POP", unit="POLYID")


@pytest.fixture(scope="session")
def sac_gdf(shared_data: Path, sacramento: pd.DataFrame):
    """The tract polygons projected to UTM zone 10N (metres), rows in the CSV's order."""
    gpd = pytest.importorskip("geopandas")
    gdf = gpd.read_file(shared_data / "sacramento_shp")
    assert (gdf["POLYID"].to_numpy() == sacramento["POLYID"].to_numpy()).all()
    return gdf.to_crs(26910)


@pytest.fixture(scope="session")
def sac_xy_area(sac_gdf) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.c_[sac_gdf.centroid.x, sac_gdf.centroid.y], sac_gdf.area.to_numpy()


@pytest.fixture(scope="session")
def sac_rook_edges(shared_data: Path) -> pd.DataFrame:
    """Sacramento tract pairs of ``..._queen_edges.csv``, which despite its name holds libpysal's *rook* pairs
    (test_shared_queen_edge_file_is_rook_contiguity); the true queen pairs are ``..._queen_contiguity_edges.csv``."""
    return pd.read_csv(shared_data / "us_sacramento_tracts_2000_queen_edges.csv")


@pytest.fixture(scope="session")
def ew_oa(shared_data: Path) -> pd.DataFrame:
    """England & Wales 2011 output areas (181,408 rows, 16 MB): read once per test session."""
    return pd.read_csv(shared_data / "ew_census2011_ethnicity_oa.csv")


@pytest.fixture(scope="session")
def ew_counts(ew_oa: pd.DataFrame) -> Counts:
    return Counts.from_frame(ew_oa, EW_GROUPS, total="Persons", by="LAD", unit="OA")


@pytest.fixture(scope="session")
def pysal_gini_interpreted():
    """Run PySAL's Gini kernel as plain Python (its own ``.py_func``, the same source) instead of compiling it.

    PySAL compiles ``_gini_vecp`` with Numba on first use, and again for each new dtype: ~20 s of a 2-core
    machine per signature, more than all our comparisons take. The values are the same; only speed differs.
    """
    gini_mod = pytest.importorskip("segregation.singlegroup.gini")
    kernel = gini_mod._gini_vecp
    with pytest.MonkeyPatch.context() as mp:
        if hasattr(kernel, "py_func"):
            mp.setattr(gini_mod, "_gini_vecp", kernel.py_func)
        yield
