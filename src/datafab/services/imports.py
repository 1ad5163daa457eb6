"""Importing a lab's existing data: HH-RLHF, PRM800K and Label Studio files become items, and
the answers they already carry become prior answers by the organization's import
contributor, so records (and exports) exist at once.

A file is read twice: the first pass validates every line against the project; the second
writes the lines that passed in batches, each batch idempotent, so re-running an interrupted
import completes it. A line that cannot be imported (not JSON, a pair with no shared prompt, a
label the project does not have …) is left out and reported with its line number and reason,
as Label Studio and Argilla report the records they could not take: a published file with a
few odd rows still imports. The first pass also asks the store which items it would refuse
(``items.refused_items``: its id exists with other content, an eval set holds its text, by
the rules ``items.upload_items`` applies), without writing; those lines are skipped the same
way.

``strict`` keeps the all-or-nothing rule: the first bad line, the store's refusals included,
refuses the file in the first pass, and nothing is written — no item, no prior answer, no
change to the project's settings. A file in which no line can be imported is refused either
way.

What the first pass cannot see is a change made while the file is written: another upload
storing one of its ids with other content, or an eval set taking one of its texts, between
the first pass and that line's batch. Such an item is refused when its batch is written; the
batch is then uploaded one item at a time and the refused line skipped — or, strict, the
import stops at that line with nothing of its batch written, and what was written before
stays: the earlier batches' items and their prior answers, and a COCO file's skeleton joined
to the project's settings (one transaction for the whole file would hold the database's
writer, on SQLite every writer, for as long as the import runs). Running
the import again once the line is fixed completes it (items already there are unchanged).

A COCO keypoints file's skeleton is joined to the project's once the file has passed the
first pass (see ``services.perception.skeletons``), before its items are written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from datafab import json_limits
from datafab.errors import DatafabError, InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import importers, object_imports
from datafab.services import items, perception, work
from datafab.services.accounts import Contributor
from datafab.services.perception import files_in, skeletons
from datafab.services.projects import Project, get_project
from datafab.services.secrets import CONTRIBUTOR_TOKEN_PREFIX, digest, new_secret, shown_prefix
from datafab.store import contributors
from datafab.store import items as items_sql

BATCH = 1000


def _label_studio(primitive: str) -> Callable:
    return lambda lines, **options: importers.label_studio(lines, primitive, **options)


# format → (primitives it imports into, importer factory given the project's primitive)
FORMATS: dict[str, tuple[tuple[str, ...], Callable[[str], Callable]]] = {
    "hh-rlhf": (("compare",), lambda _: importers.hh_rlhf),
    "prm800k": (("steps",), lambda _: importers.prm800k),
    "label-studio": (("classify", "spans"), _label_studio),
    **{fmt: (kinds, object_imports.object_rows) for fmt, kinds in perception.FORMATS.items()},
}


_ITEM_PREFIX = re.compile(r"^items\.\d+\.")

#: Skipped lines an import reports one by one; past this many it only counts them.
MAX_REPORTED_SKIPS = 1000


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int
    prior_answers: int
    skipped: tuple[importers.Skipped, ...] = ()
    skipped_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "unchanged": self.unchanged,
                "prior_answers": self.prior_answers,
                "skipped": [s.to_dict() for s in self.skipped],
                "skipped_total": self.skipped_total}


class _Skips:
    """The lines an import left out: the first ``MAX_REPORTED_SKIPS`` kept, all counted."""

    def __init__(self) -> None:
        self.kept: list[importers.Skipped] = []
        self.total = 0

    def __call__(self, skipped: importers.Skipped) -> None:
        self.total += 1
        if len(self.kept) < MAX_REPORTED_SKIPS:
            self.kept.append(skipped)


def import_file(
    foundry: Foundry,
    organization: int,
    project_id: int,
    fmt: str,
    open_lines: Callable[[], Iterable[Any]],
    *,
    on_batch: Callable[[int], None] | None = None,
    strict: bool = False,
) -> ImportResult:
    """Import a file; ``open_lines()`` yields its lines (or parsed objects) afresh each call.
    Lines that cannot be imported are skipped and reported (``strict``: refused, with
    nothing written)."""
    project = get_project(foundry, organization, project_id)
    parse = _importer(fmt, project)
    check = _project_check(project)
    skips = _Skips()
    categories: list[tuple[int, dict[str, Any]]] = []  # a COCO file's keypoints definitions
    options = ({"on_category": lambda n, c: categories.append((n, c))}
               if fmt in perception.FORMATS else {})
    on_skip = None if strict else skips
    good, refused = _checked_lines(
        foundry, organization, project,
        parse(_within_limits(open_lines(), on_skip), check=check, on_skip=on_skip, **options),
        on_skip)
    if not good and skips.kept:
        first = min(skips.kept, key=lambda s: s.line)
        raise InvalidInput(
            f"line {first.line}: {first.reason} (no line of the file could be imported; "
            f"{skips.total} skipped)", field=f"line {first.line}")
    # the file is known to import whole (strict) or without the lines reported: only now
    # anything is written, the project's skeleton first
    skeletons.adopt(foundry, organization, project, categories, on_skip)
    importer = _import_contributor(foundry, organization)
    created = unchanged = priors = 0
    # the same lines again, without those the store refuses
    rows = (row for row in parse(_within_limits(open_lines(), _ignore), check=check,
                                 on_skip=_ignore) if row.line not in refused)
    while batch := list(islice(rows, BATCH)):
        read = len(batch)
        try:
            result = items.upload_items(foundry, organization, project.id, _upload_rows(batch))
        except DatafabError as exc:
            # an item refused since the first pass (another upload stored its id with other
            # content, an eval set took its text): strict, the import stops at its line with
            # nothing of this batch written; else the batch is written one item at a time
            if strict:
                _refuse_first(foundry, organization, project, batch, exc)
            result, batch = _one_by_one(foundry, organization, project, batch, skips)
        created += result.created
        unchanged += result.unchanged
        priors += work.record_answers(foundry, importer, project,
                                      _item_ids(foundry, project, batch))
        if on_batch is not None:
            on_batch(read)
    skipped = tuple(sorted(skips.kept, key=lambda s: s.line))
    return ImportResult(created, unchanged, priors, skipped, skips.total)


def _checked_lines(
    foundry: Foundry, organization: int, project: Project,
    rows: Iterable[importers.Imported], on_skip: Callable[[importers.Skipped], None] | None,
) -> tuple[int, set[int]]:
    """The first pass: how many lines can be imported, and the lines (of those that parsed)
    the store refuses (``items.refused_items``: an id it holds with other content, a text an
    eval set holds), reported to ``on_skip`` — without it (a strict import), the first
    refuses the file, before anything is written."""
    good, refused = 0, set()
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        found = items.refused_items(foundry, organization, project.id, _upload_rows(batch))
        for refusal in found:
            line = batch[refusal.index].line
            if on_skip is None:
                raise _at_line(refusal.error, line)
            on_skip(importers.Skipped(line, _reason(refusal.error)))
            refused.add(line)
        good += len(batch) - len(found)
    return good, refused


def _refuse_first(foundry: Foundry, organization: int, project: Project,
                  batch: list[importers.Imported], exc: DatafabError) -> None:
    """A strict import's batch was refused: refuse the import naming the first line the
    store now refuses (or, if none, with the batch's own error)."""
    found = items.refused_items(foundry, organization, project.id, _upload_rows(batch))
    if not found:
        raise exc
    raise _at_line(found[0].error, batch[found[0].index].line) from exc


def _at_line(error: DatafabError, line: int) -> DatafabError:
    """An upload's refusal of an item (``items.<k>.…``) naming the file's line instead."""
    return type(error)(f"line {line}: {_reason(error)}", field=f"line {line}")


def _reason(error: DatafabError) -> str:
    """An upload's refusal of an item without the item's place (``items.<k>.``)."""
    return _ITEM_PREFIX.sub("", error.message, count=1)


def _upload_rows(batch: list[importers.Imported]) -> list[dict[str, Any]]:
    return [{"external_id": row.external_id, "data": row.data} for row in batch]


def _one_by_one(
    foundry: Foundry, organization: int, project: Project, batch: list[importers.Imported],
    skips: Callable[[importers.Skipped], None],
) -> tuple[items.UploadResult, list[importers.Imported]]:
    """The batch uploaded item by item; a refused item is reported to ``skips``."""
    created = unchanged = 0
    stored = []
    for row in batch:
        try:
            result = items.upload_items(foundry, organization, project.id, _upload_rows([row]))
        except DatafabError as exc:
            skips(importers.Skipped(row.line, _reason(exc)))
            continue
        created += result.created
        unchanged += result.unchanged
        stored.append(row)
    return items.UploadResult(created=created, unchanged=unchanged), stored


def _within_limits(
    lines: Iterable[Any], on_skip: Callable[[importers.Skipped], None] | None
) -> Iterator[Any]:
    """The lines as they come, each JSON line parsed only within ``json_limits``: a line nested
    too deep, with a lone surrogate, a NUL character, NaN or a number past 64 bits is reported
    to ``on_skip`` (and passed on blank, so the reader's line numbers hold) — or, without
    ``on_skip`` (a strict import), refuses the import naming its line."""
    for n, line in enumerate(lines, start=1):
        try:
            yield _limited(line, n)
        except InvalidInput as exc:
            if on_skip is None:
                raise
            reason = exc.message.removeprefix(f"line {n}: ").removeprefix(f"line {n}.")
            on_skip(importers.Skipped(n, reason))
            yield ""


def _limited(line: Any, n: int) -> Any:
    if isinstance(line, bytes | str) and line.strip():
        raw = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
        if json_limits.too_deep(raw):
            raise json_limits.depth_error(f"line {n}")
        try:
            line = json.loads(line)
        except ValueError:
            pass  # not JSON: the format's reader says so, with its line
    if not isinstance(line, bytes | str):
        json_limits.check(line, f"line {n}")
    return line


def _importer(fmt: str, project: Project) -> Callable:
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise InvalidInput(f"format: unknown import format {fmt!r} (known: {known})",
                           field="format")
    targets, factory = FORMATS[fmt]
    if project.primitive_name not in targets:
        raise InvalidInput(
            f"format: {fmt} imports into {' or '.join(targets)} projects, "
            f"not {project.primitive_name}", field="format")
    return factory(project.primitive_name)


def _project_check(project: Project) -> importers.Check:
    """Each imported item and prior answer, re-validated against this project's settings."""
    primitive, settings = project.primitive, project.settings

    def check(data: dict[str, Any], prior: dict[str, Any] | None):
        data = primitive.parse_item(settings, data, "data")
        if prior is not None:
            prior = primitive.parse_answer(settings, data, prior, "prior_answer")
        return data, prior

    return check


def _ignore(_: importers.Skipped) -> None:
    """The second pass skips the lines the first pass reported."""


def _item_ids(foundry: Foundry, project: Project,
              batch: list[importers.Imported]) -> dict[int, dict]:
    priors = {row.external_id: row.prior for row in batch if row.prior is not None}
    if not priors:
        return {}
    with foundry.db.read() as conn:
        found = items_sql.ids_by_external_id(conn, project.id, list(priors))
    return {item_id: priors[ext] for ext, item_id in found.items()}


def _import_contributor(foundry: Foundry, organization: int) -> Contributor:
    """The organization's import contributor: the author of every prior answer it imports."""
    name = f"import:{organization}"
    with foundry.db.write() as conn:
        cid = contributors.import_contributor(conn, name)
        if cid is None:
            token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)  # never shown: nobody logs in as it
            cid = contributors.insert_import_contributor(
                conn, name, shown_prefix(token), digest(token), foundry.now())
    return Contributor(cid, name, "import", [], "active")


def file_lines(path, fmt: str | None = None) -> Iterable[Any]:
    """A file's records: the objects of a JSON array (Label Studio's export), or its lines;
    a perception file's images (``fmt`` coco, yolo or voc)."""
    if fmt in perception.FORMATS:
        return files_in.file_records(fmt, Path(path))
    with open(path, "rb") as probe:
        head = probe.read(64).lstrip()
    if head.startswith(b"["):
        return text_lines(open(path, encoding="utf-8").read())
    return _stream_lines(path)


def _stream_lines(path) -> Iterable[str]:
    with open(path, encoding="utf-8") as lines:
        yield from lines


def text_lines(text: str) -> list[Any]:
    """The records in an uploaded text: a JSON array's objects, or its lines."""
    if text.lstrip().startswith("["):
        parsed = json_limits.loads(text, field="file")
        if not isinstance(parsed, list):
            raise InvalidInput("file: expected a JSON array or JSON lines", field="file")
        return parsed
    return text.splitlines()
