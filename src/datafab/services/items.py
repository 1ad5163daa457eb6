"""Uploading items: validated whole before anything is written, idempotent on ``external_id``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datafab import json_limits
from datafab.errors import (
    Conflict,
    DatafabError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    from_pydantic,
)
from datafab.foundry import Foundry
from datafab.services import eval_guard
from datafab.services.hybrid import initial_status
from datafab.services.media import sizes as media_sizes
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.projects import Project, load_project
from datafab.store import items as queries
from datafab.store.handles import Connection, IntegrityError, Row

MAX_FREE_FORM_BYTES = json_limits.MAX_FREE_FORM_BYTES


class ItemIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    external_id: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]
    priority: int = Field(0, ge=-1_000_000, le=1_000_000)
    gold_answer: dict[str, Any] | None = Field(
        None, description="The known answer: the item becomes gold, mixed into leases unannounced."
    )
    gold_explanation: str | None = Field(
        None, max_length=10_000, description="Shown to a contributor after they answer the gold."
    )
    meta: json_limits.FreeForm = Field(
        None, description=f"Anything to keep with the item, up to {MAX_FREE_FORM_BYTES:,} bytes "
        "as JSON.")


@dataclass(frozen=True)
class UploadResult:
    created: int
    unchanged: int

    def to_dict(self) -> dict[str, int]:
        return {"created": self.created, "unchanged": self.unchanged}


@dataclass(frozen=True)
class _Row:
    index: int
    values: dict[str, Any]


def upload_items(
    foundry: Foundry, organization: int, project_id: int, raw_items: Any
) -> UploadResult:
    """Add items to a project. Re-sending an item changes nothing; changing its content under
    the same ``external_id`` is refused. Nothing is written unless every item is valid."""
    project, rows = _prepared(foundry, organization, project_id, raw_items)
    try:
        with foundry.db.write() as conn:
            refused, fresh = _checked(conn, project, rows)
            if refused:
                raise refused[0].error
            if fresh:
                queries.insert_items(conn, fresh)
    except IntegrityError as exc:
        raise Conflict("items: another upload of the same items is in progress; retry") from exc
    return UploadResult(created=len(fresh), unchanged=len(rows) - len(fresh))


@dataclass(frozen=True)
class Refusal:
    """An item of an upload that cannot be stored: its place in the upload and the error
    naming it (``items.<index>…``)."""

    index: int
    error: DatafabError


def refused_items(foundry: Foundry, organization: int, project_id: int,
                  raw_items: list[Any]) -> list[Refusal]:
    """The items of an upload that ``upload_items`` would refuse, by the same rules (each
    validated; its text an eval set's; its ``external_id`` stored with other content),
    found without writing anything, in the upload's order."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
    try:
        rows = _validate(project, media_sizes.with_sizes(foundry, project, raw_items),
                         foundry.now())
        invalid: list[Refusal] = []
    except DatafabError:  # which ones: each item alone
        rows, invalid = _each_validated(foundry, project, raw_items)
    with foundry.db.read() as conn:
        refused, _ = _checked(conn, project, rows)
    return sorted(invalid + refused, key=lambda r: r.index)


def _prepared(foundry: Foundry, organization: int, project_id: int,
              raw_items: Any) -> tuple[Project, list[_Row]]:
    """The project and the upload's items, validated whole (the first invalid one refuses
    the upload)."""
    limit = foundry.settings.max_items_per_upload
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidInput("items: expected a non-empty list of items", field="items")
    if len(raw_items) > limit:
        raise PayloadTooLarge(
            f"items: {len(raw_items)} items in one request; the limit is {limit}", field="items"
        )
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
    return project, _validate(project, media_sizes.with_sizes(foundry, project, raw_items),
                              foundry.now())


def _each_validated(foundry: Foundry, project: Project,
                    raw_items: list[Any]) -> tuple[list[_Row], list[Refusal]]:
    rows: list[_Row] = []
    invalid: list[Refusal] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        try:
            [row] = _validate(project, media_sizes.with_sizes(foundry, project, [raw]),
                              foundry.now())
        except DatafabError as exc:
            field = _renumbered(exc.field, index)
            message = _renumbered(exc.message, index) or exc.message
            invalid.append(Refusal(index, type(exc)(message, field=field)))
            continue
        if row.values["external_id"] not in seen:
            seen.add(row.values["external_id"])
            rows.append(_Row(index, row.values))
    return rows, invalid


def _renumbered(text: str | None, index: int) -> str | None:
    """An error of a one-item upload (``items.0…``) naming the item's place in the whole."""
    if text is None or not text.startswith("items.0"):
        return text
    return f"items.{index}" + text.removeprefix("items.0")


def _checked(conn: Connection, project: Project,
             rows: list[_Row]) -> tuple[list[Refusal], list[dict[str, Any]]]:
    """The store's verdict on valid items: those it refuses (an eval set holds their text;
    their ``external_id`` exists with other content), first refusal first as
    ``upload_items`` names it, and the values of those it does not hold yet."""
    held = eval_guard.held_out_refusals(conn, project.organization_id, project.id,
                                        [(r.index, r.values["data"]) for r in rows])
    refused = [Refusal(index, error) for index, error in held]
    held_ones = {index for index, _ in held}
    stored = queries.stored_hashes(conn, project.id, [r.values["external_id"] for r in rows])
    fresh = []
    for row in rows:
        ext = row.values["external_id"]
        if ext not in stored:
            fresh.append(row.values)
        elif stored[ext] != row.values["content_hash"] and row.index not in held_ones:
            field = f"items.{row.index}.external_id"
            refused.append(Refusal(row.index, Conflict(
                f"{field}: item {ext!r} exists with different content", field=field)))
    return refused, fresh


def _validate(project: Project, raw_items: list, now: float) -> list[_Row]:
    primitive, settings = project.primitive, project.settings
    seen: dict[str, tuple[int, str]] = {}
    rows: list[_Row] = []
    for index, raw in enumerate(raw_items):
        prefix = f"items.{index}"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{prefix}: expected a JSON object", field=prefix)
        json_limits.check(raw, prefix)  # what the hash and both stores can keep
        try:
            item = ItemIn.model_validate(raw)
        except ValidationError as exc:
            raise from_pydantic(exc, prefix) from exc
        data = primitive.parse_item(settings, item.data, f"{prefix}.data")
        _free_form(data.get("meta"), f"{prefix}.data.meta")
        gold = None
        if item.gold_answer is not None:
            gold = primitive.parse_answer(settings, data, item.gold_answer, f"{prefix}.gold_answer")
        meta = item.meta
        if item.gold_explanation is not None:
            meta = {**(meta or {}), "gold_explanation": item.gold_explanation}
        content_hash = _hash({"data": data, "gold_answer": gold, "meta": meta})
        if item.external_id in seen:
            first, first_hash = seen[item.external_id]
            if first_hash != content_hash:
                raise InvalidInput(
                    f"{prefix}.external_id: {item.external_id!r} also at items.{first} "
                    "with different content",
                    field=f"{prefix}.external_id",
                )
            continue
        seen[item.external_id] = (index, content_hash)
        rows.append(
            _Row(
                index,
                dict(
                    project_id=project.id,
                    external_id=item.external_id,
                    data=data,
                    content_hash=content_hash,
                    priority=item.priority,
                    status="gold" if gold is not None else initial_status(project),
                    slots=0 if gold is not None else project.policy.wanted(0),
                    n_labels=0,
                    n_live=0,
                    gold_answer=gold,
                    meta=meta,
                    created_at=now,
                ),
            )
        )
    return rows


def _free_form(value: Any, field: str) -> None:
    try:
        json_limits.free_form(value)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {exc}", field=field) from exc


def _hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def plain_hash(content: dict[str, Any]) -> str:
    """:func:`_hash` through orjson, four times cheaper, for content of strings, integers,
    booleans, ``None``, lists and dicts only: orjson writes those, every character included,
    as ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` does
    (``tests/ingest/test_storing.py`` holds it), but some floats differently (``1e-7`` for
    ``1e-07``), so content that may hold a float goes through :func:`_hash`. An integer
    beyond 64 bits, which orjson refuses, goes through :func:`_hash` too."""
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _hash(content)
    return hashlib.sha256(canonical).hexdigest()


def list_items(
    foundry: Foundry,
    organization: int,
    project_id: int,
    *,
    cursor: str | None = None,
    limit: int = 100,
    status: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    after, limit = decode_cursor(cursor), check_limit(limit)
    if status not in (None, "open", "done", "gold", "model"):
        raise InvalidInput("status: must be 'open', 'done', 'gold' or 'model'", field="status")
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = queries.page(conn, project.id, after, limit + 1, status)
    page = [item_dict(r) for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def get_item(foundry: Foundry, organization: int, item_id: int) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = queries.load(conn, item_id)
        try:
            if row is None:
                raise NotFound("no such item")
            load_project(conn, organization, row.project_id)
        except NotFound as exc:  # another organization's item is not found either
            raise NotFound(f"item {item_id} not found", field="item_id") from exc
    return item_dict(row)


def item_dict(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "project_id": row.project_id,
        "external_id": row.external_id,
        "data": row.data,
        "priority": row.priority,
        "status": row.status,
        "n_labels": row.n_labels,
        "gold": row.gold_answer is not None,
        "meta": row.meta,
        "created_at": row.created_at,
    }


def item_rows(project: Project, raw_items: list, now: float) -> list[dict[str, Any]]:
    """Validated rows ready to insert, for a service that stores items inside a transaction of
    its own (with other rows that must land together)."""
    return [row.values for row in _validate(project, raw_items, now)]
