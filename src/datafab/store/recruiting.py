"""Recruitment: campaigns, applications, credentials, and the reads the funnel needs from
an applicant's work (their first, tenth and latest answers on ordinary items, a passed
qualification)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from datafab.statuses import CampaignStatus, CredentialStatus
from datafab.store.tables import (
    contributors,
    credentials,
    items,
    project_members,
    recruit_applications,
    recruit_campaigns,
    submissions,
)


def add_campaign(conn: Connection, *, name: str, spec: dict[str, Any], code: str,
                 now: float) -> int:
    return int(conn.execute(insert(recruit_campaigns).values(
        name=name, spec=spec, referral_code=code, status=CampaignStatus.OPEN, created_at=now)
        .returning(recruit_campaigns.c.id)).scalar_one())


def campaign(conn: Connection, campaign_id: int) -> Row[Any] | None:
    return conn.execute(select(recruit_campaigns)
                        .where(recruit_campaigns.c.id == campaign_id)).first()


def campaign_by_code(conn: Connection, code: str) -> Row[Any] | None:
    return conn.execute(select(recruit_campaigns)
                        .where(recruit_campaigns.c.referral_code == code)).first()


def campaigns(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(recruit_campaigns).order_by(recruit_campaigns.c.id)))


def add_application(conn: Connection, *, campaign_id: int, contributor: int, source: str,
                    answers: list[str], now: float) -> int:
    return int(conn.execute(insert(recruit_applications).values(
        campaign_id=campaign_id, contributor_id=contributor, source=source, answers=answers,
        applied_at=now).returning(recruit_applications.c.id)).scalar_one())


def application(conn: Connection, campaign_id: int, contributor: int) -> Row[Any] | None:
    return conn.execute(select(recruit_applications).where(
        recruit_applications.c.campaign_id == campaign_id,
        recruit_applications.c.contributor_id == contributor)).first()


def applications(conn: Connection, campaign_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(recruit_applications).where(
        recruit_applications.c.campaign_id == campaign_id)
        .order_by(recruit_applications.c.id)))


def applications_of(conn: Connection, contributor: int) -> list[Row[Any]]:
    return list(conn.execute(select(recruit_applications, recruit_campaigns.c.spec)
                             .join(recruit_campaigns, recruit_campaigns.c.id
                                   == recruit_applications.c.campaign_id)
                             .where(recruit_applications.c.contributor_id == contributor)))


def set_screening(conn: Connection, application_id: int, score: float,
                  screened_at: float | None) -> None:
    conn.execute(update(recruit_applications).where(recruit_applications.c.id == application_id)
                 .values(screening_score=score, screened_at=screened_at))


def set_credential_checked(conn: Connection, application_id: int, now: float) -> None:
    conn.execute(update(recruit_applications).where(
        recruit_applications.c.id == application_id,
        recruit_applications.c.credential_at.is_(None)).values(credential_at=now))


def gold_ids(conn: Connection, project: int) -> list[int]:
    return list(conn.execute(select(items.c.id).where(
        items.c.project_id == project, items.c.status == "gold").order_by(items.c.id)
        .limit(1000)).scalars())


def gold_rows(conn: Connection, ids: list[int]) -> list[Row[Any]]:
    if not ids:
        return []
    return list(conn.execute(select(items.c.id, items.c.project_id, items.c.data,
                                    items.c.gold_answer).where(
        items.c.id.in_(ids), items.c.status == "gold").order_by(items.c.id)))


def add_credential(conn: Connection, *, contributor: int, skill: str, filename: str,
                   content_type: str, content: bytes, now: float) -> int:
    return int(conn.execute(insert(credentials).values(
        contributor_id=contributor, skill=skill, filename=filename, content_type=content_type,
        size=len(content), content=content, status=CredentialStatus.PENDING, created_at=now)
        .returning(credentials.c.id)).scalar_one())


def credential(conn: Connection, credential_id: int) -> Row[Any] | None:
    return conn.execute(select(credentials).where(credentials.c.id == credential_id)).first()


def credential_list(conn: Connection, *, status: str | None,
                    contributor: int | None = None) -> list[Row[Any]]:
    query = select(credentials.c.id, credentials.c.contributor_id, credentials.c.skill,
                   credentials.c.filename, credentials.c.content_type, credentials.c.size,
                   credentials.c.status, credentials.c.reason, credentials.c.reviewed_at,
                   credentials.c.created_at, contributors.c.name.label("contributor_name")
                   ).join(contributors, contributors.c.id == credentials.c.contributor_id)
    if status:
        query = query.where(credentials.c.status == status)
    if contributor is not None:
        query = query.where(credentials.c.contributor_id == contributor)
    return list(conn.execute(query.order_by(credentials.c.id)))


def review_credential(conn: Connection, credential_id: int, status: str, reason: str | None,
                      now: float) -> bool:
    return conn.execute(update(credentials).where(
        credentials.c.id == credential_id, credentials.c.status == "pending")
        .values(status=status, reason=reason, reviewed_at=now)).rowcount > 0


def skill_levels(conn: Connection, contributor: int) -> dict[str, Any]:
    found = conn.execute(select(contributors.c.skill_levels)
                         .where(contributors.c.id == contributor)).scalar()
    return dict(found or {})


def set_skill_levels(conn: Connection, contributor: int, levels: dict[str, Any]) -> None:
    conn.execute(update(contributors).where(contributors.c.id == contributor)
                 .values(skill_levels=levels))


def nth_answer_at(conn: Connection, contributor: int, since: float, n: int) -> float | None:
    """When the contributor gave their ``n``-th answer (1-based) to an ordinary item since."""
    return conn.execute(
        select(submissions.c.created_at).join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.contributor_id == contributor, submissions.c.created_at >= since,
               items.c.status != "gold")
        .order_by(submissions.c.created_at, submissions.c.id).offset(n - 1).limit(1)).scalar()


def last_answer_at(conn: Connection, contributor: int) -> float | None:
    return conn.execute(select(func.max(submissions.c.created_at))
                        .where(submissions.c.contributor_id == contributor)).scalar()


def qualified_at(conn: Connection, contributor: int, since: float) -> float | None:
    """When a qualification the contributor passed was last decided (since ``since``)."""
    return conn.execute(select(func.min(project_members.c.updated_at)).where(
        project_members.c.contributor_id == contributor,
        project_members.c.qualification == "passed",
        project_members.c.updated_at >= since)).scalar()
