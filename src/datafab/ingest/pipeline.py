"""One file through the line: read → chunk → de-duplicate → find and redact personal data.

Pure: it sees paths, text and keys, never the database. ``services.ingest`` stores what it
yields.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datafab.ingest import pii
from datafab.ingest.chunking import Chunk, ChunkSpec, chunk
from datafab.ingest.dedupe import Deduper
from datafab.ingest.readers import reader_for


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


def process_file(path: Path, display: str, spec: ChunkSpec, redaction: Redaction,
                 deduper: Deduper, *, text_field: str | None = None
                 ) -> Iterator[Kept | Dropped]:
    """Every chunk of the file, kept or dropped; raises ``ReadError`` for a bad file."""
    read = reader_for(path)
    for c in chunk(read(path, text_field), spec):
        yield process_chunk(c, display, redaction, deduper)


def process_chunk(c: Chunk, display: str, redaction: Redaction,
                  deduper: Deduper) -> Kept | Dropped:
    ext = chunk_id(redaction.key, c.text)
    provenance = {"file": display, **c.provenance()}
    verdict = deduper.check(ext, c.text)
    if verdict.kind is not None:
        return Dropped(ext, verdict.kind, verdict.of, provenance, verdict.similarity)
    if not redaction.redact:
        return Kept(ext, c.text, c.text, provenance, ())
    findings = pii.detect(c.text, ner=redaction.ner)
    if not findings:
        return Kept(ext, c.text, c.text, provenance, ())
    done = pii.redact(c.text, findings, replacement=redaction.replacement, key=redaction.key)
    return Kept(ext, done.text, c.text, provenance, done.spans, done.counts())
