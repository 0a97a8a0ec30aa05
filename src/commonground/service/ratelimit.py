"""Rate limiting of failed authentications, per client address and per token key (moving windows from the
``limits`` library, in memory: one server process holds the counts).

A client or key over its budget gets 429 before its token is looked up, so a flood of wrong secrets costs
the server almost nothing and cannot be used to guess at keys. Successful authentications are not counted.
So that an attacker who knows a token's key cannot lock its owner out, a client address that authenticated
with a key in the last :data:`KNOWN_GOOD_SECONDS` is exempt from that key's budget (never from its own).
"""

from __future__ import annotations

import threading
import time

from limits import RateLimitItem, parse, storage, strategies


class TooManyFailures(Exception):
    """Too many failed authentications from this client or for this key; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed authentications")
        self.retry_after = retry_after


KNOWN_GOOD_SECONDS = 3600.0
_KNOWN_GOOD_KEPT = 50_000


class FailedAuthLimiter:
    def __init__(self, per_client: str = "20/minute", per_key: str = "10/minute") -> None:
        self._window = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._client: RateLimitItem = parse(per_client)
        self._key: RateLimitItem = parse(per_key)
        self._good: dict[tuple[str | None, str], float] = {}
        self._lock = threading.Lock()

    def _checks(self, client: str | None, key: str | None) -> list[tuple[RateLimitItem, str]]:
        out = []
        if client:
            out.append((self._client, f"client:{client}"))
        if key and not self._known_good(client, key):
            out.append((self._key, f"key:{key}"))
        return out

    def _known_good(self, client: str | None, key: str) -> bool:
        with self._lock:
            seen = self._good.get((client, key))
        return seen is not None and time.monotonic() - seen < KNOWN_GOOD_SECONDS

    def succeeded(self, client: str | None, key: str) -> None:
        with self._lock:
            if len(self._good) >= _KNOWN_GOOD_KEPT:
                self._good.clear()
            self._good[(client, key)] = time.monotonic()

    def client_blocked(self, client: str | None) -> bool:
        return bool(client) and not self._window.test(self._client, f"client:{client}")

    def check(self, client: str | None, key: str | None) -> None:
        """Raise :class:`TooManyFailures` if the client or the key has no failures left in its window."""
        for item, ident in self._checks(client, key):
            if not self._window.test(item, ident):
                reset = self._window.get_window_stats(item, ident).reset_time
                raise TooManyFailures(max(1, int(reset - time.time()) + 1))

    def failed(self, client: str | None, key: str | None) -> None:
        for item, ident in self._checks(client, key):
            self._window.hit(item, ident)
