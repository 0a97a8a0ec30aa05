"""The server's run queue: allocations on a small thread pool inside the server process, held by this server
instance's worker id (kept alive by its heartbeat), and a limit on concurrent re-run checks."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress

from commonground.service import lease
from commonground.service.db import Database
from commonground.service.inputs import Limits
from commonground.service.runner import execute_run


class RunQueue:
    def __init__(self, db: Database, limits: Limits, workers: int, worker: str) -> None:
        self.db = db
        self.limits = limits
        self.worker = worker
        self.heartbeat = lease.Heartbeat(db, worker)
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cg-run")
        self.futures: dict[int, Future] = {}
        self.lock = threading.Lock()

    def submit(self, run_id: int) -> Future:
        fut = self.pool.submit(execute_run, self.db, run_id, limits=self.limits, worker=self.worker)
        with self.lock:
            self.futures = {k: f for k, f in self.futures.items() if not f.done()}
            self.futures[run_id] = fut
        return fut

    def wait(self, run_id: int, timeout: float) -> None:
        with self.lock:
            fut = self.futures.get(run_id)
        if fut is None:
            return
        with suppress(TimeoutError):
            fut.result(timeout=timeout)

    def shutdown(self) -> None:
        """Finish the runs in progress, drop the ones not started (they stay queued: the next server adopts
        them), and stop the heartbeat."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.heartbeat.stop()
