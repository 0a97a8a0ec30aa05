"""API tokens and roles.

A token is ``cg_<key>_<secret>``: ``key`` (12 hex characters) finds the row, ``secret`` (43 URL-safe
characters, 256 random bits) is checked against its SHA-256. A 256-bit random secret cannot be guessed or
found from its hash, so a slow password hash would add nothing but cost: a wrong secret costs one SHA-256
and one indexed read (the review measured 50–100 ms of scrypt per wrong secret before). Tokens issued before
migration 0002 keep their salted scrypt hash (``scheme="scrypt"``) until they are re-issued. Failed
attempts are rate limited per client and per key (:mod:`commonground.service.ratelimit`). Only the key and
the hash are stored; the whole token is shown once, when it is created. Roles:

* ``admin`` — uploads, runs allocations, reads every result, issues and revokes tokens;
* ``household`` — bound to one household id of one applicant set (one applicant round) of a development:
  reads its own row in the runs of that applicant set, and the development's aggregate results (with small
  counts suppressed), nothing else.

Tokens expire (``expires_at``); revoked or expired tokens stop working at once (the row is read on every
request), and so do the browser sessions signed in with them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from commonground.errors import InputError
from commonground.service.db import ApiToken, Database, WebSession, utcnow
from commonground.service.ratelimit import FailedAuthLimiter, TooManyFailures

ROLES = ("admin", "household")
TOKEN_PREFIX = "cg_"
#: Default lifetimes (days) of new tokens by role.
DEFAULT_EXPIRY_DAYS = {"admin": 365, "household": 90}
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
#: Legacy scrypt tokens only: successful verifications are remembered (by SHA-256 of the token and the stored
#: hash) so a client making many calls doesn't pay scrypt on each; revocation still applies at once.
_VERIFIED_TTL = 300.0
_verified: dict[tuple[int, str, str], float] = {}
_verified_lock = threading.Lock()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, role and (for a household) its development, applicant set and id."""

    token_id: int
    role: str
    development_id: int | None = None
    household_id: str | None = None
    applicants_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_development(self, development_id: int) -> bool:
        return self.is_admin or self.development_id == development_id

    def can_see_household(self, development_id: int, applicants_id: int, household_id: str) -> bool:
        """Admins see any row; a household token only its own, in runs of its own applicant set."""
        return self.is_admin or (self.applicants_id is not None and self.development_id == development_id
                                 and self.applicants_id == applicants_id and self.household_id == household_id)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scrypt(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def _expiry(role: str, expires_days: float | None) -> datetime | None:
    days = DEFAULT_EXPIRY_DAYS[role] if expires_days is None else expires_days
    if days < 0:
        raise InputError("--expires-days must be ≥ 0 (0: never expires)")
    return None if days == 0 else utcnow() + timedelta(days=days)


def _check_binding(role: str, development_id: int | None, applicants_id: int | None,
                   household_id: str | None) -> None:
    if role not in ROLES:
        raise InputError(f"unknown role '{role}' (choose from: {', '.join(ROLES)})")
    if role == "household":
        if development_id is None or applicants_id is None or not household_id:
            raise InputError("a household token needs --development, --applicants and --household")
    elif development_id is not None or applicants_id is not None or household_id:
        raise InputError("an admin token is not bound to a development or household")


def _new_row(role: str, development_id, applicants_id, household_id, label: str, expires_at) -> tuple[ApiToken, str]:
    key = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiToken(key=key, scheme="sha256", salt=None, secret_hash=secret_hash(secret), role=role,
                   development_id=development_id, applicants_id=applicants_id, household_id=household_id,
                   label=label[:200], revoked=False, expires_at=expires_at)
    return row, f"{TOKEN_PREFIX}{key}_{secret}"


def create_token(db: Database, role: str, *, development_id: int | None = None, applicants_id: int | None = None,
                 household_id: str | None = None, label: str = "",
                 expires_days: float | None = None) -> tuple[int, str]:
    """Store a new token and return ``(id, token)``; the token text is not kept anywhere."""
    _check_binding(role, development_id, applicants_id, household_id)
    row, token = _new_row(role, development_id, applicants_id, household_id, label, _expiry(role, expires_days))
    with db.write() as s:
        s.add(row)
        s.flush()
        token_id = row.id
    return token_id, token


def create_household_tokens(db: Database, development_id: int, applicants_id: int, household_ids: Sequence[str],
                            *, label: str = "", expires_days: float | None = None
                            ) -> list[tuple[str, str, datetime | None]]:
    """One new token per household of an applicant set, in one transaction: ``(household_id, token,
    expires_at)`` rows for a mail merge (a fast hash makes this ~10 µs per token, not 0.5 s)."""
    expires_at = _expiry("household", expires_days)
    out, rows = [], []
    for hid in household_ids:
        row, token = _new_row("household", development_id, applicants_id, hid, label, expires_at)
        rows.append(row)
        out.append((hid, token, expires_at))
    with db.write() as s:
        s.add_all(rows)
    return out


def split_token(token: str) -> tuple[str, str] | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    key, sep, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not sep or len(key) != 12 or not secret:
        return None
    return key, secret


def principal_of(row: ApiToken) -> Principal:
    return Principal(row.id, row.role, row.development_id, row.household_id, row.applicants_id)


def usable(row: ApiToken | None, now: datetime | None = None) -> bool:
    """Not revoked and not expired."""
    return row is not None and not row.revoked and (row.expires_at is None or row.expires_at > (now or utcnow()))


def verify_token(db: Database, token: str | None, *, limiter: FailedAuthLimiter | None = None,
                 client: str | None = None) -> Principal | None:
    """The principal for a presented token, or None if it is missing, malformed, unknown, revoked, expired or
    wrong. With a ``limiter``, raises ``TooManyFailures`` when the client or key is over its failure budget
    (checked before the token is looked up) and counts this attempt if it fails."""
    if not token:
        return None
    parts = split_token(token.strip())
    key = parts[0] if parts else None
    if limiter is not None:
        try:
            limiter.check(client, key)
        except TooManyFailures:
            limiter.failed(client, None)  # a client that keeps trying stays blocked; the key's window runs out
            raise
    principal = _verify(db, token.strip(), parts)
    if limiter is not None:
        if principal is None:
            limiter.failed(client, key)
        elif key is not None:
            limiter.succeeded(client, key)
    return principal


def _verify(db: Database, token: str, parts: tuple[str, str] | None) -> Principal | None:
    if parts is None:
        return None
    key, secret = parts
    presented = secret_hash(secret)
    with db.read() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.key == key)).first()
        if row is None or not usable(row):
            return None
        principal = principal_of(row)
        scheme, salt, stored = row.scheme, row.salt, row.secret_hash
    if scheme == "sha256":
        return principal if hmac.compare_digest(presented, stored) else None
    memo = (principal.token_id, hashlib.sha256(token.encode()).hexdigest(), stored)
    now = time.monotonic()
    with _verified_lock:
        seen = _verified.get(memo)
    if seen is not None and now - seen < _VERIFIED_TTL:
        return principal
    if salt is None or not hmac.compare_digest(_scrypt(secret, bytes.fromhex(salt)), stored):
        return None
    with _verified_lock:
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[memo] = now
    return principal


def revoke_token(db: Database, token_id: int) -> bool:
    """Revoke a token and end its browser sessions; False if there is no such token."""
    with db.write() as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            return False
        row.revoked = True
        s.execute(update(WebSession).where(WebSession.token_id == token_id).values(revoked=True))
    return True


def list_tokens(db: Database) -> list[ApiToken]:
    with db.read() as s:
        return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))
