"""Webhooks (secrets, endpoints, events, deliveries) and the Scale-compatible API's objects."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from datafab.statuses import BatchStatus, DeliveryStatus
from datafab.store.tables.base import Id, Json, id_column, metadata, ref, status_check

# Webhooks. An organization registers endpoints (URLs); every event is written to the outbox
# (webhook_events) in the same transaction as the change that caused it, with one delivery
# row per target (a registered endpoint, or a one-off URL such as a task's callback). The
# deliverer claims due deliveries, oldest first and one at a time per (target, subject), so
# events about one item arrive in order. Each organization signs with its own secret.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("secret", String(200), nullable=False),
    Column("created_at", Double, nullable=False),
)


webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    id_column(),
    ref("organization_id", "organizations", index=True),
    Column("url", String(2000), nullable=False),
    Column("events", Json),  # None: every event type
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", Double, nullable=False),
)


webhook_events = Table(
    "webhook_events",
    metadata,
    id_column(),
    ref("organization_id", "organizations"),
    Column("type", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("payload", Json, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_webhook_events_organization_id_id", "organization_id", "id"),
)


webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    id_column(),
    ref("event_id", "webhook_events", index=True),
    ref("organization_id", "organizations"),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id", ondelete="SET NULL")),
    Column("url", String(2000), nullable=False),
    Column("target", String(2100), nullable=False),  # endpoint:<id> or the URL: orders a chain
    Column("subject", String(200), nullable=False),
    Column("body", Text),  # a fixed body (a task callback); None: the event's JSON
    Column("status", String(16), nullable=False, server_default="pending"),
    status_check("status", DeliveryStatus),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Double, nullable=False),
    Column("locked_until", Double),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", Double, nullable=False),
    Column("delivered_at", Double),
    Index("ix_webhook_deliveries_organization_id_id", "organization_id", "id"),
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index(
        "ix_webhook_deliveries_chain",
        "target",
        "subject",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    # the claim's walk through one organization's pending deliveries (not its history)
    Index(
        "ix_webhook_deliveries_pending_org",
        "organization_id",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)


# The Scale-compatible task API (/compat/scale/v1) keeps only what Datafab's own model has no
# place for: a Scale project's name, type and parameter history (it maps onto one Datafab
# project, made at its first task), batches, and per task its Scale id, unique_id, callback
# URL and the parameters as sent. The work itself is Datafab items, leases and records.
scale_projects = Table(
    "scale_projects",
    metadata,
    id_column(),
    ref("organization_id", "organizations"),
    Column("name", String(200), nullable=False),
    Column("type", String(64), nullable=False),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="SET NULL")),
    Column("param_history", Json, nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)


scale_batches = Table(
    "scale_batches",
    metadata,
    id_column(),
    ref("organization_id", "organizations"),
    ref("scale_project_id", "scale_projects"),
    Column("name", String(200), nullable=False),
    Column("callback", String(2000)),
    Column("metadata", Json, nullable=False),
    Column("status", String(16), nullable=False, server_default="staging"),
    status_check("status", BatchStatus),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)


scale_tasks = Table(
    "scale_tasks",
    metadata,
    id_column(),
    Column("task_id", String(32), nullable=False, unique=True),
    ref("organization_id", "organizations"),
    ref("scale_project_id", "scale_projects", index=True),
    Column("batch_id", Id, ForeignKey("scale_batches.id", ondelete="SET NULL"), index=True),
    ref("item_id", "items", unique=True),
    Column("type", String(64), nullable=False),
    Column("unique_id", String(200)),
    Column("callback_url", String(2000)),
    Column("params", Json, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("canceled_at", Double),
    Column("audit", Json),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("organization_id", "unique_id"),
    Index("ix_scale_tasks_organization_id_id", "organization_id", "id"),
)
