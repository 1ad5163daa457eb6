"""Scale tasks: each one Datafab item (its ``external_id`` is the task id) worked through
the ordinary lease/submit path; its status and ``response`` are read from the item and its
record. Only what Datafab has no place for is kept in ``scale_tasks``."""

from __future__ import annotations

import secrets
from typing import Any

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import items as items_service
from datafab.services import projects as projects_service
from datafab.services.compat.scale.mapping import Mapped, map_task, scale_response
from datafab.services.compat.scale.projects import batch_row, project_row
from datafab.services.compat.scale.shapes import (
    MAX_PAGE,
    TYPES,
    as_object,
    check_int,
    check_name,
    check_type,
    iso,
)
from datafab.services.pagination import decode_cursor, encode_cursor
from datafab.services.projects import Project
from datafab.services.webhooks import allowed, check_url, forget_audience
from datafab.store import scale as queries
from datafab.store.handles import Connection, IntegrityError, Row

TASK_FIELDS = {"project", "batch", "instruction", "callback_url", "unique_id", "metadata",
               "attachments", "attachment", "attachment_type", "categories", "labels",
               "allow_multiple", "prompt", "fields", "text", "choices", "tags"}
UNSUPPORTED_FILTERS = ("start_time", "end_time", "completed_before", "completed_after",
                       "updated_before", "updated_after", "tags", "customer_review_status")


def task_json(row: Row[Any], callback_state: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "task_id": row.task_id, "type": row.type, "status": row.state,
        "created_at": iso(row.created_at), "project": row.project_name,
        "batch": row.batch_name, "instruction": row.params.get("instruction", ""),
        "params": {k: v for k, v in row.params.items() if k != "instruction"},
        "callback_url": row.callback_url, "metadata": row.metadata,
        "unique_id": row.unique_id, "is_test": False,
        "datafab_item_id": row.item_id,
    }
    if row.state == "completed":
        out["completed_at"] = iso(row.completed_at)
        out["response"] = scale_response(row.type, row.params, row.item_data,
                                         row.record_answer)
        if callback_state is not None:
            out["callback_succeeded"] = callback_state
    if row.state == "canceled":
        out["canceled_at"] = iso(row.canceled_at)
    if row.audit:
        out["audits"] = [row.audit]
        out["customer_review_status"] = "accepted" if row.audit["accepted"] else "rejected"
    return out


def _callback_states(conn: Connection, rows: list[Row[Any]]) -> dict[int, bool]:
    """Per task with a callback: True once delivered, False once given up."""
    wanted = {f"item:{r.item_id}": r for r in rows if r.callback_url and r.state == "completed"}
    if not wanted:
        return {}
    found = queries.callback_deliveries(conn, list(wanted))
    states: dict[int, bool] = {}
    for subject, status in found:
        row = wanted[subject]
        if status == "delivered":
            states[row.id] = True
        elif status == "failed":
            states.setdefault(row.id, False)
    return states


