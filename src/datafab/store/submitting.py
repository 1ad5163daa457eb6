"""The submission SQL: lock items, store answers, read the items' votes, store their records
and settle their counters. Prepared once as text statements: this is the hot path.

A submit stores a whole batch with one statement per step (``insert_submissions``,
``upsert_records``, ``settle_items``): one multi-row insert, and the others sent as one
``executemany`` (a pipeline of the prepared statement on PostgreSQL, no round trip per row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, text

from datafab.store.tables import Json, submissions

_LOCK_ITEMS = (
    "SELECT id, data, status, n_labels, n_live, gold_answer, meta FROM items "
    "WHERE id IN :items ORDER BY id"
)
_LOCK = {  # on SQLite the single writer already holds the lock
    dialect: text(sql)
    .bindparams(bindparam("items", expanding=True))
    .columns(data=Json, gold_answer=Json, meta=Json)
    for dialect, sql in (("postgresql", _LOCK_ITEMS + " FOR UPDATE"), ("sqlite", _LOCK_ITEMS))
}
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
_DELETE_RECORD = text("DELETE FROM records WHERE item_id = :item")
_SETTLE = text(
    "UPDATE items SET n_labels = :n_labels, n_live = :n_live, slots = :slots, status = :status "
    "WHERE id = :item"
)


def lock_items(conn: Connection, item_ids: list[int]) -> dict[int, Any]:
    """The items' data and counters, locked in id order (no deadlocks) until the end of the
    transaction."""
    rows = conn.execute(_LOCK[conn.dialect.name], {"items": sorted(set(item_ids))}).all()
    return {row.id: row for row in rows}


_LOCK_IDS = text("SELECT id FROM items WHERE id IN :items ORDER BY id FOR UPDATE"
                 ).bindparams(bindparam("items", expanding=True))


def lock_item_rows(conn: Connection, item_ids: list[int]) -> None:
    """Lock the items' rows in id order (as ``lock_items``) without reading them back; on
    SQLite the transaction's single writer holds them already, and nothing is sent."""
    if item_ids and conn.dialect.name != "sqlite":
        conn.execute(_LOCK_IDS, {"items": sorted(set(item_ids))})


# one multi-row INSERT … RETURNING on both databases; the ids are matched to the rows by
# item (a batch answers an item once), since neither database promises RETURNING's order
_INSERT_SUBMISSIONS = insert(submissions).returning(submissions.c.id, submissions.c.item_id)


def insert_submissions(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Store a batch's answers (each to a different item) in one statement; their ids, in
    the order of ``rows``. A row names the ``submissions`` columns (lease_id, project_id,
    item_id, contributor_id, answer, seconds_spent, guideline_version, draft, counted,
    created_at)."""
    if not rows:
        return []
    ids = {item: int(i) for i, item in conn.execute(_INSERT_SUBMISSIONS, rows).all()}
    if len(ids) != len(rows):
        raise ValueError("insert_submissions: two rows answer the same item")
    return [ids[row["item_id"]] for row in rows]


def upsert_records(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert or replace the records of several items (the parameters of ``upsert_record``)."""
    if rows:
        conn.execute(_UPSERT_RECORD, rows)


def settle_items(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Set the counters and status of several items (the parameters of ``settle``)."""
    if rows:
        conn.execute(_SETTLE, rows)


def votes(conn: Connection, item: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """(contributor_id, answer) of every counted submission on the item, oldest first."""
    return conn.execute(_VOTES, {"item": item}).all()


def upsert_record(conn: Connection, **values: Any) -> None:
    conn.execute(_UPSERT_RECORD, values)


def delete_record(conn: Connection, item: int) -> None:
    conn.execute(_DELETE_RECORD, {"item": item})


def settle(conn: Connection, *, item: int, n_labels: int, n_live: int, slots: int,
           status: str) -> None:
    conn.execute(_SETTLE, {"item": item, "n_labels": n_labels, "n_live": n_live,
                           "slots": slots, "status": status})


_ANSWERED_BY = text(
    "SELECT item_id FROM submissions WHERE contributor_id = :contributor AND item_id IN :items"
).bindparams(bindparam("items", expanding=True))


def answered_by(conn: Connection, contributor: int, item_ids: list[int]) -> set[int]:
    """Which of the items this contributor has already answered."""
    return set(conn.execute(_ANSWERED_BY, {"contributor": contributor,
                                           "items": item_ids}).scalars())


_COUNTED_AFTER = text(
    "SELECT s.id, s.contributor_id, s.answer, i.status, i.gold_answer, r.details "
    "FROM submissions s JOIN items i ON i.id = s.item_id "
    "LEFT JOIN records r ON r.item_id = s.item_id "
    "WHERE s.project_id = :project AND s.counted AND s.id > :after ORDER BY s.id"
).columns(answer=Json, gold_answer=Json, details=Json)


def counted_after(conn: Connection, project: int, after: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """Counted submissions of the project stored after submission ``after``, with their
    item's status, gold answer and record details (a refit adds what it did not see)."""
    return conn.execute(_COUNTED_AFTER, {"project": project, "after": after}).all()


_OPEN_LABELLED = text(
    "SELECT i.id FROM items i WHERE i.project_id = :project AND i.status = 'open' "
    "AND i.n_labels > 0 AND EXISTS (SELECT 1 FROM submissions s WHERE s.item_id = i.id "
    "AND s.contributor_id = :contributor AND s.counted) ORDER BY i.id LIMIT :limit"
)
_VOTES_OF = text(
    "SELECT s.item_id, s.contributor_id, s.answer FROM submissions s "
    "WHERE s.item_id IN :items AND s.counted ORDER BY s.item_id, s.id"
).bindparams(bindparam("items", expanding=True)).columns(answer=Json)
_CONFIDENCE_OF = text(
    "SELECT item_id, confidence FROM records WHERE item_id IN :items"
).bindparams(bindparam("items", expanding=True))


def open_labelled(conn: Connection, project: int, contributor: int, limit: int) -> list[int]:
    """Ids of the project's open items that ``contributor`` labelled, lowest first, at most
    ``limit``."""
    params = {"project": project, "contributor": contributor, "limit": limit}
    return list(conn.execute(_OPEN_LABELLED, params).scalars())


def votes_of(conn: Connection, item_ids: list[int]) -> Sequence[Row[*tuple[Any, ...]]]:
    """(item_id, contributor_id, answer) of every counted submission on the items."""
    return conn.execute(_VOTES_OF, {"items": item_ids}).all()


def confidence_of(conn: Connection, item_ids: list[int]) -> dict[int, float]:
    """The items' record confidences."""
    return dict(conn.execute(_CONFIDENCE_OF, {"items": item_ids}).all())


_LABELS_PER_CONTRIBUTOR = text(
    "SELECT contributor_id, count(*) FROM submissions WHERE project_id = :project AND counted "
    "GROUP BY contributor_id"
)


def labels_per_contributor(conn: Connection, project: int) -> dict[int, int]:
    """How many counted answers (gold ones included) each contributor gave in the project."""
    return {int(c): int(n) for c, n in conn.execute(_LABELS_PER_CONTRIBUTOR,
                                                    {"project": project}).all()}
