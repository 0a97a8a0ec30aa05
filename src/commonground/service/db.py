"""Database models and sessions (SQLAlchemy 2): SQLite file by default, PostgreSQL by URL.

Tables: ``developments`` (a flats table as uploaded or built from an HDB town), ``applicant_sets`` (one
upload of households + optional preferences for a development), ``runs`` (one allocation with everything
needed to re-run it), ``allocation_rows`` (one row per household of a finished run), ``run_files`` (the
run's CSV/JSON outputs), ``api_tokens`` (hashes only), ``web_sessions`` (signed-in browsers, hashes only)
and ``workers`` (the server instances and runner processes holding runs, with their heartbeats). The schema
is created by the Alembic migrations in ``migrations/``, never by ``create_all``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

DEFAULT_DB_URL = "sqlite:///commonground.sqlite"
RUN_STATUSES = ("queued", "running", "done", "failed")
#: SQLite waits this long (seconds) for another writer before giving up.
SQLITE_BUSY_TIMEOUT = 60


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an executed UPDATE or DELETE. ``Session.execute`` is typed as returning a plain
    ``Result``, but for these statements it returns a ``CursorResult``, which is what has ``rowcount``."""
    return cast("CursorResult[Any]", result).rowcount


def worker_id() -> str:
    """``host:pid:instance`` for a new server instance or runner process, recorded on the runs it claims (to
    spot runs whose holder died: see :mod:`commonground.service.lease`). ``instance`` is random, so a server
    restarted with the same pid (process 1 in a container) is a different worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Base(DeclarativeBase):
    pass


class Development(Base):
    __tablename__ = "developments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # "upload: flats.csv" or "hdb: TAP"
    flats_filename: Mapped[str] = mapped_column(String(255))
    flats_content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    flats_sha256: Mapped[str] = mapped_column(String(64))
    n_flats: Mapped[int] = mapped_column(Integer)
    n_vacant: Mapped[int] = mapped_column(Integer)
    n_blocks: Mapped[int] = mapped_column(Integer)
    n_neighbourhoods: Mapped[int] = mapped_column(Integer)
    occupant_groups: Mapped[str] = mapped_column(Text)  # JSON {attribute: [values]} of existing occupants
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApplicantSet(Base):
    __tablename__ = "applicant_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    development_id: Mapped[int] = mapped_column(ForeignKey("developments.id", ondelete="CASCADE"), index=True)
    households_filename: Mapped[str] = mapped_column(String(255))
    households_content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    households_sha256: Mapped[str] = mapped_column(String(64))
    preferences_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    preferences_content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    preferences_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    n_households: Mapped[int] = mapped_column(Integer)
    n_preferences: Mapped[int] = mapped_column(Integer)
    groups: Mapped[str] = mapped_column(Text)  # JSON {attribute: [values]} of the households
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    development_id: Mapped[int] = mapped_column(ForeignKey("developments.id", ondelete="CASCADE"), index=True)
    applicants_id: Mapped[int] = mapped_column(ForeignKey("applicant_sets.id", ondelete="CASCADE"), index=True)
    policy_name: Mapped[str] = mapped_column(Text)
    policy_toml: Mapped[str] = mapped_column(Text)
    mechanism: Mapped[str] = mapped_column(String(50))
    seed: Mapped[int] = mapped_column(BigInteger)
    code_version: Mapped[str] = mapped_column(String(100))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    problem_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(300), nullable=True)
    n_households: Mapped[int | None] = mapped_column(Integer, nullable=True)
    n_allocated: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AllocationRow(Base):
    """One household's outcome in one run (``position`` = its row in the households upload, 0-based)."""

    __tablename__ = "allocation_rows"
    __table_args__ = (Index("ix_allocation_rows_household", "run_id", "household_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(Text)
    flat_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    block_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    neighbourhood_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    queue_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    utility: Mapped[float | None] = mapped_column(Float, nullable=True)


class RunFile(Base):
    """A run's output files (allocation.csv, composition.csv, caps.csv, groups.csv, summary.json)."""

    __tablename__ = "run_files"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ApiToken(Base):
    """An API token: ``cg_<key>_<secret>``; only ``key`` (to find the row) and a hash of the secret are stored:
    SHA-256 (``scheme="sha256"``), or salted scrypt for tokens issued before revision 0002 (``"scrypt"``).
    A household token is bound to one household of one applicant set (``applicants_id``)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    scheme: Mapped[str] = mapped_column(String(20), default="sha256")
    salt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(20))
    development_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    applicants_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    household_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random session secret; only its SHA-256 is stored. A session
    ends when it expires, when the user signs out, or when its token is revoked or expires."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Worker(Base):
    """A server instance or runner process that may hold runs, and when it last said it was alive."""

    __tablename__ = "workers"

    worker: Mapped[str] = mapped_column(String(300), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# -- engines and sessions ------------------------------------------------------------------------------
def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def create_private(path: Path) -> None:
    """Create the SQLite file readable and writable by its owner only (0600) if it does not exist yet.
    SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _set_wal(cur: sqlite3.Cursor) -> None:
    """Switch a SQLite file to WAL, waiting out another process doing the same. Two connections changing the
    journal mode at once can deadlock on the lock upgrade; SQLite then fails one at once instead of calling
    its busy handler, so the wait is here: retried with growing pauses up to the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def make_engine(url: str = DEFAULT_DB_URL) -> Engine:
    """An engine for ``url``. SQLite gets WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for
    write sessions (so two writers queue for the lock instead of failing); PostgreSQL gets pre-ping."""
    url = normalise_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            create_private(Path(u.database))
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
            cur = dbapi_conn.cursor()
            if u.database and u.database != ":memory:":
                _set_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """An engine with two session factories: read sessions, and write sessions that take the write lock
    up front on SQLite (``BEGIN IMMEDIATE``)."""

    def __init__(self, url: str = DEFAULT_DB_URL) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        write_engine = self.engine.execution_options(sqlite_immediate=True) if is_sqlite(self.engine) else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._write() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
