"""The composition root: settings, the database and the clock, built once per process.

Everything that needs the database gets it from a ``Foundry``; nothing connects at import.
Tests build one per database and move its clock by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

from datafab.settings import Settings
from datafab.store import Database

EXPIRY_INTERVAL = 1.0  # seconds between sweeps for expired leases
CACHE_SECONDS = 2.0  # how stale another process's change may look here


class Worker(Protocol):
    """Background work a service keeps for this process (the refits, say): stopped on close."""

    def stop(self) -> None: ...


W = TypeVar("W", bound=Worker)


class MomentCache:
    """What the hot path (lease, submit) reads for every request — a project, its fitted
    class prior — kept for a couple of seconds.

    A change made in this process clears its entry at once; another process's change shows
    within ``CACHE_SECONDS``.
    """

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable):
        hit = self._entries.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key: Hashable, value: object) -> None:
        self._entries[key] = (time.monotonic() + CACHE_SECONDS, value)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)


class Foundry:
    def __init__(
        self, settings: Settings | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings or Settings()
        self.db = Database(self.settings.database_url, pool_size=self.settings.pool_size)
        self.clock = clock
        self._next_expiry = 0.0
        self.cache = MomentCache()
        self._workers: dict[str, Worker] = {}
        self._workers_guard = threading.Lock()

    def expiry_due(self, now: float) -> bool:
        """Whether leasing should first return expired leases (at most once a second)."""
        if now < self._next_expiry:
            return False
        self._next_expiry = now + EXPIRY_INTERVAL
        return True

    def now(self) -> float:
        return self.clock()

    def worker(self, name: str, make: Callable[[], W]) -> W:
        """This process's background worker ``name``, made by ``make`` on first use and
        stopped by ``close``. The service that owns the work supplies ``make``, so the
        Foundry holds background work without knowing any service."""
        with self._workers_guard:
            if name not in self._workers:
                self._workers[name] = make()
            # a name is one service's: what is stored under it is what its ``make`` made
            return self._workers[name]  # type: ignore[return-value]

    def close(self) -> None:
        with self._workers_guard:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop()
        self.db.dispose()
