"""Audits run as jobs: the request checks the project and writes a run (status
``running``); a background thread of this process computes the audit, writing its progress
(``done`` of ``total`` steps) as it goes and its report when it ends (``done``), or the
reason it could not (``failed``)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from typing import Any

from datafab.errors import Conflict, DatafabError, NotFound
from datafab.foundry import Foundry
from datafab.services.curation import audit
from datafab.services.projects import load_project
from datafab.statuses import CurationRunStatus as RunStatus
from datafab.store import curation as store

log = logging.getLogger("datafab.curation")


# A run writes its progress at every step; one silent this long was stopped with its process
# (a restart, a crash) and is settled as failed, so no one waits on it for ever.
STALE_AFTER_SECONDS = 15 * 60


class RunKind(StrEnum):
    AUDIT = "audit"


class Jobs:
    """One background thread for this process's curation runs."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="datafab-curation")
        self._futures: dict[int, Future[None]] = {}
        self._lock = threading.Lock()

    def submit(self, run_id: int, fn: Any) -> None:
        with self._lock:
            self._futures[run_id] = self._pool.submit(fn)

    def wait(self, run_id: int, timeout: float | None = None) -> None:
        with self._lock:
            future = self._futures.get(run_id)
        if future is not None:
            future.result(timeout)

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def jobs(foundry: Foundry) -> Jobs:
    return foundry.worker("curation", Jobs)


def start_audit(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    """Check the project (``InvalidInput`` before anything is written), record the run and
    start it; the run as ``run_view`` shows it."""
    prepared = audit.prepare(foundry, organization, project_id)
    now = foundry.now()
    with foundry.db.write() as conn:
        run_id = store.insert_run(conn, prepared.project.id, RunKind.AUDIT,
                                  RunStatus.RUNNING, audit.FOLDS + 2, now)

    def work() -> None:
        def progress(done: int, total: int) -> None:
            with foundry.db.write() as conn:
                store.set_progress(conn, run_id, done, total, foundry.now())

        try:
            report = audit.run_audit(prepared, on_progress=progress)
            result: dict[str, Any] | None = {**report.summary(), "lines": report.lines,
                                             "item_ids": report.item_ids}
            status, error = RunStatus.DONE, None
        except DatafabError as exc:
            result, status, error = None, RunStatus.FAILED, exc.message
        except Exception as exc:  # a job must always end with a status
            log.exception("audit run %s failed", run_id)
            result, status, error = None, RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
        with foundry.db.write() as conn:
            store.finish_run(conn, run_id, status, result, error, foundry.now())

    accepted = get_run(foundry, organization, project_id, run_id)  # as it starts
    jobs(foundry).submit(run_id, work)
    return accepted


def get_run(foundry: Foundry, organization: int, project_id: int, run_id: int
            ) -> dict[str, Any]:
    """A run of one of the organization's projects (``NotFound`` for anyone else's)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        row = store.get_run(conn, run_id)
    if row is None or row.project_id != project.id:
        raise NotFound(f"run {run_id} not found", field="run_id")
    if row.status == RunStatus.RUNNING and foundry.now() - row.updated_at > STALE_AFTER_SECONDS:
        row = _settle_stale(foundry, run_id)
    return {"id": row.id, "project_id": row.project_id, "kind": row.kind,
            "status": row.status, "done": row.done, "total": row.total,
            "error": row.error, "result": row.result,
            "created_at": row.created_at, "updated_at": row.updated_at}


def _settle_stale(foundry: Foundry, run_id: int) -> Any:
    """Mark a run that stopped making progress as failed (once: a run that moved on in the
    meantime is left alone) and read it again."""
    now = foundry.now()
    with foundry.db.write() as conn:
        store.fail_if_stale(conn, run_id, RunStatus.RUNNING, RunStatus.FAILED,
                            "interrupted: no progress for "
                            f"{STALE_AFTER_SECONDS // 60} minutes (the server stopped while "
                            "it ran); start the audit again", now - STALE_AFTER_SECONDS, now)
        return store.get_run(conn, run_id)


def report_of(foundry: Foundry, organization: int, project_id: int, run_id: int
              ) -> audit.AuditReport:
    """The report of a finished audit run (``Conflict`` while it runs or if it failed)."""
    run = get_run(foundry, organization, project_id, run_id)
    result = run["result"]
    if run["status"] != RunStatus.DONE or result is None:
        raise Conflict(f"run_id: audit run {run_id} is {run['status']}", field="run_id")
    return audit.AuditReport(
        project_id, result["features"], result["lines"], result["item_ids"], result["units"],
        result["flagged"], result["thresholds"], result["crowd_items"])
