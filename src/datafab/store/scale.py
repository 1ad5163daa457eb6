"""The Scale-compatible adapter's queries: its projects, batches and tasks (what Datafab
has no place for), each task read with its item's state and record, and the state of a
task's callback deliveries. Rows, not rules: the mapping between Scale's shapes and
Datafab's is ``services/compat/scale/``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Label,
    Row,
    Select,
    and_,
    case,
    func,
    insert,
    select,
    text,
    update,
)

from datafab.statuses import BatchStatus, ItemStatus
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

_HAS_CALLBACKS = text(
    "SELECT EXISTS (SELECT 1 FROM scale_tasks WHERE organization_id = :org "
    "AND callback_url IS NOT NULL)")


def has_callbacks(conn: Connection, organization: int) -> bool:
    """Whether any of the organization's Scale tasks has a callback URL."""
    return bool(conn.execute(_HAS_CALLBACKS, {"org": organization}).scalar())


# -- projects ------------------------------------------------------------------------------

def project_row(conn: Connection, organization: int, name: str) -> Row[Any] | None:
    return conn.execute(select(scale_projects).where(
        scale_projects.c.organization_id == organization,
        scale_projects.c.name == name)).first()


def insert_project(conn: Connection, *, organization: int, name: str, kind: str,
                   history: list[dict[str, Any]], now: float) -> None:
    """A new Scale project, not yet bound to a Datafab project (raises ``IntegrityError``
    if the organization has one of that name)."""
    conn.execute(insert(scale_projects).values(
        organization_id=organization, name=name, type=kind, project_id=None,
        param_history=history, created_at=now))


def projects_of(conn: Connection, organization: int) -> list[Row[Any]]:
    return list(conn.execute(select(scale_projects).where(
        scale_projects.c.organization_id == organization).order_by(
        scale_projects.c.id)).all())


def set_param_history(conn: Connection, scale_project_id: int,
                      history: list[dict[str, Any]]) -> None:
    conn.execute(update(scale_projects).where(scale_projects.c.id == scale_project_id).values(
        param_history=history))


def bind_project(conn: Connection, scale_project_id: int, project_id: int) -> None:
    """Bind the Scale project to its Datafab project, unless it is bound already."""
    conn.execute(update(scale_projects).where(scale_projects.c.id == scale_project_id,
                                              scale_projects.c.project_id.is_(None))
                 .values(project_id=project_id))


def project_id_named(conn: Connection, organization: int, name: str) -> int:
    """The id of the organization's Datafab project of that name (it must exist)."""
    return int(conn.execute(select(projects.c.id).where(
        projects.c.organization_id == organization,
        projects.c.name == name)).scalar_one())


# -- batches -------------------------------------------------------------------------------

def _batches(organization: int) -> Select[Any]:
    b = scale_batches
    return (select(b, scale_projects.c.name.label("project_name"))
            .join(scale_projects, scale_projects.c.id == b.c.scale_project_id)
            .where(b.c.organization_id == organization))


def batch_row(conn: Connection, organization: int, name: str) -> Row[Any] | None:
    """The organization's batch with its project's name."""
    return conn.execute(_batches(organization).where(scale_batches.c.name == name)).first()


def insert_batch(conn: Connection, *, organization: int, scale_project_id: int, name: str,
                 callback: str | None, metadata: dict[str, Any], now: float) -> None:
    conn.execute(insert(scale_batches).values(
        organization_id=organization, scale_project_id=scale_project_id, name=name,
        callback=callback, metadata=metadata, status=BatchStatus.STAGING, created_at=now))


def set_batch_status(conn: Connection, batch_id: int, status: str) -> None:
    conn.execute(update(scale_batches).where(scale_batches.c.id == batch_id).values(
        status=status))


def batch_page(conn: Connection, organization: int, *, project: str | None,
               status: str | None, limit: int, offset: int) -> tuple[int, list[Row[Any]]]:
    """How many batches match, and the page of them, in id order."""
    query = _batches(organization)
    if project:
        query = query.where(scale_projects.c.name == project)
    if status:
        query = query.where(scale_batches.c.status == status)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(scale_batches.c.id).limit(limit).offset(offset)).all()
    return int(total), list(rows)


# -- tasks ---------------------------------------------------------------------------------

def _state() -> Label[Any]:
    return case(
        (scale_tasks.c.canceled_at.is_not(None), "canceled"),
        (items.c.status == "done", "completed"),
        else_="pending",
    ).label("state")


