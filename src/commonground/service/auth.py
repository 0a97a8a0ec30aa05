"""API tokens and roles.

A token is ``cg_<key>_<secret>``: ``key`` (12 hex characters) finds the row, ``secret`` (43 URL-safe
characters, 256 random bits) is checked against a salted scrypt hash. Only the key, salt and hash are
stored; the whole token is shown once, when it is created. Roles:

* ``admin`` — uploads, runs allocations, reads every result, issues household tokens;
* ``household`` — bound to one household id within one development: reads its own row and the
  development's aggregate results, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from commonground.errors import InputError
from commonground.service.db import ApiToken, Database

ROLES = ("admin", "household")
TOKEN_PREFIX = "cg_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
#: Successful verifications are remembered (by SHA-256 of the token and the stored hash) so a client
#: making many calls doesn't pay scrypt on each; revocation still applies at once (the row is read on
#: every request).
_VERIFIED_TTL = 300.0
_verified: dict[tuple[int, str, str], float] = {}
_verified_lock = threading.Lock()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, role and (for a household) its development and household id."""

    token_id: int
    role: str
    development_id: int | None = None
    household_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_development(self, development_id: int) -> bool:
        return self.is_admin or self.development_id == development_id

    def can_see_household(self, development_id: int, household_id: str) -> bool:
        return self.is_admin or (self.development_id == development_id and self.household_id == household_id)


def hash_secret(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def create_token(db: Database, role: str, *, development_id: int | None = None, household_id: str | None = None,
                 label: str = "") -> tuple[int, str]:
    """Store a new token and return ``(id, token)``; the token text is not kept anywhere."""
    if role not in ROLES:
        raise InputError(f"unknown role '{role}' (choose from: {', '.join(ROLES)})")
    if role == "household":
        if development_id is None or not household_id:
            raise InputError("a household token needs --development and --household")
    elif development_id is not None or household_id:
        raise InputError("an admin token is not bound to a development or household")
    key = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    row = ApiToken(key=key, salt=salt.hex(), secret_hash=hash_secret(secret, salt), role=role,
                   development_id=development_id, household_id=household_id, label=label[:200], revoked=False)
    with db.write() as s:
        s.add(row)
        s.flush()
        token_id = row.id
    return token_id, f"{TOKEN_PREFIX}{key}_{secret}"


def split_token(token: str) -> tuple[str, str] | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    key, sep, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not sep or len(key) != 12 or not secret:
        return None
    return key, secret


def verify_token(db: Database, token: str | None) -> Principal | None:
    """The principal for a presented token, or None if it is missing, malformed, unknown or revoked."""
    if not token:
        return None
    parts = split_token(token.strip())
    if parts is None:
        return None
    key, secret = parts
    with db.read() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.key == key)).first()
        if row is None or row.revoked:
            return None
        principal = Principal(row.id, row.role, row.development_id, row.household_id)
        salt, stored = row.salt, row.secret_hash
    memo = (row.id, hashlib.sha256(token.encode()).hexdigest(), stored)
    now = time.monotonic()
    with _verified_lock:
        seen = _verified.get(memo)
    if seen is not None and now - seen < _VERIFIED_TTL:
        return principal
    if not hmac.compare_digest(hash_secret(secret, bytes.fromhex(salt)), stored):
        return None
    with _verified_lock:
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[memo] = now
    return principal


def revoke_token(db: Database, token_id: int) -> bool:
    with db.write() as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            return False
        row.revoked = True
    return True


def list_tokens(db: Database) -> list[ApiToken]:
    with db.read() as s:
        return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))
