"""The web app's settings (one frozen object, shared by the app, the API and the pages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from commonground.service.db import DEFAULT_DB_URL
from commonground.service.inputs import Limits

#: Counts from 1 to this minus one are blanked in what a household token may download or see (the "threshold
#: rule" of statistical disclosure control; ONS applies 10 to research outputs, some agencies 5 or 3).
SMALL_COUNT_THRESHOLD = 10


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    hdb_file: Path | None = None
    limits: Limits = field(default_factory=Limits)
    migrate: bool = True
    run_workers: int = 2
    #: Re-run checks ("verify") that may run at once; more are answered 429.
    verify_workers: int = 1
    #: Longest a request with ``wait=true`` blocks for its run (seconds) before answering "still running".
    wait_timeout: float = 300.0
    secure_cookies: bool = False
    #: A browser session lasts this long after signing in (hours).
    session_hours: float = 12.0
    #: Failed authentications allowed per client address, and per token key, in a moving window.
    failed_auth_per_client: str = "20/minute"
    failed_auth_per_key: str = "10/minute"
    #: A blocked client presenting credentials again waits this long (seconds, on the event loop) for its 429.
    failed_auth_delay: float = 1.0
    small_count_threshold: int = SMALL_COUNT_THRESHOLD
