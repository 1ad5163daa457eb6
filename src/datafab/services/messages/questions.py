"""Questions on an item: a contributor who held it asks ("this item is ambiguous because…");
the project's requester or an operator answers, into the asker's inbox; an answer may join the
project's FAQ, shown with its guidelines."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datafab.errors import Conflict, NotFound
from datafab.foundry import Foundry
from datafab.services import audit, confidentiality
from datafab.services.accounts import Contributor
from datafab.services.messages import mail
from datafab.services.messages.announcements import parse
from datafab.services.projects import load_project
from datafab.store import inbox as sql

QUESTION, ANSWER = "question", "answer"


class QuestionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    item_id: int = Field(ge=1, description="The item you held or answered.")
    body: str = Field(min_length=1, max_length=5_000)


class AnswerIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)
    faq: bool = Field(False, description="Also add the question and this answer to the "
                      "project's FAQ, shown with its guidelines.")


def ask(foundry: Foundry, contributor: Contributor, project_id: int,
        raw: Any) -> dict[str, Any]:
    """A question on an item of a project the contributor may see and that they held."""
    body: QuestionIn = parse(raw, QuestionIn)
    now = foundry.now()
    with foundry.db.write() as conn:
        project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        if not sql.worked_on_item(conn, contributor.id, body.item_id, project.id):
            raise NotFound(f"item_id: no item {body.item_id} of yours in project "
                           f"{project.id}", field="item_id")
        message = sql.add_message(conn, project=project.id, kind=QUESTION,
                                  sender=f"contributor {contributor.id}",
                                  sender_contributor=contributor.id, item=body.item_id,
                                  subject=f"Question on item {body.item_id}",
                                  body=body.body.strip(), now=now)
    return {"id": message, "project_id": project.id, "item_id": body.item_id}


def questions(foundry: Foundry, organization: int | None,
              project_id: int) -> list[dict[str, Any]]:
    """The project's questions with their latest answers (contributors by number only for
    operators; requesters see no contributor)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = sql.questions(conn, project.id)
    return [{"id": r.id, "item_id": r.item_id, "external_id": r.external_id, "body": r.body,
             "created_at": r.created_at, "answer_id": r.answer_id, "answer": r.answer,
             "in_faq": bool(r.in_faq),
             **({"contributor_id": r.sender_contributor_id} if organization is None else {})}
            for r in rows]


def answer(foundry: Foundry, organization: int | None, question_id: int, raw: Any, *,
           actor: str) -> dict[str, Any]:
    """Answer a question (the asker is told in their inbox), optionally into the FAQ."""
    body: AnswerIn = parse(raw, AnswerIn)
    now = foundry.now()
    with foundry.db.write() as conn:
        question = _question(conn, organization, question_id)
        message = sql.add_message(conn, project=question.project_id, kind=ANSWER, sender=actor,
                                  item=question.item_id, parent=question.id,
                                  subject=f"Answer: {question.subject}"[:200],
                                  body=body.body.strip(), now=now)
        sql.set_faq(conn, message, body.faq)
        sql.deliver(conn, message, [question.sender_contributor_id])
        project = load_project(conn, None, question.project_id)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action="message.answered", target=f"project:{project.id}",
                     details={"question_id": question.id, "message_id": message,
                              "faq": body.faq})
    mail.send_pending(foundry)
    return {"id": message, "question_id": question_id, "in_faq": body.faq}


def promote(foundry: Foundry, organization: int | None, question_id: int, *,
            actor: str) -> dict[str, Any]:
    """Put the question's latest answer into the project's FAQ."""
    now = foundry.now()
    with foundry.db.write() as conn:
        question = _question(conn, organization, question_id)
        found = [r for r in sql.questions(conn, question.project_id) if r.id == question.id]
        if not found or found[0].answer_id is None:
            raise Conflict(f"question {question_id} has no answer yet", field="question_id")
        sql.set_faq(conn, found[0].answer_id, True)
        project = load_project(conn, None, question.project_id)
        audit.record(conn, now, organization=project.organization_id, actor=actor,
                     action="message.faq", target=f"project:{project.id}",
                     details={"question_id": question.id, "message_id": found[0].answer_id})
    return {"id": found[0].answer_id, "question_id": question_id, "in_faq": True}


def _question(conn, organization: int | None, question_id: int):
    row = sql.message(conn, question_id)
    if row is None or row.kind != QUESTION or row.project_id is None:
        raise NotFound(f"question {question_id} not found", field="question_id")
    load_project(conn, organization, row.project_id)  # another organization's: 404
    return row


def faq(foundry: Foundry, contributor: Contributor | None, project_id: int,
        organization: int | None = None) -> list[dict[str, Any]]:
    """The project's FAQ (for a contributor who may see the project, or its requester)."""
    with foundry.db.read() as conn:
        if contributor is not None:
            project = confidentiality.load_visible(foundry, conn, contributor, project_id)
        else:
            project = load_project(conn, organization, project_id)
        return [{"id": r.id, "question": r.question, "answer": r.answer,
                 "created_at": r.created_at} for r in sql.faq(conn, project.id)]

