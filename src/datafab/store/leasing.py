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

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, text

from datafab.statuses import LeaseStatus
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


@dataclass(frozen=True)
class ClaimRule:
    """What a claim may take and what taking it changes, as SQL fragments over ``items``:
    ``leasable`` a condition (``{t}`` names the table), ``take`` the SET list, ``extra`` a
    further condition on the candidates (alias ``i``)."""

    leasable: str
    take: str
    extra: str = ""


class ClaimStatement:
    """The one claim builder: a ``ClaimRule`` as the statements that run it (one on
    PostgreSQL, three under SQLite's single writer), shared by ordinary leasing and the
    model stage (``store.model_stage``)."""

    def __init__(self, rule: ClaimRule) -> None:
        candidates = f"""
    SELECT i.id FROM items i
    WHERE i.project_id = :project AND {rule.leasable.format(t="i")}
      AND NOT EXISTS (
        SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.contributor_id = :contributor)
      {rule.extra}
    ORDER BY i.priority DESC, i.id
    LIMIT :n
"""
        self.postgres = text(f"""
    WITH picked AS MATERIALIZED ({candidates} FOR UPDATE SKIP LOCKED),
    taken AS (
        UPDATE items SET {rule.take}
        FROM picked WHERE items.id = picked.id AND {rule.leasable.format(t="items")}
        RETURNING items.id, items.external_id, items.data, items.priority),
    granted AS (
        INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, created_at,
                            reserved_minor)
        SELECT :project, taken.id, :contributor, 'active', :expires,
               {DB_NOW["postgresql"]}, :reserve FROM taken
        ORDER BY taken.priority DESC, taken.id
        RETURNING id, item_id)
    SELECT granted.id, granted.item_id, taken.external_id, taken.data
    FROM granted JOIN taken ON taken.id = granted.item_id
    ORDER BY taken.priority DESC, taken.id
    """).columns(data=Json)
        self.pick = text(candidates)
        self.take = text(
            f"UPDATE items SET {rule.take} WHERE id IN :ids "
            f"AND {rule.leasable.format(t='items')} RETURNING id, external_id, data, priority"
        ).bindparams(bindparam("ids", expanding=True)).columns(data=Json)

    def run(self, conn: Connection, params: dict[str, Any]) -> list[Claim]:
        """Lease up to ``params["n"]`` items (params: project, contributor, n, expires,
        reserve and what the rule's fragments name)."""
        expires = params["expires"]
        if conn.dialect.name == "postgresql":
            rows = conn.execute(self.postgres, params).all()
            return [Claim(r.id, r.item_id, r.external_id, r.data, expires) for r in rows]
        ids = conn.execute(self.pick, params).scalars().all()
        if not ids:
            return []
        taken = sorted(conn.execute(self.take, {"ids": ids}).all(),
                       key=lambda r: (-r.priority, r.id))
        granted = grant(conn, params, [row.id for row in taken])
        return [Claim(granted[row.id], row.id, row.external_id, row.data, expires)
                for row in taken]


_OPEN = "{t}.status = 'open' AND {t}.slots > 0"
_TAKE_SLOT = "slots = items.slots - 1, n_live = items.n_live + 1"
# Hard items: those whose record is still unsure (offered first to proven contributors).
_HARD = ("AND EXISTS (SELECT 1 FROM records r WHERE r.item_id = i.id "
         "AND r.confidence < :hard_below)")
_CLAIM = {False: ClaimStatement(ClaimRule(_OPEN, _TAKE_SLOT)),
          True: ClaimStatement(ClaimRule(_OPEN, _TAKE_SLOT, _HARD))}
# One lease per item given, in one statement (the items passed as one array parameter):
# on SQLite for every claim, on PostgreSQL for gold leases.
_GRANT = {
    dialect: text(
        "INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, "
        f"created_at, reserved_minor) SELECT :project, {item}, :contributor, 'active', "
        f":expires, {DB_NOW[dialect]}, :reserve FROM {source} RETURNING id, item_id")
    for dialect, item, source in (
        ("postgresql", "g.item", "unnest(CAST(:items AS bigint[])) AS g(item)"),
        ("sqlite", "CAST(g.value AS INTEGER)", "json_each(:items) AS g"),
    )
}


def grant(conn: Connection, params: dict[str, Any], item_ids: list[int]) -> dict[int, int]:
    """Lease each of these (distinct) items to ``params["contributor"]``; lease id by item."""
    items = json.dumps(item_ids) if conn.dialect.name == "sqlite" else item_ids
    rows = conn.execute(_GRANT[conn.dialect.name], {**params, "items": items}).all()
    return {int(row.item_id): int(row.id) for row in rows}


def claim(
    conn: Connection, *, project: int, contributor: int, n: int, now: float, expires: float,
    hard_below: float | None = None, reserve: int = 0,
) -> list[Claim]:
    """Lease up to ``n`` open items of ``project`` that ``contributor`` has never held; only
    items whose record's confidence is below ``hard_below``, when given. Each lease holds
    ``reserve`` of the project's budget until it ends."""
    params = {"project": project, "contributor": contributor, "n": n, "now": now,
              "expires": expires, "hard_below": hard_below, "reserve": reserve}
    return _CLAIM[hard_below is not None].run(conn, params)


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
    picked = conn.execute(_PICK_GOLD, params).all()
    if not picked:
        return []
    granted = grant(conn, params, [row.id for row in picked])
    return [Claim(granted[row.id], row.id, row.external_id, row.data, expires)
            for row in picked]


_CLOSE_MANY = {
    dialect: text(
        f"UPDATE leases SET status = '{LeaseStatus.SUBMITTED}', ended_at = {clock} "
        "WHERE id IN :leases AND contributor_id = :contributor AND status = 'active' "
        "AND expires_at > :now RETURNING id, item_id, project_id"
    ).bindparams(bindparam("leases", expanding=True))
    for dialect, clock in DB_NOW.items()
}


def close_many(
    conn: Connection, *, leases: list[int], contributor: int, now: float
) -> dict[int, Row[*tuple[Any, ...]]]:
    """Mark the live leases among ``leases`` held by ``contributor`` as submitted, in one
    statement; (id, item_id, project_id) of each closed, by lease id. A lease missing from
    the answer was not live."""
    params = {"leases": sorted(set(leases)), "contributor": contributor, "now": now}
    return {row.id: row for row in conn.execute(_CLOSE_MANY[conn.dialect.name], params).all()}


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
        f"UPDATE leases SET status = '{LeaseStatus.RELEASED}', ended_at = {clock} "
        "WHERE id = :lease AND contributor_id = :contributor AND status = 'active' "
        "AND expires_at > :now RETURNING item_id")
    for dialect, clock in DB_NOW.items()
}
_EXPIRED = "SELECT id FROM leases WHERE status = 'active' AND expires_at <= :now ORDER BY id"
_EXPIRE = {
    # Lock the expired leases in id order and skip those a submit holds: no deadlocks.
    "postgresql": text(
        f"UPDATE leases SET status = '{LeaseStatus.EXPIRED}', ended_at = {DB_NOW['postgresql']} "
        f"WHERE id IN ({_EXPIRED} FOR UPDATE SKIP LOCKED) AND status = 'active' "
        "RETURNING item_id"
    ),
    "sqlite": text(
        f"UPDATE leases SET status = '{LeaseStatus.EXPIRED}', ended_at = {DB_NOW['sqlite']} "
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
        f"UPDATE leases SET status = '{LeaseStatus.RELEASED}', ended_at = {clock} "
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
