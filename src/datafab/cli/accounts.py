"""``datafab org …`` and ``datafab contributor …``: organizations, their API keys and what
they keep, and contributors (people and models), made and cleared by an operator on the
configured database. Secrets are printed alone on the last line, once."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from datafab.cli.common import console, operator, requester
from datafab.cli.options import ApiKey

org_app = typer.Typer(help="Organizations (tenants) and their API keys.", no_args_is_help=True)
org_key_app = typer.Typer(help="An organization's API keys (operator).", no_args_is_help=True)
contributor_app = typer.Typer(help="Contributors: people and models.", no_args_is_help=True)


@org_app.command("create")
def org_create(name: str) -> None:
    """Create an organization; prints its API key alone on the last line."""
    from datafab.services.accounts import create_organization

    with operator() as foundry:
        org, key = create_organization(foundry, name)
    console.print(f"organization {org} created; its API key (shown once):")
    print(key)


@org_app.command("keep-originals")
def org_keep_originals(
    api_key: ApiKey,
    keep: Annotated[bool, typer.Option("--on/--off", help="Keep the text before redaction, "
                                       "encrypted, visible only to this organization.")],
) -> None:
    """Opt the organization in (or out) of keeping ingested originals, encrypted at rest."""
    from datafab.services import ingest as ingesting

    with requester(api_key) as (foundry, org):
        ingesting.set_keep_originals(foundry, org, keep)
    console.print(f"originals are {'kept, encrypted' if keep else 'not kept'}")


@org_key_app.command("create")
def org_key_create(
    organization: Annotated[int, typer.Argument(help="The organization's id.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "operator",
) -> None:
    """Mint another API key for an existing organization (say, after it lost its keys);
    prints the key alone on the last line, once."""
    from datafab.services.accounts import create_api_key

    with operator() as foundry:
        described, key = create_api_key(foundry, organization, name, actor="cli (operator)")
    console.print(f"API key {described['id']} ({described['prefix']}…) created for "
                  f"organization {organization}; shown once:")
    print(key)


@contributor_app.command("create")
def contributor_create(
    name: str,
    skills: Annotated[str, typer.Option(
        help="Comma-separated skills, each with an optional level: en,fr:fluent,"
        "medicine/cardiology:professional (a language is basic, fluent or native; a domain "
        "familiar, professional or expert).")] = "",
    kind: Annotated[str, typer.Option(help="human or model.")] = "human",
) -> None:
    """Create a contributor; prints their token alone on the last line."""
    from datafab.services.profiles import create_with_skills

    with operator() as foundry:
        who, token = create_with_skills(foundry, name, kind, skills)
    console.print(f"contributor {who.id} created; their token (shown once):")
    print(token)


@contributor_app.command("clear")
def contributor_clear(
    contributor_id: int,
    level: Annotated[str, typer.Option(help="confidential or restricted (restricted covers "
                                       "confidential).")],
    until: Annotated[str | None, typer.Option(help="When it expires: a date (2026-12-01), an "
                                              "ISO time or UNIX seconds; none: until "
                                              "changed.")] = None,
) -> None:
    """Clear a contributor (person or model) to see confidential or restricted projects;
    recorded in the audit log. Replaces their previous clearance."""
    from datafab.services.clearances import grant

    with operator() as foundry:
        done = grant(foundry, contributor_id, level, until, actor="cli (operator)")
    console.print(f"contributor {contributor_id} cleared: {level}"
                  + (f" until {until}" if until else ""))
    print(json.dumps(done))


@contributor_app.command("erase")
def contributor_erase(
    contributor_id: int,
    answers: Annotated[bool, typer.Option(
        "--answers", help="Also delete their answers; the records they fed are recomputed.")
    ] = False,
) -> None:
    """Erase a contributor's personal data (name, e-mail, password, profile, token); pay
    ledger amounts stay under their bare id. One transaction."""
    from datafab.services.erasure import erase_contributor

    with operator() as foundry:
        done = erase_contributor(foundry, contributor_id, answers=answers, actor="cli")
    console.print(f"contributor {contributor_id} erased: {done['submissions_deleted']} "
                  f"answers deleted, {done['items_recomputed']} items recomputed")
    print(contributor_id)


org_app.add_typer(org_key_app, name="key")
