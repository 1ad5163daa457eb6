"""Messages over HTTP: a contributor's inbox, announcements to a project's contributors
(its requester, or an operator under /v1/ops), questions on items and their answers, and the
project's FAQ."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from datafab.api.auth import Actor, ContributorDep, FoundryDep, Operator, Requester
from datafab.api.bodies import CheckedRoute
from datafab.services.messages import announcements, inbox, questions
from datafab.services.messages.announcements import AnnouncementIn
from datafab.services.messages.questions import AnswerIn, QuestionIn

router = APIRouter(prefix="/v1", tags=["messages"], route_class=CheckedRoute)


class InboxOut(BaseModel):
    unread: int
    messages: list[inbox.Message]  # the service's own shape, one definition


class ReadOut(BaseModel):
    id: int
    read: bool


@router.get("/me/messages", response_model=InboxOut)
def my_messages(who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    shown = inbox.messages_of(foundry, who)
    return {"unread": sum(m.read_at is None for m in shown),
            "messages": [m.__dict__ for m in shown]}


@router.post("/me/messages/{message_id}/read", response_model=ReadOut)
def read(message_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    inbox.mark_read(foundry, who, message_id)
    return {"id": message_id, "read": True}


class AnnouncementOut(BaseModel):
    id: int
    project_id: int
    recipients: int = Field(description="Contributors whose inbox it reached.")
    emailed: int = Field(description="E-mails sent now (0 without DATAFAB_SMTP_HOST).")


class QuestionOut(BaseModel):
    id: int
    project_id: int
    item_id: int


class QuestionRow(BaseModel):
    id: int
    item_id: int | None
    external_id: str | None
    body: str
    created_at: float
    answer_id: int | None
    answer: str | None
    in_faq: bool
    contributor_id: int | None = Field(None, description="Operators only.")


class QuestionsOut(BaseModel):
    questions: list[QuestionRow]


class AnswerOut(BaseModel):
    id: int
    question_id: int
    in_faq: bool


class FaqRow(BaseModel):
    id: int
    question: str
    answer: str
    created_at: float


class FaqOut(BaseModel):
    faq: list[FaqRow]


@router.post("/projects/{project_id}/announcements", status_code=201,
             response_model=AnnouncementOut)
def announce(project_id: int, body: AnnouncementIn, org: Requester, who: Actor,
             foundry: FoundryDep) -> dict[str, Any]:
    """Write to everyone who works or worked on the project (inbox, and e-mail)."""
    return announcements.announce(foundry, org, project_id, body.model_dump(), actor=who)


@router.post("/projects/{project_id}/questions", status_code=201, response_model=QuestionOut)
def ask(project_id: int, body: QuestionIn, who: ContributorDep,
        foundry: FoundryDep) -> dict[str, Any]:
    """Ask about an item you held or answered ("this item is ambiguous because …")."""
    return questions.ask(foundry, who, project_id, body.model_dump())


@router.get("/projects/{project_id}/questions", response_model=QuestionsOut)
def project_questions(project_id: int, org: Requester, foundry: FoundryDep) -> dict[str, Any]:
    return {"questions": questions.questions(foundry, org, project_id)}


@router.post("/questions/{question_id}/answer", response_model=AnswerOut)
def answer(question_id: int, body: AnswerIn, org: Requester, who: Actor,
           foundry: FoundryDep) -> dict[str, Any]:
    """Answer a question of your project (into the asker's inbox; ``faq``: into the FAQ)."""
    return questions.answer(foundry, org, question_id, body.model_dump(), actor=who)


@router.post("/questions/{question_id}/faq", response_model=AnswerOut)
def promote(question_id: int, org: Requester, who: Actor,
            foundry: FoundryDep) -> dict[str, Any]:
    """Put the question's latest answer into the project's FAQ."""
    return questions.promote(foundry, org, question_id, actor=who)


@router.get("/projects/{project_id}/faq", response_model=FaqOut)
def faq(project_id: int, who: ContributorDep, foundry: FoundryDep) -> dict[str, Any]:
    return {"faq": questions.faq(foundry, who, project_id)}


@router.post("/ops/projects/{project_id}/announcements", status_code=201,
             response_model=AnnouncementOut)
def operator_announce(project_id: int, body: AnnouncementIn, _: Operator,
                      foundry: FoundryDep) -> dict[str, Any]:
    """An operator's announcement, to any project's contributors."""
    return announcements.announce(foundry, None, project_id, body.model_dump(),
                                  actor="operator")


@router.get("/ops/projects/{project_id}/questions", response_model=QuestionsOut)
def operator_questions(project_id: int, _: Operator, foundry: FoundryDep) -> dict[str, Any]:
    return {"questions": questions.questions(foundry, None, project_id)}


@router.post("/ops/questions/{question_id}/answer", response_model=AnswerOut)
def operator_answer(question_id: int, body: AnswerIn, _: Operator,
                    foundry: FoundryDep) -> dict[str, Any]:
    return questions.answer(foundry, None, question_id, body.model_dump(), actor="operator")
