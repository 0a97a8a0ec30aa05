"""FastAPI dependencies shared by the API and the pages: the database, the settings, and who is calling
(an API token for the API, a server-side session for the pages), with failed-authentication rate limits."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commonground.service import auth, sessions
from commonground.service.db import Database
from commonground.service.ratelimit import TooManyFailures
from commonground.service.settings import Settings

bearer = HTTPBearer(auto_error=False, description="An API token from `commonground token create`.")


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def too_many(e: TooManyFailures) -> HTTPException:
    return HTTPException(429, "too many failed authentications from this client or for this token; try again "
                              f"in {e.retry_after} s", headers={"Retry-After": str(e.retry_after)})


def check_token(request: Request, token: str | None) -> auth.Principal | None:
    """Verify a token under the app's failed-authentication limits (429 when over them)."""
    try:
        return auth.verify_token(get_db(request), token, limiter=request.app.state.auth_limiter,
                                 client=client_address(request))
    except TooManyFailures as e:
        raise too_many(e) from None


# -- the API: bearer tokens ----------------------------------------------------------------------------
def current(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
            ) -> auth.Principal:
    principal = check_token(request, creds.credentials if creds else None)
    if principal is None:
        raise HTTPException(401, "missing or invalid API token", headers={"WWW-Authenticate": "Bearer"})
    return principal


def admin(principal: Annotated[auth.Principal, Depends(current)]) -> auth.Principal:
    if not principal.is_admin:
        raise HTTPException(403, "this needs an admin token")
    return principal


Caller = Annotated[auth.Principal, Depends(current)]
Admin = Annotated[auth.Principal, Depends(admin)]
Db = Annotated[Database, Depends(get_db)]
Config = Annotated[Settings, Depends(get_settings)]


# -- the pages: server-side sessions --------------------------------------------------------------------
def page_principal(request: Request) -> auth.Principal | None:
    p = sessions.principal(get_db(request), request.cookies.get(sessions.COOKIE))
    request.state.principal = p
    return p


def same_origin(request: Request) -> None:
    """Refuse form posts that a browser says come from another site, or from an opaque origin (``null``:
    sandboxed frames, some redirects, ``data:`` pages)."""
    origin = request.headers.get("origin")
    if origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
        raise HTTPException(403, "cross-site form post refused")


def user(request: Request) -> auth.Principal:
    p = page_principal(request)
    if p is None:
        raise HTTPException(303, headers={"Location": "/login"})
    return p


def admin_user(request: Request) -> auth.Principal:
    p = user(request)
    if not p.is_admin:
        raise HTTPException(403, "this page needs an admin token")
    return p


User = Annotated[auth.Principal, Depends(user)]
AdminUser = Annotated[auth.Principal, Depends(admin_user)]
Posted = Depends(same_origin)
