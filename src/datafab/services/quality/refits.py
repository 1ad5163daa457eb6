"""When to refit: the process's scheduler, kept by the Foundry, and what runs after a
submit commits."""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from typing import Any

from datafab.foundry import Foundry
from datafab.services.quality.fits import refit
from datafab.services.quality.rescore import rescore_open

log = logging.getLogger("datafab.quality")
REFIT_MIN_LABELS = 50  # refit after this many new labels …
REFIT_GROWTH = 0.10  # … or this share of the labels the last fit saw, whichever is larger


class Refits:
    """When to refit, and where: at most one refit per project at a time in this process,
    after enough new labels (``REFIT_MIN_LABELS`` or ``REFIT_GROWTH`` of what the last fit
    saw), in one background thread — or inline, for tests and scripts. Enough labels that
    arrive while a refit runs make it run again at once."""

    def __init__(self, *, background: bool = True) -> None:
        self.background = background
        self._guard = threading.Lock()
        self._running: set[int] = set()
        self._since: dict[int, int] = defaultdict(int)
        self._fitted: dict[int, int] = {}
        self._requested: set[int] = set()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def note(self, foundry: Foundry, project_id: int, n_labels: int) -> None:
        """Count new labels; start a refit if one is due and none is running."""
        with self._guard:
            self._since[project_id] += n_labels
            if not self._due(project_id) or project_id in self._running:
                return
            self._running.add(project_id)
            self._since[project_id] = 0
            self._requested.discard(project_id)
        if self.background:
            self._worker().put((foundry, project_id))
        else:
            self._run(foundry, project_id)

    def request(self, foundry: Foundry, project_id: int) -> None:
        """Refit the project as soon as it can, however few labels came in (a removal changed
        whose labels count); a refit running now runs once more."""
        with self._guard:
            self._requested.add(project_id)
        self.note(foundry, project_id, 0)

    def _due(self, project_id: int) -> bool:
        if project_id in self._requested:
            return True
        since = self._since[project_id]
        return since >= max(REFIT_MIN_LABELS, REFIT_GROWTH * self._fitted.get(project_id, 0))

    def _run(self, foundry: Foundry, project_id: int) -> None:
        while True:
            try:
                fitted = refit(foundry, project_id)
                if fitted is not None:
                    self._fitted[project_id] = fitted
            except Exception:  # a failed refit leaves the warm posteriors; retried later
                log.exception("refit of project %s failed", project_id)
                with self._guard:
                    self._running.discard(project_id)
                return
            with self._guard:
                if not self._due(project_id):  # labels that came in meanwhile: once more
                    self._running.discard(project_id)
                    return
                self._since[project_id] = 0
                self._requested.discard(project_id)

    def _worker(self) -> queue.SimpleQueue[Any]:
        with self._guard:
            if self._thread is None:
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._loop, name="datafab-refits",
                                                daemon=True)
                self._thread.start()
        return self._queue

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            self._run(*job)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None


def after_submissions(foundry: Foundry, project_ids: dict[int, int],
                      contributor: int | None = None,
                      open_labelled: dict[int, list[int]] | None = None) -> None:
    """Called after a submit commits, before it answers: bring the open items' posteriors up
    to date with the skill the new labels changed (``rescore_open``; ``open_labelled``: the
    items to rescore per project, as the submit read them), then count the labels and refit
    the projects that are due."""
    for project_id, n in project_ids.items():
        if contributor is not None:
            rescore_open(foundry, project_id, contributor,
                         None if open_labelled is None else open_labelled.get(project_id, []))
        refits(foundry).note(foundry, project_id, n)


def refits(foundry: Foundry) -> Refits:
    """The process's refit scheduler, kept by the Foundry and stopped when it closes."""
    return foundry.worker(
        "refits", lambda: Refits(background=foundry.settings.refit_in_background))
