"""The model stage: items of a model-first project wait in status ``'model'`` until a model
contributor answers them, then go on to people (status ``'open'``) or are done.

While an item waits, its ``slots`` already hold what people will need, and at most one model
holds it at a time (``n_live = 0`` to be claimed). Claiming is one statement on PostgreSQL
(``FOR UPDATE SKIP LOCKED``, as in ``leasing``), three under SQLite's single writer.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, text

from datafab.store.leasing import DB_NOW, Claim
from datafab.store.tables import Json

_CANDIDATES = """
    SELECT i.id FROM items i
    WHERE i.project_id = :project AND i.status = 'model' AND i.n_live = 0
      AND NOT EXISTS (
        SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.contributor_id = :contributor)
    ORDER BY i.priority DESC, i.id
    LIMIT :n
"""
_CLAIM_POSTGRES = text(
    f"""
    WITH picked AS MATERIALIZED ({_CANDIDATES} FOR UPDATE SKIP LOCKED),
    taken AS (
        UPDATE items SET n_live = items.n_live + 1
        FROM picked WHERE items.id = picked.id AND items.status = 'model' AND items.n_live = 0
        RETURNING items.id, items.external_id, items.data, items.priority),
    granted AS (
        INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, created_at,
                            reserved_minor)
        SELECT :project, taken.id, :contributor, 'active', :expires,
               extract(epoch from clock_timestamp()), :reserve FROM taken
        ORDER BY taken.priority DESC, taken.id
        RETURNING id, item_id)
    SELECT granted.id, granted.item_id, taken.external_id, taken.data
    FROM granted JOIN taken ON taken.id = granted.item_id
    ORDER BY taken.priority DESC, taken.id
    """
).columns(data=Json)
_PICK_SQLITE = text(_CANDIDATES)
_TAKE_SQLITE = text(
    "UPDATE items SET n_live = n_live + 1 WHERE id IN :ids AND status = 'model' "
    "RETURNING id, external_id, data, priority"
).bindparams(bindparam("ids", expanding=True)).columns(data=Json)
_GRANT = text(  # SQLite only: the database's clock, as in leasing
    "INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, created_at, "
    f"reserved_minor) VALUES (:project, :item, :contributor, 'active', :expires, "
    f"{DB_NOW['sqlite']}, :reserve) RETURNING id"
)


def claim(
    conn: Connection, *, project: int, contributor: int, n: int, now: float, expires: float,
    reserve: int = 0,
) -> list[Claim]:
    """Lease up to ``n`` items waiting for a model that no model holds and ``contributor``
    never held; each lease holds ``reserve`` of the project's budget until it ends."""
    params = {"project": project, "contributor": contributor, "n": n, "now": now,
              "expires": expires, "reserve": reserve}
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_CLAIM_POSTGRES, params).all()
        return [Claim(r.id, r.item_id, r.external_id, r.data, expires) for r in rows]
    ids = conn.execute(_PICK_SQLITE, params).scalars().all()
    if not ids:
        return []
    taken = sorted(conn.execute(_TAKE_SQLITE, {"ids": ids}).all(),
                   key=lambda r: (-r.priority, r.id))
    claims = []
    for row in taken:
        lease_id = conn.execute(_GRANT, {**params, "item": row.id}).scalar_one()
        claims.append(Claim(lease_id, row.id, row.external_id, row.data, expires))
    return claims


_TO_PEOPLE = text(
    "UPDATE items SET status = 'open' WHERE id = :item AND status = 'model' AND n_live = 0"
)
# Items no model answered in time, or whose model lease ended unanswered (released or
# expired: a model had its try), go on to people.
_OPEN_WAITING = text(
    "UPDATE items SET status = 'open' WHERE project_id = :project AND status = 'model' "
    "AND n_live = 0 AND (created_at <= :cutoff OR EXISTS ("
    "SELECT 1 FROM leases l WHERE l.item_id = items.id))"
)


def to_people(conn: Connection, item: int) -> None:
    """Hand an item a model held unanswered straight on to people."""
    conn.execute(_TO_PEOPLE, {"item": item})


def open_waiting(conn: Connection, *, project: int, cutoff: float) -> int:
    """Hand on to people the items that waited since before ``cutoff`` or that a model had
    and gave back; how many."""
    return conn.execute(_OPEN_WAITING, {"project": project, "cutoff": cutoff}).rowcount
