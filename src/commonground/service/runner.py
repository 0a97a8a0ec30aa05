"""Executing allocation runs, all or nothing.

A run is claimed (``queued → running``, conditionally, so two workers never run the same one), its stored
inputs are read back through :mod:`commonground.service.inputs`, it is allocated with
``commonground.allocate.allocate``, and every result row, the output files and ``done`` are written in ONE
transaction. A process killed midway therefore leaves no allocation rows and a run that is not ``done``;
:mod:`commonground.service.lease` later marks such runs ``failed``.

Also a small command for running one stored, queued run in its own process::

    python -m commonground.service.runner --db sqlite:///commonground.sqlite RUN_ID
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from commonground import __version__
from commonground.allocate import MECHANISMS, allocate
from commonground.allocate.result import Allocation
from commonground.errors import CommongroundError, InputError
from commonground.io import schema
from commonground.model import Problem
from commonground.policy import Policy, policy_from_toml
from commonground.service import inputs, lease
from commonground.service.db import (
    AllocationRow,
    ApplicantSet,
    Database,
    Development,
    Run,
    RunFile,
    rowcount,
    utcnow,
    worker_id,
)

log = logging.getLogger("commonground.service")
#: Rows per INSERT statement; all chunks belong to the same transaction.
CHUNK_ROWS = 2000
#: What a run stores: the allocation folder's files (names from commonground.io.schema), manifest included.
OUTPUT_FILES = (*(t.csv for t in schema.ALLOCATION_TABLES), schema.SUMMARY_JSON, schema.MANIFEST)


class RunLost(CommongroundError):
    """The run was taken away from this worker (e.g. marked failed as interrupted) before it finished."""


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The package version, plus the git commit (and ``-dirty``) when running from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", str(here.parent)],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{sha}{'.dirty' if dirty else ''}" if sha else __version__


def inputs_hash(flats_sha256: str, households_sha256: str, preferences_sha256: str | None, policy_toml: str) -> str:
    """SHA-256 over the input files' SHA-256s and the policy text (seed and mechanism are stored beside it)."""
    blob = json.dumps({"flats": flats_sha256, "households": households_sha256, "preferences": preferences_sha256,
                       "policy": inputs.sha256(policy_toml.encode())}, sort_keys=True)
    return inputs.sha256(blob.encode())


@dataclass
class StoredInputs:
    """A run's inputs as read back from the database; ``inputs_hash`` is recomputed from the stored bytes."""

    problem: Problem
    policy: Policy
    mechanism: str
    seed: int
    inputs_hash: str


def load_inputs(db: Database, run_id: int, limits: inputs.Limits) -> StoredInputs:
    """Read a run's stored inputs back into a Problem and Policy, exactly as the run itself does."""
    with db.read() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise InputError(f"no run {run_id}")
        dev = s.get(Development, run.development_id)
        app = s.get(ApplicantSet, run.applicants_id)
        if dev is None or app is None:
            raise InputError(f"run {run_id}: its development or applicants are gone")
        h = inputs_hash(inputs.sha256(dev.flats_content), inputs.sha256(app.households_content),
                        None if app.preferences_content is None else inputs.sha256(app.preferences_content),
                        run.policy_toml)
        flats = inputs.parse_flats(dev.flats_content, dev.flats_filename, limits)
        hh = inputs.parse_households(app.households_content, app.households_filename, limits)
        prefs = (inputs.parse_preferences(app.preferences_content, app.preferences_filename or "preferences.csv",
                                          limits) if app.preferences_content is not None else None)
        problem = inputs.build_problem(flats, hh, prefs, app.preferences_filename, limits)
        policy = policy_from_toml(run.policy_toml, source=f"run {run_id} policy")
        return StoredInputs(problem, policy, run.mechanism, int(run.seed), h)


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def result_rows(result: Allocation, run_id: int) -> list[dict[str, Any]]:
    """One dict per household for ``allocation_rows``."""
    df = result.households_frame()
    util = df["utility"].to_numpy(dtype=float)
    qp = df["queue_position"].to_numpy(dtype=float, na_value=np.nan)
    cols = [df[c].tolist() for c in ("household_id", "flat_id", "block_id", "neighbourhood_id", "status", "reason")]
    return [{"run_id": run_id, "position": i, "household_id": str(hid), "flat_id": _text(fid),
             "block_id": _text(bid), "neighbourhood_id": _text(nid), "status": str(st), "reason": _text(rs) or "",
             "queue_position": None if math.isnan(qp[i]) else int(qp[i]),
             "utility": float(util[i]) if math.isfinite(util[i]) else None}
            for i, (hid, fid, bid, nid, st, rs) in enumerate(zip(*cols, strict=True))]


def result_files(result: Allocation) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="cg-run-") as tmp:
        out = result.write(Path(tmp) / "out", parquet=False)
        return {name: (out / name).read_bytes() for name in OUTPUT_FILES if (out / name).is_file()}


def _table(model: type[AllocationRow] | type[RunFile]) -> Table:
    """A mapped class's table. SQLAlchemy types ``__table__`` as ``FromClause``; a declarative class's is a
    ``Table`` (which has ``insert()``)."""
    return cast(Table, model.__table__)


def claim(db: Database, run_id: int, worker: str) -> bool:
    """``queued → running`` for this worker; False if the run is not queued (someone else has it)."""
    with db.write() as s:
        res = s.execute(update(Run).where(Run.id == run_id, Run.status == "queued")
                        .values(status="running", worker=worker, started_at=utcnow()))
        return rowcount(res) == 1


#: Called after each chunk of rows is written inside the result transaction: ``(session, run_id, written)``.
RowsWritten = Callable[[Session, int, int], None]


