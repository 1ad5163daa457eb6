"""Worker processes for ingest: the costly per-chunk work (finding personal data, MinHash
fingerprints) on every core, while the calling process reads, judges duplicates and stores.

Chunks go out in batches and come back in the order they went, with at most a few batches in
flight, so memory stays bounded and the result is the one a single process gives. Batches
run across file boundaries (the files' start and end markers travel with the chunks), so a
folder of small files keeps the workers as busy as one large file. Workers
are started with ``spawn`` (never ``fork``: the caller may hold database connections and
threads) and load the named-entity model themselves when redaction uses one. They do not
re-run the caller's main script (what ``spawn`` does by default): everything they run is in
this module, and re-running a console script imports the whole command line in every worker.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice

from datafab.ingest import pii
from datafab.ingest.pipeline import Redaction, prepare

BATCH = 256  # chunks per task: large enough that pickling is a small share of the work
IN_FLIGHT = 2  # batches queued per worker beyond the one it is working on

_worker_ner: list = []


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start_worker(with_ner: bool) -> None:
    if with_ner:
        _worker_ner.append(pii.NerDetector.load())


def _prepare_in_worker(items: list, redaction: Redaction, near: bool) -> list:
    if redaction.ner is None and _worker_ner:
        redaction = Redaction(redaction.redact, redaction.replacement, redaction.key,
                              _worker_ner[0])
    return prepare(items, redaction, near)


@contextmanager
def _main_left_out() -> Iterator[None]:
    """Processes started here (the executor starts its workers in ``submit``) do not re-run
    the main script: ``spawn`` re-runs it when it was started by path (a console script such
    as ``datafab``), which costs each worker the command line's imports — 0.4 CPU s a worker
    for ``datafab ingest``, more than the worker's own imports. A script run with ``-m`` (a
    ``__spec__``) is left as it is. Process-wide for the length of a ``submit``."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class ChunkPool:
    """``workers`` processes preparing chunks; use as a context manager."""

    def __init__(self, workers: int, *, with_ner: bool = False) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(with_ner,))

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def map(self, items: Iterable, redaction: Redaction, near: bool) -> Iterator:
        """Every item prepared (``pipeline.prepare``), in input order. The named-entity model
        does not travel to the workers (each loads its own); the rest of ``redaction`` does."""
        sent = Redaction(redaction.redact, redaction.replacement, redaction.key, None)
        pending: deque[Future] = deque()
        limit = self.workers * (1 + IN_FLIGHT)
        items = iter(items)
        try:
            while True:
                while len(pending) < limit and (batch := list(islice(items, BATCH))):
                    with _main_left_out():
                        pending.append(self._executor.submit(_prepare_in_worker, batch,
                                                             sent, near))
                if not pending:
                    return
                yield from pending.popleft().result()
        finally:  # a consumer that stops leaves nothing queued behind it
            for future in pending:
                future.cancel()
