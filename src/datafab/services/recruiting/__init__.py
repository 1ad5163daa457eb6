"""Recruitment: campaigns (``campaigns``), applying with a questionnaire and an automatically
scored screening test of gold items (``applying``), credentials reviewed by operators that
verify a skill (``credentials``), and the funnel per campaign and source (``funnel``)."""

from enum import StrEnum

from datafab.statuses import CredentialStatus


class Stage(StrEnum):
    APPLIED = "applied"
    SCREENED = "screened"
    CREDENTIAL_CHECKED = "credential_checked"
    QUALIFIED = "qualified"
    ACTIVE = "active"
    RETAINED = "retained"  # still active 30 days after becoming active


__all__ = ["CredentialStatus", "Stage"]
