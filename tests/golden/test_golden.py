"""Golden checks: the demo, two measure tables and a simulation summary stay byte-identical to the outputs
recorded from main before the issue-10 restructuring (tests/golden/record.py; see produce.py for what is
normalised away: code version, clock, library versions, Parquet metadata, Matplotlib's SVG bytes).

A failure means results changed. If that was intended, re-record and say why in the commit.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from .produce import FILES, MANIFEST, PRODUCERS, digest

MANIFEST_DATA: dict[str, dict[str, str]] = json.loads(MANIFEST.read_text())


@pytest.mark.parametrize("group", sorted(PRODUCERS))
def test_outputs_match_golden(group: str, tmp_path: Path, shared_data: Path) -> None:
    expected = MANIFEST_DATA[group]
    outputs = PRODUCERS[group](tmp_path, shared_data)
    assert sorted(outputs) == sorted(expected), "the set of output files changed"
    for name, data in sorted(outputs.items()):
        if digest(data) == expected[name]:
            continue
        kept = FILES / name
        if kept.exists():
            diff = "".join(difflib.unified_diff(kept.read_text().splitlines(True), data.decode().splitlines(True),
                                                f"golden/{name}", f"now/{name}", n=1))
            pytest.fail(f"{name} differs from the golden:\n{diff[:4000]}")
        pytest.fail(f"{name} differs from the golden (sha256 {digest(data)} != {expected[name]})")
