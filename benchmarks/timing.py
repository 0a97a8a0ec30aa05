"""Timing shared by the benchmark scripts: the best of a few runs, since one run on a shared machine is easily
stretched by another process."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(f: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """(shortest wall time of ``repeat`` calls of ``f``, the last call's result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out
