"""Alembic migrations: they build exactly the schema the models describe, go down and up again, and two
servers starting at once on an empty database don't trip over each other. SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from commonground.service.db import Base, Database
from commonground.service.migrate import current_revision, downgrade, head_revision, upgrade

TABLES = {"developments", "applicant_sets", "runs", "allocation_rows", "run_files", "api_tokens"}


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
