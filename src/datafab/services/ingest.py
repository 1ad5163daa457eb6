"""Ingest: an organization's own files become items of one of its projects, redacted.

``ingest_files`` reads each file (``datafab.ingest``), chunks it, drops duplicates, replaces
personal data by the project's rule, and stores the chunks as items with their provenance.
A file lands whole or not at all: its items are written as ``staged:<run>`` (never leased)
and made leasable together once the whole file has been read; a bad file's staged items are
deleted and the report names the file and line, while the other files go through.

Redaction happens here, before an item is stored, so nothing downstream (leases, exports,
model calls) ever has the original: it exists only encrypted in ``item_originals``, and only
if the organization opted in. A project may say not to redact (``redact: false``).

Keys: each organization has its own pseudonym key (HMAC) and data key (Fernet, AES-128-CBC
with HMAC-SHA256), made on first use and stored encrypted under the site's data key
(``DATAFAB_DATA_KEY``, or, on loopback, one kept in the key file beside the database — see
``services/site_keys.py``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.ingest import pii
from datafab.ingest.chunking import BY, UNITS, ChunkSpec
from datafab.ingest.dedupe import Deduper
from datafab.ingest.pipeline import (
    Dropped,
    FileEnd,
    FileStart,
    InputFile,
    Kept,
    Redaction,
    process_files,
)
from datafab.ingest.workers import ChunkPool, cores
from datafab.services import site_keys as kept_keys
from datafab.services.hybrid import initial_status
from datafab.services.ingest_engine import open_engine
from datafab.services.items import _hash
from datafab.services.projects import Project, load_project
from datafab.store.ingest_writes import insert_items
from datafab.store.tables import (
    ingest_policies,
    ingest_runs,
    item_originals,
    items,
    organization_keys,
)

BATCH = 500
PARALLEL_FROM = 8 * 2**20  # bytes of input from which a pool pays for starting its workers
DROPPED_LISTED = 200  # the report lists this many dropped chunks; it counts them all
TARGETS = ("classify", "spans", "write")


# -- keys ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrgKeys:
    pseudonym_key: bytes
    fernet: Fernet
    keep_originals: bool


def _site_fernet(foundry: Foundry) -> Fernet:
    configured = foundry.settings.data_key
    if configured:
        raw = hashlib.sha256(b"datafab-data:" + configured.encode()).digest()
    else:
        raw = kept_keys.kept_key(foundry, kept_keys.DATA_KEY)
    return Fernet(base64.urlsafe_b64encode(raw))


def organization_keys_for(foundry: Foundry, organization: int) -> OrgKeys:
    """The organization's keys, made on first use."""
    site = _site_fernet(foundry)
    row = _key_row(foundry, organization)
    if row is None:
        try:
            with foundry.db.write() as conn:
                conn.execute(insert(organization_keys).values(
                    organization_id=organization,
                    pseudonym_key=site.encrypt(secrets.token_bytes(32)).decode(),
                    data_key=site.encrypt(Fernet.generate_key()).decode(),
                    keep_originals=False, created_at=foundry.now()))
        except IntegrityError:
            pass
        row = _key_row(foundry, organization)
    try:
        return OrgKeys(site.decrypt(row.pseudonym_key.encode()),
                       Fernet(site.decrypt(row.data_key.encode())), bool(row.keep_originals))
    except InvalidToken as exc:
        raise InvalidInput("the organization's keys do not open with this site's data key "
                           "(DATAFAB_DATA_KEY changed?)", field="data_key") from exc


def _key_row(foundry: Foundry, organization: int):
    with foundry.db.read() as conn:
        return conn.execute(select(organization_keys).where(
            organization_keys.c.organization_id == organization)).first()


def set_keep_originals(foundry: Foundry, organization: int, keep: bool) -> bool:
    """Opt the organization in (or out) of keeping originals, encrypted; out deletes none
    already kept — :func:`forget_originals` does."""
    organization_keys_for(foundry, organization)
    with foundry.db.write() as conn:
        conn.execute(update(organization_keys)
                     .where(organization_keys.c.organization_id == organization)
                     .values(keep_originals=keep))
    return keep


