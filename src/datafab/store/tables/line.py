"""The line: organizations and their keys, contributors, projects and guidelines, items, leases,
submissions, records and the quality engine's state."""

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

from datafab.statuses import (
    STAGED_PREFIX,
    ContributorStatus,
    FlagStatus,
    ItemStatus,
    LeaseStatus,
    ProjectStatus,
)
from datafab.store.tables.base import Id, Json, Money, id_column, metadata, ref, status_check

organizations = Table(
    "organizations",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("created_at", Double, nullable=False),
)


api_keys = Table(
    "api_keys",
    metadata,
    id_column(),
    ref("organization_id", "organizations", index=True),
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
    id_column(),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False, server_default="human"),
    Column("skills", Json, nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    status_check("status", ContributorStatus),
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
    id_column(),
    ref("organization_id", "organizations"),
    Column("name", String(200), nullable=False),
    Column("primitive", String(32), nullable=False),
    Column("settings", Json, nullable=False),
    Column("policy", Json, nullable=False),
    Column("required_skills", Json, nullable=False),
    Column("guideline_version", Integer, nullable=False, server_default="1"),
    Column("status", String(16), nullable=False, server_default="active"),
    status_check("status", ProjectStatus),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    UniqueConstraint("organization_id", "name"),
)


guidelines = Table(
    "guidelines",
    metadata,
    id_column(),
    ref("project_id", "projects"),
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
    id_column(),
    ref("project_id", "projects"),
    Column("external_id", String(200), nullable=False),
    Column("data", Json, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, server_default="open"),
    status_check("status", ItemStatus, prefix=STAGED_PREFIX),
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
    id_column(),
    ref("project_id", "projects"),
    ref("item_id", "items"),
    ref("contributor_id", "contributors", index=True),
    Column("status", String(16), nullable=False, server_default="active"),
    status_check("status", LeaseStatus),
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
    id_column(),
    Column("lease_id", Id, ForeignKey("leases.id", ondelete="CASCADE"), unique=True),
    ref("project_id", "projects"),
    ref("item_id", "items", index=True),
    ref("contributor_id", "contributors", index=True),
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
    id_column(),
    ref("project_id", "projects"),
    ref("item_id", "items", unique=True),
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

# Open items that have labels: the ones a submit rescores (services.quality.rescore_open),
# few at any time however large the project.
Index(
    "ix_items_open_labelled",
    items.c.project_id,
    items.c.id,
    sqlite_where=text("status = 'open' AND n_labels > 0"),
    postgresql_where=text("status = 'open' AND n_labels > 0"),
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
    id_column(),
    ref("project_id", "projects"),
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
    id_column(),
    ref("project_id", "projects"),
    ref("item_id", "items", index=True),
    ref("contributor_id", "contributors"),
    Column("reason", String(32), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="open"),
    status_check("status", FlagStatus),
    Column("created_at", Double, nullable=False),
    Column("resolved_at", Double),
    Index("ix_item_flags_status_id", "status", "id"),
)
