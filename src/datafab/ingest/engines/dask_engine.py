"""Ingest on a ``dask.distributed`` cluster: files read, chunked, redacted and fingerprinted
on the cluster's workers; duplicates judged globally, in one place.

Stages and where they run:

* **read → chunk → redact → fingerprint**, on the workers, one task per file
  (``pipeline.prepare_file``): the costly per-chunk work. The workers open the files
  themselves, so the paths must name the same files on every worker (a shared or network
  file system, or a cluster started on this machine).
* **near-duplicate judgment**, global: each file's chunks come back with their MinHash
  signatures, in input order, and the existing banded index (``dedupe.Deduper``) judges
  them on the driver. Every chunk meets every earlier kept chunk of the run whichever
  worker prepared it, so the verdicts are exactly the local run's.
* **store**, the single sink: the caller writes what is kept in its large batches.

Why the signatures are gathered rather than bucketed by band key on the cluster (a shuffle):
the store is one sink, so every kept chunk's text passes through the driver anyway, and a
signature adds 256 bytes to a chunk of about a kilobyte; judging a chunk is a few dictionary
look-ups (microseconds) against the milliseconds its redaction costs, so the driver keeps up
with many workers. A band shuffle finds candidate pairs, but deciding which chunk of a pair
is the one kept ("the first seen") is an ordered pass over them again, and it would cost a
shuffle of every signature across the network on top.

Memory stays bounded: at most a few files per worker are in flight, and each comes back
whole, so a file is the unit of distribution — a corpus at cluster scale is many files
(shards), and a single huge file is best split before it is ingested.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from datafab.ingest import pii
from datafab.ingest.chunking import ChunkSpec
from datafab.ingest.dedupe import Deduper
from datafab.ingest.engines import EngineError
from datafab.ingest.pipeline import (
    Event,
    FileEnd,
    FileStart,
    InputFile,
    Prepared,
    Redaction,
    prepare_file,
    settle,
)
from datafab.ingest.workers import cores

IN_FLIGHT = 2  # files queued per worker beyond the one it is working on
CONNECT_TIMEOUT = "10s"

_worker_ner: list = []  # a worker's named-entity model, loaded once per worker process


def _prepare_on_worker(f: InputFile, spec: ChunkSpec, redaction: Redaction, near: bool,
                       text_field: str | None, with_ner: bool) -> list[Prepared | FileEnd]:
    if with_ner:
        if not _worker_ner:
            _worker_ner.append(pii.NerDetector.load())
        redaction = Redaction(redaction.redact, redaction.replacement, redaction.key,
                              _worker_ner[0])
    return prepare_file(f, spec, redaction, near, text_field=text_field)


class DaskEngine:
    """A client of the cluster at ``scheduler``, or of a ``LocalCluster`` started for the run
    (one single-threaded worker process per core) when none is given. Use as a context
    manager, or ``close()`` it."""

    def __init__(self, scheduler: str | None = None, *, with_ner: bool = False) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise EngineError("engine", "--engine dask needs the optional 'distributed' "
                              "extra: pip install 'datafab[distributed]'") from exc
        self.with_ner = with_ner
        self._cluster: Any = None
        if scheduler is None:
            self._cluster = LocalCluster(n_workers=cores(), threads_per_worker=1,
                                         processes=True, host="127.0.0.1",
                                         dashboard_address=None)
            self.client = Client(self._cluster, set_as_default=False)
            return
        try:
            self.client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError("scheduler", f"--scheduler {scheduler}: cannot reach a dask "
                              f"scheduler there ({exc})") from exc

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def events(self, files: Sequence[InputFile], spec: ChunkSpec, redaction: Redaction,
               deduper: Deduper, *, text_field: str | None = None) -> Iterator[Event]:
        """What ``pipeline.process_files`` yields for ``files``, the per-file work done on the
        cluster and duplicates judged here, in input order. The named-entity model does not
        travel (each worker loads its own); the rest of ``redaction`` does."""
        sent = Redaction(redaction.redact, redaction.replacement, redaction.key, None)
        limit = max(2, self.workers * (1 + IN_FLIGHT))
        pending: deque[tuple[int, Any]] = deque()
        queue = iter(enumerate(files))
        try:
            while True:
                while len(pending) < limit and (nxt := next(queue, None)) is not None:
                    index, f = nxt
                    pending.append((index, self.client.submit(
                        _prepare_on_worker, f, spec, sent, deduper.near, text_field,
                        self.with_ner, pure=False)))
                if not pending:
                    return
                index, future = pending.popleft()
                done = future.result()
                future.release()
                yield FileStart(index)
                for out in done:
                    if isinstance(out, FileEnd):
                        yield FileEnd(index, out.reason, out.line)
                    else:
                        yield settle(out, deduper)
        finally:  # a consumer that stops leaves nothing queued on the cluster
            for _, future in pending:
                future.cancel()
