"""The submission SQL: lock an item, store an answer, read the item's votes, store its record
and settle its counters. Prepared once as text statements: this is the hot path."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text

from datafab.store.tables import Json

_LOCK_ITEM = "SELECT data, n_labels, n_live FROM items WHERE id = :item"
_LOCK = {
    "postgresql": text(_LOCK_ITEM + " FOR UPDATE").columns(data=Json),
    "sqlite": text(_LOCK_ITEM).columns(data=Json),  # the single writer holds the lock
}
_INSERT_SUBMISSION = text(
    "INSERT INTO submissions (lease_id, project_id, item_id, contributor_id, answer, "
    "seconds_spent, guideline_version, draft, counted, created_at) VALUES (:lease, :project, "
    ":item, :contributor, :answer, :seconds, :version, :draft, :counted, :now) RETURNING id"
).bindparams(bindparam("answer", type_=Json), bindparam("draft", type_=Json))
_VOTES = text(
    "SELECT contributor_id, answer FROM submissions WHERE item_id = :item AND counted "
    "ORDER BY id"
).columns(answer=Json)
_UPSERT_RECORD = text(
    "INSERT INTO records (project_id, item_id, answer, confidence, method, n_submissions, "
    "details, created_at, updated_at) VALUES (:project, :item, :answer, :confidence, :method, "
    ":n, :details, :now, :now) ON CONFLICT (item_id) DO UPDATE SET answer = excluded.answer, "
    "confidence = excluded.confidence, method = excluded.method, "
    "n_submissions = excluded.n_submissions, details = excluded.details, "
    "updated_at = excluded.updated_at"
).bindparams(bindparam("answer", type_=Json), bindparam("details", type_=Json))
_SETTLE = text(
    "UPDATE items SET n_labels = :n_labels, n_live = :n_live, slots = :slots, status = :status "
    "WHERE id = :item"
)


def lock_item(conn: Connection, item: int):
    """The item's data and counters, locked until the transaction ends."""
    return conn.execute(_LOCK[conn.dialect.name], {"item": item}).one()


def insert_submission(conn: Connection, **values: Any) -> int:
    return conn.execute(_INSERT_SUBMISSION, values).scalar_one()


def votes(conn: Connection, item: int) -> list:
    """(contributor_id, answer) of every counted submission on the item, oldest first."""
    return conn.execute(_VOTES, {"item": item}).all()


def upsert_record(conn: Connection, **values: Any) -> None:
    conn.execute(_UPSERT_RECORD, values)


def settle(conn: Connection, *, item: int, n_labels: int, n_live: int, slots: int,
           status: str) -> None:
    conn.execute(_SETTLE, {"item": item, "n_labels": n_labels, "n_live": n_live,
                           "slots": slots, "status": status})
