"""ASGI middleware: security headers on every response (including 413s and 500s), a request body limit, and a
last-resort handler that turns an unexpected exception into a one-line 500 inside the headers middleware.

Order, outermost first: :class:`SecurityHeaders` → :class:`ThrottleBlocked` → :class:`BodyLimit` →
:class:`CatchErrors` → the app.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import HTTPException
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commonground.service.ratelimit import FailedAuthLimiter

log = logging.getLogger("commonground.service")

HEADERS = {b"x-content-type-options": b"nosniff", b"x-frame-options": b"DENY", b"referrer-policy": b"same-origin",
           b"cache-control": b"no-store"}
PAGE_CSP = (b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'none'; "
            b"frame-ancestors 'none'; form-action 'self'")


class _HttpOnly:
    """A middleware that acts on HTTP requests only (:meth:`http`); lifespan and websocket traffic pass straight
    to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class SecurityHeaders(_HttpOnly):
    """Conservative headers on every response; pages carry no scripts (the report sets its own CSP).

    ``Referrer-Policy: same-origin`` rather than ``no-referrer``: under ``no-referrer`` a browser sends
    ``Origin: null`` with the site's own form posts, and the form origin check must refuse ``null``."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = dict(HEADERS)
                if b"content-security-policy" not in names:
                    extra[b"content-security-policy"] = PAGE_CSP
                headers += [(k, v) for k, v in extra.items() if k not in names]
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, with_headers)


class ThrottleBlocked(_HttpOnly):
    """A client over its failed-authentication budget that presents credentials again (an ``Authorization``
    header, or a sign-in form) is answered 429 here, on the event loop, after waiting ``delay`` seconds
    without holding a thread or touching the database. The wait slows a flooding client to one attempt per
    ``delay`` per connection, so 64 parallel wrong secrets cost the server almost nothing (benchmarks/
    bench_service.py). Each such attempt counts as another failure, so the client stays blocked while it
    keeps trying."""

    def __init__(self, app: ASGIApp, limiter: FailedAuthLimiter, delay: float) -> None:
        super().__init__(app)
        self.limiter = limiter
        self.delay = delay

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        host = client[0] if client else None
        presents = scope.get("method") == "POST" and scope.get("path") == "/login" or any(
            k == b"authorization" for k, _ in scope.get("headers", []))
        if presents and self.limiter.client_blocked(host):
            self.limiter.failed(host, None)
            await asyncio.sleep(self.delay)
            await JSONResponse({"detail": "too many failed authentications from this client; try again later"},
                               status_code=429, headers={"Retry-After": "60"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimit(_HttpOnly):
    """Refuse request bodies larger than ``max_bytes`` with 413, before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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


class CatchErrors(_HttpOnly):
    """An exception nobody handled: log it, answer a one-line 500 (JSON under /api, text elsewhere) that
    names nothing internal, from inside the headers middleware (Starlette's own handler sits outside it)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            if scope.get("path", "").startswith("/api/"):
                response: Response = JSONResponse({"detail": "internal server error"}, status_code=500)
            else:
                response = PlainTextResponse("internal server error", status_code=500)
            await response(scope, receive, send)
