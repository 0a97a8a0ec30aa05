"""Alembic migrations: they build exactly the schema the models describe, go down and up again, and two
servers starting at once on an empty database don't trip over each other. SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from commonground.service.db import Base, Database
from commonground.service.migrate import current_revision, downgrade, head_revision, upgrade

TABLES = {"developments", "applicant_sets", "runs", "allocation_rows", "run_files", "api_tokens", "web_sessions",
          "workers"}


def test_migrations_match_the_models_and_round_trip(db_url):
    db = Database(db_url)
    try:
        assert current_revision(db.engine) is None
        assert upgrade(db.engine) == head_revision()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], diff
        assert upgrade(db.engine) == head_revision()  # idempotent
        downgrade(db.engine, "base")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        assert upgrade(db.engine) == head_revision()
    finally:
        db.dispose()


def test_two_upgrades_at_once(db_url):
    """Two servers starting on an empty database (two processes): one creates the schema, the other waits
    for it and finds it current."""
    code = ("import sys; from commonground.service.db import Database; from commonground.service.migrate import "
            "upgrade; print(upgrade(Database(sys.argv[1]).engine))")
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [o[0].strip() for o in outs] == [head_revision()] * 2
    db = Database(db_url)
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    db.dispose()


def test_0002_keeps_tokens_issued_under_0001(db_url):
    """Tokens stored by revision 0001 (salted scrypt, household tokens bound to a development only) survive the
    upgrade: the admin token still verifies; the household token signs in but is bound to no round."""
    import hashlib
    import secrets

    from sqlalchemy import text

    from commonground.service import auth
    from commonground.service.db import utcnow

    db = Database(db_url)
    try:
        upgrade(db.engine, "0001")
        rows = []
        for key, role, hid in (("aaaaaaaaaaaa", "admin", None), ("bbbbbbbbbbbb", "household", "h1")):
            secret, salt = secrets.token_urlsafe(32), secrets.token_bytes(16)
            digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()
            rows.append(f"cg_{key}_{secret}")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO api_tokens (key, salt, secret_hash, role, development_id, household_id,"
                                  " label, revoked, created_at) VALUES (:k, :s, :h, :r, :d, :hid, '', false, :t)"),
                             {"k": key, "s": salt.hex(), "h": digest, "r": role, "d": 1 if hid else None,
                              "hid": hid, "t": utcnow()})
        assert upgrade(db.engine) == head_revision()
        admin, household = (auth.verify_token(db, t) for t in rows)
        assert admin.is_admin
        assert (household.role, household.development_id, household.applicants_id) == ("household", 1, None)
        assert not household.can_see_household(1, 1, "h1")
    finally:
        db.dispose()


def test_many_connections_switch_a_new_sqlite_file_to_wal_at_once(tmp_path):
    """Regression: two processes opening a new SQLite file both switch it to WAL; SQLite fails one of them with
    "database is locked" at once (a lock-upgrade deadlock skips the busy handler), which lost about one upgrade
    race in four. Eight processes on each of two new files, started together, must all connect and agree on WAL."""
    code = ("import sys, time; from sqlalchemy import text; from commonground.service.db import make_engine; "
            "e = make_engine(sys.argv[1]); time.sleep(max(0.0, float(sys.argv[2]) - time.time())); "  # all at once
            "c = e.connect(); print(c.execute(text('PRAGMA journal_mode')).scalar())")
    for round_ in range(2):
        url, start = f"sqlite:///{tmp_path / f'new{round_}.sqlite'}", str(time.time() + 4)
        procs = [subprocess.Popen([sys.executable, "-c", code, url, start], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(8)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 8, [o[1][-400:] for o in outs]
        assert {o[0].strip() for o in outs} == {"wal"}
