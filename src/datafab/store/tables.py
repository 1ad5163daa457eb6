"""Datafab's tables (SQLAlchemy Core). One ``MetaData``; Alembic migrations build the same schema.

Times are UNIX seconds (float) so that deadlines compare the same way on SQLite and
PostgreSQL; the API renders them as ISO 8601. Ids are integers; another organization's id
answers 404, so they leak nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite aliases INTEGER PRIMARY KEY to rowid
Json = JSON().with_variant(JSONB(), "postgresql")
Money = BigInteger().with_variant(Integer(), "sqlite")  # integer minor units, never floats


def _id() -> Column[Any]:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _ref(name: str, target: str, **kw: Any) -> Column[Any]:
    return Column(name, Id, ForeignKey(f"{target}.id", ondelete="CASCADE"), nullable=False, **kw)


organizations = Table(
    "organizations",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("created_at", Double, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    _ref("organization_id", "organizations", index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Double, nullable=False),
    Column("last_used_at", Double),
    Column("revoked_at", Double),
)

contributors = Table(
    "contributors",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False, server_default="human"),
    Column("skills", Json, nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("token_prefix", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Double, nullable=False),
    # Browser sign-in (web): contributors made by the CLI have neither and use their token.
    Column("email", String(320), unique=True),
    Column("password_hash", String(200)),
    # Self-declared levels of the skills above: {"fr": {"kind": "language", "level": "native"}}.
    Column("skill_levels", Json),
)

projects = Table(
    "projects",
    metadata,
    _id(),
    _ref("organization_id", "organizations"),
    Column("name", String(200), nullable=False),
    Column("primitive", String(32), nullable=False),
    Column("settings", Json, nullable=False),
    Column("policy", Json, nullable=False),
    Column("required_skills", Json, nullable=False),
    Column("guideline_version", Integer, nullable=False, server_default="1"),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)

guidelines = Table(
    "guidelines",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("project_id", "version"),
)

# An item is leasable while status = 'open' and slots > 0: slots is how many more leases it
# may hand out now (labels it still wants, less labels given, less live leases). Gold items
# (known answers, mixed into leases unannounced) have status 'gold' and no slots: every
# contributor may get each one once.
items = Table(
    "items",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    Column("external_id", String(200), nullable=False),
    Column("data", Json, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("slots", Integer, nullable=False),
    Column("n_labels", Integer, nullable=False, server_default="0"),
    Column("n_live", Integer, nullable=False, server_default="0"),
    Column("gold_answer", Json),
    Column("prior_answer", Json),
    Column("meta", Json),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("project_id", "external_id"),
    Index(
        "ix_items_leasable",
        "project_id",
        text("priority DESC"),
        "id",
        sqlite_where=text("status = 'open' AND slots > 0"),
        postgresql_where=text("status = 'open' AND slots > 0"),
    ),
)

leases = Table(
    "leases",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    _ref("item_id", "items"),
    _ref("contributor_id", "contributors", index=True),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("expires_at", Double, nullable=False),
    # The database's clock, read after the claim locked its item; ``ended_at`` likewise when
    # the lease stopped being live (submitted, released or expired). Deadlines use the
    # server's clock (``expires_at``); these two order a lease among its item's other leases.
    Column("created_at", Double, nullable=False),
    Column("ended_at", Double),
    # What the lease holds of its project's budget (the price of the work it may produce);
    # a project's reservations are the sum over its live leases, so one ends with its lease.
    Column("reserved_minor", Money, nullable=False, server_default="0"),
    UniqueConstraint("item_id", "contributor_id"),
    Index(
        "ix_leases_live_deadline",
        "expires_at",
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
    Index(  # only leases of budgeted projects: the rest of the line pays nothing for it
        "ix_leases_live_reserved",
        "project_id",
        "reserved_minor",
        sqlite_where=text("status = 'active' AND reserved_minor > 0"),
        postgresql_where=text("status = 'active' AND reserved_minor > 0"),
    ),
)

submissions = Table(
    "submissions",
    metadata,
    _id(),
    Column("lease_id", Id, ForeignKey("leases.id", ondelete="CASCADE"), unique=True),
    _ref("project_id", "projects"),
    _ref("item_id", "items", index=True),
    _ref("contributor_id", "contributors", index=True),
    Column("answer", Json, nullable=False),
    Column("seconds_spent", Double),
    Column("guideline_version", Integer, nullable=False),
    Column("draft", Json),
    Column("counted", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", Double, nullable=False),
    # A model's stated (calibrated) confidence, and what the line did with its answer:
    # accepted (the record, no person), audit / people (the item went on to people).
    Column("confidence", Double),
    Column("route", String(16)),
    Index("ix_submissions_project_id_id", "project_id", "id"),
)

records = Table(
    "records",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    _ref("item_id", "items", unique=True),
    Column("answer", Json),
    Column("confidence", Double, nullable=False),
    Column("method", String(32), nullable=False),
    Column("n_submissions", Integer, nullable=False),
    Column("details", Json),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    Index("ix_records_project_id_id", "project_id", "id"),
)

# The quality engine's state per project: the last full fit (class prior, method, how many
# labels it saw) and each contributor's evidence (expected confusion counts, gold results).
project_fits = Table(
    "project_fits",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("method", String(32), nullable=False),
    Column("class_prior", Json, nullable=False),
    Column("n_labels", Integer, nullable=False),
    Column("fitted_at", Double, nullable=False),
)

contributor_skills = Table(
    "contributor_skills",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("counts", Json, nullable=False),
    Column("n_labels", Integer, nullable=False, server_default="0"),
    Column("gold_seen", Integer, nullable=False, server_default="0"),
    Column("gold_correct", Integer, nullable=False, server_default="0"),
    Column("updated_at", Double, nullable=False),
)

Index(
    "ix_items_gold",
    items.c.project_id,
    sqlite_where=text("status = 'gold'"),
    postgresql_where=text("status = 'gold'"),
)

# Items waiting for a model's answer (status 'model') before people get them.
Index(
    "ix_items_model_stage",
    items.c.project_id,
    items.c.id,
    sqlite_where=text("status = 'model'"),
    postgresql_where=text("status = 'model'"),
)

# What the models cost: one row per model call (or per answer, for a worker that reports its
# retries together), with tokens and price. ``outcome``: answered, malformed, failed, candidate.
model_usage = Table(
    "model_usage",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    Column("contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE")),
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE")),
    Column("model", String(200), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("calls", Integer, nullable=False, server_default="1"),
    Column("prompt_tokens", Integer, nullable=False, server_default="0"),
    Column("completion_tokens", Integer, nullable=False, server_default="0"),
    Column("cost", Double, nullable=False, server_default="0"),
    Column("seconds", Double, nullable=False, server_default="0"),
    Column("created_at", Double, nullable=False),
    Index("ix_model_usage_project_id_created_at", "project_id", "created_at"),
)

# A model's answers on gold by stated confidence (bins of width 1/CONFIDENCE_BINS): how often
# it is right when it says it is this sure. Routing reads it; the effort report shows it.
model_calibration = Table(
    "model_calibration",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("bin", Integer, primary_key=True, autoincrement=False),
    Column("seen", Integer, nullable=False, server_default="0"),
    Column("correct", Integer, nullable=False, server_default="0"),
    Column("confidence_sum", Double, nullable=False, server_default="0"),
    Column("updated_at", Double, nullable=False),
)

# A contributor's report that an item is broken, unclear or harmful, raised from the workbench.
item_flags = Table(
    "item_flags",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    _ref("item_id", "items", index=True),
    _ref("contributor_id", "contributors"),
    Column("reason", String(32), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", Double, nullable=False),
    Column("resolved_at", Double),
    Index("ix_item_flags_status_id", "status", "id"),
)

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
    _id(),
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
    _id(),
    Column("scope", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
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
    _id(),
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
    _id(),
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
    _id(),
    _ref("organization_id", "organizations", index=True),
    Column("url", String(2000), nullable=False),
    Column("events", Json),  # None: every event type
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", Double, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    _id(),
    _ref("organization_id", "organizations"),
    Column("type", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("payload", Json, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_webhook_events_organization_id_id", "organization_id", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    _id(),
    _ref("event_id", "webhook_events", index=True),
    _ref("organization_id", "organizations"),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id", ondelete="SET NULL")),
    Column("url", String(2000), nullable=False),
    Column("target", String(2100), nullable=False),  # endpoint:<id> or the URL: orders a chain
    Column("subject", String(200), nullable=False),
    Column("body", Text),  # a fixed body (a task callback); None: the event's JSON
    Column("status", String(16), nullable=False, server_default="pending"),
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
    _id(),
    _ref("organization_id", "organizations"),
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
    _id(),
    _ref("organization_id", "organizations"),
    _ref("scale_project_id", "scale_projects"),
    Column("name", String(200), nullable=False),
    Column("callback", String(2000)),
    Column("metadata", Json, nullable=False),
    Column("status", String(16), nullable=False, server_default="staging"),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)

scale_tasks = Table(
    "scale_tasks",
    metadata,
    _id(),
    Column("task_id", String(32), nullable=False, unique=True),
    _ref("organization_id", "organizations"),
    _ref("scale_project_id", "scale_projects", index=True),
    Column("batch_id", Id, ForeignKey("scale_batches.id", ondelete="SET NULL"), index=True),
    _ref("item_id", "items", unique=True),
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


# -- workforce: matching, qualification, performance, pay and billing ---------------------------

# A project's workforce policy (requirements, qualification, performance bar, pay rates) and
# its budget; ``spent_minor`` is the metered cost so far, read by every lease of the project.
# What live leases hold of the budget is on the leases (``leases.reserved_minor``).
workforce_policies = Table(
    "workforce_policies",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("policy", Json, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("budget_minor", Money),
    Column("spent_minor", Money, nullable=False, server_default="0"),
    Column("updated_at", Double, nullable=False),
)

# A contributor's standing in one project: qualification, probation or removal, and how many
# of its items they took (the fair-spread cap).
project_members = Table(
    "project_members",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("standing", String(16), nullable=False, server_default="active"),
    Column("qualification", String(16), nullable=False, server_default="none"),
    Column("qual_version", Integer, nullable=False, server_default="0"),
    Column("qual_seen", Integer, nullable=False, server_default="0"),
    Column("qual_correct", Integer, nullable=False, server_default="0"),
    Column("n_taken", Integer, nullable=False, server_default="0"),
    Column("probation_gold", Integer),
    Column("reason", Text),
    Column("updated_at", Double, nullable=False),
)

# An organization's own pool of contributors: a project whose workforce policy says
# ``"pool": "private"`` is open to these members only.
workforce_members = Table(
    "workforce_members",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"),
           primary_key=True, index=True),
    Column("admitted_at", Double, nullable=False),
    Column("admitted_by", String(200), nullable=False),
)

# Invitation codes into an organization's pool; only the code's hash is kept.
workforce_invitations = Table(
    "workforce_invitations",
    metadata,
    _id(),
    _ref("organization_id", "organizations", index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(32), nullable=False),
    Column("uses_left", Integer, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("created_at", Double, nullable=False),
)

# Signals of bad work for operators: too fast, straight-lining, copy-pasted text.
contributor_flags = Table(
    "contributor_flags",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    _ref("contributor_id", "contributors"),
    Column("kind", String(32), nullable=False),
    Column("detail", Json, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("project_id", "contributor_id", "kind"),
)

payouts = Table(
    "payouts",
    metadata,
    _id(),
    _ref("contributor_id", "contributors", index=True),
    Column("currency", String(3), nullable=False),
    Column("period_start", Double, nullable=False),
    Column("period_end", Double, nullable=False),
    Column("amount_minor", Money, nullable=False),
    Column("n_entries", Integer, nullable=False),
    Column("created_at", Double, nullable=False),
)

# The ledger of earnings: one entry per paid submission, per bonus, per reversal.
earnings = Table(
    "earnings",
    metadata,
    _id(),
    _ref("contributor_id", "contributors"),
    # None once the project is erased: the pay ledger keeps the amount.
    Column("project_id", Id, ForeignKey("projects.id", ondelete="SET NULL")),
    Column("submission_id", Id, ForeignKey("submissions.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("payout_id", Id, ForeignKey("payouts.id", ondelete="SET NULL")),
    Index("ix_earnings_contributor_id_created_at", "contributor_id", "created_at"),
)

price_sheets = Table(
    "price_sheets",
    metadata,
    Column(
        "organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("currency", String(3), nullable=False),
    Column("prices", Json, nullable=False),
    Column("updated_at", Double, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    _id(),
    _ref("organization_id", "organizations", index=True),
    Column("period_start", Double, nullable=False),
    Column("period_end", Double, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lines", Json, nullable=False),
    Column("total_minor", Money, nullable=False),
    Column("created_at", Double, nullable=False),
)

# Metered usage: an event per completed task, per model call (tokens), per export.
usage_events = Table(
    "usage_events",
    metadata,
    _id(),
    _ref("organization_id", "organizations"),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),
    Column("quantity", Money, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("invoice_id", Id, ForeignKey("invoices.id", ondelete="SET NULL")),
    Index("ix_usage_events_organization_id_created_at", "organization_id", "created_at"),
)


# -- evaluations --------------------------------------------------------------------------------
# Eval sets are held out: their items live here, never in ``items`` of a production project
# (uploads carrying an eval prompt are refused, exports drop rows that carry one). Only the
# grading projects evals make for people (``eval_projects``) hold eval prompts as items.
eval_sets = Table(
    "eval_sets",
    metadata,
    _id(),
    _ref("organization_id", "organizations"),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)

eval_items = Table(
    "eval_items",
    metadata,
    _id(),
    _ref("eval_set_id", "eval_sets"),
    Column("organization_id", Id, nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("prompt", Json, nullable=False),
    Column("reference", Json, nullable=False),
    Column("slices", Json, nullable=False),
    # sha256 of the prompt's normalised text: the contamination guard looks it up.
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("eval_set_id", "external_id"),
    Index("ix_eval_items_organization_id_fingerprint", "organization_id", "fingerprint"),
)

eval_runs = Table(
    "eval_runs",
    metadata,
    _id(),
    _ref("eval_set_id", "eval_sets"),
    Column("name", String(200), nullable=False),
    Column("model", String(200), nullable=False),
    Column("backend", String(64), nullable=False),
    Column("params", Json, nullable=False),
    Column("created_at", Double, nullable=False),
    # Runs of one family are versions of one model; NULL: the family is the model's name.
    Column("family", String(200)),
    UniqueConstraint("eval_set_id", "name"),
)

# The data projects a run's model was trained on (what the dataset-value table credits).
eval_run_data = Table(
    "eval_run_data",
    metadata,
    Column("run_id", Id, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

# One response per (run, item): a crashed run resumes with the items that have none.
eval_responses = Table(
    "eval_responses",
    metadata,
    _id(),
    _ref("run_id", "eval_runs"),
    _ref("item_id", "eval_items", index=True),
    Column("text", Text, nullable=False),
    Column("params", Json, nullable=False),
    Column("latency", Double, nullable=False, server_default="0"),
    Column("prompt_tokens", Integer, nullable=False, server_default="0"),
    Column("completion_tokens", Integer, nullable=False, server_default="0"),
    Column("cost", Double, nullable=False, server_default="0"),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("run_id", "item_id"),
)

# A score in [0, 1] for a response from one source: ``auto`` (a checkable answer) or
# ``judge:<model>``. People's grades and comparisons live in their grading projects' records.
eval_grades = Table(
    "eval_grades",
    metadata,
    _id(),
    _ref("response_id", "eval_responses"),
    Column("source", String(250), nullable=False),
    Column("score", Double, nullable=False),
    Column("details", Json),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("response_id", "source"),
)

# Projects made by evals: people's grading (``grade``, ``compare``: hold eval prompts, never
# exported) and the data projects ordered from a gap report (``data``).
eval_projects = Table(
    "eval_projects",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    _ref("eval_set_id", "eval_sets", index=True),
    Column("purpose", String(16), nullable=False),
    Column("run_id", Id, ForeignKey("eval_runs.id", ondelete="CASCADE")),
    Column("slice", String(400)),
    Column("skills", Json, nullable=False),
    Column("created_at", Double, nullable=False),
)


# Ingest (an organization's own files become items). Each organization's keys: the HMAC key
# of its pseudonyms and the key its kept originals are encrypted with, both stored encrypted
# under the site's data key; whether it keeps originals at all (off unless it opts in).
organization_keys = Table(
    "organization_keys",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("pseudonym_key", Text, nullable=False),
    Column("data_key", Text, nullable=False),
    Column("keep_originals", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", Double, nullable=False),
)

# A project's rule for personal data in what it ingests: redact (default) or not, and how.
ingest_policies = Table(
    "ingest_policies",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("redact", Boolean, nullable=False, server_default=text("true")),
    Column("replacement", String(16), nullable=False, server_default="tag"),
    Column("updated_at", Double, nullable=False),
)

# One ingest: what it read, made, dropped (and why) and the files it could not read.
ingest_runs = Table(
    "ingest_runs",
    metadata,
    _id(),
    _ref("project_id", "projects", index=True),
    Column("report", Json, nullable=False),
    Column("created_at", Double, nullable=False),
)

# An audit or a selection of a project, run as a job: its progress and, once done, its result.
curation_runs = Table(
    "curation_runs",
    metadata,
    _id(),
    _ref("project_id", "projects", index=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("result", Json),
    Column("error", Text),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

# The text of an item before redaction, encrypted with its organization's data key; only
# written when the organization keeps originals.
item_originals = Table(
    "item_originals",
    metadata,
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    _ref("organization_id", "organizations"),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

# An applied budget plan: the policy it set and what it predicted, so the dashboard can put
# the accuracy the records reach next to the prediction.
project_plans = Table(
    "project_plans",
    metadata,
    _id(),
    _ref("project_id", "projects", index=True),
    Column("budget", Double, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("policy", Json, nullable=False),
    Column("predicted", Double, nullable=False),
    Column("low", Double, nullable=False),
    Column("high", Double, nullable=False),
    Column("labels_per_record", Double, nullable=False),
    Column("cost", Double, nullable=False),
    Column("records", Integer, nullable=False),
    Column("frontier", Json, nullable=False),
    Column("labels_seen", Integer, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("applied_at", Double, nullable=False),
)

# Customer primitives: an organization's own kinds of work, one row per version of a
# definition (stored as checked, JSON). Never shared: every query names the organization.
primitive_definitions = Table(
    "primitive_definitions",
    metadata,
    _id(),
    _ref("organization_id", "organizations"),
    Column("name", String(24), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Json, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("organization_id", "name", "version"),
)

# A guideline version's changelog, and whether contributors who worked under an earlier
# version must acknowledge it (optionally after a quiz of ``quiz_items`` gold items).
guideline_changes = Table(
    "guideline_changes",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("changelog", Text, nullable=False),
    Column("requires_ack", Boolean, nullable=False, server_default=text("false")),
    Column("quiz_items", Integer, nullable=False, server_default="0"),
    Column("created_at", Double, nullable=False),
)

# A contributor's acknowledgement of a guideline version (with the quiz score, if any).
guideline_acks = Table(
    "guideline_acks",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("version", Integer, primary_key=True),
    Column("quiz_seen", Integer, nullable=False, server_default="0"),
    Column("quiz_correct", Integer, nullable=False, server_default="0"),
    Column("acknowledged_at", Double, nullable=False),
)

# A contributor's dispute of a gold verdict on one of their own answers; an operator upholds
# it (the gold answer was wrong and is corrected) or rejects it, with a reason.
gold_disputes = Table(
    "gold_disputes",
    metadata,
    _id(),
    _ref("project_id", "projects", index=True),
    _ref("item_id", "items"),
    Column("submission_id", Id, ForeignKey("submissions.id", ondelete="CASCADE"),
           nullable=False, unique=True),
    _ref("contributor_id", "contributors", index=True),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("resolution", Text),
    Column("corrected_answer", Json),
    Column("resolved_by", String(200)),
    Column("resolved_at", Double),
    Column("created_at", Double, nullable=False),
)

# Messages between the foundry and contributors: announcements to a project's contributors,
# a contributor's question on an item and its answer (which may join the guidelines' FAQ),
# and notices to one contributor (a dispute's outcome).
messages = Table(
    "messages",
    metadata,
    _id(),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), index=True),
    Column("kind", String(16), nullable=False),
    Column("sender", String(200), nullable=False),
    Column("sender_contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE")),
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE")),
    Column("parent_id", Id, ForeignKey("messages.id", ondelete="CASCADE")),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("in_faq", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", Double, nullable=False),
)

# One message in one contributor's inbox; ``emailed_at`` once it went out by e-mail.
inbox_entries = Table(
    "inbox_entries",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contributor_id", Id, ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("read_at", Double),
    Column("emailed_at", Double),
    Index("ix_inbox_entries_contributor_id", "contributor_id"),
)
# Media: image files uploaded to a project, stored content-addressed on disk (by SHA-256)
# under DATAFAB_MEDIA_DIR; a row per project says the project may show it, and its size.
media = Table(
    "media",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("media_id", String(64), primary_key=True),
    Column("content_type", String(64), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Double, nullable=False),
)


# A recruitment campaign: skills wanted, a questionnaire, a screening test of gold items per
# skill (drawn from a project's gold), and a referral code (public: it names the source).
recruit_campaigns = Table(
    "recruit_campaigns",
    metadata,
    _id(),
    Column("name", String(200), nullable=False, unique=True),
    Column("spec", Json, nullable=False),
    Column("referral_code", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", Double, nullable=False),
)

# One person's application to a campaign, and when they passed each stage of the funnel
# that is kept here (the later stages are read from their work).
recruit_applications = Table(
    "recruit_applications",
    metadata,
    _id(),
    _ref("campaign_id", "recruit_campaigns"),
    _ref("contributor_id", "contributors", index=True),
    Column("source", String(64), nullable=False),
    Column("answers", Json, nullable=False),
    Column("screening_score", Double),
    Column("screened_at", Double),
    Column("credential_at", Double),
    Column("applied_at", Double, nullable=False),
    UniqueConstraint("campaign_id", "contributor_id"),
)

# A credential (a degree, a licence) a contributor uploads for a skill; an operator approves
# it (the skill is then verified) or rejects it with a reason.
credentials = Table(
    "credentials",
    metadata,
    _id(),
    _ref("contributor_id", "contributors", index=True),
    Column("skill", String(128), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("reason", Text),
    Column("reviewed_at", Double),
    Column("created_at", Double, nullable=False),
)