def _task_query() -> Select[Any]:
    t, sp, sb = scale_tasks, scale_projects, scale_batches
    return (
        select(t, _state(), items.c.data.label("item_data"),
               records.c.answer.label("record_answer"),
               records.c.updated_at.label("completed_at"),
               sp.c.name.label("project_name"), sb.c.name.label("batch_name"))
        .join(items, items.c.id == t.c.item_id)
        .join(sp, sp.c.id == t.c.scale_project_id)
        .outerjoin(sb, sb.c.id == t.c.batch_id)
        .outerjoin(records, records.c.item_id == t.c.item_id)
    )


def task_counts(conn: Connection, batch_id: int) -> list[tuple[str, int]]:
    """(state, how many) of a batch's tasks."""
    state = _state()
    rows = conn.execute(select(state, func.count()).select_from(
        scale_tasks.join(items, items.c.id == scale_tasks.c.item_id)).where(
        scale_tasks.c.batch_id == batch_id).group_by(state)).all()
    return [(str(status), int(n)) for status, n in rows]


def task_row(conn: Connection, organization: int, task_id: str) -> Row[Any] | None:
    return conn.execute(_task_query().where(scale_tasks.c.organization_id == organization,
                                            scale_tasks.c.task_id == task_id)).first()


def task_with_callback(conn: Connection, organization: int, item_id: int) -> Row[Any] | None:
    """The organization's task on this item, if it has a callback URL."""
    return conn.execute(_task_query().where(
        scale_tasks.c.item_id == item_id,
        scale_tasks.c.organization_id == organization,
        scale_tasks.c.callback_url.is_not(None))).first()


def task_using(conn: Connection, organization: int, unique_id: str) -> str | None:
    """The id of the organization's task with this ``unique_id``."""
    return conn.execute(select(scale_tasks.c.task_id).where(
        scale_tasks.c.organization_id == organization,
        scale_tasks.c.unique_id == unique_id)).scalar()


def insert_task(conn: Connection, item: dict[str, Any], task: dict[str, Any]) -> None:
    """The task's item, then the task on it (raises ``IntegrityError`` on a used
    ``unique_id``)."""
    item_id = conn.execute(insert(items).values(**item).returning(items.c.id)).scalar_one()
    conn.execute(insert(scale_tasks).values(item_id=item_id, **task))


def cancel_task(conn: Connection, task_row_id: int, item_id: int, now: float) -> None:
    """Take the task's item out of the pool (if it is open or at the model stage)."""
    conn.execute(update(items).where(items.c.id == item_id,
                                     items.c.status.in_(("open", "model")))
                 .values(status=ItemStatus.CANCELED, slots=0))
    conn.execute(update(scale_tasks).where(scale_tasks.c.id == task_row_id).values(
        canceled_at=now))


def update_task(conn: Connection, task_row_id: int, **values: Any) -> None:
    conn.execute(update(scale_tasks).where(scale_tasks.c.id == task_row_id).values(**values))


def task_page(conn: Connection, organization: int, *, project: str | None,
              batch: str | None, kind: str | None, unique_ids: list[str] | None,
              status: str | None, after: int, limit: int
              ) -> tuple[int, int, list[Row[Any]]]:
    """How many tasks match, how many of them come up to id ``after``, and up to ``limit``
    after it, in id order."""
    t = scale_tasks
    where: list[ColumnElement[bool]] = [t.c.organization_id == organization]
    if project:
        where.append(scale_projects.c.name == project)
    if batch:
        where.append(scale_batches.c.name == batch)
    if kind:
        where.append(t.c.type == kind)
    if unique_ids:
        where.append(t.c.unique_id.in_(unique_ids))
    if status:
        where.append(_state() == status)
    base = _task_query().where(and_(*where))
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    offset = conn.execute(select(func.count()).select_from(
        base.where(t.c.id <= after).subquery())).scalar_one() if after else 0
    rows = conn.execute(base.where(t.c.id > after).order_by(t.c.id).limit(limit)).all()
    return int(total), int(offset), list(rows)


def callback_deliveries(conn: Connection, subjects: list[str]) -> list[tuple[str, str]]:
    """(subject, status) of the callback deliveries (``record.finished`` with a body of
    their own) about these subjects."""
    d = webhook_deliveries
    return [(str(s), str(st)) for s, st in conn.execute(select(d.c.subject, d.c.status).join(
        webhook_events, webhook_events.c.id == d.c.event_id).where(
        d.c.subject.in_(subjects), d.c.body.is_not(None),
        webhook_events.c.type == "record.finished")).all()]
