"""What every ``datafab`` command module shares: the runner that opens the Foundry for one
command and closes it once, the requester's organization from an API key, an error turned
into a message and exit code 2, the progress bar, and JSON in and out.

A command that works on the database is written ::

    with requester(api_key) as (foundry, org):
        ...

(or ``with operator() as foundry:`` when it acts without an API key). The command modules
import these and never each other's helpers.

Services are imported inside the commands that call them: the service packages bring in
SQLAlchemy, NumPy and SciPy, and ``datafab --help`` should not wait for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from datafab.errors import DatafabError
from datafab.settings import Settings

if TYPE_CHECKING:  # the Foundry brings SQLAlchemy: imported when a command opens one
    from datafab.foundry import Foundry

console = Console(stderr=True, soft_wrap=True)


def _same(exc: DatafabError) -> DatafabError:
    return exc


def fail(exc: DatafabError) -> typer.Exit:
    """Print ``exc`` on stderr; the exit (code 2) for the caller to raise."""
    console.print(f"[red]error:[/red] {exc.message}", highlight=False)
    return typer.Exit(code=2)


@contextmanager
def failing(
    explain: Callable[[DatafabError], DatafabError] = _same,
) -> Iterator[None]:
    """A ``DatafabError`` raised inside becomes its message on stderr and exit code 2
    (``explain`` may first reword it, say to name the command's option)."""
    try:
        yield
    except DatafabError as exc:
        raise fail(explain(exc)) from exc


def open_foundry(migrate: bool = True) -> Foundry:
    """The Foundry for one command, its database schema brought up to date first and the
    integrations installed (the events it emits reach their subscribers). The caller closes
    it; commands use ``operator`` or ``requester``, which do."""
    from datafab import integrations
    from datafab.foundry import Foundry

    integrations.install()
    settings = Settings()
    if migrate:
        from datafab.store.migrate import upgrade

        upgrade(settings.database_url)
    return Foundry(settings)


@contextmanager
def operator(
    explain: Callable[[DatafabError], DatafabError] = _same,
) -> Iterator[Foundry]:
    """The shared runner: the Foundry for one command, opened on entry and closed once on
    exit (its background work stopped); a ``DatafabError`` inside is exit code 2."""
    with failing(explain):
        foundry = open_foundry()
        try:
            yield foundry
        finally:
            foundry.close()


@contextmanager
def requester(
    api_key: str, explain: Callable[[DatafabError], DatafabError] = _same,
) -> Iterator[tuple[Foundry, int]]:
    """``operator``, with the organization the requester's API key belongs to."""
    with operator(explain) as foundry:
        yield foundry, authenticated_organization(foundry, api_key)


def authenticated_organization(foundry: Foundry, api_key: str) -> int:
    """The organization a requester API key belongs to (an error if it belongs to none)."""
    from datafab.services.accounts import authenticate_requester

    return authenticate_requester(foundry, api_key)


class Count(ProgressColumn):
    """``done/total`` while the total is known and holds, else ``done`` alone: never
    ``2/None``, never ``805/785``."""

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        if task.total is None or done > task.total:
            return Text(str(done))
        return Text(f"{done}/{int(task.total)}")


def progress() -> Progress:
    """The progress bar of long commands, on stderr."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), Count(), TimeElapsedColumn(),
        console=console,
    )


def emit(value: Any) -> None:
    """``value`` as indented JSON on stdout, for scripts."""
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


def json_object(path: Path) -> dict[str, Any]:
    """A JSON file holding one object; exit 2 naming the file if it does not."""
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {path}: {exc}")
        raise typer.Exit(code=2) from exc
    if not isinstance(body, dict):
        console.print(f"[red]error:[/red] {path}: expected a JSON object")
        raise typer.Exit(code=2)
    return body


def shown_url(url: str) -> str:
    """A database URL as it may be printed: its password hidden."""
    from datafab.store.database import shown_url as hidden

    return hidden(url)
