"""Housekeeping: the periodic sweeps a server process runs whether or not requests come —
access-log rows past their retention (``access_log.purge``) and clearances past their
expiry, each audited (``clearances.expire``).

``Housekeeping`` knows no sweep: the composition root (the app factory) hands it the list,
``SWEEPS`` by default, and starts and stops it with the app. A failing sweep is logged and
tried again at the next round (the database may be busy or away; an expired clearance
already counts as none, and a late purge only keeps rows a little longer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from datafab.foundry import Foundry
from datafab.services import access_log, clearances

log = logging.getLogger("datafab.housekeeping")
EVERY = 600.0  # seconds between rounds, per process

Sweep = tuple[str, Callable[[Foundry], int]]  # (what it sweeps, the sweep)

SWEEPS: tuple[Sweep, ...] = (("access log", access_log.purge),
                             ("expired clearances", clearances.expire))


class Housekeeping:
    """Runs every sweep once a round, in one daemon thread, every ``every`` seconds."""

    def __init__(self, foundry: Foundry, sweeps: Sequence[Sweep] = SWEEPS, *,
                 every: float = EVERY) -> None:
        self.foundry, self.sweeps, self.every = foundry, tuple(sweeps), every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> dict[str, int | None]:
        """One round now: how many rows each sweep removed (``None``: it failed)."""
        done: dict[str, int | None] = {}
        for name, run in self.sweeps:
            try:
                done[name] = run(self.foundry)
            except Exception:  # busy or away: the next round catches up
                log.warning("could not sweep %s", name, exc_info=True)
                done[name] = None
        return done

    def start(self) -> None:
        """Rounds every ``every`` seconds from now on (the first after one interval: the
        app factory's startup runs one at once)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="datafab-housekeeping",
                                            daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sweep()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
