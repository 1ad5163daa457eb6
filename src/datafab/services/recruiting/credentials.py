"""Credentials: a contributor uploads a document (a degree, a licence) for a skill; an
operator approves it (the skill is marked verified, and the applications that wanted it pass
the credential stage) or rejects it with a reason. Documents only (PDF, PNG, JPEG, told by
their first bytes, not by their name), up to ``MAX_BYTES``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.parsing import parse
from datafab.services import audit, taxonomy
from datafab.services.accounts import Contributor
from datafab.services.messages import inbox, mail
from datafab.services.recruiting import CredentialStatus
from datafab.store import recruiting as sql

MAX_BYTES = 5 * 1024 * 1024
DOCUMENTS = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png",
             b"\xff\xd8\xff": "image/jpeg"}


class ReviewIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    decision: CredentialStatus = Field(strict=False, description="approved or rejected.")
    reason: str = Field("", max_length=2000, description="Why (needed to reject).")


def _skill(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("skill: name the skill the document proves", field="skill")
    for check in (taxonomy.check_language, taxonomy.check_domain):
        try:
            return check(name)
        except ValueError:
            continue
    raise InvalidInput(f"skill: {name!r} is not a language code or a domain", field="skill")


def _kind(content: bytes) -> str:
    for magic, kind in DOCUMENTS.items():
        if content.startswith(magic):
            return kind
    raise InvalidInput("file: not a document (PDF, PNG or JPEG)", field="file")


def upload(foundry: Foundry, contributor: Contributor, skill: str, filename: str,
           content: bytes) -> dict[str, Any]:
    """Store a credential for review (checked first; nothing written when refused)."""
    if not content:
        raise InvalidInput("file: the file is empty", field="file")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"file: larger than {MAX_BYTES // (1024 * 1024)} MB", field="file")
    kind = _kind(content)
    name = _skill(skill)
    with foundry.db.write() as conn:
        credential_id = sql.add_credential(conn, contributor=contributor.id, skill=name,
                                           filename=(filename or "document")[:200],
                                           content_type=kind, content=content,
                                           now=foundry.now())
    return {"id": credential_id, "skill": name, "content_type": kind, "size": len(content),
            "status": "pending"}


def listed(foundry: Foundry, status: str | None = "pending",
           contributor: Contributor | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in set(CredentialStatus):
        raise InvalidInput(f"status: one of {', '.join(CredentialStatus)}", field="status")
    with foundry.db.read() as conn:
        rows = sql.credential_list(conn, status=status,
                                   contributor=contributor.id if contributor else None)
    return [{k: getattr(r, k) for k in ("id", "contributor_id", "contributor_name", "skill",
                                        "filename", "content_type", "size", "status",
                                        "reason", "reviewed_at", "created_at")} for r in rows]


def document(foundry: Foundry, credential_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of a credential, for the operator reviewing it."""
    with foundry.db.read() as conn:
        row = sql.credential(conn, credential_id)
    if row is None:
        raise NotFound(f"credential {credential_id} not found", field="credential_id")
    return row.filename, row.content_type, bytes(row.content)


def review(foundry: Foundry, credential_id: int, raw: Any, *,
           actor: str = "operator") -> dict[str, Any]:
    body = parse(ReviewIn, raw)
    if body.decision == CredentialStatus.PENDING:
        raise InvalidInput("decision: approved or rejected", field="decision")
    if body.decision == CredentialStatus.REJECTED and not body.reason.strip():
        raise InvalidInput("reason: say why the credential is rejected", field="reason")
    now = foundry.now()
    with foundry.db.write() as conn:
        row = sql.credential(conn, credential_id)
        if row is None:
            raise NotFound(f"credential {credential_id} not found", field="credential_id")
        if not sql.review_credential(conn, row.id, body.decision, body.reason.strip() or None,
                                     now):
            raise Conflict(f"credential {credential_id} was {row.status} already",
                           field="credential_id")
        if body.decision == CredentialStatus.APPROVED:
            _verify(conn, row.contributor_id, row.skill, now)
        inbox.notify(conn, row.contributor_id, project_id=None, now=now,
                     subject=f"Your credential for {row.skill} was {body.decision}",
                     body=body.reason.strip() or f"Your {row.skill} skill is now verified.")
        audit.record(conn, now, organization=None, actor=actor,
                     action=f"credential.{body.decision}",
                     target=f"contributor:{row.contributor_id}",
                     details={"credential_id": row.id, "skill": row.skill,
                              "reason": body.reason.strip() or None})
    mail.send_pending(foundry)
    return {"id": credential_id, "status": str(body.decision), "skill": row.skill}


def _verify(conn, contributor_id: int, skill: str, now: float) -> None:
    """The skill is verified; applications whose campaigns wanted a credential for it pass
    that stage."""
    levels = sql.skill_levels(conn, contributor_id)
    entry = dict(levels.get(skill) or {"kind": "language" if len(skill) <= 3 else "domain"})
    levels[skill] = {**entry, "verified": True, "verified_by": "credential"}
    sql.set_skill_levels(conn, contributor_id, levels)
    for application in sql.applications_of(conn, contributor_id):
        if skill in (application.spec.get("expert_skills") or []):
            sql.set_credential_checked(conn, application.id, now)