def execute_run(db: Database, run_id: int, *, limits: inputs.Limits | None = None, worker: str | None = None,
                on_rows_written: RowsWritten | None = None) -> str:
    """Run a queued run to ``done`` (or ``failed``) as ``worker`` (default: a new worker id registered for
    the duration of the run); returns the final status. ``on_rows_written`` lets a caller observe the open
    result transaction (the crash tests pause there and kill the process)."""
    limits = limits or inputs.Limits()
    beat = None
    if worker is None:
        worker = worker_id()
        beat = lease.Heartbeat(db, worker)
    try:
        return _execute(db, run_id, limits, worker, on_rows_written)
    finally:
        if beat is not None:
            beat.stop()


def _execute(db: Database, run_id: int, limits: inputs.Limits, me: str, on_rows_written: RowsWritten | None) -> str:
    if not claim(db, run_id, me):
        with db.read() as s:
            run = s.get(Run, run_id)
            return run.status if run else "missing"
    try:
        stored = load_inputs(db, run_id, limits)
        with db.read() as s:
            expected = s.get_one(Run, run_id).inputs_hash
        if stored.inputs_hash != expected:
            raise InputError(f"run {run_id}: the stored inputs changed since the run was queued (inputs hash "
                             f"{stored.inputs_hash[:12]}…, expected {expected[:12]}…)")
        if stored.mechanism not in MECHANISMS:
            raise InputError(f"unknown mechanism '{stored.mechanism}'")
        result = allocate(stored.problem, stored.policy, stored.mechanism, seed=stored.seed)
        rows = result_rows(result, run_id)
        files = result_files(result)
        summary = result.summary()
        with db.write() as s:
            res = s.execute(update(Run).where(Run.id == run_id, Run.status == "running", Run.worker == me)
                            .values(status="done", finished_at=utcnow(), error=None,
                                    problem_fingerprint=summary["problem_fingerprint"],
                                    n_households=len(rows), n_allocated=int(result.n_allocated),
                                    summary_json=json.dumps(summary, default=str)))
            if rowcount(res) != 1:
                raise RunLost(f"run {run_id} is no longer held by this worker")
            written = 0
            for start in range(0, len(rows), CHUNK_ROWS):
                chunk = rows[start:start + CHUNK_ROWS]
                s.connection().execute(_table(AllocationRow).insert(), chunk)
                written += len(chunk)
                if on_rows_written is not None:
                    on_rows_written(s, run_id, written)
            s.connection().execute(_table(RunFile).insert(),
                                   [{"run_id": run_id, "name": n, "content": c} for n, c in files.items()])
        return "done"
    except Exception as e:  # noqa: BLE001 - every failure is recorded on the run, then logged
        message = str(e) if isinstance(e, CommongroundError) else f"internal error: {type(e).__name__}: {e}"
        if not isinstance(e, CommongroundError):
            log.exception("run %s failed", run_id)
        mark_failed(db, run_id, message[:2000], worker=me)
        return "failed"


def mark_failed(db: Database, run_id: int, message: str, *, worker: str | None = None) -> None:
    with db.write() as s:
        q = update(Run).where(Run.id == run_id, Run.status.in_(("queued", "running")))
        if worker is not None:
            q = q.where(Run.worker == worker)
        s.execute(q.values(status="failed", error=message, finished_at=utcnow()))


# -- re-run check --------------------------------------------------------------------------------------
def verify_run(db: Database, run_id: int, *, limits: inputs.Limits | None = None) -> dict[str, Any]:
    """Re-run a finished run from its stored inputs and compare with the stored result."""
    limits = limits or inputs.Limits()
    with db.read() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise InputError(f"no run {run_id}")
        if run.status != "done":
            raise InputError(f"run {run_id} is {run.status}, not done: nothing to check")
        stored_hash, stored_fp, stored_version = run.inputs_hash, run.problem_fingerprint, run.code_version
        rows = s.execute(select(AllocationRow.household_id, AllocationRow.flat_id, AllocationRow.reason,
                                AllocationRow.queue_position).where(AllocationRow.run_id == run_id)
                         .order_by(AllocationRow.position)).all()
    stored = load_inputs(db, run_id, limits)
    result = allocate(stored.problem, stored.policy, stored.mechanism, seed=stored.seed)
    fresh = result_rows(result, run_id)
    mismatched = [f["household_id"] for f, r in zip(fresh, rows, strict=False)
                  if (f["household_id"], f["flat_id"], f["reason"], f["queue_position"]) != tuple(r)]
    same_len = len(fresh) == len(rows)
    fingerprint = stored.problem.fingerprint()
    return {
        "run_id": run_id,
        "identical": same_len and not mismatched and stored.inputs_hash == stored_hash and fingerprint == stored_fp,
        "inputs_hash_matches": stored.inputs_hash == stored_hash,
        "fingerprint_matches": fingerprint == stored_fp,
        "households": len(fresh),
        "stored_rows": len(rows),
        "mismatches": len(mismatched) + abs(len(fresh) - len(rows)),
        "first_mismatches": mismatched[:10],
        "code_version_stored": stored_version,
        "code_version_now": code_version(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m commonground.service.runner",
                                 description="Run one stored, queued allocation run.")
    ap.add_argument("--db", required=True, help="database URL")
    ap.add_argument("run_id", type=int)
    args = ap.parse_args(argv)
    status = run_one(args.db, args.run_id)
    print(f"run {args.run_id}: {status}")
    return 0 if status == "done" else 1


def run_one(db_url: str, run_id: int, *, on_rows_written: RowsWritten | None = None) -> str:
    """Run one stored, queued run in this process (its own worker id and heartbeat); returns its status."""
    db = Database(db_url)
    try:
        return execute_run(db, run_id, on_rows_written=on_rows_written)
    finally:
        db.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
