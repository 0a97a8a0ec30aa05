"""Runs are all-or-nothing and don't interfere: a run killed midway leaves no partial allocation, and two
runs at once (separate processes, or the server's own worker threads) both finish correctly.
Against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from commonground.allocate import allocate
from commonground.io import read_problem
from commonground.policy import load_policy
from commonground.service import store
from commonground.service.db import AllocationRow, Database, Run, RunFile
from commonground.service.inputs import Limits
from commonground.service.lease import INTERRUPTED, reap_orphans
from commonground.service.migrate import upgrade
from commonground.service.runner import OUTPUT_FILES, claim, execute_run

PAUSING_RUNNER = Path(__file__).with_name("pausing_runner.py")


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def bto(db, bto_inputs):
    """The sg-bto scenario stored as a development + applicant set; returns their ids."""
    dev = store.create_development(db, "bto", "flats.csv", (bto_inputs / "flats.csv").read_bytes(), Limits())
    apps = store.add_applicants(db, dev.id, "households.csv", (bto_inputs / "households.csv").read_bytes(),
                                "preferences.csv", (bto_inputs / "preferences.csv").read_bytes(), Limits())
    return dev.id, apps.id


def queue_run(db, ids, *, seed=0, mechanism="ballot", presets=("sg-eip-2010", "sg-spr")):
    return store.create_run(db, ids[0], ids[1], presets=list(presets), policy_toml=None, mechanism=mechanism,
                            seed=seed, created_by=None, worker=None).id


def runner_process(db_url: str, run_id: int, pause_after: int | None = None,
                   pause_seconds: float = 30) -> subprocess.Popen:
    """``python -m commonground.service.runner`` in its own process (what gets killed); with ``pause_after``,
    the test helper that pauses inside the open result transaction after that many rows."""
    if pause_after is None:
        cmd = [sys.executable, "-m", "commonground.service.runner", "--db", db_url, str(run_id)]
    else:
        cmd = [sys.executable, str(PAUSING_RUNNER), "--db", db_url, str(run_id), "--pause-after", str(pause_after),
               "--pause-seconds", str(pause_seconds)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def wait_for_line(proc: subprocess.Popen, marker: str, timeout: float = 120) -> str:
    """Read the process's stderr until a line containing ``marker`` (bounded wait)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.5):
            if proc.poll() is not None:
                break
            continue
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return line
    proc.kill()
    raise AssertionError(f"no '{marker}' from the runner (exit {proc.poll()}): {''.join(seen)[-3000:]}")


def counts(db, run_id):
    with db.read() as s:
        rows = s.scalar(select(func.count()).select_from(AllocationRow).where(AllocationRow.run_id == run_id))
        files = s.scalar(select(func.count()).select_from(RunFile).where(RunFile.run_id == run_id))
        status = s.get(Run, run_id).status
    return rows, files, status


def expected_flats(bto_inputs, seed, mechanism="ballot", policy="sg-eip-2010,sg-spr"):
    problem = read_problem(bto_inputs / "flats.csv", bto_inputs / "households.csv", bto_inputs / "preferences.csv")
    result = allocate(problem, load_policy(policy), mechanism, seed=seed)
    return [None if pd.isna(f) else f for f in result.households_frame()["flat_id"]]


def stored_flats(db, run_id):
    with db.read() as s:
        return list(s.scalars(select(AllocationRow.flat_id).where(AllocationRow.run_id == run_id)
                              .order_by(AllocationRow.position)))


def test_a_run_killed_midway_leaves_no_partial_allocation(db, db_url, bto, bto_inputs):
    run_id = queue_run(db, bto, seed=11)
    proc = runner_process(db_url, run_id, pause_after=2000, pause_seconds=60)
    try:
        line = wait_for_line(proc, "COMMONGROUND_TEST_PAUSED")
        # Inside its (uncommitted) transaction the runner has written 2,000 of the 3,200 rows ...
        assert f"run={run_id} written=2000 visible_in_transaction=2000" in line
        # ... which nobody else can see, and the run is 'running'.
        assert counts(db, run_id) == (0, 0, "running")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # After the kill: not one allocation row or output file, and the run is not done.
    rows, files, status = counts(db, run_id)
    assert (rows, files) == (0, 0) and status == "running"
    # The dead worker's run is found and marked failed (the server does this at start-up and on reads).
    assert reap_orphans(db) == [run_id]
    failed = store.get_run(db, run_id)
    assert failed.status == "failed" and failed.error == INTERRUPTED
    assert counts(db, run_id)[:2] == (0, 0)
    # The database is intact: the same inputs run to completion afterwards.
    again = queue_run(db, bto, seed=11)
    assert execute_run(db, again) == "done"
    assert stored_flats(db, again) == expected_flats(bto_inputs, 11)


