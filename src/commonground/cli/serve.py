"""``commonground serve`` (the web app) and ``commonground token create|list|revoke`` (API tokens)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from commonground.cli.common import console, guarded
from commonground.errors import InputError

DB_HELP = "Database URL: sqlite:///file.sqlite or postgresql://user@host:port/db (env COMMONGROUND_DB)"


def _default_db() -> str:
    return os.environ.get("COMMONGROUND_DB", "sqlite:///commonground.sqlite")


token_app = typer.Typer(name="token", no_args_is_help=True, help="Create, list and revoke API tokens.")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(token_app, name="token")


@guarded
def serve_command(
    db: str = typer.Option(None, "--db", help=DB_HELP + "; default sqlite:///commonground.sqlite"),
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
    settings = Settings(db_url=db or _default_db(), hdb_file=hdb_file, migrate=migrate, run_workers=workers,
                        limits=Limits(max_upload_bytes=int(max_upload_mb * MB), max_rows=max_rows),
                        secure_cookies=secure_cookies)
    app = create_app(settings)
    console.print(f"commonground on http://{host}:{port}/ (database {app.state.db.engine.url.render_as_string()})")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


@token_app.command("create")
@guarded
def token_create(
    role: str = typer.Option(..., "--role", help="admin or household"),
    household: str | None = typer.Option(None, "--household", help="Household id (household tokens)"),
    development: int | None = typer.Option(None, "--development", help="Development id (household tokens)"),
    label: str = typer.Option("", "--label", help="A note to recognise the token by"),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Create an API token and print it once (only a salted hash is stored)."""
    from commonground import extras

    extras.require("app", "commonground token")
    from commonground.service import auth, migrate, store
    from commonground.service.db import Database
    from commonground.service.inputs import Limits

    database = Database(db or _default_db())
    try:
        migrate.upgrade(database.engine)
        if role == "household":
            if development is None or not household:
                raise InputError("a household token needs --development and --household")
            store.get_development(database, development)
            if not store.household_in_development(database, development, household, Limits()):
                raise InputError(f"no applicant household '{household}' in development {development}")
        token_id, token = auth.create_token(database, role, development_id=development, household_id=household,
                                            label=label)
    finally:
        database.dispose()
    console.print(f"token #{token_id} ({role}) — shown once, keep it secret:", highlight=False)
    print(token)


@token_app.command("list")
@guarded
def token_list(db: str = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List tokens (ids, roles, bindings; never secrets)."""
    from commonground import extras

    extras.require("app", "commonground token")
    from rich.table import Table

    from commonground.service import auth, migrate
    from commonground.service.db import Database

    database = Database(db or _default_db())
    try:
        migrate.upgrade(database.engine)
        rows = auth.list_tokens(database)
    finally:
        database.dispose()
    table = Table("id", "key", "role", "development", "household", "label", "revoked", "created")
    for t in rows:
        table.add_row(str(t.id), t.key, t.role, str(t.development_id or ""), t.household_id or "", t.label,
                      "yes" if t.revoked else "", t.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@token_app.command("revoke")
@guarded
def token_revoke(token_id: int = typer.Argument(..., help="Token id (from `token list`)"),
                 db: str = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Revoke a token: it stops working at once."""
    from commonground import extras

    extras.require("app", "commonground token")
    from commonground.service import auth
    from commonground.service.db import Database

    database = Database(db or _default_db())
    try:
        if not auth.revoke_token(database, token_id):
            raise InputError(f"no token {token_id}")
    finally:
        database.dispose()
    console.print(f"token #{token_id} revoked")
