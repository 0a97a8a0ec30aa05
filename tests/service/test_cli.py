"""``commonground token create|list|revoke`` and ``commonground serve``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from commonground.cli import app
from commonground.service import auth, store
from commonground.service.db import ApiToken, Database
from commonground.service.inputs import Limits

from .conftest import LiveServer


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cg(*args: str) -> Done:
    """Run the CLI in-process (a subprocess per call would spend seconds importing)."""
    res = CliRunner().invoke(app, list(args))
    return Done(res.exit_code, res.stdout, res.stderr)


def test_token_commands(tmp_path, tiny_inputs):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    out = cg("token", "create", "--role", "admin", "--db", url, "--label", "ops")
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("cg_") and "shown once" in out.stdout
    db = Database(url)
    assert auth.verify_token(db, token).is_admin
    with db.read() as s:
        row = s.scalars(select(ApiToken)).one()
    assert token.split("_", 2)[2] not in (row.secret_hash, row.salt, row.key, row.label)

    listing = cg("token", "list", "--db", url)
    assert listing.returncode == 0 and "admin" in listing.stdout and token not in listing.stdout

    bad = cg("token", "create", "--role", "household", "--db", url)
    assert bad.returncode == 2 and "needs --development and --household" in bad.stderr
    bad = cg("token", "create", "--role", "root", "--db", url)
    assert bad.returncode == 2 and "unknown role 'root'" in bad.stderr

    dev = store.create_development(db, "d", "flats.csv", (tiny_inputs / "flats.csv").read_bytes(), Limits())
    store.add_applicants(db, dev.id, "hh.csv", (tiny_inputs / "households.csv").read_bytes(), None, None, Limits())
    missing = cg("token", "create", "--role", "household", "--development", str(dev.id), "--household", "h99",
                 "--db", url)
    assert missing.returncode == 2 and "no applicant household 'h99'" in missing.stderr
    ok = cg("token", "create", "--role", "household", "--development", str(dev.id), "--household", "h2", "--db", url)
    assert ok.returncode == 0, ok.stderr
    p = auth.verify_token(db, ok.stdout.strip().splitlines()[-1])
    assert (p.role, p.development_id, p.household_id) == ("household", dev.id, "h2")

    assert cg("token", "revoke", "1", "--db", url).returncode == 0
    assert auth.verify_token(db, token) is None
    assert cg("token", "revoke", "99", "--db", url).returncode == 2
    db.dispose()


def test_serve_answers_on_loopback(tmp_path):
    assert cg("serve", "--hdb-file", str(tmp_path / "missing.csv")).returncode == 2
    live = LiveServer(f"sqlite:///{tmp_path / 'serve.sqlite'}", None, tmp_path / "serve.log")
    try:
        assert live.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{live.url}/api/health").json()["status"] == "ok"
        assert httpx.get(f"{live.url}/").headers.get("location") == "/login"
        assert httpx.get(f"{live.url}/api/runs").status_code == 401
        assert httpx.get(f"{live.url}/openapi.json").json()["info"]["title"] == "commonground"
    finally:
        live.stop()
    assert (tmp_path / "serve.sqlite").exists()


def test_bulk_tokens_command(tmp_path, tiny_inputs):
    """``token bulk`` writes one token per household of an applicant set to a new CSV readable only by its
    owner; each token is bound to that household and round."""
    import csv
    import stat

    url = f"sqlite:///{tmp_path / 'bulk.sqlite'}"
    db = Database(url)
    from commonground.service.migrate import upgrade

    upgrade(db.engine)
    dev = store.create_development(db, "d", "flats.csv", (tiny_inputs / "flats.csv").read_bytes(), Limits())
    apps = store.add_applicants(db, dev.id, "hh.csv", (tiny_inputs / "households.csv").read_bytes(), None, None,
                                Limits())
    out = tmp_path / "tokens.csv"
    done = cg("token", "bulk", "--development", str(dev.id), "--applicants", str(apps.id), "--to", str(out),
              "--db", url)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(out.open()))
    assert [r["household_id"] for r in rows] == [f"h{i}" for i in range(1, 8)]
    p = auth.verify_token(db, rows[3]["token"])
    assert (p.development_id, p.applicants_id, p.household_id) == (dev.id, apps.id, "h4")
    again = cg("token", "bulk", "--development", str(dev.id), "--applicants", str(apps.id), "--to", str(out),
               "--db", url)
    assert again.returncode == 2 and "already exists" in again.stderr
    db.dispose()


def test_database_password_from_a_file_or_the_environment(tmp_path, monkeypatch):
    from commonground.cli.serve import PASSWORD_ENV, database_url

    secret = tmp_path / "pw"
    secret.write_text("s3cret:/@x\n")
    url = database_url("postgresql://cg@db.example:5432/cg", secret)
    assert url == "postgresql://cg:s3cret%3A%2F%40x@db.example:5432/cg"
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert database_url("postgresql://cg@db.example/cg") == "postgresql://cg:from-env@db.example/cg"
    assert cg("token", "list", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}").returncode == 2  # SQLite has none
    monkeypatch.delenv(PASSWORD_ENV)
    assert cg("token", "list", "--db", "postgresql://cg@db.example/cg", "--db-password-file",
              str(tmp_path / "missing")).returncode == 2


def test_database_password_reaches_postgresql(postgres_server, tmp_path, monkeypatch):
    """Against the real server: a role with a password, the URL without it, the password from the environment
    (the test cluster trusts local connections, so this checks the wiring, not PostgreSQL's password check)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = postgres_server.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS cg_pw_test")
        conn.execute("CREATE ROLE cg_pw_test LOGIN SUPERUSER PASSWORD 'pw-from-env'")
    try:
        url = make_url(postgres_server).set(username="cg_pw_test").render_as_string(hide_password=False)
        monkeypatch.setenv("COMMONGROUND_DB_PASSWORD", "pw-from-env")
        out = cg("token", "create", "--role", "admin", "--db", url)
        assert out.returncode == 0, out.stderr
        assert "pw-from-env" not in out.stdout
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP OWNED BY cg_pw_test")
            conn.execute("DROP ROLE cg_pw_test")


def test_household_ids_stay_out_of_the_access_log(tmp_path, tiny_inputs):
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    live = LiveServer(url, None, tmp_path / "serve.log")
    db = Database(url)
    try:
        _, admin = auth.create_token(db, "admin")
        dev = store.create_development(db, "d", "flats.csv", (tiny_inputs / "flats.csv").read_bytes(), Limits())
        hh = (tiny_inputs / "households.csv").read_bytes().replace(b"h4,", b"SECRET-HH-4,")
        store.add_applicants(db, dev.id, "hh.csv", hh, None, None, Limits())
        h = {"Authorization": f"Bearer {admin}"}
        run = httpx.post(f"{live.url}/api/runs", headers=h, timeout=60,
                         json={"development_id": dev.id, "applicants_id": 1, "wait": True}).json()
        assert httpx.get(f"{live.url}/api/runs/{run['id']}/households/SECRET-HH-4", headers=h).status_code == 200
        pages = httpx.Client(base_url=live.url)
        pages.post("/login", data={"token": admin})
        assert pages.post(f"/runs/{run['id']}/household", data={"household_id": "SECRET-HH-4"}).status_code == 200
    finally:
        live.stop()
        db.dispose()
    log = (tmp_path / "serve.log").read_text()
    assert f"/api/runs/{run['id']}/households/" in log and "SECRET-HH-4" not in log
