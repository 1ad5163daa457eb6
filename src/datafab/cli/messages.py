"""``datafab messages …``: announce to a project's contributors, read and answer their
questions (requester, with an API key), and send the e-mails still due (operator). A summary
on stderr, the result as JSON on stdout."""

from __future__ import annotations

from typing import Annotated

import typer

from datafab.cli.common import console, emit, operator, requester
from datafab.cli.options import ApiKey

messages_app = typer.Typer(help="Announcements, questions on items and their answers, "
                           "e-mail.", no_args_is_help=True)


@messages_app.command("announce")
def announce_command(
    project_id: int, api_key: ApiKey,
    subject: Annotated[str, typer.Option(help="The subject line.")],
    body: Annotated[str, typer.Option(help="The message.")],
) -> None:
    """Write to everyone who works or worked on the project (inbox, and e-mail)."""
    from datafab.services.messages import announcements

    with requester(api_key) as (foundry, org):
        sent = announcements.announce(foundry, org, project_id,
                                      {"subject": subject, "body": body}, actor="cli")
    console.print(f"sent to {sent['recipients']} contributors ({sent['emailed']} e-mails)")
    emit(sent)


@messages_app.command("questions")
def questions_command(project_id: int, api_key: ApiKey) -> None:
    """Contributors' questions on the project's items, with their latest answers."""
    from datafab.services.messages import questions

    with requester(api_key) as (foundry, org):
        found = questions.questions(foundry, org, project_id)
    console.print(f"{sum(q['answer'] is None for q in found)} unanswered of {len(found)}")
    emit(found)


@messages_app.command("answer")
def answer_command(
    question_id: int, api_key: ApiKey,
    body: Annotated[str, typer.Option(help="The answer.")],
    faq: Annotated[bool, typer.Option(help="Also add it to the project's FAQ.")] = False,
) -> None:
    """Answer a question (into the asker's inbox), optionally into the FAQ."""
    from datafab.services.messages import questions

    with requester(api_key) as (foundry, org):
        answered = questions.answer(foundry, org, question_id, {"body": body, "faq": faq},
                                    actor="cli")
    emit(answered)


@messages_app.command("send-mail")
def send_mail_command() -> None:
    """(operator) Send the e-mails of inbox entries not sent yet (DATAFAB_SMTP_HOST)."""
    from datafab.services.messages import mail

    with operator() as foundry:
        sent = mail.send_pending(foundry, limit=10_000)
    console.print(f"{sent} e-mails sent")
    emit({"sent": sent})
