"""The FastAPI application: start-up (migrations, runs left by a dead server), the run queue, error handlers
and middleware. Routes live in :mod:`~commonground.service.api` and :mod:`~commonground.service.pages`,
their dependencies in :mod:`~commonground.service.deps`, shared views in :mod:`~commonground.service.views`.
"""

from __future__ import annotations

import logging
import math
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from commonground import __version__
from commonground.errors import InputError
from commonground.service import api, lease, migrate, pages
from commonground.service.db import Database, worker_id
from commonground.service.middleware import BodyLimit, CatchErrors, SecurityHeaders, ThrottleBlocked
from commonground.service.ratelimit import FailedAuthLimiter
from commonground.service.runqueue import RunQueue
from commonground.service.settings import Settings
from commonground.service.store import NotFound
from commonground.service.views import error_page

log = logging.getLogger("commonground.service")
__all__ = ["Settings", "create_app"]


def _validation_message(exc: RequestValidationError) -> str:
    """One line naming the first bad field of a page request."""
    err = (exc.errors() or [{}])[0]
    where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
    return f"{where}: {str(err.get('msg', 'invalid value'))[:200]}"


def _json_safe(value):
    """Validation errors echo the input; a non-finite number (``1e400`` parses as infinity) has no JSON form."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: connect, migrate (unless told not to), fail the runs a dead server was running and take
    over the ones it had queued."""
    settings = settings or Settings()
    db = Database(settings.db_url)
    if settings.migrate:
        migrate.upgrade(db.engine)
    me = worker_id()
    queue = RunQueue(db, settings.limits, settings.run_workers, me)  # registers `me` before adopting runs
    adopted = lease.adopt_queued(db, me)
    reaped = lease.reap_orphans(db, statuses=("running",))
    if reaped:
        log.warning("marked %d interrupted run(s) as failed: %s", len(reaped), reaped)
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
    app.state.auth_limiter = FailedAuthLimiter(settings.failed_auth_per_client, settings.failed_auth_per_key)
    app.state.verify_slots = threading.BoundedSemaphore(max(1, settings.verify_workers))

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        status = 404 if isinstance(exc, NotFound) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return error_page(request, str(exc), status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable_encoder(_json_safe(exc.errors()))}, status_code=422)
        return error_page(request, _validation_message(exc), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith(("/api/", "/openapi")):
            return await http_exception_handler(request, exc)
        if exc.status_code in (303, 307) and exc.headers and "Location" in exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        response = error_page(request, str(exc.detail), exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(CatchErrors)
    app.add_middleware(BodyLimit, max_bytes=2 * settings.limits.max_upload_bytes + 256 * 1024)
    app.add_middleware(ThrottleBlocked, limiter=app.state.auth_limiter, delay=settings.failed_auth_delay)
    app.add_middleware(SecurityHeaders)
    return app
