"""The leasing SQL: claim items, close, renew and release leases, return expired ones.

Counting only, no business rules: an item is leasable while ``status = 'open' AND slots > 0``;
claiming moves one slot into ``n_live``, ending a lease moves it back. A lease may hold part of
its project's budget (``reserved_minor``, see ``store.budget``); ending it frees that too.

On PostgreSQL a claim is one statement (``FOR UPDATE SKIP LOCKED`` inside a data-modifying
CTE), so concurrent workers never block each other and never take the same slot. The locking
CTE is ``MATERIALIZED`` so it runs exactly once: inlined into the UPDATE, a concurrent update
can make PostgreSQL re-run a ``SKIP LOCKED … LIMIT`` subquery and pick extra rows. On SQLite
the caller holds the single writer (``BEGIN IMMEDIATE``) and the same steps run as three
statements.

A lease's ``created_at`` and ``ended_at`` are the database's clock read after the claim (or
the end) took its locks, never the caller's clock read before it waited: so when one lease
ended before another of its item was granted, its ``ended_at`` is earlier than the other's
``created_at``. Deadlines (``expires_at``) stay on the server's clock, which tests move by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, TextualSelect, bindparam, text

from datafab.store.tables import Json

# The database's clock in UNIX seconds. PostgreSQL's clock_timestamp() is read when the row is
# written (after the statement's locks), not when the transaction began.
DB_NOW = {
    "postgresql": "extract(epoch from clock_timestamp())",
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
}


@dataclass(frozen=True)
class Claim:
    lease_id: int
    item_id: int
    external_id: str
    data: dict[str, Any]
    expires_at: float


_CANDIDATES = """
    SELECT i.id FROM items i
    WHERE i.project_id = :project AND i.status = 'open' AND i.slots > 0
      AND NOT EXISTS (
        SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.contributor_id = :contributor)
      {hard}
    ORDER BY i.priority DESC, i.id
    LIMIT :n
"""
# Hard items: those whose record is still unsure (offered first to proven contributors).
_HARD = ("AND EXISTS (SELECT 1 FROM records r WHERE r.item_id = i.id "
         "AND r.confidence < :hard_below)")


def _claim_postgres(hard: str) -> TextualSelect:
    return text(
        f"""
    WITH picked AS MATERIALIZED ({_CANDIDATES.format(hard=hard)} FOR UPDATE SKIP LOCKED),
    taken AS (
        UPDATE items SET slots = items.slots - 1, n_live = items.n_live + 1
        FROM picked WHERE items.id = picked.id AND items.status = 'open' AND items.slots > 0
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


_CLAIM_POSTGRES = {False: _claim_postgres(""), True: _claim_postgres(_HARD)}
_PICK_SQLITE = {False: text(_CANDIDATES.format(hard="")),
                True: text(_CANDIDATES.format(hard=_HARD))}
_TAKE_SQLITE = text(
    "UPDATE items SET slots = slots - 1, n_live = n_live + 1 WHERE id IN :ids "
    "RETURNING id, external_id, data, priority"
).bindparams(bindparam("ids", expanding=True)).columns(data=Json)
_GRANT = {  # on SQLite for every claim, on PostgreSQL for gold leases
    dialect: text(
        "INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, "
        f"created_at, reserved_minor) VALUES (:project, :item, :contributor, 'active', "
        f":expires, {clock}, :reserve) RETURNING id")
    for dialect, clock in DB_NOW.items()
}


def claim(
    conn: Connection, *, project: int, contributor: int, n: int, now: float, expires: float,
    hard_below: float | None = None, reserve: int = 0,
) -> list[Claim]:
    """Lease up to ``n`` open items of ``project`` that ``contributor`` has never held; only
    items whose record's confidence is below ``hard_below``, when given. Each lease holds
    ``reserve`` of the project's budget until it ends."""
    params = {"project": project, "contributor": contributor, "n": n, "now": now,
              "expires": expires, "hard_below": hard_below, "reserve": reserve}
    hard = hard_below is not None
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_CLAIM_POSTGRES[hard], params).all()
        return [Claim(r.id, r.item_id, r.external_id, r.data, expires) for r in rows]
    ids = conn.execute(_PICK_SQLITE[hard], params).scalars().all()
    if not ids:
        return []
    taken = sorted(conn.execute(_TAKE_SQLITE, {"ids": ids}).all(),
                   key=lambda r: (-r.priority, r.id))
    claims = []
    for row in taken:
        lease_id = conn.execute(_GRANT[conn.dialect.name], {**params, "item": row.id}).scalar_one()
        claims.append(Claim(lease_id, row.id, row.external_id, row.data, expires))
    return claims


_WORK_LEFT = text(
    "SELECT 1 FROM items i WHERE i.project_id = :project "
    "AND ((i.status = 'open' AND i.slots > 0) OR i.status = 'model') AND NOT EXISTS ("
    "SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.contributor_id = :contributor) LIMIT 1"
)


