"""Scale projects (name, type, parameter history) and batches (a name with a status). A
Scale project maps onto one Datafab project of the mapped primitive, made at its first task
(``tasks``)."""

from __future__ import annotations

from typing import Any

from datafab.errors import Conflict, NotFound
from datafab.foundry import Foundry
from datafab.services import project_changes
from datafab.services.compat.scale.shapes import (
    MAX_PAGE,
    as_object,
    check_int,
    check_name,
    check_type,
    iso,
)
from datafab.services.webhooks import allowed, check_url
from datafab.store import scale as queries
from datafab.store.handles import Connection, IntegrityError, Row

# -- projects ----------------------------------------------------------------------------


def project_row(conn: Connection, organization: int, name: str) -> Row[Any]:
    row = queries.project_row(conn, organization, name)
    if row is None:
        raise NotFound(f"project {name!r} not found", field="project")
    return row


def project_json(row: Row[Any]) -> dict[str, Any]:
    return {
        "type": row.type, "name": row.name, "param_history": row.param_history,
        "created_at": iso(row.created_at), "datafab_project_id": row.project_id,
    }


def _history_entry(version: int, params: dict[str, Any], now: float) -> dict[str, Any]:
    return {"version": version, "created_at": iso(now),
            "instruction": params.get("instruction") or "", "params": params}


def create_project(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    body = as_object(raw)
    kind = check_type(body.get("type"))
    name = check_name(body.get("name"), "name")
    params = as_object(body.get("params"), "params")
    now = foundry.now()
    try:
        with foundry.db.write() as conn:
            queries.insert_project(conn, organization=organization, name=name, kind=kind,
                                   history=[_history_entry(0, params, now)], now=now)
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {name!r} exists", field="name") from exc
    with foundry.db.read() as conn:
        return project_json(project_row(conn, organization, name))


def list_projects(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    with foundry.db.read() as conn:
        rows = queries.projects_of(conn, organization)
    return [project_json(r) for r in rows]


def get_project(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        return project_json(project_row(conn, organization, name))


def set_params(foundry: Foundry, organization: int, name: str, raw: Any) -> dict[str, Any]:
    """A new parameter version; a changed instruction becomes the Datafab project's next
    guideline version."""
    changes = as_object(raw)
    now = foundry.now()
    with foundry.db.write() as conn:
        row = project_row(conn, organization, name)
        last = row.param_history[-1]
        params = {**last["params"], **changes}
        history = [*row.param_history, _history_entry(last["version"] + 1, params, now)]
        queries.set_param_history(conn, row.id, history)
    if row.project_id is not None and "instruction" in changes:
        project_changes.update_project(foundry, organization, row.project_id,
                                      {"guidelines": str(changes["instruction"] or "")})
    return get_project(foundry, organization, name)


# -- batches -----------------------------------------------------------------------------

def batch_row(conn: Connection, organization: int, name: str) -> Row[Any]:
    row = queries.batch_row(conn, organization, name)
    if row is None:
        raise NotFound(f"batch {name!r} not found", field="batch")
    return row


def batch_json(row: Row[Any]) -> dict[str, Any]:
    return {"name": row.name, "project": row.project_name, "status": row.status,
            "callback": row.callback or "", "metadata": row.metadata,
            "created_at": iso(row.created_at)}


def create_batch(foundry: Foundry, organization: int, raw: Any) -> dict[str, Any]:
    body = as_object(raw)
    name = check_name(body.get("name"), "name")
    project_name = check_name(body.get("project"), "project")
    callback = body.get("callback") or None
    if callback is not None:
        callback = check_url(callback, "callback", allowlist=allowed(foundry))
    metadata = as_object(body.get("metadata"), "metadata")
    now = foundry.now()
    try:
        with foundry.db.write() as conn:
            project = project_row(conn, organization, project_name)
            queries.insert_batch(conn, organization=organization, scale_project_id=project.id,
                                 name=name, callback=callback, metadata=metadata, now=now)
    except IntegrityError as exc:
        raise Conflict(f"name: a batch named {name!r} exists", field="name") from exc
    return get_batch(foundry, organization, name)


def get_batch(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        return batch_json(batch_row(conn, organization, name))


def finalize_batch(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.write() as conn:
        row = batch_row(conn, organization, name)
        if row.status == "staging":
            queries.set_batch_status(conn, row.id, "in_progress")
    return get_batch(foundry, organization, name)


def batch_status(foundry: Foundry, organization: int, name: str) -> dict[str, Any]:
    with foundry.db.read() as conn:
        row = batch_row(conn, organization, name)
        counts = {"pending": 0, "completed": 0, "error": 0, "canceled": 0}
        counts.update(dict(queries.task_counts(conn, row.id)))
    status = row.status
    if status != "staging" and counts["pending"] == 0:
        status = "completed"
    return {"status": status, **counts}


def list_batches(foundry: Foundry, organization: int, params: dict[str, Any]
                 ) -> dict[str, Any]:
    limit = check_int(params.get("limit"), 100, "limit", 1, MAX_PAGE)
    offset = check_int(params.get("offset"), 0, "offset", 0, 10**9)
    with foundry.db.read() as conn:
        total, rows = queries.batch_page(conn, organization, project=params.get("project"),
                                         status=params.get("status"), limit=limit,
                                         offset=offset)
    return {"docs": [batch_json(r) for r in rows], "totalDocs": total, "limit": limit,
            "offset": offset, "has_more": offset + len(rows) < total}
