"""``commonground serve`` (the web app) and ``commonground token create|list|revoke`` (API tokens)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from commonground.cli.common import console, guarded, renamed
from commonground.errors import InputError

if TYPE_CHECKING:
    from commonground.service.db import Database

DB_HELP = ("Database URL: sqlite:///file.sqlite or postgresql://user@host:port/db (env COMMONGROUND_DB); "
           "give a password with --db-password-file or env COMMONGROUND_DB_PASSWORD, not in the URL")
PASSWORD_FILE_HELP = "File holding the database password (its first line), kept off the command line"
PASSWORD_ENV = "COMMONGROUND_DB_PASSWORD"


def database_url(db: str | None, password_file: Path | None = None) -> str:
    """The database URL from ``--db`` (or env ``COMMONGROUND_DB``), with the password from
    ``--db-password-file`` or env ``COMMONGROUND_DB_PASSWORD`` put in: a password on the command line is
    visible to every user of the machine (``ps``), so it is kept out of it."""
    from sqlalchemy.engine import make_url

    url = db or os.environ.get("COMMONGROUND_DB", "sqlite:///commonground.sqlite")
    password = None
    if password_file is not None:
        if not password_file.is_file():
            raise InputError("no such file", source=str(password_file))
        password = (password_file.read_text(encoding="utf-8").splitlines() or [""])[0]
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    if password is None:
        if db and make_url(url).password:
            console.print("[yellow]warning:[/] the --db URL holds a password, which other users of this machine "
                          f"can see in the process list; use --db-password-file or {PASSWORD_ENV}", highlight=False)
        return url
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        raise InputError("a database password was given, but SQLite has none")
    return u.set(password=password).render_as_string(hide_password=False)


@contextmanager
def token_database(db: str | None, password_file: Path | None, *, upgrade: bool = True) -> Iterator[Database]:
    """The service database a token command works on: its schema upgraded first (``upgrade``), its connections
    disposed of on the way out, whatever happens in between."""
    from commonground.service import migrate
    from commonground.service.db import Database

    database = Database(database_url(db, password_file))
    try:
        if upgrade:
            migrate.upgrade(database.engine)
        yield database
    finally:
        database.dispose()


_HOUSEHOLD_PATH = re.compile(r"(/households/)[^/?\s]+")
token_app = typer.Typer(name="token", no_args_is_help=True, help="Create, list and revoke API tokens.")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(token_app, name="token")


@guarded
def serve_command(
    db: str = typer.Option(None, "--db", help=DB_HELP + "; default sqlite:///commonground.sqlite"),
    db_password_file: Path | None = typer.Option(None, "--db-password-file", help=PASSWORD_FILE_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
    hdb_file: Path | None = typer.Option(None, "--hdb-file", help="data.gov.sg HDB Property Information CSV "
                                         "(enables developments built from a real HDB town)"),
    migrate: bool = typer.Option(True, "--migrate/--no-migrate", help="Upgrade the database schema at start-up"),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", help="Largest upload accepted, per file"),
    max_rows: int = typer.Option(200_000, "--max-rows", help="Most data rows accepted per uploaded file"),
    workers: int = typer.Option(2, "--run-workers", help="Allocations run at once"),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Mark the sign-in cookie Secure "
                                        "(when served over HTTPS behind a proxy)"),
) -> None:
    """Serve the web app and JSON API (OpenAPI at /docs) with uvicorn."""
    from commonground import extras

    extras.require("app", "commonground serve")
    import uvicorn

    from commonground.service import Settings, create_app
    from commonground.service.inputs import MB, Limits

    if hdb_file is not None and not hdb_file.is_file():
        raise InputError("no such file", source=str(hdb_file))
    if max_upload_mb <= 0 or max_rows <= 0 or workers <= 0:
        raise InputError("--max-upload-mb, --max-rows and --run-workers must be positive")
    settings = Settings(db_url=database_url(db, db_password_file), hdb_file=hdb_file, migrate=migrate,
                        run_workers=workers,
                        limits=Limits(max_upload_bytes=int(max_upload_mb * MB), max_rows=max_rows),
                        secure_cookies=secure_cookies)
    app = create_app(settings)
    console.print(f"commonground on http://{host}:{port}/ (database {app.state.db.engine.url.render_as_string()})")
    logging.getLogger("uvicorn.access").addFilter(RedactHouseholds())
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


class RedactHouseholds(logging.Filter):
    """Access-log lines name request paths; a household id in one (``/api/runs/1/households/H00001``) is
    replaced by ``…`` so household ids don't end up in server logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_HOUSEHOLD_PATH.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        return True


