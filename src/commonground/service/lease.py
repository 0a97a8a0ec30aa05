"""Which runs' holders are gone: worker ids, heartbeats, and start-up recovery.

Every server instance and runner process gets a worker id ``host:pid:instance`` (``instance`` random), writes
a row in ``workers`` before it claims any run, and renews that row's ``heartbeat_at`` every
:data:`HEARTBEAT_SECONDS`. A run's holder is dead when

* it is this host and its pid is this process's pid but not one of this process's live workers — a previous
  life of this pid, as when a container's server restarts as process 1 again (the review's stuck runs);
* it is this host and that pid no longer exists;
* its heartbeat is older than :data:`LEASE_SECONDS` (any host: a crashed machine), or its row is gone (a
  worker deletes its row when it stops cleanly).

At start-up a server fails every ``running`` run of a dead holder and takes over its ``queued`` ones; reading
a run does the same for that run. Worker ids written before migration 0002 (``host:pid``) are judged by the
first two rules only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from commonground.service.db import Database, Run, Worker, rowcount, utcnow

log = logging.getLogger("commonground.service")
HEARTBEAT_SECONDS = 10.0
LEASE_SECONDS = 60.0
INTERRUPTED = "interrupted: the process running it stopped before it finished; no partial result was stored"
#: Worker ids of this process that are alive (a process may hold several: tests build several apps).
_live: set[str] = set()
_live_lock = threading.Lock()


def register(db: Database, worker: str) -> None:
    """Record ``worker`` as alive now (before it claims any run)."""
    now = utcnow()
    with db.write() as s:
        row = s.get(Worker, worker)
        if row is None:
            s.add(Worker(worker=worker, started_at=now, heartbeat_at=now))
        else:
            row.heartbeat_at = now


def beat(db: Database, worker: str, *, at: datetime | None = None) -> None:
    with db.write() as s:
        s.execute(update(Worker).where(Worker.worker == worker).values(heartbeat_at=at or utcnow()))


def unregister(db: Database, worker: str) -> None:
    with db.write() as s:
        s.execute(delete(Worker).where(Worker.worker == worker))


class Heartbeat:
    """Registers a worker, renews its heartbeat on a daemon thread, and unregisters it on :meth:`stop`."""

    def __init__(self, db: Database, worker: str, interval: float = HEARTBEAT_SECONDS) -> None:
        self.db, self.worker, self.interval = db, worker, interval
        self._stop = threading.Event()
        with _live_lock:
            _live.add(worker)
        register(db, worker)
        self._thread = threading.Thread(target=self._run, name="cg-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                beat(self.db, self.worker)
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease is six beats long
                log.warning("heartbeat of %s failed", self.worker, exc_info=True)

    def stop(self, *, unregister_row: bool = True) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5)
        with _live_lock:
            _live.discard(self.worker)
        if unregister_row:
            with contextlib.suppress(Exception):
                unregister(self.db, self.worker)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_dead(worker: str | None, heartbeats: dict[str, datetime], now: datetime) -> bool:
    """True if the worker holding a run is gone (see the module docstring); False if alive or unknown."""
    if not worker:
        return False
    with _live_lock:
        if worker in _live:
            return False
    parts = worker.split(":")
    legacy = len(parts) < 3
    host, pid = (worker.rpartition(":")[0], worker.rpartition(":")[2]) if legacy else (":".join(parts[:-2]), parts[-2])
    if host == socket.gethostname() and pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid))):
        return True
    if legacy:
        return False
    beat_at = heartbeats.get(worker)
    return beat_at is None or beat_at < now - timedelta(seconds=LEASE_SECONDS)


def _heartbeats(db: Database, workers: Iterable[str | None]) -> dict[str, datetime]:
    names = sorted({w for w in workers if w})
    if not names:
        return {}
    with db.read() as s:
        return dict(s.execute(select(Worker.worker, Worker.heartbeat_at).where(Worker.worker.in_(names))).all())


def _dead_holders(db: Database, statuses: tuple[str, ...], run_ids: list[int] | None) -> list[tuple[int, str]]:
    with db.read() as s:
        q = select(Run.id, Run.worker).where(Run.status.in_(statuses))
        if run_ids is not None:
            q = q.where(Run.id.in_(run_ids))
        rows = [(rid, w) for rid, w in s.execute(q)]
    beats = _heartbeats(db, (w for _, w in rows))
    now = utcnow()
    # holder_dead(None, ...) is False; the explicit check only tells the type checker.
    return [(rid, w) for rid, w in rows if w is not None and holder_dead(w, beats, now)]


def reap_orphans(db: Database, run_ids: list[int] | None = None, *,
                 statuses: tuple[str, ...] = ("queued", "running")) -> list[int]:
    """Mark runs whose holder is gone as failed (only if still held by that holder); returns their ids."""
    reaped = []
    for rid, w in _dead_holders(db, statuses, run_ids):
        with db.write() as s:
            res = s.execute(update(Run).where(Run.id == rid, Run.status.in_(statuses), Run.worker == w)
                            .values(status="failed", error=INTERRUPTED, finished_at=utcnow()))
            if rowcount(res) == 1:
                reaped.append(rid)
    return reaped


def adopt_queued(db: Database, worker: str) -> list[int]:
    """Take over queued runs whose holder is gone (they never started); returns their ids."""
    adopted = []
    for rid, w in _dead_holders(db, ("queued",), None):
        with db.write() as s:
            res = s.execute(update(Run).where(Run.id == rid, Run.status == "queued", Run.worker == w)
                            .values(worker=worker))
            if rowcount(res) == 1:
                adopted.append(rid)
    return adopted
