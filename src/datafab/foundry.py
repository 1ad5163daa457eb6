"""The composition root: settings, the database and the clock, built once per process.

Everything that needs the database gets it from a ``Foundry``; nothing connects at import.
Tests build one per database and move its clock by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from datafab.settings import Settings
from datafab.store import Database

EXPIRY_INTERVAL = 1.0  # seconds between sweeps for expired leases


class Foundry:
    def __init__(
        self, settings: Settings | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings or Settings()
        self.db = Database(self.settings.database_url, pool_size=self.settings.pool_size)
        self.clock = clock
        self._next_expiry = 0.0

    def expiry_due(self, now: float) -> bool:
        """Whether leasing should first return expired leases (at most once a second)."""
        if now < self._next_expiry:
            return False
        self._next_expiry = now + EXPIRY_INTERVAL
        return True

    def now(self) -> float:
        return self.clock()

    def close(self) -> None:
        self.db.dispose()
