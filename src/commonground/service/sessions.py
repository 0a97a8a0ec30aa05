"""Server-side browser sessions: signing in with a token creates a session; the cookie holds only the
session's random secret (never the token), and the database only the secret's SHA-256.

A session ends when it expires (``Settings.session_hours`` after sign-in), when the user signs out (the row is
revoked, so a copied cookie stops working too), or when its token is revoked or expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from commonground.service.auth import Principal, principal_of, usable
from commonground.service.db import ApiToken, Database, WebSession, rowcount, utcnow

COOKIE = "cg_session"
PREFIX = "cgs_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(db: Database, principal: Principal, hours: float) -> str:
    """A new session for ``principal``'s token; returns the cookie value."""
    secret = PREFIX + secrets.token_urlsafe(32)
    with db.write() as s:
        s.add(WebSession(secret_hash=_hash(secret), token_id=principal.token_id,
                         expires_at=utcnow() + timedelta(hours=hours), revoked=False))
    return secret


def principal(db: Database, cookie: str | None) -> Principal | None:
    """The principal of a live session (its token still usable), or None."""
    if not cookie or not cookie.startswith(PREFIX) or len(cookie) > 100:
        return None
    now = utcnow()
    with db.read() as s:
        found = s.execute(select(WebSession, ApiToken).join(ApiToken, ApiToken.id == WebSession.token_id)
                          .where(WebSession.secret_hash == _hash(cookie))).first()
        if found is None:
            return None
        session, token = found
        if session.revoked or session.expires_at <= now or not usable(token, now):
            return None
        return principal_of(token)


def end(db: Database, cookie: str | None) -> None:
    """Sign out: the session stops working everywhere."""
    if cookie:
        with db.write() as s:
            s.execute(update(WebSession).where(WebSession.secret_hash == _hash(cookie)).values(revoked=True))


def list_active(db: Database) -> list[tuple[WebSession, ApiToken]]:
    now = utcnow()
    with db.read() as s:
        return [(w, t) for w, t in s.execute(
            select(WebSession, ApiToken).join(ApiToken, ApiToken.id == WebSession.token_id)
            .where(WebSession.revoked.is_(False), WebSession.expires_at > now).order_by(WebSession.id))]


def revoke(db: Database, session_id: int) -> bool:
    with db.write() as s:
        return rowcount(s.execute(update(WebSession).where(WebSession.id == session_id).values(revoked=True))) == 1
