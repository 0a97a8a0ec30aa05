"""Shared test fixtures: where the shared real data lives, and Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", deadline=None, max_examples=60, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repo (real published data sets). Absent, the tests that compare against real
    data fail (they would otherwise vanish from a green run); set COMMONGROUND_ALLOW_NO_DATA=1 to skip them
    knowingly on a machine without the data."""
    if not SHARED_DATA.is_dir():
        message = f"shared data not found at {SHARED_DATA}"
        if os.environ.get("COMMONGROUND_ALLOW_NO_DATA") == "1":
            pytest.skip(message)
        pytest.fail(message + " (set COMMONGROUND_ALLOW_NO_DATA=1 to skip these tests knowingly)")
    return SHARED_DATA