def forget_originals(foundry: Foundry, organization: int) -> int:
    with foundry.db.write() as conn:
        return conn.execute(delete(item_originals).where(
            item_originals.c.organization_id == organization)).rowcount


def get_original(foundry: Foundry, organization: int, item_id: int) -> dict[str, Any]:
    """An item's text before redaction, for its own organization's requesters only."""
    with foundry.db.read() as conn:
        row = conn.execute(
            select(item_originals.c.ciphertext, item_originals.c.organization_id,
                   items.c.project_id)
            .join(items, items.c.id == item_originals.c.item_id)
            .where(item_originals.c.item_id == item_id)).first()
        try:
            if row is None or row.organization_id != organization:
                raise NotFound("no original")
            load_project(conn, organization, row.project_id)
        except NotFound as exc:
            raise NotFound(f"item {item_id} has no original kept", field="item_id") from exc
    keys = organization_keys_for(foundry, organization)
    return {"item_id": item_id, "text": keys.fernet.decrypt(row.ciphertext.encode()).decode()}


# -- the project's policy -----------------------------------------------------------------

class IngestPolicy(BaseModel):
    """What a project does with personal data in the chunks it receives."""

    model_config = ConfigDict(extra="forbid")

    redact: bool = Field(True, description="Replace personal data before anyone sees a chunk "
                         "(false: people and models see the text as it is).")
    replacement: str = Field("tag", pattern="^(tag|pseudonym)$",
                             description="tag: [EMAIL]; pseudonym: <EMAIL_3f9a…>, the same "
                             "value gets the same pseudonym within the organization.")


def get_policy(foundry: Foundry, organization: int, project_id: int) -> IngestPolicy:
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        row = conn.execute(select(ingest_policies).where(
            ingest_policies.c.project_id == project.id)).first()
    if row is None:
        return IngestPolicy()
    return IngestPolicy(redact=row.redact, replacement=row.replacement)


def set_policy(foundry: Foundry, organization: int, project_id: int, raw: Any) -> IngestPolicy:
    from datafab.primitives.base import parse

    policy = parse(IngestPolicy, raw, "policy")
    with foundry.db.write() as conn:
        project = load_project(conn, organization, project_id)
        values = dict(redact=policy.redact, replacement=policy.replacement,
                      updated_at=foundry.now())
        changed = conn.execute(update(ingest_policies).where(
            ingest_policies.c.project_id == project.id).values(**values)).rowcount
        if not changed:
            conn.execute(insert(ingest_policies).values(project_id=project.id, **values))
    return policy


# -- ingest -------------------------------------------------------------------------------

class IngestOptions(BaseModel):
    """How files become chunks."""

    model_config = ConfigDict(extra="forbid")

    chunk_by: str = Field("paragraph", description=f"Chunk boundaries: {', '.join(BY)}.")
    chunk_size: int = Field(1000, ge=16, le=50_000, description="Largest chunk, in chunk_unit.")
    chunk_unit: str = Field("chars", description=f"Chunk size unit: {', '.join(UNITS)}.")
    text_field: str | None = Field(None, max_length=200, description="Field (JSONL) or column "
                                   "(CSV, Parquet) holding the text; default: text, content, "
                                   "body or message, else every text field.")
    near_duplicates: bool = Field(True, description="Drop near duplicates (MinHash LSH).")
    threshold: float = Field(0.85, ge=0.5, le=1.0,
                             description="Estimated Jaccard similarity of a near duplicate.")
    ner: bool = Field(True, description="Find names and addresses with a named-entity model "
                      "where one is installed (datafab[ner]); names are also found with "
                      "Datafab's list of names, model or not.")
    workers: int | None = Field(None, ge=0, le=64, description="Worker processes that redact "
                                "and fingerprint chunks while the run reads and stores them "
                                "(at most one per core; 0: the run does it all). Default: one "
                                "per core when the files come to "
                                f"more than {PARALLEL_FROM // 2**20} MB, else 0.")

    def spec(self) -> ChunkSpec:
        try:
            return ChunkSpec(by=self.chunk_by, size=self.chunk_size, unit=self.chunk_unit)
        except ValueError as exc:
            raise InvalidInput(f"options: {exc}", field="options") from exc


