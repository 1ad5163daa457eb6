"""Importing a lab's existing data: HH-RLHF, PRM800K and Label Studio files become items, and
the answers they already carry become prior answers by the organization's import
contributor, so records (and exports) exist at once.

A file is read twice: the first pass validates every line against the project (nothing is
written if any line is bad, and the error names the line); the second writes it in batches,
each batch idempotent, so re-running an interrupted import completes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import insert, select

from datafab import json_limits
from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import importers
from datafab.services import items, work
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, get_project
from datafab.services.secrets import CONTRIBUTOR_TOKEN_PREFIX, digest, new_secret, shown_prefix
from datafab.store.tables import contributors
from datafab.store.tables import items as items_table

BATCH = 1000


def _label_studio(primitive: str) -> Callable:
    return lambda lines: importers.label_studio(lines, primitive)


# format → (primitives it imports into, importer factory given the project's primitive)
FORMATS: dict[str, tuple[tuple[str, ...], Callable[[str], Callable]]] = {
    "hh-rlhf": (("compare",), lambda _: importers.hh_rlhf),
    "prm800k": (("steps",), lambda _: importers.prm800k),
    "label-studio": (("classify", "spans"), _label_studio),
}


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int
    prior_answers: int

    def to_dict(self) -> dict[str, int]:
        return {"created": self.created, "unchanged": self.unchanged,
                "prior_answers": self.prior_answers}


def import_file(
    foundry: Foundry,
    organization: int,
    project_id: int,
    fmt: str,
    open_lines: Callable[[], Iterable[Any]],
    *,
    on_batch: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a file; ``open_lines()`` yields its lines (or parsed objects) afresh each call."""
    project = get_project(foundry, organization, project_id)
    parse = _importer(fmt, project)
    for _ in _checked(project, parse(_within_limits(open_lines()))):
        pass  # the first pass only validates
    importer = _import_contributor(foundry, organization)
    created = unchanged = priors = 0
    rows = _checked(project, parse(_within_limits(open_lines())))
    while batch := list(islice(rows, BATCH)):
        result = items.upload_items(foundry, organization, project.id, [
            {"external_id": ext, "data": data} for ext, data, _ in batch])
        created += result.created
        unchanged += result.unchanged
        priors += work.record_answers(foundry, importer, project,
                                      _item_ids(foundry, project, batch))
        if on_batch is not None:
            on_batch(len(batch))
    return ImportResult(created, unchanged, priors)


def _within_limits(lines: Iterable[Any]) -> Iterator[Any]:
    """The lines as they come, each JSON line parsed only within ``json_limits``: nested too
    deep, a lone surrogate, a NUL character, NaN, a number past 64 bits is refused by line."""
    for n, line in enumerate(lines, start=1):
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
        yield line


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


def _checked(project: Project, rows: Iterable[tuple]) -> Iterable[tuple]:
    """Each imported item and prior answer, re-validated against this project's settings."""
    primitive, settings = project.primitive, project.settings
    for n, (ext, data, prior) in enumerate(rows, start=1):
        try:
            data = primitive.parse_item(settings, data, "data")
            if prior is not None:
                prior = primitive.parse_answer(settings, data, prior, "prior_answer")
        except InvalidInput as exc:
            raise InvalidInput(f"item {n} ({ext}): {exc.message}", field=f"item {n}") from exc
        yield ext, data, prior


def _item_ids(foundry: Foundry, project: Project, batch: list[tuple]) -> dict[int, dict]:
    priors = {ext: prior for ext, _, prior in batch if prior is not None}
    if not priors:
        return {}
    with foundry.db.read() as conn:
        found = conn.execute(
            select(items_table.c.external_id, items_table.c.id).where(
                items_table.c.project_id == project.id,
                items_table.c.external_id.in_(list(priors)),
            )
        ).all()
    return {item_id: priors[ext] for ext, item_id in found}


def _import_contributor(foundry: Foundry, organization: int) -> Contributor:
    """The organization's import contributor: the author of every prior answer it imports."""
    name = f"import:{organization}"
    with foundry.db.write() as conn:
        row = conn.execute(
            select(contributors.c.id).where(contributors.c.name == name,
                                            contributors.c.kind == "import")
        ).first()
        if row is None:
            token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)  # never shown: nobody logs in as it
            cid = conn.execute(
                insert(contributors).values(
                    name=name, kind="import", skills=[], status="active",
                    token_prefix=shown_prefix(token), token_hash=digest(token),
                    created_at=foundry.now(),
                ).returning(contributors.c.id)
            ).scalar_one()
        else:
            cid = row.id
    return Contributor(cid, name, "import", [], "active")


def file_lines(path) -> Iterable[Any]:
    """A file's records: the objects of a JSON array (Label Studio's export), or its lines."""
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