@token_app.command("create")
@guarded
def token_create(
    role: str = typer.Option(..., "--role", help="admin or household"),
    household: str | None = typer.Option(None, "--household", help="Household id (household tokens)"),
    development: int | None = typer.Option(None, "--development", help="Development id (household tokens)"),
    applicants: int | None = typer.Option(None, "--applicants", help="Applicant set id (household tokens; may be "
                                          "left out when one set of the development lists the household)"),
    label: str = typer.Option("", "--label", help="A note to recognise the token by"),
    expires_days: float | None = typer.Option(None, "--expires-days", help="Days until it expires (0: never; "
                                              "default 365 for admin, 90 for household)"),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    db_password_file: Path | None = typer.Option(None, "--db-password-file", help=PASSWORD_FILE_HELP),
) -> None:
    """Create an API token and print it once (only a hash is stored)."""
    from commonground import extras

    extras.require("app", "commonground token")
    from commonground.service import auth, store
    from commonground.service.inputs import Limits

    with token_database(db, db_password_file) as database:
        if role == "household":
            if development is None or not household:
                raise InputError("a household token needs --development and --household")
            applicants = store.household_applicant_set(database, development, household, applicants, Limits())
        token_id, token = auth.create_token(database, role, development_id=development, applicants_id=applicants,
                                            household_id=household, label=label, expires_days=expires_days)
    console.print(f"token #{token_id} ({role}) — shown once, keep it secret:", highlight=False)
    print(token)


@token_app.command("bulk")
@guarded
def token_bulk(
    development: int = typer.Option(..., "--development", help="Development id"),
    applicants: int = typer.Option(..., "--applicants", help="Applicant set id: a token for each of its households"),
    to: Path | None = typer.Option(None, "--to", "-o", help="CSV file to write (household_id, token, expires_at); "
                                                           "must not exist"),
    old_out: Path | None = typer.Option(None, "--out", hidden=True, help="Old name of --to."),
    label: str = typer.Option("", "--label", help="A note to recognise the tokens by"),
    expires_days: float | None = typer.Option(None, "--expires-days", help="Days until they expire (0: never; "
                                              "default 90)"),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    db_password_file: Path | None = typer.Option(None, "--db-password-file", help=PASSWORD_FILE_HELP),
) -> None:
    """Issue a household token for every household of an applicant set and write them to a CSV for a mail
    merge (created readable by its owner only)."""
    from commonground import extras

    extras.require("app", "commonground token")
    import csv

    from commonground.service import auth, exports, store
    from commonground.service.inputs import Limits

    out = renamed("--out FILE", "--to FILE", old_out, to)
    if out is None:
        raise InputError("--to FILE is required (the CSV the tokens are written to)")
    if out.exists():
        raise InputError("already exists; choose a new file (tokens are never overwritten)", source=str(out))
    with token_database(db, db_password_file) as database:
        ids = store.applicant_household_ids(database, development, applicants, Limits())
        issued = auth.create_household_tokens(database, development, applicants, ids, label=label,
                                              expires_days=expires_days)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["household_id", "token", "expires_at"])
        for hid, token, expires_at in issued:
            w.writerow([exports.safe_cell(hid), token, expires_at.isoformat(timespec="seconds") if expires_at else ""])
    console.print(f"{len(issued):,} household tokens written to {out} (keep it secret)", highlight=False)


@token_app.command("list")
@guarded
def token_list(db: str = typer.Option(None, "--db", help=DB_HELP),
               db_password_file: Path | None = typer.Option(None, "--db-password-file", help=PASSWORD_FILE_HELP)
               ) -> None:
    """List tokens (ids, roles, bindings; never secrets)."""
    from commonground import extras

    extras.require("app", "commonground token")
    from rich.table import Table

    from commonground.service import auth

    with token_database(db, db_password_file) as database:
        rows = auth.list_tokens(database)
    table = Table("id", "key", "role", "development", "applicants", "household", "label", "revoked", "created",
                  "expires")
    for t in rows:
        table.add_row(str(t.id), t.key, t.role, str(t.development_id or ""), str(t.applicants_id or ""),
                      t.household_id or "", t.label, "yes" if t.revoked else "",
                      t.created_at.strftime("%Y-%m-%d %H:%M"),
                      t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never")
    console.print(table)


@token_app.command("revoke")
@guarded
def token_revoke(token_id: int = typer.Argument(..., help="Token id (from `token list`)"),
                 db: str = typer.Option(None, "--db", help=DB_HELP),
                 db_password_file: Path | None = typer.Option(None, "--db-password-file", help=PASSWORD_FILE_HELP)
                 ) -> None:
    """Revoke a token: it stops working at once, and so do the browser sessions signed in with it."""
    from commonground import extras

    extras.require("app", "commonground token")
    from commonground.service import auth

    with token_database(db, db_password_file, upgrade=False) as database:
        if not auth.revoke_token(database, token_id):
            raise InputError(f"no token {token_id}")
    console.print(f"token #{token_id} revoked")
