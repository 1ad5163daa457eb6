"""Uploading a file of items (JSON Lines or CSV) in batches, with errors that name the line.

A file is read twice. The first pass reads every line (valid JSON, an object, a CSV row that
fits the header) and counts the items; a line that cannot be read refuses the file before
anything is written. The second pass uploads the items in batches through
``items.upload_items``: each batch is validated whole and lands whole, so when an item is
refused (its data does not fit the project, its ``external_id`` exists with other content)
the batches before it are stored and nothing of its own batch is. The error names the line;
fixing it and running the upload again completes the file (items already there are
unchanged).

JSON Lines: one item per line, as the API takes it: ``{"external_id", "data", "priority"?,
"gold_answer"?, "gold_explanation"?, "meta"?}``. CSV: a header row with an ``external_id``
column; the optional columns ``priority``, ``gold_answer`` and ``meta`` (the last two JSON
text); every other column becomes a field of ``data`` (text; an empty cell is left out).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from datafab.errors import DatafabError, InvalidInput
from datafab.foundry import Foundry
from datafab.services import items

BATCH = 1000
CSV_SPECIAL = ("external_id", "priority", "gold_answer", "gold_explanation", "meta")
_ITEM_FIELD = re.compile(r"^items\.(\d+)(.*)$")


@dataclass(frozen=True)
class FileUpload:
    items: int
    created: int
    unchanged: int

    def to_dict(self) -> dict[str, int]:
        return {"items": self.items, "created": self.created, "unchanged": self.unchanged}


def count_items(path: Path) -> int:
    """The items in the file, every line read once; the first unreadable line is refused."""
    return sum(1 for _ in read_items(path))


def read_items(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, item) for each item of a ``.jsonl``/``.json`` or ``.csv`` file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_items(path)
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _jsonl_items(path)
    raise InvalidInput(f"file: {path.name}: items come from .jsonl or .csv files", field="file")


def upload_file(
    foundry: Foundry,
    organization: int,
    project_id: int,
    path: Path,
    *,
    batch_size: int = BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> FileUpload:
    """Upload the file's items in batches of ``batch_size``; see the module's docstring."""
    limit = foundry.settings.max_items_per_upload
    if not 1 <= batch_size <= limit:
        raise InvalidInput(f"batch_size: must be between 1 and {limit}", field="batch_size")
    total = count_items(path)
    if not total:
        raise InvalidInput(f"file: {path.name} has no items", field="file")
    created = unchanged = 0
    rows = read_items(path)
    while batch := list(islice(rows, batch_size)):
        try:
            result = items.upload_items(foundry, organization, project_id,
                                        [item for _, item in batch])
        except DatafabError as exc:
            raise _at_line(exc, [n for n, _ in batch], created + unchanged) from exc
        created += result.created
        unchanged += result.unchanged
        if on_batch is not None:
            on_batch(len(batch))
    return FileUpload(total, created, unchanged)


def _at_line(exc: DatafabError, lines: list[int], stored: int) -> DatafabError:
    """The batch's error, naming the file's line instead of the item's place in the batch."""
    match = _ITEM_FIELD.match(exc.field or "")
    if not match or int(match.group(1)) >= len(lines):
        where = f"lines {lines[0]}–{lines[-1]}"
        message = f"{where}: {exc.message}"
        field = f"line {lines[0]}"
    else:
        line = lines[int(match.group(1))]
        rest = match.group(2).lstrip(".")
        detail = exc.message.split(": ", 1)[-1] if exc.message.startswith("items.") else exc.message
        message = f"line {line}: {rest + ': ' if rest else ''}{detail}"
        field = f"line {line}"
    message += (f" ({stored} items before this batch are stored; fix the line and run the "
                "upload again)" if stored else " (nothing was stored)")
    return type(exc)(message, field=field)


def _jsonl_items(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _line(n, f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
            if not isinstance(item, dict):
                raise _line(n, "expected a JSON object (an item)")
            yield n, item


def _csv_items(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        if "external_id" not in header:
            raise _line(1, "a CSV of items needs an external_id column")
        if len(set(header)) != len(header):
            raise _line(1, "a column name is repeated")
        end = reader.line_num
        for cells in reader:
            n, end = end + 1, reader.line_num  # a quoted cell may span lines: name the first
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise _line(n, f"{len(cells)} cells for {len(header)} columns")
            yield n, _csv_item(n, dict(zip(header, cells, strict=True)))


def _csv_item(n: int, row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"external_id": row["external_id"],
                            "data": {k: v for k, v in row.items()
                                     if k not in CSV_SPECIAL and v != ""}}
    if row.get("priority"):
        try:
            item["priority"] = int(row["priority"])
        except ValueError as exc:
            raise _line(n, f"priority: {row['priority']!r} is not a whole number") from exc
    for key in ("gold_answer", "meta"):
        if row.get(key):
            try:
                item[key] = json.loads(row[key])
            except json.JSONDecodeError as exc:
                raise _line(n, f"{key}: not valid JSON ({exc.msg})") from exc
    if row.get("gold_explanation"):
        item["gold_explanation"] = row["gold_explanation"]
    return item


def _line(n: int, message: str) -> InvalidInput:
    return InvalidInput(f"line {n}: {message}", field=f"line {n}")
