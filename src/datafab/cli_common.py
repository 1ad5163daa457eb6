"""What every ``datafab`` command module shares: opening the Foundry, the requester's
organization from an API key, and turning an error into a message and exit code 2.

The command modules (``cli``, ``cli_line``, ``cli_workforce``, …) import these and never
each other's helpers.
"""

from __future__ import annotations

import typer
from rich.console import Console

from datafab import integrations
from datafab.errors import DatafabError
from datafab.foundry import Foundry
from datafab.settings import Settings

console = Console(stderr=True, soft_wrap=True)


def open_foundry(migrate: bool = True) -> Foundry:
    """The Foundry for one command, its database schema brought up to date first and the
    integrations installed (the events it emits reach their subscribers)."""
    integrations.install()
    settings = Settings()
    if migrate:
        from datafab.store.migrate import upgrade

        upgrade(settings.database_url)
    return Foundry(settings)


def authenticated_organization(foundry: Foundry, api_key: str) -> int:
    """The organization a requester API key belongs to (an error if it belongs to none)."""
    from datafab.services.accounts import authenticate_requester

    return authenticate_requester(foundry, api_key)


def fail(exc: DatafabError) -> typer.Exit:
    """Print ``exc`` on stderr; the exit (code 2) for the caller to raise."""
    console.print(f"[red]error:[/red] {exc.message}", highlight=False)
    return typer.Exit(code=2)
