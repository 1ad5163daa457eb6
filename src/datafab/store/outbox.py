"""The webhook outbox's claim: which due deliveries a deliverer takes next.

Counting only, no business rules. A delivery is due while ``status = 'pending'``, its
``next_attempt_at`` has come and no deliverer holds it (``locked_until`` unset or past); only
the oldest pending delivery of each (target, subject) chain is ever taken, so the events about
one subject reach each target in order.

Fair between organizations: each organization's due deliveries are numbered in id order
(``turn``), counting on from those it already has in flight (held by any deliverer), and the
claim takes the lowest numbers first — one of each organization's, then a second of each,
and so on — never letting one organization hold more than ``per_org`` at once. So a backlog,
or an endpoint that answers slowly, fills at most ``per_org`` of the deliverers' slots.

On PostgreSQL concurrent claims take turns on a transaction-scoped advisory lock, so each
counts what the one before it took (without it, two claims reading the same snapshot could
each give an organization its whole share). A claim is one short statement, so waiting for
the lock costs little. The rows are then locked with ``FOR UPDATE SKIP LOCKED`` in a
``MATERIALIZED`` CTE (as in ``store.leasing``: inlined, a concurrent update could make
PostgreSQL re-run it and pick extra rows), re-checking that each is still free, so no two
deliverers ever take the same delivery. On SQLite the caller holds the single writer
(``BEGIN IMMEDIATE``) and the statement runs as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, text

from datafab.store.tables import Json, webhook_deliveries, webhook_events, webhook_secrets

CLAIM_LOCK_KEY = 0x4446_5748  # the advisory lock claims take turns on ("DFWH")
_TURN = text("SELECT pg_advisory_xact_lock(:key)")
_FREE = "{t}.status = 'pending' AND ({t}.locked_until IS NULL OR {t}.locked_until < :now)"
# Every step reads pending rows only, through partial indexes: never the delivered history.
#   orgs:  the organizations with a delivery due and free now;
#   busy:  how many each already has in flight (held by any deliverer);
#   heads: each one's oldest due heads of chains, only as many as it may still take (the
#          walk stops there), numbered on from its in-flight count;
# then the lowest numbers first: one per organization, then a second per organization, ….
_ORGS_AND_BUSY = f"""
    orgs AS MATERIALIZED (
        SELECT DISTINCT d.organization_id AS org FROM webhook_deliveries d
        WHERE {_FREE.format(t="d")} AND d.next_attempt_at <= :now),
    busy AS MATERIALIZED (
        SELECT o.org, (SELECT count(*) FROM webhook_deliveries b
                       WHERE b.organization_id = o.org AND b.status = 'pending'
                         AND b.locked_until >= :now) AS n
        FROM orgs o)"""
_HEADS_OF_ORG = f"""
            SELECT x.id FROM webhook_deliveries x
            WHERE x.organization_id = busy.org AND {_FREE.format(t="x")}
              AND x.next_attempt_at <= :now
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.status = 'pending'
                              AND e.target = x.target AND e.subject = x.subject
                              AND e.id < x.id)
            ORDER BY x.id LIMIT :per_org"""
# the walk per organization: a LATERAL join on PostgreSQL; SQLite, which has none, runs the
# same correlated subquery once per organization and looks its rows up by id
_WALK = {
    "postgresql": f"CROSS JOIN LATERAL ({_HEADS_OF_ORG}) h",
    "sqlite": f"JOIN webhook_deliveries h ON h.id IN ({_HEADS_OF_ORG})",
}


def _ranked(dialect: str) -> str:
    return f"""
    WITH {_ORGS_AND_BUSY},
    heads AS (
        SELECT h.id, busy.n + row_number() OVER (PARTITION BY busy.org ORDER BY h.id) AS turn
        FROM busy {_WALK[dialect]}
        WHERE busy.n < :per_org)
    SELECT id FROM heads WHERE turn <= :per_org ORDER BY turn, id LIMIT :n
