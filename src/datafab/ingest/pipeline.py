"""One file through the line: read → chunk → de-duplicate → find and redact personal data.

Pure: it sees paths, text and keys, never the database. ``services.ingest`` stores what it
yields.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datafab import json_limits
from datafab.ingest import pii
from datafab.ingest.chunking import Chunk, ChunkSpec, chunk
from datafab.ingest.dedupe import Deduper, Fingerprint, Verdict, fingerprints
from datafab.ingest.readers import ReadError, Segment, reader_for

if TYPE_CHECKING:
    from datafab.ingest.workers import ChunkPool


@dataclass(frozen=True)
class Redaction:
    """What to do with personal data: ``redact`` off keeps text as it is (the project says
    so); ``replacement`` ``tag`` or ``pseudonym`` (keyed by the organization's ``key``)."""

    redact: bool = True
    replacement: str = "tag"
    key: bytes = b""
    ner: Any = None  # a NerDetector, or None

    def __post_init__(self) -> None:
        if self.replacement not in pii.REPLACEMENTS:
            raise ValueError(f"replacement must be one of {', '.join(pii.REPLACEMENTS)}, "
                             f"not {self.replacement!r}")
        if not self.key:
            raise ValueError("a redaction needs the organization's key")


@dataclass(frozen=True)
class Kept:
    """A chunk to store: the text people and models see, its source, and the original."""

    external_id: str
    text: str
    original: str
    provenance: dict[str, Any]
    redactions: tuple[dict, ...]
    counts: dict[str, int] = field(default_factory=dict)
    listed_names: int = 0  # names found by the list of names, not by a model


@dataclass(frozen=True)
class Dropped:
    """A chunk left out as a duplicate of the chunk ``of`` (an external id)."""

    external_id: str
    reason: str
    of: str
    provenance: dict[str, Any]
    similarity: float | None = None


def chunk_id(key: bytes, text: str) -> str:
    """A chunk's external id: keyed, so it says nothing about the text without the key, and
    the same text gets the same id (re-ingesting a file changes nothing)."""
    mac = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return "chunk_" + mac[:32]


@dataclass(frozen=True)
class InputFile:
    """A file to read, and the name reports and provenance give it."""

    path: Path
    name: str


@dataclass(frozen=True)
class FileStart:
    """The chunks of ``files[index]`` follow."""

    index: int


@dataclass(frozen=True)
class FileEnd:
    """``files[index]`` is read whole — or could not be, at ``line`` for ``reason`` (its
    chunks already yielded are then to be discarded)."""

    index: int
    reason: str | None = None
    line: int | None = None

    @property
    def failed(self) -> bool:
        return self.reason is not None


Event = FileStart | FileEnd | Kept | Dropped
_Item = FileStart | FileEnd | tuple[str, Chunk]  # what the reader sends out, in order
BATCH = 256  # chunks fingerprinted at once in one process


def process_files(files: Sequence[InputFile], spec: ChunkSpec, redaction: Redaction,
                  deduper: Deduper, *, text_field: str | None = None,
                  pool: ChunkPool | None = None) -> Iterator[Event]:
    """Every file in order: ``FileStart``, each of its chunks kept or dropped, ``FileEnd``.
    A bad file does not stop the others. With a ``pool``, redaction and fingerprints run in
    its worker processes while this one reads ahead — across file boundaries, so many small
    files keep the workers busy too; the verdicts are the same (chunks are judged here, in
    input order)."""
    items = _read(files, spec, text_field)
    if pool is None:
        # in batches: fingerprints are computed for many chunks at once (the same values as
        # one by one); verdicts and redaction still go chunk by chunk, in order
        while batch := list(islice(items, BATCH)):
            chunks = [item for item in batch if isinstance(item, tuple)]
            prints = iter(fingerprints([c.text for _, c in chunks], near=deduper.near))
            for item in batch:
                if isinstance(item, tuple):
                    display, c = item
                    yield judged(c, display, next(prints), redaction, deduper)
                else:
                    yield item
        return
    for done in pool.map(items, redaction, deduper.near):
        yield settle(done, deduper) if isinstance(done, Prepared) else done


def _read(files: Sequence[InputFile], spec: ChunkSpec,
          text_field: str | None) -> Iterator[_Item]:
    for index, f in enumerate(files):
        yield FileStart(index)
        try:
            if not f.path.is_file():
                raise ReadError(f.name, "no such file")
            segments = _storable(f.name, reader_for(f.path)(f.path, text_field))
            for c in chunk(segments, spec):
                yield f.name, c
        except ReadError as exc:
            yield FileEnd(index, exc.reason, exc.line)
        else:
            yield FileEnd(index)


def _storable(name: str, segments: Iterable[Segment]) -> Iterator[Segment]:
    """The segments, refusing the file at the first text no database can keep."""
    for segment in segments:
        problem = json_limits.text_problem(segment.text)
        if problem is not None:
            raise ReadError(name, problem, line=segment.line)
        yield segment


def process_chunk(c: Chunk, display: str, redaction: Redaction,
                  deduper: Deduper) -> Kept | Dropped:
    """One chunk, in this process: a duplicate is dropped before any redaction is spent."""
    ext, provenance = _identify(c, display, redaction.key)
    verdict = deduper.check(ext, c.text)
    return _dropped(ext, verdict, provenance) or redacted(ext, c.text, provenance, redaction)


def judged(c: Chunk, display: str, print_: Fingerprint, redaction: Redaction,
           deduper: Deduper) -> Kept | Dropped:
    """:func:`process_chunk` with the chunk's fingerprint already computed."""
    ext, provenance = _identify(c, display, redaction.key)
    verdict = deduper.judge(ext, print_)
    return _dropped(ext, verdict, provenance) or redacted(ext, c.text, provenance, redaction)


def _identify(c: Chunk, display: str, key: bytes) -> tuple[str, dict[str, Any]]:
    """A chunk's external id and its provenance."""
    return chunk_id(key, c.text), {"file": display, **c.provenance()}


def _dropped(ext: str, verdict: Verdict, provenance: dict[str, Any]) -> Dropped | None:
    if verdict.kind is None or verdict.of is None:  # a duplicate always names its original
        return None
    return Dropped(ext, verdict.kind, verdict.of, provenance, verdict.similarity)


def redacted(ext: str, text: str, provenance: dict[str, Any], redaction: Redaction) -> Kept:
    """The chunk as people and models will see it."""
    if not redaction.redact:
        return Kept(ext, text, text, provenance, ())
    findings = pii.detect(text, ner=redaction.ner)
    if not findings:
        return Kept(ext, text, text, provenance, ())
    done = pii.redact(text, findings, replacement=redaction.replacement, key=redaction.key)
    return Kept(ext, done.text, text, provenance, done.spans, done.counts(),
                sum(f.by == "names" for f in findings))


@dataclass(frozen=True)
class Prepared:
    """A chunk made ready in a worker: redacted, and fingerprinted for de-duplication."""

    kept: Kept
    fingerprint: Fingerprint


def prepare(items: list[_Item], redaction: Redaction, near: bool) -> list[Prepared | FileStart
                                                                          | FileEnd]:
    """A worker's share: every chunk redacted and fingerprinted (duplicates are not known
    yet, so they are redacted too — the price of judging them in one place, in order);
    file markers pass through where they stand."""
    out: list[Prepared | FileStart | FileEnd] = []
    prints = iter(fingerprints([item[1].text for item in items if isinstance(item, tuple)],
                               near=near))
    for item in items:
        if not isinstance(item, tuple):
            out.append(item)
            continue
        display, c = item
        ext, provenance = _identify(c, display, redaction.key)
        out.append(Prepared(redacted(ext, c.text, provenance, redaction), next(prints)))
    return out


def settle(prepared: Prepared, deduper: Deduper) -> Kept | Dropped:
    kept = prepared.kept
    verdict = deduper.judge(kept.external_id, prepared.fingerprint)
    return _dropped(kept.external_id, verdict, kept.provenance) or kept


def prepare_file(f: InputFile, spec: ChunkSpec, redaction: Redaction, near: bool, *,
                 text_field: str | None = None) -> list[Prepared | FileEnd]:
    """One whole file read, chunked, redacted and fingerprinted, for an engine that spreads
    files over machines: its chunks prepared in input order, then its ``FileEnd`` (index 0:
    the caller knows which file it sent). Duplicates are judged later, in one place."""
    out: list[Prepared | FileEnd] = []
    items = _read([f], spec, text_field)
    next(items)  # the file's FileStart: the caller yields its own
    while batch := list(islice(items, BATCH)):
        out.extend(p for p in prepare(batch, redaction, near)
                   if not isinstance(p, FileStart))
    return out
