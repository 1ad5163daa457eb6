"""The statuses Datafab stores, one ``StrEnum`` per column concept. Each value is the exact
string kept in the database; a member compares equal to its string, so code that reads
``"open"`` keeps working. The tables build a CHECK constraint from each enum, so the database
refuses any other value.

Pure: the standard library only.
"""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    """``items.status``. An ingest also writes ``staged:<run>`` (``STAGED_PREFIX``) while a
    file is being read: never leased, made work (or dropped) when the file ends."""

    OPEN = "open"  # with people: leasable while it has slots
    GOLD = "gold"  # a known answer, mixed into leases unannounced
    MODEL = "model"  # waiting for a model's answer before people get it
    DONE = "done"  # its record is final
    CANCELED = "canceled"  # a Scale-compatible task canceled before it was done


STAGED_PREFIX = "staged:"


def staged(run_id: int | str) -> str:
    """The status of an ingest run's items while its file is read."""
    return f"{STAGED_PREFIX}{run_id}"


class LeaseStatus(StrEnum):
    """``leases.status``: live while ``active``, then how it ended."""

    ACTIVE = "active"
    SUBMITTED = "submitted"
    RELEASED = "released"
    EXPIRED = "expired"


class ProjectStatus(StrEnum):
    """``projects.status``: a paused project hands out no work."""

    ACTIVE = "active"
    PAUSED = "paused"


class ContributorStatus(StrEnum):
    """``contributors.status``: the contributor's standing across the foundry."""

    ACTIVE = "active"
    PROBATION = "probation"
    REMOVED = "removed"


class Standing(StrEnum):
    """``project_members.standing``: a contributor's standing in one project."""

    ACTIVE = "active"
    PROBATION = "probation"
    REMOVED = "removed"


class Qualification(StrEnum):
    """``project_members.qualification``: where a contributor is in a project's
    qualification."""

    NONE = "none"
    QUALIFYING = "qualifying"
    PASSED = "passed"
    FAILED = "failed"


class FlagStatus(StrEnum):
    """``item_flags.status`` and ``contributor_flags.status``: open until an operator
    resolves it."""

    OPEN = "open"
    RESOLVED = "resolved"


class IdempotencyStatus(StrEnum):
    """``idempotency_keys.status``."""

    IN_FLIGHT = "in_flight"  # the first request is still running
    DONE = "done"  # its response is kept to replay
    WITHHELD = "withheld"  # finished, but its response showed a secret: only the status is kept


class DeliveryStatus(StrEnum):
    """``webhook_deliveries.status`` (the outbox)."""

    PENDING = "pending"  # due, or waiting for its next attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # out of attempts
    DROPPED = "dropped"  # its endpoint went away before it was delivered


class BatchStatus(StrEnum):
    """``scale_batches.status`` (a batch reads ``completed`` once its tasks are, but that is
    computed, never stored)."""

    STAGING = "staging"
    IN_PROGRESS = "in_progress"


class CurationRunStatus(StrEnum):
    """``curation_runs.status``: an audit or selection run as a job."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DisputeStatus(StrEnum):
    """``gold_disputes.status``."""

    OPEN = "open"
    UPHELD = "upheld"  # the gold answer was wrong and is corrected
    REJECTED = "rejected"  # the gold answer stands


class CampaignStatus(StrEnum):
    """``recruit_campaigns.status``."""

    OPEN = "open"


class CredentialStatus(StrEnum):
    """``credentials.status``: an operator approves or rejects an uploaded credential."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
