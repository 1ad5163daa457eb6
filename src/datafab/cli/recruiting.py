"""``datafab recruit …``: recruitment campaigns, their funnels, and the credential queue
(operators; the commands act on the configured database). A table or summary on stderr, the
result as JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from datafab.cli.common import console, emit, fail, operator
from datafab.errors import InvalidInput

recruit_app = typer.Typer(help="Recruitment campaigns, funnels and credentials.",
                          no_args_is_help=True)


@recruit_app.command("create")
def create_command(
    file: Annotated[Path, typer.Option(help="JSON file: name, skills, questionnaire, "
                                       "screening, pass_mark, expert_skills, referral_code.")],
) -> None:
    """Open a recruitment campaign."""
    from datafab.services.recruiting import campaigns

    try:
        body = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise fail(InvalidInput(f"file: {file}: {exc}", field="file")) from exc
    with operator() as foundry:
        made = campaigns.create(foundry, body)
    console.print(f"campaign {made['id']}: link code {made['referral_code']}")
    emit(made)


@recruit_app.command("list")
def list_command() -> None:
    """The campaigns, oldest first."""
    from datafab.services.recruiting import campaigns

    with operator() as foundry:
        emit(campaigns.listed(foundry))


@recruit_app.command("funnel")
def funnel_command(campaign_id: int) -> None:
    """Applied → screened → credential checked → qualified → active → retained, with
    conversion and median hours per stage, for the campaign and per source."""
    from datafab.services.recruiting import funnel

    with operator() as foundry:
        shown = funnel.funnel(foundry, campaign_id)
    table = Table("stage", "count", "conversion", "median hours", title=shown["name"])
    for s in shown["stages"]:
        table.add_row(s["stage"], str(s["count"]),
                      "" if s["conversion"] is None else f"{s['conversion']:.0%}",
                      "" if s["median_hours"] is None else f"{s['median_hours']:.1f}")
    console.print(table)
    emit(shown)


@recruit_app.command("credentials")
def credentials_command(
    status: Annotated[str, typer.Option(help="pending, approved, rejected or all.")]
    = "pending",
) -> None:
    """The credential queue."""
    from datafab.services.recruiting import credentials

    with operator() as foundry:
        emit(credentials.listed(foundry, None if status == "all" else status))


@recruit_app.command("review")
def review_command(
    credential_id: int,
    decision: Annotated[str, typer.Option(help="approved (the skill is verified) or "
                                          "rejected.")],
    reason: Annotated[str, typer.Option(help="Why (needed to reject).")] = "",
) -> None:
    """Approve or reject a credential; the contributor is told."""
    from datafab.services.recruiting import credentials

    with operator() as foundry:
        reviewed = credentials.review(foundry, credential_id,
                                      {"decision": decision, "reason": reason},
                                      actor="operator (cli)")
    emit(reviewed)
