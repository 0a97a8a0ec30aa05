"""Runs one stored run in its own process, pausing inside the open result transaction after a number of rows
(the crash tests kill it there). A test helper: production code has no pause hook, only the
``on_rows_written`` callback of :func:`commonground.service.runner.execute_run`.

    python tests/service/pausing_runner.py --db URL RUN_ID --pause-after ROWS --pause-seconds S
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import func, select

from commonground.service.db import AllocationRow
from commonground.service.runner import run_one

MARKER = "COMMONGROUND_TEST_PAUSED"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("run_id", type=int)
    ap.add_argument("--pause-after", type=int, required=True)
    ap.add_argument("--pause-seconds", type=float, default=30.0)
    args = ap.parse_args()
    paused = False

    def pause(session, run_id: int, written: int) -> None:
        nonlocal paused
        if paused or written < args.pause_after:
            return
        paused = True
        seen = session.scalar(select(func.count()).select_from(AllocationRow).where(AllocationRow.run_id == run_id))
        print(f"{MARKER} run={run_id} written={written} visible_in_transaction={seen}", file=sys.stderr, flush=True)
        time.sleep(args.pause_seconds)

    status = run_one(args.db, args.run_id, on_rows_written=pause)
    print(f"run {args.run_id}: {status}")
    return 0 if status == "done" else 1


if __name__ == "__main__":
    raise SystemExit(main())
