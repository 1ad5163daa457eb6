"""A Scale-compatible task API (v1) over Datafab's own projects, items, records and webhooks.

A Scale *project* (name, type, parameter history) maps onto one Datafab project of the mapped
primitive, made at its first task (a categorization or NER project needs its labels, which
come from the project's params or the first task). A *task* is one Datafab item (its
``external_id`` is the task id) worked through the ordinary lease/submit path; its status and
``response`` are read from the item and its record. A *batch* is a name with a status.
Only what Datafab has no place for is kept in ``scale_projects``, ``scale_batches`` and
``scale_tasks``. A task's callback is a delivery of the ``record.finished`` event, added in
the submit transaction by ``task_callbacks``, which subscribes to that event when this module
is imported (``webhooks.subscribe``; ``datafab.integrations`` imports it).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from datafab.errors import Conflict, DatafabError, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import items as items_service
from datafab.services import projects as projects_service
from datafab.services.pagination import decode_cursor, encode_cursor
from datafab.services.projects import Project
from datafab.services.webhooks import allowed, check_url, forget_audience, subscribe
from datafab.store import scale as scale_store
from datafab.store.tables import (
    items,
    projects,
    records,
    scale_batches,
    scale_projects,
    scale_tasks,
    webhook_deliveries,
    webhook_events,
)

#: Scale task type -> Datafab primitive.
TYPES = {
    "categorization": "classify",
    "comparison": "compare",
    "textcollection": "write",
    "namedentityrecognition": "spans",
}
MAX_PAGE = 100


class NotEnabled(DatafabError):
    """A Scale task type this layer does not map (the client's ScaleNotEnabled)."""

    type = "not_enabled"
    status = 402


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _check_type(kind: Any, field: str = "type") -> str:
    if not isinstance(kind, str) or kind not in TYPES:
        raise NotEnabled(f"{field}: task type {kind!r} is not supported here; supported: "
                         f"{', '.join(TYPES)}", field=field)
    return kind


def _object(raw: Any, field: str = "body") -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"{field}: expected a JSON object", field=field)
    return raw


def _name(raw: Any, field: str) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
        raise InvalidInput(f"{field}: expected a name of 1 to 200 characters", field=field)
    return raw


# -- projects -----------------------------------------------------------------------------------

def _project_row(conn: Connection, organization: int, name: str):
    row = conn.execute(select(scale_projects).where(
        scale_projects.c.organization_id == organization,
        scale_projects.c.name == name)).first()
    if row is None:
        raise NotFound(f"project {name!r} not found", field="project")
    return row


def project_json(row) -> dict[str, Any]:
    return {
        "type": row.type, "name": row.name, "param_history": row.param_history,
        "created_at": iso(row.created_at), "datafab_project_id": row.project_id,
    }


def _history_entry(version: int, params: dict[str, Any], now: float) -> dict[str, Any]:
    return {"version": version, "created_at": iso(now),
            "instruction": params.get("instruction") or "", "params": params}


