"""Chunking: segments of a file become chunks of bounded size, each knowing where it came from.

``by``:

- ``paragraph`` packs whole paragraphs into a chunk up to ``size``; a paragraph longer than
  ``size`` is split at sentence (else word) boundaries.
- ``heading`` does the same, but a heading always starts a new chunk, so a chunk is (part
  of) one section.

``unit``: ``chars`` (characters) or ``tokens``. Tokens are counted as words and punctuation
marks (``\\w+|[^\\w\\s]``), a tokenizer-free estimate close to what subword tokenizers give
for English prose; no model vocabulary is needed.

Chunks never cross a reader's unit (a record, a page, a file). Provenance: the unit's first
line and page, and ``start``/``end`` character offsets within the unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from datafab.ingest.readers import Segment

BY = ("paragraph", "heading")
UNITS = ("chars", "tokens")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class ChunkSpec:
    by: str = "paragraph"
    size: int = 1000
    unit: str = "chars"

    def __post_init__(self) -> None:
        if self.by not in BY:
            raise ValueError(f"chunk by must be one of {', '.join(BY)}, not {self.by!r}")
        if self.unit not in UNITS:
            raise ValueError(f"chunk unit must be one of {', '.join(UNITS)}, not {self.unit!r}")
        if not 16 <= self.size <= 50_000:
            raise ValueError(f"chunk size must be between 16 and 50000, not {self.size}")

    def measure(self, text: str) -> int:
        return len(text) if self.unit == "chars" else len(_TOKEN.findall(text))


@dataclass(frozen=True)
class Chunk:
    text: str
    unit: int
    start: int
    end: int
    line: int | None
    page: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end}
        if self.line is not None:
            out["line"] = self.line
        if self.page is not None:
            out["page"] = self.page
        out.update(self.extra)
        return out


def _pieces(seg: Segment, spec: ChunkSpec) -> Iterator[Segment]:
    """``seg`` itself, or (when it is longer than a chunk) consecutive pieces of it split at
    sentence, else word, else character boundaries; offsets stay exact."""
    if spec.measure(seg.text) <= spec.size:
        yield seg
        return
    text, pos = seg.text, 0
    # characters per unit, so token limits become a character budget for the cut
    per = max(1.0, len(text) / max(1, spec.measure(text)))
    budget = max(1, int(spec.size * per))
    while pos < len(text):
        end = min(len(text), pos + budget)
        if end < len(text):
            window = text[pos:end]
            # the last sentence end past the window's first third, else the last space
            cut = max((m.end() for m in _SENTENCE_END.finditer(window, len(window) // 3)),
                      default=0)
            if cut < len(window) // 3:
                space = window.rfind(" ")
                cut = space + 1 if space > len(window) // 3 else len(window)
            end = pos + cut
        piece = text[pos:end]
        stripped = piece.rstrip()
        if stripped.strip():
            lead = len(piece) - len(piece.lstrip())
            yield Segment(stripped.lstrip(), seg.unit, seg.start + pos + lead,
                          seg.start + pos + len(stripped), line=seg.line, page=seg.page,
                          extra=seg.extra)
        pos = end


def chunk(segments: Iterable[Segment], spec: ChunkSpec) -> Iterator[Chunk]:
    """Pack segments into chunks of at most ``spec.size`` (a single over-long word aside)."""
    buf: list[Segment] = []
    used = 0

    def emit() -> Chunk:
        text = "\n\n".join(s.text for s in buf)
        first = buf[0]
        return Chunk(text, first.unit, first.start, buf[-1].end, first.line, first.page,
                     first.extra)

    for seg in segments:
        for piece in _pieces(seg, spec):
            size = spec.measure(piece.text)
            starts_new = (
                buf and (
                    piece.unit != buf[-1].unit
                    or used + size > spec.size
                    or (spec.by == "heading" and piece.heading)
                )
            )
            if starts_new:
                yield emit()
                buf, used = [], 0
            buf.append(piece)
            used += size
    if buf:
        yield emit()
