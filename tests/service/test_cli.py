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
