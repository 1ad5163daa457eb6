"""Talking with contributors: guideline changes and acknowledgements, disputes, messages and
inboxes, recruitment."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from datafab.statuses import CampaignStatus, CredentialStatus, DisputeStatus
from datafab.store.tables.base import Id, Json, id_column, metadata, ref, status_check

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
    id_column(),
    ref("project_id", "projects", index=True),
    ref("item_id", "items"),
    Column("submission_id", Id, ForeignKey("submissions.id", ondelete="CASCADE"),
           nullable=False, unique=True),
    ref("contributor_id", "contributors", index=True),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    status_check("status", DisputeStatus),
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
    id_column(),
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


# A recruitment campaign: skills wanted, a questionnaire, a screening test of gold items per
# skill (drawn from a project's gold), and a referral code (public: it names the source).
recruit_campaigns = Table(
    "recruit_campaigns",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False, unique=True),
    Column("spec", Json, nullable=False),
    Column("referral_code", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default="open"),
    status_check("status", CampaignStatus),
    Column("created_at", Double, nullable=False),
)


# One person's application to a campaign, and when they passed each stage of the funnel
# that is kept here (the later stages are read from their work).
recruit_applications = Table(
    "recruit_applications",
    metadata,
    id_column(),
    ref("campaign_id", "recruit_campaigns"),
    ref("contributor_id", "contributors", index=True),
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
    id_column(),
    ref("contributor_id", "contributors", index=True),
    Column("skill", String(128), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    status_check("status", CredentialStatus),
    Column("reason", Text),
    Column("reviewed_at", Double),
    Column("created_at", Double, nullable=False),
)