def test_two_runner_processes_at_once(db, db_url, bto, bto_inputs):
    """Two processes write their results at the same time; the first holds its transaction open for a
    while (the pause hook), so the second must wait for the database instead of failing or mixing rows."""
    a, b = queue_run(db, bto, seed=1), queue_run(db, bto, seed=2, mechanism="ballot-unconstrained", presets=())
    pa = runner_process(db_url, a, pause_after=1000, pause_seconds=1.5)
    pb = runner_process(db_url, b)
    outs = [p.communicate(timeout=180) for p in (pa, pb)]
    assert (pa.returncode, pb.returncode) == (0, 0), outs
    assert counts(db, a) == (3200, len(OUTPUT_FILES), "done") and counts(db, b) == (3200, len(OUTPUT_FILES), "done")
    assert stored_flats(db, a) == expected_flats(bto_inputs, 1)
    assert stored_flats(db, b) == expected_flats(bto_inputs, 2, "ballot-unconstrained", "none")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AllocationRow)) == 6400


def test_server_runs_two_at_once_in_threads(service, bto_inputs):
    """Two runs queued on the server's worker threads at the same moment both finish with their own rows."""
    app, db, _ = service
    dev = store.create_development(db, "bto", "flats.csv", (bto_inputs / "flats.csv").read_bytes(), Limits())
    apps = store.add_applicants(db, dev.id, "households.csv", (bto_inputs / "households.csv").read_bytes(),
                                "preferences.csv", (bto_inputs / "preferences.csv").read_bytes(), Limits())
    ids = [queue_run(db, (dev.id, apps.id), seed=s) for s in (21, 22)]
    start = threading.Barrier(2)

    def go(run_id):
        start.wait(timeout=30)
        app.state.queue.submit(run_id)

    threads = [threading.Thread(target=go, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for i in ids:
        app.state.queue.wait(i, 120)
    for i, seed in zip(ids, (21, 22), strict=True):
        assert counts(db, i) == (3200, len(OUTPUT_FILES), "done")
        assert stored_flats(db, i) == expected_flats(bto_inputs, seed)


def test_a_run_is_claimed_once(db, bto):
    """Two workers racing for the same queued run: exactly one gets it, and the other writes nothing."""
    run_id = queue_run(db, bto)
    results = []
    barrier = threading.Barrier(4)

    def race(k):
        barrier.wait(timeout=30)
        results.append(claim(db, run_id, f"worker-{k}"))

    threads = [threading.Thread(target=race, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False, False, False, True]
    assert execute_run(db, run_id) == "running"  # already claimed: left alone
    assert counts(db, run_id) == (0, 0, "running")


def test_a_restarted_server_runs_what_was_queued_and_fails_what_was_cut_off(db, db_url, bto):
    """A server that died left one run queued (never started) and one running: the next server runs the
    first and marks the second failed (it had stored nothing)."""
    from sqlalchemy import update

    from commonground.service import Settings, create_app

    dead = f"{socket.gethostname()}:{2**22 + 12345}"  # a pid above Linux's largest: no such process
    queued, running = queue_run(db, bto, seed=31), queue_run(db, bto, seed=32)
    with db.write() as s:
        s.execute(update(Run).where(Run.id == queued).values(worker=dead))
        s.execute(update(Run).where(Run.id == running).values(worker=dead, status="running"))
    app = create_app(Settings(db_url=db_url))
    try:
        app.state.queue.wait(queued, 120)
        assert counts(db, queued) == (3200, len(OUTPUT_FILES), "done")
        failed = store.get_run(db, running)
        assert failed.status == "failed" and failed.error == INTERRUPTED and counts(db, running)[:2] == (0, 0)
    finally:
        app.state.queue.shutdown()
        app.state.db.dispose()
