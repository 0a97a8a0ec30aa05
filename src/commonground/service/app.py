"""The FastAPI application: settings, start-up (migrations, orphaned runs), the run queue, middleware."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commonground import __version__
from commonground.errors import InputError
from commonground.service import migrate
from commonground.service.db import DEFAULT_DB_URL, Database, worker_id
from commonground.service.inputs import Limits
from commonground.service.runner import adopt_queued, execute_run, reap_orphans
from commonground.service.store import NotFound

log = logging.getLogger("commonground.service")


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    hdb_file: Path | None = None
    limits: Limits = field(default_factory=Limits)
    migrate: bool = True
    run_workers: int = 2
    #: Longest a request with ``wait=true`` blocks for its run (seconds) before answering "still running".
    wait_timeout: float = 300.0
    secure_cookies: bool = False


class RunQueue:
    """Runs allocations on a small thread pool inside the server process."""

    def __init__(self, db: Database, limits: Limits, workers: int) -> None:
        self.db = db
        self.limits = limits
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cg-run")
        self.futures: dict[int, Future] = {}
        self.lock = threading.Lock()

    def submit(self, run_id: int) -> Future:
        fut = self.pool.submit(execute_run, self.db, run_id, limits=self.limits)
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
        self.pool.shutdown(wait=True, cancel_futures=True)


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413, before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await JSONResponse({"detail": f"request body is larger than {self.max_bytes:,} bytes"},
                                       status_code=413)(scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, f"request body is larger than {self.max_bytes:,} bytes")
            return msg

        await self.app(scope, limited, send)


class SecurityHeaders:
    """Conservative headers on every response; pages carry no scripts (the report sets its own CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {b"x-content-type-options": b"nosniff", b"x-frame-options": b"DENY",
                         b"referrer-policy": b"no-referrer", b"cache-control": b"no-store"}
                if b"content-security-policy" not in names:
                    extra[b"content-security-policy"] = (b"default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                         b"img-src 'self' data:; script-src 'none'; "
                                                         b"frame-ancestors 'none'; form-action 'self'")
                headers += [(k, v) for k, v in extra.items() if k not in names]
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: connect, migrate (unless told not to), mark runs orphaned by a dead process as failed."""
    from commonground.service import api, pages

    settings = settings or Settings()
    db = Database(settings.db_url)
    if settings.migrate:
        migrate.upgrade(db.engine)
    me = worker_id()
    # Runs a dead server had queued but not started are run here; runs it had started are marked failed
    # (they left nothing behind: results are written in one transaction).
    adopted = adopt_queued(db, me)
    reaped = reap_orphans(db, statuses=("running",))
    if reaped:
        log.warning("marked %d interrupted run(s) as failed: %s", len(reaped), reaped)
    queue = RunQueue(db, settings.limits, settings.run_workers)
    for run_id in adopted:
        queue.submit(run_id)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        queue.shutdown()
        db.dispose()

    app = FastAPI(title="commonground", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Allocate homes in new housing developments under integration caps. "
                              "Writes need an admin token (`commonground token create --role admin`); "
                              "a household token sees only its own row.")
    app.state.settings = settings
    app.state.db = db
    app.state.queue = queue
    app.state.worker = me

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        status = 404 if isinstance(exc, NotFound) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return pages.error_page(request, str(exc), status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith(("/api/", "/openapi")):
            return await http_exception_handler(request, exc)
        if exc.status_code in (303, 307) and exc.headers and "Location" in exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        return pages.error_page(request, str(exc.detail), exc.status_code)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=2 * settings.limits.max_upload_bytes + 256 * 1024)
    return app