Source = InputFile  # a file to ingest, and the name the report and provenance give it


def item_data(project: Project, text: str) -> dict[str, Any]:
    """A chunk as the project's item: what its contributors (and models) are shown."""
    if project.primitive_name == "write":
        return {"prompt": text}
    return {"text": text}


def _check_target(project: Project) -> None:
    if project.primitive_name not in TARGETS:
        raise InvalidInput(
            f"project: ingest routes chunks into {', '.join(TARGETS)} projects, not "
            f"{project.primitive_name}", field="project")


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
    _check_target(project)
    policy = get_policy(foundry, organization, project.id)
    keys = organization_keys_for(foundry, organization)
    ner = _ner() if options.ner and policy.redact else None
    redaction = Redaction(policy.redact, policy.replacement, keys.pseudonym_key, ner)
    deduper = Deduper(near=options.near_duplicates, threshold=options.threshold)
    dask = open_engine(engine, scheduler, with_ner=ner is not None)  # before any write
    started = time.perf_counter()
    try:
        with foundry.db.write() as conn:
            run_id = conn.execute(insert(ingest_runs).values(
                project_id=project.id, report={}, created_at=foundry.now())
                .returning(ingest_runs.c.id)).scalar_one()
    except BaseException:
        if dask is not None:
            dask.close()
        raise
    run = _Run(foundry, project, organization, run_id, keys, on_progress)
    workers = _workers(options, sources)
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
        conn.execute(update(ingest_runs).where(ingest_runs.c.id == run_id)
                     .values(report=report))
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


def _workers(options: IngestOptions, sources: list[Source]) -> int:
    """Worker processes for the run: as asked, else one per core for inputs worth starting
    them (the run's own reading and storing is the lighter share, so it takes no core of
    its own)."""
    if options.workers is not None:
        return min(options.workers, cores())
    size = sum(s.path.stat().st_size for s in sources if s.path.is_file())
    return cores() if size >= PARALLEL_FROM else 0