def work_left(conn: Connection, *, project: int, contributor: int) -> bool:
    """Whether any ordinary (not gold) item of ``project`` could still come to
    ``contributor``: open with a free slot, or waiting for a model; no lock taken."""
    params = {"project": project, "contributor": contributor}
    return conn.execute(_WORK_LEFT, params).first() is not None


_PICK_GOLD = text(
    "SELECT i.id, i.external_id, i.data FROM items i "
    "WHERE i.project_id = :project AND i.status = 'gold' AND NOT EXISTS ("
    "SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.contributor_id = :contributor) "
    "ORDER BY random() LIMIT :n"
).columns(data=Json)


def claim_gold(
    conn: Connection, *, project: int, contributor: int, n: int, now: float, expires: float
) -> list[Claim]:
    """Lease up to ``n`` gold items this contributor has never seen, in random order. Gold
    items are shared by everyone, so nothing is counted or locked."""
    params = {"project": project, "contributor": contributor, "n": n, "now": now,
              "expires": expires, "reserve": 0}  # a gold answer is not billed
    claims = []
    for row in conn.execute(_PICK_GOLD, params).all():
        lease_id = conn.execute(_GRANT[conn.dialect.name], {**params, "item": row.id}).scalar_one()
        claims.append(Claim(lease_id, row.id, row.external_id, row.data, expires))
    return claims


_CLOSE = {
    dialect: text(
        f"UPDATE leases SET status = 'submitted', ended_at = {clock} "
        "WHERE id = :lease AND contributor_id = :contributor AND status = 'active' "
        "AND expires_at > :now RETURNING item_id, project_id")
    for dialect, clock in DB_NOW.items()
}


def close(
    conn: Connection, *, lease: int, contributor: int, now: float
) -> Row[*tuple[Any, ...]] | None:
    """Mark a live lease held by ``contributor`` as submitted; ``None`` if it is not live."""
    params = {"lease": lease, "contributor": contributor, "now": now}
    return conn.execute(_CLOSE[conn.dialect.name], params).first()


_RENEW = text(
    "UPDATE leases SET expires_at = :expires "
    "WHERE id = :lease AND contributor_id = :contributor AND status = 'active' "
    "AND expires_at > :now RETURNING id"
)


def renew(conn: Connection, *, lease: int, contributor: int, now: float, expires: float) -> bool:
    params = {"lease": lease, "contributor": contributor, "now": now, "expires": expires}
    return conn.execute(_RENEW, params).first() is not None


_RELEASE = {
    dialect: text(
        f"UPDATE leases SET status = 'released', ended_at = {clock} "
        "WHERE id = :lease AND contributor_id = :contributor AND status = 'active' "
        "AND expires_at > :now RETURNING item_id")
    for dialect, clock in DB_NOW.items()
}
_EXPIRED = "SELECT id FROM leases WHERE status = 'active' AND expires_at <= :now ORDER BY id"
_EXPIRE = {
    # Lock the expired leases in id order and skip those a submit holds: no deadlocks.
    "postgresql": text(
        f"UPDATE leases SET status = 'expired', ended_at = {DB_NOW['postgresql']} "
        f"WHERE id IN ({_EXPIRED} FOR UPDATE SKIP LOCKED) AND status = 'active' "
        "RETURNING item_id"
    ),
    "sqlite": text(
        f"UPDATE leases SET status = 'expired', ended_at = {DB_NOW['sqlite']} "
        f"WHERE id IN ({_EXPIRED}) RETURNING item_id"
    ),
}
_FREE_SLOT = text(  # gold items hand out leases without slots, so they have none to free
    "UPDATE items SET n_live = n_live - 1, "
    "slots = CASE WHEN status = 'open' THEN slots + 1 ELSE slots END "
    "WHERE id = :item AND status <> 'gold'"
)


def release(conn: Connection, *, lease: int, contributor: int, now: float) -> bool:
    """Give a live lease back early (a skip); its item returns to the pool."""
    params = {"lease": lease, "contributor": contributor, "now": now}
    item = conn.execute(_RELEASE[conn.dialect.name], params).scalar()
    if item is None:
        return False
    conn.execute(_FREE_SLOT, {"item": item})
    return True


def expire(conn: Connection, *, now: float) -> int:
    """Return every lease past its deadline to the pool; how many were returned."""
    freed = conn.execute(_EXPIRE[conn.dialect.name], {"now": now}).scalars().all()
    if freed:
        conn.execute(_FREE_SLOT, [{"item": item} for item in sorted(freed)])
    return len(freed)


_RELEASE_ALL = {
    dialect: text(
        f"UPDATE leases SET status = 'released', ended_at = {clock} "
        "WHERE contributor_id = :contributor AND status = 'active' RETURNING item_id")
    for dialect, clock in DB_NOW.items()
}


def release_all(conn: Connection, *, contributor: int) -> int:
    """End every live lease of a contributor (they leave); their items return to the pool."""
    freed = conn.execute(_RELEASE_ALL[conn.dialect.name],
                         {"contributor": contributor}).scalars().all()
    if freed:
        conn.execute(_FREE_SLOT, [{"item": item} for item in sorted(freed)])
    return len(freed)
