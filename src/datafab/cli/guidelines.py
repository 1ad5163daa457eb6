"""``datafab guidelines …``: a project's guideline changelog and who has acknowledged its
latest material change (requester side). A summary on stderr, the result as JSON on stdout."""

from __future__ import annotations

import json

import typer

from datafab.cli.common import console, requester
from datafab.cli.options import ApiKey

guidelines_app = typer.Typer(help="Guideline changes and their acknowledgements.",
                             no_args_is_help=True)


@guidelines_app.command("changes")
def changes_command(project_id: int, api_key: ApiKey) -> None:
    """The project's guideline versions with their changelogs, newest first."""
    from datafab.services.guidelines import changes

    with requester(api_key) as (foundry, org):
        found = changes.history(foundry, org, project_id)
    console.print(f"{len(found)} changes")
    print(json.dumps(found, indent=2, sort_keys=True))


@guidelines_app.command("acknowledgements")
def acknowledgements_command(project_id: int, api_key: ApiKey) -> None:
    """Who must acknowledge the latest material change and who has (by pseudonym)."""
    from datafab.services.guidelines import acknowledge

    with requester(api_key) as (foundry, org):
        found = acknowledge.roster(foundry, org, project_id)
    done = sum(c["acknowledged_at"] is not None for c in found["contributors"])
    console.print(f"{done} of {len(found['contributors'])} acknowledged")
    print(json.dumps(found, indent=2, sort_keys=True))
