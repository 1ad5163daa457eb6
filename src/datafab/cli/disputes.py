"""``datafab disputes …``: the operators' queue of disputed gold verdicts, and deciding one.
A table or summary on stderr, the result as JSON on stdout."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from datafab.cli.common import console, fail, operator
from datafab.errors import InvalidInput

disputes_app = typer.Typer(help="Disputed gold verdicts: the queue, and deciding one.",
                           no_args_is_help=True)


@disputes_app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help="open, upheld, rejected, or all.")] = "open",
) -> None:
    """Disputes across the foundry, oldest first."""
    from datafab.services.disputes import review

    with operator() as foundry:
        shown = review.list_disputes(foundry, None if status == "all" else status)
    table = Table("id", "project", "item", "contributor", "answer", "gold", "reason", "status")
    for d in shown:
        table.add_row(str(d.id), d.project_name, d.external_id, d.contributor_name,
                      json.dumps(d.answer), json.dumps(d.gold_answer), d.reason, d.status)
    console.print(table)
    print(json.dumps([d.to_dict() for d in shown], indent=2, sort_keys=True))


@disputes_app.command("resolve")
def resolve_command(
    dispute_id: int,
    decision: Annotated[str, typer.Option(help="upheld (the gold was wrong) or rejected.")],
    reason: Annotated[str, typer.Option(help="Why, for the contributor.")],
    answer: Annotated[str | None, typer.Option(help="With upheld: the corrected answer as "
                                               "JSON (the disputed answer when left out).")]
    = None,
    explanation: Annotated[str | None, typer.Option(help="With upheld: the gold item's new "
                                                    "explanation.")] = None,
) -> None:
    """Uphold (correct the gold item, re-score everyone who answered it) or reject."""
    from datafab.services.disputes import review

    body: dict[str, Any] = {"decision": decision, "reason": reason}
    if answer is not None:
        try:
            body["corrected_answer"] = json.loads(answer)
        except ValueError as exc:
            raise fail(InvalidInput("answer: not valid JSON", field="answer")) from exc
    if explanation is not None:
        body["explanation"] = explanation
    with operator() as foundry:
        done = review.resolve(foundry, dispute_id, body, actor="operator (cli)")
    console.print(f"dispute {dispute_id} {done['status']}; "
                  f"{len(done['changes'])} contributors re-scored")
    print(json.dumps(done, indent=2, sort_keys=True))
