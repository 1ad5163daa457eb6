"""Items' rows: stored as uploaded, found by external id, listed a page at a time, and the
gold answers an organization keeps on them.

Named queries only; validation and what a status means live in ``services/items.py`` and
``services/gold_items.py``. Every function takes the caller's connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from datafab.store.tables import items, organizations, projects, submissions

LOOKUP_CHUNK = 500


def insert_items(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store uploaded items (rows name ``items`` columns). Two uploads racing on one
    external id raise ``IntegrityError``."""
    if rows:
        conn.execute(insert(items), rows)


def stored_hashes(conn: Connection, project: int, external_ids: list[str]) -> dict[str, str]:
    """External id -> content hash of the listed items the project already holds."""
    found: dict[str, str] = {}
    for start in range(0, len(external_ids), LOOKUP_CHUNK):
        chunk = external_ids[start : start + LOOKUP_CHUNK]
        found.update(conn.execute(
            select(items.c.external_id, items.c.content_hash).where(
                items.c.project_id == project, items.c.external_id.in_(chunk))).all())
    return found


def page(conn: Connection, project: int, after: int, limit: int,
         status: str | None) -> list[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` items of the project after item ``after`` in id order (of one status,
    if given)."""
    query = (select(items).where(items.c.project_id == project, items.c.id > after)
             .order_by(items.c.id).limit(limit))
    if status:
        query = query.where(items.c.status == status)
    return list(conn.execute(query).all())


def load(conn: Connection, item: int) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(items).where(items.c.id == item)).first()


def by_external_id(conn: Connection, project: int,
                   external_id: str) -> Row[*tuple[Any, ...]] | None:
    return conn.execute(select(items).where(items.c.project_id == project,
                                            items.c.external_id == external_id)).first()


# -- gold ---------------------------------------------------------------------------------------


def all_projects(conn: Connection) -> list[Row[*tuple[Any, ...]]]:
    """(id, name, primitive, org) of every project, by organization name then project name."""
    return list(conn.execute(
        select(projects.c.id, projects.c.name, projects.c.primitive,
               organizations.c.name.label("org"))
        .join(organizations, organizations.c.id == projects.c.organization_id)
        .order_by(organizations.c.name, projects.c.name)).all())


def gold_items(conn: Connection, project: int) -> list[Row[*tuple[Any, ...]]]:
    """(id, external_id, gold_answer, meta) of the project's gold items, in id order."""
    return list(conn.execute(
        select(items.c.id, items.c.external_id, items.c.gold_answer, items.c.meta)
        .where(items.c.project_id == project, items.c.status == "gold")
        .order_by(items.c.id)).all())


def answers_on(conn: Connection, item_ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    """(item_id, answer) of every submission on the items."""
    if not item_ids:
        return []
    return list(conn.execute(select(submissions.c.item_id, submissions.c.answer)
                             .where(submissions.c.item_id.in_(item_ids))).all())


def make_gold(conn: Connection, item: int, answer: Any, meta: dict[str, Any] | None) -> bool:
    """Turn the item into gold if it is open and nobody answered or holds it (False: it was
    not)."""
    done = conn.execute(
        update(items)
        .where(items.c.id == item, items.c.status == "open", items.c.n_labels == 0,
               items.c.n_live == 0)
        .values(status="gold", slots=0, gold_answer=answer, meta=meta)).rowcount
    return bool(done)


def ids_by_external_id(conn: Connection, project: int,
                       external_ids: list[str]) -> dict[str, int]:
    """External id -> item id of the listed items the project holds."""
    return {ext: item for ext, item in conn.execute(
        select(items.c.external_id, items.c.id).where(
            items.c.project_id == project, items.c.external_id.in_(external_ids))).all()}
