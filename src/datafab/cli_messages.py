"""``datafab messages …``: announce to a project's contributors, read and answer their
questions (requester, with an API key), and send the e-mails still due (operator). A summary
on stderr, the result as JSON on stdout."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from datafab import cli_common
from datafab.cli_options import ApiKey

messages_app = typer.Typer(help="Announcements, questions on items and their answers, "
                           "e-mail.", no_args_is_help=True)


def _run(action, api_key: str | None) -> Any:
    from datafab.errors import DatafabError

    try:
        foundry = cli_common.open_foundry()
        try:
            org = (cli_common.authenticated_organization(foundry, api_key)
                   if api_key is not None else None)
            return action(foundry, org)
        finally:
            foundry.close()
    except DatafabError as exc:
        raise cli_common.fail(exc) from exc


def _emit(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


@messages_app.command("announce")
def announce_command(
    project_id: int, api_key: ApiKey,
    subject: Annotated[str, typer.Option(help="The subject line.")],
    body: Annotated[str, typer.Option(help="The message.")],
) -> None:
    """Write to everyone who works or worked on the project (inbox, and e-mail)."""
    from datafab.services.messages import announcements

    sent = _run(lambda f, org: announcements.announce(
        f, org, project_id, {"subject": subject, "body": body}, actor="cli"), api_key)
    cli_common.console.print(f"sent to {sent['recipients']} contributors "
                             f"({sent['emailed']} e-mails)")
    _emit(sent)


@messages_app.command("questions")
def questions_command(project_id: int, api_key: ApiKey) -> None:
    """Contributors' questions on the project's items, with their latest answers."""
    from datafab.services.messages import questions

    found = _run(lambda f, org: questions.questions(f, org, project_id), api_key)
    cli_common.console.print(f"{sum(q['answer'] is None for q in found)} unanswered of "
                             f"{len(found)}")
    _emit(found)


@messages_app.command("answer")
def answer_command(
    question_id: int, api_key: ApiKey,
    body: Annotated[str, typer.Option(help="The answer.")],
    faq: Annotated[bool, typer.Option(help="Also add it to the project's FAQ.")] = False,
) -> None:
    """Answer a question (into the asker's inbox), optionally into the FAQ."""
    from datafab.services.messages import questions

    _emit(_run(lambda f, org: questions.answer(f, org, question_id,
                                               {"body": body, "faq": faq}, actor="cli"),
               api_key))


@messages_app.command("send-mail")
def send_mail_command() -> None:
    """(operator) Send the e-mails of inbox entries not sent yet (DATAFAB_SMTP_HOST)."""
    from datafab.services.messages import mail

    sent = _run(lambda f, _org: mail.send_pending(f, limit=10_000), None)
    cli_common.console.print(f"{sent} e-mails sent")
    _emit({"sent": sent})


def register(app: typer.Typer) -> None:
    app.add_typer(messages_app, name="messages")
