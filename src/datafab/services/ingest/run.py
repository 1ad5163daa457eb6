"""An ingest run: files read, chunked, de-duplicated and redacted (``datafab.ingest``), their
chunks staged and published file by file (``staging``), and the run's report kept."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from datafab.foundry import Foundry
from datafab.ingest import pii
from datafab.ingest.dedupe import Deduper
from datafab.ingest.pipeline import FileEnd, FileStart, Redaction, process_files
from datafab.ingest.workers import ChunkPool
from datafab.services.ingest.engine import open_engine
from datafab.services.ingest.keys import organization_keys_for
from datafab.services.ingest.options import IngestOptions, Source, check_target, workers_for
from datafab.services.ingest.policy import get_policy
from datafab.services.ingest.staging import _Run
from datafab.services.projects import load_project
from datafab.store import ingest_runs as stored

_NER_CACHE: list = []


def _ner():
    if not _NER_CACHE:
        _NER_CACHE.append(pii.NerDetector.load())
    return _NER_CACHE[0]


def ingest_files(
    foundry: Foundry,
    organization: int,
    project_id: int,
    sources: Iterable[Source],
    raw_options: Any = None,
    *,
    on_progress: Callable[[int], None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Ingest ``sources`` into the project; the run's report. ``on_progress(n)`` is told of
    roughly ``n`` more bytes read; the ``n`` add up to the files' total size, never more.
    ``engine`` ``dask`` runs the per-file work on the cluster at ``scheduler`` (a local one
    when ``None``; see ``ingest.engines.dask_engine``)."""
    from datafab.primitives.base import parse

    options = parse(IngestOptions, raw_options or {}, "options")
    spec = options.spec()
    sources = list(sources)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
    check_target(project)
    policy = get_policy(foundry, organization, project.id)
    keys = organization_keys_for(foundry, organization)
    ner = _ner() if options.ner and policy.redact else None
    redaction = Redaction(policy.redact, policy.replacement, keys.pseudonym_key, ner)
    deduper = Deduper(near=options.near_duplicates, threshold=options.threshold)
    dask = open_engine(engine, scheduler, with_ner=ner is not None)  # before any write
    started = time.perf_counter()
    try:
        with foundry.db.write() as conn:
            run_id = stored.start_run(conn, project.id, foundry.now())
    except BaseException:
        if dask is not None:
            dask.close()
        raise
    run = _Run(foundry, project, organization, run_id, keys, on_progress)
    workers = workers_for(options, sources)
    report: dict[str, Any] = {
        "run_id": run_id, "project_id": project.id, "files": [], "errors": [],
        "redaction": {"redact": policy.redact, "replacement": policy.replacement,
                      "ner": ner is not None, "originals_kept": keys.keep_originals,
                      "names_by_list": 0},
        "pii": {}, "duplicates": {"exact": 0, "near": 0, "listed": []},
    }
    report["workers"] = workers
    with ExitStack() as stack:
        if dask is not None:
            stack.enter_context(dask)
            report.update(engine=engine, workers=dask.workers)
            events = dask.events(sources, spec, redaction, deduper,
                                 text_field=options.text_field)
        else:
            pool = stack.enter_context(ChunkPool(workers, with_ner=ner is not None)) \
                if workers else None
            events = process_files(sources, spec, redaction, deduper,
                                   text_field=options.text_field, pool=pool)
        for event in events:
            if isinstance(event, FileStart):
                run.start(sources[event.index])
            elif isinstance(event, FileEnd):
                report["files"].append(run.end(event, report))
            else:
                run.add(event)
    totals = {k: sum(f[k] for f in report["files"]) for k in
              ("bytes", "chunks", "created", "unchanged", "dropped")}
    report.update(totals, seconds=round(time.perf_counter() - started, 3))
    report["warnings"] = _warnings(report, policy.redact, options.ner)
    with foundry.db.write() as conn:
        stored.save_report(conn, run_id, report)
    return report


def _warnings(report: dict[str, Any], redact: bool, ner_asked: bool) -> list[str]:
    """What the reader of the report should know about how names were found."""
    if not redact:
        return []
    out = []
    listed = report["redaction"]["names_by_list"]
    if not report["redaction"]["ner"]:
        out.append("no named-entity model " + ("installed (pip install 'datafab[ner]')"
                                               if ner_asked else "used (ner: false)")
                   + ": personal names were found with Datafab's list of names only, which "
                   "misses names off the list or in lower case, and addresses")
    if listed:
        out.append(f"{listed} personal name(s) were replaced because they match the list of "
                   "names" + (", not the named-entity model" if report["redaction"]["ner"]
                              else "") + ": review a sample (redaction_review)")
    return out


def list_runs(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = stored.recent_runs(conn, project.id)
    return [{"id": r.id, "created_at": r.created_at, "report": r.report} for r in rows]
