"""The idempotency-key SQL: claim a key atomically, read it, take over a stale one, store the
response, forget old keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from datafab.statuses import IdempotencyStatus
from datafab.store.tables import idempotency_keys as keys

WITHHELD = IdempotencyStatus.WITHHELD  # its response showed a secret: only the status is kept


def claim(conn: Connection, *, scope: str, key: str, fingerprint: str, now: float,
          locked_until: float) -> int | None:
    """A new in-flight row for (scope, key); ``None`` when the key is already there."""
    values = dict(scope=scope, key=key, fingerprint=fingerprint, status=IdempotencyStatus.IN_FLIGHT,
                  locked_until=locked_until, created_at=now)
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        # SQLite's INSERT has PostgreSQL's on_conflict_do_nothing, but no common typed base.
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = (dialect_insert(keys).values(**values)
            .on_conflict_do_nothing(index_elements=["scope", "key"]).returning(keys.c.id))
    return conn.execute(stmt).scalar_one_or_none()


def get(conn: Connection, *, scope: str, key: str) -> Any:
    return conn.execute(select(keys).where(keys.c.scope == scope, keys.c.key == key)).first()


def take_over(conn: Connection, row_id: int, *, fingerprint: str, now: float,
              locked_until: float, expired_before: float) -> bool:
    """Reuse a key whose row has expired, or whose request stopped without finishing (its
    lock ran out): one atomic statement, so two retries never both win."""
    done = conn.execute(
        update(keys)
        .where(keys.c.id == row_id,
               or_(keys.c.created_at < expired_before,
                   (keys.c.status == "in_flight") & (keys.c.locked_until < now)))
        .values(fingerprint=fingerprint, status=IdempotencyStatus.IN_FLIGHT,
                locked_until=locked_until, response_status=None, response_type=None,
                response_body=None, created_at=now)
        .returning(keys.c.id)
    ).first()
    return done is not None


def finish(conn: Connection, row_id: int, *, status: int, content_type: str | None,
           body: bytes) -> None:
    conn.execute(
        update(keys).where(keys.c.id == row_id)
        .values(status=IdempotencyStatus.DONE, response_status=status, response_type=content_type,
                response_body=body)
    )


def extend(conn: Connection, row_id: int, *, locked_until: float) -> None:
    """A running request's heartbeat: keep its key busy a while longer."""
    conn.execute(update(keys).where(keys.c.id == row_id, keys.c.status == "in_flight")
                 .values(locked_until=locked_until))


def withhold(conn: Connection, row_id: int, *, status: int) -> None:
    conn.execute(
        update(keys).where(keys.c.id == row_id)
        .values(status=WITHHELD, response_status=status, response_type=None, response_body=None)
    )


def drop(conn: Connection, row_id: int) -> None:
    conn.execute(delete(keys).where(keys.c.id == row_id, keys.c.status == "in_flight"))


def purge(conn: Connection, *, before: float) -> int:
    return conn.execute(delete(keys).where(keys.c.created_at < before)).rowcount
