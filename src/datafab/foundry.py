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
PROJECT_CACHE_SECONDS = 2.0  # how stale another process's project change may look here


class ProjectCache:
    """Projects as the hot path (lease, submit) sees them, for a couple of seconds.

    A change made in this process clears the entry at once; another process's change shows
    within ``PROJECT_CACHE_SECONDS``.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, object]] = {}

    def get(self, project_id: int):
        hit = self._entries.get(project_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, project_id: int, project: object) -> None:
        self._entries[project_id] = (time.monotonic() + PROJECT_CACHE_SECONDS, project)

    def forget(self, project_id: int) -> None:
        self._entries.pop(project_id, None)


class Foundry:
    def __init__(
        self, settings: Settings | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings or Settings()
        self.db = Database(self.settings.database_url, pool_size=self.settings.pool_size)
        self.clock = clock
        self._next_expiry = 0.0
        self.project_cache = ProjectCache()
        from datafab.services.quality import Refits  # the root wires services together

        self.refits = Refits()

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
