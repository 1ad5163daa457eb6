"""Exports: a project's records as rows in a training format, streamed page by page so a
project of any size leaves in constant memory."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import RecordView
from datafab.services import eval_guard, parquet
from datafab.services.perception import files_out
from datafab.services.projects import Project, load_project
from datafab.services.site_keys import Pseudonyms
from datafab.store import exports as queries
from datafab.store.handles import Connection

PAGE = 1000
ITEMS = "items"  # every format: the items as people and models see them


def export_rows(
    foundry: Foundry,
    organization: int,
    project_id: int,
    fmt: str = "records",
    *,
    min_confidence: float = 0.0,
    include_open: bool = False,
    metered: bool = True,
) -> Iterator[dict[str, Any]]:
    """Rows of ``fmt`` for the project's records (finished items only unless ``include_open``).

    Validates the request before the first row, so a bad format fails before streaming starts.
    A valid request is one export of the organization's metered usage (unless ``metered`` is
    false: a second pass over the same export).
    """
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
    if fmt == ITEMS:
        return _items(foundry, project)
    if fmt not in project.primitive.export_formats:
        known = ", ".join((*project.primitive.export_formats, ITEMS))
        raise InvalidInput(
            f"format: {project.primitive_name} projects export {known}, not {fmt!r}",
            field="format",
        )
    if not 0.0 <= min_confidence <= 1.0:
        raise InvalidInput("min_confidence: must be between 0 and 1", field="min_confidence")
    if metered:
        from datafab.services import billing

        billing.meter_export(foundry, organization, project.id)
    return _stream(foundry, project, fmt, min_confidence, include_open)


def _stream(
    foundry: Foundry, project: Project, fmt: str, min_confidence: float, include_open: bool
) -> Iterator[dict[str, Any]]:
    after = 0
    pseudonym = Pseudonyms(foundry)
    while True:
        with foundry.db.read() as conn:
            page = queries.records_page(conn, project.id, after, PAGE,
                                        min_confidence=min_confidence,
                                        include_open=include_open)
            if not page:
                return
            behind = _submissions(conn, [r.item_id for r in page])
            held = eval_guard.held_out_items(  # in the item, or written into the answer
                conn, project.organization_id,
                [(r.item_id, {"item": r.data, "answer": r.answer}) for r in page])
        for row in page:
            if row.item_id in held:  # an eval prompt: never training data
                continue
            view = _view(project, row, behind.get(row.item_id, []), pseudonym)
            yield from project.primitive.export_rows(fmt, project.settings, view)
        after = page[-1].id


def _items(foundry: Foundry, project: Project) -> Iterator[dict[str, Any]]:
    """Every item of the project exactly as a lease shows it to a contributor or a model
    (after redaction): the way to audit what leaves. Items still being ingested are left out."""
    after = 0
    while True:
        with foundry.db.read() as conn:
            page = queries.items_page(conn, project.id, after, PAGE)
        if not page:
            return
        for row in page:
            yield {"id": row.id, "external_id": row.external_id, "data": row.data}
        after = page[-1].id


def _submissions(conn: Connection, item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = queries.counted_answers(conn, item_ids)
    for r in rows:
        found[r.item_id].append(
            {
                "contributor": r.contributor_id,
                "answer": r.answer,
                "seconds_spent": r.seconds_spent,
                "guideline_version": r.guideline_version,
                "draft": r.draft,
            }
        )
    return found


def _view(
    project: Project, row, behind: list[dict[str, Any]], pseudonym: Pseudonyms
) -> RecordView:
    versions = [s["guideline_version"] for s in behind]
    anonymous = tuple(pseudonym(project.id, s["contributor"]) for s in behind)
    shown = tuple({**s, "contributor": a} for s, a in zip(behind, anonymous, strict=True))
    return RecordView(
        record_id=row.id,
        item_id=row.item_id,
        external_id=row.external_id,
        item=row.data,
        answer=row.answer,
        confidence=row.confidence,
        method=row.method,
        n_submissions=row.n_submissions,
        guideline_version=max(versions) if versions else project.guideline_version,
        contributors=anonymous,
        submissions=shown,
        details=row.details or {},
    )


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for row in rows:
        yield (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


FILE_KINDS = {".jsonl": "jsonl", ".parquet": "parquet", ".json": "json", ".zip": "zip"}


def file_kind(path: Path) -> str:
    """``jsonl`` or ``parquet``, by the file's suffix."""
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(
            f"output: {path.name} must end in .jsonl or .parquet (.json or .zip for coco, "
            "yolo and voc)", field="output"
        )
    return kind


def write_export(
    foundry: Foundry,
    organization: int,
    project_id: int,
    fmt: str,
    path: Path,
    *,
    min_confidence: float = 0.0,
    include_open: bool = False,
    on_row: Callable[[], None] | None = None,
) -> int:
    """Write an export to ``path`` (JSON Lines or Parquet by its suffix); the rows written."""
    kind = file_kind(path)

    def rows(metered: bool = False) -> Iterator[dict[str, Any]]:
        return export_rows(foundry, organization, project_id, fmt,
                           min_confidence=min_confidence, include_open=include_open,
                           metered=metered)

    first = rows(metered=True)  # validates the request before anything is written
    if kind in ("json", "zip"):
        return files_out.write_project_file(foundry, organization, project_id, fmt, path,
                                            first, on_row)
    if kind == "parquet":
        return parquet.write(path, first, rows, on_row=on_row)
    count = 0
    with path.open("wb") as out:
        for line in jsonl_lines(first):
            out.write(line)
            count += 1
            if on_row is not None:
                on_row()
    return count


@dataclass(frozen=True)
class Exported:
    """An export that has left, audited: the rows written to a file, or JSON Lines to
    stream."""

    rows: int | None = None
    lines: Iterator[bytes] | None = None


def audited_export(
    foundry: Foundry,
    organization: int,
    project_id: int,
    fmt: str = "records",
    *,
    actor: str,
    path: Path | None = None,
    min_confidence: float = 0.0,
    include_open: bool = False,
    on_row: Callable[[], None] | None = None,
    address: str | None = None,
) -> Exported:
    """An export as it leaves Datafab, whoever asks (API, CLI or dashboard): validated,
    metered, and written to the audit log (``project.exported``: who, the format, the file
    kind, the filters, and the rows when written to a file).

    With ``path`` the rows are written there (JSON Lines or Parquet by its suffix) and the
    entry follows the file; without it the entry is written once the request is valid, and
    ``lines`` streams the JSON Lines. The access log gets a row in the same transaction as
    the audit entry (who, from ``address``)."""
    from datafab.services import access_log, audit

    details: dict[str, Any] = {"format": fmt, "file": file_kind(path) if path else "jsonl",
                               "min_confidence": min_confidence,
                               "include_open": include_open}
    if path is not None:
        written = write_export(foundry, organization, project_id, fmt, path,
                               min_confidence=min_confidence, include_open=include_open,
                               on_row=on_row)
        details["rows"] = written
        out = Exported(rows=written)
    else:
        out = Exported(lines=jsonl_lines(export_rows(
            foundry, organization, project_id, fmt, min_confidence=min_confidence,
            include_open=include_open)))
    with foundry.db.write() as conn:
        now = foundry.now()
        audit.record(conn, now, organization=organization, actor=actor,
                     action="project.exported", target=f"project:{project_id}",
                     details=details)
        access_log.record_export(foundry, conn, project=project_id, actor=actor,
                                 address=address, now=now)
    return out