"""


_CLAIM = {
    "postgresql": text(f"""
    WITH picked AS MATERIALIZED (
        SELECT d.id FROM webhook_deliveries d
        WHERE d.id IN ({_ranked("postgresql")}) AND {_FREE.format(t="d")}
        FOR UPDATE SKIP LOCKED)
    UPDATE webhook_deliveries SET locked_until = :lock FROM picked
    WHERE webhook_deliveries.id = picked.id
    RETURNING webhook_deliveries.id"""),
    "sqlite": text(f"""
    UPDATE webhook_deliveries SET locked_until = :lock WHERE id IN ({_ranked("sqlite")})
    RETURNING id"""),
}
_CLAIMED = text(
    "SELECT d.id, d.organization_id, d.url, d.body, d.attempts, d.subject,"
    " e.id AS event_id, e.type, e.payload, e.created_at AS event_created_at, s.secret"
    " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id"
    " LEFT JOIN webhook_secrets s ON s.organization_id = d.organization_id"
    " WHERE d.id IN :ids ORDER BY d.id"
).bindparams(bindparam("ids", expanding=True)).columns(payload=Json)


def claim_deliveries(conn: Connection, *, now: float, lock_until: float, n: int,
                     per_org: int) -> list[Row[*tuple[Any, ...]]]:
    """Take up to ``n`` due deliveries (held until ``lock_until``), at most ``per_org`` in
    flight per organization; each with its event, and its organization's signing secret."""
    if conn.dialect.name == "postgresql":
        conn.execute(_TURN, {"key": CLAIM_LOCK_KEY})
    ids = [r.id for r in conn.execute(_CLAIM[conn.dialect.name], {
        "now": now, "lock": lock_until, "n": n, "per_org": per_org}).all()]
    if not ids:
        return []
    return list(conn.execute(_CLAIMED, {"ids": ids}).all())


def secret_of(conn: Connection, organization: int, *, new_secret: str, now: float) -> str:
    """The organization's signing secret, ``new_secret`` stored first if it has none. Safe
    when several deliveries of one organization ask at once: one insert wins, all read it."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        # SQLite's INSERT has PostgreSQL's on_conflict_do_nothing, but no common typed base.
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    conn.execute(dialect_insert(webhook_secrets).values(
        organization_id=organization, secret=new_secret, created_at=now,
    ).on_conflict_do_nothing(index_elements=["organization_id"]))
    return str(conn.execute(select(webhook_secrets.c.secret).where(
        webhook_secrets.c.organization_id == organization)).scalar_one())


# -- writing events ------------------------------------------------------------------------

# one multi-row INSERT … RETURNING; ids matched to the rows by subject (see insert_events)
_INSERT_EVENTS = insert(webhook_events).returning(webhook_events.c.id,
                                                  webhook_events.c.subject)
_HAS_ENDPOINTS = text(
    "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE organization_id = :org AND active)")
_ENDPOINTS = text(
    "SELECT id, url, events FROM webhook_endpoints WHERE organization_id = :org AND active "
    "ORDER BY id"
).columns(events=Json)
_RECORDS = text(
    "SELECT r.item_id, r.id, r.answer, r.confidence, r.method, r.n_submissions, i.external_id "
    "FROM records r JOIN items i ON i.id = r.item_id WHERE r.item_id IN :items"
).bindparams(bindparam("items", expanding=True)).columns(answer=Json)


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Store events (organization_id, type, subject, payload, created_at), each about a
    different subject, in one statement; their ids in the order of ``rows``."""
    if not rows:
        return []
    ids = {subject: int(i) for i, subject in conn.execute(_INSERT_EVENTS, rows).all()}
    if len(ids) != len(rows):
        raise ValueError("insert_events: two events about the same subject")
    return [ids[row["subject"]] for row in rows]


def insert_deliveries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(webhook_deliveries), rows)


def has_endpoints(conn: Connection, organization: int) -> bool:
    """Whether the organization has an active endpoint."""
    return bool(conn.execute(_HAS_ENDPOINTS, {"org": organization}).scalar())


def endpoints(conn: Connection, organization: int) -> list[Row[*tuple[Any, ...]]]:
    """(id, url, events) of the organization's active endpoints."""
    return list(conn.execute(_ENDPOINTS, {"org": organization}).all())


def finished_records(conn: Connection, item_ids: list[int]) -> dict[int, Row[*tuple[Any, ...]]]:
    """The records of these items with their item's external id, by item id."""
    if not item_ids:
        return {}
    return {r.item_id: r for r in conn.execute(_RECORDS, {"items": sorted(set(item_ids))})}
