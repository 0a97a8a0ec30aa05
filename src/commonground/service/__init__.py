"""The commonground web app: FastAPI + SQLAlchemy (+ Alembic migrations), SQLite by default or PostgreSQL.

``create_app(Settings(db_url=...))`` builds the app; ``commonground serve`` runs it with uvicorn.
See docs/service.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:  # imported lazily: the runner process needs no web framework
    if name in __all__:
        from commonground.service import app

        return getattr(app, name)
    raise AttributeError(name)
