"""The workforce: policies, members, pools, invitations, flags, pay and billing."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from datafab.statuses import FlagStatus, Qualification, Standing
from datafab.store.tables.base import Id, Json, Money, id_column, metadata, ref, status_check

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
    status_check("standing", Standing),
    Column("qualification", String(16), nullable=False, server_default="none"),
    status_check("qualification", Qualification),
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
    id_column(),
    ref("organization_id", "organizations", index=True),
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
    id_column(),
    ref("project_id", "projects"),
    ref("contributor_id", "contributors"),
    Column("kind", String(32), nullable=False),
    Column("detail", Json, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    status_check("status", FlagStatus),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("project_id", "contributor_id", "kind"),
)


payouts = Table(
    "payouts",
    metadata,
    id_column(),
    ref("contributor_id", "contributors", index=True),
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
    id_column(),
    ref("contributor_id", "contributors"),
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
    id_column(),
    ref("organization_id", "organizations", index=True),
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
    id_column(),
    ref("organization_id", "organizations"),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="SET NULL")),
    Column("kind", String(16), nullable=False),
    Column("quantity", Money, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("invoice_id", Id, ForeignKey("invoices.id", ondelete="SET NULL")),
    Index("ix_usage_events_organization_id_created_at", "organization_id", "created_at"),
)