class _File:
    """What the run knows of the file it is reading."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.size = source.path.stat().st_size if source.path.is_file() else 0
        self.entry: dict[str, Any] = {"file": source.name, "bytes": self.size, "chunks": 0,
                                      "created": 0, "unchanged": 0, "dropped": 0}
        self.pii: dict[str, int] = {}
        self.listed_names = 0
        self.dropped = {"exact": 0, "near": 0}
        self.listed: list[dict[str, Any]] = []  # the first few dropped, for the report
        self.batch: list[Kept] = []
        self.reported = 0  # bytes of it told to on_progress
        self.error: InvalidInput | None = None  # a chunk the project refused


class _Run:
    def __init__(self, foundry: Foundry, project: Project, organization: int, run_id: int,
                 keys: OrgKeys, on_progress: Callable[[int], None] | None) -> None:
        self.foundry, self.project, self.organization = foundry, project, organization
        self.staged = f"staged:{run_id}"
        self.keys, self.on_progress = keys, on_progress
        self.file: _File | None = None

    def start(self, source: Source) -> None:
        self.file = _File(source)
        self._floor = self._max_id()

    def add(self, out: Kept | Dropped) -> None:
        f = self.file
        assert f is not None, "add() between start() and end()"
        if f.error is not None:
            return  # the file is refused whole; its end says so
        f.entry["chunks"] += 1
        if isinstance(out, Dropped):
            f.entry["dropped"] += 1
            f.dropped[out.reason] += 1
            if len(f.listed) < DROPPED_LISTED:
                f.listed.append({"external_id": out.external_id, "reason": out.reason,
                                 "duplicate_of": out.of, "similarity": out.similarity,
                                 "source": out.provenance})
            return
        for k, v in out.counts.items():
            f.pii[k] = f.pii.get(k, 0) + v
        f.listed_names += out.listed_names
        f.batch.append(out)
        if len(f.batch) >= BATCH:
            self._flush(f)

    def _flush(self, f: _File) -> None:
        try:
            covered = self._write(f.batch, f.entry)
        except InvalidInput as exc:
            f.error = exc
        else:
            # characters of text, not bytes of file: a compressed file (Parquet, PDF) holds
            # more text than bytes, so the file's share is capped at its size
            step = min(covered, f.size - f.reported)
            if step > 0 and self.on_progress is not None:
                self.on_progress(step)
            f.reported += max(step, 0)
        f.batch = []

    def end(self, end: FileEnd, report: dict[str, Any]) -> dict[str, Any]:
        """The file's entry in the report: its chunks become work, or (a bad file) none of
        them do."""
        f = self.file
        assert f is not None, "end() after start()"
        if f.batch and f.error is None:
            self._flush(f)
        error = None
        if end.failed:
            error = {"file": f.source.name, "line": end.line, "message": end.reason}
        elif f.error is not None:
            error = {"file": f.source.name, "line": None, "message": f.error.message}
        if error is not None:
            self._discard()
            report["errors"].append(error)
            f.entry.update(chunks=0, created=0, unchanged=0, dropped=0,
                           error=error["message"], line=error["line"])
        else:
            self._publish()
            for k, v in f.pii.items():
                report["pii"][k] = report["pii"].get(k, 0) + v
            report["redaction"]["names_by_list"] += f.listed_names
            summary = report["duplicates"]
            for reason, n in f.dropped.items():
                summary[reason] += n
            summary["listed"] += f.listed[:DROPPED_LISTED - len(summary["listed"])]
        if self.on_progress is not None:
            self.on_progress(max(0, f.size - f.reported))
        self.file = None
        return f.entry

    def _write(self, batch: list[Kept], entry: dict[str, Any]) -> int:
        """Stage a batch of chunks; the characters of source text it covered (progress)."""
        project, now = self.project, self.foundry.now()
        primitive, settings = project.primitive, project.settings
        rows, originals = [], {}
        seen: set[str] = set()
        for k in batch:
            if k.external_id in seen:
                continue
            seen.add(k.external_id)
            data = primitive.parse_item(settings, item_data(project, k.text), "data")
            meta: dict[str, Any] = {"source": k.provenance}
            if k.redactions:
                meta["redactions"] = list(k.redactions)
            rows.append(dict(
                project_id=project.id, external_id=k.external_id, data=data,
                content_hash=_hash({"data": data, "gold_answer": None, "meta": meta}),
                priority=0, status=self.staged, slots=project.policy.wanted(0), n_labels=0,
                n_live=0, gold_answer=None, meta=meta, created_at=now))
            if self.keys.keep_originals and k.original != k.text:
                originals[k.external_id] = k.original
        with self.foundry.db.write() as conn:
            there = set(conn.execute(select(items.c.external_id).where(
                items.c.project_id == project.id,
                items.c.external_id.in_([r["external_id"] for r in rows]))).scalars())
            fresh = [r for r in rows if r["external_id"] not in there]
            insert_items(conn, fresh)  # one executemany (SQLite) or COPY (PostgreSQL)
            if originals:
                ids = dict(conn.execute(select(items.c.external_id, items.c.id).where(
                    items.c.project_id == project.id, items.c.status == self.staged,
                    items.c.external_id.in_(list(originals)))).all())
                conn.execute(insert(item_originals), [
                    dict(item_id=ids[ext], organization_id=self.organization,
                         ciphertext=self.keys.fernet.encrypt(text.encode()).decode(),
                         created_at=now)
                    for ext, text in originals.items() if ext in ids])
        entry["created"] += len(fresh)
        entry["unchanged"] += len(batch) - len(fresh)
        return sum(len(k.original) for k in batch)

    def _max_id(self) -> int:
        with self.foundry.db.read() as conn:
            return conn.execute(select(func.max(items.c.id))).scalar() or 0

    def _mine(self):
        """This file's staged items, found by primary-key range. The project is checked row
        by row (``project_id + 0``): offered an index on the project, SQLite's planner takes
        it and visits every item the project has — 0.25 s a file at two million items."""
        return (items.c.id > self._floor, (items.c.project_id + 0) == self.project.id,
                items.c.status == self.staged)

    def _publish(self) -> None:
        """The file was read whole: its staged items become work."""
        with self.foundry.db.write() as conn:
            conn.execute(update(items).where(*self._mine())
                         .values(status=initial_status(self.project)))

    def _discard(self) -> None:
        with self.foundry.db.write() as conn:
            staged = select(items.c.id).where(*self._mine())
            conn.execute(delete(item_originals).where(item_originals.c.item_id.in_(staged)))
            conn.execute(delete(items).where(*self._mine()))


def list_runs(foundry: Foundry, organization: int, project_id: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = conn.execute(select(ingest_runs).where(ingest_runs.c.project_id == project.id)
                            .order_by(ingest_runs.c.id.desc()).limit(100)).all()
    return [{"id": r.id, "created_at": r.created_at, "report": r.report} for r in rows]


# -- redaction review ---------------------------------------------------------------------

def sample_for_review(foundry: Foundry, organization: int, review_project_id: int,
                      from_project_id: int, n: int, *, seed: int | None = None
                      ) -> dict[str, int]:
    """Put a random sample of ``n`` ingested chunks of ``from_project`` (with the
    replacements made in each) into a ``redaction_review`` project of the same organization."""
    import random

    from datafab.services.items import upload_items

    if not 1 <= n <= 10_000:
        raise InvalidInput("n: must be between 1 and 10000", field="n")
    with foundry.db.read() as conn:
        review = load_project(conn, organization, review_project_id)
        source = load_project(conn, organization, from_project_id)
        if review.primitive_name != "redaction_review":
            raise InvalidInput(f"project: {review.name} is a {review.primitive_name} project, "
                               "not redaction_review", field="project")
        ids = list(conn.execute(select(items.c.id).where(
            items.c.project_id == source.id, items.c.status.not_like("staged:%"),
            items.c.status != "gold")).scalars())
        chosen = sorted(random.Random(seed).sample(ids, min(n, len(ids))))
        rows = conn.execute(select(items.c.id, items.c.data, items.c.meta)
                            .where(items.c.id.in_(chosen))).all() if chosen else []
    if not rows:
        raise InvalidInput(f"from_project: project {source.id} has no items to review",
                           field="from_project")
    sample = []
    for r in rows:
        text = r.data.get("text")
        if text is None and r.data.get("prompt"):
            text = r.data["prompt"][0]["content"]
        if not text:
            continue
        sample.append({"external_id": f"review:{source.id}:{r.id}",
                       "data": {"text": text,
                                "redactions": (r.meta or {}).get("redactions", [])}})
    return upload_items(foundry, organization, review.id, sample).to_dict()


def review_report(foundry: Foundry, organization: int, review_project_id: int
                  ) -> dict[str, Any]:
    """The measured miss and wrong rates per PII type over the reviewed chunks' records."""
    from datafab.primitives.redaction_review import miss_rates
    from datafab.services.exports import export_rows

    reviewed = 0

    def pairs():
        nonlocal reviewed
        for row in export_rows(foundry, organization, review_project_id, "records",
                               include_open=True):
            reviewed += 1
            yield row, row

    rates = miss_rates(pairs())
    return {"reviewed": reviewed, "types": rates}
