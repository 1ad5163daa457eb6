"""``datafab guidelines …``: a project's guideline changelog and who has acknowledged its
latest material change (requester side). A summary on stderr, the result as JSON on stdout."""

from __future__ import annotations

import json
from typing import Any

import typer

from datafab import cli_common
from datafab.cli_options import ApiKey

guidelines_app = typer.Typer(help="Guideline changes and their acknowledgements.",
                             no_args_is_help=True)


def _run(action, api_key: str) -> Any:
    from datafab.errors import DatafabError

    try:
        foundry = cli_common.open_foundry()
        try:
            return action(foundry, cli_common.authenticated_organization(foundry, api_key))
        finally:
            foundry.close()
    except DatafabError as exc:
        raise cli_common.fail(exc) from exc


@guidelines_app.command("changes")
def changes_command(project_id: int, api_key: ApiKey) -> None:
    """The project's guideline versions with their changelogs, newest first."""
    from datafab.services.guidelines import changes

    found = _run(lambda f, org: changes.history(f, org, project_id), api_key)
    cli_common.console.print(f"{len(found)} changes")
    print(json.dumps(found, indent=2, sort_keys=True))


@guidelines_app.command("acknowledgements")
def acknowledgements_command(project_id: int, api_key: ApiKey) -> None:
    """Who must acknowledge the latest material change and who has (by pseudonym)."""
    from datafab.services.guidelines import acknowledge

    found = _run(lambda f, org: acknowledge.roster(f, org, project_id), api_key)
    done = sum(c["acknowledged_at"] is not None for c in found["contributors"])
    cli_common.console.print(f"{done} of {len(found['contributors'])} acknowledged")
    print(json.dumps(found, indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.add_typer(guidelines_app, name="guidelines")
