"""Sessions, site keys, idempotency, the audit log, clearances and the access log."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from datafab.statuses import IdempotencyStatus
from datafab.store.tables.base import Id, Json, id_column, metadata, status_check

# Keys the site makes for itself and may keep in the database (contributor pseudonyms). The
# keys that must not travel with a copy of the database (session signing, the data key) live
# in the environment or in a key file beside it, never here.
site_keys = Table(
    "site_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("secret", String(200), nullable=False),
    Column("created_at", Double, nullable=False),
)


# Signed-in browser sessions: the cookie carries a random id, the database only its SHA-256
# digest. Logging out (or a removal) ends the row, so a copied cookie stops working at once.
web_sessions = Table(
    "web_sessions",
    metadata,
    id_column(),
    Column("id_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("subject", BigInteger, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False, index=True),
    Column("ended_at", Double),
)


# Idempotency keys: one row per (caller, key) — the request's fingerprint and, once it has
# finished, the response to replay. ``locked_until`` bounds how long an unfinished request
# (say, one whose server died) keeps its key busy. Rows live 24 hours.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    id_column(),
    Column("scope", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    status_check("status", IdempotencyStatus),
    Column("locked_until", Double, nullable=False),
    Column("response_status", Integer),
    Column("response_type", String(200)),
    Column("response_body", LargeBinary),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("scope", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)


# Who changed what: requesters' and operators' changes (project settings, key creation and
# revocation, contributor removals, exports). Written by services.audit.record; read-only.
audit_log = Table(
    "audit_log",
    metadata,
    id_column(),
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE")),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("details", Json),
    Column("created_at", Double, nullable=False),
    Index("ix_audit_log_organization_id_id", "organization_id", "id"),
)


# Who was shown which items: one row per (event, item) for leases and workbench pages, one
# row per export (item_id empty: the project's records). Written in the transaction that
# hands the items out; read per project newest first, by contributor or item; swept by age.
contributor_clearances = Table(
    "contributor_clearances",
    metadata,
    Column("contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"),
           primary_key=True),
    Column("level", String(16), nullable=False),
    Column("until", Double),
    Column("granted_at", Double, nullable=False),
    Column("granted_by", String(200), nullable=False),
)


access_log = Table(
    "access_log",
    metadata,
    id_column(),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("item_id", Id),
    Column("contributor_id", Id),
    Column("actor", String(200)),
    Column("address", String(64), nullable=False),
    Column("at", Double, nullable=False),
    Index("ix_access_log_project_id_id", "project_id", "id"),
    Index("ix_access_log_project_id_contributor_id_id", "project_id", "contributor_id", "id"),
    Index("ix_access_log_project_id_item_id_id", "project_id", "item_id", "id"),
    Index("ix_access_log_at", "at"),
)
