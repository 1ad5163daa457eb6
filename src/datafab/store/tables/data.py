"""An organization's data: ingest keys and policies, kept originals, media, customer primitives,
curation runs and applied plans."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from datafab.statuses import CurationRunStatus
from datafab.store.tables.base import Id, Json, id_column, metadata, ref, status_check

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
    id_column(),
    ref("project_id", "projects", index=True),
    Column("report", Json, nullable=False),
    Column("created_at", Double, nullable=False),
)


# The text of an item before redaction, encrypted with its organization's data key; only
# written when the organization keeps originals.
item_originals = Table(
    "item_originals",
    metadata,
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    ref("organization_id", "organizations"),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", Double, nullable=False),
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


# Customer primitives: an organization's own kinds of work, one row per version of a
# definition (stored as checked, JSON). Never shared: every query names the organization.
primitive_definitions = Table(
    "primitive_definitions",
    metadata,
    id_column(),
    ref("organization_id", "organizations"),
    Column("name", String(24), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Json, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("organization_id", "name", "version"),
)


# An audit or a selection of a project, run as a job: its progress and, once done, its result.
curation_runs = Table(
    "curation_runs",
    metadata,
    id_column(),
    ref("project_id", "projects", index=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    status_check("status", CurationRunStatus),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("result", Json),
    Column("error", Text),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)


# An applied budget plan: the policy it set and what it predicted, so the dashboard can put
# the accuracy the records reach next to the prediction.
project_plans = Table(
    "project_plans",
    metadata,
    id_column(),
    ref("project_id", "projects", index=True),
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