def _render(conn: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    states = _callback_states(conn, rows)
    return [task_json(r, states.get(r.id)) for r in rows]


def _one_task(conn: Connection, organization: int, task_id: str) -> Row[Any]:
    row = queries.task_row(conn, organization, task_id)
    if row is None:
        raise NotFound(f"task {task_id!r} not found", field="task_id")
    return row


def get_task(foundry: Foundry, organization: int, task_id: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        return _render(conn, [_one_task(conn, organization, task_id)])[0]


def _duplicate(conn: Connection, organization: int, unique_id: str) -> Conflict | None:
    existing = queries.task_using(conn, organization, unique_id)
    if existing is None:
        return None
    return Conflict(f"unique_id: {unique_id!r} is already used by task {existing}",
                    field="unique_id")


def create_task(foundry: Foundry, organization: int, kind: str, raw: Any) -> dict[str, Any]:
    check_type(kind, "task type")
    body = as_object(raw)
    unknown = sorted(set(body) - TASK_FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a parameter of {kind} tasks here",
                           field=unknown[0])
    project_name = check_name(body.get("project"), "project")
    unique_id = body.get("unique_id")
    if unique_id is not None and (not isinstance(unique_id, str) or not unique_id
                                  or len(unique_id) > 200):
        raise InvalidInput("unique_id: expected a string of 1 to 200 characters",
                           field="unique_id")
    callback_url = body.get("callback_url") or None
    if callback_url is not None:
        callback_url = check_url(callback_url, "callback_url",
                                 allowlist=allowed(foundry))
    metadata = as_object(body.get("metadata"), "metadata")
    params = {k: v for k, v in body.items()
              if k not in ("project", "batch", "callback_url", "unique_id", "metadata")}
    with foundry.db.read() as conn:
        sp = project_row(conn, organization, project_name)
        if sp.type != kind:
            raise InvalidInput(f"project: {project_name!r} is a {sp.type} project, not {kind}",
                               field="project")
        batch = None
        if body.get("batch") is not None:
            batch = batch_row(conn, organization, check_name(body["batch"], "batch"))
            if batch.scale_project_id != sp.id:
                raise InvalidInput(f"batch: {batch.name!r} belongs to project "
                                   f"{batch.project_name!r}", field="batch")
        if unique_id is not None and (dup := _duplicate(conn, organization, unique_id)):
            raise dup
    mapped = map_task(kind, params, sp.param_history[-1]["params"])
    project = _datafab_project(foundry, organization, sp, mapped)
    task_id = secrets.token_hex(12)
    now = foundry.now()
    (row,) = items_service.item_rows(
        project, [{"external_id": task_id, "data": _clean(mapped.data)}], now)
    try:
        with foundry.db.write() as conn:
            queries.insert_task(conn, row, {
                "task_id": task_id, "organization_id": organization, "scale_project_id": sp.id,
                "batch_id": batch.id if batch is not None else None, "type": kind,
                "unique_id": unique_id, "callback_url": callback_url, "params": params,
                "metadata": metadata, "created_at": now})
    except IntegrityError as exc:  # a concurrent create with the same unique_id won
        with foundry.db.read() as conn:
            dup = _duplicate(conn, organization, unique_id) if unique_id else None
        raise (dup or Conflict("task: created concurrently; retry")) from exc
    if callback_url is not None:
        forget_audience(foundry, organization)  # the outbox now has a subscriber to ask
    return get_task(foundry, organization, task_id)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _datafab_project(foundry: Foundry, organization: int, sp: Row[Any],
                     mapped: Mapped) -> Project:
    """The Scale project's Datafab project, made now if this is its first task; a task whose
    labels differ from the project's is refused."""
    if sp.project_id is not None:
        project = projects_service.get_project(foundry, organization, sp.project_id)
        for key, value in mapped.settings.items():
            if project.settings_raw.get(key) != value:
                field = "categories" if sp.type == "categorization" and key == "labels" else key
                raise InvalidInput(
                    f"{field}: this project's tasks use {project.settings_raw.get(key)!r}, "
                    f"not {value!r}", field=field)
        return project
    instruction = sp.param_history[-1].get("instruction") or ""
    spec = {"name": f"scale: {sp.name}", "primitive": TYPES[sp.type],
            "guidelines": instruction, "settings": mapped.settings}
    try:
        project = projects_service.create_project(foundry, organization, spec)
    except Conflict:  # a concurrent first task made it
        with foundry.db.read() as conn:
            pid = queries.project_id_named(conn, organization, str(spec["name"]))
        project = projects_service.get_project(foundry, organization, pid)
    with foundry.db.write() as conn:
        queries.bind_project(conn, sp.id, project.id)
    return project


def cancel_task(foundry: Foundry, organization: int, task_id: str,
                clear_unique_id: bool = False) -> dict[str, Any]:
    """Take a pending task out of the pool; a completed one cannot be canceled."""
    now = foundry.now()
    with foundry.db.write() as conn:
        row = _one_task(conn, organization, task_id)
        if row.state == "completed":
            raise Conflict(f"task {task_id} is completed and cannot be canceled",
                           field="task_id")
        if row.state == "pending":
            queries.cancel_task(conn, row.id, row.item_id, now)
        if clear_unique_id:
            queries.update_task(conn, row.id, unique_id=None)
    return get_task(foundry, organization, task_id)


def audit_task(foundry: Foundry, organization: int, task_id: str, raw: Any) -> dict[str, Any]:
    body = as_object(raw)
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        raise InvalidInput("accepted: expected true or false", field="accepted")
    comments = body.get("comments")
    with foundry.db.write() as conn:
        row = _one_task(conn, organization, task_id)
        if row.state != "completed":
            raise InvalidInput(f"task {task_id} is not completed; only completed tasks are "
                               "audited", field="task_id")
        queries.update_task(conn, row.id, audit={
            "accepted": accepted, "comments": comments, "at": iso(foundry.now())})
    return get_task(foundry, organization, task_id)


def list_tasks(foundry: Foundry, organization: int, params: dict[str, Any]) -> dict[str, Any]:
    """``GET tasks``: filters project, batch, status, type, unique_id; pages of 1–100 by
    ``next_token``."""
    unsupported = [k for k in UNSUPPORTED_FILTERS if params.get(k)]
    if unsupported:
        raise InvalidInput(f"{unsupported[0]}: this filter is not supported here",
                           field=unsupported[0])
    limit = check_int(params.get("limit"), MAX_PAGE, "limit", 1, MAX_PAGE)
    after = decode_cursor(params.get("next_token") or None)
    unique = params.get("unique_id")
    status = params.get("status")
    if status and status not in ("pending", "completed", "canceled"):
        raise InvalidInput("status: one of pending, completed, canceled", field="status")
    with foundry.db.read() as conn:
        total, offset, rows = queries.task_page(
            conn, organization, project=params.get("project"), batch=params.get("batch"),
            kind=params.get("type"),
            unique_ids=(unique if isinstance(unique, list) else [unique]) if unique else None,
            status=status or None, after=after, limit=limit + 1)
        docs = _render(conn, rows[:limit])
    has_more = len(rows) > limit
    return {"docs": docs, "total": total, "limit": limit, "offset": offset,
            "has_more": has_more,
            "next_token": encode_cursor(rows[limit - 1].id) if has_more else None}
