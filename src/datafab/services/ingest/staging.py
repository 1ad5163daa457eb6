"""A run's files landing whole or not at all: a file's items are written as
``staged:<run>`` (never leased) in batches while it is read, and made work together once
the whole file has been read; a bad file's staged items are deleted instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.ingest.pipeline import Dropped, FileEnd, Kept
from datafab.services.hybrid import initial_status
from datafab.services.ingest.keys import OrgKeys
from datafab.services.ingest.options import Source, item_data
from datafab.services.items import _hash, plain_hash
from datafab.services.projects import Project
from datafab.store import ingest_writes as writes

BATCH = 500
DROPPED_LISTED = 200  # the report lists this many dropped chunks; it counts them all


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
        with self.foundry.db.read() as conn:
            self._floor = writes.max_item_id(conn)

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
            _count(f, report)
        if self.on_progress is not None:
            self.on_progress(max(0, f.size - f.reported))
        self.file = None
        return f.entry

    def _write(self, batch: list[Kept], entry: dict[str, Any]) -> int:
        """Stage a batch of chunks; the characters of source text it covered (progress)."""
        now = self.foundry.now()
        rows, originals = self._rows(batch, now)
        with self.foundry.db.write() as conn:
            there = writes.existing_external_ids(conn, self.project.id,
                                                 [r["external_id"] for r in rows])
            fresh = [r for r in rows if r["external_id"] not in there]
            writes.insert_items(conn, fresh)  # one executemany (SQLite) or COPY (PostgreSQL)
            if originals:
                ids = writes.staged_ids(conn, self.project.id, self.staged, list(originals))
                writes.insert_originals(conn, [
                    dict(item_id=ids[ext], organization_id=self.organization,
                         ciphertext=self.keys.fernet.encrypt(text.encode()).decode(),
                         created_at=now)
                    for ext, text in originals.items() if ext in ids])
        entry["created"] += len(fresh)
        entry["unchanged"] += len(batch) - len(fresh)
        return sum(len(k.original) for k in batch)

    def _rows(self, batch: list[Kept], now: Any
              ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The batch as item rows (each external id once), and the originals to keep."""
        project = self.project
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
                content_hash=_content_hash(data, meta),
                priority=0, status=self.staged, slots=project.policy.wanted(0), n_labels=0,
                n_live=0, gold_answer=None, meta=meta, created_at=now))
            if self.keys.keep_originals and k.original != k.text:
                originals[k.external_id] = k.original
        return rows, originals

    def _mine(self):
        """This file's staged items, found by primary-key range (``store.ingest_writes``)."""
        return writes.file_items(self._floor, self.project.id, self.staged)

    def _publish(self) -> None:
        """The file was read whole: its staged items become work."""
        with self.foundry.db.write() as conn:
            writes.publish(conn, self._mine(), initial_status(self.project))

    def _discard(self) -> None:
        with self.foundry.db.write() as conn:
            writes.discard(conn, self._mine())


def _content_hash(data: dict[str, Any], meta: dict[str, Any]) -> str:
    """The item's content hash, as ``services.items`` computes it. The redactions' spans are
    types and offsets; the data (the chunk's text, as the primitive keeps it) and the source
    (where the chunk came from) hold a float only if a primitive or a reader ever puts one
    there — then the reference encoder."""
    content = {"data": data, "gold_answer": None, "meta": meta}
    if _has_float(data) or _has_float(meta["source"]):
        return _hash(content)
    return plain_hash(content)


def _has_float(container: dict | list | tuple) -> bool:
    for v in container.values() if isinstance(container, dict) else container:
        if isinstance(v, float) or (isinstance(v, dict | list | tuple) and _has_float(v)):
            return True
    return False


def _count(f: _File, report: dict[str, Any]) -> None:
    """A published file's personal data and duplicates, added to the run's report."""
    for k, v in f.pii.items():
        report["pii"][k] = report["pii"].get(k, 0) + v
    report["redaction"]["names_by_list"] += f.listed_names
    summary = report["duplicates"]
    for reason, n in f.dropped.items():
        summary[reason] += n
    summary["listed"] += f.listed[:DROPPED_LISTED - len(summary["listed"])]