def create_project(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    body = _object(raw)
    kind = _check_type(body.get("type"))
    name = _name(body.get("name"), "name")
    params = _object(body.get("params"), "params")
    now = foundry.now()
    try:
        with foundry.db.write() as conn:
            conn.execute(insert(scale_projects).values(
                organization_id=organization, name=name, type=kind, project_id=None,
                param_history=[_history_entry(0, params, now)], created_at=now))
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {name!r} exists", field="name") from exc
    with foundry.db.read() as conn:
        return project_json(_project_row(conn, organization, name))


def list_projects(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        rows = conn.execute(select(scale_projects).where(
            scale_projects.c.organization_id == organization).order_by(
            scale_projects.c.id)).all()
    return [project_json(r) for r in rows]


def get_project(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        return project_json(_project_row(conn, organization, name))


def set_params(foundry: Foundry, organization: int, name: str, raw: Any) -> dict[str, Any]:
    """A new parameter version; a changed instruction becomes the Datafab project's next
    guideline version."""
    changes = _object(raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        row = _project_row(conn, organization, name)
        last = row.param_history[-1]
        params = {**last["params"], **changes}
        history = [*row.param_history, _history_entry(last["version"] + 1, params, now)]
        conn.execute(update(scale_projects).where(scale_projects.c.id == row.id).values(
            param_history=history))
    if row.project_id is not None and "instruction" in changes:
        projects_service.update_project(foundry, organization, row.project_id,
                                        {"guidelines": str(changes["instruction"] or "")})
    return get_project(foundry, organization, name)


# -- batches ------------------------------------------------------------------------------------

def _batch_row(conn: Connection, organization: int, name: str):
    row = conn.execute(
        select(scale_batches, scale_projects.c.name.label("project_name"))
        .join(scale_projects, scale_projects.c.id == scale_batches.c.scale_project_id)
        .where(scale_batches.c.organization_id == organization, scale_batches.c.name == name)
    ).first()
    if row is None:
        raise NotFound(f"batch {name!r} not found", field="batch")
    return row


def batch_json(row) -> dict[str, Any]:
    return {"name": row.name, "project": row.project_name, "status": row.status,
            "callback": row.callback or "", "metadata": row.metadata,
            "created_at": iso(row.created_at)}


def create_batch(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    body = _object(raw)
    name = _name(body.get("name"), "name")
    project_name = _name(body.get("project"), "project")
    callback = body.get("callback") or None
    if callback is not None:
        callback = check_url(callback, "callback", allowlist=allowed(foundry))
    metadata = _object(body.get("metadata"), "metadata")
    now = foundry.now()
    try:
        with foundry.db.write() as conn:
            project = _project_row(conn, organization, project_name)
            conn.execute(insert(scale_batches).values(
                organization_id=organization, scale_project_id=project.id, name=name,
                callback=callback, metadata=metadata, status="staging", created_at=now))
    except IntegrityError as exc:
        raise Conflict(f"name: a batch named {name!r} exists", field="name") from exc
    return get_batch(foundry, organization, name)


def get_batch(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        return batch_json(_batch_row(conn, organization, name))


def finalize_batch(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.write() as conn:
        row = _batch_row(conn, organization, name)
        if row.status == "staging":
            conn.execute(update(scale_batches).where(scale_batches.c.id == row.id).values(
                status="in_progress"))
    return get_batch(foundry, organization, name)


def _task_counts(conn: Connection, where) -> dict[str, int]:
    t = scale_tasks
    state = _state_expr()
    rows = conn.execute(select(state, func.count()).select_from(
        t.join(items, items.c.id == t.c.item_id)).where(where).group_by(state)).all()
    counts = {"pending": 0, "completed": 0, "error": 0, "canceled": 0}
    counts.update({status: n for status, n in rows})
    return counts


def batch_status(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = _batch_row(conn, organization, name)
        counts = _task_counts(conn, scale_tasks.c.batch_id == row.id)
    status = row.status
    if status != "staging" and counts["pending"] == 0:
        status = "completed"
    return {"status": status, **counts}


def list_batches(foundry: Foundry, organization: int, params: dict[str, Any]
                 ) -> dict[str, Any]:
    limit = _int(params.get("limit"), 100, "limit", 1, MAX_PAGE)
    offset = _int(params.get("offset"), 0, "offset", 0, 10**9)
    b = scale_batches
    query = (select(b, scale_projects.c.name.label("project_name"))
             .join(scale_projects, scale_projects.c.id == b.c.scale_project_id)
             .where(b.c.organization_id == organization))
    if params.get("project"):
        query = query.where(scale_projects.c.name == params["project"])
    if params.get("status"):
        query = query.where(b.c.status == params["status"])
    with foundry.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(b.c.id).limit(limit).offset(offset)).all()
    return {"docs": [batch_json(r) for r in rows], "totalDocs": total, "limit": limit,
            "offset": offset, "has_more": offset + len(rows) < total}


def _int(raw: Any, default: int, field: str, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field}: expected an integer", field=field) from exc
    if not low <= value <= high:
        raise InvalidInput(f"{field}: must be between {low} and {high}", field=field)
    return value


# -- task types: Scale params <-> Datafab item, settings and record -----------------------------

def _text_of(attachment: Any, field: str) -> str:
    """An attachment's text: a string, ``{"type": "text", "content": …}`` or a one-element
    list of those."""
    if isinstance(attachment, list) and len(attachment) == 1:
        attachment = attachment[0]
    if isinstance(attachment, str) and attachment:
        return attachment
    if isinstance(attachment, dict) and isinstance(attachment.get("content"), str) \
            and attachment.get("type", "text") == "text" and attachment["content"]:
        return attachment["content"]
    raise InvalidInput(f"{field}: expected text, or an attachment {{type: 'text', content}}",
                       field=field)


def _labels(raw: Any, field: str) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{field}: expected a non-empty list of labels", field=field)
    out = []
    for i, entry in enumerate(raw):
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"{field}.{i}: expected a label name", field=f"{field}.{i}")
        out.append(name)
    return out


@dataclass(frozen=True)
class Mapped:
    data: dict[str, Any]
    settings: dict[str, Any]  # what the Datafab project needs to be (or be created with)


def map_task(kind: str, params: dict[str, Any], defaults: dict[str, Any]) -> Mapped:
    """Scale task params (project params as defaults) -> the Datafab item and settings."""
    p = {**defaults, **params}
    instruction = p.get("instruction")
    meta = {"instruction": instruction} if instruction else None
    if kind == "categorization":
        labels = _labels(p.get("categories", p.get("labels")), "categories")
        if len(labels) < 2:
            raise InvalidInput("categories: at least two categories", field="categories")
        attachment = p.get("attachment")
        if not isinstance(attachment, str) or not attachment:
            raise InvalidInput("attachment: expected the text or image URL to categorize",
                               field="attachment")
        key = "image_url" if p.get("attachment_type", "text") == "image" else "text"
        return Mapped({key: attachment, "meta": meta},
                      {"labels": labels, "multi_label": bool(p.get("allow_multiple"))})
    if kind == "comparison":
        attachments = p.get("attachments")
        if not isinstance(attachments, list) or len(attachments) != 2:
            raise InvalidInput("attachments: expected the two responses to compare",
                               field="attachments")
        prompt = p.get("prompt") or instruction
        if not isinstance(prompt, str) or not prompt:
            raise InvalidInput("prompt: the question both responses answer (or instruction)",
                               field="prompt")
        a, b = (_text_of(x, f"attachments.{i}") for i, x in enumerate(attachments))
        return Mapped({"prompt": prompt, "a": {"content": a}, "b": {"content": b},
                       "meta": meta}, {})
    if kind == "textcollection":
        attachments = p.get("attachments") or []
        if not isinstance(attachments, list):
            raise InvalidInput("attachments: expected a list", field="attachments")
        texts = [_text_of(x, f"attachments.{i}") for i, x in enumerate(attachments)]
        prompt = "\n\n".join(texts) or instruction
        if not prompt:
            raise InvalidInput("attachments: text to respond to (or an instruction)",
                               field="attachments")
        return Mapped({"prompt": prompt, "meta": meta}, {})
    # namedentityrecognition
    text = p.get("text")
    if not isinstance(text, str) or not text:
        raise InvalidInput("text: expected the text to annotate", field="text")
    return Mapped({"text": text, "meta": meta}, {"labels": _labels(p.get("labels"), "labels")})


def _response_key(params: dict[str, Any]) -> str:
    fields = params.get("fields")
    if isinstance(fields, list) and fields and isinstance(fields[0], dict):
        return str(fields[0].get("field_id") or "text")
    return "text"


def scale_response(kind: str, params: dict[str, Any], data: dict[str, Any] | None,
                   answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Datafab record's answer in the shape a Scale task's ``response`` has."""
    if answer is None:
        return None
    if kind == "categorization":
        return {"category": answer["labels"] if "labels" in answer else answer.get("label")}
    if kind == "comparison":
        return {"choice": answer.get("choice"), "strength": answer.get("strength"),
                "rationales": answer.get("rationales", []),
                "criteria": answer.get("criteria", {})}
    if kind == "textcollection":
        out = {_response_key(params): answer.get("final")}
        if answer.get("critique"):
            out["critique"] = answer["critique"]
        return out
    text = (data or {}).get("text", "")
    return {"annotations": [{**s, "text": text[s["start"]:s["end"]]}
                            for s in answer.get("spans", [])]}


# -- tasks --------------------------------------------------------------------------------------

TASK_FIELDS = {"project", "batch", "instruction", "callback_url", "unique_id", "metadata",
               "attachments", "attachment", "attachment_type", "categories", "labels",
               "allow_multiple", "prompt", "fields", "text", "choices", "tags"}


def _state_expr():
    return case(
        (scale_tasks.c.canceled_at.is_not(None), "canceled"),
        (items.c.status == "done", "completed"),
        else_="pending",
    ).label("state")


def _task_query():
    t, sp, sb = scale_tasks, scale_projects, scale_batches
    return (
        select(t, _state_expr(), items.c.data.label("item_data"),
               records.c.answer.label("record_answer"),
               records.c.updated_at.label("completed_at"),
               sp.c.name.label("project_name"), sb.c.name.label("batch_name"))
        .join(items, items.c.id == t.c.item_id)
        .join(sp, sp.c.id == t.c.scale_project_id)
        .outerjoin(sb, sb.c.id == t.c.batch_id)
        .outerjoin(records, records.c.item_id == t.c.item_id)
    )


def task_json(row, callback_state: bool | None = None) -> dict[str, Any]:
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


def _callback_states(conn: Connection, rows) -> dict[int, bool]:
    """Per task with a callback: True once delivered, False once given up."""
    wanted = {f"item:{r.item_id}": r for r in rows if r.callback_url and r.state == "completed"}
    if not wanted:
        return {}
    d = webhook_deliveries
    found = conn.execute(select(d.c.subject, d.c.status).join(
        webhook_events, webhook_events.c.id == d.c.event_id).where(
        d.c.subject.in_(list(wanted)), d.c.body.is_not(None),
        webhook_events.c.type == "record.finished")).all()
    states: dict[int, bool] = {}
    for subject, status in found:
        row = wanted[subject]
        if status == "delivered":
            states[row.id] = True
        elif status == "failed":
            states.setdefault(row.id, False)
    return states


def _render(conn: Connection, rows) -> list[dict[str, Any]]:
    states = _callback_states(conn, rows)
    return [task_json(r, states.get(r.id)) for r in rows]


def _one_task(conn: Connection, organization: int, task_id: str):
    row = conn.execute(_task_query().where(scale_tasks.c.organization_id == organization,
                                           scale_tasks.c.task_id == task_id)).first()
    if row is None:
        raise NotFound(f"task {task_id!r} not found", field="task_id")
    return row


def get_task(foundry: Foundry, organization: int, task_id: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        return _render(conn, [_one_task(conn, organization, task_id)])[0]


def _duplicate(conn: Connection, organization: int, unique_id: str) -> Conflict | None:
    existing = conn.execute(select(scale_tasks.c.task_id).where(
        scale_tasks.c.organization_id == organization,
        scale_tasks.c.unique_id == unique_id)).scalar()
    if existing is None:
        return None
    return Conflict(f"unique_id: {unique_id!r} is already used by task {existing}",
                    field="unique_id")


def create_task(foundry: Foundry, organization: int, kind: str, raw: Any) -> dict[str, Any]:
    _check_type(kind, "task type")
    body = _object(raw)
    unknown = sorted(set(body) - TASK_FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a parameter of {kind} tasks here",
                           field=unknown[0])
    project_name = _name(body.get("project"), "project")
    unique_id = body.get("unique_id")
    if unique_id is not None and (not isinstance(unique_id, str) or not unique_id
                                  or len(unique_id) > 200):
        raise InvalidInput("unique_id: expected a string of 1 to 200 characters",
                           field="unique_id")
    callback_url = body.get("callback_url") or None
    if callback_url is not None:
        callback_url = check_url(callback_url, "callback_url",
                                 allowlist=allowed(foundry))
    metadata = _object(body.get("metadata"), "metadata")
    params = {k: v for k, v in body.items()
              if k not in ("project", "batch", "callback_url", "unique_id", "metadata")}
    with foundry.db.read() as conn:
        sp = _project_row(conn, organization, project_name)
        if sp.type != kind:
            raise InvalidInput(f"project: {project_name!r} is a {sp.type} project, not {kind}",
                               field="project")
        batch = None
        if body.get("batch") is not None:
            batch = _batch_row(conn, organization, _name(body["batch"], "batch"))
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
            item_id = conn.execute(insert(items).values(**row).returning(items.c.id)
                                   ).scalar_one()
            conn.execute(insert(scale_tasks).values(
                task_id=task_id, organization_id=organization, scale_project_id=sp.id,
                batch_id=batch.id if batch is not None else None, item_id=item_id, type=kind,
                unique_id=unique_id, callback_url=callback_url, params=params,
                metadata=metadata, created_at=now))
    except IntegrityError as exc:  # a concurrent create with the same unique_id won
        with foundry.db.read() as conn:
            dup = _duplicate(conn, organization, unique_id) if unique_id else None
        raise (dup or Conflict("task: created concurrently; retry")) from exc
    if callback_url is not None:
        forget_audience(foundry, organization)  # the outbox now has a subscriber to ask
    return get_task(foundry, organization, task_id)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _datafab_project(foundry: Foundry, organization: int, sp, mapped: Mapped) -> Project:
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
            pid = conn.execute(select(projects.c.id).where(
                projects.c.organization_id == organization,
                projects.c.name == spec["name"])).scalar_one()
        project = projects_service.get_project(foundry, organization, pid)
    with foundry.db.write() as conn:
        conn.execute(update(scale_projects).where(scale_projects.c.id == sp.id,
                                                  scale_projects.c.project_id.is_(None))
                     .values(project_id=project.id))
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
            conn.execute(update(items).where(items.c.id == row.item_id,
                                             items.c.status.in_(("open", "model")))
                         .values(status="canceled", slots=0))
            conn.execute(update(scale_tasks).where(scale_tasks.c.id == row.id).values(
                canceled_at=now))
        if clear_unique_id:
            conn.execute(update(scale_tasks).where(scale_tasks.c.id == row.id).values(
                unique_id=None))
    return get_task(foundry, organization, task_id)


def audit_task(foundry: Foundry, organization: int, task_id: str, raw: Any) -> dict[str, Any]:
    body = _object(raw)
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        raise InvalidInput("accepted: expected true or false", field="accepted")
    comments = body.get("comments")
    with foundry.db.write() as conn:
        row = _one_task(conn, organization, task_id)
        if row.state != "completed":
            raise InvalidInput(f"task {task_id} is not completed; only completed tasks are "
                               "audited", field="task_id")
        conn.execute(update(scale_tasks).where(scale_tasks.c.id == row.id).values(
            audit={"accepted": accepted, "comments": comments, "at": iso(foundry.now())}))
    return get_task(foundry, organization, task_id)


def list_tasks(foundry: Foundry, organization: int, params: dict[str, Any]) -> dict[str, Any]:
    """``GET tasks``: filters project, batch, status, type, unique_id; pages of 1–100 by
    ``next_token``."""
    unsupported = [k for k in ("start_time", "end_time", "completed_before", "completed_after",
                               "updated_before", "updated_after", "tags",
                               "customer_review_status") if params.get(k)]
    if unsupported:
        raise InvalidInput(f"{unsupported[0]}: this filter is not supported here",
                           field=unsupported[0])
    limit = _int(params.get("limit"), MAX_PAGE, "limit", 1, MAX_PAGE)
    after = decode_cursor(params.get("next_token") or None)
    t = scale_tasks
    where = [t.c.organization_id == organization]
    if params.get("project"):
        where.append(scale_projects.c.name == params["project"])
    if params.get("batch"):
        where.append(scale_batches.c.name == params["batch"])
    if params.get("type"):
        where.append(t.c.type == params["type"])
    unique = params.get("unique_id")
    if unique:
        where.append(t.c.unique_id.in_(unique if isinstance(unique, list) else [unique]))
    status = params.get("status")
    if status:
        if status not in ("pending", "completed", "canceled"):
            raise InvalidInput("status: one of pending, completed, canceled", field="status")
        state = _state_expr()
        where.append(state == status)
    base = _task_query().where(and_(*where))
    with foundry.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        offset = conn.execute(select(func.count()).select_from(
            base.where(t.c.id <= after).subquery())).scalar_one() if after else 0
        rows = conn.execute(base.where(t.c.id > after).order_by(t.c.id).limit(limit + 1)
                            ).all()
        docs = _render(conn, rows[:limit])
    has_more = len(rows) > limit
    return {"docs": docs, "total": total, "limit": limit, "offset": offset,
            "has_more": has_more,
            "next_token": encode_cursor(rows[limit - 1].id) if has_more else None}


# -- callbacks ----------------------------------------------------------------------------------

def task_callbacks(conn: Connection, organization: int, kind: str, subject: str,
                   data: dict[str, Any], now: float) -> list[tuple[str, str]]:
    """Inside the transaction that finished an item: the task's callback, if it has one —
    ``{"task": …, "response": …, "task_id": …}`` POSTed to its ``callback_url``."""
    if not subject.startswith("item:"):
        return []
    row = conn.execute(_task_query().where(
        scale_tasks.c.item_id == int(subject[5:]),
        scale_tasks.c.organization_id == organization,
        scale_tasks.c.callback_url.is_not(None))).first()
    if row is None or row.callback_url is None or row.canceled_at is not None:
        return []
    task = task_json(row)
    task["status"], task["completed_at"] = "completed", iso(now)
    task["response"] = scale_response(row.type, row.params, row.item_data,
                                      data["record"]["answer"])
    body = {"task": task, "response": task["response"], "task_id": row.task_id}
    return [(row.callback_url, json.dumps(body, separators=(",", ":"), sort_keys=True))]


def has_callbacks(conn: Connection, organization: int) -> bool:
    """Whether the organization has any Scale task with a callback (else ``task_callbacks``
    has nothing for it, and the outbox never asks)."""
    return scale_store.has_callbacks(conn, organization)


subscribe("record.finished", task_callbacks, present=has_callbacks)
