"""A found file, read into the texts to trace.

Plain text is traced whole; JSONL (one JSON value a line) and CSV give each string of three
words or more (JSON escapes undone, so ``\\u0430`` is the letter it stands for). An empty
file, one that is not UTF-8 text (a NUL byte, undecodable bytes, control characters) or one
holding no prose is refused, naming ``file``.
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from typing import Any

from datafab.errors import InvalidInput
from datafab.services.tracing.marking import prose

MAX_BYTES = 50 * 1024 * 1024


class LeakFormat(StrEnum):
    TEXT = "text"
    JSONL = "jsonl"
    CSV = "csv"


_SUFFIXES = {".jsonl": LeakFormat.JSONL, ".ndjson": LeakFormat.JSONL,
             ".json": LeakFormat.JSONL, ".csv": LeakFormat.CSV}


def format_of(name: str) -> LeakFormat | None:
    """The format a file's name says (``None``: look at the content)."""
    lowered = name.lower()
    return next((fmt for suffix, fmt in _SUFFIXES.items() if lowered.endswith(suffix)), None)


def decode(content: bytes, field: str = "file") -> str:
    """The file's text; ``InvalidInput`` naming ``field`` if it is empty or not text."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"{field}: larger than {MAX_BYTES // 2**20} MiB", field=field)
    if not content.strip():
        raise InvalidInput(f"{field}: empty", field=field)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{field}: binary, not UTF-8 text (byte {exc.start})",
                           field=field) from exc
    check_text(text, field)
    return text


def check_text(text: str, field: str) -> None:
    if not text.strip():
        raise InvalidInput(f"{field}: empty", field=field)
    control = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    if "\x00" in text or control > len(text) // 100:
        raise InvalidInput(f"{field}: binary, not text (control characters)", field=field)


def fragments(text: str, fmt: LeakFormat | None, field: str = "file") -> list[str]:
    """The texts to trace in the file."""
    if fmt is None:
        fmt = LeakFormat.JSONL if _all_json(text) else LeakFormat.TEXT
    if fmt is LeakFormat.JSONL:
        found = [t for n, line in enumerate(text.splitlines(), 1) if line.strip()
                 for _, t in prose(_json_line(line, n, field))]
    elif fmt is LeakFormat.CSV:
        found = [cell for row in csv.reader(io.StringIO(text)) for cell in row
                 if any(True for _ in prose(cell))]
    else:
        found = [text] if any(True for _ in prose(text)) else []
    if not found:
        raise InvalidInput(f"{field}: no text of three words or more to trace", field=field)
    return found


def _all_json(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        return all(isinstance(json.loads(line), dict | list) for line in lines)
    except ValueError:
        return False


def _json_line(line: str, n: int, field: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise InvalidInput(f"{field}: line {n} is not JSON ({exc})", field=field) from exc
