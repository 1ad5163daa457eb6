"""Datafab's tables (SQLAlchemy Core). One ``MetaData``; Alembic migrations build the same schema.

Times are UNIX seconds (float) so that deadlines compare the same way on SQLite and
PostgreSQL; the API renders them as ISO 8601. Ids are integers; another organization's id
answers 404, so they leak nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
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


def _id() -> Column:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _ref(name: str, target: str, **kw) -> Column:
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
    Column("created_at", Double, nullable=False),
    UniqueConstraint("item_id", "contributor_id"),
    Index(
        "ix_leases_live_deadline",
        "expires_at",
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
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

# Keys the web pages sign session cookies with when DATAFAB_SESSION_SECRET is unset: made on
# first use and shared by every process on the database.
site_keys = Table(
    "site_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("secret", String(200), nullable=False),
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
